import { describe, expect, it } from 'vitest';
import { DecisionProbe } from '../../engine/runtime/DecisionProbe.js';
import { newTickStamps, STAMP_WIDTH, TICK_STAGES, tickStages } from '../../bench/e2e/TickStamps.js';

describe('TickStamps: per-segment percentiles from per-tick slots', () => {
  it('counts every tick of the run, each segment from its two stamps; a tick without a decision is incomplete', () => {
    const n = 6;
    const intended = new Float64Array(n).map((_, d) => 1000 + d * 100);
    const runOf = new Uint8Array([0, 1, 1, 1, 2, 1]);
    const stamps = new Float64Array(newTickStamps(n));
    for (let d = 0; d < n; d++) {
      const o = d * STAMP_WIDTH;
      // receipt +10, decoded +20, book +30, analytics +40, decision +50 after the intended time
      for (let k = 0; k < STAMP_WIDTH; k++) stamps[o + k] = intended[d] + 10 * (k + 1);
    }
    stamps[5 * STAMP_WIDTH + 4] = 0; // tick 5 never decided
    const r = tickStages(intended, runOf, stamps, 1);
    expect(r.ticks).toBe(4);
    expect(r.incomplete).toBe(1);
    expect(Object.keys(r.stages)).toEqual([...TICK_STAGES]);
    expect(r.stages.wire_to_receipt).toMatchObject({ count: 4, p50_ns: 10, max_ns: 10 });
    expect(r.stages.receipt_to_decoded).toMatchObject({ count: 4, p50_ns: 10 });
    expect(r.stages.analytics_to_decision.count).toBe(3);
    expect(r.stages.receipt_to_decision).toMatchObject({ count: 3, p50_ns: 40 });
    expect(r.stages.wire_to_decision).toMatchObject({ count: 3, p50_ns: 50 });
  });
});

describe('DecisionProbe: the signals actor\'s evaluation times, read from another thread', () => {
  it('delivers every entry in order; a reader a whole ring behind counts what it missed', () => {
    const sab = DecisionProbe.create(8);
    const w = DecisionProbe.of(sab)!;
    const r = DecisionProbe.of(sab)!;
    const seen: number[][] = [];
    for (let i = 0; i < 5; i++) w.record(100 + i, i % 3, 150 + i, 200 + i);
    expect(r.poll((a, s, x, d) => seen.push([a, s, x, d]))).toBe(5);
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => [100 + i, i % 3, 150 + i, 200 + i]));
    seen.length = 0;
    for (let i = 5; i < 25; i++) w.record(100 + i, 0, 150 + i, 200 + i);
    r.poll((a) => seen.push([a]));
    expect(r.lost).toBe(12); // 20 written, ring of 8
    expect(seen.map((x) => x[0])).toEqual([117, 118, 119, 120, 121, 122, 123, 124]);
    expect(DecisionProbe.of(undefined)).toBeUndefined();
    expect(() => DecisionProbe.create(6)).toThrow(/power of two/);
  });
});
