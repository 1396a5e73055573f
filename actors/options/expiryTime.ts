/**
 * Option expiry instants. Equity options stop trading at 16:00 America/New_York on the expiry date;
 * T is the ACT/365 year fraction from now to that instant. The zone offset comes from the runtime's
 * tz database (Intl), cached per date because a chain repeats a dozen expiries a thousand times.
 */

const YEAR_MS = 365 * 86_400_000;
const nyFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** New York's UTC offset at `utcMs`, in ms (−4 h or −5 h). */
export function newYorkOffsetMs(utcMs: number): number {
  const p: Record<string, number> = {};
  for (const part of nyFormat.formatToParts(new Date(utcMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wallAsUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wallAsUtc - Math.floor(utcMs / 1000) * 1000;
}

/** UTC ms of a New York wall-clock time (hour/minute on the given date). */
export function newYorkWallToUtcMs(y: number, m: number, d: number, hour: number, minute: number): number {
  const wall = Date.UTC(y, m - 1, d, hour, minute);
  const first = wall - newYorkOffsetMs(wall);
  return wall - newYorkOffsetMs(first);
}

const expiryCache = new Map<string, number | null>();

/** 16:00 New York on a `YYYY-MM-DD` date, UTC ms; null when the string is not a real date. */
export function expiryInstantMs(iso: string): number | null {
  const hit = expiryCache.get(iso);
  if (hit !== undefined) return hit;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  let out: number | null = null;
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const d = Number(m[3]);
    const probe = new Date(Date.UTC(y, mo - 1, d));
    if (probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d) {
      out = newYorkWallToUtcMs(y, mo, d, 16, 0);
    }
  }
  if (expiryCache.size > 4096) expiryCache.clear();
  expiryCache.set(iso, out);
  return out;
}

/** Year fraction (ACT/365) from `nowMs` to `expiryMs`. */
export function yearFraction(nowMs: number, expiryMs: number): number {
  return (expiryMs - nowMs) / YEAR_MS;
}
