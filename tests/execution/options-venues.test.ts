/**
 * Issue 11, the venue paths end to end: ExecutionCore trading option contracts through the real client
 * libraries — @stoqey/ib (IbkrBroker) against the TWS simulator, @alpacahq/alpaca-trade-api (AlpacaBroker)
 * against the Alpaca simulator — each venue's option market pricing both its fills and the live quotes the
 * engine marks from (as the market-depth actor would deliver them), with a real Redis journal:
 *  - a 0DTE signal → a marketable limit (occ in the journal) → the venue's fill → contracts marked from live
 *    quotes → a premium stop → a second position closed at the options cutoff;
 *  - a 1DTE call (holdToExpiry) held over a restart overnight; its expiry close passes while the engine is down
 *    and the venue exercises it into shares at the strike (IB's position report; Alpaca's OPEXC + OPTRD); on
 *    restart the engine settles the call at intrinsic × 100 and books the delivered shares at the settlement
 *    price, not the strike (decision 97), once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { option, parseOcc } from '../../analytics/instrument.js';
import type { OptionQuote } from '../../analytics/optionQuote.js';
import { ExecutionCore, type SignalInput } from '../../actors/execution/ExecutionCore.js';
import { AlpacaBroker } from '../../actors/execution/brokers/AlpacaBroker.js';
import { IbkrBroker } from '../../actors/execution/brokers/IbkrBroker.js';
import type { Broker } from '../../actors/execution/brokers/types.js';
import { AlpacaSimulator } from '../../sim/alpaca/index.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { OptionMarket } from '../../sim/options/OptionMarket.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { journalEntries, startCore, stopCore } from '../helpers/execution.js';
import { useTestRedis, waitFor } from '../helpers/redis.js';

const DAY = '2026-12-07'; // a Monday
const NEXT = '2026-12-08';
let now = Date.parse(`${DAY}T15:00:00Z`); // the session clock: 10:00 New York
let spot = 590;
const model = new MarketModel({ seed: 7, symbols: [{ symbol: 'SPY', basePrice: 590, numRows: 5, level2: true }], startMs: now, eventsPerSecond: 50 });
const market = new OptionMarket({ seed: 43, rate: 0.045, dividendYield: () => 0.013, nowMs: () => now, spot: () => spot });
const tws = new TwsSimulator({ model, port: 0, tickMs: 5, options: market });
const alpaca = new AlpacaSimulator({
  keyId: 'PKOPTVENUE0000000001', secret: 'opt-venue-secret', quote: (s) => (s === 'SPY' ? { bid: spot - 0.01, ask: spot + 0.01 } : undefined),
  fillDelayMs: 2, pollMs: 10, startingCash: 1_000_000, nowMs: () => now, options: market,
});
let twsPort = 0;
let alpacaUrls: { baseUrl: string; streamUrl: string };
let clientIds = 60;

beforeAll(async () => {
  ({ port: twsPort } = await tws.start());
  alpacaUrls = await alpaca.start();
});
afterAll(async () => {
  await tws.stop();
  await alpaca.stop();
});

/** Each venue: its adapter (a fresh connection per engine start, as a process would have) and whether its simulator has exercised `occ`. */
const VENUES = {
  tws: {
    broker: (): Broker => new IbkrBroker({ host: '127.0.0.1', port: twsPort, clientId: clientIds++, connectTimeoutMs: 5_000, requestTimeoutMs: 5_000, reconnectBaseMs: 50 }),
    exercised: (occ: string) => tws.orders.expiries.some((x) => x.occ === occ),
  },
  alpaca: {
    broker: (): Broker => new AlpacaBroker({ keyId: 'PKOPTVENUE0000000001', secret: 'opt-venue-secret', ...alpacaUrls, timeoutMs: 2_000, backoffBaseMs: 20, maxBackoffMs: 200, streamReconnectMs: 50 }),
    exercised: (occ: string) => alpaca.nonTradeActivities().some((a) => a.activity_type === 'OPEXC' && a.symbol === occ),
  },
} as const;

function config(holdToExpiry: boolean, broker: 'ibkr' | 'alpaca'): EngineConfig {
  const base = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } }).config;
  return {
    ...base,
    symbols: [{ symbol: 'SPY', level2: true, basePrice: 590, numRows: 5 }],
    execution: { ...base.execution, broker, staleOrderMs: 600_000, optionOrders: { ...base.execution.optionOrders, startFraction: 0.5, stepFraction: 0.25, repriceMs: 1000, maxReprices: 3, timeoutMs: 60_000, stopPct: 0.3 } },
    risk: {
      ...base.risk, varLimit: 1e9, dailyLossLimit: 1e9, maxDrawdown: 1e9, maxPositionPerSymbol: 1e7, maxNotionalPerOrder: 1e7,
      options: { ...base.risk.options, maxPremiumPerTrade: 1000, maxPremiumPerDay: 10_000, maxContractsPerOrder: 10, holdToExpiry },
    },
  };
}

/** The venue's own quote for a contract, as the engine receives live quotes (bid/ask, model greeks). */
function live(occ: string): OptionQuote {
  const i = parseOcc(occ);
  const q = market.quote('SPY', i.expiry, i.right === 'C' ? 'call' : 'put', i.strike)!;
  return { occ, underlying: 'SPY', bid: q.bid, ask: q.ask, bidSize: q.bidSize, askSize: q.askSize, last: NaN, iv: q.iv, delta: q.delta, gamma: q.gamma, vega: q.vega, theta: q.theta, undPrice: spot, ts: Date.now() };
}

describe.each(['tws', 'alpaca'] as const)('ExecutionCore trades option contracts through the %s adapter against its simulator', (venue) => {
  const redis = useTestRedis();

  const engine = (holdToExpiry = false) => startCore(config(holdToExpiry, venue === 'tws' ? 'ibkr' : 'alpaca'), () => VENUES[venue].broker() as Broker, redis.client(), () => now);
  const stop = stopCore;

  const signal = (id: number, direction: 1 | -1, expiry: string, right: 'C' | 'P', strike: number, strategy = 1): SignalInput => ({
    symbol: 'SPY', strategy, signalId: id, direction, confidence: 1, price: spot, target: 0, stop: 0, expiresMs: 0, option: { expiry, right, strike },
  });

  const entries = (type: string) => journalEntries(redis.client(), type);

  /** Ticks (live quotes refreshed first) until `cond`: each tick may re-price (cancel → the next price). */
  async function tickUntil(core: ExecutionCore, occs: string[], cond: () => boolean, what: string): Promise<void> {
    await waitFor(async () => {
      core.options.applyQuotes(occs.map(live), Date.now());
      await core.markOptions();
      await core.tick();
      await core.queue.idle();
      return cond();
    }, 30_000, what, 250);
  }

  it('0DTE signal → option limit (occ) filled by the venue → contracts marked from live quotes → premium stop → cutoff close', async () => {
    now = Date.parse(`${DAY}T15:00:00Z`);
    spot = 590;
    const C = option('SPY', DAY, 'C', 590).occ;
    const P = option('SPY', DAY, 'P', 588).occ;
    const e = await engine();
    const { core } = e;
    try {
      core.options.applyQuotes([live(C)], Date.now());
      expect(await core.onSignal(signal(1, 1, DAY, 'C', 590))).toBe('sent AT-20261207-0DTE-SPY-1');
      const [first] = await entries('intent');
      expect(first).toMatchObject({ occ: C, symbol: C, expiry: DAY, right: 'C', strike: '590', multiplier: '100', orderType: 'limit', tif: 'day', side: 'buy' });
      await tickUntil(core, [C], () => core.position(C) > 0 && core.openOrders().length === 0, 'the venue filled the call');
      const qty = core.position(C);
      expect(Number.isInteger(qty) && qty >= 1).toBe(true);
      // whole contracts within the $1000 premium per trade, at the venue's price
      const pos = core.portfolio.positions.get(C)!;
      expect(pos.multiplier).toBe(100);
      expect(qty * pos.avgPrice * 100).toBeLessThanOrEqual(1000 + 1e-6);
      // the broker agrees, in contracts, under the OCC key
      expect((await e.broker.positions()).find((p) => p.symbol === C)).toMatchObject({ qty, instrument: { kind: 'option', occ: C } });
      // marked from the live quote
      await core.markOptions();
      expect(core.portfolio.unrealized(pos)).toBeCloseTo((live(C).bid + live(C).ask) / 2 * qty * 100 - pos.avgPrice * qty * 100, 6);
      expect(core.bookGreeks().positions[0]).toMatchObject({ occ: C, source: 'live' });

      // the underlying falls $2.50: the call's mark drops past the 30 % premium stop; the exit sells at the bid
      spot = 587.5;
      expect(live(C).bid).toBeGreaterThan(0);
      expect((live(C).bid + live(C).ask) / 2).toBeLessThan(pos.avgPrice * 0.7);
      await tickUntil(core, [C], () => core.position(C) === 0, 'the premium stop closed the call');
      const exit = (await entries('intent')).find((f) => f.purpose === 'exit')!;
      expect(exit).toMatchObject({ occ: C, side: 'sell', qty: String(qty), orderType: 'limit' });
      if (venue === 'alpaca') { // the entry opened, the exit closed (position_intent, always sent)
        const intent = (cid: string) => alpaca.orders().find((o) => o.client_order_id === cid)?.position_intent;
        expect([intent(first!.cid!), intent(exit.cid!)]).toEqual(['buy_to_open', 'sell_to_close']);
      }
      expect(core.portfolio.realizedPnl).toBeLessThan(0);
      expect((await e.broker.positions()).some((p) => p.symbol === C)).toBe(false);

      // a put bought later is closed at the options cutoff (15:45 New York), never held into expiry
      core.options.applyQuotes([live(P)], Date.now());
      expect(await core.onSignal(signal(2, -1, DAY, 'P', 588))).toMatch(/^sent /);
      await tickUntil(core, [P], () => core.position(P) > 0 && core.openOrders().length === 0, 'the put filled');
      // 15:46 New York, the underlying where the put is worth about what it cost (no stop or target in the way)
      now = Date.parse(`${DAY}T20:46:00Z`);
      spot = Math.round((588 - core.portfolio.positions.get(P)!.avgPrice) * 100) / 100;
      await tickUntil(core, [P], () => core.position(P) === 0, 'closed at the cutoff');
      expect((await entries('intent')).filter((f) => f.occ === P).map((f) => f.cid)).toEqual(['AT-20261207-0DTE-SPY-2', expect.stringMatching(/^AT-20261207-eod-/)]);
      expect((await e.broker.positions()).some((p) => p.symbol === P)).toBe(false);
    } finally {
      await stop(e);
    }
  }, 120_000);

  it('a 1DTE call survives a restart overnight; exercised into shares while the engine is down: settled at intrinsic, the shares booked at the settlement price, once', async () => {
    now = Date.parse(`${DAY}T15:00:00Z`);
    spot = 590;
    const C = option('SPY', NEXT, 'C', 585).occ; // in the money
    let e = await engine(true);
    try {
      e.core.options.applyQuotes([live(C)], Date.now());
      expect(await e.core.onSignal(signal(1, 1, NEXT, 'C', 585, 2))).toMatch(/^sent AT-20261207-1DTE-SPY-1/);
      await tickUntil(e.core, [C], () => e.core.position(C) > 0 && e.core.openOrders().length === 0, 'the 1DTE call filled');
      const qty = e.core.position(C);
      const paid = e.core.portfolio.positions.get(C)!.avgPrice;
      const sharesBefore = e.core.position('SPY');

      // overnight: the engine stops and starts again; the venue still holds the call, reconciliation agrees
      await stop(e);
      now = Date.parse(`${DAY}T23:30:00Z`); // 18:30 New York
      e = await engine(true);
      expect(e.core.position(C)).toBe(qty);
      expect(e.core.lastReconcile?.drift ?? []).toEqual([]);
      await stop(e);

      // the expiry close passes while the engine is down: the venue exercises the ITM call into shares at 585
      spot = 592;
      now = Date.parse(`${NEXT}T21:00:01Z`); // 16:00:01 New York on the expiry date
      await waitFor(() => VENUES[venue].exercised(C), 15_000, 'the venue exercised the call');
      e = await engine(true);
      // no SPY mark yet: the call waits for its settlement, and the delivered shares are not healed at the strike
      expect(e.core.position(C)).toBe(qty);
      expect(e.core.position('SPY')).toBe(sharesBefore);
      expect(e.core.counters.deliveryWaits).toBeGreaterThan(0);
      e.core.onBook('SPY', 591.99, 592.01);
      await e.core.tick();
      await e.core.queue.idle();
      expect(e.core.position(C)).toBe(0);
      const [exp] = await entries('expiry');
      expect(exp).toMatchObject({ symbol: C, qty: String(-qty), price: '7', underlyingPrice: '592' });
      await e.core.reconcileNow();
      await e.core.queue.idle();
      expect(e.core.position('SPY')).toBe(sharesBefore + 100 * qty);
      expect(e.core.portfolio.positions.get('SPY')!.avgPrice).toBeCloseTo(592, 9); // not the strike (585)
      expect(e.core.counters.exerciseDeliveries).toBe(1);
      // per contract: with a fresh journal Alpaca's order history under the engine's prefix (the 0DTE test's,
      // same account and day) is adopted at reconciliation, with its own P&L
      const realized = (7 - paid) * qty * 100;
      expect(e.core.portfolio.positions.get(C)!.realizedPnl).toBeCloseTo(realized, 6);

      // a further restart replays the same book: nothing settled or delivered twice, no drift left
      await stop(e);
      e = await engine(true);
      e.core.onBook('SPY', 595, 595.02);
      await e.core.tick();
      await e.core.reconcileNow();
      await e.core.queue.idle();
      expect(e.core.position(C)).toBe(0);
      expect(e.core.position('SPY')).toBe(sharesBefore + 100 * qty);
      expect(e.core.portfolio.positions.get('SPY')!.avgPrice).toBeCloseTo(592, 9);
      expect(e.core.portfolio.positions.get(C)!.realizedPnl).toBeCloseTo(realized, 6);
      expect((await entries('expiry')).length).toBe(2); // the settlement and the delivery
      expect(e.core.lastReconcile?.drift ?? []).toEqual([]);
    } finally {
      await stop(e);
    }
  }, 120_000);
});
