/**
 * Ring sequences are 32-bit signed integers that wrap. At 100 M msgs/s a 32-bit counter wraps in ~43 s,
 * so every comparison goes through these helpers: the difference of two sequences is exact as long as
 * they are less than 2^31 apart, which a ring of at most 2^30 slots guarantees.
 */

/** `a - b` as a signed 32-bit distance (correct across the wrap). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `seq + n`, wrapped to int32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) | 0;
}

/** True when `a` is strictly after `b` in sequence order. */
export function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
