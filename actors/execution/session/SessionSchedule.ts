import cron, { type ScheduledTask } from 'node-cron';
import { EARLY_CLOSE, EARLY_CLOSE_SHIFT_MS, etDate, etTime, type DateStr, type MarketCalendar } from '../../../analytics/calendar.js';
import type { Clock } from '../../../engine/clock/index.js';
import type { EngineConfig } from '../../../engine/config/schema.js';
import { shiftEarly } from '../../signals/WindowSchedule.js';

export type SessionConfig = EngineConfig['session'];

/** One routine of one session: the pre-open checklist, an intraday strategy's flatten, the close (report). */
export interface Routine {
  kind: 'preopen' | 'flatten' | 'close';
  date: DateStr;
  /** session instant it is due at */
  atMs: number;
  /** flatten: the strategy whose positions are closed */
  strategy?: string;
}

export const routineKey = (r: Routine): string => `${r.kind}${r.strategy ? `:${r.strategy}` : ''}@${r.date}`;

/** A New York time of a session; at or after 13:00 it moves 3 h earlier on an early-close day (as the MOC cutoff). */
export function sessionTimeOn(cal: MarketCalendar, date: DateStr, hhmm: string): number {
  const t = etTime(date, hhmm);
  return cal.isEarlyClose(date) && hhmm >= EARLY_CLOSE ? t - EARLY_CLOSE_SHIFT_MS : t;
}

/** The routines of a trading day in the order they are due (none on a holiday or a weekend). */
export function routinesOn(cal: MarketCalendar, c: SessionConfig, date: DateStr): Routine[] {
  const s = cal.sessionOpenClose(date);
  if (!s) return [];
  const out: Routine[] = [{ kind: 'preopen', date, atMs: Math.min(sessionTimeOn(cal, date, c.preOpen.at), s.openMs) }];
  for (const [strategy, t] of Object.entries(c.close.flatten)) out.push({ kind: 'flatten', date, atMs: Math.min(sessionTimeOn(cal, date, t!), s.closeMs), strategy });
  out.push({ kind: 'close', date, atMs: s.closeMs });
  return out.sort((a, b) => a.atMs - b.atMs);
}

/**
 * What is due at session instant `nowMs`, given what was run (`done`, by routineKey) and the session instant
 * the engine started at: today's routines whose time has come (a pre-open or a flatten whose time passed
 * before the start still runs: the checklist precedes any trading, an intraday position is still closed),
 * and the previous trading day's flatten and close routines when the engine was running before its close
 * (the simulated clock jumps from one close to the next open, so they fall due there).
 */
export function dueRoutines(cal: MarketCalendar, c: SessionConfig, startedMs: number, nowMs: number, done: ReadonlySet<string>): Routine[] {
  const today = etDate(nowMs);
  const prev = cal.previousTradingDay(today);
  const prevClose = cal.sessionOpenClose(prev)?.closeMs ?? -Infinity;
  const earlier = startedMs < prevClose ? routinesOn(cal, c, prev).filter((r) => r.kind !== 'preopen') : [];
  return [...earlier, ...routinesOn(cal, c, today).filter((r) => r.atMs <= nowMs)].filter((r) => !done.has(routineKey(r)));
}

/**
 * Runs the routines on the engine's session clock. The instants are the calendar's (holidays, early closes),
 * checked by `dueRoutines`, which is exact on any clock. On the wall clock (live venues) node-cron wakes the
 * check at each routine's New York minute on weekdays; on a simulated, accelerated clock a cron schedule in
 * wall time means nothing (120× is a market day in 3¼ wall minutes), so the check runs every `pollMs` wall.
 * Routines run one at a time, in order; each once per session.
 */
export class SessionScheduler {
  readonly done = new Set<string>();
  private readonly startedMs: number;
  private timer: NodeJS.Timeout | undefined;
  private tasks: ScheduledTask[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly cal: MarketCalendar,
    private readonly cfg: SessionConfig,
    private readonly clock: Clock,
    private readonly run: (r: Routine) => Promise<void>,
    private readonly onError: (r: Routine, err: unknown) => void,
    private readonly pollMs = clock.simulated ? 250 : 30_000,
  ) {
    this.startedMs = clock.nowMs();
  }

  start(): void {
    if (!this.clock.simulated) {
      const minutes = new Set<string>([this.cfg.preOpen.at, ...Object.values(this.cfg.close.flatten).map(String), '13:00', '16:00']);
      for (const t of [...minutes]) if (t >= EARLY_CLOSE) minutes.add(shiftEarly(t));
      for (const t of minutes) {
        const [h, m] = t.split(':').map(Number);
        this.tasks.push(cron.schedule(`${m} ${h} * * 1-5`, () => void this.poll(), { timezone: 'America/New_York', name: `session-${t}`, noOverlap: true }));
      }
    }
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    void this.poll();
  }

  /** Runs whatever is due now (a poll while routines are running waits for them, then looks again). */
  poll(): Promise<void> {
    if (this.running) return this.running;
    const p: Promise<void> = this.drain().finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const due = dueRoutines(this.cal, this.cfg, this.startedMs, this.clock.nowMs(), this.done);
      if (!due.length) return;
      for (const r of due) {
        this.done.add(routineKey(r));
        await this.run(r).catch((e) => this.onError(r, e));
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const t of this.tasks) void t.stop();
    this.tasks = [];
  }
}

