import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chainToArrays,
  computeGex,
  contractExposures,
  findZeroGamma,
  gammaAt,
  gexFromContracts,
  gridPoints,
  zeroGammaGrid,
  type OptionContract,
} from '../../analytics/gex.js';
import { normCdf, normPdf } from '../../analytics/normal.js';
import { mulberry32 } from '../helpers/prng.js';

interface Fixture {
  input: { spot: number; r: number; q: number; contracts: OptionContract[] };
  expect: Record<string, unknown> & { profile: Record<string, number>[]; zeroGammaAll: number[]; zeroGamma: number | null };
}
// Produced by fixtures/gex-reference.py (mpmath, 40 digits), an independent implementation.
const FIX = JSON.parse(readFileSync(new URL('./fixtures/gex-reference.json', import.meta.url), 'utf8')) as Record<string, Fixture>;

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1, Math.abs(b));
}

describe('GEX / DEX', () => {
  it('computes a one-call, one-put chain by hand', () => {
    const S = 100, r = 0.05, q = 0.01;
    const res = gexFromContracts(S, r, q, [
      { type: 'call', strike: 100, T: 0.25, iv: 0.2, oi: 1000 },
      { type: 'put', strike: 95, T: 0.25, iv: 0.25, oi: 2000 },
    ]);
    // Call: d1 = (ln(100/100) + (0.05 − 0.01 + 0.02)·0.25)/(0.2·0.5) = 0.15.
    const d1c = 0.15;
    const gC = (Math.exp(-q * 0.25) * normPdf(d1c)) / (S * 0.2 * 0.5);
    const gexC = gC * 1000 * 100 * S * S * 0.01;
    const dexC = Math.exp(-q * 0.25) * normCdf(d1c) * 1000 * 100 * S;
    // Put: d1 = (ln(100/95) + (0.04 + 0.03125)·0.25)/(0.25·0.5).
    const d1p = (Math.log(100 / 95) + (0.04 + 0.03125) * 0.25) / 0.125;
    const gP = (Math.exp(-q * 0.25) * normPdf(d1p)) / (S * 0.25 * 0.5);
    const gexP = -gP * 2000 * 100 * S * S * 0.01;
    const dexP = -Math.exp(-q * 0.25) * normCdf(-d1p) * 2000 * 100 * S;
    expect(rel(res.totalCallGex, gexC)).toBeLessThan(1e-13);
    expect(rel(res.totalPutGex, gexP)).toBeLessThan(1e-13);
    expect(rel(res.totalGex, gexC + gexP)).toBeLessThan(1e-13);
    expect(rel(res.totalCallDex, dexC)).toBeLessThan(1e-13);
    expect(rel(res.totalPutDex, dexP)).toBeLessThan(1e-13);
    expect(Math.abs(res.totalDex - (dexC + dexP)) / (Math.abs(dexC) + Math.abs(dexP))).toBeLessThan(1e-13);
    expect(res.totalPutDex).toBeLessThan(0);
    expect(res.profile.map((p) => p.strike)).toEqual([95, 100]);
    expect(res.profile[0]).toMatchObject({ callGex: 0, callOi: 0, putOi: 2000, callDex: 0 });
    expect(res.profile[1]).toMatchObject({ putGex: 0, putOi: 0, callOi: 1000 });
    expect(res.profile[0]!.netGex).toBe(res.profile[0]!.putGex);
    expect(res.callWall).toBe(100);
    expect(res.putWall).toBe(95);
  });

  for (const name of Object.keys(FIX)) {
    it(`matches the mpmath reference for chain ${name} (totals, profile, zero gamma)`, () => {
      const { input, expect: want } = FIX[name]!;
      const got = gexFromContracts(input.spot, input.r, input.q, input.contracts);
      for (const k of ['totalGex', 'totalCallGex', 'totalPutGex', 'totalDex', 'totalCallDex', 'totalPutDex']) {
        expect(rel((got as unknown as Record<string, number>)[k]!, want[k] as number), k).toBeLessThan(1e-12);
      }
      expect(got.profile.length).toBe(want.profile.length);
      got.profile.forEach((row, i) => {
        for (const [k, v] of Object.entries(want.profile[i]!)) {
          expect(rel((row as unknown as Record<string, number>)[k]!, v), `${name} profile[${i}].${k}`).toBeLessThan(1e-12);
        }
      });
      expect(got.zeroGammaAll.length).toBe(want.zeroGammaAll.length);
      got.zeroGammaAll.forEach((x, i) => expect(Math.abs(x - want.zeroGammaAll[i]!)).toBeLessThan(1e-10));
      expect(Math.abs(got.zeroGamma! - want.zeroGamma!)).toBeLessThan(1e-10);
    });
  }

  it('reports several crossings and picks the one closest to spot', () => {
    const { input } = FIX['C']!;
    const z = zeroGammaGrid(input.spot, input.r, input.q, chainToArrays(input.contracts));
    expect(z.zeroGammaAll.length).toBe(3);
    expect(z.zeroGamma).toBe(z.zeroGammaAll[1]);
    expect(z.points.length).toBe(201);
    expect(z.points[0]).toBeCloseTo(input.spot * 0.9, 12);
    expect(z.points[200]).toBeCloseTo(input.spot * 1.1, 12);
  });

  it('splits the grid across slices with identical results (for a worker pool)', () => {
    const { input } = FIX['A']!;
    const chain = chainToArrays(input.contracts);
    const pts = gridPoints(input.spot);
    const whole = gammaAt(pts, input.r, input.q, chain);
    const parts = new Float64Array(201);
    parts.set(gammaAt(pts.subarray(0, 70), input.r, input.q, chain), 0);
    parts.set(gammaAt(pts.subarray(70), input.r, input.q, chain), 70);
    expect(Array.from(parts)).toEqual(Array.from(whole));
    expect(findZeroGamma(pts, parts, input.spot)).toEqual(findZeroGamma(pts, whole, input.spot));
  });

  it('findZeroGamma: exact zeros count once, ties go to the lower, none gives null', () => {
    const pts = Float64Array.from([98, 99, 100, 101, 102]);
    // Sign changes between 98–99 (at 98.5) and 101–102 (at 101.5): equidistant from 100.
    expect(findZeroGamma(pts, Float64Array.from([-1, 1, 2, 1, -1]), 100)).toEqual({ zeroGamma: 98.5, zeroGammaAll: [98.5, 101.5] });
    // A grid point with G = 0 is itself the crossing; its neighbours are not double counted.
    expect(findZeroGamma(pts, Float64Array.from([-1, 0, 1, 1, 1]), 100)).toEqual({ zeroGamma: 99, zeroGammaAll: [99] });
    expect(findZeroGamma(pts, Float64Array.from([1, 2, 3, 2, 1]), 100)).toEqual({ zeroGamma: null, zeroGammaAll: [] });
    // Interpolation is linear: G from −1 to 3 crosses a quarter of the way.
    expect(findZeroGamma(pts, Float64Array.from([-1, 3, 3, 3, 3]), 100).zeroGammaAll).toEqual([98.25]);
  });

  it('findZeroGamma: no sign change, no zero gamma (G ≡ 0, a touch, a zero at the edge)', () => {
    const pts = Float64Array.from([98, 99, 100, 101, 102]);
    // A chain with no gamma anywhere: every point is 0, none is a crossing (it once reported spot).
    expect(findZeroGamma(pts, new Float64Array(5), 100)).toEqual({ zeroGamma: null, zeroGammaAll: [] });
    // G touches 0 and turns back: no sign change.
    expect(findZeroGamma(pts, Float64Array.from([2, 1, 0, 1, 2]), 100)).toEqual({ zeroGamma: null, zeroGammaAll: [] });
    expect(findZeroGamma(pts, Float64Array.from([-2, 0, 0, -1, -2]), 100)).toEqual({ zeroGamma: null, zeroGammaAll: [] });
    // A zero at the grid's edge: nothing is known beyond it.
    expect(findZeroGamma(pts, Float64Array.from([0, 1, 2, 3, 4]), 100)).toEqual({ zeroGamma: null, zeroGammaAll: [] });
    // A run of zeros between opposite signs is one crossing, at its middle.
    expect(findZeroGamma(pts, Float64Array.from([-1, 0, 0, 1, 1]), 100)).toEqual({ zeroGamma: 99.5, zeroGammaAll: [99.5] });
  });

  it('a chain whose gamma is zero everywhere (expired contracts) has no zero-gamma level', () => {
    const expired = chainToArrays([
      { type: 'call', strike: 100, T: 0, iv: 0.2, oi: 100 },
      { type: 'put', strike: 95, T: 0, iv: 0.2, oi: 100 },
    ]);
    const z = zeroGammaGrid(100, 0.01, 0, expired);
    expect(Array.from(z.G).every((g) => g === 0)).toBe(true);
    expect(z.zeroGamma).toBeNull();
    expect(z.zeroGammaAll).toEqual([]);
  });

  it('walls: largest call GEX, most negative put GEX, lowest strike on ties', () => {
    const c = (strike: number, oi: number): OptionContract => ({ type: 'call', strike, T: 0.5, iv: 0.2, oi });
    const p = (strike: number, oi: number): OptionContract => ({ type: 'put', strike, T: 0.5, iv: 0.2, oi });
    // Strikes symmetric in log-moneyness around the forward have equal gamma; use equal strikes' totals via duplicate contracts.
    const res = gexFromContracts(100, 0, 0, [c(110, 100), c(105, 50), c(105, 50), c(90, 10), p(95, 100), p(95, 0), p(100, 1)]);
    expect(res.callWall).toBe(105);
    expect(res.putWall).toBe(95);
    const tie = gexFromContracts(100, 0, 0, [c(120, 0), c(110, 0)]);
    expect(tie.callWall).toBe(110);
    expect(tie.putWall).toBeNull();
    expect(gexFromContracts(100, 0, 0, []).callWall).toBeNull();
  });

  it('expired and zero-vol contracts: no gamma, delta by the degenerate rules', () => {
    const res = gexFromContracts(100, 0.05, 0, [
      { type: 'call', strike: 90, T: 0, iv: 0.2, oi: 10 },
      { type: 'put', strike: 110, T: -0.01, iv: 0.2, oi: 10 },
      { type: 'call', strike: 120, T: 0.5, iv: 0, oi: 10 },
    ]);
    expect(res.totalGex).toBe(0);
    expect(res.totalCallDex).toBe(1 * 10 * 100 * 100);
    expect(res.totalPutDex).toBe(-1 * 10 * 100 * 100);
  });

  it('computeGex on arrays equals the object wrapper', () => {
    const { input } = FIX['B']!;
    expect(computeGex(input.spot, input.r, input.q, chainToArrays(input.contracts))).toEqual(
      gexFromContracts(input.spot, input.r, input.q, input.contracts),
    );
  });
});

describe('strike grouping', () => {
  it('per-contract exposures are the same doubles in any contract order, with or without the strike index (seeded)', () => {
    // the cached logs of the strikes and the cached discount factor and √T per expiry (decision 149) must not
    // change a bit: contracts grouped by expiry (the cache hits), shuffled (it misses), and without the index
    const seed = 20261208;
    console.log(`gex exposure caches: seed ${seed}`);
    const rnd = mulberry32(seed);
    const expiries = [0, -0.01, 1 / 365, 2 / 365, 7 / 365, 30 / 365, 0.5];
    const grouped: OptionContract[] = [];
    for (const T of expiries) {
      for (let i = 0; i < 300; i++) {
        const iv = rnd() < 0.05 ? 0 : 0.1 + rnd() * 0.5; // some without a volatility: the forward's rule
        grouped.push({ type: rnd() < 0.5 ? 'call' : 'put', strike: 500 + Math.floor(rnd() * 180) * 0.5, T, iv, oi: Math.floor(rnd() * 5000) });
      }
    }
    const order = grouped.map((_, i) => i).sort(() => rnd() - 0.5);
    const shuffled = order.map((i) => grouped[i]!);
    const run = (contracts: OptionContract[], index: boolean) => {
      const c = chainToArrays(contracts);
      if (!index) c.strikeIndex = undefined;
      const g = new Float64Array(contracts.length);
      const d = new Float64Array(contracts.length);
      contractExposures(590.25, 0.04, 0.012, c, g, d);
      return { g, d };
    };
    const a = run(grouped, true);
    const b = run(grouped, false);
    const c = run(shuffled, true);
    for (let i = 0; i < grouped.length; i++) {
      expect(Object.is(a.g[i], b.g[i]) && Object.is(a.d[i], b.d[i]), `contract ${i}, without the index`).toBe(true);
    }
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      expect(Object.is(a.g[i], c.g[k]) && Object.is(a.d[i], c.d[k]), `contract ${i}, shuffled to ${k}`).toBe(true);
    }
    expect(a.g.some((x) => x !== 0)).toBe(true);
  });

  it('gives the same profile with or without the cached strike index', () => {
    const contracts: OptionContract[] = [];
    for (let i = 0; i < 300; i++) {
      contracts.push({ type: i % 3 ? 'call' : 'put', strike: 80 + ((i * 37) % 41), T: 0.05 + (i % 7) * 0.1, iv: 0.15 + (i % 5) * 0.03, oi: 10 + i });
    }
    const withIdx = chainToArrays(contracts);
    const without = { ...withIdx, strikeIndex: undefined };
    const a = computeGex(100, 0.03, 0.01, withIdx);
    const b = computeGex(100, 0.03, 0.01, without);
    expect(b).toEqual(a);
    const strikes = a.profile.map((p) => p.strike);
    expect(strikes).toEqual([...new Set(contracts.map((c) => c.strike))].sort((x, y) => x - y));
    const oi = a.profile.reduce((s, p) => s + p.callOi + p.putOi, 0);
    expect(oi).toBe(contracts.reduce((s, c) => s + c.oi, 0));
  });
});
