/**
 * New York wall time and the NYSE trading calendar for the simulator, computed from the rules (US DST
 * since 2007; NYSE holiday and observance rules) rather than a table, so it keeps working in any year
 * and stays independent of the engine's own calendar. Days are integers: days since 1970-01-01.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface NyWallTime {
  /** Days since 1970-01-01 of the New York calendar date. */
  day: number;
  /** Minutes since New York midnight. */
  minutes: number;
}

export function dayNumber(y: number, m: number, d: number): number {
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` → day number, or undefined when it is not a real calendar date. */
export function parseIsoDate(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const day = dayNumber(y, mo, d);
  return isoDate(day) === s ? day : undefined;
}

function nthWeekdayOfMonth(y: number, m: number, wd: number, n: number): number {
  const first = dayNumber(y, m, 1);
  return first + ((wd - weekday(first) + 7) % 7) + 7 * (n - 1);
}

function lastWeekdayOfMonth(y: number, m: number, wd: number): number {
  const last = dayNumber(y, m + 1, 1) - 1;
  return last - ((weekday(last) - wd + 7) % 7);
}

/** DST runs from the second Sunday of March 02:00 EST (07:00 UTC) to the first Sunday of November 02:00 EDT (06:00 UTC). */
export function nyOffsetMs(utcMs: number): number {
  const y = new Date(utcMs).getUTCFullYear();
  const start = nthWeekdayOfMonth(y, 3, 0, 2) * DAY_MS + 7 * HOUR_MS;
  const end = nthWeekdayOfMonth(y, 11, 0, 1) * DAY_MS + 6 * HOUR_MS;
  return utcMs >= start && utcMs < end ? -4 * HOUR_MS : -5 * HOUR_MS;
}

export function nyWallTime(utcMs: number): NyWallTime {
  const local = utcMs + nyOffsetMs(utcMs);
  const day = Math.floor(local / DAY_MS);
  return { day, minutes: (local - day * DAY_MS) / 60_000 };
}

/** UTC milliseconds of a New York wall-clock time on `day` (times inside the DST gap do not occur here). */
export function nyToUtcMs(day: number, minutes: number): number {
  const wall = day * DAY_MS + minutes * 60_000;
  const first = wall - nyOffsetMs(wall + 5 * HOUR_MS);
  return wall - nyOffsetMs(first);
}

function easterSunday(y: number): number {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayNumber(y, month, day);
}

/** Saturday holidays are observed the Friday before, Sunday ones the Monday after. */
function observed(day: number): number {
  const wd = weekday(day);
  return wd === 6 ? day - 1 : wd === 0 ? day + 1 : day;
}

/** One-off closures (national days of mourning). */
const SPECIAL_CLOSURES = new Set<number>([dayNumber(2025, 1, 9)]);

const holidayCache = new Map<number, Set<number>>();

function holidays(y: number): Set<number> {
  let set = holidayCache.get(y);
  if (set) return set;
  set = new Set<number>();
  const newYear = dayNumber(y, 1, 1);
  // A Saturday New Year's Day is not observed on the Friday before (that Friday ends the prior year).
  if (weekday(newYear) !== 6) set.add(observed(newYear));
  set.add(nthWeekdayOfMonth(y, 1, 1, 3)); // Martin Luther King Jr. Day
  set.add(nthWeekdayOfMonth(y, 2, 1, 3)); // Washington's Birthday
  set.add(easterSunday(y) - 2); // Good Friday
  set.add(lastWeekdayOfMonth(y, 5, 1)); // Memorial Day
  if (y >= 2022) set.add(observed(dayNumber(y, 6, 19))); // Juneteenth
  set.add(observed(dayNumber(y, 7, 4)));
  set.add(nthWeekdayOfMonth(y, 9, 1, 1)); // Labor Day
  set.add(nthWeekdayOfMonth(y, 11, 4, 4)); // Thanksgiving
  set.add(observed(dayNumber(y, 12, 25)));
  holidayCache.set(y, set);
  return set;
}

export function isTradingDay(day: number): boolean {
  const wd = weekday(day);
  if (wd === 0 || wd === 6) return false;
  if (SPECIAL_CLOSURES.has(day)) return false;
  return !holidays(new Date(day * DAY_MS).getUTCFullYear()).has(day);
}

export function nextTradingDay(day: number): number {
  let d = day + 1;
  while (!isTradingDay(d)) d++;
  return d;
}

export function previousTradingDay(day: number): number {
  let d = day - 1;
  while (!isTradingDay(d)) d--;
  return d;
}

/** The expiry for a Friday-listed series: that Friday, or the last trading day before it in the same week. */
export function fridayExpiry(friday: number): number | undefined {
  for (let d = friday; d > friday - 5; d--) if (isTradingDay(d)) return d;
  return undefined;
}

export function isThirdFridayWeek(friday: number): boolean {
  const dom = new Date(friday * DAY_MS).getUTCDate();
  return dom >= 15 && dom <= 21;
}
