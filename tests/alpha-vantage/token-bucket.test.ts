import { describe, expect, test } from 'vitest';
import { ALPHA_VANTAGE_PLANS, TokenBucket } from '../../actors/options/TokenBucket.js';
import { mulberry32 } from '../../sim/alpha-vantage/random.js';

const WINDOW_MS = 60_000;

/** Largest number of takes inside any closed 60 s window [t, t + 60 s] (stricter than half-open), by two pointers. */
function maxInAnyWindow(times: number[]): number {
  let max = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    if (j < i) j = i;
    while (j < times.length && times[j]! <= times[i]! + WINDOW_MS) j++;
    max = Math.max(max, j - i);
  }
  return max;
}

/**
 * Adversarial caller on a virtual clock: alternates greedy phases (take until refused, then jump exactly
 * waitTime()), random polling, and long idle gaps that let the bucket fill before the next burst.
 */
function drive(bucket: TokenBucket, clock: { t: number }, seed: number, steps: number, fractional: boolean): number[] {
  const rand = mulberry32(seed);
  const taken: number[] = [];
  let mode = 0;
  for (let s = 0; s < steps; s++) {
    if (rand() < 0.002) mode = Math.floor(rand() * 3);
    if (mode === 0) {
      if (bucket.tryTake()) taken.push(clock.t);
      else clock.t += bucket.waitTime();
    } else if (mode === 1) {
      if (bucket.tryTake()) taken.push(clock.t);
      clock.t += fractional ? rand() * 150 : Math.floor(rand() * 150);
    } else {
      clock.t += fractional ? rand() * 90_000 : Math.floor(rand() * 90_000);
      mode = 0;
    }
  }
  return taken;
}

describe('TokenBucket', () => {
  test.each(ALPHA_VANTAGE_PLANS.map((p) => [p]))('plan %i: never more than plan − margin in any 60 s window', (plan) => {
    const seed = 20_250_312 + plan;
    console.log(`TokenBucket plan ${plan} seed ${seed}`);
    const clock = { t: 1_000_000 };
    const bucket = TokenBucket.forPlan(plan, { safetyMargin: 10, now: () => clock.t });
    expect(bucket.perMinute).toBe(plan - 10);
    const taken = drive(bucket, clock, seed, 200_000, false);
    expect(taken.length).toBeGreaterThan(5 * plan); // the run covered many windows
    expect(maxInAnyWindow(taken)).toBeLessThanOrEqual(plan - 10);
  });

  test('the window check catches a limiter that overspends (a fixed-minute counter bursts twice at the boundary)', () => {
    const times: number[] = [];
    for (let i = 0; i < 590; i++) times.push(59_000 + i); // end of minute 0
    for (let i = 0; i < 590; i++) times.push(60_000 + i); // start of minute 1: a fixed counter has reset
    expect(maxInAnyWindow(times)).toBe(1180);
  });

  test('fractional clock readings cannot mint extra calls', () => {
    const seed = 777;
    console.log(`TokenBucket fractional seed ${seed}`);
    const clock = { t: 12_345.678 };
    const bucket = new TokenBucket({ perMinute: 590, burst: 40, now: () => clock.t });
    const taken = drive(bucket, clock, seed, 200_000, true);
    expect(taken.length).toBeGreaterThan(3000);
    expect(maxInAnyWindow(taken)).toBeLessThanOrEqual(590);
  });

  test('a greedy caller is not starved: it sustains the refill rate and spends the burst', () => {
    const clock = { t: 0 };
    const bucket = TokenBucket.forPlan(600, { now: () => clock.t });
    expect(bucket.burst).toBe(9);
    let n = 0;
    while (bucket.tryTake()) n++;
    expect(n).toBe(9); // the burst, back to back
    const end = 10 * WINDOW_MS;
    const times: number[] = [];
    while (clock.t < end) {
      if (bucket.tryTake()) times.push(clock.t);
      else clock.t += bucket.waitTime();
    }
    // 581 per minute of refill over ten minutes (± one for the edge).
    expect(times.length).toBeGreaterThanOrEqual(10 * 581 - 1);
    expect(times.length).toBeLessThanOrEqual(10 * 581 + 1);
  });

  test('a full first window [0, 60 s] is exactly the limit: burst + refill, the last token at 60 s', () => {
    const clock = { t: 0 };
    const bucket = new TokenBucket({ perMinute: 100, burst: 10, now: () => clock.t });
    const times: number[] = [];
    for (clock.t = 0; clock.t <= WINDOW_MS; clock.t += 1) while (bucket.tryTake()) times.push(clock.t);
    expect(times.length).toBe(100);
    expect(times[99]).toBe(WINDOW_MS);
  });

  test('waitTime is 0 when a token is there, else the exact wait', () => {
    const clock = { t: 0 };
    const bucket = new TokenBucket({ perMinute: 61, burst: 1, now: () => clock.t }); // 60 per minute of refill: one per 1000 ms
    expect(bucket.waitTime()).toBe(0);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.waitTime()).toBe(1000);
    clock.t += 999;
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.waitTime()).toBe(1);
    clock.t += 1;
    expect(bucket.tryTake()).toBe(true);
  });

  test('a clock stepping back credits nothing', () => {
    const clock = { t: 100_000 };
    const bucket = new TokenBucket({ perMinute: 61, burst: 1, now: () => clock.t });
    expect(bucket.tryTake()).toBe(true);
    clock.t = 50_000;
    expect(bucket.tryTake()).toBe(false);
    clock.t = 100_999;
    expect(bucket.tryTake()).toBe(false);
    clock.t = 101_000;
    expect(bucket.tryTake()).toBe(true);
  });

  test('rejects impossible configurations with a clear message', () => {
    const now = (): number => 0;
    expect(() => TokenBucket.forPlan(500, { now })).toThrow(/75\/150\/300\/600\/1200/);
    expect(() => TokenBucket.forPlan(75, { safetyMargin: 74, now })).toThrow(/safetyMargin/);
    expect(() => new TokenBucket({ perMinute: 10, burst: 10, now })).toThrow(/burst/);
    expect(() => new TokenBucket({ perMinute: 1.5, now })).toThrow(/perMinute/);
  });
});
