import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TradingStats } from '../../actors/execution/TradingStats.js';
import type { OrderRecord } from '../../actors/execution/OrderBookkeeping.js';
import { waitFor } from '../helpers/redis.js';
import { FeedClient, parsePrometheus, startDashboard, TOKEN, upgradeStatus, type Harness } from './helpers.js';

const bearer = { Authorization: `Bearer ${TOKEN}` };

describe('dashboard server (uWebSockets.js) without an engine', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startDashboard({ source: 'tws' });
  });
  afterAll(() => h?.close());

  it('refuses the API without the token (401), with a wrong one (403), and serves it with either form', async () => {
    for (const path of ['/api/status', '/api/symbols']) {
      expect((await fetch(h.base + path)).status).toBe(401);
      expect((await fetch(h.base + path, { headers: { Authorization: 'Bearer wrong-token-xyz' } })).status).toBe(403);
      expect((await fetch(`${h.base}${path}?token=wrong-token-xyz`)).status).toBe(403);
      expect((await fetch(h.base + path, { headers: bearer })).status).toBe(200);
      expect((await fetch(`${h.base}${path}?token=${TOKEN}`)).status).toBe(200);
    }
    const s = await (await fetch(`${h.base}/api/symbols`, { headers: bearer })).json();
    expect(s.symbols.map((x: { symbol: string }) => x.symbol)).toEqual(['SPY', 'QQQ']);
    expect(h.model.stats.authFailures).toBeGreaterThanOrEqual(6);
  });

  it('refuses the WebSocket without the token and with a wrong one', async () => {
    expect(await upgradeStatus(h.port, null)).toBe(401);
    expect(await upgradeStatus(h.port, 'wrong-token-xyz')).toBe(403);
    expect(await upgradeStatus(h.port, null, bearer)).toBe(101);
    expect(await upgradeStatus(h.port, TOKEN)).toBe(101);
  });

  it('serves the page shell and its libraries from the repository, with a CSP and ETags', async () => {
    const r = await fetch(h.base + '/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await r.text();
    expect(html).toMatch(/<script type="module" src="\/assets\/app.js">/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // no CDN
    for (const p of ['/assets/app.js', '/assets/style.css', '/vendor/uPlot.esm.js', '/vendor/uPlot.min.css', '/vendor/msgpackr-unpack.js']) {
      const a = await fetch(h.base + p);
      expect(a.status, p).toBe(200);
      const etag = a.headers.get('etag')!;
      expect((await fetch(h.base + p, { headers: { 'If-None-Match': etag } })).status, p).toBe(304);
    }
    expect((await fetch(h.base + '/nope.js')).status).toBe(404);
  });

  it('feeds a subscriber the full state of a topic, then conflated deltas', async () => {
    const c = FeedClient.connect(h.port);
    await c.opened;
    await waitFor(() => c.frames.length > 0, 5000, 'hello');
    expect(c.frames[0][0]).toBe('hello');
    expect(c.frames[0][2].topics).toContain('book:SPY');
    h.model.onPublish('publish', { key: 'market:{SPY}:book', value: { symbol: 'SPY', bids: [[590.1, 300, 'ARCA']], asks: [[590.12, 100]], quality: 'ok', ts: Date.now() }, ttlMs: 5000 });
    c.sub(['book:SPY', 'not-a-topic']);
    await waitFor(() => c.of('book:SPY').length > 0, 5000, 'full book frame');
    const [, kind, book] = c.of('book:SPY')[0];
    expect(kind).toBe(0);
    expect(book.bids).toEqual([[590.1, 300, 'ARCA']]);
    // Many updates between two ticks reach the client as at most one frame per tick, the latest.
    for (let i = 1; i <= 50; i++) {
      h.model.onPublish('publish', { key: 'market:{SPY}:book', value: { symbol: 'SPY', bids: [[590 + i / 100, i, 'ARCA']], asks: [], ts: Date.now() }, ttlMs: 5000 });
    }
    await waitFor(() => c.of('book:SPY').some((f) => f[2].bids[0]?.[1] === 50), 5000, 'latest book');
    expect(c.of('book:SPY').length).toBeLessThan(10);
    expect(h.model.stats.badClientMessages).toBeGreaterThanOrEqual(1); // the unknown topic
    c.ws.close();
  });

  it('/health is 200; /ready is 503 with the reasons until Redis and the TWS connection are up, and again when TWS drops', async () => {
    expect((await fetch(h.base + '/health')).status).toBe(200);
    let r = await fetch(h.base + '/ready');
    expect(r.status).toBe(503);
    const body = await r.json();
    expect(body.ready).toBe(false);
    expect(body.reasons.join('; ')).toMatch(/redis/);
    expect(body.reasons.join('; ')).toMatch(/ibkr/);
    h.model.onPublish('publish-many', [{ key: 'engine:status', value: { redisUp: true, actors: [], rings: [] }, ttlMs: 10_000 }, { key: 'ibkr:connected', value: '1', ttlMs: 10_000 }]);
    r = await fetch(h.base + '/ready');
    expect(r.status).toBe(200);
    h.model.onPublish('publish', { key: 'ibkr:connected', value: '0', ttlMs: 10_000 });
    r = await fetch(h.base + '/ready');
    expect(r.status).toBe(503);
    expect((await r.json()).reasons).toContain('ibkr: not connected');
  });

  it('/metrics parses as Prometheus text and holds the series', async () => {
    h.model.onPublish('publish-many', [
      { key: 'engine:status', value: { redisUp: true, tradingHalted: false, actors: [{ name: 'market-depth', kind: 'market-depth', alive: true, state: 'running', heartbeatAgeMs: 10, restarts: 1, msgsIn: 0, msgsOut: 500, errors: 0, inputErrors: 2 }], rings: [{ name: 'market-data', producer: 'market-depth', capacity: 1024, published: 500, readers: [{ mode: 'lossy', lag: 3, fill: 0.003, overruns: 0 }], readerNames: ['dashboard'] }] }, ttlMs: 10_000 },
      { key: 'monitoring:publisher:metrics', value: { errors: 2, keysWritten: 100, pending: 5, lastFlushMs: 1000, lastFlushDurationMs: 1.5, droppedKeys: 0, ts: 1050 }, ttlMs: 10_000 },
      { key: 'monitoring:ibkr:metrics', value: { reconnects: 3, messagesPerSec: 10, guard: { oversizeFrames: 2, sizeCap: 5 } }, ttlMs: 10_000 },
      { key: 'monitoring:options:metrics', value: { calls: 40, throttles: 2, client: { guard: { oversizeBodies: 1 } } }, ttlMs: 10_000 },
      { key: 'cb:state', value: 'tripped', ttlMs: 0 },
      { key: 'monitoring:quality', value: { outlier: { SPY: 4, QQQ: 0 }, stale: { SPY: 1 }, crossedOrLocked: 7, ingest: { sizeCap: 5 } }, ttlMs: 10_000 },
      { key: 'monitoring:analytics:metrics', value: { oversizedTrades: 2 }, ttlMs: 10_000 },
      { key: 'monitoring:execution:metrics', value: { crossedBooks: 9, staleTrips: 1 }, ttlMs: 10_000 },
    ]);
    expect((await fetch(h.base + '/metrics')).status).toBe(401); // the token is needed by default
    expect((await fetch(h.base + '/metrics', { headers: { Authorization: 'Bearer wrong-token-xyz' } })).status).toBe(403);
    const r = await fetch(h.base + '/metrics', { headers: bearer });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    const { types, samples } = parsePrometheus(await r.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    const families = ['alphatrader_actor_up', 'alphatrader_actor_messages_per_second', 'alphatrader_actor_restarts_total', 'alphatrader_ring_fill_ratio',
      'alphatrader_hop_latency_seconds', 'alphatrader_pipeline_latency_seconds', 'alphatrader_redis_publish_lag_seconds', 'alphatrader_redis_publish_errors_total',
      'alphatrader_venue_reconnects_total', 'alphatrader_alphavantage_calls_total', 'alphatrader_alphavantage_throttles_total', 'alphatrader_order_events_total',
      'alphatrader_order_rejections_total', 'alphatrader_breaker_tripped', 'alphatrader_ready', 'alphatrader_dashboard_clients'];
    for (const f of families) expect(types.has(f), f).toBe(true);
    expect(types.get('alphatrader_hop_latency_seconds')).toBe('histogram');
    expect(value('alphatrader_actor_restarts_total', { actor: 'market-depth' })).toBe(1);
    expect(value('alphatrader_actor_errors_total', { actor: 'market-depth', kind: 'input' })).toBe(2);
    expect(value('alphatrader_ring_fill_ratio', { ring: 'market-data', reader: 'dashboard' })).toBeCloseTo(0.003);
    expect(value('alphatrader_redis_publish_lag_seconds')).toBeCloseTo(0.05);
    expect(value('alphatrader_redis_publish_errors_total')).toBe(2);
    expect(value('alphatrader_venue_reconnects_total', { venue: 'ibkr' })).toBe(3);
    expect(value('alphatrader_alphavantage_calls_total')).toBe(40);
    expect(value('alphatrader_alphavantage_throttles_total')).toBe(2);
    expect(value('alphatrader_venue_guard_total', { venue: 'ibkr', reason: 'oversizeFrames' })).toBe(2);
    expect(value('alphatrader_venue_guard_total', { venue: 'ibkr', reason: 'sizeCap' })).toBe(5);
    expect(value('alphatrader_venue_guard_total', { venue: 'alpha-vantage', reason: 'oversizeBodies' })).toBe(1);
    expect(value('alphatrader_breaker_tripped')).toBe(1);
    // every quality gate, per symbol where it is per symbol
    expect(value('alphatrader_quality_events_total', { gate: 'outlier', symbol: 'SPY' })).toBe(4);
    expect(value('alphatrader_quality_events_total', { gate: 'outlier', symbol: 'QQQ' })).toBe(0);
    expect(value('alphatrader_quality_events_total', { gate: 'stale', symbol: 'SPY' })).toBe(1);
    expect(value('alphatrader_quality_events_total', { gate: 'crossedOrLocked', symbol: '' })).toBe(7);
    expect(value('alphatrader_quality_events_total', { gate: 'ingest_sizeCap', symbol: '' })).toBe(5);
    expect(value('alphatrader_quality_events_total', { gate: 'vpin_oversized_trade', symbol: '' })).toBe(2);
    expect(value('alphatrader_quality_events_total', { gate: 'exec_crossed_book', symbol: '' })).toBe(9);
    expect(value('alphatrader_quality_events_total', { gate: 'exec_stale_trip', symbol: '' })).toBe(1);
    expect(value('alphatrader_hop_latency_seconds_bucket', { ring: 'market-data', le: '+Inf' })).toBe(0);
  });

  it('/metrics holds the trading series from what execution and the supervisor publish', async () => {
    const stats = new TradingStats();
    const rec = { order: { side: 'buy' }, state: 'filled', filledQty: 10, createdMs: 1000, refPrice: 100 } as unknown as OrderRecord;
    stats.observe(rec, 'new', 0, 1_004, true, { price: 100.02, qty: 10 }); // acked and filled 4 ms after sending, 2 bps worse
    h.model.onPublish('publish-many', [
      { key: 'pnl', value: { realized: 120, unrealized: -20, total: 100, day: 90, equity: 1_000_100, drawdown: 15 }, ttlMs: 10_000 },
      { key: 'account:summary', value: { broker: 'ibkr', equity: 250_000, cash: 200_000, buyingPower: 800_000, optionsBuyingPower: 190_000, initialMargin: 12_500, maintenanceMargin: 12_500, readAt: Date.now() - 2000, readMs: 7 }, ttlMs: 10_000 },
      { key: 'engine:preservation', value: { active: true, since: 1, reason: 'x' }, ttlMs: 10_000 },
      { key: 'positions', value: [{ symbol: 'SPY', qty: 10, unrealizedPnl: -20 }, { symbol: 'QQQ', qty: 0, unrealizedPnl: 0 }], ttlMs: 10_000 },
      { key: 'orders:open', value: [{ side: 'buy' }, { side: 'sell' }, { side: 'sell' }], ttlMs: 10_000 },
      { key: 'execution:drift', value: { drift: [{ symbol: 'SPY', engine: 10, broker: 9 }], foreign: [] }, ttlMs: 10_000 },
      { key: 'monitoring:execution:metrics', value: {
        broker: 'ibkr', ready: true, journalOk: false, ordersSent: 5, brokerErrors: 3, trading: stats.toJSON(), ts: 50_000, journalIntentUs: { count: 5, p50: 180, p99: 5200 },
        preservation: { consecutiveErrors: 4, downSince: 20_000, entered: 2 }, brokerStats: { retries: 6, reconnects: 2, timeouts: 1 },
      }, ttlMs: 10_000 },
      { key: 'monitoring:alerts:metrics', value: { raised: 9, sent: 7, failed: 1, deduplicated: 1, rateLimited: 0, retries: 3 }, ttlMs: 10_000 },
    ]);
    const { types, samples } = parsePrometheus(await (await fetch(h.base + '/metrics', { headers: bearer })).text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('alphatrader_equity')).toBe(1_000_100);
    expect(value('alphatrader_journal_intent_seconds', { quantile: '0.5' })).toBeCloseTo(0.00018, 9);
    expect(value('alphatrader_journal_intent_seconds', { quantile: '0.99' })).toBeCloseTo(0.0052, 9);
    expect(value('alphatrader_pnl', { kind: 'realized' })).toBe(120);
    expect(value('alphatrader_pnl', { kind: 'unrealized' })).toBe(-20);
    expect(value('alphatrader_account_buying_power', { broker: 'ibkr' })).toBe(800_000);
    expect(value('alphatrader_account_options_buying_power', { broker: 'ibkr' })).toBe(190_000);
    expect(value('alphatrader_account_margin', { kind: 'maintenance' })).toBe(12_500);
    expect(value('alphatrader_account_read_duration_seconds')).toBeCloseTo(0.007);
    expect(value('alphatrader_position_quantity', { symbol: 'SPY' })).toBe(10);
    expect(value('alphatrader_positions_open')).toBe(1);
    expect(value('alphatrader_working_orders', { side: 'sell' })).toBe(2);
    expect(types.get('alphatrader_order_fill_latency_seconds')).toBe('histogram');
    expect(value('alphatrader_order_fill_latency_seconds_bucket', { le: '0.0025' })).toBe(0);
    expect(value('alphatrader_order_fill_latency_seconds_bucket', { le: '0.005' })).toBe(1);
    expect(value('alphatrader_order_ack_latency_seconds_count')).toBe(1);
    expect(value('alphatrader_fill_slippage_bps_bucket', { le: '1' })).toBe(0);
    expect(value('alphatrader_fill_slippage_bps_bucket', { le: '2' })).toBe(1);
    expect(value('alphatrader_fill_slippage_bps_mean')).toBeCloseTo(2, 6);
    expect(value('alphatrader_orders_filled_total')).toBe(1);
    expect(value('alphatrader_preservation_mode')).toBe(1);
    expect(value('alphatrader_preservation_entered_total')).toBe(2);
    expect(value('alphatrader_broker_down_seconds')).toBe(30);
    expect(value('alphatrader_broker_events_total', { broker: 'ibkr', kind: 'retries' })).toBe(6);
    expect(value('alphatrader_broker_events_total', { broker: 'ibkr', kind: 'reconnects' })).toBe(2);
    expect(value('alphatrader_journal_ok')).toBe(0);
    expect(value('alphatrader_position_drift_symbols')).toBe(1);
    expect(value('alphatrader_alerts_total', { outcome: 'sent' })).toBe(7);
    expect(value('alphatrader_alerts_total', { outcome: 'failed' })).toBe(1);
  });

  it('/metrics is public only when metricsAuth is false', async () => {
    const pub = await startDashboard({ metricsAuth: false });
    try {
      const r = await fetch(pub.base + '/metrics');
      expect(r.status).toBe(200);
      expect(await r.text()).toMatch(/^# (HELP|TYPE) alphatrader_/m);
      expect((await fetch(pub.base + '/api/symbols')).status).toBe(401); // the data API still needs the token
    } finally {
      pub.close();
    }
  });

  it('kill switch: Bearer token only, JSON with the typed confirmation and a reason', async () => {
    const post = (body: unknown, headers: Record<string, string> = { ...bearer, 'Content-Type': 'application/json' }, query = '') =>
      fetch(`${h.base}/api/kill${query}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const ok = { confirm: 'KILL', reason: 'test: spread blew out' };
    expect((await post(ok, { 'Content-Type': 'application/json' })).status).toBe(401);
    expect((await post(ok, { 'Content-Type': 'application/json' }, `?token=${TOKEN}`)).status).toBe(401); // never from the query
    expect((await post(ok, { Authorization: 'Bearer wrong-token-xyz', 'Content-Type': 'application/json' })).status).toBe(403);
    expect((await post(ok, { ...bearer, 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await post({ reason: 'no confirmation' })).status).toBe(400);
    expect((await post({ confirm: 'yes', reason: 'wrong confirmation' })).status).toBe(400);
    expect((await post({ confirm: 'KILL' })).status).toBe(400);
    expect((await post({ confirm: 'KILL', reason: '  ' })).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    expect((await post({ confirm: 'KILL', reason: 'x'.repeat(5000) })).status).toBe(413);
    expect(h.kills).toHaveLength(0);
    const r = await post({ confirm: 'KILL', reason: 'test: spread\nblew out' });
    expect(r.status).toBe(200); // answered with the outcome, never a bare 202
    expect(await r.json()).toMatchObject({ state: 'done', breaker: 'tripped' });
    expect(h.kills).toHaveLength(1);
    expect(h.kills[0]).toMatchObject({ reason: 'test: spread blew out', source: 'dashboard' });
    expect(h.model.lastKill?.reason).toBe('test: spread blew out');
  });
});
