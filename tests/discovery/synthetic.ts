/**
 * Seeded synthetic market data with known properties, for discovery tests: two symbols whose 1-second
 * log returns have correlation RHO, a volume series that is AR(1) with coefficient PHI, and a Level 2 book
 * whose rows are handed to venues in known proportions with known sizes.
 */
import { mulberry32 } from '../helpers/prng.js';

export const RHO = 0.6;
export const PHI = 0.5;
export const VENUE_MIX: Record<string, number> = { NSDQ: 0.5, ARCA: 0.3, IEX: 0.2 };
export const VENUE_SIZE: Record<string, number> = { NSDQ: 100, ARCA: 200, IEX: 400 };
export const T0 = Date.UTC(2025, 5, 2, 14, 0, 0); // a Monday, 10:00 New York

export interface Events {
  trade(sym: number, ts: number, price: number, size: number): void;
  depth(sym: number, ts: number, position: number, operation: number, side: number, price: number, size: number, mm: string): void;
}

export function gaussian(rand: () => number): () => number {
  return () => {
    let u = rand();
    while (u <= 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

/**
 * `seconds` one-second intervals; symbol 0 and 1 trade once a second (mid-second) with correlated
 * returns; symbol 0's volume is AR(1). Returns the total volume per symbol.
 */
export function correlatedTrades(ev: Events, seed: number, seconds: number, sigma = 0.0005): number[] {
  const g = gaussian(mulberry32(seed));
  let p0 = 590;
  let p1 = 510;
  let x = 0;
  const vol = [0, 0];
  for (let k = 0; k < seconds; k++) {
    const z1 = g();
    const z2 = g();
    if (k > 0) {
      p0 *= Math.exp(sigma * z1);
      p1 *= Math.exp(sigma * (RHO * z1 + Math.sqrt(1 - RHO * RHO) * z2));
    }
    x = PHI * x + 150 * g();
    const v0 = Math.max(1, Math.round(1000 + x));
    const v1 = 500;
    const ts = T0 + k * 1000 + 500;
    ev.trade(0, ts, p0, v0);
    ev.trade(1, ts, p1, v1);
    vol[0] += v0;
    vol[1] += v1;
  }
  return vol;
}

const pickVenue = (u: number): string => {
  let acc = 0;
  for (const [v, w] of Object.entries(VENUE_MIX)) {
    acc += w;
    if (u < acc) return v;
  }
  return 'IEX';
};

/**
 * A `rows`-deep book on symbol `sym`: filled once, then every 100 ms one row (random side and position)
 * is re-quoted by a venue drawn from VENUE_MIX at that venue's size.
 */
export function venueMixBook(ev: Events, sym: number, seed: number, seconds: number, rows = 5): void {
  const rand = mulberry32(seed);
  for (let side = 0; side < 2; side++) {
    for (let p = 0; p < rows; p++) {
      const v = pickVenue(rand());
      ev.depth(sym, T0, p, 0, side, side === 0 ? 100 + p * 0.01 : 99.99 - p * 0.01, VENUE_SIZE[v]!, v);
    }
  }
  for (let t = 100; t < seconds * 1000; t += 100) {
    const side = rand() < 0.5 ? 0 : 1;
    const p = Math.floor(rand() * rows);
    const v = pickVenue(rand());
    ev.depth(sym, T0 + t, p, 1, side, side === 0 ? 100 + p * 0.01 : 99.99 - p * 0.01, VENUE_SIZE[v]!, v);
  }
}
