import { etDate, etTime, MarketCalendar, type DateStr } from '../../analytics/calendar.js';
import type { Clock } from './Clock.js';

export interface SimulatedSessionOptions {
  /** The engine's start instant (wall epoch ms): session time starts here. Every actor gets the same one. */
  engineStartMs: number;
  /** ET wall time the simulated day starts at, 'HH:MM' (default '09:30'). */
  start?: string;
  /** Session ms per wall ms (default 1). */
  speed?: number;
  calendar?: MarketCalendar;
  wallNow?: () => number;
}

interface Segment {
  date: DateStr;
  /** Session instant the segment starts at. */
  fromMs: number;
  /** Session length of the segment (ms); 0 when the configured start is at or after that day's close. */
  lenMs: number;
  /** Elapsed session ms before this segment. */
  baseMs: number;
}

/**
 * Simulated venues: a trading day starting at `start` New York time on the first NYSE session that is not
 * over at the engine's start instant (a weekend or holiday start picks the next trading day), running
 * `speed` times faster than the wall. At that day's close (13:00 on early-close days) it continues at the
 * next trading day's 09:30, so nights, weekends and holidays are skipped and the demo keeps trading. A pure
 * function of (engineStartMs, start, speed, wall time): every actor computes the same session time.
 */
export class SimulatedSessionClock implements Clock {
  readonly simulated = true;
  readonly speed: number;
  readonly epoch: number;
  readonly firstDay: DateStr;
  private readonly cal: MarketCalendar;
  private readonly wallNow: () => number;
  private readonly first: Segment;
  private seg: Segment;

  constructor(opts: SimulatedSessionOptions) {
    const speed = opts.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`clock speed must be a positive number, got ${speed}`);
    if (!Number.isFinite(opts.engineStartMs)) throw new RangeError(`engineStartMs must be an epoch ms, got ${opts.engineStartMs}`);
    this.speed = speed;
    this.epoch = opts.engineStartMs;
    this.cal = opts.calendar ?? new MarketCalendar();
    this.wallNow = opts.wallNow ?? Date.now;
    let day = etDate(opts.engineStartMs);
    let s = this.cal.sessionOpenClose(day);
    if (!s || opts.engineStartMs >= s.closeMs) {
      day = this.cal.nextTradingDay(day);
      s = this.cal.sessionOpenClose(day)!;
    }
    this.firstDay = day;
    const from = etTime(day, opts.start ?? '09:30');
    this.first = { date: day, fromMs: from, lenMs: Math.max(0, s.closeMs - from), baseMs: 0 };
    this.seg = this.first;
  }

  /** Session time at a wall instant (nowMs() at the current one). */
  at(wallMs: number): number {
    const elapsed = Math.max(0, wallMs - this.epoch) * this.speed;
    if (elapsed < this.seg.baseMs) this.seg = this.first; // the wall clock stepped back: recompute from the start
    while (elapsed >= this.seg.baseMs + this.seg.lenMs) {
      const date = this.cal.nextTradingDay(this.seg.date);
      const s = this.cal.sessionOpenClose(date)!;
      this.seg = { date, fromMs: s.openMs, lenMs: s.closeMs - s.openMs, baseMs: this.seg.baseMs + this.seg.lenMs };
    }
    return this.seg.fromMs + (elapsed - this.seg.baseMs);
  }

  nowMs(): number {
    return this.at(this.wallNow());
  }
}
