import { fridayExpiry, isThirdFridayWeek, isTradingDay, isoDate, nextTradingDay, nyToUtcMs, nyWallTime, weekday } from './marketCalendar.js';

export interface Expiry {
  day: number;
  iso: string;
  /** 16:00 New York on the expiry day, UTC ms. */
  expiryMs: number;
  /** Standard monthly (third-Friday) series: more open interest gathers there. */
  monthly: boolean;
}

export interface ExpiryOptions {
  /** List an expiry on each of the next `dailyCount` trading days (SPY/QQQ/IWM style 0DTE/1DTE…). */
  daily: boolean;
  dailyCount?: number;
  horizonDays?: number;
}

const CLOSE_MINUTES = 16 * 60;

/** Expiries still alive at `nowMs`: dailies, then Friday weeklies and monthlies out to the horizon, ascending. */
export function listExpiries(nowMs: number, opts: ExpiryOptions): Expiry[] {
  const { day: today, minutes } = nyWallTime(nowMs);
  const dailyCount = opts.dailyCount ?? 5;
  const horizon = today + (opts.horizonDays ?? 60);
  const first = isTradingDay(today) && minutes < CLOSE_MINUTES ? today : nextTradingDay(today);
  const days = new Set<number>();
  if (opts.daily) {
    let d = first;
    for (let i = 0; i < dailyCount; i++, d = nextTradingDay(d)) days.add(d);
  }
  let friday = today + ((5 - weekday(today) + 7) % 7);
  const fridays = new Map<number, number>();
  for (; friday <= horizon; friday += 7) {
    const exp = fridayExpiry(friday);
    if (exp !== undefined && exp >= first) {
      days.add(exp);
      fridays.set(exp, friday);
    }
  }
  return [...days]
    .sort((a, b) => a - b)
    .map((day) => {
      const fri = fridays.get(day);
      return {
        day,
        iso: isoDate(day),
        expiryMs: nyToUtcMs(day, CLOSE_MINUTES),
        monthly: fri !== undefined && isThirdFridayWeek(fri),
      };
    });
}
