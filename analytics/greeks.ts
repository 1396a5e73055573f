/**
 * Black–Scholes–Merton prices, greeks and implied volatility for European options
 * with continuous rate r and dividend yield q, per docs/analytics-conventions.md.
 *
 * Units: T in years; vega per 1.00 of σ (vegaPt per vol point); theta = −∂V/∂T per
 * year (thetaDay per calendar day, /365); rho per 1.00 of r (rhoPt per 1%).
 *
 * Degenerate inputs:
 * - T ≤ 0: price is intrinsic, delta ±1 strictly in the money else 0, all else 0.
 * - σ ≤ 0 (T > 0): price is the discounted forward intrinsic
 *   max(±(S·e^{−qT} − K·e^{−rT}), 0); the greeks are the σ→0⁺ limits when the forward
 *   is strictly in the money (delta ±e^{−qT}, theta and rho of the deterministic
 *   payoff), with gamma = vega = 0; at or out of the money every greek is 0.
 */

import { normCdf, normPdf } from './normal.js';

export type OptionFlag = 'C' | 'P';

export interface Greeks {
  price: number;
  delta: number;
  gamma: number;
  vega: number;
  vegaPt: number;
  theta: number;
  thetaDay: number;
  rho: number;
  rhoPt: number;
}

export function emptyGreeks(): Greeks {
  return { price: 0, delta: 0, gamma: 0, vega: 0, vegaPt: 0, theta: 0, thetaDay: 0, rho: 0, rhoPt: 0 };
}

/** d1 of BSM; caller guarantees T > 0 and σ > 0. */
export function bsmD1(S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  return (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / (sigma * Math.sqrt(T));
}

/** BSM price with the conventions' degenerate cases. */
export function bsmPrice(isCall: boolean, S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  if (T <= 0) return isCall ? Math.max(S - K, 0) : Math.max(K - S, 0);
  const dfq = Math.exp(-q * T);
  const dfr = Math.exp(-r * T);
  if (sigma <= 0) {
    const fwd = S * dfq - K * dfr;
    return isCall ? Math.max(fwd, 0) : Math.max(-fwd, 0);
  }
  const sqT = Math.sqrt(T);
  const d1 = (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / (sigma * sqT);
  const d2 = d1 - sigma * sqT;
  return isCall ? S * dfq * normCdf(d1) - K * dfr * normCdf(d2) : K * dfr * normCdf(-d2) - S * dfq * normCdf(-d1);
}

/** BSM gamma (0 for T ≤ 0 or σ ≤ 0). */
export function bsmGamma(S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  if (T <= 0 || sigma <= 0) return 0;
  const sqT = Math.sqrt(T);
  const d1 = (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / (sigma * sqT);
  return (Math.exp(-q * T) * normPdf(d1)) / (S * sigma * sqT);
}

/** BSM delta with the degenerate cases of the header. */
export function bsmDelta(isCall: boolean, S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  if (T <= 0) {
    if (isCall) return S > K ? 1 : 0;
    return S < K ? -1 : 0;
  }
  const dfq = Math.exp(-q * T);
  if (sigma <= 0) {
    const fwd = S * dfq - K * Math.exp(-r * T);
    if (isCall) return fwd > 0 ? dfq : 0;
    return fwd < 0 ? -dfq : 0;
  }
  const d1 = bsmD1(S, K, T, r, q, sigma);
  return isCall ? dfq * normCdf(d1) : -dfq * normCdf(-d1);
}

/** Price and all greeks; fills `out` when given (no allocation). */
export function bsmGreeks(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  sigma: number,
  out: Greeks = emptyGreeks(),
): Greeks {
  out.gamma = 0;
  out.vega = 0;
  if (T <= 0) {
    out.price = isCall ? Math.max(S - K, 0) : Math.max(K - S, 0);
    out.delta = isCall ? (S > K ? 1 : 0) : S < K ? -1 : 0;
    out.theta = 0;
    out.rho = 0;
  } else {
    const dfq = Math.exp(-q * T);
    const dfr = Math.exp(-r * T);
    if (sigma <= 0) {
      const fwd = S * dfq - K * dfr;
      const itm = isCall ? fwd > 0 : fwd < 0;
      const sgn = isCall ? 1 : -1;
      out.price = itm ? sgn * fwd : 0;
      out.delta = itm ? sgn * dfq : 0;
      out.theta = itm ? sgn * (q * S * dfq - r * K * dfr) : 0;
      out.rho = itm ? sgn * K * T * dfr : 0;
    } else {
      const sqT = Math.sqrt(T);
      const sd = sigma * sqT;
      const d1 = (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / sd;
      const d2 = d1 - sd;
      const pdf = normPdf(d1);
      const decay = (-S * dfq * pdf * sigma) / (2 * sqT);
      out.gamma = (dfq * pdf) / (S * sd);
      out.vega = S * dfq * pdf * sqT;
      if (isCall) {
        const n1 = normCdf(d1);
        const n2 = normCdf(d2);
        out.price = S * dfq * n1 - K * dfr * n2;
        out.delta = dfq * n1;
        out.theta = decay - r * K * dfr * n2 + q * S * dfq * n1;
        out.rho = K * T * dfr * n2;
      } else {
        const m1 = normCdf(-d1);
        const m2 = normCdf(-d2);
        out.price = K * dfr * m2 - S * dfq * m1;
        out.delta = -dfq * m1;
        out.theta = decay + r * K * dfr * m2 - q * S * dfq * m1;
        out.rho = -K * T * dfr * m2;
      }
    }
  }
  out.vegaPt = out.vega / 100;
  out.thetaDay = out.theta / 365;
  out.rhoPt = out.rho / 100;
  return out;
}

export interface ImpliedVolOptions {
  /** Absolute tolerance on σ (default 1e-14, so the result is good to ~1e-12 or better). */
  xtol?: number;
  /** Largest σ tried when bracketing (default 64 = 6400%). */
  maxSigma?: number;
  maxIterations?: number;
  /**
   * Smallest vega / price at the solution for the price to say anything about σ (default
   * 1e-8: a move of one vol point changes the price by less than 1e-10 of itself below it).
   * Deep in-the-money prices sit on their intrinsic value whatever σ is; their "IV" is noise.
   */
  minVegaRatio?: number;
}

export const DEFAULT_MIN_VEGA_RATIO = 1e-8;

/**
 * Implied volatility by Brent's method on [0, hi], hi doubled from 0.5 until it brackets.
 * Returns null — never 0 — when the price carries no information about σ: T ≤ 0, any input
 * non-finite, the price outside the open no-arbitrage band
 * (max(±(S·e^{−qT} − K·e^{−rT}), 0), S·e^{−qT} (call) | K·e^{−rT} (put)) — a price at the
 * lower bound is intrinsic value, true for every σ small enough — or vega at the solution
 * negligible relative to the price (`minVegaRatio`).
 */
export function impliedVol(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  price: number,
  opts: ImpliedVolOptions = {},
): number | null {
  if (!(T > 0) || !Number.isFinite(T) || !Number.isFinite(price) || !(S > 0) || !(K > 0)) return null;
  if (!Number.isFinite(S) || !Number.isFinite(K) || !Number.isFinite(r) || !Number.isFinite(q)) return null;
  const sdf = S * Math.exp(-q * T);
  const kdf = K * Math.exp(-r * T);
  const lower = isCall ? Math.max(sdf - kdf, 0) : Math.max(kdf - sdf, 0);
  const upper = isCall ? sdf : kdf;
  if (price <= lower || price >= upper) return null;
  const minVegaRatio = opts.minVegaRatio ?? DEFAULT_MIN_VEGA_RATIO;
  const xtol = opts.xtol ?? 1e-14;
  const maxSigma = opts.maxSigma ?? 64;
  const maxIter = opts.maxIterations ?? 300;
  const f = (s: number): number => bsmPrice(isCall, S, K, T, r, q, s) - price;

  let hi = 0.5;
  let fhi = f(hi);
  while (fhi < 0) {
    if (hi >= maxSigma) return null;
    hi *= 2;
    fhi = f(hi);
  }
  const sigma = fhi === 0 ? hi : brent(f, 0, hi, f(0), fhi, xtol, maxIter);
  const vega = S * Math.exp(-q * T) * normPdf(bsmD1(S, K, T, r, q, sigma)) * Math.sqrt(T);
  return sigma > 0 && vega >= minVegaRatio * price ? sigma : null;
}

/**
 * Brent's root finder (R. P. Brent, "Algorithms for Minimization without Derivatives",
 * ch. 4) on a bracket [a, b] with f(a)·f(b) ≤ 0.
 */
export function brent(
  f: (x: number) => number,
  a: number,
  b: number,
  fa: number,
  fb: number,
  xtol: number,
  maxIter: number,
): number {
  if (fa === 0) return a;
  if (fb === 0) return b;
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iter = 0; iter < maxIter; iter++) {
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 2 * Number.EPSILON * Math.abs(b) + 0.5 * xtol;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) return b;
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      // Try inverse quadratic interpolation (or secant when only two points differ).
      const s = fb / fa;
      let p: number;
      let qq: number;
      if (a === c) {
        p = 2 * m * s;
        qq = 1 - s;
      } else {
        const t = fa / fc;
        const u = fb / fc;
        p = s * (2 * m * t * (t - u) - (b - a) * (u - 1));
        qq = (t - 1) * (u - 1) * (s - 1);
      }
      if (p > 0) qq = -qq;
      else p = -p;
      if (2 * p < Math.min(3 * m * qq - Math.abs(tol * qq), Math.abs(e * qq))) {
        e = d;
        d = p / qq;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
  }
  return b;
}
