/**
 * PaperBroker: fills against a supplied book with partial fills across levels and slippage, idempotent
 * per client order id, resting limits and stops, IOC, MOC, positions and executions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PaperBroker, type PaperBook } from '../../actors/execution/brokers/PaperBroker.js';
import { BrokerError, type BrokerEvent } from '../../actors/execution/brokers/types.js';
import { fillsOf, kinds, waitFor } from './helpers.js';

const brokers: PaperBroker[] = [];

function setup(books: Record<string, PaperBook>, extra: Partial<ConstructorParameters<typeof PaperBroker>[0]> = {}) {
  const b = new PaperBroker({ book: (s) => books[s], slippageBps: 0, sweepPenaltyBps: 10, pollMs: 5, ...extra });
  brokers.push(b);
  const events: BrokerEvent[] = [];
  b.onEvent((e) => events.push(e));
  return { b, events };
}

afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

describe('PaperBroker', () => {
  it('a market buy walks the asks: one execution per level, then fills beyond the book at a penalty', async () => {
    const books = { SPY: { bids: [[99.99, 100], [99.98, 200]] as [number, number][], asks: [[100.01, 100], [100.02, 200], [100.05, 300]] as [number, number][] } };
    const { b, events } = setup(books);
    await b.connect();
    await b.place({ clientOrderId: 'm1', symbol: 'SPY', side: 'buy', qty: 450, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, 'm1').includes('fill'), 'fill');
    expect(kinds(events, 'm1')).toEqual(['accepted', 'new', 'partial_fill', 'partial_fill', 'fill']);
    const f = fillsOf(events, 'm1');
    expect(f.map((x) => [x.price, x.qty, x.cumQty, x.leavesQty])).toEqual([
      [100.01, 100, 100, 350],
      [100.02, 200, 300, 150],
      [100.05, 150, 450, 0],
    ]);
    // Beyond the visible book: the worst level plus 10 bps.
    const big = 'm2';
    await b.place({ clientOrderId: big, symbol: 'SPY', side: 'sell', qty: 500, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, big).includes('fill'), 'sweep');
    const g = fillsOf(events, big);
    expect(g.map((x) => [x.price, x.qty])).toEqual([[99.99, 100], [99.98, 200], [Math.round(99.98 * (1 - 0.001) * 10_000) / 10_000, 200]]);
    const pos = await b.positions();
    expect(pos).toEqual([{ symbol: 'SPY', qty: -50, avgPrice: g[2].price }]);
    expect(new Set([...f, ...g].map((x) => x.execId)).size).toBe(6);
    expect((await b.fills()).length).toBe(6);
  });

  it('forgets the oldest finished orders and executions past its bounds; working orders and positions stay', async () => {
    const books = { SPY: { bids: [[99.99, 1e6]] as [number, number][], asks: [[100.01, 1e6]] as [number, number][] } };
    const { b, events } = setup(books, { keepFinishedOrders: 5, keepExecutions: 8 });
    await b.connect();
    await b.place({ clientOrderId: 'rest', symbol: 'SPY', side: 'buy', qty: 1, type: 'limit', limitPrice: 90, tif: 'gtc' }); // never marketable
    for (let i = 0; i < 30; i++) {
      await b.place({ clientOrderId: `m${i}`, symbol: 'SPY', side: 'buy', qty: 10, type: 'market', tif: 'day' });
      await waitFor(() => kinds(events, `m${i}`).includes('fill'), `fill m${i}`);
    }
    expect(await b.orderByClientId('m29')).toMatchObject({ status: 'filled', filledQty: 10 });
    expect(await b.orderByClientId('m0')).toBeNull(); // forgotten
    const kept = (await Promise.all(Array.from({ length: 30 }, (_, i) => b.orderByClientId(`m${i}`)))).filter((x) => x !== null).length;
    expect(kept).toBeGreaterThanOrEqual(5);
    expect(kept).toBeLessThanOrEqual(5 * 1.1 + 1);
    expect((await b.openOrders()).map((o) => o.clientOrderId)).toEqual(['rest']);
    const fills = await b.fills();
    expect(fills.length).toBeGreaterThanOrEqual(8);
    expect(fills.length).toBeLessThanOrEqual(8 * 1.1 + 1);
    expect(fills.at(-1)!.clientOrderId).toBe('m29'); // the newest kept
    const pos = await b.positions();
    expect(pos.map((p) => [p.symbol, p.qty])).toEqual([['SPY', 300]]); // every fill still counts
    expect(pos[0]!.avgPrice).toBeCloseTo(100.01, 9);
    expect(() => setup(books, { keepExecutions: 0 })).toThrow(/keepExecutions must be an integer ≥ 1/);
  });

  it('slippage moves every execution against the order, never through the limit', async () => {
    const books = { QQQ: { bids: [[400, 50]] as [number, number][], asks: [[400.1, 50], [400.2, 50]] as [number, number][] } };
    const { b, events } = setup(books, { slippageBps: 2 });
    await b.place({ clientOrderId: 'l1', symbol: 'QQQ', side: 'buy', qty: 80, type: 'limit', limitPrice: 400.2, tif: 'day' });
    await waitFor(() => kinds(events, 'l1').includes('fill'), 'fill');
    const f = fillsOf(events, 'l1');
    expect(f[0].price).toBe(Math.round(400.1 * 1.0002 * 10_000) / 10_000);
    expect(f[1].price).toBe(400.2); // 400.2 × 1.0002 would cross the limit: capped
    expect(f.map((x) => x.qty)).toEqual([50, 30]);
  });

  it('a limit rests for the rest, cannot take the same shares twice, fills when the book refreshes; cancel', async () => {
    const book = { bids: [[49.9, 100]] as [number, number][], asks: [[50, 100], [50.5, 100]] as [number, number][] };
    const { b, events } = setup({ X: book });
    await b.place({ clientOrderId: 'r1', symbol: 'X', side: 'buy', qty: 250, type: 'limit', limitPrice: 50, tif: 'gtc' });
    await waitFor(() => fillsOf(events, 'r1').length === 1, 'first fill');
    // Several polls later: still 100 filled (the level shows the same size: already taken).
    const polls = b.stats.eventsEmitted;
    b.poke();
    b.poke('X');
    expect(fillsOf(events, 'r1').map((x) => x.qty)).toEqual([100]);
    expect(b.stats.eventsEmitted).toBe(polls);
    expect((await b.openOrders()).map((o) => [o.clientOrderId, o.filledQty, o.status])).toEqual([['r1', 100, 'partially_filled']]);
    book.asks = [[50, 120], [50.5, 100]]; // new liquidity at the limit
    await waitFor(() => fillsOf(events, 'r1').length === 2, 'refill');
    expect(fillsOf(events, 'r1')[1]).toMatchObject({ qty: 120, cumQty: 220, leavesQty: 30, kind: 'partial_fill' });
    await b.cancel('r1');
    expect(kinds(events, 'r1').at(-1)).toBe('canceled');
    expect(await b.openOrders()).toEqual([]);
    expect(await b.orderByClientId('r1')).toMatchObject({ filledQty: 220, status: 'canceled', qty: 250 });
    expect(await b.orderByClientId('nope')).toBeNull();
  });

  it('idempotent per client order id: a repeated place is a no-op (even concurrent)', async () => {
    const { b, events } = setup({ SPY: { bids: [[99, 1000]], asks: [[101, 1000]] } });
    const o = { clientOrderId: 'dup', symbol: 'SPY', side: 'buy' as const, qty: 10, type: 'market' as const, tif: 'day' as const };
    await Promise.all([b.place(o), b.place(o), b.place(o)]);
    await waitFor(() => kinds(events, 'dup').includes('fill'), 'fill');
    await b.place(o);
    await new Promise((r) => setTimeout(r, 20));
    expect(kinds(events, 'dup')).toEqual(['accepted', 'new', 'fill']);
    expect(b.stats.duplicatesAvoided).toBe(3);
    expect((await b.positions())[0]).toEqual({ symbol: 'SPY', qty: 10, avgPrice: 101 });
  });

  it('IOC cancels the remainder; stops trigger; unknown symbols are rejected; expireDay', async () => {
    const book = { bids: [[10, 100]] as [number, number][], asks: [[10.02, 100]] as [number, number][] };
    const { b, events } = setup({ Y: book });
    await b.place({ clientOrderId: 'ioc', symbol: 'Y', side: 'buy', qty: 150, type: 'limit', limitPrice: 10.02, tif: 'ioc' });
    await waitFor(() => kinds(events, 'ioc').includes('canceled'), 'ioc cancel');
    expect(kinds(events, 'ioc')).toEqual(['accepted', 'new', 'partial_fill', 'canceled']);

    await b.place({ clientOrderId: 'stp', symbol: 'Y', side: 'sell', qty: 20, type: 'stop', stopPrice: 9.9, tif: 'day' });
    await waitFor(() => kinds(events, 'stp').includes('new'), 'stop new');
    b.poke();
    expect(fillsOf(events, 'stp')).toEqual([]);
    book.bids = [[9.88, 100]];
    await waitFor(() => kinds(events, 'stp').includes('fill'), 'stop fill');
    expect(fillsOf(events, 'stp')[0]).toMatchObject({ price: 9.88, qty: 20 });

    await b.place({ clientOrderId: 'nobook', symbol: 'ZZZ', side: 'buy', qty: 1, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, 'nobook').includes('rejected'), 'rejected');
    expect(events.find((e) => e.clientOrderId === 'nobook' && e.kind === 'rejected')).toMatchObject({ reason: 'no market data for ZZZ' });

    await b.place({ clientOrderId: 'day', symbol: 'Y', side: 'buy', qty: 5, type: 'limit', limitPrice: 1, tif: 'day' });
    await waitFor(() => kinds(events, 'day').includes('new'), 'day new');
    expect(b.expireDay()).toBe(1);
    expect(kinds(events, 'day').at(-1)).toBe('expired');
  });

  it('the close on the session clock: MOC/LOC fill once at the last mid before it, DAY/OPG leftovers expire, GTC stays', async () => {
    // A fake session clock (a pure function, as engine/clock is): 2025-01-02 is a regular day, close 16:00 New York = 21:00 UTC.
    let now = Date.UTC(2025, 0, 2, 20, 40);
    const book = { bids: [[10, 100]] as [number, number][], asks: [[10.02, 100]] as [number, number][] };
    const { b, events } = setup({ Y: book }, { nowMs: () => now });
    await b.place({ clientOrderId: 'moc', symbol: 'Y', side: 'buy', qty: 5, type: 'moc', tif: 'day' });
    await b.place({ clientOrderId: 'loc-hit', symbol: 'Y', side: 'sell', qty: 4, type: 'loc', limitPrice: 10.5, tif: 'day' });
    await b.place({ clientOrderId: 'loc-ok', symbol: 'Y', side: 'sell', qty: 3, type: 'loc', limitPrice: 10.2, tif: 'day' });
    await b.place({ clientOrderId: 'day', symbol: 'Y', side: 'buy', qty: 5, type: 'limit', limitPrice: 1, tif: 'day' });
    await b.place({ clientOrderId: 'opg', symbol: 'Y', side: 'buy', qty: 5, type: 'limit', limitPrice: 1, tif: 'opg' });
    await b.place({ clientOrderId: 'gtc', symbol: 'Y', side: 'buy', qty: 5, type: 'limit', limitPrice: 1, tif: 'gtc' });
    await waitFor(() => ['moc', 'loc-hit', 'loc-ok', 'day', 'opg', 'gtc'].every((c) => kinds(events, c).includes('new')), 'all new');
    b.poke();
    expect(fillsOf(events, 'moc')).toEqual([]); // not at mid before the close
    // The last book before the close sets the closing price …
    book.bids = [[10.3, 100]];
    book.asks = [[10.34, 100]];
    now = Date.UTC(2025, 0, 2, 20, 59, 59);
    b.poke();
    // … and the clock jumps past the close (the simulated session clock goes on to the next open) onto another book.
    book.bids = [[11, 100]];
    book.asks = [[11.02, 100]];
    now = Date.UTC(2025, 0, 3, 14, 30);
    b.poke();
    expect(fillsOf(events, 'moc')).toEqual([expect.objectContaining({ kind: 'fill', price: 10.32, qty: 5, cumQty: 5, leavesQty: 0 })]);
    expect(fillsOf(events, 'loc-ok')).toEqual([expect.objectContaining({ kind: 'fill', price: 10.32, qty: 3 })]);
    expect(kinds(events, 'loc-hit').at(-1)).toBe('canceled');
    expect(events.find((e) => e.clientOrderId === 'day' && e.kind === 'expired')).toMatchObject({ reason: 'DAY order expired at the close' });
    expect(kinds(events, 'opg').at(-1)).toBe('expired');
    expect(kinds(events, 'gtc')).toEqual(['accepted', 'new']);
    expect((await b.openOrders()).map((o) => o.clientOrderId)).toEqual(['gtc']);
  });

  it('early close: an order placed on an early-close day ends at 13:00 New York; sessionClose can be replaced', async () => {
    // 2025-11-28, the day after Thanksgiving: close 13:00 New York = 18:00 UTC.
    let now = Date.UTC(2025, 10, 28, 17, 0);
    const book = { bids: [[10, 100]] as [number, number][], asks: [[10.02, 100]] as [number, number][] };
    const { b, events } = setup({ Y: book }, { nowMs: () => now });
    await b.place({ clientOrderId: 'moc-early', symbol: 'Y', side: 'buy', qty: 2, type: 'moc', tif: 'day' });
    await waitFor(() => kinds(events, 'moc-early').includes('new'), 'new');
    now = Date.UTC(2025, 10, 28, 18, 0);
    b.poke();
    expect(fillsOf(events, 'moc-early')).toEqual([expect.objectContaining({ price: 10.01, qty: 2 })]);

    let t = 1_000;
    const custom = setup({ Y: book }, { nowMs: () => t, sessionClose: (n) => n + 500 });
    await custom.b.place({ clientOrderId: 'd', symbol: 'Y', side: 'buy', qty: 1, type: 'limit', limitPrice: 1, tif: 'day' });
    await waitFor(() => kinds(custom.events, 'd').includes('new'), 'new');
    t = 1_499;
    custom.b.poke();
    expect(kinds(custom.events, 'd')).toEqual(['accepted', 'new']);
    t = 1_500;
    custom.b.poke();
    expect(kinds(custom.events, 'd').at(-1)).toBe('expired');
  });

  it('ack and fill latency: a market order in fillSlices partial fills; cancelAll(prefix) spares foreign orders', async () => {
    const book = { bids: [[10, 1000]] as [number, number][], asks: [[10.02, 1000]] as [number, number][] };
    const { b, events } = setup({ Y: book }, { ackMs: 30, fillMs: 10, fillSlices: 4 });
    await b.place({ clientOrderId: 'AT-s', symbol: 'Y', side: 'buy', qty: 10, type: 'market', tif: 'day' });
    expect(kinds(events, 'AT-s')).toEqual([]); // not acknowledged yet
    expect((await b.orderByClientId('AT-s'))?.status).toBe('pending');
    await waitFor(() => kinds(events, 'AT-s').includes('fill'), 'fill');
    expect(kinds(events, 'AT-s')).toEqual(['accepted', 'new', 'partial_fill', 'partial_fill', 'partial_fill', 'fill']);
    expect(fillsOf(events, 'AT-s').map((f) => f.qty)).toEqual([3, 3, 3, 1]); // ⌈10 / 4⌉ whole shares a step
    await b.place({ clientOrderId: 'AT-r', symbol: 'Y', side: 'buy', qty: 1, type: 'limit', limitPrice: 1, tif: 'gtc' });
    await b.place({ clientOrderId: 'MINE', symbol: 'Y', side: 'buy', qty: 1, type: 'limit', limitPrice: 1, tif: 'gtc' });
    expect(await b.cancelAll('AT-')).toBe(1);
    await waitFor(() => kinds(events, 'AT-r').includes('canceled'), 'AT-r canceled');
    expect((await b.openOrders()).map((o) => o.clientOrderId)).toEqual(['MINE']);
    expect(() => new PaperBroker({ book: () => undefined, fillSlices: 0 })).toThrow(/fillSlices must be an integer ≥ 1/);
    expect(() => new PaperBroker({ book: () => undefined, ackMs: -1 })).toThrow(/ackMs must be a finite number ≥ 0/);
  });

  it('positions: average price, realised P&L on reduction, flip through zero; fills(since)', async () => {
    let t = 1_000;
    const book = { bids: [[20, 1000]] as [number, number][], asks: [[20, 1000]] as [number, number][] };
    const { b, events } = setup({ Z: book }, { nowMs: () => t });
    await b.place({ clientOrderId: 'a', symbol: 'Z', side: 'buy', qty: 100, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, 'a').includes('fill'), 'a');
    book.asks = [[22, 1000]];
    t = 2_000;
    await b.place({ clientOrderId: 'b', symbol: 'Z', side: 'buy', qty: 100, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, 'b').includes('fill'), 'b');
    expect((await b.positions())[0]).toEqual({ symbol: 'Z', qty: 200, avgPrice: 21 });
    book.bids = [[25, 1000]];
    t = 3_000;
    await b.place({ clientOrderId: 'c', symbol: 'Z', side: 'sell', qty: 300, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, 'c').includes('fill'), 'c');
    expect(b.realizedPnl('Z')).toBeCloseTo(200 * 4, 9);
    expect((await b.positions())[0]).toEqual({ symbol: 'Z', qty: -100, avgPrice: 25 });
    expect((await b.fills(2_000)).map((f) => f.clientOrderId)).toEqual(['b', 'c']);
  });

  it('bad input: a clear error and a counter, nothing placed', async () => {
    const { b } = setup({});
    const bad: unknown[] = [
      undefined,
      { clientOrderId: 'x', symbol: 'SPY', side: 'buy', qty: Number.NaN, type: 'market', tif: 'day' },
      { clientOrderId: 'x', symbol: 'SPY', side: 'short', qty: 1, type: 'market', tif: 'day' },
      { clientOrderId: 'x', symbol: 'SPY', side: 'buy', qty: 1, type: 'stop', tif: 'day' },
      { clientOrderId: 'x'.repeat(200), symbol: 'SPY', side: 'buy', qty: 1, type: 'market', tif: 'day' },
      { clientOrderId: 'x', symbol: '', side: 'buy', qty: 1, type: 'market', tif: 'day' },
      { clientOrderId: 'x', symbol: 'SPY', side: 'buy', qty: 1, type: 'market', tif: 'fok' },
    ];
    for (const o of bad) {
      const err = await b.place(o as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrokerError);
      expect((err as BrokerError).kind).toBe('input');
    }
    expect(b.stats.badInput).toBe(bad.length);
    expect(await b.orderByClientId('x')).toBeNull();
  });

  it('a throwing listener is counted and does not stop other listeners', async () => {
    const { b, events } = setup({ SPY: { bids: [[99, 10]], asks: [[101, 10]] } });
    b.onEvent(() => {
      throw new Error('listener bug');
    });
    const second: BrokerEvent[] = [];
    b.onEvent((e) => second.push(e));
    await b.place({ clientOrderId: 'l', symbol: 'SPY', side: 'buy', qty: 1, type: 'market', tif: 'day' });
    await waitFor(() => second.some((e) => e.kind === 'fill'), 'fill');
    expect(kinds(events, 'l')).toEqual(['accepted', 'new', 'fill']);
    expect(b.stats.listenerErrors).toBe(3);
  });
});
