import { gaussian, keyedRandom } from './random.js';

/**
 * Spot prices for the standalone simulator: each symbol walks from its base price by a seeded Gaussian
 * step per minute (≈1%/day), so chains drift over a session and a given (seed, minute) is reproducible.
 */
export function walkingSpot(bases: Record<string, number>, seed: number, now: () => number = Date.now): (symbol: string) => number | undefined {
  const state = new Map<string, { minute: number; logRet: number }>();
  const perMinute = 0.01 / Math.sqrt(390);
  return (symbol) => {
    const base = bases[symbol];
    if (base === undefined) return undefined;
    const minute = Math.floor(now() / 60_000);
    let s = state.get(symbol);
    if (!s) state.set(symbol, (s = { minute, logRet: 0 }));
    // Bounded catch-up: a long pause resumes from where the walk was instead of replaying days of steps.
    for (let m = Math.max(s.minute + 1, minute - 1440); m <= minute; m++) {
      s.logRet += perMinute * gaussian(keyedRandom(seed, `spot|${symbol}|${m}`));
    }
    s.minute = Math.max(s.minute, minute);
    return Math.round(base * Math.exp(s.logRet) * 100) / 100;
  };
}
