/**
 * Option expiry instants. Equity options stop trading at 16:00 America/New_York on the expiry date;
 * T is the ACT/365 year fraction from now to that instant. The wall-clock conversion is the project
 * calendar's (`analytics/calendar`), cached per date because a chain repeats a dozen expiry dates
 * across a thousand or more contracts and the conversion goes through Intl.
 */

import { etTime } from '../../analytics/calendar.js';

const YEAR_MS = 365 * 86_400_000;
const expiryCache = new Map<string, number | null>();

/** 16:00 New York on a `YYYY-MM-DD` date, UTC ms; null when the string is not a real date. */
export function expiryInstantMs(iso: string): number | null {
  const hit = expiryCache.get(iso);
  if (hit !== undefined) return hit;
  let out: number | null;
  try {
    out = etTime(iso, '16:00');
  } catch {
    out = null;
  }
  if (expiryCache.size > 4096) expiryCache.clear(); // bounded: junk dates in bad payloads cannot grow it forever
  expiryCache.set(iso, out);
  return out;
}

/** Year fraction (ACT/365) from `nowMs` to `expiryMs`. */
export function yearFraction(nowMs: number, expiryMs: number): number {
  return (expiryMs - nowMs) / YEAR_MS;
}
