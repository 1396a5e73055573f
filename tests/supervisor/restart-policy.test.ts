import { describe, expect, it } from 'vitest';
import { RestartPolicy } from '../../engine/supervisor/RestartPolicy.js';

const spec = { intensity: 3, periodMs: 10_000, backoffInitialMs: 100, backoffMaxMs: 1000 };

describe('RestartPolicy (OTP intensity/period)', () => {
  it('backs off exponentially per child, capped', () => {
    const p = new RestartPolicy({ ...spec, intensity: 100 });
    expect([0, 1, 2, 3, 4, 5].map((i) => p.onFailure('a', i).delayMs)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(p.onFailure('b', 6).delayMs).toBe(100); // another child has its own streak
  });

  it('escalates once, on the restart that exceeds the intensity within the period', () => {
    const p = new RestartPolicy(spec);
    const d = [0, 1000, 2000, 3000, 4000].map((t, i) => p.onFailure(i % 2 ? 'a' : 'b', t));
    expect(d.map((x) => x.escalate)).toEqual([false, false, false, true, false]);
    expect(d[3].restartsInPeriod).toBe(4);
  });

  it('does not escalate when the restarts are spread over more than the period', () => {
    const p = new RestartPolicy(spec);
    const d = [0, 4000, 8000, 12_000, 16_000, 20_000].map((t) => p.onFailure('a', t));
    expect(d.some((x) => x.escalate)).toBe(false);
  });

  it('a child that stayed up for a whole period starts its back-off over', () => {
    const p = new RestartPolicy({ ...spec, intensity: 100 });
    p.onFailure('a', 0);
    p.onFailure('a', 100);
    expect(p.onFailure('a', 200).delayMs).toBe(400);
    expect(p.onFailure('a', 200 + 10_001).delayMs).toBe(100);
  });
});
