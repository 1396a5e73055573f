/**
 * The Alpaca simulator on the wire (plain fetch and a raw ws client): shapes and status codes of
 * protocols.md C1/C2 — 200, 204, 207, 401, 403, 404, 422 (invalid, duplicate even after a cancel),
 * 429 with X-RateLimit-* and Retry-After; the trade_updates stream in binary frames for every transition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AlpacaSimulator } from '../../sim/alpaca/index.js';
import { KEY, SECRET, waitFor } from './helpers.js';

const RUN = 7_341; // client order ids only; nothing here is random
let sim: AlpacaSimulator;
let base: string;
let streamUrl: string;
const quotes: Record<string, { bid: number; ask: number; bidSize?: number; askSize?: number }> = {
  SPY: { bid: 500, ask: 500.02 },
  AAPL: { bid: 190.1, ask: 190.12, bidSize: 40, askSize: 30 },
};
let seq = 0;
const coid = (t: string) => `sim-${RUN}-${t}-${++seq}`;

const AUTH = { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET };

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers, text };
}

const RFC3339_NS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
const RFC3339_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const ORDER_FIELDS = [
  'id', 'client_order_id', 'created_at', 'updated_at', 'submitted_at', 'filled_at', 'expired_at', 'canceled_at', 'failed_at',
  'replaced_at', 'replaced_by', 'replaces', 'asset_id', 'symbol', 'asset_class', 'notional', 'qty', 'filled_qty',
  'filled_avg_price', 'order_class', 'order_type', 'type', 'side', 'position_intent', 'time_in_force', 'limit_price',
  'stop_price', 'status', 'extended_hours', 'legs', 'trail_percent', 'trail_price', 'hwm',
];

function expectOrderShape(o: Record<string, unknown>): void {
  for (const f of ORDER_FIELDS) expect(o, `field ${f}`).toHaveProperty(f);
  for (const f of ['created_at', 'updated_at', 'submitted_at']) expect(o[f]).toMatch(RFC3339_NS);
  for (const f of ['filled_at', 'expired_at', 'canceled_at', 'failed_at', 'replaced_at']) if (o[f] !== null) expect(o[f]).toMatch(RFC3339_NS);
  for (const f of ['qty', 'notional', 'filled_qty', 'filled_avg_price', 'limit_price', 'stop_price']) {
    if (o[f] !== null) expect(typeof o[f] === 'string' && DECIMAL.test(o[f] as string), `${f}=${JSON.stringify(o[f])}`).toBe(true);
  }
  expect(o.asset_class).toBe('us_equity');
  expect(o.order_class).toBe('');
  expect(o.legs).toBeNull();
  expect(o.id).toMatch(/^[0-9a-f-]{36}$/);
}

beforeAll(async () => {
  // Simulated session time: 2025-01-02 10:00 New York, advancing with the wall clock.
  const t0 = Date.now();
  sim = new AlpacaSimulator({ keyId: KEY, secret: SECRET, quote: (s) => quotes[s], fillDelayMs: 1, pollMs: 5, nowMs: () => Date.UTC(2025, 0, 2, 15, 0) + (Date.now() - t0) });
  ({ baseUrl: base, streamUrl } = await sim.start());
});

afterAll(async () => {
  await sim.stop();
});

/** A raw stream client: records decoded frames and whether each was binary. */
async function streamClient(key = KEY, secret = SECRET): Promise<{ ws: WebSocket; frames: { binary: boolean; msg: any }[] }> {
  const ws = new WebSocket(streamUrl);
  const frames: { binary: boolean; msg: any }[] = [];
  ws.on('message', (data, isBinary) => frames.push({ binary: isBinary, msg: JSON.parse(data.toString()) }));
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  ws.send(JSON.stringify({ action: 'authenticate', data: { key_id: key, secret_key: secret } }));
  await waitFor(() => frames.length >= 1, 'authorization');
  return { ws, frames };
}

describe('Alpaca simulator REST v2', () => {
  it('401 {"message":"unauthorized"} without or with wrong keys', async () => {
    for (const h of [{}, { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': 'wrong' }, { 'APCA-API-KEY-ID': 'x', 'APCA-API-SECRET-KEY': SECRET }]) {
      const r = await call('GET', '/v2/account', undefined, h as Record<string, string>);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ message: 'unauthorized' });
    }
  });

  it('POST /v2/orders → 200 + a full Order (accepted), string or numeric amounts; GET by id and by client order id', async () => {
    const c = coid('post');
    const r = await call('POST', '/v2/orders', { symbol: 'SPY', qty: 3, side: 'buy', type: 'limit', limit_price: 499, time_in_force: 'day', client_order_id: c });
    expect(r.status).toBe(200);
    expectOrderShape(r.body);
    expect(r.body).toMatchObject({ client_order_id: c, symbol: 'SPY', qty: '3', filled_qty: '0', filled_avg_price: null, type: 'limit', order_type: 'limit', side: 'buy', time_in_force: 'day', limit_price: '499', stop_price: null, status: 'accepted', notional: null, extended_hours: false, position_intent: 'buy_to_open', filled_at: null, canceled_at: null });
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    const s = await call('POST', '/v2/orders', { symbol: 'SPY', qty: '2.5', side: 'sell', type: 'limit', limit_price: '510.5', time_in_force: 'gtc', client_order_id: coid('str') });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ qty: '2.5', limit_price: '510.5', time_in_force: 'gtc', position_intent: 'sell_to_open' });
    const g = await call('GET', `/v2/orders/${r.body.id}`);
    expect(g.status).toBe(200);
    expect(g.body.id).toBe(r.body.id);
    const bc = await call('GET', `/v2/orders:by_client_order_id?client_order_id=${encodeURIComponent(c)}`);
    expect(bc.status).toBe(200);
    expect(bc.body.id).toBe(r.body.id);
    expectOrderShape(bc.body);
    // A generated client order id when none is given.
    const gen = await call('POST', '/v2/orders', { symbol: 'SPY', qty: 1, side: 'buy', type: 'limit', limit_price: 1, time_in_force: 'day' });
    expect(gen.body.client_order_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('DELETE', '/v2/orders')).status).toBe(207);
  });

  it('404 for unknown order ids, client order ids, positions and endpoints', async () => {
    for (const p of ['/v2/orders/00000000-0000-4000-8000-000000000000', '/v2/orders:by_client_order_id?client_order_id=nope', '/v2/positions/ZZZZ', '/v2/nothing']) {
      const r = await call('GET', p);
      expect(r.status, p).toBe(404);
      expect(r.body.code).toBe(40410000);
      expect(typeof r.body.message).toBe('string');
    }
    const d = await call('DELETE', '/v2/orders/00000000-0000-4000-8000-000000000000');
    expect(d.status).toBe(404);
  });

  it('422 40010001 for invalid input; a duplicate client_order_id is refused even after a cancel; 400 for bad JSON', async () => {
    const bad: Record<string, unknown>[] = [
      { qty: 1, side: 'buy', type: 'market', time_in_force: 'day' }, // no symbol
      { symbol: 'SPY', side: 'buy', type: 'market', time_in_force: 'day' }, // no qty/notional
      { symbol: 'SPY', qty: 1, notional: 100, side: 'buy', type: 'market', time_in_force: 'day' }, // both
      { symbol: 'SPY', qty: -1, side: 'buy', type: 'market', time_in_force: 'day' },
      { symbol: 'SPY', qty: 'abc', side: 'buy', type: 'market', time_in_force: 'day' },
      { symbol: 'SPY', qty: 1, side: 'hold', type: 'market', time_in_force: 'day' },
      { symbol: 'SPY', qty: 1, side: 'buy', type: 'iceberg', time_in_force: 'day' },
      { symbol: 'SPY', qty: 1, side: 'buy', type: 'market', time_in_force: 'week' },
      { symbol: 'SPY', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day' }, // no limit price
      { symbol: 'SPY', qty: 1, side: 'buy', type: 'stop', time_in_force: 'day' }, // no stop price
      { symbol: 'SPY', qty: 1, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'x'.repeat(129) },
      { symbol: 'NOPE', qty: 1, side: 'buy', type: 'market', time_in_force: 'day' },
      { symbol: 'SPY', notional: 100, side: 'buy', type: 'limit', limit_price: 1, time_in_force: 'day' },
    ];
    for (const b of bad) {
      const r = await call('POST', '/v2/orders', b);
      expect(r.status, JSON.stringify(b)).toBe(422);
      expect(r.body.code).toBe(40010001);
    }
    const c = coid('dup');
    const first = await call('POST', '/v2/orders', { symbol: 'SPY', qty: 1, side: 'buy', type: 'limit', limit_price: 400, time_in_force: 'day', client_order_id: c });
    expect(first.status).toBe(200);
    const dup = await call('POST', '/v2/orders', { symbol: 'SPY', qty: 1, side: 'buy', type: 'limit', limit_price: 400, time_in_force: 'day', client_order_id: c });
    expect(dup.status).toBe(422);
    expect(dup.body).toEqual({ code: 40010001, message: 'client_order_id must be unique' });
    await waitFor(() => sim.orders().find((o) => o.client_order_id === c)?.status === 'new', 'new');
    const del = await call('DELETE', `/v2/orders/${first.body.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const again = await call('POST', '/v2/orders', { symbol: 'SPY', qty: 1, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: c });
    expect(again.status).toBe(422);
    expect(again.body.message).toBe('client_order_id must be unique');
    // Canceling a canceled order: 422 not cancelable.
    const twice = await call('DELETE', `/v2/orders/${first.body.id}`);
    expect(twice.status).toBe(422);
    expect(twice.body.code).toBe(42210000);
    expect(sim.orders().filter((o) => o.client_order_id === c)).toHaveLength(1);
    const junk = await call('POST', '/v2/orders', '{not json');
    expect(junk.status).toBe(400);
    expect(junk.body.code).toBe(40010000);
    expect((await call('GET', '/v2/orders?status=weird')).status).toBe(422);
    expect((await call('GET', '/v2/orders?limit=0')).status).toBe(422);
  });

  it('403 40310000 insufficient buying power (notional above buying power), and on demand', async () => {
    const acct = await call('GET', '/v2/account');
    const bp = Number(acct.body.buying_power);
    const r = await call('POST', '/v2/orders', { symbol: 'SPY', notional: String(Math.ceil(bp + 1000)), side: 'buy', type: 'market', time_in_force: 'day', client_order_id: coid('bp') });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ code: 40310000, message: 'insufficient buying power' });
    sim.failNext('403');
    const f = await call('GET', '/v2/clock');
    expect(f.status).toBe(403);
    sim.failNext('422', { path: '/v2/orders' });
    expect((await call('GET', '/v2/clock')).status).toBe(200); // path did not match: fault still queued
    expect((await call('GET', '/v2/orders')).status).toBe(422);
    sim.failNext('500');
    const e = await call('GET', '/v2/account');
    expect(e.status).toBe(500);
    expect(e.body.code).toBe(50010000);
  });

  it('market order lifecycle in the REST view: partial fills across chunks with slippage, position, account, FILL activities', async () => {
    const c = coid('life');
    const before = Number((await call('GET', '/v2/account')).body.cash);
    const r = await call('POST', '/v2/orders', { symbol: 'AAPL', qty: '70', side: 'buy', type: 'market', time_in_force: 'day', client_order_id: c });
    expect(r.status).toBe(200);
    await waitFor(() => sim.orders().find((o) => o.client_order_id === c)?.status === 'filled', 'filled');
    const o = (await call('GET', `/v2/orders/${r.body.id}`)).body;
    expectOrderShape(o);
    // askSize 30 → chunks of 30, 30, 10 at 190.12, 190.13, 190.14.
    const avg = (30 * 190.12 + 30 * 190.13 + 10 * 190.14) / 70;
    expect(o.filled_qty).toBe('70');
    expect(Number(o.filled_avg_price)).toBeCloseTo(avg, 6);
    expect(o.filled_at).toMatch(RFC3339_NS);
    const pos = (await call('GET', '/v2/positions/AAPL')).body;
    expect(pos).toMatchObject({ symbol: 'AAPL', qty: '70', side: 'long', asset_class: 'us_equity', exchange: expect.any(String) });
    expect(Number(pos.avg_entry_price)).toBeCloseTo(avg, 6);
    for (const f of ['market_value', 'cost_basis', 'unrealized_pl', 'unrealized_plpc', 'current_price', 'lastday_price', 'change_today', 'qty_available', 'unrealized_intraday_pl', 'unrealized_intraday_plpc', 'asset_id']) {
      expect(pos, f).toHaveProperty(f);
    }
    expect(Number(pos.current_price)).toBeCloseTo(190.11, 6);
    expect(Number(pos.market_value)).toBeCloseTo(70 * 190.11, 2);
    const after = Number((await call('GET', '/v2/account')).body.cash);
    expect(before - after).toBeCloseTo(70 * avg, 2);
    const acts = (await call('GET', '/v2/account/activities/FILL?direction=asc')).body.filter((a: any) => a.order_id === r.body.id);
    expect(acts.map((a: any) => [a.type, a.qty, a.price, a.cum_qty, a.leaves_qty])).toEqual([
      ['partial_fill', '30', '190.12', '30', '40'],
      ['partial_fill', '30', '190.13', '60', '10'],
      ['fill', '10', '190.14', '70', '0'],
    ]);
    expect(acts[0].id).toMatch(/^\d{17}::[0-9a-f-]{36}$/);
    const closed = (await call('GET', '/v2/orders?status=closed&limit=500')).body.map((x: any) => x.id);
    expect(closed).toContain(r.body.id);
    const open = (await call('GET', '/v2/orders?status=open')).body.map((x: any) => x.id);
    expect(open).not.toContain(r.body.id);
    const bySym = (await call('GET', '/v2/orders?status=all&symbols=AAPL&direction=asc&side=buy')).body;
    expect(bySym.every((x: any) => x.symbol === 'AAPL' && x.side === 'buy')).toBe(true);
  });

  it('DELETE /v2/orders → 207 [{id,status,body}]; DELETE /v2/positions/{symbol} → Order; DELETE /v2/positions → 207 [{symbol,status,body}]', async () => {
    const ids: string[] = [];
    for (const px of [100, 101]) {
      const r = await call('POST', '/v2/orders', { symbol: 'SPY', qty: 1, side: 'buy', type: 'limit', limit_price: px, time_in_force: 'day', client_order_id: coid('bulk') });
      ids.push(r.body.id);
    }
    const all = await call('DELETE', '/v2/orders');
    expect(all.status).toBe(207);
    const mine = all.body.filter((x: any) => ids.includes(x.id));
    expect(mine).toHaveLength(2);
    for (const x of mine) {
      expect(x.status).toBe(200);
      expect(x.body.status).toBe('canceled');
      expectOrderShape(x.body);
    }
    // Make two positions, close half of one by percentage, then everything.
    const b1 = await call('POST', '/v2/orders', { symbol: 'SPY', qty: 10, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: coid('p1') });
    await waitFor(() => sim.orders().find((o) => o.id === b1.body.id)?.status === 'filled', 'spy filled');
    const half = await call('DELETE', '/v2/positions/SPY?percentage=50');
    expect(half.status).toBe(200);
    expectOrderShape(half.body);
    expect(half.body).toMatchObject({ symbol: 'SPY', side: 'sell', qty: '5', type: 'market' });
    await waitFor(() => sim.orders().find((o) => o.id === half.body.id)?.status === 'filled', 'half closed');
    expect((await call('GET', '/v2/positions/SPY')).body.qty).toBe('5');
    expect((await call('DELETE', '/v2/positions/SPY?qty=1&percentage=5')).status).toBe(422);
    expect((await call('DELETE', '/v2/positions/SPY?qty=50')).status).toBe(403);
    const closeAll = await call('DELETE', '/v2/positions?cancel_orders=true');
    expect(closeAll.status).toBe(207);
    const syms = closeAll.body.map((x: any) => x.symbol).sort();
    expect(syms).toEqual(expect.arrayContaining(['AAPL', 'SPY']));
    for (const x of closeAll.body) {
      expect(x.status).toBe(200);
      expectOrderShape(x.body);
    }
    await waitFor(() => sim.positions().length === 0, 'flat');
    expect((await call('GET', '/v2/positions')).body).toEqual([]);
  });

  it('PATCH /v2/orders/{id} replaces a working order: the old one turns replaced, the new one replaces it', async () => {
    const c = coid('patch');
    const r = await call('POST', '/v2/orders', { symbol: 'SPY', qty: 2, side: 'buy', type: 'limit', limit_price: 300, time_in_force: 'day', client_order_id: c });
    await waitFor(() => sim.orders().find((o) => o.id === r.body.id)?.status === 'new', 'new');
    const c2 = coid('patch2');
    const p = await call('PATCH', `/v2/orders/${r.body.id}`, { qty: '3', limit_price: '301.5', client_order_id: c2 });
    expect(p.status).toBe(200);
    expectOrderShape(p.body);
    expect(p.body).toMatchObject({ replaces: r.body.id, qty: '3', limit_price: '301.5', client_order_id: c2, status: 'accepted' });
    const old = (await call('GET', `/v2/orders/${r.body.id}`)).body;
    expect(old).toMatchObject({ status: 'replaced', replaced_by: p.body.id });
    expect(old.replaced_at).toMatch(RFC3339_NS);
    expect((await call('PATCH', `/v2/orders/${r.body.id}`, { qty: '4' })).status).toBe(422);
    expect((await call('PATCH', '/v2/orders/00000000-0000-4000-8000-000000000000', { qty: '4' })).status).toBe(404);
    await call('DELETE', `/v2/orders/${p.body.id}`);
  });

  it('enforceHours: orders wait as accepted while the market is closed', async () => {
    let now = Date.UTC(2025, 0, 4, 15, 0); // a Saturday
    const s2 = new AlpacaSimulator({ keyId: KEY, secret: SECRET, quote: (s) => quotes[s], fillDelayMs: 1, pollMs: 2, enforceHours: true, nowMs: () => now });
    const { baseUrl } = await s2.start();
    try {
      const post = await fetch(`${baseUrl}/v2/orders`, { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: JSON.stringify({ symbol: 'SPY', qty: 1, side: 'buy', type: 'market', time_in_force: 'day' }) });
      const o = (await post.json()) as { id: string };
      const clock = (await (await fetch(`${baseUrl}/v2/clock`, { headers: AUTH })).json()) as { is_open: boolean; next_open: string };
      expect(clock).toMatchObject({ is_open: false, next_open: '2025-01-06T09:30:00-05:00' });
      await new Promise((r) => setTimeout(r, 30));
      expect(s2.orders().find((x) => x.id === o.id)?.status).toBe('accepted');
      now = Date.UTC(2025, 0, 6, 14, 31); // Monday 09:31 New York
      await waitFor(() => s2.orders().find((x) => x.id === o.id)?.status === 'filled', 'filled after the open');
    } finally {
      await s2.stop();
    }
  });

  it('GET /v2/clock and /v2/calendar in New York time', async () => {
    const c = await call('GET', '/v2/clock');
    expect(c.status).toBe(200);
    expect(Object.keys(c.body).sort()).toEqual(['is_open', 'next_close', 'next_open', 'timestamp']);
    expect(c.body.timestamp).toMatch(RFC3339_OFFSET);
    // 2025-01-02 10:00 ET: open; closes 16:00 that day, next opens 09:30 on the 3rd.
    expect(c.body.is_open).toBe(true);
    expect(c.body.next_close).toBe('2025-01-02T16:00:00-05:00');
    expect(c.body.next_open).toBe('2025-01-03T09:30:00-05:00');
    const cal = await call('GET', '/v2/calendar?start=2025-07-01&end=2025-07-08');
    expect(cal.status).toBe(200);
    expect(cal.body.map((d: any) => d.date)).toEqual(['2025-07-01', '2025-07-02', '2025-07-03', '2025-07-07', '2025-07-08']);
    expect(cal.body[2]).toMatchObject({ date: '2025-07-03', open: '09:30', close: '13:00' });
    expect(cal.body[0]).toMatchObject({ open: '09:30', close: '16:00' });
    expect((await call('GET', '/v2/calendar?start=garbage')).status).toBe(422);
  });

  it('GET /v2/account: money as strings, the documented fields', async () => {
    const a = (await call('GET', '/v2/account')).body;
    for (const f of ['id', 'account_number', 'status', 'currency', 'cash', 'buying_power', 'regt_buying_power', 'daytrading_buying_power', 'equity', 'last_equity', 'portfolio_value', 'long_market_value', 'short_market_value', 'initial_margin', 'maintenance_margin', 'multiplier', 'pattern_day_trader', 'daytrade_count', 'trading_blocked', 'shorting_enabled']) {
      expect(a, f).toHaveProperty(f);
    }
    expect(a.status).toBe('ACTIVE');
    for (const f of ['cash', 'buying_power', 'equity', 'portfolio_value', 'long_market_value', 'short_market_value']) expect(a[f]).toMatch(DECIMAL);
  });

  it('429 with X-RateLimit-Limit/-Remaining/-Reset and Retry-After after 200 requests a minute, and on demand', async () => {
    let wall = 1_000_000_000_000;
    const s2 = new AlpacaSimulator({ keyId: KEY, secret: SECRET, quote: (s) => quotes[s], wallMs: () => wall });
    const { baseUrl } = await s2.start();
    try {
      const get = () => fetch(`${baseUrl}/v2/clock`, { headers: AUTH });
      const first = await get();
      expect(first.headers.get('x-ratelimit-limit')).toBe('200');
      expect(first.headers.get('x-ratelimit-remaining')).toBe('199');
      expect(first.headers.get('x-ratelimit-reset')).toBe(String(Math.ceil((wall + 60_000) / 1000)));
      await first.text();
      for (let i = 0; i < 199; i++) await (await get()).text();
      const over = await get();
      expect(over.status).toBe(429);
      expect(await over.json()).toEqual({ code: 42910000, message: 'rate limit exceeded' });
      expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(over.headers.get('retry-after'))).toBe(60);
      wall += 60_000; // next window
      const ok = await get();
      expect(ok.status).toBe(200);
      await ok.text();
      s2.failNext('429', { retryAfterSec: 3 });
      const forced = await get();
      expect(forced.status).toBe(429);
      expect(forced.headers.get('retry-after')).toBe('3');
      expect(forced.headers.get('x-ratelimit-limit')).toBe('200');
    } finally {
      await s2.stop();
    }
  });
});

describe('Alpaca simulator trade_updates stream', () => {
  it('auth → authorization, listen → listening; bad keys unauthorized; garbage answered with an error', async () => {
    const bad = await streamClient('nope', 'nope');
    expect(bad.frames[0].msg).toEqual({ stream: 'authorization', data: { action: 'authenticate', status: 'unauthorized' } });
    bad.ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
    await waitFor(() => bad.frames.length >= 2, 'listen refused');
    expect(bad.frames[1].msg.data.status).toBe('unauthorized');
    bad.ws.send('{{{');
    await waitFor(() => bad.frames.length >= 3, 'error frame');
    expect(bad.frames[2].msg.action).toBe('error');
    bad.ws.close();

    const good = await streamClient();
    expect(good.frames[0]).toEqual({ binary: true, msg: { stream: 'authorization', data: { action: 'authenticate', status: 'authorized' } } });
    good.ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
    await waitFor(() => good.frames.length >= 2, 'listening');
    expect(good.frames[1]).toEqual({ binary: true, msg: { stream: 'listening', data: { streams: ['trade_updates'] } } });
    good.ws.close();
  });

  it('binary trade_updates for new, partial_fill, fill, canceled, rejected, expired (with the documented extra fields)', async () => {
    const { ws, frames } = await streamClient();
    ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
    await waitFor(() => frames.length >= 2, 'listening');
    const ev = (c: string) => frames.filter((f) => f.msg.stream === 'trade_updates' && f.msg.data.order.client_order_id === c);

    const m = coid('s-mkt');
    await call('POST', '/v2/orders', { symbol: 'SPY', qty: 150, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: m });
    await waitFor(() => ev(m).some((f) => f.msg.data.event === 'fill'), 'fill event');
    expect(ev(m).map((f) => f.msg.data.event)).toEqual(['new', 'partial_fill', 'fill']);
    expect(ev(m).every((f) => f.binary)).toBe(true);
    const pf = ev(m)[1].msg.data;
    expect(pf).toMatchObject({ event: 'partial_fill', price: '500.02', qty: '100', position_qty: '100' });
    expect(pf.execution_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(pf.timestamp).toMatch(RFC3339_NS);
    expectOrderShape(pf.order);
    expect(pf.order).toMatchObject({ status: 'partially_filled', filled_qty: '100' });
    expect(ev(m)[2].msg.data).toMatchObject({ event: 'fill', price: '500.03', qty: '50', position_qty: '150' });
    expect(ev(m)[2].msg.data.order.status).toBe('filled');

    const l = coid('s-cxl');
    const r = await call('POST', '/v2/orders', { symbol: 'SPY', qty: 1, side: 'buy', type: 'limit', limit_price: 10, time_in_force: 'day', client_order_id: l });
    await waitFor(() => ev(l).length >= 1, 'new');
    await call('DELETE', `/v2/orders/${r.body.id}`);
    await waitFor(() => ev(l).length >= 2, 'canceled');
    expect(ev(l).map((f) => f.msg.data.event)).toEqual(['new', 'canceled']);
    expect(ev(l)[1].msg.data.timestamp).toMatch(RFC3339_NS);
    expect(ev(l)[1].msg.data.order.canceled_at).toMatch(RFC3339_NS);

    const j = coid('s-rej');
    sim.failNext('reject');
    await call('POST', '/v2/orders', { symbol: 'SPY', qty: 1, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: j });
    await waitFor(() => ev(j).length >= 1, 'rejected');
    expect(ev(j)[0].msg.data).toMatchObject({ event: 'rejected', order: { status: 'rejected' } });
    expect(ev(j)[0].msg.data.order.failed_at).toMatch(RFC3339_NS);

    const x = coid('s-exp');
    await call('POST', '/v2/orders', { symbol: 'SPY', qty: 1, side: 'buy', type: 'limit', limit_price: 10, time_in_force: 'day', client_order_id: x });
    await waitFor(() => ev(x).length >= 1, 'new before expiry');
    expect(sim.expireDay()).toBeGreaterThanOrEqual(1);
    await waitFor(() => ev(x).length >= 2, 'expired');
    expect(ev(x)[1].msg.data).toMatchObject({ event: 'expired', order: { status: 'expired' } });

    // IOC: marketable part fills, the rest is canceled; FOK beyond the limit: canceled, no fill.
    const ioc = coid('s-ioc');
    await call('POST', '/v2/orders', { symbol: 'SPY', qty: 300, side: 'buy', type: 'limit', limit_price: 500.03, time_in_force: 'ioc', client_order_id: ioc });
    await waitFor(() => ev(ioc).some((f) => f.msg.data.event === 'fill' || f.msg.data.event === 'canceled'), 'ioc done');
    await waitFor(() => ev(ioc).at(-1)!.msg.data.order.status !== 'partially_filled', 'ioc terminal');
    // Chunks at 500.02, 500.03, then 500.04 capped at the limit 500.03: a limit IOC walks within its limit.
    expect(ev(ioc).map((f) => f.msg.data.event)).toEqual(['new', 'partial_fill', 'partial_fill', 'fill']);
    const fok = coid('s-fok');
    await call('POST', '/v2/orders', { symbol: 'SPY', qty: 300, side: 'buy', type: 'limit', limit_price: 500.02, time_in_force: 'fok', client_order_id: fok });
    await waitFor(() => ev(fok).some((f) => f.msg.data.event === 'canceled'), 'fok canceled');
    expect(ev(fok).map((f) => f.msg.data.event)).toEqual(['new', 'canceled']);
    ws.close();
    expect(sim.stats().streamBadMessages).toBeGreaterThanOrEqual(1);
  });

  it('drop-stream: the next event is lost and listeners are disconnected', async () => {
    const { ws, frames } = await streamClient();
    ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
    await waitFor(() => frames.length >= 2, 'listening');
    const closed = new Promise((r) => ws.once('close', r));
    sim.failNext('drop-stream');
    await call('POST', '/v2/orders', { symbol: 'SPY', qty: 1, side: 'buy', type: 'limit', limit_price: 10, time_in_force: 'day', client_order_id: coid('drop') });
    await closed;
    expect(frames.filter((f) => f.msg.stream === 'trade_updates')).toEqual([]);
    expect(sim.stats().streamEventsLost).toBe(1);
    await call('DELETE', '/v2/orders');
  });
});
