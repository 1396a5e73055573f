import { scanAll } from '../../../engine/redis/SlotGroups.js';
import type { RedisLike } from '../../../engine/redis/RedisClient.js';
import type { DateStr, MarketCalendar } from '../../../analytics/calendar.js';
import { etDate } from '../../../analytics/calendar.js';
import type { ActorAlert } from '../../../engine/alerts/actorAlert.js';
import { Episodes } from '../../../engine/alerts/Episodes.js';
import type { Clock } from '../../../engine/clock/index.js';
import type { EngineConfig } from '../../../engine/config/schema.js';
import type { Logger } from '../../../engine/log/logger.js';
import type { ExecutionCore } from '../ExecutionCore.js';
import type { DailyReport } from '../report/dailyReport.js';
import { EQUITY_STREAM, ReportStore, strategyTable, type DailySummary } from '../report/ReportStore.js';
import { evaluatePreopen, type PreopenFacts, type PreopenResult } from './preopen.js';
import type { Routine } from './SessionSchedule.js';

export const PREOPEN_KEY = 'session:preopen';

/** An alert for the supervisor's notifier (engine/alerts/actorAlert). */
export type RoutineAlert = ActorAlert & { severity: 'info' | 'warning' | 'critical' };

export interface SessionDeps {
  cfg: EngineConfig;
  core: ExecutionCore;
  redis: RedisLike;
  clock: Clock;
  cal: MarketCalendar;
  store: ReportStore;
  log: Logger;
  /** market-data venues by their heartbeats (published keys the execution actor sees) */
  venues(): PreopenFacts['venues'];
  alert(a: RoutineAlert): void;
  wallMs?(): number;
}

const INFO_FIELD = (info: string, name: string): string | null => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? null;
const BUYING_POWER = /^buying[_-]?power$/i;

/**
 * The session routines, run by the SessionScheduler on the session clock: the pre-open checklist (a failed
 * blocking check blocks new entries with its reason and is re-run until it passes), the intraday flatten,
 * and the close (the end-of-day report, stored and alerted). Also keeps the session's equity curve
 * (`performance:equity`, one point per session minute) and the dashboard's performance views.
 */
export class SessionRoutines {
  preopen: PreopenResult | null = null;
  lastReport: DailyReport | null = null;
  private readonly episodes = new Episodes();
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  /** today's equity, one point per session minute: [session ms, equity] */
  curve: [number, number][] = [];
  private curveDate = '';
  private lastMinute = -1;
  private history: { sessions: unknown[]; strategies: unknown[] } = { sessions: [], strategies: [] };

  /** wall time of the first checklist run: the start grace counts from it */
  private firstRunWall: number | null = null;

  constructor(private readonly d: SessionDeps) {}

  private wall(): number {
    return this.d.wallMs ? this.d.wallMs() : Date.now();
  }

  readonly run = async (r: Routine): Promise<void> => {
    if (this.stopped) return;
    if (r.kind === 'preopen') await this.runPreopen(r.date);
    else if (r.kind === 'flatten') await this.runFlatten(r.date, r.strategy!);
    else await this.runClose(r.date);
  };

  // ─── pre-open ──────────────────────────────────────────────────────────────────────────────────────────

  async gather(): Promise<PreopenFacts> {
    const { core, redis } = this.d;
    const snap = core.breaker.snapshot();
    const facts: PreopenFacts = {
      redis: { ok: false, aofEnabled: false, aofLastWrite: null, rdbLastBgsave: null, usedMemory: 0, maxMemory: 0 },
      venues: this.d.venues(),
      broker: { name: core.broker.name, ready: core.ready, journalOk: core.journalOk },
      data: core.dataAges(),
      account: null,
      discoveryGeneratedAtMs: null,
      breaker: { state: snap.state, reason: snap.reason, halted: core.halt !== null },
      nowWallMs: this.wall(),
    };
    try {
      const info = `${await redis.info('persistence')}\n${await redis.info('memory')}`;
      facts.redis = {
        ok: true, aofEnabled: INFO_FIELD(info, 'aof_enabled') === '1', aofLastWrite: INFO_FIELD(info, 'aof_last_write_status'),
        rdbLastBgsave: INFO_FIELD(info, 'rdb_last_bgsave_status'), usedMemory: Number(INFO_FIELD(info, 'used_memory')) || 0, maxMemory: Number(INFO_FIELD(info, 'maxmemory')) || 0,
      };
      facts.account = await this.readAccount();
      const disc = await redis.get('discovery:correlation');
      if (disc) {
        try {
          const g = Number((JSON.parse(disc) as { generatedAtMs?: unknown }).generatedAtMs);
          facts.discoveryGeneratedAtMs = Number.isFinite(g) ? g : null;
        } catch {
          facts.discoveryGeneratedAtMs = null;
        }
      }
    } catch (e) {
      facts.redis.error = String((e as Error)?.message ?? e).split('\n')[0];
    }
    return facts;
  }

  /**
   * The broker account as `account:*` keys hold it (written by the account reader when there is one): any key
   * or object field named buying power is the figure checked against the floor. No keys: null (skipped).
   */
  private async readAccount(): Promise<PreopenFacts['account']> {
    const keys = await scanAll(this.d.redis, 'account:*', 50); // the first batch, on every master of a cluster
    if (!keys.length) return null;
    let buyingPower: number | null = null;
    let ts: number | null = null;
    try {
      for (const k of keys.slice(0, 50)) {
        const type = await this.d.redis.type(k);
        let v: unknown;
        if (type === 'string') {
          const raw = (await this.d.redis.get(k)) ?? '';
          try {
            v = JSON.parse(raw);
          } catch {
            v = raw;
          }
        } else if (type === 'hash') v = await this.d.redis.hgetall(k);
        else continue;
        if (BUYING_POWER.test(k.slice(k.lastIndexOf(':') + 1)) && Number.isFinite(Number(v))) buyingPower = Number(v);
        if (v && typeof v === 'object') {
          for (const [f, x] of Object.entries(v as Record<string, unknown>)) {
            if (BUYING_POWER.test(f) && Number.isFinite(Number(x))) buyingPower = Number(x);
            if (f === 'ts' && Number.isFinite(Number(x))) ts = Number(x);
          }
        }
      }
    } catch (e) {
      return { keys: keys.length, buyingPower: null, ageMs: null, error: String((e as Error)?.message ?? e).split('\n')[0] };
    }
    return { keys: keys.length, buyingPower, ageMs: ts === null ? null : this.wall() - ts };
  }

  /**
   * The checklist. In the `startGraceMs` after its first run a run that fails only on venues or data is pending,
   * not applied (the books arrive seconds after a start; a simulated day starts with its checklist): it is
   * re-run every 500 ms until it passes or the grace is over, and only then can it block.
   */
  async runPreopen(date: DateStr): Promise<PreopenResult> {
    clearTimeout(this.retry);
    const c = this.d.cfg.session.preOpen;
    const res = evaluatePreopen(await this.gather(), c, date, this.d.clock.nowMs());
    this.firstRunWall ??= this.wall();
    const warmingUp = !res.ok && this.wall() - this.firstRunWall < c.startGraceMs && res.checks.every((x) => x.ok || !x.blocking || x.name === 'data' || x.name === 'venues');
    if (warmingUp && !this.stopped) {
      this.retry = setTimeout(() => void this.runPreopen(date).catch((e) => this.d.log.error({ err: String(e) }, 'pre-open re-run failed')), 500);
      return res;
    }
    this.apply(res);
    if (!res.ok && !this.stopped) {
      // re-run until it passes, while it is still this session's checklist
      this.retry = setTimeout(() => {
        if (etDate(this.d.clock.nowMs()) === date) void this.runPreopen(date).catch((e) => this.d.log.error({ err: String(e) }, 'pre-open re-run failed'));
      }, this.d.cfg.session.preOpen.retryMs);
    }
    return res;
  }

  /** The result takes effect: entries blocked or not, `session:preopen`, the log, the alert (once per episode). */
  apply(res: PreopenResult): void {
    const first = this.preopen?.date !== res.date;
    this.preopen = res;
    this.d.core.risk.entryBlock = res.ok ? null : { rule: 'pre-open', reason: res.blockedReason! };
    void this.d.redis.set(PREOPEN_KEY, JSON.stringify(res), 'EX', 7 * 86_400).catch((e) => this.d.log.warn({ err: String(e) }, 'could not write session:preopen'));
    const failed = res.checks.filter((c) => !c.ok);
    const line = res.checks.map((c) => `${c.name} ${c.skipped ? 'skipped' : c.ok ? 'ok' : c.blocking ? 'FAILED' : 'warn'}`).join(', ');
    if (res.ok && first) this.d.log.info({ date: res.date, checks: res.checks }, `pre-open checklist passed (${line})${failed.length ? `; warnings: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}` : ''}`);
    else if (res.ok) this.d.log.info({ date: res.date }, 'pre-open checklist passes now: new entries allowed');
    else if (!this.episodes.has(`preopen:${res.date}`)) this.d.log.warn({ date: res.date, checks: res.checks }, `${res.blockedReason}: new entries blocked until it passes (re-checked every ${this.d.cfg.session.preOpen.retryMs} ms)`);
    const ep = this.episodes.update(`preopen:${res.date}`, !res.ok);
    if (ep === 'start') {
      this.d.alert({ rule: 'preopen-failure', severity: 'critical', title: `Pre-open check failed (${res.date}): new entries blocked`, text: res.blockedReason!, key: res.date,
        fields: Object.fromEntries(res.checks.filter((c) => !c.ok).map((c) => [c.name, c.detail])) });
    } else if (ep === 'end') {
      this.d.alert({ rule: 'preopen-recovered', severity: 'info', title: `Pre-open checks pass (${res.date}): entries allowed`, text: 'every blocking check passes', key: res.date, endEpisode: 'preopen-failure' });
    }
  }

  // ─── close ─────────────────────────────────────────────────────────────────────────────────────────────

  async runFlatten(date: DateStr, strategy: string): Promise<number> {
    const n = await this.d.core.flattenStrategies(new Set([strategy]));
    this.d.log.info({ date, strategy, orders: n }, `close routine: ${strategy} positions flattened at its cutoff (${n} orders)`);
    return n;
  }

  /** After the close (and a grace for closing-auction fills): the session's report from the journal, stored and alerted. */
  async runClose(date: DateStr): Promise<DailyReport> {
    const grace = this.d.cfg.session.report.graceMs;
    if (grace > 0) await new Promise((r) => setTimeout(r, grace));
    await this.d.core.settled();
    const marks: Record<string, number> = {};
    for (const p of this.d.core.portfolio.openPositions) if (Number.isFinite(p.mark)) marks[p.symbol] = p.mark;
    const report = await this.d.store.generate(date, { marks });
    this.lastReport = report;
    const t = report.total;
    this.d.log.info({ date, dir: `${this.d.store.dir}/${date}`, trades: t.trades, net: +t.netPnl.toFixed(2) }, `end-of-day report for ${date} written (reports:daily:${date})`);
    this.d.alert({
      rule: 'eod-summary', severity: 'info', title: `End of day ${date}: net ${t.netPnl >= 0 ? '+' : ''}${t.netPnl.toFixed(2)}`, key: date,
      text: `${t.trades} trades, win rate ${t.winRate === null ? '—' : `${(t.winRate * 100).toFixed(0)}%`}, gross ${t.grossPnl.toFixed(2)}, fees ${t.fees.toFixed(2)}, max drawdown ${t.maxDrawdown.toFixed(2)}; ${report.openPositions.length} positions open; wash sales ${report.tax.washSales}; day trades in 5 days ${report.pdt.dayTradesInWindow}`,
      fields: { date, net: +t.netPnl.toFixed(2), trades: t.trades, fills: t.fills, equity: +report.equityEnd.toFixed(2) },
    });
    await this.refreshHistory();
    return report;
  }

  // ─── performance that persists ─────────────────────────────────────────────────────────────────────────

  /** One equity point per session minute while the market is open (`performance:equity`, capped). */
  async sampleEquity(marketOpen: boolean): Promise<void> {
    const now = this.d.clock.nowMs();
    const date = etDate(now);
    if (date !== this.curveDate) {
      this.curveDate = date;
      this.curve = [];
    }
    const minute = Math.floor(now / 60_000);
    if (!marketOpen || minute === this.lastMinute) return;
    this.lastMinute = minute;
    const eq = this.d.core.portfolio.equity;
    this.curve.push([now, eq]);
    const cap = 390 * Math.max(this.d.cfg.session.report.dashboardSessions, 5) * 2;
    await this.d.redis.xadd(EQUITY_STREAM, 'MAXLEN', '~', String(cap), '*', 'd', date, 't', String(now), 'e', eq.toFixed(2)).catch(() => {});
  }

  /**
   * The dashboard's history: the last N sessions (their equity points from `performance:equity`, or, where the
   * stream no longer has them, the report's realised curve) and the per-strategy table over them.
   */
  async refreshHistory(): Promise<void> {
    const n = this.d.cfg.session.report.dashboardSessions;
    const days = await this.d.store.recent(n);
    const points = new Map<string, [number, number][]>();
    const raw = await this.d.redis.xrevrange(EQUITY_STREAM, '+', '-', 'COUNT', 390 * n * 2);
    for (const [, kv] of raw.reverse()) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]!] = kv[i + 1]!;
      let p = points.get(f.d!);
      if (!p) points.set(f.d!, (p = []));
      p.push([Number(f.t), Number(f.e)]);
    }
    const sessions = [];
    for (const day of days) {
      let curve = points.get(day.date);
      if (!curve?.length) {
        const rep = await this.d.store.load(day.date);
        curve = (rep?.curve ?? []).map(([t, v]) => [t, day.equityStart + v] as [number, number]);
      }
      sessions.push({ ...summaryRow(day), curve: downsample(curve, 120) });
    }
    this.history = { sessions, strategies: strategyTable(days) };
  }

  /** What the execution actor publishes for the dashboard (performance:* keys reach its trading panel). */
  publishRequests(ttlMs: number): { key: string; value: unknown; ttlMs: number }[] {
    return [
      { key: 'performance:session_curve', value: { date: this.curveDate, points: this.curve.slice(-400) }, ttlMs },
      { key: 'performance:sessions', value: this.history.sessions, ttlMs },
      { key: 'performance:strategies', value: this.history.strategies, ttlMs },
      ...(this.preopen ? [{ key: 'performance:preopen', value: { date: this.preopen.date, ok: this.preopen.ok, blockedReason: this.preopen.blockedReason, checks: this.preopen.checks.map((c) => ({ name: c.name, ok: c.ok, skipped: c.skipped, detail: c.detail })) }, ttlMs }] : []),
    ];
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }
}

function summaryRow(d: DailySummary) {
  return { date: d.date, net: d.net, trades: d.trades, winRate: d.winRate, equityStart: d.equityStart, equityEnd: d.equityEnd, maxDrawdown: d.maxDrawdown };
}

function downsample<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]!);
  out.push(xs[xs.length - 1]!);
  return out;
}
