/**
 * LOBSTER file names (`TICKER_YYYY-MM-DD_STARTms_ENDms_{message|orderbook}_LEVELS.csv`) and the
 * wall-clock-to-epoch conversion that needs the date they carry.
 */

import { basename } from 'node:path';
import { etTime, parseDate } from '../../../analytics/calendar.js';

export interface LobsterFileName {
  ticker: string;
  /** trading date, 'YYYY-MM-DD' (Eastern) */
  date: string;
  startMs: number;
  endMs: number;
  kind: 'message' | 'orderbook';
  levels: number;
}

const NAME = /^(.+)_(\d{4}-\d{2}-\d{2})_(\d+)_(\d+)_(message|orderbook)_(\d+)\.csv$/i;
const DATE_ANYWHERE = /(?:^|_)(\d{4}-\d{2}-\d{2})(?:_|\.|$)/;

/** Parses a LOBSTER file name (any directory part is ignored); null when it does not follow the pattern. */
export function parseLobsterFileName(path: string): LobsterFileName | null {
  const m = NAME.exec(basename(path));
  if (!m) return null;
  return {
    ticker: m[1]!,
    date: m[2]!,
    startMs: Number(m[3]),
    endMs: Number(m[4]),
    kind: m[5]!.toLowerCase() as 'message' | 'orderbook',
    levels: Number(m[6]),
  };
}

/** The trading date a LOBSTER file name carries, or null (renamed files may keep only the date). */
export function lobsterDateFromName(path: string): string | null {
  const full = parseLobsterFileName(path);
  if (full) return full.date;
  const m = DATE_ANYWHERE.exec(basename(path));
  return m ? m[1]! : null;
}

const NS_PER_MS = 1_000_000;
export const DST_SWITCH_NS = 2 * 3600 * 1e9; // US clocks change at 02:00 wall time

/**
 * Converts LOBSTER's "nanoseconds after midnight" (Eastern wall clock) on one date to epoch ms.
 * The UTC offset is fixed twice per date, so the per-event conversion is arithmetic only.
 * On a DST change day wall times before 02:00 use the midnight offset and later ones the noon
 * offset (the non-existent/ambiguous hour 02:00–03:00 resolves to the later offset); no NASDAQ
 * session touches that hour.
 */
export class EasternClock {
  /** the date's midnight read as if it were UTC */
  readonly midnightWallMs: number;
  /** UTC offset (wall − UTC, ms) before 02:00 wall time */
  readonly offsetEarlyMs: number;
  /** UTC offset from 02:00 wall time on */
  readonly offsetLateMs: number;

  constructor(readonly date: string) {
    const { y, m, d } = parseDate(date); // throws a RangeError on a malformed date
    this.midnightWallMs = Date.UTC(y, m - 1, d);
    this.offsetEarlyMs = this.midnightWallMs - etTime(date, '00:00');
    this.offsetLateMs = this.midnightWallMs + 12 * 3_600_000 - etTime(date, '12:00');
  }

  /** Epoch milliseconds (floored to a whole ms) of `nsAfterMidnight` Eastern wall time. */
  epochMs(nsAfterMidnight: number): number {
    const off = nsAfterMidnight < DST_SWITCH_NS ? this.offsetEarlyMs : this.offsetLateMs;
    return this.midnightWallMs + Math.floor(nsAfterMidnight / NS_PER_MS) - off;
  }
}
