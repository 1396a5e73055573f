import * as hdr from 'hdr-histogram-js';

/** Percentiles of one stage, in nanoseconds, as the report's JSON carries them. */
export interface StageSummary {
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
  p999_ns: number;
  max_ns: number;
  count: number;
}

/**
 * An HDR histogram of latencies in nanoseconds (3 significant digits, 1 ns .. 1 h). Values are rounded to
 * whole nanoseconds; a negative value (clock calibration noise between threads, at most a few hundred ns)
 * is recorded as 0 and counted, never dropped, so every sample sent shows up in `count`.
 */
export class LatencyHistogram {
  private readonly h = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: 3.6e12, numberOfSignificantValueDigits: 3, autoResize: true });
  negatives = 0;

  record(ns: number): void {
    if (!(ns >= 0)) {
      if (Number.isNaN(ns)) return;
      this.negatives++;
      ns = 0;
    }
    this.h.recordValue(Math.round(ns));
  }

  get count(): number {
    return this.h.totalCount;
  }

  add(other: LatencyHistogram): void {
    this.h.add(other.h);
    this.negatives += other.negatives;
  }

  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  static decode(s: string): LatencyHistogram {
    const l = new LatencyHistogram();
    l.h.add(hdr.decodeFromCompressedBase64(s, 64, false));
    return l;
  }

  summary(): StageSummary {
    const h = this.h;
    if (h.totalCount === 0) return { p50_ns: 0, p90_ns: 0, p99_ns: 0, p999_ns: 0, max_ns: 0, count: 0 };
    // HDR percentiles are bucket upper bounds: clamp to the exact max so p999 ≤ max always holds.
    const max = h.maxValue;
    const at = (p: number) => Math.min(max, h.getValueAtPercentile(p));
    return { p50_ns: at(50), p90_ns: at(90), p99_ns: at(99), p999_ns: at(99.9), max_ns: max, count: h.totalCount };
  }
}

/** Median of several runs' summaries, field by field (counts summed): the figure quoted on a noisy host. */
export function medianSummary(xs: StageSummary[]): StageSummary {
  const med = (k: keyof StageSummary) => {
    const v = xs.map((x) => x[k]).sort((a, b) => a - b);
    const n = v.length;
    return n % 2 ? v[(n - 1) >> 1] : Math.round((v[n / 2 - 1] + v[n / 2]) / 2);
  };
  const s = { p50_ns: med('p50_ns'), p90_ns: med('p90_ns'), p99_ns: med('p99_ns'), p999_ns: med('p999_ns'), max_ns: med('max_ns'), count: xs.reduce((a, x) => a + x.count, 0) };
  // Field-wise medians of monotone vectors can still cross by a bucket: keep the order the reader expects.
  s.p90_ns = Math.max(s.p90_ns, s.p50_ns);
  s.p99_ns = Math.max(s.p99_ns, s.p90_ns);
  s.p999_ns = Math.max(s.p999_ns, s.p99_ns);
  s.max_ns = Math.max(s.max_ns, s.p999_ns);
  return s;
}
