/**
 * IBKR option orders through the real @stoqey/ib client against the TWS simulator: the OPT contract goes
 * out with its expiry (no getter lost), fills against the simulated option quote in whole contracts, and
 * openOrder / orderStatus / execDetails / position come back as the option instrument (unpadded OCC key,
 * per-share premium, avgPrice from IB's per-contract avgCost); cancel; the venue's refusals; and the
 * session close expiring contracts (ITM exercised into shares, OTM worthless).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IbkrBroker, optionOrderProblem } from '../../actors/execution/brokers/IbkrBroker.js';
import { BrokerError, type BrokerOrder } from '../../actors/execution/brokers/types.js';
import { option } from '../../analytics/instrument.js';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { OptionMarket } from '../../sim/options/OptionMarket.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { connectIbkr, fillsOf, kinds, waitFor } from './helpers.js';

const EXPIRY = '2026-12-07'; // a Monday
let now = Date.UTC(2026, 11, 7, 16, 0); // 11:00 New York on the expiry day
let spot = 590;
const model = new MarketModel({ seed: 5, symbols: [{ symbol: 'SPY', basePrice: 590, numRows: 5, level2: true }], startMs: Date.UTC(2026, 11, 7, 16, 0), eventsPerSecond: 50 });
const market = new OptionMarket({ seed: 42, rate: 0.045, dividendYield: () => 0.013, nowMs: () => now, spot: () => spot });
const sim = new TwsSimulator({ model, port: 0, tickMs: 5, options: market });
const brokers: IbkrBroker[] = [];
const call = (strike: number) => option('SPY', EXPIRY, 'C', strike);
const order = (coid: string, strike: number, o: Partial<BrokerOrder> = {}): BrokerOrder => {
  const i = call(strike);
  return { clientOrderId: coid, symbol: i.occ, instrument: i, side: 'buy', qty: 2, type: 'limit', tif: 'day', ...o };
};

const broker = async (clientId: number) => connectIbkr((await started).port, clientId, brokers);
let started: Promise<{ port: number }>;

beforeAll(() => {
  started = sim.start();
});
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});
afterAll(async () => {
  await sim.stop();
});

describe('IbkrBroker option orders against the TWS simulator', () => {
  it('a marketable limit buy: accepted → new → fill at the ask in contracts; the fill and the position carry the option instrument', async () => {
    const { b, events } = await broker(31);
    const q = market.quote('SPY', EXPIRY, 'call', 590)!;
    await b.place(order('opt-buy-1', 590, { limitPrice: q.ask }));
    await waitFor(() => kinds(events, 'opt-buy-1').includes('fill'), 'option fill');
    expect(kinds(events, 'opt-buy-1')).toEqual(['accepted', 'new', 'fill']);
    const [f] = fillsOf(events, 'opt-buy-1');
    expect(f).toMatchObject({ price: q.ask, qty: 2, cumQty: 2, leavesQty: 0 });

    const pos = (await b.positions()).find((p) => p.symbol === 'SPY261207C00590000')!;
    expect(pos).toMatchObject({ qty: 2, instrument: { kind: 'option', underlying: 'SPY', root: 'SPY', expiry: EXPIRY, right: 'C', strike: 590, multiplier: 100, occ: 'SPY261207C00590000' } });
    // IB reports avgCost per contract (premium × 100 plus commission): back to per-share premium
    expect(pos.avgPrice).toBeCloseTo(q.ask + Math.max(1, 2 * 0.65) / 2 / 100, 9);
    expect((await b.fills()).filter((x) => x.clientOrderId === 'opt-buy-1').map((x) => x.execId)).toEqual([f.execId]);
    const found = await b.orderByClientId('opt-buy-1');
    expect(found).toMatchObject({ symbol: 'SPY261207C00590000', instrument: { occ: 'SPY261207C00590000' }, filledQty: 2, status: 'Filled' });
    expect(sim.orders.optionPositions.get('SPY261207C00590000')?.contract).toMatchObject({ secType: 'OPT', lastTradeDateOrContractMonth: '20261207', localSymbol: 'SPY   261207C00590000', multiplier: '100' });
  });

  it('a resting limit: open orders list the option instrument; cancel ends it', async () => {
    const { b, events } = await broker(32);
    const q = market.quote('SPY', EXPIRY, 'call', 585)!;
    const px = Math.max(0.01, Math.round(q.bid * 50) / 100); // half the bid: never marketable
    await b.place(order('opt-rest-1', 585, { limitPrice: px }));
    await waitFor(() => kinds(events, 'opt-rest-1').includes('new'), 'working');
    const open = (await b.openOrders()).find((o) => o.clientOrderId === 'opt-rest-1')!;
    expect(open).toMatchObject({ symbol: 'SPY261207C00585000', instrument: { kind: 'option', strike: 585, right: 'C', expiry: EXPIRY }, qty: 2, filledQty: 0, side: 'buy' });
    await b.cancel('opt-rest-1');
    await waitFor(() => kinds(events, 'opt-rest-1').includes('canceled'), 'canceled');
    expect(kinds(events, 'opt-rest-1')).toEqual(['accepted', 'new', 'canceled']);
  });

  it('refusals: whole contracts and no MOC before sending; unlisted strike (200) and off-tick price (110) from the venue', async () => {
    const { b, events } = await broker(33);
    await expect(b.place(order('opt-frac', 590, { qty: 1.5, limitPrice: 1 }))).rejects.toMatchObject({ kind: 'input' });
    await expect(b.place(order('opt-moc', 590, { type: 'moc' }))).rejects.toBeInstanceOf(BrokerError);
    expect(optionOrderProblem({ ...order('x', 590, { limitPrice: 1 }), symbol: 'SPY' })).toMatch(/not the option's OCC symbol/);
    await b.place(order('opt-nodef', 592.5, { limitPrice: 1 }));
    await b.place(order('opt-tick', 590, { limitPrice: 1.234 }));
    await waitFor(() => kinds(events, 'opt-nodef').includes('rejected') && kinds(events, 'opt-tick').includes('rejected'), 'two rejections');
    const reason = (id: string) => (events.find((e) => e.clientOrderId === id && e.kind === 'rejected') as { reason?: string }).reason;
    expect(reason('opt-nodef')).toMatch(/^200: /);
    expect(reason('opt-tick')).toMatch(/^110: /);
  });

  it('a sell closes the position; at the expiry day\'s close an ITM call is exercised into shares and an OTM one leaves worthless', async () => {
    const { b, events } = await broker(34);
    const close = market.quote('SPY', EXPIRY, 'call', 590)!;
    const cashBefore = (await b.account()).cash;
    await b.place(order('opt-sell-1', 590, { side: 'sell', type: 'market' }));
    await waitFor(() => kinds(events, 'opt-sell-1').includes('fill'), 'closing fill');
    expect(fillsOf(events, 'opt-sell-1')[0]!.price).toBe(close.bid);
    // cash moves by premium × 100 per contract, less the commission ($0.65 a contract, $1 minimum)
    expect((await b.account()).cash - cashBefore).toBeCloseTo(close.bid * 100 * 2 - Math.max(1, 2 * 0.65), 1);
    expect((await b.positions()).some((p) => p.symbol === 'SPY261207C00590000')).toBe(false);

    await b.place(order('opt-itm', 585, { type: 'market', qty: 1 }));
    await b.place(order('opt-otm', 600, { type: 'market', qty: 3 }));
    await waitFor(() => kinds(events, 'opt-itm').includes('fill') && kinds(events, 'opt-otm').includes('fill'), 'both fills');
    const sharesBefore = (await b.positions()).find((p) => p.symbol === 'SPY')?.qty ?? 0;
    spot = 591; // the close: 585 C is $6 in the money, 600 C out of it
    now = Date.UTC(2026, 11, 7, 21, 0, 1); // 16:00:01 New York
    await waitFor(() => sim.orders.expiries.length >= 2, 'expiry at the close');
    const pos = await b.positions();
    expect(pos.filter((p) => p.instrument?.kind === 'option')).toEqual([]);
    expect(pos.find((p) => p.symbol === 'SPY')!.qty).toBe(sharesBefore + 100);
    expect(sim.orders.expiries.map((e) => [e.occ, e.qty, e.itm, e.shares])).toEqual(expect.arrayContaining([
      ['SPY261207C00585000', 1, true, 100],
      ['SPY261207C00600000', 3, false, 0],
    ]));
  });
});

describe('IbkrBroker option orders with venue latency on (the broker contract\'s conditions: ack 150 ms, fill 20 ms × 3 slices)', () => {
  const lat = new TwsSimulator({ model, port: 0, tickMs: 5, options: market, ackMs: 150, fillMs: 20, fillSlices: 3 });
  let latPort: number;
  beforeAll(async () => {
    ({ port: latPort } = await lat.start());
  });
  afterAll(async () => {
    await lat.stop();
  });
  const connect = (clientId: number) => connectIbkr(latPort, clientId, brokers, { reconnect: false });

  it('30 contracts at market: accepted → new → partial fills → fill, whole contracts, cumQty adding up; the position in contracts', async () => {
    now = Date.UTC(2026, 11, 8, 16, 0); // the next session, 11:00 New York (the 7 Dec contracts have expired)
    spot = 590;
    const i = option('SPY', '2026-12-09', 'C', 590);
    const { b, events } = await connect(41);
    await b.place({ clientOrderId: 'lat-opt-1', symbol: i.occ, instrument: i, side: 'buy', qty: 30, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, 'lat-opt-1').includes('fill'), 'fill', 30_000);
    const k = kinds(events, 'lat-opt-1');
    expect(k.slice(0, 2)).toEqual(['accepted', 'new']);
    const f = fillsOf(events, 'lat-opt-1');
    expect(f.length).toBeGreaterThanOrEqual(3);
    expect(f.every((x) => Number.isInteger(x.qty) && x.qty > 0)).toBe(true);
    expect(f.at(-1)).toMatchObject({ kind: 'fill', cumQty: 30, leavesQty: 0 });
    expect(f.slice(0, -1).every((x) => x.kind === 'partial_fill')).toBe(true);
    expect((await b.positions()).find((p) => p.symbol === i.occ)).toMatchObject({ qty: 30, instrument: { occ: i.occ } });
  });

  it('a cancel sent before the acknowledgement: canceled, never filled', async () => {
    const i = option('SPY', '2026-12-09', 'C', 585);
    const { b, events } = await connect(42);
    const placing = b.place({ clientOrderId: 'lat-opt-2', symbol: i.occ, instrument: i, side: 'buy', qty: 1, type: 'limit', limitPrice: 0.05, tif: 'day' });
    await b.cancel('lat-opt-2');
    await placing;
    await waitFor(() => kinds(events, 'lat-opt-2').includes('canceled'), 'canceled', 30_000);
    expect(fillsOf(events, 'lat-opt-2')).toEqual([]);
  });
});
