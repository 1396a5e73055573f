/**
 * Issue 11 (execution side): option limits on their edges (pure), and ExecutionCore trading option contracts
 * against the real paper broker and a real Redis journal: a 0DTE signal → a marketable limit (occ in the
 * journal) re-priced until it fills → a position in contracts marked from live quotes → a premium stop →
 * a second position closed at the options cutoff; a signal past the day's premium budget refused with it.
 * Quotes are injected through the same path the `option-quotes` topic takes (OptionMarket.applyQuotes).
 */
import { describe, expect, it } from 'vitest';
import type { OptionQuote } from '../../analytics/optionQuote.js';
import { ExecutionCore, type SignalInput } from '../../actors/execution/ExecutionCore.js';
import { PaperBroker } from '../../actors/execution/brokers/PaperBroker.js';
import { checkOptionEntry, type OptionBookState, type OptionLimits } from '../../actors/execution/risk/OptionRisk.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { journalEntries, startCore, stopCore } from '../helpers/execution.js';
import { useTestRedis, waitFor } from '../helpers/redis.js';

const LIM: OptionLimits = {
  maxPremiumPerTrade: 1000, maxPremiumPerDay: 3000, maxContractsPerOrder: 10, maxContractsPerContract: 15, maxContractsPerUnderlying: 20,
  maxNetDelta: 500, maxNetGamma: 100, maxNetVega: 300, maxNetTheta: 200, cutoff: '15:45', holdToExpiry: false,
};
const GREEKS = { delta: 0.5, gamma: 0.1, vega: 0.2, theta: -0.3 };
const FLAT = { delta: 0.01, gamma: 0, vega: 0, theta: 0 };
const state = (over: Partial<OptionBookState> = {}): OptionBookState => ({
  spentToday: 0, contractsIn: () => 0, contractsOn: () => 0, book: { delta: 0, gamma: 0, vega: 0, theta: 0 }, ...over,
});
const order = (contracts: number, premiumPerContract: number, greeks = GREEKS) => ({ occ: 'SPY261207C00590000', underlying: 'SPY', contracts, premiumPerContract, multiplier: 100, greeks });
const rule = (v: ReturnType<typeof checkOptionEntry>) => (v.ok ? 'ok' : v.rule);

describe('option risk limits on their edges', () => {
  it('premium per trade and per day: at the limit passes, a cent over refuses', () => {
    expect(rule(checkOptionEntry(order(4, 250), state(), LIM))).toBe('ok'); // $1000 = the trade limit
    expect(rule(checkOptionEntry(order(4, 250.0025), state(), LIM))).toBe('option-premium-trade');
    expect(rule(checkOptionEntry(order(4, 250), state({ spentToday: 2000 }), LIM))).toBe('ok'); // $3000 = the day limit
    expect(rule(checkOptionEntry(order(4, 250), state({ spentToday: 2000.01 }), LIM))).toBe('option-premium-day');
  });

  it('contracts per order, per contract and per underlying count working orders', () => {
    expect(rule(checkOptionEntry(order(10, 10, FLAT), state(), LIM))).toBe('ok');
    expect(rule(checkOptionEntry(order(11, 10, FLAT), state(), LIM))).toBe('option-contracts');
    expect(rule(checkOptionEntry(order(5, 10, FLAT), state({ contractsIn: () => 10 }), LIM))).toBe('ok');
    expect(rule(checkOptionEntry(order(6, 10, FLAT), state({ contractsIn: () => 10 }), LIM))).toBe('option-position-contract');
    expect(rule(checkOptionEntry(order(5, 10, FLAT), state({ contractsOn: () => 15 }), LIM))).toBe('ok');
    expect(rule(checkOptionEntry(order(6, 10, FLAT), state({ contractsOn: () => 15 }), LIM))).toBe('option-position-underlying');
  });

  it('net greeks: up to the limit passes, beyond refuses; an order that reduces |greek| passes even beyond', () => {
    // 10 contracts × 100 × 0.5 delta = 500 share equivalents: exactly the limit
    expect(rule(checkOptionEntry(order(10, 10, { ...GREEKS, gamma: 0, vega: 0, theta: 0 }), state(), LIM))).toBe('ok');
    expect(rule(checkOptionEntry(order(1, 10, { ...GREEKS, gamma: 0, vega: 0, theta: 0 }), state({ book: { delta: 450.01, gamma: 0, vega: 0, theta: 0 } }), LIM))).toBe('greeks-delta');
    expect(rule(checkOptionEntry(order(1, 10, { delta: -0.5, gamma: 0, vega: 0, theta: 0 }), state({ book: { delta: 900, gamma: 0, vega: 0, theta: 0 } }), LIM))).toBe('ok');
    expect(rule(checkOptionEntry(order(1, 10, { delta: 0, gamma: 0, vega: 0, theta: -2.01 }), state({ book: { delta: 0, gamma: 0, vega: 0, theta: 0 } }), LIM))).toBe('greeks-theta');
    expect(rule(checkOptionEntry(order(1, 10, { delta: 0, gamma: 0, vega: 3.01, theta: 0 }), state(), LIM))).toBe('greeks-vega');
    expect(rule(checkOptionEntry(order(1, 10, { delta: 0, gamma: 1.01, vega: 0, theta: 0 }), state(), LIM))).toBe('greeks-gamma');
    expect(rule(checkOptionEntry(order(1, 10, { ...GREEKS, vega: NaN }), state(), LIM))).toBe('option-greeks');
  });
});

const OCC_C = 'SPY261207C00590000';
const OCC_P = 'SPY261207P00588000';
const DAY = '2026-12-07'; // a Monday

function config(): EngineConfig {
  const base = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } }).config;
  return {
    ...base,
    symbols: [{ symbol: 'SPY', level2: true, basePrice: 590, numRows: 5 }, { symbol: 'QQQ', level2: true, basePrice: 510, numRows: 5 }, { symbol: 'IWM', level2: true, basePrice: 225, numRows: 5 }],
    execution: { ...base.execution, staleOrderMs: 600_000, optionOrders: { ...base.execution.optionOrders, startFraction: 0.5, stepFraction: 0.25, repriceMs: 1000, maxReprices: 3, timeoutMs: 60_000, stopPct: 0.3 } },
    risk: {
      ...base.risk, varLimit: 1e9, dailyLossLimit: 1e9, maxDrawdown: 1e9,
      options: { ...base.risk.options, maxPremiumPerTrade: 1000, maxPremiumPerDay: 1500, maxContractsPerOrder: 10 },
    },
  };
}

const quote = (occ: string, bid: number, ask: number, delta: number, wall: number): OptionQuote => ({
  occ, underlying: occ.slice(0, 3), bid, ask, bidSize: 50, askSize: 50, last: NaN, iv: 0.2, delta, gamma: 0.05, vega: 0.1, theta: -0.4, undPrice: 590, ts: wall,
});

describe('ExecutionCore trades option contracts (paper broker, real Redis journal)', () => {
  const redis = useTestRedis();

  function engine(session: { ms: number }, holdToExpiry = false) {
    const cfg = config();
    cfg.risk.options.holdToExpiry = holdToExpiry;
    return startCore(cfg, (core) => new PaperBroker({ book: (s) => core().optionBook(s), slippageBps: 0, pollMs: 5, nowMs: () => session.ms, startingCash: 1_000_000 }), redis.client(), () => session.ms);
  }
  const stop = stopCore;

  const signal = (id: number, direction: 1 | -1, right: 'C' | 'P', strike: number, symbol = 'SPY'): SignalInput => ({
    symbol, strategy: 1, signalId: id, direction, confidence: 1, price: 590, target: 0, stop: 0, expiresMs: 0, option: { expiry: DAY, right, strike },
  });

  const intents = (type = 'intent') => journalEntries(redis.client(), type);

  /** Ticks once a (test) second until `cond`: each tick may re-price (cancel → the next price). */
  async function tickUntil(core: ExecutionCore, cond: () => boolean, what: string): Promise<void> {
    await waitFor(async () => {
      await core.tick();
      await core.queue.idle();
      return cond();
    }, 20_000, what, 1100);
  }

  it('0DTE signal → option limit (occ) re-priced to a fill → contracts marked from quotes → premium stop → cutoff close', async () => {
    const session = { ms: Date.parse(`${DAY}T15:00:00Z`) }; // 10:00 New York
    const { core, broker } = await engine(session);
    try {
      core.options.applyQuotes([quote(OCC_C, 2.9, 3.1, 0.3, Date.now())], Date.now());
      const out = await core.onSignal(signal(1, 1, 'C', 590));
      expect(out).toBe(`sent AT-20261207-0DTE-SPY-1`);
      const [first] = await intents();
      expect(first).toMatchObject({ occ: OCC_C, symbol: OCC_C, expiry: DAY, right: 'C', strike: '590', multiplier: '100', orderType: 'limit', tif: 'day', side: 'buy' });
      expect(Number(first!.limitPrice)).toBe(3.05); // mid + 0.5 × (ask − mid): rests below the ask
      expect(Number(first!.qty)).toBe(3); // $1000 per trade / ($3.05 × 100) → 3 whole contracts
      // re-priced (0.75, then 1.0 of the way to the ask) until it fills at the ask
      await tickUntil(core, () => core.position(OCC_C) === 3, 'the option entry filled');
      const priced = (await intents()).map((f) => Number(f.limitPrice));
      expect(priced).toEqual([3.05, 3.08, 3.1]);
      const pos = core.portfolio.positions.get(OCC_C)!;
      expect(pos).toMatchObject({ qty: 3, avgPrice: 3.1, multiplier: 100 });
      // marked from the live quote: (3.3 − 3.1) × 3 × 100
      core.options.applyQuotes([quote(OCC_C, 3.2, 3.4, 0.35, Date.now())], Date.now());
      await core.markOptions();
      expect(core.portfolio.unrealized(pos)).toBeCloseTo(60, 6);
      const g = core.bookGreeks();
      expect(g.net.delta).toBeCloseTo(0.35 * 100 * 3, 6);
      expect(g.positions[0]).toMatchObject({ occ: OCC_C, source: 'live' });
      // premium stop: 30 % below the premium paid (3.1 → 2.17); mark 2.05 → sell 3 at the bid
      core.options.applyQuotes([quote(OCC_C, 2.0, 2.1, 0.2, Date.now())], Date.now());
      await core.markOptions();
      await tickUntil(core, () => core.position(OCC_C) === 0, 'the premium stop closed the position');
      const exit = (await intents()).find((f) => f.purpose === 'exit')!;
      expect(exit).toMatchObject({ occ: OCC_C, side: 'sell', qty: '3', orderType: 'limit', limitPrice: '2' });
      expect(core.portfolio.realizedPnl).toBeCloseTo((2.0 - 3.1) * 3 * 100, 6);

      // A put bought later in the session is closed at the options cutoff (15:45 New York), never held into expiry.
      core.options.applyQuotes([quote(OCC_P, 1.0, 1.02, -0.3, Date.now())], Date.now());
      expect(await core.onSignal(signal(2, -1, 'P', 588))).toMatch(/^sent /);
      await tickUntil(core, () => core.position(OCC_P) > 0, 'the put filled');
      session.ms = Date.parse(`${DAY}T20:46:00Z`); // 15:46 New York
      core.options.applyQuotes([quote(OCC_P, 1.0, 1.02, -0.3, Date.now()), quote(OCC_C, 2.0, 2.1, 0.2, Date.now())], Date.now());
      await tickUntil(core, () => core.position(OCC_P) === 0, 'closed at the cutoff');
      expect((await intents()).some((f) => f.cid.startsWith('AT-20261207-eod-') && f.occ === OCC_P)).toBe(true);
      // and no new entry into a contract expiring today after the cutoff
      expect(await core.onSignal(signal(3, 1, 'C', 590))).toMatch(/^risk: option-cutoff:/);
    } finally {
      await stop({ core, broker });
    }
  }, 120_000);

  it('a signal that would breach the day\'s premium budget is refused with the reason', async () => {
    const session = { ms: Date.parse(`${DAY}T15:00:00Z`) };
    const { core, broker } = await engine(session);
    try {
      const QQQ = 'QQQ261207C00510000';
      const IWM = 'IWM261207C00225000';
      core.options.applyQuotes([quote(OCC_C, 2.4, 2.5, 0.3, Date.now()), quote(QQQ, 2.4, 2.5, 0.3, Date.now()), quote(IWM, 2.4, 2.5, 0.3, Date.now())], Date.now());
      // limit 2.48 (mid 2.45 + half the way to the ask, up to the tick): $1000 per trade buys 4 = $992, working
      expect(await core.onSignal(signal(1, 1, 'C', 590))).toMatch(/^sent /);
      expect(core.premiumSpent('20261207')).toBeCloseTo(992, 6);
      // the day's $1500 leaves $508: 2 contracts ($496)
      expect(await core.onSignal(signal(2, 1, 'C', 510, 'QQQ'))).toMatch(/^sent /);
      expect(core.premiumSpent('20261207')).toBeCloseTo(992 + 496, 6);
      const third = await core.onSignal(signal(3, 1, 'C', 225, 'IWM'));
      expect(third).toBe('risk: option-premium-day: day premium budget: $12.00 left of $1500, one contract costs $248.00');
      expect(core.risk.rejections['option-premium-day']).toBe(1);
      expect((await intents()).map((f) => f.occ)).toEqual([OCC_C, QQQ]);
      expect(core.journalIntentUs.count).toBe(2); // every acknowledged intent is timed (monitoring:execution:metrics)
      // a signal without a contract (signals found none eligible) is not traded as shares
      expect(await core.onSignal({ ...signal(4, 1, 'C', 590), option: undefined })).toMatch(/^no option contract chosen/);
    } finally {
      await stop({ core, broker });
    }
  }, 60_000);
  it('holdToExpiry: a 1DTE call survives a restart overnight, then settles at intrinsic × 100 at its expiry close; a restart after the settlement replays it', async () => {
    const NEXT = '2026-12-08';
    const OCC_1D = 'SPY261208C00590000';
    const session = { ms: Date.parse(`${DAY}T15:00:00Z`) };
    let { core, broker } = await engine(session, true);
    try {
      core.options.applyQuotes([quote(OCC_1D, 2.9, 3.1, 0.4, Date.now())], Date.now());
      expect(await core.onSignal({ ...signal(1, 1, 'C', 590), strategy: 2, option: { expiry: NEXT, right: 'C', strike: 590 } })).toMatch(/^sent /);
      await tickUntil(core, () => core.position(OCC_1D) === 3, 'the 1DTE call filled');
      const paid = core.portfolio.positions.get(OCC_1D)!.avgPrice;
      // overnight: the engine stops and starts again (the paper venue starts empty: the journal is the truth)
      await stop({ core, broker });
      session.ms = Date.parse(`${DAY}T23:30:00Z`); // 18:30 New York, the day before expiry
      ({ core, broker } = await engine(session, true));
      expect(core.position(OCC_1D)).toBe(3);
      core.onBook('SPY', 591.99, 592.01);
      await core.tick();
      await core.queue.idle();
      expect(core.position(OCC_1D)).toBe(3); // not expired yet: held overnight
      // the expiry close passes while the engine is down; on restart, settled once the underlying has a mark
      await stop({ core, broker });
      session.ms = Date.parse(`${NEXT}T21:05:00Z`); // 16:05 New York on the expiry date
      ({ core, broker } = await engine(session, true));
      expect(core.position(OCC_1D)).toBe(3);
      expect(core.counters.expiryAwaitingPrice).toBeGreaterThan(0); // no SPY mark yet: no settlement at a guess
      core.onBook('SPY', 593.49, 593.51);
      await core.tick();
      await core.queue.idle();
      expect(core.position(OCC_1D)).toBe(0);
      expect(core.counters.expirySettlements).toBe(1);
      const [exp] = await intents('expiry');
      expect(exp).toMatchObject({ symbol: OCC_1D, qty: '-3', price: '3.5', underlyingPrice: '593.5' });
      const realized = (3.5 - paid) * 3 * 100;
      expect(core.portfolio.realizedPnl).toBeCloseTo(realized, 6);
      // the settlement is journaled: a further restart neither settles again nor loses the P&L
      await stop({ core, broker });
      ({ core, broker } = await engine(session, true));
      core.onBook('SPY', 600, 600.02);
      await core.tick();
      await core.queue.idle();
      expect(core.position(OCC_1D)).toBe(0);
      expect(core.portfolio.realizedPnl).toBeCloseTo(realized, 6);
      expect((await intents('expiry')).length).toBe(1);
    } finally {
      await stop({ core, broker });
    }
  }, 120_000);

  it('an out-of-the-money put held to expiry expires worthless: the premium paid is the realised loss', async () => {
    const session = { ms: Date.parse(`${DAY}T15:00:00Z`) };
    const { core, broker } = await engine(session, true);
    try {
      core.options.applyQuotes([quote(OCC_P, 1.0, 1.02, -0.3, Date.now())], Date.now());
      expect(await core.onSignal(signal(1, -1, 'P', 588))).toMatch(/^sent /);
      await tickUntil(core, () => core.position(OCC_P) > 0, 'the put filled');
      const p = core.portfolio.positions.get(OCC_P)!;
      const [qty, paid] = [p.qty, p.avgPrice];
      core.onBook('SPY', 590, 590.02);
      session.ms = Date.parse(`${DAY}T20:50:00Z`); // 15:50: past the cutoff, but held (holdToExpiry)
      await core.tick();
      await core.queue.idle();
      expect(core.position(OCC_P)).toBe(qty);
      session.ms = Date.parse(`${DAY}T21:00:00Z`);
      await core.tick();
      await core.queue.idle();
      expect(core.position(OCC_P)).toBe(0);
      expect(core.portfolio.realizedPnl).toBeCloseTo(-paid * qty * 100, 6);
      expect((await intents('expiry'))[0]).toMatchObject({ symbol: OCC_P, price: '0' });
    } finally {
      await stop({ core, broker });
    }
  }, 60_000);
});
