import { describe, expect, it } from 'vitest';
import { HeaderFields } from '../../engine/codec/Header.js';
import { AnalyticsFlags, AnalyticsSnapshot, Bar, BookTop, OrderEvent, OrderStatus, Signal, Trade } from '../../engine/codec/Messages.js';
import { ColdStore } from '../../actors/dashboard/ColdStore.js';
import { ColumnRing } from '../../actors/dashboard/ColumnRing.js';
import { DashboardModel, pnlCurve } from '../../actors/dashboard/DashboardModel.js';
import { topicForKey } from '../../actors/dashboard/keyRoutes.js';
import { TokenGuard } from '../../actors/dashboard/TokenGuard.js';

const SYMS = [{ symbol: 'SPY', level2: true }, { symbol: 'AAPL', level2: false }];
const model = (source = 'sim') => new DashboardModel({ symbols: SYMS, rateHz: 10, historySeconds: 60, marketSource: source, mode: 'simulated', toxicThreshold: 0.9 });

/** Writes hot messages into one slot-sized buffer, as a ring would hand them over. */
class Msg {
  readonly dv = new DataView(new ArrayBuffer(256));
  readonly h = new HeaderFields();
  at(symbolId: number, eventMs: number, flags = 0): HeaderFields {
    this.h.symbolId = symbolId;
    this.h.eventNs = eventMs * 1e6;
    this.h.flags = flags;
    return this.h;
  }
}

type Price = { q: { bid: number; ask: number; last: number; imbalance: number }; h: { t: number[]; mid: number[] }; bars: { t: number[]; c: number[] } };

describe('dashboard model: hot state folded from ring messages', () => {
  it('keeps the latest top of book, last trade and bars per symbol, and publishes history as deltas', () => {
    const m = model();
    const w = new Msg();
    BookTop.write(w.dv, 0, w.at(0, 1000), 590.1, 590.12, 300, 200, 590.11, 0.2, 590.05, 1000);
    m.onMessage(w.dv, 0);
    Trade.write(w.dv, 0, w.at(0, 1001), 590.12, 50, 1, 0);
    m.onMessage(w.dv, 0);
    m.sample(5000);
    const price = m.topics.get('price:SPY')!;
    expect(price.dirty).toBe(true);
    const d1 = price.delta(5000) as Price;
    expect(d1.q).toMatchObject({ bid: 590.1, ask: 590.12, last: 590.12, imbalance: 0.2 });
    expect(d1.h.t).toEqual([1001]);
    expect(d1.h.mid).toEqual([590.11]);

    BookTop.write(w.dv, 0, w.at(0, 1100), 590.12, 590.14, 300, 200, 590.13, -0.1, 590.06, 1100);
    m.onMessage(w.dv, 0);
    Bar.write(w.dv, 0, w.at(0, 1100), 1000, 5, 590, 590.2, 589.9, 590.1, 5000, 590.05, 42);
    m.onMessage(w.dv, 0);
    m.sample(5100);
    const d2 = price.delta(5100) as Price;
    expect(d2.h.t).toEqual([1100]); // only the new point
    expect(d2.bars.t).toEqual([1000]);
    expect(d2.bars.c).toEqual([590.1]);
    const full = price.full(5100) as Price;
    expect(full.h.t).toEqual([1001, 1100]); // everything kept, for a new subscriber
    expect((price.delta(5200) as Price).h.t).toEqual([]); // nothing new since the last delta
  });

  it('replaces a bar with the same start instead of adding one', () => {
    const m = model();
    const w = new Msg();
    Bar.write(w.dv, 0, w.at(0, 1), 1000, 5, 1, 2, 0.5, 1.5, 10, 1.2, 3);
    m.onMessage(w.dv, 0);
    Bar.write(w.dv, 0, w.at(0, 2), 1000, 5, 1, 2.5, 0.5, 2.2, 20, 1.4, 6);
    m.onMessage(w.dv, 0);
    m.sample(10);
    const full = m.topics.get('price:SPY')!.full(10) as Price;
    expect(full.bars.t).toEqual([1000]);
    expect(full.bars.c).toEqual([2.2]);
  });

  it('samples VPIN only when it changes, flags the toxicity alarm and the gamma levels', () => {
    const m = model();
    const w = new Msg();
    for (let i = 0; i < 5; i++) {
      AnalyticsSnapshot.write(w.dv, 0, w.at(0, 2000 + i, AnalyticsFlags.ToxicityAlarm), 590, 0.42, 0.95, 0.1, 590.01, -2e9, 585, 600, 580);
      m.onMessage(w.dv, 0);
    }
    m.sample(3000);
    const v = m.topics.get('vpin:SPY')!.full(3000) as { vpin: number; cdf: number; toxic: boolean; h: { t: number[] }; threshold: number };
    expect(v).toMatchObject({ vpin: 0.42, cdf: 0.95, toxic: true, threshold: 0.9 });
    expect(v.h.t).toHaveLength(1);
    const g = m.topics.get('gex:SPY')!.full(3000) as Record<string, unknown>;
    expect(g).toMatchObject({ zeroGamma: 585, callWall: 600, putWall: 580, totalGex: -2e9, missing: false });
  });

  it('lists signals and order events, newest first, and counts rejections', () => {
    const m = model();
    const w = new Msg();
    Signal.write(w.dv, 0, w.at(0, 10), 3, 1, 77, 0.8, 590, 592, 589, 99_999);
    m.onMessage(w.dv, 0);
    Signal.write(w.dv, 0, w.at(1, 20), 4, -1, 78, 0.6, 230, 228, 231, 99_999);
    m.onMessage(w.dv, 0);
    OrderEvent.write(w.dv, 0, w.at(0, 30), 3, 77, 0, OrderStatus.Rejected, 1, 0, 100, NaN, 0, NaN, 31);
    m.onMessage(w.dv, 0);
    m.sample(100);
    const s = m.topics.get('signals')!.full(100) as { list: { s: string; dir: number; id: number }[] };
    expect(s.list.map((x) => [x.s, x.dir, x.id])).toEqual([['AAPL', -1, 78], ['SPY', 1, 77]]);
    const t = m.topics.get('trading')!.full(100) as { counts: { rejected: number }; events: unknown[][] };
    expect(t.counts.rejected).toBe(1);
    expect(t.events[0].slice(0, 2)).toEqual([31, 'SPY']);
  });

  it('counts messages for unknown symbols instead of failing', () => {
    const m = model();
    const w = new Msg();
    BookTop.write(w.dv, 0, w.at(9, 1), 1, 2, 1, 1, 1.5, 0, 1.5, 1);
    expect(() => m.onMessage(w.dv, 0)).not.toThrow();
    expect(m.hot.badMessages).toBe(1);
  });
});

describe('dashboard model: the cold key space', () => {
  it('routes published keys to their panels and serves the book from market:{SYM}:book', () => {
    const m = model();
    m.sample(0);
    for (const t of m.topicList) t.dirty = false;
    m.onPublish('publish-many', [
      { key: 'market:{SPY}:book', value: { symbol: 'SPY', bids: [[590.1, 300, 'ARCA'], [590.09, 100]], asks: [[590.12, 200, 'BATS']], quality: 'ok', ts: 1000 }, ttlMs: 1000 },
      { key: 'analytics:{SPY}:gex', value: { spot: 590, zeroGamma: 588, profile: [{ strike: 585, callGex: 1, putGex: -2, netGex: -1 }] }, ttlMs: 10_000 },
      { key: 'cb:state', value: 'tripped', ttlMs: 0 },
      { key: 'module:heartbeat:publisher', value: { ts: 1 }, ttlMs: 3000 },
    ], 1000);
    expect(m.topicList.filter((t) => t.dirty).map((t) => t.name).sort()).toEqual(['book:SPY', 'gex:SPY', 'health', 'trading']);
    const b = m.topics.get('book:SPY')!.full(1100) as { bids: unknown[]; asks: unknown[]; ageMs: number };
    expect(b.bids).toEqual([[590.1, 300, 'ARCA'], [590.09, 100]]);
    expect(b.asks).toEqual([[590.12, 200, 'BATS']]);
    expect(b.ageMs).toBe(100);
    expect((m.topics.get('book:SPY')!.full(2500) as { missing: boolean }).missing).toBe(true); // TTL passed
    expect((m.topics.get('trading')!.full(2500) as { breaker: { state: string } }).breaker.state).toBe('tripped');
  });

  it('drops malformed publish requests and counts them', () => {
    const m = model();
    m.onPublish('publish-many', [null, { key: 5, value: 1, ttlMs: 1 }, { key: 'x', value: 1, ttlMs: -1 }, 'nope'], 0);
    m.onPublish('publish', { key: 'ok', value: '{"a":1}', ttlMs: 0 }, 0);
    expect(m.cold.stats.rejected).toBe(4);
    expect(m.cold.get('ok', 0)).toEqual({ a: 1 }); // JSON strings are parsed once
  });

  it('keys: TTL like Redis, bounded with the oldest evicted, expiry reported as a change', () => {
    const changed: string[] = [];
    const c = new ColdStore((k) => changed.push(k), 3);
    c.set('a', '1', 100, 0);
    c.set('b', 'tripped', 0, 0);
    c.set('c', '[1,2]', 0, 0);
    expect(c.get('a', 99)).toBe('1');
    expect(c.get('a', 100)).toBeUndefined();
    expect(c.get('b', 1e12)).toBe('tripped');
    expect(c.get('c', 0)).toEqual([1, 2]);
    c.set('d', 'x', 0, 1); // evicts the least recently set: a
    expect(c.size).toBe(3);
    expect(c.get('a', 1)).toBeUndefined();
    changed.length = 0;
    c.set('e', 'y', 5, 1);
    c.sweep(10);
    expect(changed).toContain('e');
  });

  it('maps key names to topics', () => {
    const isSym = (s: string) => s === 'SPY';
    expect(topicForKey('market:{SPY}:book', isSym)).toBe('book:SPY');
    expect(topicForKey('analytics:{SPY}:vpin', isSym)).toBe('vpin:SPY');
    expect(topicForKey('analytics:SPY:dex', isSym)).toBe('gex:SPY');
    expect(topicForKey('options:{SPY}:unusual', isSym)).toBe('flow:SPY');
    expect(topicForKey('signals:{SPY}:latest', isSym)).toBe('signals');
    expect(topicForKey('performance:pnl_curve', isSym)).toBe('trading');
    expect(topicForKey('orders:open', isSym)).toBe('trading');
    expect(topicForKey('ibkr:connected', isSym)).toBe('health');
    expect(topicForKey('market:{XYZ}:book', isSym)).toBeUndefined();
  });

  it('reads a P&L curve in the shapes an execution actor may publish', () => {
    expect(pnlCurve([[1_700_000_000, 5], [1_700_000_060, -2]])).toEqual({ t: [1_700_000_000_000, 1_700_000_060_000], v: [5, -2] });
    expect(pnlCurve([{ ts: 1_700_000_000_000, pnl: 1 }, { time: '2024-01-01T00:00:00Z', equity: 2 }])?.v).toEqual([1, 2]);
    expect(pnlCurve({ t: [1_700_000_000_000], v: [3] })?.v).toEqual([3]);
    expect(pnlCurve({ points: [[1_700_000_000_000, 4]] })?.v).toEqual([4]);
    expect(pnlCurve('garbage')).toBeNull();
    expect(pnlCurve(undefined)).toBeNull();
  });
});

describe('dashboard model: readiness', () => {
  it('needs Redis, and the IBKR connection when the market source is TWS', () => {
    const m = model('tws');
    let r = m.readiness(0);
    expect(r.ready).toBe(false);
    expect(r.reasons.join(' ')).toMatch(/redis/);
    expect(r.reasons.join(' ')).toMatch(/ibkr: no connection report/);
    m.onPublish('publish-many', [{ key: 'engine:status', value: { redisUp: true, actors: [] }, ttlMs: 10_000 }, { key: 'ibkr:connected', value: '1', ttlMs: 3000 }], 0);
    expect(m.readiness(10).ready).toBe(true);
    m.onPublish('publish', { key: 'ibkr:connected', value: '0', ttlMs: 3000 }, 20);
    r = m.readiness(30);
    expect(r.ready).toBe(false);
    expect(r.reasons).toContain('ibkr: not connected');
    m.onPublish('publish', { key: 'ibkr:connected', value: '1', ttlMs: 3000 }, 40);
    expect(m.readiness(50).ready).toBe(true);
    expect(m.readiness(5000).ready).toBe(false); // the connection report expired: TWS silent
  });

  it('does not need a venue for the simulated source', () => {
    const m = model('sim');
    m.onPublish('publish', { key: 'engine:status', value: { redisUp: true, actors: [] }, ttlMs: 10_000 }, 0);
    expect(m.readiness(1)).toMatchObject({ ready: true, reasons: [] });
  });
});

describe('column ring', () => {
  it('keeps the newest rows and answers "since sequence"', () => {
    const r = new ColumnRing(3, 2);
    for (let i = 1; i <= 5; i++) r.push(i, i * 10);
    expect(r.length).toBe(3);
    expect(r.columnsSince(0)).toEqual([[3, 4, 5], [30, 40, 50]]);
    expect(r.columnsSince(4)).toEqual([[5], [50]]);
    expect(r.rowsNewestFirst(2)).toEqual([[5, 50], [4, 40]]);
    r.push(6, NaN);
    expect(r.columnsSince(5)).toEqual([[6], [null]]);
  });
});

describe('token guard', () => {
  it('accepts exactly the token, from a Bearer header or the query', () => {
    const g = new TokenGuard('s3cret-token-value');
    expect(g.check('s3cret-token-value')).toBe(true);
    expect(g.check('s3cret-token-valuf')).toBe(false);
    expect(g.check('s3cret')).toBe(false);
    expect(g.check('')).toBe(false);
    expect(g.check(undefined)).toBe(false);
    expect(TokenGuard.presented('Bearer abc', '')).toBe('abc');
    expect(TokenGuard.presented('bearer   abc ', 'q')).toBe('abc');
    expect(TokenGuard.presented('Basic abc', 'q')).toBeUndefined(); // a wrong scheme is not silently replaced by the query
    expect(TokenGuard.presented('', 'q')).toBe('q');
    expect(TokenGuard.presented('', 'q', false)).toBeUndefined();
    expect(() => new TokenGuard('short')).toThrow(/at least 8/);
  });
});
