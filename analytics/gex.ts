/**
 * Dealer gamma (GEX) and delta (DEX) exposure of an option chain, per
 * docs/analytics-conventions.md:
 *   gex = sign·gamma·OI·100·S²·0.01   (sign +1 call, −1 put; dollars of delta per 1% move)
 *   dex = delta·OI·100·S               (delta's own sign, no dealer flip)
 * plus a per-strike profile, the zero-gamma level on a 201-point grid and call/put walls.
 *
 * The hot paths take the chain as struct-of-arrays (`ChainArrays`) so they run over
 * typed arrays without allocating per contract; `gexFromContracts` wraps plain objects.
 * The grid work (201 × contracts gamma evaluations) is split out as `gammaAt` over an
 * arbitrary slice of points so a worker pool can share it; `zeroGammaGrid` is the
 * whole computation in one call and `findZeroGamma` combines the pieces.
 *
 * Contracts with T ≤ 0 or iv ≤ 0 follow the greeks module's degenerate rules
 * (gamma 0; delta ±1 / ±e^{−qT} in the money, else 0).
 */

import { normCdfFromPdf, normPdf } from './normal.js';

export const CALL = 1;
export const PUT = -1;

/** Struct-of-arrays chain: type 1 = call, −1 = put. All arrays have the same length. */
export interface ChainArrays {
  type: Int8Array;
  strike: Float64Array;
  T: Float64Array;
  iv: Float64Array;
  oi: Float64Array;
  /**
   * Optional cached grouping of `strike` (see `strikeIndex`). Strikes rarely change
   * between snapshots while prices and IVs do; drop or rebuild it if `strike` changes.
   */
  strikeIndex?: StrikeIndex;
}

export interface OptionContract {
  type: 'call' | 'put';
  strike: number;
  T: number;
  iv: number;
  oi: number;
}

export interface GexTotals {
  totalGex: number;
  totalCallGex: number;
  totalPutGex: number;
  totalDex: number;
  totalCallDex: number;
  totalPutDex: number;
}

export interface StrikeProfileRow {
  strike: number;
  callGex: number;
  putGex: number;
  netGex: number;
  callOi: number;
  putOi: number;
  callDex: number;
  putDex: number;
}

export interface ZeroGamma {
  /** Crossing closest to spot (ties: the lower), or null when G never changes sign. */
  zeroGamma: number | null;
  /** Every crossing, ascending. */
  zeroGammaAll: number[];
}

export interface GexResult extends GexTotals, ZeroGamma {
  profile: StrikeProfileRow[];
  callWall: number | null;
  putWall: number | null;
}

export const GRID_POINTS = 201;
const INV_SQRT_2PI = 0.39894228040143267794;

export function chainToArrays(contracts: readonly OptionContract[]): ChainArrays {
  const n = contracts.length;
  const c: ChainArrays = {
    type: new Int8Array(n),
    strike: new Float64Array(n),
    T: new Float64Array(n),
    iv: new Float64Array(n),
    oi: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const k = contracts[i]!;
    c.type[i] = k.type === 'call' ? CALL : PUT;
    c.strike[i] = k.strike;
    c.T[i] = k.T;
    c.iv[i] = k.iv;
    c.oi[i] = k.oi;
  }
  c.strikeIndex = strikeIndex(c.strike);
  return c;
}

/**
 * Per-contract GEX and DEX into `gexOut`/`dexOut` (length ≥ chain length); returns the totals. The logs of
 * the strikes (a few hundred distinct, from the chain's strike index) and each expiry's discount factor and
 * √T (contracts of one expiry come together) are computed once, not per contract: the same doubles, so the
 * same results to the bit, in 20–30 % less time on the hot thread (decision 149).
 */
export function contractExposures(
  spot: number,
  r: number,
  q: number,
  chain: ChainArrays,
  gexOut: Float64Array,
  dexOut: Float64Array,
): GexTotals {
  const { type, strike, T, iv, oi } = chain;
  const n = type.length;
  const lnS = Math.log(spot);
  const si = chain.strikeIndex;
  let lnK: Float64Array | null = null;
  if (si && si.index.length === n) {
    lnK = new Float64Array(si.strikes.length);
    for (let j = 0; j < lnK.length; j++) lnK[j] = Math.log(si.strikes[j]!);
  }
  let lastT = NaN;
  let dfq = NaN;
  let rootT = NaN;
  const gexScale = 100 * spot * spot * 0.01;
  const dexScale = 100 * spot;
  let callGex = 0;
  let putGex = 0;
  let callDex = 0;
  let putDex = 0;
  for (let i = 0; i < n; i++) {
    const isCall = type[i] === CALL;
    const K = strike[i]!;
    const t = T[i]!;
    const s = iv[i]!;
    let gamma = 0;
    let delta: number;
    if (t <= 0) {
      delta = isCall ? (spot > K ? 1 : 0) : spot < K ? -1 : 0;
    } else {
      if (t !== lastT) {
        lastT = t;
        dfq = Math.exp(-q * t);
        rootT = Math.sqrt(t);
      }
      if (s <= 0) {
        const fwd = spot * dfq - K * Math.exp(-r * t);
        delta = isCall ? (fwd > 0 ? dfq : 0) : fwd < 0 ? -dfq : 0;
      } else {
        const sd = s * rootT;
        const d1 = (lnS - (lnK ? lnK[si!.index[i]!]! : Math.log(K)) + (r - q + 0.5 * s * s) * t) / sd;
        const pdf = normPdf(d1);
        gamma = (dfq * pdf) / (spot * sd);
        delta = isCall ? dfq * normCdfFromPdf(d1, pdf) : -dfq * normCdfFromPdf(-d1, pdf);
      }
    }
    const o = oi[i]!;
    const dex = delta * o * dexScale;
    if (isCall) {
      const g = gamma * o * gexScale;
      gexOut[i] = g;
      callGex += g;
      callDex += dex;
    } else {
      const g = -gamma * o * gexScale;
      gexOut[i] = g;
      putGex += g;
      putDex += dex;
    }
    dexOut[i] = dex;
  }
  return {
    totalGex: callGex + putGex,
    totalCallGex: callGex,
    totalPutGex: putGex,
    totalDex: callDex + putDex,
    totalCallDex: callDex,
    totalPutDex: putDex,
  };
}

export interface StrikeIndex {
  /** Distinct strikes, ascending. */
  strikes: Float64Array;
  /** Per contract, the position of its strike in `strikes`. */
  index: Int32Array;
}

/**
 * Groups contracts by strike. Hashes first and sorts only the distinct strikes
 * (a few hundred) rather than every contract.
 */
export function strikeIndex(strike: Float64Array): StrikeIndex {
  const n = strike.length;
  const ids = new Map<number, number>();
  const index = new Int32Array(n);
  const firstSeen: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = strike[i]!;
    let id = ids.get(k);
    if (id === undefined) {
      id = firstSeen.length;
      ids.set(k, id);
      firstSeen.push(k);
    }
    index[i] = id;
  }
  const strikes = Float64Array.from(firstSeen).sort();
  const rank = new Int32Array(strikes.length);
  for (let j = 0; j < strikes.length; j++) rank[ids.get(strikes[j]!)!] = j;
  for (let i = 0; i < n; i++) index[i] = rank[index[i]!]!;
  return { strikes, index };
}

/** Strike profile and walls from per-contract exposures. */
export function strikeProfile(
  chain: ChainArrays,
  gex: Float64Array,
  dex: Float64Array,
): { profile: StrikeProfileRow[]; callWall: number | null; putWall: number | null } {
  const { strikes, index } = chain.strikeIndex ?? strikeIndex(chain.strike);
  const m = strikes.length;
  const callGex = new Float64Array(m);
  const putGex = new Float64Array(m);
  const callOi = new Float64Array(m);
  const putOi = new Float64Array(m);
  const callDex = new Float64Array(m);
  const putDex = new Float64Array(m);
  const hasCall = new Uint8Array(m);
  const hasPut = new Uint8Array(m);
  const { type, oi } = chain;
  for (let i = 0; i < type.length; i++) {
    const j = index[i]!;
    if (type[i] === CALL) {
      callGex[j] += gex[i]!;
      callOi[j] += oi[i]!;
      callDex[j] += dex[i]!;
      hasCall[j] = 1;
    } else {
      putGex[j] += gex[i]!;
      putOi[j] += oi[i]!;
      putDex[j] += dex[i]!;
      hasPut[j] = 1;
    }
  }
  const profile: StrikeProfileRow[] = new Array(m);
  let callWall: number | null = null;
  let putWall: number | null = null;
  let bestCall = -Infinity;
  let bestPut = Infinity;
  for (let j = 0; j < m; j++) {
    profile[j] = {
      strike: strikes[j]!,
      callGex: callGex[j]!,
      putGex: putGex[j]!,
      netGex: callGex[j]! + putGex[j]!,
      callOi: callOi[j]!,
      putOi: putOi[j]!,
      callDex: callDex[j]!,
      putDex: putDex[j]!,
    };
    // Strict comparisons walking upward keep the lowest strike on ties.
    if (hasCall[j] && callGex[j]! > bestCall) {
      bestCall = callGex[j]!;
      callWall = strikes[j]!;
    }
    if (hasPut[j] && putGex[j]! < bestPut) {
      bestPut = putGex[j]!;
      putWall = strikes[j]!;
    }
  }
  return { profile, callWall, putWall };
}

/** The conventions' grid s_i = S·(0.9 + 0.2·i/200), i = 0…200. */
export function gridPoints(spot: number): Float64Array {
  const pts = new Float64Array(GRID_POINTS);
  for (let i = 0; i < GRID_POINTS; i++) pts[i] = spot * (0.9 + (0.2 * i) / 200);
  return pts;
}

/**
 * G(s) = Σ sign·gamma(s)·OI·100·s²·0.01 at each of `points`, every contract repriced at
 * s with its own IV (sticky strike). Writes into `out` (allocated when absent).
 * Per-contract constants are hoisted so the inner loop costs one exp per contract.
 */
export function gammaAt(
  points: Float64Array,
  r: number,
  q: number,
  chain: ChainArrays,
  out: Float64Array = new Float64Array(points.length),
): Float64Array {
  const { type, strike, T, iv, oi } = chain;
  const n = type.length;
  // Hoist per-contract terms: d1(s) = (ln s + a_k)·b_k; contribution c_k·exp(−d1²/2)/s.
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const c = new Float64Array(n);
  let live = 0;
  for (let i = 0; i < n; i++) {
    const t = T[i]!;
    const s = iv[i]!;
    const o = oi[i]!;
    if (t <= 0 || s <= 0 || o === 0) continue; // gamma is identically 0
    const sd = s * Math.sqrt(t);
    a[live] = -Math.log(strike[i]!) + (r - q + 0.5 * s * s) * t;
    b[live] = 1 / sd;
    c[live] = (type[i]! * o * Math.exp(-q * t) * INV_SQRT_2PI) / sd;
    live++;
  }
  for (let p = 0; p < points.length; p++) {
    const sp = points[p]!;
    const lnS = Math.log(sp);
    let sum = 0;
    for (let k = 0; k < live; k++) {
      const d = (lnS + a[k]!) * b[k]!;
      sum += c[k]! * Math.exp(-0.5 * d * d);
    }
    // gamma carries 1/s and the exposure s²·100·0.01, leaving s·sum.
    out[p] = sum * sp;
  }
  return out;
}

/**
 * Crossings of G on the grid: where G changes sign. Between i and i+1 when
 * G_i·G_{i+1} < 0 (linear interpolation); a run of grid points where G is exactly 0 is one
 * crossing (at the run's middle) only when the values either side of the run have opposite
 * signs — G touching 0 and turning back, a run at the grid's edge, and G ≡ 0 (a chain with
 * no gamma anywhere) have no sign change and give none. Reports the crossing closest to
 * spot (ties: the lower), or null when there is none, and all of them ascending (grid
 * points must ascend).
 */
export function findZeroGamma(points: Float64Array, G: Float64Array, spot: number): ZeroGamma {
  const all: number[] = [];
  const n = points.length;
  for (let i = 0; i < n; i++) {
    const g = G[i]!;
    if (g === 0) {
      let j = i;
      while (j + 1 < n && G[j + 1] === 0) j++;
      if (i > 0 && j + 1 < n && G[i - 1]! * G[j + 1]! < 0) all.push((points[i]! + points[j]!) / 2);
      i = j;
      continue;
    }
    if (i + 1 < n) {
      const h = G[i + 1]!;
      if (g * h < 0) {
        const x0 = points[i]!;
        all.push(x0 + ((points[i + 1]! - x0) * g) / (g - h));
      }
    }
  }
  let best: number | null = null;
  let bestDist = Infinity;
  for (const x of all) {
    const d = Math.abs(x - spot);
    if (d < bestDist) {
      bestDist = d;
      best = x;
    }
  }
  return { zeroGamma: best, zeroGammaAll: all };
}

/** The whole zero-gamma computation: grid, G on it, crossings. */
export function zeroGammaGrid(
  spot: number,
  r: number,
  q: number,
  chain: ChainArrays,
): ZeroGamma & { points: Float64Array; G: Float64Array } {
  const points = gridPoints(spot);
  const G = gammaAt(points, r, q, chain);
  return { ...findZeroGamma(points, G, spot), points, G };
}

/** Everything except the zero-gamma grid (the cheap part, for per-tick use). */
export function gexSummary(
  spot: number,
  r: number,
  q: number,
  chain: ChainArrays,
): GexTotals & { profile: StrikeProfileRow[]; callWall: number | null; putWall: number | null } {
  const n = chain.type.length;
  const gex = new Float64Array(n);
  const dex = new Float64Array(n);
  const totals = contractExposures(spot, r, q, chain, gex, dex);
  return { ...totals, ...strikeProfile(chain, gex, dex) };
}

export function computeGex(spot: number, r: number, q: number, chain: ChainArrays): GexResult {
  const s = gexSummary(spot, r, q, chain);
  const z = zeroGammaGrid(spot, r, q, chain);
  return {
    totalGex: s.totalGex,
    totalCallGex: s.totalCallGex,
    totalPutGex: s.totalPutGex,
    totalDex: s.totalDex,
    totalCallDex: s.totalCallDex,
    totalPutDex: s.totalPutDex,
    profile: s.profile,
    zeroGamma: z.zeroGamma,
    zeroGammaAll: z.zeroGammaAll,
    callWall: s.callWall,
    putWall: s.putWall,
  };
}

export function gexFromContracts(spot: number, r: number, q: number, contracts: readonly OptionContract[]): GexResult {
  return computeGex(spot, r, q, chainToArrays(contracts));
}
