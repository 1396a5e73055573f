/**
 * setTimeout for any length. Node clamps a delay above 2^31-1 ms (~24.8 days) to 1 ms, so
 * `start --duration 3000000` used to stop the engine at once; this re-arms a timer of at most that
 * length until the whole delay has passed (measured on the wall clock, so a suspended host does not
 * stretch it).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  cancel(): void;
}

export function longTimeout(fn: () => void, ms: number, now: () => number = Date.now): LongTimer {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`longTimeout: expected a finite delay >= 0 ms, got ${ms}`);
  const due = now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const left = Math.min(Math.max(due - now(), 0), MAX_TIMER_MS);
    timer = setTimeout(() => (now() >= due ? fn() : arm()), left);
  };
  arm();
  return {
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
