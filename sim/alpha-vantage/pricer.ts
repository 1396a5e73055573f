/**
 * A small private Black–Scholes–Merton pricer for the simulator. It is deliberately independent of
 * `analytics/greeks` so the engine's greeks are checked against a second implementation, not against
 * themselves. Accuracy (~1e-14 on Φ) is far beyond what the simulated quotes, rounded to cents, need.
 */

const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf by the all-positive-term series erf(x) = 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(2n+1)!!, no cancellation. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return 2 * INV_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc for x ≥ 2 by its continued fraction (modified Lentz), which converges fast there. */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? 1 / tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (Math.exp(-x * x) * INV_SQRT_PI) / f;
}

export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  if (x > 27) return 0;
  return erfcContinuedFraction(x);
}

export function normCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

export function normPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Price and greeks in per-year / per-1.00 units; the wire format rescales them. */
export interface SimGreeks {
  price: number;
  delta: number;
  gamma: number;
  /** −∂V/∂T per year. */
  theta: number;
  /** ∂V/∂σ per 1.00 of σ. */
  vega: number;
  /** ∂V/∂r per 1.00 of r. */
  rho: number;
}

/** European BSM with continuous r and q; requires T > 0 and σ > 0 (the chain model guarantees both). */
export function priceAndGreeks(isCall: boolean, S: number, K: number, T: number, r: number, q: number, sigma: number): SimGreeks {
  const sqT = Math.sqrt(T);
  const sd = sigma * sqT;
  const d1 = (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / sd;
  const d2 = d1 - sd;
  const dq = Math.exp(-q * T);
  const dr = Math.exp(-r * T);
  const pdf = normPdf(d1);
  const gamma = (dq * pdf) / (S * sd);
  const vega = S * dq * pdf * sqT;
  const decay = (-S * dq * pdf * sigma) / (2 * sqT);
  if (isCall) {
    const n1 = normCdf(d1);
    const n2 = normCdf(d2);
    return {
      price: S * dq * n1 - K * dr * n2,
      delta: dq * n1,
      gamma,
      theta: decay - r * K * dr * n2 + q * S * dq * n1,
      vega,
      rho: K * T * dr * n2,
    };
  }
  const m1 = normCdf(-d1);
  const m2 = normCdf(-d2);
  return {
    price: K * dr * m2 - S * dq * m1,
    delta: -dq * m1,
    gamma,
    theta: decay + r * K * dr * m2 - q * S * dq * m1,
    vega,
    rho: -K * T * dr * m2,
  };
}
