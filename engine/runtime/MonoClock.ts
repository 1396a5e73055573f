/**
 * The engine clock: nanoseconds since the supervisor started, from the monotonic clock, identical in every
 * thread. `performance.now()` is per-thread (each worker has its own time origin), so each thread
 * calibrates once against `process.hrtime.bigint()`, which is process-wide; after that a reading costs one
 * `performance.now()` and allocates nothing. Values stay far below 2^53, so f64 keeps every nanosecond.
 */
export class MonoClock {
  private readonly offsetNs: number;

  /** `originHr` is `process.hrtime.bigint()` taken once by the supervisor (passed to workers as a string). */
  constructor(readonly originHr: bigint) {
    let best = Infinity;
    let offset = 0;
    // Take the tightest of a few paired readings: the pair's gap bounds the calibration error.
    for (let i = 0; i < 16; i++) {
      const a = performance.now();
      const hr = process.hrtime.bigint();
      const b = performance.now();
      if (b - a < best) {
        best = b - a;
        offset = Number(hr - originHr) - ((a + b) / 2) * 1e6;
      }
    }
    this.offsetNs = offset;
  }

  static start(): MonoClock {
    return new MonoClock(process.hrtime.bigint());
  }

  nowNs(): number {
    return performance.now() * 1e6 + this.offsetNs;
  }
}

/** Wall-clock epoch nanoseconds as f64 (~256 ns resolution at today's epoch): event times, not latencies. */
export function epochNs(): number {
  return (performance.timeOrigin + performance.now()) * 1e6;
}
