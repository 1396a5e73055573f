import { describe, expect, it } from 'vitest';
import { bsmDelta, bsmGamma, bsmGreeks, bsmPrice, impliedVol } from '../../analytics/greeks.js';
import { mulberry32 } from '../helpers/prng.js';

// [flag, S, K, T, r, q, sigma, price, delta, gamma, vega, theta, rho] — computed with mpmath at 50 digits.
const REF: [string, number, number, number, number, number, number, number, number, number, number, number, number][] = [
  ['C', 49.0, 50.0, 0.3846, 0.05, 0.0, 0.2, 2.4004610869656617, 0.5216016339715761, 0.06554537725247866, 12.105242754243843, -4.305389964546104, 8.906574098800947],
  ['P', 49.0, 50.0, 0.3846, 0.05, 0.0, 0.2, 2.4481469339503983, -0.4783983660284239, 0.06554537725247866, 12.105242754243843, -1.8530056721968675, -9.957165877949382],
  ['C', 100.0, 100.0, 1.0, 0.03, 0.01, 0.25, 10.762394626337144, 0.5754307621821474, 0.0154703984554681, 38.67599613867025, -5.662489202907961, 46.780681591877595],
  ['P', 100.0, 120.0, 0.5, 0.04, 0.02, 0.35, 22.44229860680516, -0.7093925747425253, 0.01354667234947364, 23.70667661157887, -5.980859720295347, -46.69077804052884],
  ['C', 450.25, 400.0, 0.0027, 0.05, 0.013, 0.12, 50.288192857517025, 0.9999649006159977, 6.04796305141235e-80, 3.9724787478086407e-78, -14.144255627711212, 1.0798542098410573],
  ['P', 450.25, 400.0, 0.0027, 0.05, 0.013, 0.12, 1.310411633408817e-81, -8.9131338033325e-81, 6.04796305141235e-80, 3.9724787478086407e-78, -8.812875386196383e-77, -1.0839012047776442e-80],
  ['C', 5000.0, 5500.0, 2.5, 0.045, 0.015, 0.18, 502.5461786902974, 0.5088336165015155, 0.0002693510825109748, 3030.1996782484666, -162.79765285110875, 5104.054759543201],
  ['P', 20.0, 25.0, 0.08, 0.0, 0.0, 1.5, 6.780785481799164, -0.6231720195752006, 0.044756713214928995, 2.1483222343165918, -20.14052094671805, -1.539538069864254],
  ['C', 100.0, 60.0, 0.25, -0.005, 0.0, 0.05, 39.92495310546264, 1.0, 7.492333399243624e-92, 9.36541674905453e-90, 0.30037523447268677, 15.01876172363434],
  ['P', 100.0, 140.0, 3.0, 0.1, 0.05, 0.6, 47.01266389284462, -0.31575902061329214, 0.00311835013159953, 56.13030236879154, 0.667031255471769, -235.7656978625215],
];

function close(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

describe('BSM greeks', () => {
  it("reproduces Hull's example to the digits given", () => {
    const g = bsmGreeks(true, 49, 50, 0.3846, 0.05, 0, 0.2);
    expect(g.price.toFixed(4)).toBe('2.4005');
    expect(g.delta.toFixed(4)).toBe('0.5216');
    expect(g.gamma.toFixed(5)).toBe('0.06555');
    expect(g.vega.toFixed(3)).toBe('12.105');
    expect(g.theta.toFixed(4)).toBe('-4.3054');
    expect(g.rho.toFixed(4)).toBe('8.9066');
    expect(g.vegaPt).toBe(g.vega / 100);
    expect(g.thetaDay).toBe(g.theta / 365);
    expect(g.rhoPt).toBe(g.rho / 100);
  });

  it('matches high-precision references to 1e-12', () => {
    for (const [flag, S, K, T, r, q, s, price, delta, gamma, vega, theta, rho] of REF) {
      const g = bsmGreeks(flag === 'C', S, K, T, r, q, s);
      const tag = `${flag} S=${S} K=${K} T=${T}`;
      expect(close(g.price, price, 1e-12), `price ${tag}: ${g.price} vs ${price}`).toBe(true);
      expect(close(g.delta, delta, 1e-12), `delta ${tag}`).toBe(true);
      expect(close(g.gamma, gamma, 1e-12), `gamma ${tag}`).toBe(true);
      expect(close(g.vega, vega, 1e-12), `vega ${tag}`).toBe(true);
      expect(close(g.theta, theta, 1e-12), `theta ${tag}: ${g.theta} vs ${theta}`).toBe(true);
      expect(close(g.rho, rho, 1e-12), `rho ${tag}`).toBe(true);
      expect(bsmPrice(flag === 'C', S, K, T, r, q, s)).toBe(g.price);
      expect(bsmDelta(flag === 'C', S, K, T, r, q, s)).toBe(g.delta);
      expect(bsmGamma(S, K, T, r, q, s)).toBe(g.gamma);
    }
  });

  it('satisfies put–call parity and greek parities on random inputs', () => {
    const seed = 12345;
    console.log(`greeks parity seed=${seed}`);
    const rnd = mulberry32(seed);
    for (let i = 0; i < 2000; i++) {
      const S = 10 + rnd() * 500;
      const K = S * (0.5 + rnd());
      const T = 0.001 + rnd() * 3;
      const r = -0.01 + rnd() * 0.1;
      const q = rnd() * 0.05;
      const s = 0.02 + rnd() * 1.5;
      const c = bsmGreeks(true, S, K, T, r, q, s);
      const p = bsmGreeks(false, S, K, T, r, q, s);
      const dq = Math.exp(-q * T);
      const dr = Math.exp(-r * T);
      expect(Math.abs(c.price - p.price - (S * dq - K * dr))).toBeLessThan(1e-11 * S);
      expect(Math.abs(c.delta - p.delta - dq)).toBeLessThan(1e-13);
      expect(c.gamma).toBe(p.gamma);
      expect(c.vega).toBe(p.vega);
      expect(Math.abs(c.rho - p.rho - K * T * dr)).toBeLessThan(1e-11 * K * (T + 1));
      expect(Math.abs(c.theta - p.theta - (q * S * dq - r * K * dr))).toBeLessThan(1e-11 * S);
    }
  });

  it('applies the T ≤ 0 rule: intrinsic, delta ±1 in the money, other greeks 0', () => {
    const c = bsmGreeks(true, 105, 100, 0, 0.05, 0, 0.2);
    expect(c).toEqual({ price: 5, delta: 1, gamma: 0, vega: 0, vegaPt: 0, theta: 0, thetaDay: 0, rho: 0, rhoPt: 0 });
    const p = bsmGreeks(false, 105, 100, -0.1, 0.05, 0, 0.2);
    expect(p).toEqual({ price: 0, delta: 0, gamma: 0, vega: 0, vegaPt: 0, theta: 0, thetaDay: 0, rho: 0, rhoPt: 0 });
    expect(bsmGreeks(false, 95, 100, 0, 0.05, 0, 0.2)).toMatchObject({ price: 5, delta: -1 });
    expect(bsmGreeks(true, 100, 100, 0, 0.05, 0, 0.2)).toMatchObject({ price: 0, delta: 0 });
    expect(bsmDelta(false, 95, 100, 0, 0.05, 0, 0.2)).toBe(-1);
  });

  it('applies the σ ≤ 0 rule: discounted forward intrinsic', () => {
    const S = 100, K = 95, T = 0.5, r = 0.04, q = 0.01;
    const fwd = S * Math.exp(-q * T) - K * Math.exp(-r * T);
    const c = bsmGreeks(true, S, K, T, r, q, 0);
    expect(c.price).toBe(fwd);
    expect(c.delta).toBe(Math.exp(-q * T));
    expect(c.gamma).toBe(0);
    expect(c.vega).toBe(0);
    // σ→0 limit agrees with a tiny positive σ.
    const tiny = bsmGreeks(true, S, K, T, r, q, 1e-6);
    expect(Math.abs(tiny.theta - c.theta)).toBeLessThan(1e-9);
    expect(Math.abs(tiny.rho - c.rho)).toBeLessThan(1e-9);
    expect(bsmGreeks(false, S, K, T, r, q, -0.2)).toMatchObject({ price: 0, delta: 0, theta: 0, rho: 0 });
    expect(bsmPrice(false, 90, 100, T, r, q, 0)).toBe(100 * Math.exp(-r * T) - 90 * Math.exp(-q * T));
  });
});

describe('implied volatility', () => {
  it('round-trips prices to ~1e-12 in σ across moneyness, maturity and vol', () => {
    const seed = 777;
    console.log(`iv round-trip seed=${seed}`);
    const rnd = mulberry32(seed);
    let worst = 0;
    for (let i = 0; i < 3000; i++) {
      const isCall = rnd() < 0.5;
      const S = 20 + rnd() * 500;
      const K = S * Math.exp((rnd() - 0.5) * 0.6);
      const T = 0.01 + rnd() * 2;
      const r = rnd() * 0.08;
      const q = rnd() * 0.03;
      const s = 0.05 + rnd() * 1.2;
      const g = bsmGreeks(isCall, S, K, T, r, q, s);
      // Skip cases where the price carries no information about σ at double precision.
      if (g.vega * 1e-6 < Math.abs(g.price) * 1e-15 || g.vega < 1e-6) continue;
      const iv = impliedVol(isCall, S, K, T, r, q, g.price);
      expect(iv).not.toBeNull();
      // The price is known to ~1 ulp, so σ is known to ~ulp(price)/vega.
      const bound = 1e-12 + (4 * Number.EPSILON * g.price) / g.vega;
      const err = Math.abs(iv! - s);
      worst = Math.max(worst, err / bound);
      expect(err, `case ${i}`).toBeLessThan(bound);
    }
    console.log(`worst IV error / bound = ${worst}`);
  });

  it("recovers Hull's 20% vol", () => {
    const price = bsmPrice(true, 49, 50, 0.3846, 0.05, 0, 0.2);
    expect(Math.abs(impliedVol(true, 49, 50, 0.3846, 0.05, 0, price)! - 0.2)).toBeLessThan(1e-12);
    const put = bsmPrice(false, 49, 50, 0.3846, 0.05, 0, 0.2);
    expect(Math.abs(impliedVol(false, 49, 50, 0.3846, 0.05, 0, put)! - 0.2)).toBeLessThan(1e-12);
  });

  it('returns null outside the no-arbitrage bounds or when T ≤ 0', () => {
    const S = 100, K = 90, T = 0.5, r = 0.05, q = 0.02;
    const lowerC = S * Math.exp(-q * T) - K * Math.exp(-r * T);
    expect(impliedVol(true, S, K, T, r, q, lowerC - 1e-6)).toBeNull();
    expect(impliedVol(true, S, K, T, r, q, S * Math.exp(-q * T))).toBeNull();
    expect(impliedVol(true, S, K, T, r, q, S)).toBeNull();
    expect(impliedVol(false, S, K, T, r, q, -0.01)).toBeNull();
    expect(impliedVol(false, S, K, T, r, q, K * Math.exp(-r * T))).toBeNull();
    expect(impliedVol(true, S, K, 0, r, q, 11)).toBeNull();
    expect(impliedVol(true, S, K, -1, r, q, 11)).toBeNull();
    expect(impliedVol(true, S, K, T, r, q, NaN)).toBeNull();
    // At the lower bound the price is intrinsic value: no information about σ, null (it was 0).
    expect(impliedVol(true, S, K, T, r, q, lowerC)).toBeNull();
    expect(impliedVol(false, S, K, T, r, q, 0)).toBeNull();
  });

  it('is null, never 0, when vega is negligible relative to the price (deep in the money)', () => {
    // A deep ITM call: 1e-13 above intrinsic value. Some tiny σ reproduces it, but at that σ the
    // price does not move with σ at all.
    const S = 100, K = 50, T = 0.1, r = 0.01, q = 0;
    const intrinsic = S - K * Math.exp(-r * T);
    expect(impliedVol(true, S, K, T, r, q, intrinsic + 1e-13)).toBeNull();
    expect(impliedVol(false, 50, 100, T, r, q, 100 * Math.exp(-r * T) - 50 + 1e-13)).toBeNull();
    // The same option at a price that does carry σ: solved.
    const p = bsmPrice(true, S, K, T, r, q, 0.9);
    expect(impliedVol(true, S, K, T, r, q, p)).toBeCloseTo(0.9, 10);
    // The threshold is the documented one: vega / price at the solution against minVegaRatio.
    const g = bsmGreeks(true, S, K, T, r, q, 0.9);
    expect(impliedVol(true, S, K, T, r, q, p, { minVegaRatio: (g.vega / g.price) * 1.01 })).toBeNull();
    expect(impliedVol(true, S, K, T, r, q, p, { minVegaRatio: (g.vega / g.price) * 0.99 })).toBeCloseTo(0.9, 10);
  });
});
