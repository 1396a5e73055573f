import { Registry } from 'prom-client';
import { msgEnqueueNs, msgIngestNs } from '../../engine/codec/Header.js';
import type { DashboardModel } from './DashboardModel.js';

type Labels = Record<string, string | number>;
interface Sample { labels?: Labels; value: number; metricName?: string }

/**
 * A metric whose samples are read from their source at scrape time (the health table, ring headers, the
 * published monitoring keys): nothing is updated between scrapes. Registered in a prom-client Registry,
 * which formats it like its own metrics.
 */
class SourcedMetric {
  readonly aggregator = 'sum';
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge', private readonly read: () => Sample[]) {}
  get(): { name: string; help: string; type: string; values: Sample[]; aggregator: string } {
    let values: Sample[];
    try {
      values = this.read().filter((s) => Number.isFinite(s.value));
    } catch {
      values = []; // a malformed monitoring key costs its samples, never the scrape
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** A histogram published by another actor as JSON (bounds, per-bucket counts, sum, count), exported at scrape time. */
interface HistogramJson { bounds: number[]; counts: number[]; sum: number; count: number }

class SourcedHistogram {
  readonly aggregator = 'sum';
  readonly type = 'histogram';
  /** `scale` converts the published unit to the exported one (ms → s: 0.001). */
  constructor(readonly name: string, readonly help: string, private readonly read: () => unknown, private readonly scale = 1) {}
  get(): { name: string; help: string; type: string; values: Sample[]; aggregator: string } {
    const values: Sample[] = [];
    const h = this.read() as Partial<HistogramJson> | undefined;
    if (h && Array.isArray(h.bounds) && Array.isArray(h.counts) && h.counts.length === h.bounds.length + 1) {
      let cum = 0;
      h.counts.forEach((c, i) => {
        cum += Number(c) || 0;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: i < h.bounds!.length ? h.bounds![i] * this.scale : '+Inf' }, value: cum });
      });
      values.push({ metricName: `${this.name}_sum`, value: (Number(h.sum) || 0) * this.scale });
      values.push({ metricName: `${this.name}_count`, value: Number(h.count) || 0 });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** Latency buckets (seconds): 1 µs to 2.5 s, roughly 1-2.5-5 per decade. */
export const LATENCY_BUCKETS = [
  1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5,
];

/**
 * A Prometheus histogram kept in preallocated arrays, one row per ring: observing is a short scan over
 * the bounds and two additions, cheap enough for every message the dashboard reads. prom-client's own
 * Histogram hashes its labels on each observe, which is too much for the hot path.
 */
export class LatencyHistogram {
  readonly aggregator = 'sum';
  readonly type = 'histogram';
  private readonly counts: Float64Array; // per row: one count per bucket (non-cumulative) + overflow
  private readonly sums: Float64Array;
  private readonly totals: Float64Array;
  private readonly nb = LATENCY_BUCKETS.length;

  constructor(readonly name: string, readonly help: string, readonly labelName: string, readonly rows: readonly string[]) {
    this.counts = new Float64Array(rows.length * (this.nb + 1));
    this.sums = new Float64Array(rows.length);
    this.totals = new Float64Array(rows.length);
  }

  observe(row: number, seconds: number): void {
    if (!(seconds >= 0) || row >= this.rows.length) return;
    let b = 0;
    while (b < this.nb && seconds > LATENCY_BUCKETS[b]) b++;
    this.counts[row * (this.nb + 1) + b]++;
    this.sums[row] += seconds;
    this.totals[row]++;
  }

  count(row: number): number {
    return this.totals[row];
  }

  get(): { name: string; help: string; type: string; values: Sample[]; aggregator: string } {
    const values: Sample[] = [];
    this.rows.forEach((label, r) => {
      let cum = 0;
      for (let b = 0; b <= this.nb; b++) {
        cum += this.counts[r * (this.nb + 1) + b];
        values.push({ metricName: `${this.name}_bucket`, labels: { [this.labelName]: label, le: b < this.nb ? LATENCY_BUCKETS[b] : '+Inf' }, value: cum });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { [this.labelName]: label }, value: this.sums[r] });
      values.push({ metricName: `${this.name}_count`, labels: { [this.labelName]: label }, value: this.totals[r] });
    });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);
const STATUS_NAMES = ['new', 'accepted', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired', 'pending_cancel'];

/**
 * `/metrics`: the engine in Prometheus text format, from the dashboard's own prom-client Registry.
 * Per actor: up, messages/s and totals, restarts, errors, heartbeat age. Per ring and reader: fill, lag,
 * overruns. Hop latency (producer enqueue → dashboard read) and pipeline latency (ingest → producer
 * enqueue) per ring, from the engine-clock stamps in every message header. Redis publish lag and errors
 * (publisher metrics), venue connection and reconnects, Alpha Vantage calls and throttles (options
 * metrics), orders and rejections (execution's counters, and the order events on the orders ring), breaker and halt
 * state, readiness,
 * and the dashboard's own feed counters.
 */
export class DashboardMetrics {
  readonly registry = new Registry();
  readonly hop: LatencyHistogram;
  readonly pipeline: LatencyHistogram;

  /** `instance`: set in cluster mode, every series carries it (`instance="<id>"`), so N engines stay apart. */
  constructor(private readonly model: DashboardModel, ringNames: readonly string[], private readonly nowNs: () => number, instance?: string) {
    if (instance) this.registry.setDefaultLabels({ instance });
    this.hop = new LatencyHistogram('alphatrader_hop_latency_seconds', 'Ring hop: producer enqueue to the dashboard reading the message (engine clock)', 'ring', ringNames);
    this.pipeline = new LatencyHistogram('alphatrader_pipeline_latency_seconds', 'Pipeline: ingest of the originating bytes to enqueue on this ring (engine clock)', 'ring', ringNames);
    this.registry.registerMetric(this.hop as never);
    this.registry.registerMetric(this.pipeline as never);
    this.defineEngine();
    this.defineSources();
    this.defineTrading();
    this.defineFeed();
  }

  private batchNowNs = 0;

  /**
   * Hot path: one message read from input ring `row`. The clock is read once per poll batch (`endBatch`):
   * the messages of a batch are all read within microseconds of each other, and a clock read per message
   * would cost more than the rest of the dashboard's per-message work.
   */
  observe(row: number, view: DataView, off: number): void {
    const enq = msgEnqueueNs(view, off);
    if (!(enq > 0)) return;
    if (this.batchNowNs === 0) this.batchNowNs = this.nowNs();
    const hop = this.batchNowNs - enq;
    if (hop >= 0) this.hop.observe(row, hop / 1e9);
    const ingest = msgIngestNs(view, off);
    if (ingest > 0 && enq >= ingest) this.pipeline.observe(row, (enq - ingest) / 1e9);
  }

  /** The end of a poll batch: the next message reads the clock again. */
  endBatch(): void {
    this.batchNowNs = 0;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  private reg(name: string, help: string, type: 'counter' | 'gauge', read: () => Sample[]): void {
    this.registry.registerMetric(new SourcedMetric(name, help, type, read) as never);
  }

  private defineEngine(): void {
    const m = this.model;
    const actors = () => m.engineSample()?.actors ?? [];
    const rings = () => m.engineSample()?.rings ?? [];
    this.reg('alphatrader_actor_up', 'Actor running with a fresh heartbeat (1) or not (0)', 'gauge', () => actors().map((a) => ({ labels: { actor: a.name }, value: a.alive ? 1 : 0 })));
    this.reg('alphatrader_actor_messages_per_second', 'Messages per second in and out of each actor over the last second', 'gauge', () =>
      actors().flatMap((a) => [{ labels: { actor: a.name, direction: 'in' }, value: a.inPerSec }, { labels: { actor: a.name, direction: 'out' }, value: a.outPerSec }]));
    this.reg('alphatrader_actor_messages_total', 'Messages in and out of each actor since start', 'counter', () =>
      actors().flatMap((a) => [{ labels: { actor: a.name, direction: 'in' }, value: a.msgsIn }, { labels: { actor: a.name, direction: 'out' }, value: a.msgsOut }]));
    this.reg('alphatrader_actor_restarts_total', 'Restarts of each actor by the supervisor', 'counter', () => actors().map((a) => ({ labels: { actor: a.name }, value: a.restarts })));
    this.reg('alphatrader_actor_errors_total', 'Errors per actor: handler failures and bad input dropped', 'counter', () =>
      actors().flatMap((a) => [{ labels: { actor: a.name, kind: 'handler' }, value: a.errors }, { labels: { actor: a.name, kind: 'input' }, value: a.inputErrors }]));
    this.reg('alphatrader_actor_heartbeat_age_seconds', 'Age of each actor\'s last heartbeat', 'gauge', () =>
      actors().filter((a) => a.heartbeatAgeMs !== null).map((a) => ({ labels: { actor: a.name }, value: a.heartbeatAgeMs! / 1000 })));
    this.reg('alphatrader_actor_degraded', 'Actor running without a dependency (1) or not (0)', 'gauge', () => actors().map((a) => ({ labels: { actor: a.name }, value: a.degraded ? 1 : 0 })));
    this.reg('alphatrader_ring_fill_ratio', 'Fill of each ring as seen by each reader (lag / capacity)', 'gauge', () =>
      rings().flatMap((r) => r.readers.map((rd) => ({ labels: { ring: r.name, reader: rd.actor }, value: rd.fill }))));
    this.reg('alphatrader_ring_lag_messages', 'Messages published but not yet read, per ring and reader', 'gauge', () =>
      rings().flatMap((r) => r.readers.map((rd) => ({ labels: { ring: r.name, reader: rd.actor }, value: rd.lag }))));
    this.reg('alphatrader_ring_overruns_total', 'Messages a lossy reader lost to overrun', 'counter', () =>
      rings().flatMap((r) => r.readers.map((rd) => ({ labels: { ring: r.name, reader: rd.actor }, value: rd.overruns }))));
    this.reg('alphatrader_ring_published_total', 'Messages published on each ring (32-bit, wraps)', 'counter', () => rings().map((r) => ({ labels: { ring: r.name }, value: r.published })));
    this.reg('alphatrader_ring_full_events_total', 'Times a producer found its ring full (lossless back-pressure)', 'counter', () => rings().map((r) => ({ labels: { ring: r.name }, value: r.fullEvents })));
    this.reg('alphatrader_redis_up', 'Redis reachable by the publisher (1) or not (0)', 'gauge', () => [{ value: m.redisUp() ? 1 : 0 }]);
    this.reg('alphatrader_engine_escalated', 'Supervisor escalated: restart intensity exceeded (1) or not (0)', 'gauge', () => [{ value: m.engineSample()?.escalated ? 1 : 0 }]);
    this.reg('alphatrader_trading_halted', 'Trading halted: no new entries (1) or not (0)', 'gauge', () => [{ value: m.engineSample()?.tradingHalted ? 1 : 0 }]);
    this.reg('alphatrader_ready', 'Readiness as /ready reports it (1 ready, 0 not)', 'gauge', () => [{ value: m.readiness().ready ? 1 : 0 }]);
  }

  /** Series read from the monitoring keys other actors publish; absent keys simply give no samples. */
  private defineSources(): void {
    const m = this.model;
    const key = (k: string): Record<string, unknown> | undefined => {
      const v = m.cold.get(k);
      return isObj(v) ? v : undefined;
    };
    const one = (v: unknown, labels?: Labels): Sample[] => (Number.isFinite(num(v)) ? [{ labels, value: num(v) }] : []);
    const pub = () => key('monitoring:publisher:metrics');
    this.reg('alphatrader_redis_publish_lag_seconds', 'Age of the publisher\'s last successful flush to Redis when it last reported', 'gauge', () => {
      const p = pub();
      if (!p) return [];
      const ts = num(p.ts);
      const last = num(p.lastFlushMs);
      return Number.isFinite(ts) && Number.isFinite(last) && last > 0 ? [{ value: Math.max(0, ts - last) / 1000 }] : [];
    });
    this.reg('alphatrader_redis_flush_duration_seconds', 'Duration of the publisher\'s last pipelined flush', 'gauge', () => one(num(pub()?.lastFlushDurationMs) / 1000));
    this.reg('alphatrader_redis_publish_errors_total', 'Keys the publisher failed to write to Redis', 'counter', () => one(pub()?.errors));
    this.reg('alphatrader_redis_keys_written_total', 'Keys the publisher wrote to Redis', 'counter', () => one(pub()?.keysWritten));
    this.reg('alphatrader_redis_pending_keys', 'Conflated keys waiting for the next flush (grows while Redis is down)', 'gauge', () => one(pub()?.pending));
    this.reg('alphatrader_redis_dropped_keys_total', 'Keys dropped because the pending map was full while Redis was down', 'counter', () => one(pub()?.droppedKeys));
    this.reg('alphatrader_venue_connected', 'Venue connection (1 connected, 0 not) from NAME:connected', 'gauge', () =>
      Object.entries(m.venues()).map(([venue, up]) => ({ labels: { venue }, value: up ? 1 : 0 })));
    this.reg('alphatrader_venue_reconnects_total', 'Reconnections per venue', 'counter', () => {
      const out: Sample[] = [];
      for (const k of m.cold.keys('monitoring:')) {
        const mm = /^monitoring:([a-z0-9_-]+):metrics$/.exec(k);
        if (!mm) continue;
        const v = key(k);
        if (v && Number.isFinite(num(v.reconnects))) out.push({ labels: { venue: mm[1] }, value: num(v.reconnects) });
      }
      return out;
    });
    const av = () => key('monitoring:options:metrics') ?? key('monitoring:alpha-vantage:metrics');
    // Venue input the guards refused, cut or reconnected over (TwsFrameGuard, IngestLimits, the Alpha Vantage caps).
    this.reg('alphatrader_venue_guard_total', 'Venue input refused, truncated or reconnected over by the ingest guards, by venue and reason', 'counter', () => {
      const out: Sample[] = [];
      const add = (venue: string, g: unknown) => {
        if (!isObj(g)) return;
        for (const [reason, v] of Object.entries(g)) if (Number.isFinite(num(v))) out.push({ labels: { venue, reason }, value: num(v) });
      };
      add('ibkr', key('monitoring:ibkr:metrics')?.guard);
      const o = av();
      add('alpha-vantage', o?.guard ?? (isObj(o?.client) ? o.client.guard : undefined));
      return out;
    });
    // Every data-quality gate (monitoring:quality from market-depth, the chain validation, VPIN's size refusal).
    this.reg('alphatrader_quality_events_total', 'Data refused or flagged by a quality gate, by gate and symbol (symbol "" for gates counted across symbols)', 'counter', () => {
      const out: Sample[] = [];
      const push = (gate: string, symbol: string, v: unknown) => {
        if (Number.isFinite(num(v))) out.push({ labels: { gate, symbol }, value: num(v) });
      };
      const q = key('monitoring:quality');
      if (q) {
        for (const gate of ['outlier', 'outlierRebase', 'stale'] as const) {
          const per = q[gate];
          if (isObj(per)) for (const [sym, v] of Object.entries(per)) push(gate, sym, v);
        }
        for (const gate of ['crossedOrLocked', 'badPrints', 'halts', 'ignoredDepthOps', 'quarantineDropped'] as const) push(gate, '', q[gate]);
        if (isObj(q.ingest)) for (const [why, v] of Object.entries(q.ingest)) push(`ingest_${why}`, '', v);
      }
      const o = av();
      if (isObj(o?.quarantinedByReason)) for (const [why, v] of Object.entries(o.quarantinedByReason)) push(`chain_${why}`, '', v);
      push('vpin_oversized_trade', '', key('monitoring:analytics:metrics')?.oversizedTrades);
      // execution's own gates: a crossed/locked book is no mark; a stale symbol trips its rule
      const ex = key('monitoring:execution:metrics');
      push('exec_crossed_book', '', ex?.crossedBooks);
      push('exec_stale_trip', '', ex?.staleTrips);
      return out;
    });
    this.reg('alphatrader_alphavantage_calls_total', 'HTTP calls made to Alpha Vantage', 'counter', () => {
      const v = av();
      return one(v?.calls ?? (isObj(v?.client) ? v.client.calls : undefined));
    });
    this.reg('alphatrader_alphavantage_throttles_total', 'Alpha Vantage answers that were throttles (rate-limit notes)', 'counter', () => {
      const v = av();
      return one(v?.throttles ?? (isObj(v?.client) ? v.client.throttles : undefined));
    });
    this.reg('alphatrader_order_intents_total', 'Order intents seen on the orders ring by the dashboard (lossy reader)', 'counter', () => [{ value: m.hot.intents }]);
    this.reg('alphatrader_order_events_total', 'Order events seen on the orders ring by the dashboard (lossy reader), by status', 'counter', () =>
      STATUS_NAMES.map((status, i) => ({ labels: { status }, value: m.hot.eventsByStatus[i] })));
    this.reg('alphatrader_order_rejections_total', 'Orders rejected (order events with status rejected)', 'counter', () => [{ value: m.hot.eventsByStatus[5] }]);
    const exec = () => key('monitoring:execution:metrics');
    this.reg('alphatrader_orders_sent_total', 'Orders execution sent to the broker', 'counter', () => one(exec()?.ordersSent));
    this.reg('alphatrader_orders_rejected_total', 'Orders rejected, by the risk engine or by the broker', 'counter', () => {
      const e = exec();
      return [...one(e?.riskRejected, { by: 'risk' }), ...one(e?.brokerRejected, { by: 'broker' })];
    });
    this.reg('alphatrader_journal_intent_seconds', 'Time for Redis to acknowledge an order intent (journaled before every broker call), since execution started', 'gauge', () => {
      const j = exec()?.journalIntentUs;
      if (!isObj(j)) return [];
      return (['p50', 'p99'] as const).flatMap((q) => (typeof j[q] === 'number' ? [{ labels: { quantile: q === 'p50' ? '0.5' : '0.99' }, value: (j[q] as number) / 1e6 }] : []));
    });
    this.reg('alphatrader_breaker_tripped', 'Circuit breaker (cb:state) tripped (1), armed (0)', 'gauge', () => {
      const s = m.cold.get('cb:state');
      return typeof s === 'string' ? [{ value: /trip|open|halt|kill/i.test(s) ? 1 : 0 }] : [{ value: 0 }];
    });
  }

  /**
   * Trading, from what execution and the supervisor already publish (pnl, positions, orders:open,
   * account:summary, engine:preservation, monitoring:execution:metrics, monitoring:alerts:metrics): read at
   * scrape time, nothing added to the order path.
   */
  private defineTrading(): void {
    const m = this.model;
    const obj = (k: string): Record<string, unknown> | undefined => {
      const v = m.cold.get(k);
      return isObj(v) ? v : undefined;
    };
    const one = (v: unknown, labels?: Labels): Sample[] => (Number.isFinite(num(v)) ? [{ labels, value: num(v) }] : []);
    const exec = () => obj('monitoring:execution:metrics');
    const trading = () => (isObj(exec()?.trading) ? (exec()!.trading as Record<string, unknown>) : undefined);
    const health = () => (isObj(exec()?.preservation) ? (exec()!.preservation as Record<string, unknown>) : undefined);
    this.reg('alphatrader_equity', 'Engine equity: starting equity plus realised and unrealised P&L (pnl.equity)', 'gauge', () => one(obj('pnl')?.equity));
    this.reg('alphatrader_pnl', 'P&L by kind: realized, unrealized, total, day (pnl)', 'gauge', () => {
      const p = obj('pnl');
      return p ? (['realized', 'unrealized', 'total', 'day'] as const).flatMap((kind) => one(p[kind], { kind })) : [];
    });
    this.reg('alphatrader_drawdown', 'Drawdown from the day\'s equity peak (pnl.drawdown)', 'gauge', () => one(obj('pnl')?.drawdown));
    const account = () => obj('account:summary');
    const acctField = (f: string) => () => {
      const a = account();
      return a ? one(a[f], { broker: String(a.broker ?? '') }) : [];
    };
    this.reg('alphatrader_account_equity', 'Broker account equity (net liquidation) as last read (account:summary)', 'gauge', acctField('equity'));
    this.reg('alphatrader_account_cash', 'Broker account cash', 'gauge', acctField('cash'));
    this.reg('alphatrader_account_buying_power', 'Broker account buying power', 'gauge', acctField('buyingPower'));
    this.reg('alphatrader_account_options_buying_power', 'Broker account options buying power', 'gauge', acctField('optionsBuyingPower'));
    this.reg('alphatrader_account_margin', 'Broker account margin requirement, by kind (initial, maintenance)', 'gauge', () => {
      const a = account();
      return a ? [...one(a.initialMargin, { kind: 'initial' }), ...one(a.maintenanceMargin, { kind: 'maintenance' })] : [];
    });
    this.reg('alphatrader_account_age_seconds', 'Age of the last good broker account read (absent: none young enough to trade on)', 'gauge', () => {
      const a = account();
      return a && Number.isFinite(num(a.readAt)) ? [{ value: Math.max(0, Date.now() - num(a.readAt)) / 1000 }] : [];
    });
    this.reg('alphatrader_account_read_duration_seconds', 'Duration of the last good broker account read', 'gauge', () => one(num(account()?.readMs) / 1000));
    this.reg('alphatrader_position_quantity', 'Position per symbol (signed shares)', 'gauge', () => {
      const p = m.cold.get('positions');
      return Array.isArray(p) ? p.filter(isObj).flatMap((x) => one(x.qty, { symbol: String(x.symbol) })) : [];
    });
    this.reg('alphatrader_position_unrealized_pnl', 'Unrealised P&L per symbol', 'gauge', () => {
      const p = m.cold.get('positions');
      return Array.isArray(p) ? p.filter(isObj).flatMap((x) => one(x.unrealizedPnl, { symbol: String(x.symbol) })) : [];
    });
    this.reg('alphatrader_positions_open', 'Symbols with a non-zero position', 'gauge', () => {
      const p = m.cold.get('positions');
      return Array.isArray(p) ? [{ value: p.filter((x) => isObj(x) && num(x.qty) !== 0).length }] : [];
    });
    this.reg('alphatrader_working_orders', 'Orders of the engine working at the broker (orders:open), by side', 'gauge', () => {
      const o = m.cold.get('orders:open');
      if (!Array.isArray(o)) return [];
      const rows = o.filter(isObj);
      return ['buy', 'sell'].map((side) => ({ labels: { side }, value: rows.filter((x) => x.side === side).length }));
    });
    this.registry.registerMetric(new SourcedHistogram('alphatrader_order_ack_latency_seconds', 'Order sent to the broker\'s acknowledgement (wall clock, orders this process sent)', () => trading()?.ackMs, 0.001) as never);
    this.registry.registerMetric(new SourcedHistogram('alphatrader_order_fill_latency_seconds', 'Order sent to completely filled (wall clock, orders this process sent)', () => trading()?.fillMs, 0.001) as never);
    this.registry.registerMetric(new SourcedHistogram('alphatrader_fill_slippage_bps', 'Slippage of each fill against the order\'s reference price (signal price, else the mid when sent), bps, positive = worse', () => trading()?.slippageBps) as never);
    this.reg('alphatrader_fill_slippage_bps_mean', 'Notional-weighted mean slippage of every fill since start, bps', 'gauge', () => one(trading()?.slippageBpsMean));
    this.reg('alphatrader_orders_acked_total', 'Orders the broker acknowledged', 'counter', () => one(trading()?.acked));
    this.reg('alphatrader_orders_filled_total', 'Orders completely filled', 'counter', () => one(trading()?.filled));
    this.reg('alphatrader_journal_ok', 'The order journal\'s Redis answers (1) or every order is refused (0)', 'gauge', () => {
      const e = exec();
      return e && typeof e.journalOk === 'boolean' ? [{ value: e.journalOk ? 1 : 0 }] : [];
    });
    this.reg('alphatrader_execution_ready', 'Execution has replayed its journal and reconciled with the broker (1) or not (0)', 'gauge', () => {
      const e = exec();
      return e && typeof e.ready === 'boolean' ? [{ value: e.ready ? 1 : 0 }] : [];
    });
    this.reg('alphatrader_position_drift_symbols', 'Symbols whose engine position differs from the broker\'s at the last reconciliation', 'gauge', () => {
      const d = obj('execution:drift');
      return d && Array.isArray(d.drift) ? [{ value: d.drift.length }] : [];
    });
    this.reg('alphatrader_broker_errors_total', 'Orders the broker did not take (unavailable or ambiguous; reconciliation settles them)', 'counter', () => one(exec()?.brokerErrors));
    this.reg('alphatrader_preservation_mode', 'Preservation mode: no new entries after consecutive broker errors (1) or not (0)', 'gauge', () => {
      const p = obj('engine:preservation');
      return p ? [{ value: p.active === true ? 1 : 0 }] : [];
    });
    this.reg('alphatrader_preservation_entered_total', 'Times preservation mode was entered since start', 'counter', () => one(health()?.entered));
    this.reg('alphatrader_broker_consecutive_errors', 'Consecutive failed broker calls (account reads, placements, reconciliations)', 'gauge', () => one(health()?.consecutiveErrors));
    this.reg('alphatrader_broker_down_seconds', 'How long the broker connection has been down (0 when up)', 'gauge', () => {
      const h = health();
      if (!h) return [];
      const since = num(h.downSince);
      const ts = num(exec()?.ts);
      return [{ value: Number.isFinite(since) && Number.isFinite(ts) ? Math.max(0, ts - since) / 1000 : 0 }];
    });
    // The adapters' own counters, kept since the first broker release and exported here.
    this.reg('alphatrader_broker_events_total', 'Broker adapter counters by kind: retries, reconnects, timeouts, rateLimited, errors, duplicatesAvoided, …', 'counter', () => {
      const e = exec();
      const st = isObj(e?.brokerStats) ? e!.brokerStats as Record<string, unknown> : undefined;
      const broker = String(e?.broker ?? '');
      return st ? Object.entries(st).flatMap(([kind, v]) => one(v, { broker, kind })) : [];
    });
    const av = () => obj('monitoring:options:metrics');
    this.reg('alphatrader_alphavantage_retries_total', 'Alpha Vantage requests retried (throttles, network and HTTP errors)', 'counter', () => {
      const v = av();
      return one(v?.retries ?? (isObj(v?.client) ? v.client.retries : undefined));
    });
    const alerts = () => obj('monitoring:alerts:metrics');
    this.reg('alphatrader_alerts_total', 'Alerts by outcome: raised, sent, failed, deduplicated, rateLimited, retries (the supervisor\'s notifier)', 'counter', () => {
      const a = alerts();
      return a ? (['raised', 'sent', 'failed', 'deduplicated', 'rateLimited', 'retries'] as const).flatMap((outcome) => one(a[outcome], { outcome })) : [];
    });
  }

  private defineFeed(): void {
    const m = this.model;
    const s = m.stats;
    this.reg('alphatrader_dashboard_clients', 'Browsers connected to the dashboard feed', 'gauge', () => [{ value: s.clients }]);
    this.reg('alphatrader_dashboard_frames_total', 'Conflated frames published to the feed', 'counter', () => [{ value: s.frames }]);
    this.reg('alphatrader_dashboard_bytes_total', 'Bytes published (frame size × subscribers)', 'counter', () => [{ value: s.bytesPublished }]);
    this.reg('alphatrader_dashboard_slow_client_skips_total', 'Ticks a client was skipped because its unsent bytes passed the limit', 'counter', () => [{ value: s.slowSkips }]);
    this.reg('alphatrader_dashboard_slow_client_drops_total', 'Clients disconnected for staying behind', 'counter', () => [{ value: s.slowDrops }]);
    this.reg('alphatrader_dashboard_auth_failures_total', 'Requests refused for a missing or wrong token', 'counter', () => [{ value: s.authFailures }]);
    this.reg('alphatrader_dashboard_kill_requests_total', 'Kill-switch requests accepted and forwarded', 'counter', () => [{ value: s.killRequests }]);
    this.reg('alphatrader_dashboard_cold_keys', 'Published keys mirrored in the dashboard', 'gauge', () => [{ value: m.cold.size }]);
    this.reg('alphatrader_dashboard_bad_input_total', 'Malformed inputs the dashboard dropped (ring messages, publish requests, client messages)', 'counter', () =>
      [{ value: m.hot.badMessages + m.cold.stats.rejected + s.badClientMessages }]);
  }
}
