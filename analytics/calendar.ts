/**
 * US equity (NYSE) trading calendar: sessions, holidays, early closes, MOC cutoffs,
 * option expiries and time to expiry. Wall-clock times are America/New_York, computed
 * with Intl (no dependency); dates are ET calendar dates as 'YYYY-MM-DD' strings.
 *
 * Table-driven for 2025–2027 (docs/protocols.md §D; 2027 from NYSE's published
 * holiday schedule: Jan 1, Jan 18, Feb 15, Mar 26, May 31, Jun 18 (Juneteenth observed),
 * Jul 5 (Independence Day observed), Sep 6, Nov 25, Dec 24 (Christmas observed); early
 * close Nov 26). Other years fall back to NYSE's standing rules (`nyseRuleSchedule`),
 * which reproduce the table except for ad-hoc closures such as 2025-01-09; keep adding
 * years to the table as NYSE publishes them. Ad-hoc closures can be passed to
 * `MarketCalendar` too.
 *
 * Intl is asked once per UTC hour (`etParts` keeps the hour's offset) and a date's session is
 * kept once computed: a signal's contract choice and an order's risk checks ask for the session
 * several times each, five `formatToParts` (~3 µs each warm) per `sessionDate`, ~90 µs a signal on
 * the hot thread as profiled (decision 125). Still allocating: compute time to expiry per expiry
 * date, not per contract.
 */

export type DateStr = string;

export interface YearSchedule {
  holidays: DateStr[];
  earlyCloses: DateStr[];
}

export const NYSE_TABLE: Readonly<Record<number, YearSchedule>> = {
  2025: {
    holidays: [
      '2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26',
      '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25',
    ],
    earlyCloses: ['2025-07-03', '2025-11-28', '2025-12-24'],
  },
  2026: {
    holidays: [
      '2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19',
      '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25',
    ],
    earlyCloses: ['2026-11-27', '2026-12-24'],
  },
  2027: {
    holidays: [
      '2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18',
      '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24',
    ],
    earlyCloses: ['2027-11-26'],
  },
};

export const REGULAR_OPEN = '09:30';
export const REGULAR_CLOSE = '16:00';
export const EARLY_CLOSE = '13:00';
/** Early-close days shift the closing-auction cutoffs by this much. */
export const EARLY_CLOSE_SHIFT_MS = 3 * 3_600_000;
/** Symbols listing an expiry every trading day (docs/protocols.md §D). */
export const DAILY_EXPIRY_SYMBOLS: readonly string[] = ['SPY', 'QQQ', 'IWM', 'SPX', 'XSP', 'NDX'];

const MS_PER_DAY = 86_400_000;
const MS_PER_MINUTE = 60_000;

const ET_FORMAT = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export interface EtParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** America/New_York wall-clock fields of an instant, from Intl (the reference `etParts` is checked against). */
function etPartsIntl(ms: number): EtParts {
  const out: EtParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of ET_FORMAT.formatToParts(new Date(ms))) {
    switch (p.type) {
      case 'year': out.year = Number(p.value); break;
      case 'month': out.month = Number(p.value); break;
      case 'day': out.day = Number(p.value); break;
      case 'hour': out.hour = Number(p.value); break;
      case 'minute': out.minute = Number(p.value); break;
      case 'second': out.second = Number(p.value); break;
    }
  }
  return out;
}

const MS_PER_HOUR = 3_600_000;
/** UTC hour → the ET offset (ms) throughout it; null when the offset changes inside that hour. */
const hourOffsets = new Map<number, number | null>();

/**
 * The ET offset of a UTC hour in which it does not change. New York's offset has changed at whole UTC
 * hours since 1883 (DST switches at 02:00 local), so almost every hour qualifies; the offset is taken at
 * both ends of the hour and an hour where they differ (or any odd zone history) is marked null and answered
 * by Intl per call. Intl is exact, so this is exact too.
 */
function hourOffset(hour: number): number | null {
  let off = hourOffsets.get(hour);
  if (off !== undefined) return off;
  const start = hour * MS_PER_HOUR;
  const a = offsetOf(start, etPartsIntl(start));
  const b = offsetOf(start + MS_PER_HOUR - 1000, etPartsIntl(start + MS_PER_HOUR - 1000));
  off = a === b ? a : null;
  if (hourOffsets.size >= 4096) hourOffsets.clear(); // a few months of hours: bounded, rebuilt as needed
  hourOffsets.set(hour, off);
  return off;
}

function offsetOf(ms: number, p: EtParts): number {
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The kept offset of the instant's UTC hour, or null (not a finite instant, or a switch inside that hour). */
const keptOffset = (ms: number): number | null => (Number.isFinite(ms) ? hourOffset(Math.floor(ms / MS_PER_HOUR)) : null);

/** America/New_York wall-clock fields of an instant (the UTC fields of the instant moved by its hour's offset). */
export function etParts(ms: number): EtParts {
  const off = keptOffset(ms);
  if (off === null) return etPartsIntl(ms);
  const t = new Date(ms + off);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: t.getUTCSeconds() };
}

/** ET offset from UTC at an instant, in ms (−5 h or −4 h). */
export function etOffsetMs(ms: number): number {
  return keptOffset(ms) ?? offsetOf(ms, etPartsIntl(ms));
}

/** The ET calendar date of an instant. */
export function etDate(ms: number): DateStr {
  const p = etParts(ms);
  return formatDate(p.year, p.month, p.day);
}

/** The instant of ET wall time `hhmm` ('HH:MM') on `date`. */
export function etTime(date: DateStr, hhmm: string): number {
  const { y, m, d } = parseDate(date);
  const { h, min } = parseHhmm(hhmm);
  const wall = Date.UTC(y, m - 1, d, h, min);
  // Offset at the guess, then re-evaluated at the result (correct except inside the
  // 02:00 DST gap, which no session time uses).
  let ms = wall - etOffsetMs(wall);
  const off2 = etOffsetMs(ms);
  if (wall - off2 !== ms) ms = wall - off2;
  return ms;
}

export function parseDate(date: DateStr): { y: number; m: number; d: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`expected a date 'YYYY-MM-DD', got ${JSON.stringify(date)}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) {
    throw new RangeError(`no such date: ${date}`);
  }
  return { y, m: mo, d };
}

function parseHhmm(hhmm: string): { h: number; min: number } {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  if (!(h >= 0 && h <= 23 && min >= 0 && min <= 59)) throw new RangeError(`expected a time 'HH:MM', got ${JSON.stringify(hhmm)}`);
  return { h, min };
}

function formatDate(y: number, m: number, d: number): DateStr {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: DateStr): number {
  const { y, m, d } = parseDate(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

export function addDays(date: DateStr, days: number): DateStr {
  const { y, m, d } = parseDate(date);
  const t = new Date(Date.UTC(y, m - 1, d) + days * MS_PER_DAY);
  return formatDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

function nthWeekday(y: number, month: number, wd: number, n: number): DateStr {
  const first = new Date(Date.UTC(y, month - 1, 1)).getUTCDay();
  const day = 1 + ((wd - first + 7) % 7) + 7 * (n - 1);
  return formatDate(y, month, day);
}

function lastWeekday(y: number, month: number, wd: number): DateStr {
  const lastDay = new Date(Date.UTC(y, month, 0)).getUTCDate();
  const last = new Date(Date.UTC(y, month - 1, lastDay)).getUTCDay();
  return formatDate(y, month, lastDay - ((last - wd + 7) % 7));
}

/** Easter Sunday (Gregorian; anonymous/Meeus algorithm). */
export function easterSunday(y: number): DateStr {
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
  return formatDate(y, month, day);
}

/** Saturday → Friday, Sunday → Monday (NYSE Rule 7.2 observance). */
function observed(date: DateStr): DateStr {
  const wd = weekday(date);
  if (wd === 6) return addDays(date, -1);
  if (wd === 0) return addDays(date, 1);
  return date;
}

/**
 * NYSE's standing holiday and early-close rules for a year (no ad-hoc closures).
 * New Year's Day on a Saturday is not observed (Dec 31 ends the accounting year).
 */
export function nyseRuleSchedule(y: number): YearSchedule {
  const holidays: DateStr[] = [];
  const ny = formatDate(y, 1, 1);
  if (weekday(ny) !== 6) holidays.push(observed(ny));
  holidays.push(nthWeekday(y, 1, 1, 3)); // Martin Luther King Jr. Day
  holidays.push(nthWeekday(y, 2, 1, 3)); // Washington's Birthday
  holidays.push(addDays(easterSunday(y), -2)); // Good Friday
  holidays.push(lastWeekday(y, 5, 1)); // Memorial Day
  if (y >= 2022) holidays.push(observed(formatDate(y, 6, 19))); // Juneteenth
  holidays.push(observed(formatDate(y, 7, 4)));
  holidays.push(nthWeekday(y, 9, 1, 1)); // Labor Day
  const thanksgiving = nthWeekday(y, 11, 4, 4);
  holidays.push(thanksgiving);
  holidays.push(observed(formatDate(y, 12, 25)));
  holidays.sort();

  const earlyCloses: DateStr[] = [];
  const jul3 = formatDate(y, 7, 3);
  const jul4wd = weekday(formatDate(y, 7, 4));
  if (jul4wd >= 2 && jul4wd <= 5 && !holidays.includes(jul3)) earlyCloses.push(jul3);
  earlyCloses.push(addDays(thanksgiving, 1));
  const dec24 = formatDate(y, 12, 24);
  const wd24 = weekday(dec24);
  if (wd24 >= 1 && wd24 <= 5 && !holidays.includes(dec24)) earlyCloses.push(dec24);
  earlyCloses.sort();
  return { holidays, earlyCloses };
}

export interface CalendarOptions {
  /** Year → schedule; years absent here use `nyseRuleSchedule`. Default NYSE_TABLE. */
  table?: Readonly<Record<number, YearSchedule>>;
  /** Extra full-day closures (e.g. a national day of mourning announced at short notice). */
  extraClosures?: readonly DateStr[];
  /** Extra 13:00 early closes. */
  extraEarlyCloses?: readonly DateStr[];
}

export interface Session {
  date: DateStr;
  openMs: number;
  closeMs: number;
  earlyClose: boolean;
}

export type YearFractionBasis = 'calendar' | 'trading';

export interface YearFractionOptions {
  /**
   * 'calendar': (expiry − from)/(365 days). 'trading': regular-session time remaining,
   * each trading day counting 1 when wholly ahead (a partly elapsed session counts its
   * remaining fraction; an early-close session is a whole day in 3.5 h), over 252.
   */
  basis?: YearFractionBasis;
  /** ET expiry time on the expiry date (default '16:00'). */
  expiryTime?: string;
  /** Days per year (default 365 calendar, 252 trading). */
  daysPerYear?: number;
}

export class MarketCalendar {
  private readonly table: Readonly<Record<number, YearSchedule>>;
  private readonly extraClosures: ReadonlySet<DateStr>;
  private readonly extraEarly: ReadonlySet<DateStr>;
  /** date → its session (null: closed); the table and the extra dates are fixed at construction */
  private readonly sessions = new Map<DateStr, Session | null>();

  constructor(opts: CalendarOptions = {}) {
    this.table = opts.table ?? NYSE_TABLE;
    this.extraClosures = new Set(opts.extraClosures ?? []);
    this.extraEarly = new Set(opts.extraEarlyCloses ?? []);
  }

  /** Whether `year` comes from the published table rather than the standing rules. */
  isTabulated(year: number): boolean {
    return this.table[year] !== undefined;
  }

  schedule(year: number): YearSchedule {
    return this.table[year] ?? nyseRuleSchedule(year);
  }

  isHoliday(date: DateStr): boolean {
    const { y } = parseDate(date);
    return this.extraClosures.has(date) || this.schedule(y).holidays.includes(date);
  }

  isTradingDay(date: DateStr): boolean {
    const wd = weekday(date);
    return wd !== 0 && wd !== 6 && !this.isHoliday(date);
  }

  isEarlyClose(date: DateStr): boolean {
    if (!this.isTradingDay(date)) return false;
    const { y } = parseDate(date);
    return this.extraEarly.has(date) || this.schedule(y).earlyCloses.includes(date);
  }

  /** Regular session of a date, or null when the market is closed that day (kept once computed: frozen). */
  sessionOpenClose(date: DateStr): Session | null {
    const known = this.sessions.get(date);
    if (known !== undefined) return known;
    let s: Session | null = null;
    if (this.isTradingDay(date)) {
      const early = this.isEarlyClose(date);
      s = Object.freeze({ date, openMs: etTime(date, REGULAR_OPEN), closeMs: etTime(date, early ? EARLY_CLOSE : REGULAR_CLOSE), earlyClose: early });
    }
    if (this.sessions.size >= 4096) this.sessions.clear(); // ~11 years of dates: bounded
    this.sessions.set(date, s);
    return s;
  }

  /** Whether the regular session is open at an instant. */
  isOpenAt(ms: number): boolean {
    const s = this.sessionOpenClose(etDate(ms));
    return s !== null && ms >= s.openMs && ms < s.closeMs;
  }

  /**
   * Last moment to enter MOC/LOC orders: `cutoff` ET (default NYSE 15:50; Nasdaq uses
   * 15:55, brokers may be earlier), 3 h earlier on early-close days. Null when closed.
   */
  mocCutoff(date: DateStr, cutoff = '15:50'): number | null {
    if (!this.isTradingDay(date)) return null;
    const t = etTime(date, cutoff);
    return this.isEarlyClose(date) ? t - EARLY_CLOSE_SHIFT_MS : t;
  }

  /**
   * Close of the regular session in progress at `ms`, or of the next one when `ms` is at or after that
   * day's close or on a closed day: when DAY orders expire and the closing auction runs.
   */
  nextCloseMs(ms: number): number {
    let d = etDate(ms);
    for (let i = 0; i < 15; i++, d = this.nextTradingDay(d)) {
      const s = this.sessionOpenClose(d);
      if (s && ms < s.closeMs) return s.closeMs;
    }
    throw new Error(`no NYSE session close within 15 days of ${new Date(ms).toISOString()}`);
  }

  nextTradingDay(date: DateStr): DateStr {
    let d = addDays(date, 1);
    while (!this.isTradingDay(d)) d = addDays(d, 1);
    return d;
  }

  previousTradingDay(date: DateStr): DateStr {
    let d = addDays(date, -1);
    while (!this.isTradingDay(d)) d = addDays(d, -1);
    return d;
  }

  /** Trading days in [from, to], both inclusive. */
  tradingDaysBetween(from: DateStr, to: DateStr): DateStr[] {
    const out: DateStr[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) if (this.isTradingDay(d)) out.push(d);
    return out;
  }

  /** Time to expiry in years; 0 once expired (never negative). */
  yearFraction(fromMs: number, expiryDate: DateStr, opts: YearFractionOptions = {}): number {
    const basis = opts.basis ?? 'calendar';
    const expiryMs = etTime(expiryDate, opts.expiryTime ?? REGULAR_CLOSE);
    if (!(fromMs < expiryMs)) return 0;
    if (basis === 'calendar') return (expiryMs - fromMs) / ((opts.daysPerYear ?? 365) * MS_PER_DAY);
    if (basis !== 'trading') throw new RangeError(`basis must be 'calendar' or 'trading', got ${JSON.stringify(basis)}`);
    let days = 0;
    for (let d = etDate(fromMs); d <= expiryDate; d = addDays(d, 1)) {
      const s = this.sessionOpenClose(d);
      if (!s) continue;
      const start = Math.max(s.openMs, fromMs);
      const end = Math.min(s.closeMs, expiryMs);
      if (end > start) days += (end - start) / (s.closeMs - s.openMs);
    }
    return days / (opts.daysPerYear ?? 252);
  }

  /**
   * Expiry dates of `symbol` not yet expired at `fromMs` (today's counts until its
   * expiry time, default 16:00 ET), up to `count`. SPY/QQQ/IWM and the index
   * equivalents expire every trading day; other symbols weekly on Friday, or the
   * trading day before when Friday is a holiday.
   */
  nextExpiries(symbol: string, fromMs: number, count: number, expiryTime = REGULAR_CLOSE): DateStr[] {
    const daily = DAILY_EXPIRY_SYMBOLS.includes(symbol.toUpperCase());
    const out: DateStr[] = [];
    let d = etDate(fromMs);
    // Guard: a few weeks of lookahead per requested expiry is plenty.
    for (let guard = 0; out.length < count && guard < count * 14 + 30; guard++, d = addDays(d, 1)) {
      if (!this.isExpiry(symbol, d, daily)) continue;
      if (fromMs >= etTime(d, expiryTime)) continue;
      out.push(d);
    }
    return out;
  }

  /** Whether `symbol` has an expiry on `date`. */
  isExpiryDate(symbol: string, date: DateStr): boolean {
    return this.isExpiry(symbol, date, DAILY_EXPIRY_SYMBOLS.includes(symbol.toUpperCase()));
  }

  /** Whether an option expiring on `expiryDate` is 0DTE at `ms` (expires today, not yet expired). */
  is0dte(ms: number, expiryDate: DateStr, expiryTime = REGULAR_CLOSE): boolean {
    return etDate(ms) === expiryDate && ms < etTime(expiryDate, expiryTime);
  }

  private isExpiry(symbol: string, date: DateStr, daily: boolean): boolean {
    if (!this.isTradingDay(date)) return false;
    if (daily) return true;
    const wd = weekday(date);
    if (wd === 5) return true;
    // Friday holiday: the weekly expiry moves to the last trading day before it.
    let fri = addDays(date, (5 - wd + 7) % 7);
    if (this.isTradingDay(fri)) return false;
    fri = this.previousTradingDay(fri);
    return fri === date;
  }
}

/** The default NYSE calendar (published table for 2025–2027, standing rules otherwise). */
export const NYSE = new MarketCalendar();

export const isTradingDay = (date: DateStr): boolean => NYSE.isTradingDay(date);
export const isEarlyClose = (date: DateStr): boolean => NYSE.isEarlyClose(date);
export const sessionOpenClose = (date: DateStr): Session | null => NYSE.sessionOpenClose(date);
export const mocCutoff = (date: DateStr, cutoff = '15:50'): number | null => NYSE.mocCutoff(date, cutoff);
export const yearFraction = (fromMs: number, expiryDate: DateStr, opts?: YearFractionOptions): number =>
  NYSE.yearFraction(fromMs, expiryDate, opts);
export const nextExpiries = (symbol: string, fromMs: number, count: number, expiryTime?: string): DateStr[] =>
  NYSE.nextExpiries(symbol, fromMs, count, expiryTime);
