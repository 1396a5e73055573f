/**
 * AlpacaBroker end to end with the real @alpacahq/alpaca-trade-api v4 client against the loopback
 * Alpaca simulator: lifecycle events, positions, and no duplicate order after a 429, a timeout, a lost
 * answer, a 500, a restart (duplicate client order id) or a dropped stream.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaBroker } from '../../actors/execution/brokers/AlpacaBroker.js';
import { BrokerError, type BrokerEvent } from '../../actors/execution/brokers/types.js';
import { AlpacaSimulator } from '../../sim/alpaca/index.js';
import { fillsOf, KEY, kinds, SECRET, waitFor } from './helpers.js';

const SEED = 20_250_102;
let quotes: Record<string, { bid: number; ask: number }>;
let sim: AlpacaSimulator;
let urls: { baseUrl: string; streamUrl: string };
const brokers: AlpacaBroker[] = [];
let seq = 0;

function coid(tag: string): string {
  return `t-${SEED}-${tag}-${++seq}`;
}

/** Seeded LCG for back-off jitter, so retries are reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

async function broker(extra: Partial<ConstructorParameters<typeof AlpacaBroker>[0]> = {}): Promise<{ b: AlpacaBroker; events: BrokerEvent[]; logs: string[] }> {
  const logs: string[] = [];
  const log = {
    info: (o: object, m?: string) => logs.push(`${m} ${JSON.stringify(o)}`),
    warn: (o: object, m?: string) => logs.push(`${m} ${JSON.stringify(o)}`),
    error: (o: object, m?: string) => logs.push(`${m} ${JSON.stringify(o)}`),
  };
  const b = new AlpacaBroker({
    keyId: KEY, secret: SECRET, ...urls, timeoutMs: 2_000, backoffBaseMs: 20, maxBackoffMs: 200, streamReconnectMs: 50, random: lcg(SEED), log, ...extra,
  });
  brokers.push(b);
  const events: BrokerEvent[] = [];
  b.onEvent((e) => events.push(e));
  await b.connect();
  return { b, events, logs };
}

function simOrdersFor(c: string): Record<string, unknown>[] {
  return sim.orders().filter((o) => o.client_order_id === c);
}

beforeAll(async () => {
  console.log(`seed ${SEED}`);
  quotes = { SPY: { bid: 500, ask: 500.02 }, QQQ: { bid: 400, ask: 400.05 }, IWM: { bid: 200, ask: 200.01 } };
  sim = new AlpacaSimulator({ keyId: KEY, secret: SECRET, quote: (s) => quotes[s], fillDelayMs: 2, pollMs: 10, maxChunk: 100, startingCash: 1_000_000 });
  urls = await sim.start();
});

afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

afterAll(async () => {
  await sim.stop();
});

describe('AlpacaBroker against the Alpaca simulator (real SDK)', () => {
  it('a market order: accepted → new → partial fills → fill with the right qty and prices; positions right', async () => {
    const { b, events, logs } = await broker();
    const c = coid('mkt');
    await b.place({ clientOrderId: c, symbol: 'SPY', side: 'buy', qty: 250, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, c).includes('fill'), 'fill');
    expect(kinds(events, c)).toEqual(['accepted', 'new', 'partial_fill', 'partial_fill', 'fill']);
    const f = fillsOf(events, c);
    expect(f.map((x) => x.qty)).toEqual([100, 100, 50]);
    expect(f.map((x) => x.price)).toEqual([500.02, 500.03, 500.04]);
    expect(f.map((x) => x.cumQty)).toEqual([100, 200, 250]);
    expect(f.map((x) => x.leavesQty)).toEqual([150, 50, 0]);
    expect(new Set(f.map((x) => x.execId)).size).toBe(3);
    const brokerId = events.find((e) => e.clientOrderId === c && e.kind === 'accepted')!.brokerOrderId;
    expect(brokerId).toBe(simOrdersFor(c)[0].id);
    expect(events.filter((e) => e.clientOrderId === c).every((e) => e.brokerOrderId === brokerId)).toBe(true);

    const pos = await b.positions();
    const spy = pos.find((p) => p.symbol === 'SPY')!;
    expect(spy.qty).toBe(250);
    expect(spy.avgPrice).toBeCloseTo((100 * 500.02 + 100 * 500.03 + 50 * 500.04) / 250, 6);
    expect(await b.orderByClientId(c)).toMatchObject({ clientOrderId: c, symbol: 'SPY', side: 'buy', qty: 250, filledQty: 250, status: 'filled' });
    expect(await b.orderByClientId('never-placed')).toBeNull();

    const fl = (await b.fills()).filter((x) => x.clientOrderId === c);
    expect(fl.map((x) => x.execId).sort()).toEqual(f.map((x) => x.execId).sort());
    expect(fl.map((x) => x.qty)).toEqual([100, 100, 50]);
    // Credentials never reach the log.
    expect(logs.join('\n')).not.toContain(SECRET);
    expect(logs.join('\n')).not.toContain(KEY);

    // Sell it back: position closes.
    const s = coid('sell');
    await b.place({ clientOrderId: s, symbol: 'SPY', side: 'sell', qty: 250, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, s).includes('fill'), 'sell fill');
    expect((await b.positions()).find((p) => p.symbol === 'SPY')).toBeUndefined();
  });

  it('limit orders rest, show in openOrders, cancel by client order id; cancelAll(prefix); moc maps to market/cls', async () => {
    const { b, events } = await broker();
    const a = coid('lmt-a');
    const z = coid('lmt-z');
    await b.place({ clientOrderId: a, symbol: 'QQQ', side: 'buy', qty: 10, type: 'limit', limitPrice: 390, tif: 'day' });
    await b.place({ clientOrderId: z, symbol: 'QQQ', side: 'sell', qty: 5, type: 'limit', limitPrice: 420, tif: 'gtc' });
    await waitFor(() => kinds(events, a).includes('new') && kinds(events, z).includes('new'), 'both new');
    const open = await b.openOrders();
    expect(open.map((o) => o.clientOrderId)).toEqual(expect.arrayContaining([a, z]));
    expect(open.find((o) => o.clientOrderId === z)).toMatchObject({ side: 'sell', qty: 5, filledQty: 0, status: 'new', symbol: 'QQQ' });
    await b.cancel(a);
    await waitFor(() => kinds(events, a).includes('canceled'), 'canceled');
    await b.cancel(a); // already canceled: a no-op, not an error
    await b.cancel('unknown-order'); // unknown: ignored
    expect(await b.cancelAll(`t-${SEED}-lmt-`)).toBe(1); // z only: a is canceled already
    await waitFor(() => kinds(events, z).includes('canceled'), 'cancel all');
    expect((await b.openOrders()).filter((o) => o.clientOrderId === a || o.clientOrderId === z)).toEqual([]);

    const m = coid('moc');
    await b.place({ clientOrderId: m, symbol: 'IWM', side: 'buy', qty: 3, type: 'moc', tif: 'day' });
    expect(simOrdersFor(m)[0]).toMatchObject({ type: 'market', time_in_force: 'cls' });
    await waitFor(() => kinds(events, m).includes('new'), 'moc new');
    sim.runAuction('close', 'IWM');
    await waitFor(() => kinds(events, m).includes('fill'), 'moc fill');
    expect(fillsOf(events, m)[0]).toMatchObject({ qty: 3, price: 200.01 });
  });

  it('a 429 on place is retried with the same client order id (Retry-After honoured): exactly one order', async () => {
    const { b, events } = await broker();
    const c = coid('429');
    sim.failNext('429', { method: 'POST', path: '/v2/orders', retryAfterSec: 0.05 });
    sim.failNext('429', { method: 'POST', path: '/v2/orders', retryAfterSec: 0.05 });
    await b.place({ clientOrderId: c, symbol: 'SPY', side: 'buy', qty: 10, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, c).includes('fill'), 'fill');
    expect(b.stats.rateLimited).toBe(2);
    expect(simOrdersFor(c)).toHaveLength(1);
    expect(kinds(events, c)).toEqual(['accepted', 'new', 'fill']);
  });

  it('a timeout whose order landed: looked up by client order id, not sent again: exactly one order', async () => {
    const { b, events } = await broker({ timeoutMs: 300 });
    const c = coid('timeout');
    const dup422 = sim.stats().byStatus['422'] ?? 0;
    sim.failNext('timeout', { method: 'POST', path: '/v2/orders' });
    // …and the first lookup is throttled too: looked up again, still never re-sent.
    sim.failNext('429', { method: 'GET', path: '/v2/orders:by_client_order_id', retryAfterSec: 0.02 });
    await b.place({ clientOrderId: c, symbol: 'SPY', side: 'buy', qty: 120, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, c).includes('fill'), 'fill');
    expect(b.stats.timeouts).toBeGreaterThanOrEqual(1);
    expect(simOrdersFor(c)).toHaveLength(1);
    expect(kinds(events, c)).toEqual(['accepted', 'new', 'partial_fill', 'fill']);
    expect(sim.stats().byStatus['422'] ?? 0).toBe(dup422); // never even tried a second POST
  });

  it('a timeout whose request was lost, and a 500: re-sent after a 404 lookup: exactly one order each', async () => {
    const { b, events } = await broker({ timeoutMs: 300 });
    const c = coid('hang');
    sim.failNext('hang', { method: 'POST', path: '/v2/orders' });
    await b.place({ clientOrderId: c, symbol: 'SPY', side: 'buy', qty: 10, type: 'market', tif: 'day' });
    const d = coid('500');
    sim.failNext('500', { method: 'POST', path: '/v2/orders' });
    await b.place({ clientOrderId: d, symbol: 'SPY', side: 'buy', qty: 10, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, c).includes('fill') && kinds(events, d).includes('fill'), 'fills');
    expect(simOrdersFor(c)).toHaveLength(1);
    expect(simOrdersFor(d)).toHaveLength(1);
    expect(kinds(events, c)).toEqual(['accepted', 'new', 'fill']);
    expect(kinds(events, d)).toEqual(['accepted', 'new', 'fill']);
  });

  it('when no attempt can be confirmed, place() fails as ambiguous; nothing exists; a later place creates exactly one', async () => {
    const { b, events } = await broker({ timeoutMs: 200, maxAttempts: 2 });
    const c = coid('ambiguous');
    sim.failNext('hang', { method: 'POST', path: '/v2/orders' });
    sim.failNext('hang', { method: 'POST', path: '/v2/orders' });
    const err = await b.place({ clientOrderId: c, symbol: 'SPY', side: 'buy', qty: 5, type: 'market', tif: 'day' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).kind).toBe('ambiguous');
    expect((err as BrokerError).clientOrderId).toBe(c);
    expect(await b.orderByClientId(c)).toBeNull();
    expect(simOrdersFor(c)).toHaveLength(0);
    await b.place({ clientOrderId: c, symbol: 'SPY', side: 'buy', qty: 5, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, c).includes('fill'), 'fill');
    expect(simOrdersFor(c)).toHaveLength(1);
    expect(kinds(events, c)).toEqual(['accepted', 'new', 'fill']);
  });

  it('a restart re-placing the same client order id: the 422 duplicate counts as success, no second order', async () => {
    const first = await broker();
    const c = coid('restart');
    await first.b.place({ clientOrderId: c, symbol: 'QQQ', side: 'buy', qty: 1, type: 'limit', limitPrice: 300, tif: 'day' });
    await first.b.close();
    const second = await broker();
    await second.b.place({ clientOrderId: c, symbol: 'QQQ', side: 'buy', qty: 1, type: 'limit', limitPrice: 300, tif: 'day' });
    await second.b.place({ clientOrderId: c, symbol: 'QQQ', side: 'buy', qty: 1, type: 'limit', limitPrice: 300, tif: 'day' });
    expect(simOrdersFor(c)).toHaveLength(1);
    expect(second.events.filter((e) => e.clientOrderId === c && e.kind === 'accepted')).toHaveLength(1);
    expect(second.b.stats.duplicatesAvoided).toBeGreaterThanOrEqual(2);
    expect((await second.b.orderByClientId(c))?.brokerOrderId).toBe(simOrdersFor(c)[0].id);
    // Concurrent places of one id share the attempt.
    const e = coid('concurrent');
    await Promise.all([1, 2, 3].map(() => second.b.place({ clientOrderId: e, symbol: 'QQQ', side: 'buy', qty: 1, type: 'limit', limitPrice: 300, tif: 'day' })));
    expect(simOrdersFor(e)).toHaveLength(1);
    await second.b.cancelAll(`t-${SEED}-`);
  });

  it('refusals become rejected events: 403 buying power, 422 invalid, asynchronous reject; bad input throws', async () => {
    const { b, events } = await broker();
    const big = coid('bp');
    await b.place({ clientOrderId: big, symbol: 'SPY', side: 'buy', qty: 1_000_000, type: 'market', tif: 'day' });
    expect(events.find((e) => e.clientOrderId === big)).toMatchObject({ kind: 'rejected' });
    expect((events.find((e) => e.clientOrderId === big) as { reason: string }).reason).toMatch(/403 40310000: insufficient buying power/);
    const unknown = coid('asset');
    await b.place({ clientOrderId: unknown, symbol: 'NOPE', side: 'buy', qty: 1, type: 'market', tif: 'day' });
    expect((events.find((e) => e.clientOrderId === unknown) as { reason: string }).reason).toMatch(/422 40010001: asset "NOPE" not found/);
    const forced = coid('forced403');
    sim.failNext('403', { method: 'POST' });
    await b.place({ clientOrderId: forced, symbol: 'SPY', side: 'buy', qty: 1, type: 'market', tif: 'day' });
    expect(kinds(events, forced)).toEqual(['rejected']);
    expect(simOrdersFor(forced)).toHaveLength(0);
    const asyncRej = coid('async');
    sim.failNext('reject');
    await b.place({ clientOrderId: asyncRej, symbol: 'SPY', side: 'buy', qty: 1, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, asyncRej).includes('rejected'), 'async reject');
    expect(kinds(events, asyncRej)).toEqual(['accepted', 'rejected']);
    expect(b.stats.rejected).toBe(3);

    const before = b.stats.badInput;
    await expect(b.place({ clientOrderId: '', symbol: 'SPY', side: 'buy', qty: 1, type: 'market', tif: 'day' })).rejects.toBeInstanceOf(BrokerError);
    await expect(b.place({ clientOrderId: coid('neg'), symbol: 'SPY', side: 'buy', qty: -5, type: 'market', tif: 'day' })).rejects.toThrow(/qty must be a positive/);
    await expect(b.place({ clientOrderId: coid('nolimit'), symbol: 'SPY', side: 'buy', qty: 5, type: 'limit', tif: 'day' })).rejects.toThrow(/limitPrice is required/);
    await expect(b.place(null as never)).rejects.toThrow(/order must be an object/);
    expect(b.stats.badInput).toBe(before + 4);
  });

  it('a dropped stream loses events; after the reconnect the broker catches up over REST, each event once', async () => {
    const { b, events } = await broker();
    const c = coid('drop');
    sim.failNext('drop-stream');
    await b.place({ clientOrderId: c, symbol: 'IWM', side: 'buy', qty: 150, type: 'market', tif: 'day' });
    await waitFor(() => kinds(events, c).includes('fill'), 'fill after catch-up');
    expect(sim.stats().streamEventsLost).toBeGreaterThanOrEqual(1);
    expect(b.stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(kinds(events, c)).toEqual(['accepted', 'new', 'partial_fill', 'fill']);
    expect(fillsOf(events, c).map((f) => [f.qty, f.price, f.cumQty])).toEqual([[100, 200.01, 100], [50, 200.02, 150]]);
    expect(simOrdersFor(c)).toHaveLength(1);
  });

  it('wrong credentials fail connect() with an auth error', async () => {
    const b = new AlpacaBroker({ keyId: 'bad', secret: 'bad', ...urls, timeoutMs: 2_000 });
    await expect(b.connect()).rejects.toMatchObject({ name: 'BrokerError', kind: 'auth' });
    await b.close();
  });
});
