/**
 * Option contracts on the TWS simulator through the real @stoqey/ib client: contract details for a partial
 * OPT contract, live quotes with the model's option computation for one contract, the venue's errors for
 * contracts that are not listed — and the quotes agree with the Alpha Vantage simulator's chain for the
 * same contract (one option market for both venues).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventName, IBApi, Option, OptionType, SecType } from '@stoqey/ib';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { OptionMarket } from '../../sim/options/OptionMarket.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { buildChain } from '../../sim/alpha-vantage/chainModel.js';
import { waitFor } from '../helpers/redis.js';

// A fixed session instant (Monday 7 Dec 2026, 11:00 New York) and a fixed spot: quotes are deterministic.
const NOW = Date.UTC(2026, 11, 7, 16, 0);
const SPOT = 590;

describe('TWS simulator: option contracts', () => {
  const model = new MarketModel({ seed: 3, symbols: [{ symbol: 'SPY', basePrice: SPOT, numRows: 5, level2: true }], startMs: Date.now(), eventsPerSecond: 50 });
  const market = new OptionMarket({ seed: 42, rate: 0.045, dividendYield: () => 0.013, nowMs: () => NOW, spot: () => SPOT });
  const sim = new TwsSimulator({ model, options: market });
  let ib: IBApi;
  const details = new Map<number, { contract: Record<string, unknown>; [k: string]: unknown }[]>();
  const ended = new Set<number>();
  const prices: { reqId: number; field: number; value: number }[] = [];
  const computations: { reqId: number; field: number; iv?: number; delta?: number; price?: number; gamma?: number; vega?: number; theta?: number; und?: number }[] = [];
  const errors: { reqId: number; code: number }[] = [];

  beforeAll(async () => {
    const { port } = await sim.start();
    ib = new IBApi({ host: '127.0.0.1', port, clientId: 9 });
    ib.on(EventName.contractDetails, (reqId: number, d: { contract: Record<string, unknown> }) => {
      if (!details.has(reqId)) details.set(reqId, []);
      details.get(reqId)!.push(d as never);
    });
    ib.on(EventName.contractDetailsEnd, (reqId: number) => ended.add(reqId));
    ib.on(EventName.tickPrice, (reqId: number, field: number, value: number) => prices.push({ reqId, field, value }));
    ib.on(EventName.tickOptionComputation, (reqId: number, field: number, _attr: number, iv?: number, delta?: number, price?: number, _pv?: number, gamma?: number, vega?: number, theta?: number, und?: number) =>
      computations.push({ reqId, field, iv, delta, price, gamma, vega, theta, und }));
    ib.on(EventName.error, (_e: Error, code: number, reqId: number) => errors.push({ reqId, code }));
    const ready = new Promise<void>((r) => ib.once(EventName.nextValidId, () => r()));
    ib.connect();
    await ready;
  });
  afterAll(async () => {
    ib.disconnect();
    await sim.stop();
  });

  it('a partial OPT contract (underlying, expiry, right) lists every strike, with the OCC local symbol and multiplier 100', async () => {
    ib.reqContractDetails(1, { symbol: 'SPY', secType: SecType.OPT, lastTradeDateOrContractMonth: '20261207', right: OptionType.Call, exchange: 'SMART', currency: 'USD' });
    await waitFor(() => ended.has(1), 20_000, 'contract details end');
    const list = details.get(1)!;
    const chainCalls = buildChain({ symbol: 'SPY', spot: SPOT, nowMs: NOW, seed: 42, r: 0.045, q: 0.013, daily: true, quoteDate: '2026-12-07', sessionFraction: 0.1 })
      .filter((c) => c.expiration === '2026-12-07' && c.type === 'call');
    expect(list.length).toBe(chainCalls.length);
    const atm = list.find((d) => d.contract.strike === 590)!;
    expect(atm.contract).toMatchObject({ symbol: 'SPY', secType: 'OPT', lastTradeDateOrContractMonth: '20261207', right: 'C', multiplier: 100, localSymbol: 'SPY   261207C00590000', tradingClass: 'SPY' });
    expect(atm.contract.conId).toBeGreaterThan(0);
    expect(new Set(list.map((d) => d.contract.conId)).size).toBe(list.length);
  });

  it('market data on one contract: bid, ask and the model computation, equal to the Alpha Vantage chain\'s', async () => {
    ib.reqMktData(2, new Option('SPY', '20261207', 590, OptionType.Call), '', false, false);
    await waitFor(() => computations.some((c) => c.reqId === 2) && prices.some((p) => p.reqId === 2 && p.field === 2), 20_000, 'option ticks');
    const q = market.quote('SPY', '2026-12-07', 'call', 590)!;
    const bid = prices.find((p) => p.reqId === 2 && p.field === 1)!.value;
    const ask = prices.find((p) => p.reqId === 2 && p.field === 2)!.value;
    expect([bid, ask]).toEqual([q.bid, q.ask]);
    const c = computations.find((x) => x.reqId === 2)!;
    expect(c.field).toBe(13);
    expect(c.iv).toBeCloseTo(q.iv, 12);
    expect(c.delta).toBeCloseTo(q.delta, 12);
    expect(c.price).toBeCloseTo(q.mark, 12);
    expect(c.und).toBe(SPOT);
    // the AV simulator's chain (same seed, clock and spot) quotes the contract identically
    const av = buildChain({ symbol: 'SPY', spot: SPOT, nowMs: NOW, seed: 42, r: 0.045, q: 0.013, daily: true, quoteDate: '2026-12-07', sessionFraction: q.volume === 0 ? 0.02 : 1 })
      .find((x) => x.contractID === 'SPY261207C00590000')!;
    expect([av.bid, av.ask, av.iv, av.delta]).toEqual([q.bid, q.ask, q.iv, q.delta]);
  });

  it('a strike or expiry that is not listed, and a malformed right, get the venue\'s errors', async () => {
    ib.reqMktData(3, new Option('SPY', '20261207', 590.5, OptionType.Call), '', false, false);
    ib.reqMktData(4, new Option('SPY', '20261206', 590, OptionType.Call), '', false, false); // a Sunday
    ib.reqContractDetails(5, { symbol: 'XYZ', secType: SecType.OPT, exchange: 'SMART', currency: 'USD' });
    ib.reqMktData(6, { symbol: 'SPY', secType: SecType.OPT, lastTradeDateOrContractMonth: '20261207', strike: 590, right: 'X' as OptionType, exchange: 'SMART', currency: 'USD' }, '', false, false);
    await waitFor(() => [3, 4, 5, 6].every((id) => errors.some((e) => e.reqId === id)), 20_000, 'four errors');
    const code = (id: number) => errors.find((e) => e.reqId === id)!.code;
    expect([code(3), code(4), code(5), code(6)]).toEqual([200, 200, 200, 321]);
  });
});
