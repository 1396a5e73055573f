import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';
import { AnalyticsFlags, BookFlags } from '../../engine/codec/Messages.js';
import { ColdStore } from './ColdStore.js';
import { ColumnRing } from './ColumnRing.js';
import type { EngineSample, EngineView } from './EngineView.js';
import { HotState, ORDER_EVENT_COLS, ORDER_INTENT_COLS, SIGNAL_COLS, SWEEP_COLS } from './HotState.js';
import { SYMBOL_PANELS, symbolTopic, topicForKey } from './keyRoutes.js';

export interface ModelOptions {
  symbols: { symbol: string; level2: boolean }[];
  rateHz: number;
  historySeconds: number;
  barsKept?: number;
  /** VPIN CDF level of the toxicity alarm (drawn on the VPIN chart) */
  toxicThreshold?: number;
  /** market.source: 'tws' makes the IBKR connection a readiness condition */
  marketSource: string;
  mode: string;
  heartbeatTimeoutMs?: number;
}

/** A page topic: `full` is the whole state (a new or resynchronised subscriber), `delta` what changed since the last delta. */
export interface Topic {
  readonly name: string;
  dirty: boolean;
  full(nowMs: number): unknown;
  /** advances this topic's cursors: call once per published frame */
  delta(nowMs: number): unknown;
  /** nobody subscribes: advance the cursors without building anything */
  skip(): void;
}

/** The dashboard's own counters, written by the feed and the server, shown on the page and in /metrics. */
export class FeedStats {
  clients = 0;
  ticks = 0;
  frames = 0;
  framesSkippedNoSubscriber = 0;
  bytesPublished = 0;
  slowSkips = 0;
  slowDrops = 0;
  resyncs = 0;
  authFailures = 0;
  killRequests = 0;
  badClientMessages = 0;
}

export interface Readiness {
  ready: boolean;
  reasons: string[];
  checks: { redis: boolean; venues: Record<string, boolean>; shuttingDown: boolean };
}

export interface KillRecord {
  reason: string;
  source: string;
  ts: number;
  remote?: string;
}

const PRICE = { t: 0, mid: 1, last: 2, vwap: 3, micro: 4, imb: 5 } as const;
const VPIN = { t: 0, vpin: 1, cdf: 2 } as const;

const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
/** Prices to 1/10,000: exact for any tick size in use, and short on the wire (msgpack float32 when it fits). */
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const px = (x: number): number | null => (Number.isFinite(x) ? r4(x) : null);
const r3 = (x: number): number => Math.round(x * 1e3) / 1e3;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The dashboard's model: the hot state folded from the rings, the cold key space mirrored from the
 * publisher, short histories sampled at the feed rate, and the engine's health from shared memory.
 * It turns them into page topics (per symbol: book, price, vpin, gex, flow; global: watch, signals,
 * trading, health) and knows which topics changed since the last tick.
 */
export class DashboardModel {
  readonly hot: HotState;
  readonly cold: ColdStore;
  readonly stats = new FeedStats();
  readonly topics = new Map<string, Topic>();
  readonly topicList: Topic[] = [];
  readonly symbols: string[];
  readonly startedAtMs = Date.now();
  lastKill: KillRecord | undefined;

  private readonly symbolSet: Set<string>;
  private readonly level2: boolean[];
  private readonly priceHist: ColumnRing[];
  private readonly vpinHist: ColumnRing[];
  private readonly sampledQuote: Float64Array;
  private readonly sampledAnalytics: Float64Array;
  private readonly sampledBars: Float64Array;
  private readonly sampledSweeps: Float64Array;
  private readonly gexSeen: Float64Array; // netGex, zeroGamma, callWall, putWall per symbol, for change detection
  private readonly lastSweepTs: Float64Array;
  private sampledSignals = 0;
  private sampledOrders = 0;
  private lastEngineSample = 0;
  private lastSweep = 0;
  private readonly heartbeatTimeoutMs: number;

  constructor(readonly opts: ModelOptions, readonly engine?: EngineView) {
    this.symbols = opts.symbols.map((s) => s.symbol);
    this.symbolSet = new Set(this.symbols);
    this.level2 = opts.symbols.map((s) => s.level2);
    this.hot = new HotState(this.symbols, opts.barsKept ?? 120);
    this.cold = new ColdStore((key) => this.onKeyChanged(key));
    const points = Math.max(10, Math.round(opts.historySeconds * opts.rateHz));
    this.priceHist = this.symbols.map(() => new ColumnRing(points, 6));
    this.vpinHist = this.symbols.map(() => new ColumnRing(2000, 3));
    const n = this.symbols.length;
    this.sampledQuote = new Float64Array(n);
    this.sampledAnalytics = new Float64Array(n);
    this.sampledBars = new Float64Array(n);
    this.sampledSweeps = new Float64Array(n);
    this.gexSeen = new Float64Array(n * 4).fill(NaN);
    this.lastSweepTs = new Float64Array(n);
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 3000;
    this.symbols.forEach((sym, i) => {
      this.add(this.priceTopic(sym, i));
      this.add(this.bookTopic(sym, i));
      this.add(this.vpinTopic(sym, i));
      this.add(this.gexTopic(sym, i));
      this.add(this.flowTopic(sym, i));
    });
    this.add(this.simple('watch', () => this.watch()));
    this.add(this.signalsTopic());
    this.add(this.simple('trading', (now) => this.trading(now)));
    this.add(this.simple('health', (now) => this.health(now)));
  }

  /** Every topic name a page may subscribe to. */
  get topicNames(): string[] {
    return this.topicList.map((t) => t.name);
  }

  isSymbol(s: string): boolean {
    return this.symbolSet.has(s);
  }

  // ---- inputs -------------------------------------------------------------------------------------------

  onMessage(view: DataView, off: number): void {
    this.hot.onMessage(view, off);
  }

  /** A cold 'publish' / 'publish-many' routed to the dashboard. Malformed requests are counted, never thrown. */
  onPublish(topic: string, payload: unknown, nowMs = Date.now()): void {
    if (topic === 'publish') this.applyRequest(payload, nowMs);
    else if (topic === 'publish-many' && Array.isArray(payload)) for (const r of payload) this.applyRequest(r, nowMs);
    else this.cold.stats.rejected++;
  }

  private applyRequest(r: unknown, nowMs: number): void {
    if (!isObj(r)) {
      this.cold.stats.rejected++;
      return;
    }
    const req = r as Partial<PublishRequest>;
    if (this.cold.set(req.key, req.value, req.ttlMs, nowMs) && typeof req.key === 'string' && req.key.startsWith('analytics:')) {
      this.noteSweep(req.key, nowMs);
    }
  }

  /** The analytics flow key reports the last sweep: each new one joins the symbol's sweep list. */
  private noteSweep(key: string, nowMs: number): void {
    const m = /^analytics:\{([A-Z][A-Z0-9.]{0,9})\}:flow$/.exec(key);
    if (!m) return;
    const i = this.symbols.indexOf(m[1]);
    const v = this.cold.get(key, nowMs);
    const last = isObj(v) && isObj(v.sweeps) && isObj(v.sweeps.last) ? v.sweeps.last : undefined;
    const ts = numOrNull(last?.ts);
    if (i < 0 || !last || ts === null || ts <= this.lastSweepTs[i]) return;
    this.lastSweepTs[i] = ts;
    const side = last.side === 'buy' || last.side === 1 ? 1 : last.side === 'sell' || last.side === -1 ? -1 : 0;
    this.hot.syms[i].sweeps.push(ts, numOrNull(last.endPrice) ?? numOrNull(last.price) ?? NaN, numOrNull(last.volume) ?? numOrNull(last.size) ?? NaN,
      side, numOrNull(last.levels) ?? NaN);
  }

  recordKill(k: KillRecord): void {
    this.lastKill = k;
    this.markDirty('trading');
  }

  private onKeyChanged(key: string): void {
    const t = topicForKey(key, (s) => this.symbolSet.has(s));
    if (t) this.markDirty(t);
  }

  markDirty(topic: string): void {
    const t = this.topics.get(topic);
    if (t) t.dirty = true;
  }

  /**
   * Once per feed tick: sample the histories from the hot state and flag the topics that changed. Also,
   * about once a second, the engine's health and the expiry of cold keys.
   */
  sample(nowMs = Date.now()): void {
    const hot = this.hot;
    for (let i = 0; i < hot.syms.length; i++) {
      const s = hot.syms[i];
      const sym = this.symbols[i];
      if (s.quoteSeq !== this.sampledQuote[i]) {
        this.sampledQuote[i] = s.quoteSeq;
        const t = Math.max(s.quoteTs, s.lastTs) || nowMs;
        const h = this.priceHist[i];
        // Samples are keyed by event time: a second sample with the same time refines the first.
        if (h.length > 0 && h.last(PRICE.t) >= t) {
          h.setLast(PRICE.mid, s.mid); h.setLast(PRICE.last, s.last); h.setLast(PRICE.vwap, s.vwap);
          h.setLast(PRICE.micro, s.micro); h.setLast(PRICE.imb, s.imbalance);
          h.seq++;
        } else {
          h.push(t, s.mid, s.last, s.vwap, s.micro, s.imbalance);
        }
        this.markDirty(symbolTopic('price', sym));
        this.markDirty(symbolTopic('flow', sym));
        this.markDirty('watch');
      }
      if (s.bars.seq !== this.sampledBars[i]) {
        this.sampledBars[i] = s.bars.seq;
        this.markDirty(symbolTopic('price', sym));
      }
      if (s.sweeps.seq !== this.sampledSweeps[i]) {
        this.sampledSweeps[i] = s.sweeps.seq;
        this.markDirty(symbolTopic('flow', sym));
      }
      if (s.analyticsSeq !== this.sampledAnalytics[i]) {
        this.sampledAnalytics[i] = s.analyticsSeq;
        const v = this.vpinHist[i];
        if (Number.isFinite(s.vpin) && (v.length === 0 || v.last(VPIN.vpin) !== s.vpin || v.last(VPIN.cdf) !== s.vpinCdf)) {
          v.push(s.analyticsTs || nowMs, s.vpin, s.vpinCdf);
          this.markDirty(symbolTopic('vpin', sym));
          this.markDirty('watch');
        }
        const g = this.gexSeen;
        const b = i * 4;
        if (!same(g[b], s.netGex) || !same(g[b + 1], s.zeroGamma) || !same(g[b + 2], s.callWall) || !same(g[b + 3], s.putWall)) {
          g[b] = s.netGex; g[b + 1] = s.zeroGamma; g[b + 2] = s.callWall; g[b + 3] = s.putWall;
          this.markDirty(symbolTopic('gex', sym));
        }
        this.markDirty(symbolTopic('flow', sym));
      }
    }
    if (hot.signalsSeq !== this.sampledSignals) {
      this.sampledSignals = hot.signalsSeq;
      this.markDirty('signals');
    }
    if (hot.ordersSeq !== this.sampledOrders) {
      this.sampledOrders = hot.ordersSeq;
      this.markDirty('trading');
    }
    if (nowMs - this.lastEngineSample >= 1000) {
      this.lastEngineSample = nowMs;
      this.engine?.sample(nowMs);
      this.markDirty('health');
    }
    if (nowMs - this.lastSweep >= 1000) {
      this.lastSweep = nowMs;
      this.cold.sweep(nowMs);
    }
  }

  // ---- topics -------------------------------------------------------------------------------------------

  private add(t: Topic): void {
    this.topics.set(t.name, t);
    this.topicList.push(t);
  }

  private simple(name: string, build: (nowMs: number) => unknown): Topic {
    return { name, dirty: true, full: build, delta: build, skip() {} };
  }

  private quote(i: number): Record<string, unknown> {
    const s = this.hot.syms[i];
    return {
      bid: px(s.bid), ask: px(s.ask), bidSize: fin(s.bidSize), askSize: fin(s.askSize), last: px(s.last), lastSize: fin(s.lastSize),
      side: s.lastSide, vwap: px(s.vwap), micro: px(s.micro), imbalance: fin(s.imbalance) === null ? null : r3(s.imbalance),
      volume: fin(s.volume), flags: s.bookFlags, quality: qualityOf(s.bookFlags), ts: Math.round(Math.max(s.quoteTs, s.lastTs)),
    };
  }

  private priceTopic(sym: string, i: number): Topic {
    const model = this;
    let sent = 0;
    let barsSent = 0;
    const build = (full: boolean) => {
      const h = model.priceHist[i];
      const bars = model.hot.syms[i].bars;
      const [t, mid, last, vwap] = h.columnsSince(full ? 0 : sent, [Math.round, r4, r4, r4]);
      const b = bars.columnsSince(full ? 0 : barsSent, [Math.round, r4, r4, r4, r4, Math.round, r4]);
      if (!full) {
        sent = h.seq;
        barsSent = bars.seq;
      }
      return {
        s: sym, full, q: model.quote(i), h: { t, mid, last, vwap },
        bars: { t: b[0], o: b[1], h: b[2], l: b[3], c: b[4], v: b[5], vwap: b[6] },
      };
    };
    return {
      name: symbolTopic('price', sym), dirty: true,
      full: () => build(true), delta: () => build(false),
      skip() {
        sent = model.priceHist[i].seq;
        barsSent = model.hot.syms[i].bars.seq;
      },
    };
  }

  private bookTopic(sym: string, i: number): Topic {
    const key = `market:{${sym}}:book`;
    return this.simple(symbolTopic('book', sym), (now) => {
      const v = this.cold.get(key, now);
      const q = this.quote(i);
      if (!isObj(v)) return { s: sym, level2: this.level2[i], missing: true, bids: [], asks: [], q };
      const ts = numOrNull(v.ts);
      return {
        s: sym, level2: this.level2[i], bids: levels(v.bids), asks: levels(v.asks), quality: v.quality ?? null, ts,
        ageMs: ts === null ? null : Math.max(0, now - ts), q,
      };
    });
  }

  private vpinTopic(sym: string, i: number): Topic {
    const model = this;
    const key = `analytics:{${sym}}:vpin`;
    let sent = 0;
    const build = (full: boolean, now: number) => {
      const s = model.hot.syms[i];
      const h = model.vpinHist[i];
      const [t, vpin, cdf] = h.columnsSince(full ? 0 : sent, [Math.round, r4, r4]);
      if (!full) sent = h.seq;
      const cold = model.cold.get(key, now);
      const c = isObj(cold) ? cold : undefined;
      const threshold = numOrNull(c?.threshold) ?? model.opts.toxicThreshold ?? 0.9;
      const vNow = Number.isFinite(s.vpin) ? s.vpin : numOrNull(c?.vpin);
      const cdfNow = Number.isFinite(s.vpinCdf) ? s.vpinCdf : numOrNull(c?.cdf);
      const hasAny = vNow !== null || c !== undefined;
      return {
        s: sym, full, missing: !hasAny,
        vpin: vNow === null ? null : r4(vNow), cdf: cdfNow === null ? null : r4(cdfNow),
        toxic: (s.analyticsFlags & AnalyticsFlags.ToxicityAlarm) !== 0 || c?.toxic === true,
        threshold, status: typeof c?.status === 'string' ? c.status : vNow !== null ? 'live' : 'no data',
        buckets: numOrNull(c?.buckets), bucketsNeeded: numOrNull(c?.bucketsNeeded), bucketVolume: numOrNull(c?.bucketVolume),
        history: numOrNull(c?.history), minHistory: numOrNull(c?.minHistory),
        ts: Math.round(s.analyticsTs) || numOrNull(c?.ts),
        h: { t, vpin, cdf },
      };
    };
    return {
      name: symbolTopic('vpin', sym), dirty: true,
      full: (now) => build(true, now), delta: (now) => build(false, now),
      skip() {
        sent = model.vpinHist[i].seq;
      },
    };
  }

  private gexTopic(sym: string, i: number): Topic {
    const gexKey = `analytics:{${sym}}:gex`;
    const dexKey = `analytics:{${sym}}:dex`;
    return this.simple(symbolTopic('gex', sym), (now) => {
      const s = this.hot.syms[i];
      const g = this.cold.get(gexKey, now);
      const d = this.cold.get(dexKey, now);
      const gv = isObj(g) ? g : undefined;
      const dv = isObj(d) ? d : undefined;
      const spot = numOrNull(gv?.spot) ?? fin(s.spot) ?? fin(s.mid);
      const prof = profileWindow(gv?.profile, spot, 60);
      const missing = !gv && !Number.isFinite(s.netGex);
      return {
        s: sym, missing, spot: spot === null ? null : r4(spot),
        zeroGamma: numOrNull(gv?.zeroGamma) ?? fin(s.zeroGamma), callWall: numOrNull(gv?.callWall) ?? fin(s.callWall),
        putWall: numOrNull(gv?.putWall) ?? fin(s.putWall),
        totalGex: numOrNull(gv?.totalGex) ?? fin(s.netGex), callGex: numOrNull(gv?.callGex), putGex: numOrNull(gv?.putGex),
        totalDex: numOrNull(dv?.totalDex), contracts: numOrNull(gv?.contracts ?? dv?.contracts),
        chainFetchedAtMs: numOrNull(gv?.chainFetchedAtMs ?? dv?.chainFetchedAtMs), ts: numOrNull(gv?.ts ?? dv?.ts),
        strikes: prof.strike, call: prof.call, put: prof.put, net: prof.net,
      };
    });
  }

  private flowTopic(sym: string, i: number): Topic {
    const model = this;
    const flowKey = `analytics:{${sym}}:flow`;
    const unusualKey = `options:{${sym}}:unusual`;
    let sent = 0;
    const build = (full: boolean, now: number) => {
      const s = model.hot.syms[i];
      const h = model.priceHist[i];
      // The imbalance sparkline: the last minute of the price history's imbalance column.
      const keep = Math.round(60 * model.opts.rateHz);
      const from = full ? Math.max(0, h.seq - keep) : sent;
      const cols = h.columnsSince(from, [Math.round, r4, r4, r4, r4, r3]);
      if (!full) sent = h.seq;
      const f = model.cold.get(flowKey, now);
      const fv = isObj(f) ? f : undefined;
      const u = model.cold.get(unusualKey, now);
      const imbalance = Number.isFinite(s.aImbalance) ? s.aImbalance : s.imbalance;
      const micro = Number.isFinite(s.aMicro) ? s.aMicro : s.micro;
      return {
        s: sym, full,
        imbalance: fin(imbalance) === null ? null : r3(imbalance), micro: px(micro), mid: px(s.mid),
        spread: px(s.ask - s.bid), sweepNow: (s.analyticsFlags & AnalyticsFlags.SweepNow) !== 0,
        hiddenNow: (s.analyticsFlags & AnalyticsFlags.HiddenNow) !== 0,
        sweeps: s.sweeps.rowsNewestFirst(20).map((r) => [Math.round(r[SWEEP_COLS.t] ?? 0), r[SWEEP_COLS.price], r[SWEEP_COLS.size], r[SWEEP_COLS.side], r[SWEEP_COLS.levels]]),
        analytics: fv ?? null,
        unusualOptions: u ?? null,
        h: { t: cols[PRICE.t], imb: cols[PRICE.imb] },
      };
    };
    return {
      name: symbolTopic('flow', sym), dirty: true,
      full: (now) => build(true, now), delta: (now) => build(false, now),
      skip() {
        sent = model.priceHist[i].seq;
      },
    };
  }

  private watch(): unknown {
    return {
      rows: this.hot.syms.map((s, i) => [
        this.symbols[i], px(s.bid), px(s.ask), px(s.last), Number.isFinite(s.ref) && Number.isFinite(s.last) ? r4(((s.last - s.ref) / s.ref) * 100) : null,
        fin(s.imbalance) === null ? null : r3(s.imbalance), fin(s.vpin) === null ? null : r3(s.vpin),
        (s.analyticsFlags & AnalyticsFlags.ToxicityAlarm) !== 0 ? 1 : 0, s.bookFlags, this.level2[i] ? 1 : 0,
      ]),
    };
  }

  private signalsTopic(): Topic {
    const latestKeys = () => this.symbols.map((s) => `signals:{${s}}:latest`);
    return this.simple('signals', (now) => {
      const rows = this.hot.signals.rowsNewestFirst(50).map((r) => ({
        t: Math.round(r[SIGNAL_COLS.t] ?? 0), s: this.symbols[r[SIGNAL_COLS.sym] ?? -1] ?? '?', strategy: r[SIGNAL_COLS.strategy],
        dir: r[SIGNAL_COLS.dir], id: r[SIGNAL_COLS.id], conf: r[SIGNAL_COLS.conf] === null ? null : r3(r[SIGNAL_COLS.conf]!),
        price: r[SIGNAL_COLS.price], target: r[SIGNAL_COLS.target], stop: r[SIGNAL_COLS.stop], expires: r[SIGNAL_COLS.expires],
      }));
      const latest: Record<string, unknown> = {};
      for (const k of latestKeys()) {
        const v = this.cold.get(k, now);
        if (v !== undefined) latest[k.slice(9, k.indexOf('}'))] = v;
      }
      return { list: rows, latest };
    });
  }

  private trading(now: number): unknown {
    const c = this.cold;
    const perf: Record<string, unknown> = {};
    for (const k of c.keys('performance:', now)) if (k !== 'performance:pnl_curve') perf[k.slice(12)] = c.get(k, now);
    const risk: Record<string, unknown> = {};
    for (const k of c.keys('risk:', now)) risk[k.slice(5)] = c.get(k, now);
    const byStatus = this.hot.eventsByStatus;
    const pnlNow = c.get('pnl', now);
    const pv = isObj(pnlNow) ? pnlNow : undefined;
    const equity = numOrNull(pv?.equity);
    const total = numOrNull(pv?.total);
    return {
      positions: c.get('positions', now) ?? null,
      orders: c.get('orders:open', now) ?? null,
      pnl: pnlCurve(c.get('performance:pnl_curve', now)),
      pnlNow: pv ?? null,
      // The curve may be equity: equity − total P&L is its starting level, so the page can plot P&L.
      pnlBase: equity !== null && total !== null ? equity - total : null,
      perf,
      risk,
      breaker: {
        state: asText(c.get('cb:state', now)) ?? null, reason: asText(c.get('cb:reason', now)) ?? null,
        ts: Number(asText(c.get('cb:ts', now))) || null,
      },
      halted: this.engine ? this.engine.tradingHalted : asBool(isObj(c.get('engine:status', now)) ? (c.get('engine:status', now) as Record<string, unknown>).tradingHalted : undefined),
      escalated: this.engine ? this.engine.escalated : null,
      events: this.hot.orderEvents.rowsNewestFirst(30).map((r) => [
        Math.round(r[ORDER_EVENT_COLS.t] ?? 0), this.symbols[r[ORDER_EVENT_COLS.sym] ?? -1] ?? '?', r[ORDER_EVENT_COLS.strategy], r[ORDER_EVENT_COLS.id],
        r[ORDER_EVENT_COLS.leg], r[ORDER_EVENT_COLS.status], r[ORDER_EVENT_COLS.side], r[ORDER_EVENT_COLS.filled], r[ORDER_EVENT_COLS.remaining],
        r[ORDER_EVENT_COLS.lastPx], r[ORDER_EVENT_COLS.avgPx],
      ]),
      intents: this.hot.orderIntents.rowsNewestFirst(30).map((r) => [
        Math.round(r[ORDER_INTENT_COLS.t] ?? 0), this.symbols[r[ORDER_INTENT_COLS.sym] ?? -1] ?? '?', r[ORDER_INTENT_COLS.strategy], r[ORDER_INTENT_COLS.id],
        r[ORDER_INTENT_COLS.leg], r[ORDER_INTENT_COLS.side], r[ORDER_INTENT_COLS.type], r[ORDER_INTENT_COLS.qty], r[ORDER_INTENT_COLS.limit],
      ]),
      counts: { intents: this.hot.intents, filled: byStatus[3], rejected: byStatus[5], cancelled: byStatus[4], events: byStatus.reduce((a, b) => a + b, 0) },
      lastKill: this.lastKill ?? null,
      account: c.get('account:summary', now) ?? null,
      preservation: c.get('engine:preservation', now) ?? null,
    };
  }

  /** The engine's health: shared memory when this runs inside the engine, else the supervisor's published status. */
  engineSample(nowMs = Date.now()): EngineSample | undefined {
    if (this.engine) return this.engine.current(nowMs);
    const st = this.cold.get('engine:status', nowMs);
    if (!isObj(st) || !Array.isArray(st.actors)) return undefined;
    return fromStatus(st, nowMs);
  }

  private health(now: number): unknown {
    const e = this.engineSample(now);
    const st = this.cold.get('engine:status', now);
    const status = isObj(st) ? st : undefined;
    const heartbeats: [string, number | null][] = [];
    for (const k of this.cold.keys('module:heartbeat:', now)) {
      const v = this.cold.get(k, now);
      const ts = isObj(v) ? numOrNull(v.ts) : null;
      heartbeats.push([k.slice(17), ts === null ? null : Math.max(0, now - ts)]);
    }
    const pub = this.cold.get('monitoring:publisher:metrics', now);
    const ib = this.cold.get('monitoring:ibkr:metrics', now);
    const escalation = this.cold.get('engine:escalation', now);
    const haltMark = this.cold.get('engine:halted', now);
    return {
      mode: this.opts.mode,
      source: this.opts.marketSource,
      uptimeMs: status ? numOrNull(status.uptimeMs) : null,
      redisUp: this.redisUp(now),
      escalated: e?.escalated ?? false,
      halted: e?.tradingHalted ?? false,
      escalation: isObj(escalation) ? escalation : null,
      killHalt: isObj(haltMark) ? haltMark : null,
      venues: this.venues(now),
      actors: (e?.actors ?? []).map((a) => [
        a.name, a.kind, a.state, a.alive ? 1 : 0, a.heartbeatAgeMs, a.restarts, a.generation, Math.round(a.inPerSec), Math.round(a.outPerSec),
        a.errors, a.inputErrors, a.degraded ? 1 : 0,
      ]),
      rings: (e?.rings ?? []).map((r) => ({
        name: r.name, producer: r.producer, capacity: r.capacity, published: r.published, rate: Math.round(r.publishedPerSec),
        readers: r.readers.map((rd) => [rd.actor, rd.mode, rd.lag, r3(rd.fill), rd.overruns]),
      })),
      heartbeats,
      publisher: isObj(pub) ? { pending: numOrNull(pub.pending), errors: numOrNull(pub.errors), flushMs: numOrNull(pub.lastFlushDurationMs), keys: numOrNull(pub.keysWritten) } : null,
      ibkr: isObj(ib) ? { reconnects: numOrNull(ib.reconnects), rate: numOrNull(ib.messagesPerSec), decodeErrors: numOrNull(ib.decodeErrors) } : null,
      dashboard: { clients: this.stats.clients, frames: this.stats.frames, drops: this.stats.slowDrops, rateHz: this.opts.rateHz },
    };
  }

  // ---- readiness and API views --------------------------------------------------------------------------

  redisUp(nowMs = Date.now()): boolean {
    if (this.engine) return this.engine.redisUp;
    const st = this.cold.get('engine:status', nowMs);
    return isObj(st) && st.redisUp === true;
  }

  /** Every venue with a `NAME:connected` key, plus the ones readiness requires even before they report. */
  venues(nowMs = Date.now()): Record<string, boolean | null> {
    const out: Record<string, boolean | null> = {};
    if (this.opts.marketSource === 'tws') out.ibkr = null;
    for (const k of this.cold.keys('', nowMs)) {
      if (!k.endsWith(':connected')) continue;
      const v = this.cold.get(k, nowMs);
      out[k.slice(0, -10)] = v === '1' || v === 1 || v === true || v === 'true';
    }
    return out;
  }

  /** Ready: Redis reachable, every venue the configuration needs connected, not shutting down. */
  readiness(nowMs = Date.now()): Readiness {
    const reasons: string[] = [];
    const redis = this.redisUp(nowMs);
    if (!redis) reasons.push(this.engine || this.cold.has('engine:status', nowMs) ? 'redis: not reachable' : 'redis: no engine status yet');
    const venues: Record<string, boolean> = {};
    for (const [name, up] of Object.entries(this.venues(nowMs))) {
      venues[name] = up === true;
      if (up === null) reasons.push(`${name}: no connection report (${name}:connected absent or expired)`);
      else if (!up) reasons.push(`${name}: not connected`);
    }
    const shuttingDown = this.engine?.current(nowMs).shuttingDown ?? false;
    if (shuttingDown) reasons.push('engine: shutting down');
    return { ready: reasons.length === 0, reasons, checks: { redis, venues, shuttingDown } };
  }

  symbolsInfo(nowMs = Date.now()): unknown {
    return this.hot.syms.map((s, i) => ({
      symbol: this.symbols[i], id: i, level2: this.level2[i],
      bid: px(s.bid), ask: px(s.ask), last: px(s.last), hasBook: this.cold.has(`market:{${this.symbols[i]}}:book`, nowMs),
      topics: SYMBOL_PANELS.map((p) => symbolTopic(p, this.symbols[i])),
    }));
  }
}

const same = (a: number, b: number): boolean => a === b || (a !== a && b !== b);

function qualityOf(flags: number): string {
  if (flags & BookFlags.Halted) return 'halted';
  if (flags & BookFlags.Crossed) return 'crossed';
  if (flags & BookFlags.Locked) return 'locked';
  if (flags & BookFlags.Stale) return 'stale';
  if (flags & BookFlags.OneSided) return 'one-sided';
  return 'ok';
}

/** Book rows `[price, size, marketMaker?]`, kept only when well-formed, at most 50 a side. */
function levels(v: unknown): unknown[] {
  if (!Array.isArray(v)) return [];
  const out: unknown[] = [];
  for (const row of v) {
    if (out.length >= 50) break;
    if (!Array.isArray(row) || typeof row[0] !== 'number' || typeof row[1] !== 'number') continue;
    out.push(row.length > 2 && typeof row[2] === 'string' && row[2] ? [r4(row[0]), row[1], row[2]] : [r4(row[0]), row[1]]);
  }
  return out;
}

/** The `max` strikes nearest to spot, ascending, as columns. */
function profileWindow(profile: unknown, spot: number | null, max: number): { strike: number[]; call: number[]; put: number[]; net: number[] } {
  const out = { strike: [] as number[], call: [] as number[], put: [] as number[], net: [] as number[] };
  if (!Array.isArray(profile) || profile.length === 0) return out;
  const rows = profile.filter((r): r is Record<string, number> => isObj(r) && typeof r.strike === 'number');
  let lo = 0;
  let hi = rows.length;
  if (rows.length > max && spot !== null) {
    let k = 0;
    while (k < rows.length && rows[k].strike < spot) k++;
    lo = Math.max(0, Math.min(rows.length - max, k - (max >> 1)));
    hi = lo + max;
  } else if (rows.length > max) hi = max;
  for (let j = lo; j < hi; j++) {
    const r = rows[j];
    out.strike.push(r.strike);
    out.call.push(Number.isFinite(r.callGex) ? r.callGex : 0);
    out.put.push(Number.isFinite(r.putGex) ? r.putGex : 0);
    out.net.push(Number.isFinite(r.netGex) ? r.netGex : (r.callGex || 0) + (r.putGex || 0));
  }
  return out;
}

/** A P&L curve in whatever shape it was published: `[[t, v]]`, `[{t|ts|time, pnl|value|equity|v}]` or `{t:[], v:[]}`. */
export function pnlCurve(v: unknown): { t: number[]; v: number[] } | null {
  if (v === undefined || v === null) return null;
  const out = { t: [] as number[], v: [] as number[] };
  const push = (t: unknown, y: unknown) => {
    const tn = typeof t === 'string' ? Date.parse(t) : Number(t);
    const yn = Number(y);
    if (Number.isFinite(tn) && Number.isFinite(yn)) {
      out.t.push(tn < 1e11 ? tn * 1000 : tn); // seconds or milliseconds
      out.v.push(yn);
    }
  };
  const rows = Array.isArray(v) ? v : isObj(v) && Array.isArray(v.points) ? v.points : undefined;
  if (rows) {
    for (const r of rows) {
      if (Array.isArray(r)) push(r[0], r[1]);
      else if (isObj(r)) push(r.t ?? r.ts ?? r.time ?? r.timestamp, r.pnl ?? r.value ?? r.equity ?? r.v ?? r.cumulative);
    }
  } else if (isObj(v) && Array.isArray(v.t) && Array.isArray(v.v)) {
    for (let i = 0; i < v.t.length; i++) push(v.t[i], (v.v as unknown[])[i]);
  }
  return out.t.length ? out : null;
}

const asText = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const asBool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

/** The supervisor's EngineStatus (published as `engine:status`) in the shape EngineView samples. */
function fromStatus(st: Record<string, unknown>, nowMs: number): EngineSample {
  const actors = (st.actors as Record<string, unknown>[]).filter(isObj).map((a) => ({
    name: String(a.name), kind: String(a.kind), state: String(a.state), alive: a.alive === true,
    heartbeatAgeMs: numOrNull(a.heartbeatAgeMs), restarts: Number(a.restarts) || 0, generation: Number(a.generation) || 0,
    msgsIn: Number(a.msgsIn) || 0, msgsOut: Number(a.msgsOut) || 0, inPerSec: 0, outPerSec: 0,
    errors: Number(a.errors) || 0, inputErrors: Number(a.inputErrors) || 0, degraded: a.degraded === true,
  }));
  const rings = (Array.isArray(st.rings) ? st.rings : []).filter(isObj).map((r) => ({
    name: String(r.name), producer: String(r.producer), capacity: Number(r.capacity) || 0, published: Number(r.published) || 0,
    publishedPerSec: 0, fullEvents: Number(r.fullEvents) || 0, dropped: Number(r.dropped) || 0,
    readers: (Array.isArray(r.readers) ? r.readers : []).filter(isObj).map((rd, j) => ({
      actor: Array.isArray(r.readerNames) ? String(r.readerNames[j]) : String(j), mode: String(rd.mode), lag: Number(rd.lag) || 0,
      fill: Number(rd.fill) || 0, overruns: Number(rd.overruns) || 0,
    })),
  }));
  return {
    ts: Number(st.ts) || nowMs, redisUp: st.redisUp === true, escalated: st.escalated === true, tradingHalted: st.tradingHalted === true,
    shuttingDown: false, actors, rings,
  };
}
