import { describe, expect, it } from 'vitest';
import { VisibilityTracker } from '../../bench/e2e/VisibilityTracker.js';

describe('VisibilityTracker (tick → visible under conflation)', () => {
  it('times every tick up to the sighting, not only the published one', () => {
    const got: [number, number][] = [];
    const v = new VisibilityTracker(2, (run, ns) => got.push([run, ns]));
    // symbol 0: ticks at ms 10, 11, 12 (intended 1000, 2000, 3000 ns); symbol 1: one at ms 11
    v.tick(0, 10, 1000, 1);
    v.tick(0, 11, 2000, 1);
    v.tick(1, 11, 2500, 1);
    v.tick(0, 12, 3000, 1);
    v.seen(0, 11, 10_000); // a flush showing ms 11: the ticks at 10 and 11 are visible, 12 is not
    expect(got).toEqual([[1, 9000], [1, 8000]]);
    v.seen(0, 12, 20_000);
    expect(got.at(-1)).toEqual([1, 17_000]);
    expect(got.length).toBe(3);
    // a repeated sighting of the same value records nothing more
    v.seen(0, 12, 30_000);
    expect(got.length).toBe(3);
    expect(v.dropRun(1)).toBe(1); // symbol 1's tick was never shown
  });

  it('a sighting ahead of the tap waits until the tap has seen its ticks', () => {
    const got: number[] = [];
    const v = new VisibilityTracker(1, (_run, ns) => got.push(ns));
    v.tick(0, 5, 100, 1);
    v.seen(0, 7, 1_000); // Redis shows ms 7 before the tap has read the tick at 6
    expect(got).toEqual([]);
    v.tick(0, 6, 200, 1);
    v.tick(0, 7, 300, 1);
    v.settleAll();
    expect(got).toEqual([900, 800, 700]);
  });

  it('dropRun removes one run\'s unseen ticks and keeps the others', () => {
    const got: number[] = [];
    const v = new VisibilityTracker(1, (run) => got.push(run));
    v.tick(0, 1, 0, 1);
    v.tick(0, 2, 0, 2);
    expect(v.dropRun(1)).toBe(1);
    v.seen(0, 2, 10);
    expect(got).toEqual([2]);
  });
});
