import { describe, expect, it } from 'vitest';
import { DiscoveryCollector, autocorrelation, pearson, volatilityRegime } from '../../analytics/discovery.js';
import { OrderBook } from '../../analytics/order-book.js';
import { mulberry32 } from '../helpers/prng.js';
import { PHI, RHO, T0, VENUE_MIX, VENUE_SIZE, correlatedTrades, gaussian, venueMixBook } from './synthetic.js';

const SEED = 20250602;
console.log(`discovery tests: seed ${SEED}`);

describe('discovery on synthetic data with known properties', () => {
  const SECONDS = 4000;
  const c = new DiscoveryCollector(['SPY', 'QQQ'], { intervalSeconds: 1, numRows: 5 });
  const volumes = correlatedTrades(c, SEED, SECONDS);
  venueMixBook(c, 0, SEED + 1, SECONDS);
  const r = c.report();

  it('recovers the correlation of returns across symbols', () => {
    const m = r.correlation.matrix;
    expect(r.correlation.symbols).toEqual(['SPY', 'QQQ']);
    expect(m[0]![0]).toBe(1);
    expect(m[1]![1]).toBe(1);
    expect(m[0]![1]).toBe(m[1]![0]);
    expect(Math.abs(m[0]![1]! - RHO)).toBeLessThan(0.05);
    expect(r.correlation.observations[0]![1]).toBe(SECONDS - 1);
  });

  it('recovers the autocorrelation of volume (AR(1)) and finds none in the returns', () => {
    const vol = r.perSymbol.SPY!.temporal.volume.acf;
    expect(vol).toHaveLength(10);
    expect(Math.abs(vol[0]! - PHI)).toBeLessThan(0.06);
    expect(Math.abs(vol[1]! - PHI * PHI)).toBeLessThan(0.06);
    expect(Math.abs(vol[4]!)).toBeLessThan(0.06);
    const ret = r.perSymbol.SPY!.temporal.returns;
    expect(ret.n).toBe(SECONDS - 1);
    const band = r.perSymbol.SPY!.temporal.band!;
    expect(band).toBeCloseTo(1.96 / Math.sqrt(SECONDS - 1), 12);
    // White-noise returns: nearly every lag inside ±1.5 × band (seeded, so this is deterministic).
    expect(ret.acf.filter((a) => Math.abs(a!) > 1.5 * band).length).toBeLessThanOrEqual(1);
    // QQQ trades a constant size: its volume has no variance, so no autocorrelation.
    expect(r.perSymbol.QQQ!.temporal.volume.acf.every((a) => a === null)).toBe(true);
  });

  it('extrapolates the VPIN bucket size from the observed fraction of a session, and says so', () => {
    // Trades were fed first (T0 + 0.5 s onward); the book's updates, fed after them, end 0.1 s before SECONDS.
    const observedMs = SECONDS * 1000 - 100 - 500;
    expect(r.span.observedMs).toBe(observedMs);
    const sessions = observedMs / (390 * 60_000);
    expect(r.span.sessionsObserved).toBeCloseTo(sessions, 12);
    for (const [i, s] of ['SPY', 'QQQ'].entries()) {
      const v = r.perSymbol[s]!.vpin;
      expect(v.bucketVolume).toBe(Math.floor(volumes[i]! / sessions / 50));
      expect(v.extrapolated).toBe(true);
      expect(v.note).toMatch(/extrapolated/);
    }
  });

  it('recovers the market-maker mix: row share, top-of-book share and average size per venue', () => {
    const mm = r.perSymbol.SPY!.marketMakers!;
    expect(mm.venues.map((v) => v.venue).sort()).toEqual(Object.keys(VENUE_MIX).sort());
    for (const v of mm.venues) {
      expect(Math.abs(v.rowShare - VENUE_MIX[v.venue]!), `${v.venue} row share ${v.rowShare}`).toBeLessThan(0.03);
      expect(Math.abs(v.topShare - VENUE_MIX[v.venue]!), `${v.venue} top share ${v.topShare}`).toBeLessThan(0.04);
      expect(v.avgSize).toBeCloseTo(VENUE_SIZE[v.venue]!, 9);
    }
    // Sorted by row share, shares sum to 1.
    expect(mm.venues[0]!.venue).toBe('NSDQ');
    expect(mm.venues.reduce((a, v) => a + v.rowShare, 0)).toBeCloseTo(1, 12);
    expect(mm.venues.reduce((a, v) => a + v.topShare, 0)).toBeCloseTo(1, 12);
    // QQQ sent no depth.
    expect(r.perSymbol.QQQ!.marketMakers).toBeNull();
  });

  it('chooses the longest interval that gives enough intervals when none is fixed', () => {
    const auto = new DiscoveryCollector(['SPY', 'QQQ']);
    correlatedTrades(auto, SEED, SECONDS);
    const a = auto.report();
    // 4000 s: 66 one-minute intervals (< 100), 133 half-minute ones.
    expect(a.intervalAuto).toBe(true);
    expect(a.intervalSeconds).toBe(30);
    expect(a.perSymbol.SPY!.temporal.intervals).toBe(134); // the stretch touches 134 half-minutes
    // Summing correlated returns keeps their correlation.
    expect(Math.abs(a.correlation.matrix[0]![1]! - RHO)).toBeLessThan(0.2);
    const long = new DiscoveryCollector(['SPY', 'QQQ']);
    correlatedTrades(long, SEED, 7000);
    expect(long.report().intervalSeconds).toBe(60);
  });
});

describe('volatility regime', () => {
  /** 1000 returns, `wild` of them four times as volatile, at the end (calmFirst) or the start. */
  const regime = (wild: number, calmFirst: boolean) => {
    const g = gaussian(mulberry32(SEED + 7));
    const r: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const wildPart = calmFirst ? i >= 1000 - wild : i < wild;
      r.push((wildPart ? 0.002 : 0.0005) * g());
    }
    return volatilityRegime(r, 60, { window: 30, low: 0.2, high: 0.8, sessionMs: 390 * 60_000 });
  };

  it('labels a volatile end high and a calm end low, with the percentile of the latest window', () => {
    const hi = regime(100, true);
    expect(hi.label).toBe('high');
    expect(hi.percentile).toBeGreaterThan(0.9);
    expect(hi.window).toBe(30);
    expect(hi.history).toBe(1000 - 30 + 1);
    // Annualised with 252 × 390 one-minute intervals a year: σ ≈ 0.002 × √98280.
    expect(hi.annualised! / (0.002 * Math.sqrt(252 * 390))).toBeGreaterThan(0.6);
    expect(hi.annualised! / (0.002 * Math.sqrt(252 * 390))).toBeLessThan(1.5);
    const lo = regime(100, false);
    expect(lo.label).toBe('low');
    expect(lo.percentile).toBeLessThan(0.5);
  });

  it('the collector reports the regime of each symbol', () => {
    const c = new DiscoveryCollector(['SPY'], { intervalSeconds: 1 });
    const g = gaussian(mulberry32(SEED + 8));
    let p = 100;
    for (let k = 0; k < 600; k++) {
      p *= Math.exp((k >= 540 ? 0.003 : 0.0003) * g());
      c.trade(0, T0 + k * 1000, p, 10);
    }
    expect(c.report().perSymbol.SPY!.volatility.label).toBe('high');
  });

  it('gives no regime to a price that never moved', () => {
    const v = volatilityRegime(new Array(200).fill(0), 60, { window: 30, low: 0.2, high: 0.8, sessionMs: 390 * 60_000 });
    expect(v.label).toBeNull();
    expect(v.percentile).toBe(0.5);
  });

  it('gives no regime when the sample is too short', () => {
    const v = volatilityRegime([0.001, -0.002, 0.001], 1, { window: 30, low: 0.2, high: 0.8, sessionMs: 390 * 60_000 });
    expect(v).toMatchObject({ label: null, percentile: null, window: null });
  });
});

describe('statistics helpers', () => {
  it('autocorrelation matches a hand computation and skips pairs across stretches and gaps', () => {
    const x = [1, 2, 3, 4, 5];
    // mean 3, deviations -2..2, Σd² = 10; lag 1: (-2)(-1)+(-1)(0)+0(1)+1(2) = 4 → 0.4
    expect(autocorrelation(x, null, 2)).toEqual([0.4, (-2 * 0 + -1 * 1 + 0 * 2) / 10]);
    // A stretch boundary between index 1 and 2 removes the pair (1,2) at lag 1.
    const acf = autocorrelation(x, [0, 0, 1, 1, 1], 1);
    expect(acf[0]).toBeCloseTo(((-2) * (-1) + 0 * 1 + 1 * 2) / 10, 15);
    expect(autocorrelation([1, NaN, 3], null, 1)).toEqual([null]);
    expect(autocorrelation([2, 2, 2], null, 1)).toEqual([null]);
  });

  it('pearson uses only indices where both are present', () => {
    expect(pearson([1, 2, 3, NaN], [2, 4, 6, 1]).r).toBeCloseTo(1, 15);
    expect(pearson([1, 2, 3], [3, 2, 1]).r).toBeCloseTo(-1, 15);
    expect(pearson([1, 2, 3], [1, 1, 1]).r).toBeNull();
    expect(pearson([1], [1])).toEqual({ r: null, n: 1 });
  });
});

describe('market-maker accounting equals a brute-force recount of the book', () => {
  it('under random valid and invalid operations, full-side inserts, resets and gaps', () => {
    const seed = SEED + 3;
    const rand = mulberry32(seed);
    const ROWS = 4;
    const MAX_GAP = 60_000;
    const venues = ['NSDQ', 'ARCA', '', 'IEX'];
    const c = new DiscoveryCollector(['SPY'], { numRows: ROWS, maxGapMs: MAX_GAP });
    const ref = new OrderBook(ROWS);
    const rowTime = new Map<string, number>();
    const sizeTime = new Map<string, number>();
    const topTime = new Map<string, number>();
    let totalTop = 0;
    let last = NaN;
    const advance = (ts: number) => {
      if (last === last && ts > last && ts - last <= MAX_GAP) {
        const dt = ts - last;
        for (let side = 0; side < 2; side++) {
          for (let i = 0; i < ref.length(side); i++) {
            const v = ref.marketMaker(side, i);
            rowTime.set(v, (rowTime.get(v) ?? 0) + dt);
            sizeTime.set(v, (sizeTime.get(v) ?? 0) + dt * ref.size(side, i));
          }
          if (ref.length(side) > 0) {
            const v = ref.marketMaker(side, 0);
            topTime.set(v, (topTime.get(v) ?? 0) + dt);
            totalTop += dt;
          }
        }
      }
      if (!(ts <= last)) last = ts;
    };
    let ts = T0;
    for (let i = 0; i < 20_000; i++) {
      ts += rand() < 0.002 ? 70_000 : Math.floor(rand() * 200);
      if (rand() < 0.003) {
        advance(ts);
        ref.clear();
        c.reset(0, ts);
        continue;
      }
      const u = rand();
      const op = u < 0.4 ? 0 : u < 0.75 ? 1 : u < 0.98 ? 2 : 7; // 7: a bad operation
      const side = rand() < 0.99 ? (rand() < 0.5 ? 0 : 1) : 2;
      const pos = Math.floor(rand() * (ROWS + 2)) - (rand() < 0.01 ? 3 : 0);
      const price = rand() < 0.01 ? NaN : 100 + Math.floor(rand() * 20) / 100;
      const size = Math.floor(rand() * 500);
      const mm = venues[Math.floor(rand() * venues.length)]!;
      advance(ts);
      ref.apply(pos, op, side, price, size, mm);
      c.depth(0, ts, pos, op, side, price, size, mm);
    }
    const got = c.report().perSymbol.SPY!.marketMakers!;
    const totalRows = [...rowTime.values()].reduce((a, b) => a + b, 0);
    expect(got.venues.length).toBe(venues.length);
    for (const v of got.venues) {
      const rt = rowTime.get(v.venue) ?? 0;
      expect(v.rowShare, `seed ${seed} venue ${v.venue}`).toBeCloseTo(rt / totalRows, 12);
      expect(v.topShare).toBeCloseTo((topTime.get(v.venue) ?? 0) / totalTop, 12);
      expect(v.avgSize).toBeCloseTo((sizeTime.get(v.venue) ?? 0) / rt, 9);
    }
    expect(c.report().perSymbol.SPY!.ignored.depthOps).toBe(ref.ignored);
  });
});

describe('bad events are counted, never thrown', () => {
  it('non-finite times, bad prices and sizes, unknown symbols, late trades', () => {
    const c = new DiscoveryCollector(['SPY']);
    c.trade(0, T0, 100, 10);
    c.trade(0, NaN, 100, 10);
    c.trade(0, T0 + 1000, NaN, 10);
    c.trade(0, T0 + 1000, 100, -5);
    c.trade(0, T0 + 1000, -1, 5);
    c.trade(3, T0 + 1000, 100, 5);
    c.trade(0, T0 + 2000, 101, 5);
    c.trade(0, T0 + 500, 100.5, 5); // late: counted in the current second
    c.depth(0, Infinity, 0, 0, 0, 100, 1, 'X');
    c.depth(9, T0, 0, 0, 0, 100, 1, 'X');
    c.depth(0, T0 + 2000, 3, 0, 0, 100, 1, 'X'); // position out of range on an empty side
    const r = c.report();
    const s = r.perSymbol.SPY!;
    expect(s.trades).toBe(3);
    expect(s.volume).toBe(20);
    expect(s.ignored).toEqual({ trades: 3, lateTrades: 1, depthOps: 1 });
    expect(r.events.badTimestamps).toBe(2);
    expect(r.events.unknownSymbol).toBe(2);
    expect(s.marketMakers).toBeNull();
  });

  it('an empty collector reports nulls, not errors', () => {
    const r = new DiscoveryCollector(['SPY']).report();
    expect(r.span).toMatchObject({ fromMs: null, toMs: null, observedMs: 0, stretches: 0 });
    expect(r.perSymbol.SPY!.vpin.bucketVolume).toBeNull();
    expect(r.correlation.matrix).toEqual([[null]]);
  });

  it('rejects nonsensical options with a message naming the option', () => {
    expect(() => new DiscoveryCollector(['SPY'], { bucketsPerDay: 0 })).toThrow(/bucketsPerDay/);
    expect(() => new DiscoveryCollector(['SPY'], { intervalSeconds: 1.5 })).toThrow(/intervalSeconds/);
    expect(() => new DiscoveryCollector(['SPY'], { regimeLow: 0.9, regimeHigh: 0.1 })).toThrow(/regime/);
  });

  it('a gap longer than maxGapMs starts a new stretch and is not observed time', () => {
    const c = new DiscoveryCollector(['SPY'], { intervalSeconds: 1 });
    c.trade(0, T0, 100, 1);
    c.trade(0, T0 + 10_000, 101, 1);
    c.trade(0, T0 + 10_000 + 3_600_000, 102, 1); // an hour later
    c.trade(0, T0 + 20_000 + 3_600_000, 103, 1);
    const r = c.report();
    expect(r.span.stretches).toBe(2);
    expect(r.span.observedMs).toBe(20_000);
    // No return spans the gap: 10 + 10 one-second returns.
    expect(r.perSymbol.SPY!.temporal.returns.n).toBe(20);
  });
});
