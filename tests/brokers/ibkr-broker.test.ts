/**
 * IbkrBroker with the real @stoqey/ib IBApi against the TWS simulator (sim/tws): orderRef = client
 * order id, transmit:true, orderStatus/execDetails/openOrder mapped to broker events, and after a
 * restart the orderId ↔ client order id map rebuilt from OPEN_ORDER / EXECUTION_DATA orderRef.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IbkrBroker, parseIbTime } from '../../actors/execution/brokers/IbkrBroker.js';
import { BrokerError } from '../../actors/execution/brokers/types.js';
import { MarketModel, type SymbolSpec } from '../../sim/market/MarketModel.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { connectIbkr, fillsOf, kinds, waitFor } from './helpers.js';

const SEED = 90_210;
const SYMBOLS: SymbolSpec[] = [
  { symbol: 'SPY', basePrice: 500, numRows: 10, level2: true },
  { symbol: 'QQQ', basePrice: 430, numRows: 8, level2: true },
];
let model: MarketModel;
let sim: TwsSimulator;
let port: number;
const brokers: IbkrBroker[] = [];

const broker = (clientId: number) => connectIbkr(port, clientId, brokers);

beforeAll(async () => {
  console.log(`seed ${SEED}`);
  model = new MarketModel({ seed: SEED, symbols: SYMBOLS, startMs: Date.UTC(2025, 0, 2, 14, 30), eventsPerSecond: 200 });
  sim = new TwsSimulator({ model, port: 0, tickMs: 5 });
  ({ port } = await sim.start());
  // A still book: fills are then exactly predictable from the snapshot.
  sim.pauseFeed(true);
});

afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

afterAll(async () => {
  await sim.stop();
});

describe('IbkrBroker against the TWS simulator (real IBApi)', () => {
  it('market order across two levels: accepted → new → partial_fill → fill; positions; transmit set; fills() once per execId', async () => {
    const { b, events } = await broker(21);
    const asks = model.snapshot(0).asks;
    const qty = asks[0][1] + Math.max(1, Math.floor(asks[1][1] / 2));
    await b.place({ clientOrderId: 'ib-mkt-1', symbol: 'SPY', side: 'buy', qty, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, 'ib-mkt-1').includes('fill'), 'fill');
    expect(kinds(events, 'ib-mkt-1')).toEqual(['accepted', 'new', 'partial_fill', 'fill']);
    const f = fillsOf(events, 'ib-mkt-1');
    expect(f.map((x) => x.price)).toEqual([asks[0][0], asks[1][0]]);
    expect(f.map((x) => x.qty)).toEqual([asks[0][1], qty - asks[0][1]]);
    expect(f.map((x) => x.cumQty)).toEqual([asks[0][1], qty]);
    expect(f.at(-1)!.leavesQty).toBe(0);
    expect(f.every((x) => x.brokerOrderId === f[0].brokerOrderId)).toBe(true);
    expect(sim.stats().orders.untransmitted).toBe(0);

    const pos = await b.positions();
    const spy = pos.find((p) => p.symbol === 'SPY')!;
    expect(spy.qty).toBe(qty);
    expect(spy.avgPrice).toBeCloseTo((asks[0][0] * asks[0][1] + asks[1][0] * (qty - asks[0][1])) / qty, 6);

    const fl = (await b.fills()).filter((x) => x.clientOrderId === 'ib-mkt-1');
    expect(fl.map((x) => x.execId).sort()).toEqual(f.map((x) => x.execId).sort());
    expect(fl.every((x) => Number.isFinite(x.ts) && x.ts > Date.UTC(2020, 0, 1))).toBe(true);

    // Placing the same client order id again is a no-op.
    const placed = sim.stats().orders.placed;
    await b.place({ clientOrderId: 'ib-mkt-1', symbol: 'SPY', side: 'buy', qty, type: 'market', tif: 'day' });
    expect(sim.stats().orders.placed).toBe(placed);
    expect(b.stats.duplicatesAvoided).toBe(1);
  });

  it('a restart recovers orderId ↔ client order id from orderRef: open order found, no re-placement, cancel works; filled order found from executions', async () => {
    const first = await broker(22);
    const bids = model.snapshot(1).bids;
    const px = Math.round((bids[bids.length - 1][0] - 5) * 100) / 100;
    await first.b.place({ clientOrderId: 'ib-rest-1', symbol: 'QQQ', side: 'buy', qty: 7, type: 'limit', limitPrice: px, tif: 'gtc' });
    await waitFor(() => kinds(first.events, 'ib-rest-1').includes('new'), 'new');
    const asks = model.snapshot(1).asks;
    await first.b.place({ clientOrderId: 'ib-filled-1', symbol: 'QQQ', side: 'buy', qty: 1, type: 'limit', limitPrice: asks[0][0], tif: 'day' });
    await waitFor(() => kinds(first.events, 'ib-filled-1').includes('fill'), 'fill');
    const open1 = await first.b.openOrders();
    expect(open1.find((o) => o.clientOrderId === 'ib-rest-1')).toMatchObject({ symbol: 'QQQ', side: 'buy', qty: 7, filledQty: 0, status: 'Submitted' });
    const brokerId = open1.find((o) => o.clientOrderId === 'ib-rest-1')!.brokerOrderId;
    await first.b.close();

    // "Crash" and restart with the same client id.
    const placed = sim.stats().orders.placed;
    const second = await broker(22);
    expect(await second.b.orderByClientId('ib-rest-1')).toMatchObject({ brokerOrderId: brokerId, qty: 7, status: 'Submitted' });
    expect(await second.b.orderByClientId('ib-filled-1')).toMatchObject({ qty: 1, filledQty: 1, status: 'Filled', symbol: 'QQQ' });
    expect(await second.b.orderByClientId('never')).toBeNull();
    await second.b.place({ clientOrderId: 'ib-rest-1', symbol: 'QQQ', side: 'buy', qty: 7, type: 'limit', limitPrice: px, tif: 'gtc' });
    await second.b.place({ clientOrderId: 'ib-filled-1', symbol: 'QQQ', side: 'buy', qty: 1, type: 'limit', limitPrice: asks[0][0], tif: 'day' });
    expect(sim.stats().orders.placed).toBe(placed);
    // History before the restart is not replayed as live events.
    expect(second.events).toEqual([]);
    await second.b.cancel('ib-rest-1');
    await waitFor(() => kinds(second.events, 'ib-rest-1').includes('canceled'), 'canceled after restart');
    expect(second.events.filter((e) => e.kind === 'canceled')).toHaveLength(1);
    expect((await second.b.openOrders()).find((o) => o.clientOrderId === 'ib-rest-1')).toBeUndefined();
    const fills = await second.b.fills();
    expect(fills.filter((x) => x.clientOrderId === 'ib-filled-1')).toHaveLength(1);
  });

  it('rejections carry the reason (MOC unsupported by the simulator: 201); cancelAll(prefix); bad input; not connected', async () => {
    const { b, events } = await broker(23);
    await b.place({ clientOrderId: 'ib-moc', symbol: 'SPY', side: 'sell', qty: 5, type: 'moc', tif: 'day' });
    await waitFor(() => kinds(events, 'ib-moc').includes('rejected'), 'rejected');
    const rej = events.find((e) => e.clientOrderId === 'ib-moc' && e.kind === 'rejected') as { reason?: string };
    expect(rej.reason).toMatch(/^201: Order rejected/);
    await b.place({ clientOrderId: 'ib-unknown-sym', symbol: 'ZZZZ', side: 'buy', qty: 1, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, 'ib-unknown-sym').includes('rejected'), 'no security definition');

    const bids = model.snapshot(0).bids;
    const low = Math.round((bids[bids.length - 1][0] - 10) * 100) / 100;
    await b.place({ clientOrderId: 'ib-ga-1', symbol: 'SPY', side: 'buy', qty: 1, type: 'limit', limitPrice: low, tif: 'day' });
    await b.place({ clientOrderId: 'ib-ga-2', symbol: 'SPY', side: 'buy', qty: 2, type: 'stop_limit', stopPrice: low + 50, limitPrice: low + 51, tif: 'day' });
    await waitFor(() => kinds(events, 'ib-ga-1').includes('new') && kinds(events, 'ib-ga-2').includes('new'), 'working');
    expect(await b.cancelAll('ib-ga-')).toBe(2);
    await waitFor(() => kinds(events, 'ib-ga-1').includes('canceled') && kinds(events, 'ib-ga-2').includes('canceled'), 'cancel all, one by one');
    expect(await b.openOrders()).toEqual([]);

    await expect(b.place({ clientOrderId: 'x', symbol: 'SPY', side: 'buy', qty: 0, type: 'market', tif: 'day' })).rejects.toMatchObject({ kind: 'input' });
    expect(b.stats.badInput).toBe(1);
    const off = new IbkrBroker({ host: '127.0.0.1', port, clientId: 99 });
    await expect(off.place({ clientOrderId: 'y', symbol: 'SPY', side: 'buy', qty: 1, type: 'market', tif: 'day' })).rejects.toBeInstanceOf(BrokerError);
    await off.close();
  });

  it('a dropped socket: reconnects with back-off, re-reads state, keeps trading on fresh order ids', async () => {
    const { b, events } = await broker(24);
    const bids = model.snapshot(0).bids;
    const low = Math.round((bids[bids.length - 1][0] - 10) * 100) / 100;
    await b.place({ clientOrderId: 'ib-drop-rest', symbol: 'SPY', side: 'buy', qty: 3, type: 'limit', limitPrice: low, tif: 'day' });
    await waitFor(() => kinds(events, 'ib-drop-rest').includes('new'), 'new');
    expect(sim.dropConnections()).toBeGreaterThanOrEqual(1);
    await waitFor(() => b.stats.reconnects >= 1 && b.isConnected(), 'reconnected');
    const asks = model.snapshot(0).asks;
    await b.place({ clientOrderId: 'ib-after-drop', symbol: 'SPY', side: 'buy', qty: 1, type: 'limit', limitPrice: asks[0][0], tif: 'day' });
    await waitFor(() => kinds(events, 'ib-after-drop').includes('fill'), 'fill after reconnect');
    const ids = new Set(events.filter((e) => e.kind === 'accepted').map((e) => e.brokerOrderId));
    expect(ids.size).toBe(2);
    await b.cancel('ib-drop-rest');
    await waitFor(() => kinds(events, 'ib-drop-rest').includes('canceled'), 'cancel after reconnect');
    expect(kinds(events, 'ib-drop-rest')).toEqual(['accepted', 'new', 'canceled']);
  });

  it('connect fails clearly when the client id is taken or nobody listens', async () => {
    await broker(25);
    const dup = new IbkrBroker({ host: '127.0.0.1', port, clientId: 25, connectTimeoutMs: 3_000, reconnect: false });
    await expect(dup.connect()).rejects.toThrow(/client id 25 is already in use|connection closed/);
    await dup.close();
    const none = new IbkrBroker({ host: '127.0.0.1', port: 1, clientId: 26, connectTimeoutMs: 3_000, reconnect: false });
    await expect(none.connect()).rejects.toMatchObject({ kind: 'unavailable' });
    await none.close();
  });

  it('parses TWS execution times (US/Eastern and UTC forms)', () => {
    expect(parseIbTime('20250102 09:30:05 US/Eastern', 0)).toBe(Date.UTC(2025, 0, 2, 14, 30, 5));
    expect(parseIbTime('20250702 09:30:05 America/New_York', 0)).toBe(Date.UTC(2025, 6, 2, 13, 30, 5));
    expect(parseIbTime('20250102-14:30:05', 0)).toBe(Date.UTC(2025, 0, 2, 14, 30, 5));
    expect(parseIbTime('garbage', 7)).toBe(7);
    expect(parseIbTime(undefined, 8)).toBe(8);
  });
});
