import { etTime, NYSE } from './calendar.js';
import type { OptionInstrument } from './instrument.js';

/**
 * When an option expires, and what it is worth then (OCC conventions, options-trading.md §2.6 and §4): the
 * contract stops trading at the close of its expiry date (13:00 on an early close) and is exercised by
 * exception when it is at least $0.01 in the money.
 */

/** The auto-exercise threshold: in the money by at least this much (per share) at the close. */
export const EXERCISE_THRESHOLD = 0.01;

/** The close of the expiry date's session (16:00 New York when the date is not a trading day). */
export function expiryCloseMs(expiry: string): number {
  return NYSE.sessionOpenClose(expiry)?.closeMs ?? etTime(expiry, '16:00');
}

/** Per-share value at expiry against the underlying's price: intrinsic when exercised, else 0. */
export function settlementPrice(i: Pick<OptionInstrument, 'right' | 'strike'>, underlyingPrice: number): number {
  const intrinsic = i.right === 'C' ? underlyingPrice - i.strike : i.strike - underlyingPrice;
  return intrinsic >= EXERCISE_THRESHOLD ? Math.round(intrinsic * 10_000) / 10_000 : 0;
}
