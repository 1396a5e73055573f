import { scanAll, transaction } from '../../../engine/redis/SlotGroups.js';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisLike } from '../../../engine/redis/RedisClient.js';
import type { DateStr, MarketCalendar } from '../../../analytics/calendar.js';
import type { EngineConfig } from '../../../engine/config/schema.js';
import { JOURNAL_STREAM, OrderJournal } from '../OrderJournal.js';
import { buildDailyReport, sharpe, type DailyReport } from './dailyReport.js';
import { buildLedger, type Ledger } from './ledger.js';
import { blotterCsv, equitySvg, reportMarkdown } from './render.js';

export const REPORT_KEY = (date: DateStr): string => `reports:daily:${date}`;
/** one member per session (score YYYYMMDD): the summary the dashboard and the Sharpe history read */
export const DAILY_KEY = 'performance:daily';
/** the session's equity, one point per session minute (fields d, t, e), capped */
export const EQUITY_STREAM = 'performance:equity';

/** A session's line in `performance:daily`. */
export interface DailySummary {
  date: DateStr;
  net: number;
  gross: number;
  fees: number;
  trades: number;
  wins: number;
  winRate: number | null;
  ret: number;
  equityStart: number;
  equityEnd: number;
  maxDrawdown: number;
  sharpe: number | null;
  strategies: Record<string, { net: number; trades: number; wins: number }>;
}

export function summarize(r: DailyReport): DailySummary {
  const t = r.total;
  return {
    date: r.date, net: t.netPnl, gross: t.grossPnl, fees: t.fees, trades: t.trades, wins: t.wins, winRate: t.winRate,
    ret: r.equityStart ? t.netPnl / r.equityStart : 0, equityStart: r.equityStart, equityEnd: r.equityEnd, maxDrawdown: t.maxDrawdown, sharpe: t.sharpe,
    strategies: Object.fromEntries(Object.entries(r.strategies).map(([s, x]) => [s, { net: x.netPnl, trades: x.trades, wins: x.wins }])),
  };
}

/** Per-strategy statistics over stored sessions: sessions, trades, win rate, net P&L, daily Sharpe (× √252). */
export function strategyTable(days: DailySummary[]): { strategy: string; sessions: number; trades: number; wins: number; winRate: number | null; net: number; sharpe: number | null }[] {
  const names = [...new Set(days.flatMap((d) => Object.keys(d.strategies)))].sort();
  const row = (strategy: string, pick: (d: DailySummary) => { net: number; trades: number; wins: number } | undefined) => {
    const xs = days.map(pick);
    const trades = xs.reduce((n, x) => n + (x?.trades ?? 0), 0);
    const wins = xs.reduce((n, x) => n + (x?.wins ?? 0), 0);
    return {
      strategy, sessions: xs.filter((x) => x).length, trades, wins, winRate: trades ? wins / trades : null, net: xs.reduce((n, x) => n + (x?.net ?? 0), 0),
      sharpe: sharpe(days.map((d, i) => (xs[i]?.net ?? 0) / (d.equityStart || 1))),
    };
  };
  return [...names.map((s) => row(s, (d) => d.strategies[s])), row('total', (d) => d)];
}

/**
 * Reports and performance that outlive a restart: the journal (and its archives) in, `reports:daily:{D}`,
 * `performance:daily` and the files under `<dataDir>/reports/D/` out. Everything here is rebuilt from the
 * journal whenever it is missing.
 */
export class ReportStore {
  private cache: { archives: string[]; entries: Record<string, string>[]; lastId: string } | null = null;

  constructor(
    private readonly redis: RedisLike,
    private readonly cfg: EngineConfig,
    private readonly cal: MarketCalendar,
    readonly dir: string,
  ) {}

  /**
   * The whole order history in order: archived streams (oldest first), then the journal. Read once, then only
   * what the journal gained since (archiving renames the journal only at execution's start, and a changed set
   * of archives means a full read again): a close reads one session's entries, not the history.
   */
  async ledger(): Promise<Ledger> {
    const archives = await scanAll(this.redis, `${JOURNAL_STREAM}:archive:*`); // every master of a cluster
    archives.sort((a, b) => Number(a.split(':').pop()) - Number(b.split(':').pop()));
    const journal = new OrderJournal(this.redis);
    const c = this.cache;
    const same = c !== null && c.archives.join('\n') === archives.join('\n') && (c.lastId === '' || (await this.redis.xrange(JOURNAL_STREAM, c.lastId, c.lastId)).length === 1);
    if (!same) {
      this.cache = { archives, entries: [], lastId: '' };
      for (const stream of archives) await journal.scan((_, f) => this.cache!.entries.push(f), stream);
    }
    const k = this.cache!;
    await journal.scan((id, f) => {
      k.entries.push(f);
      k.lastId = id;
    }, JOURNAL_STREAM, k.lastId || undefined);
    // the journal's carries summarise exactly the archived prefix: with the archives read, they would count twice
    return buildLedger(k.entries, { skipCarries: archives.length > 0 });
  }

  /** The sessions that have executions in the journal, oldest first. */
  static sessions(l: Ledger): DateStr[] {
    return [...new Set(l.entries.flatMap((e) => (e.kind === 'fill' ? [e.date] : [])))].sort();
  }

  /** Builds a session's report from the journal and stores it (files, `reports:daily:{D}`, `performance:daily`). */
  async generate(date: DateStr, extra: { marks?: Record<string, number>; accountEquity?: number; ledger?: Ledger } = {}): Promise<DailyReport> {
    const s = this.cal.sessionOpenClose(date);
    if (!s) throw new RangeError(`${date} is not a trading day`);
    const r = this.cfg.session.report;
    const ledger = extra.ledger ?? (await this.ledger());
    const pdtDates: DateStr[] = [date];
    while (pdtDates.length < 5) pdtDates.unshift(this.cal.previousTradingDay(pdtDates[0]!));
    const report = buildDailyReport(ledger.entries, {
      date, method: r.lotMethod, startingEquity: this.cfg.risk.startingEquity, fees: { perShare: r.feePerShare, minPerOrder: r.feeMinPerOrder },
      sessionOpenMs: s.openMs, sessionCloseMs: s.closeMs, pdtDates, pdtDayTrades: r.pdtDayTrades, pdtEquityFloor: r.pdtEquityFloor,
      accountEquity: extra.accountEquity, marks: extra.marks, generatedAtMs: Date.now(),
    });
    await this.store(report);
    return report;
  }

  /** Files first (each written whole, then renamed), then Redis: a reader never sees half a report. */
  async store(report: DailyReport): Promise<string> {
    const dir = join(this.dir, report.date);
    await mkdir(dir, { recursive: true });
    const files: [string, string][] = [['report.md', reportMarkdown(report)], ['report.json', JSON.stringify(report, null, 1)], ['blotter.csv', blotterCsv(report)], ['equity.svg', equitySvg(report)]];
    for (const [name, text] of files) {
      await writeFile(join(dir, `.${name}.tmp`), text);
      await rename(join(dir, `.${name}.tmp`), join(dir, name));
    }
    const keep = this.cfg.session.report.retentionDays;
    const score = Number(report.date.replace(/-/g, ''));
    const oldest = Number(new Date(Date.parse(`${report.date}T00:00:00Z`) - keep * 86_400_000).toISOString().slice(0, 10).replace(/-/g, ''));
    // sessions past the retention (session dates: a simulated run covers many a wall day) leave Redis and the disk
    for (const m of await this.redis.zrangebyscore(DAILY_KEY, '-inf', `(${oldest}`)) {
      const old = (JSON.parse(m) as DailySummary).date;
      await this.redis.del(REPORT_KEY(old));
      await rm(join(this.dir, old), { recursive: true, force: true });
    }
    // the report key and the daily index are in two slots on a cluster: the report first, then its index entry
    await transaction(this.redis, [
      ['set', REPORT_KEY(report.date), JSON.stringify(report), 'EX', keep * 86_400],
      ['zremrangebyscore', DAILY_KEY, score, score],
      ['zadd', DAILY_KEY, score, JSON.stringify(summarize(report))],
      ['zremrangebyscore', DAILY_KEY, '-inf', `(${oldest}`],
    ]);
    return dir;
  }

  /** A stored report: RedisLike, else the JSON file; null when neither has it. */
  async load(date: DateStr): Promise<DailyReport | null> {
    const raw = (await this.redis.get(REPORT_KEY(date))) ?? (await readFile(join(this.dir, date, 'report.json'), 'utf8').catch(() => null));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as DailyReport;
    } catch {
      return null;
    }
  }

  /** The last `n` sessions' summaries, oldest first. */
  async recent(n: number): Promise<DailySummary[]> {
    const raw = await this.redis.zrange(DAILY_KEY, String(-n), '-1');
    return raw.flatMap((m) => {
      try {
        return [JSON.parse(m) as DailySummary];
      } catch {
        return [];
      }
    });
  }

  /**
   * Every session in the journal before `beforeDate` whose report or summary is missing is rebuilt from the
   * journal (a restart, a flushed Redis, a report that never ran). Returns the dates rebuilt.
   */
  async rebuildMissing(beforeDate: DateStr): Promise<DateStr[]> {
    const ledger = await this.ledger();
    const have = new Set((await this.redis.zrange(DAILY_KEY, '0', '-1')).map((m) => {
      try {
        return (JSON.parse(m) as DailySummary).date;
      } catch {
        return '';
      }
    }));
    const rebuilt: DateStr[] = [];
    for (const d of ReportStore.sessions(ledger)) {
      if (d >= beforeDate || !this.cal.isTradingDay(d)) continue;
      if (have.has(d) && (await this.redis.exists(REPORT_KEY(d)))) continue;
      await this.generate(d, { ledger });
      rebuilt.push(d);
    }
    return rebuilt;
  }
}
