/**
 * Wire formatting shared by the Alpaca simulator: decimals as strings, RFC 3339 timestamps
 * (UTC with nanoseconds for orders, America/New_York offset for the clock), stable asset ids.
 */
import { createHash } from 'node:crypto';
import { etOffsetMs } from '../../analytics/calendar.js';

/** A decimal string without exponent or trailing zeros (Alpaca sends "100", "179.08", "0.5"). */
export function dec(x: number, digits = 9): string {
  if (!Number.isFinite(x)) return '0';
  const s = x.toFixed(digits);
  const t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  return t === '-0' ? '0' : t;
}

export function decOrNull(x: number | null | undefined, digits = 9): string | null {
  return x === null || x === undefined ? null : dec(x, digits);
}

/** Money: two decimals, as strings. */
export function money(x: number): string {
  return dec(Math.round(x * 100) / 100, 2);
}

/** Prices round to the cent at or above $1, to 1/100 of a cent below (Reg NMS sub-penny rule). */
export function roundPrice(p: number): number {
  const f = p >= 1 ? 100 : 10_000;
  return Math.round(p * f) / f;
}

let nsSeq = 0;

/**
 * RFC 3339 UTC with nanoseconds, e.g. 2025-01-02T14:30:00.123000042Z. The sub-millisecond digits
 * come from a counter so two stamps taken in the same millisecond still order correctly.
 */
export function rfc3339Nano(ms: number): string {
  nsSeq = (nsSeq + 1) % 1_000_000;
  const iso = new Date(ms).toISOString(); // …T14:30:00.123Z
  return `${iso.slice(0, 23)}${String(nsSeq).padStart(6, '0')}Z`;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** RFC 3339 in New York local time with its offset, as /v2/clock answers (…T09:30:00-05:00). */
export function rfc3339Et(ms: number, withFraction = false): string {
  const off = etOffsetMs(ms);
  const local = new Date(ms + off);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off) / 60_000;
  const frac = withFraction ? `.${pad(local.getUTCMilliseconds(), 3)}000000` : '';
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${frac}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Activity ids look like `20250102143000123::<uuid>` (time-sortable, as Alpaca's page tokens are). */
export function activityId(ms: number, execId: string): string {
  const d = new Date(ms);
  const stamp =
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${pad(d.getUTCMilliseconds(), 3)}`;
  return `${stamp}::${execId}`;
}

/** A stable UUID-shaped asset id per symbol (an option contract's id from its OCC symbol), so repeated runs agree. */
export function assetIdFor(symbol: string, assetClass: 'us_equity' | 'us_option' = 'us_equity'): string {
  const h = createHash('sha1').update(`${assetClass}:${symbol}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Amounts arrive as numbers (SDK v3) or decimal strings (v4); anything else is NaN. */
export function parseAmount(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v === 'string' && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(v)) return Number(v);
  return NaN;
}
