import { describe, expect, it } from 'vitest';
import { normCdf } from '../../analytics/normal.js';
import { BucketFiller, computeVpin, defaultBucketVolume, empiricalCdfs, LiveVpin, sampleStd, type TradeTuple } from '../../analytics/vpin.js';
import { mulberry32 } from '../helpers/prng.js';

const BASE = 28_333_333 * 60_000; // a UTC minute boundary

describe('batch VPIN', () => {
  // Bars: m0 (7 @ 101), m1 (8 @ 102), m3 (25 @ 100.5; no trades in m2), m4 (6 @ 101.5).
  const trades: TradeTuple[] = [
    [BASE + 1_000, 100, 4],
    [BASE + 30_000, 101, 3],
    [BASE + 60_000, 102, 8],
    [BASE + 180_500, 101, 20],
    [BASE + 200_000, 100.5, 5],
    [BASE + 240_000, 101.5, 6],
  ];

  it('builds bars, σ, buckets split across bars, and a partial bucket, by hand', () => {
    const res = computeVpin(trades, { bucketVolume: 10, n: 2, barSeconds: 60 });
    const sigma = Math.sqrt(75 / 36); // sample std of ΔP = [1, −1.5, 1]
    expect(res.sigma).toBeCloseTo(sigma, 14);
    const p1 = normCdf(1 / sigma);
    const p2 = normCdf(-1.5 / sigma);
    expect(res.bars.map((b) => [b.startMs - BASE, b.price, b.volume, b.dP])).toEqual([
      [0, 101, 7, 0],
      [60_000, 102, 8, 1],
      [180_000, 100.5, 25, -1.5],
      [240_000, 101.5, 6, 1],
    ]);
    expect(res.bars[0]!.pBuy).toBe(0.5);
    expect(res.bars[1]!.pBuy).toBeCloseTo(p1, 15);
    expect(res.bars[2]!.pBuy).toBeCloseTo(p2, 15);
    // Bucket 0: 7 @ 0.5 + 3 @ p1. Bucket 1: 5 @ p1 + 5 @ p2. Buckets 2, 3: 10 @ p2 (one bar fills two).
    const want = [
      [3.5 + 3 * p1, 3.5 + 3 * (1 - p1), 1],
      [5 * p1 + 5 * p2, 5 * (1 - p1) + 5 * (1 - p2), 2],
      [10 * p2, 10 * (1 - p2), 2],
      [10 * p2, 10 * (1 - p2), 2],
    ];
    expect(res.buckets.length).toBe(4);
    res.buckets.forEach((b, i) => {
      expect(b.buy).toBeCloseTo(want[i]![0]!, 13);
      expect(b.sell).toBeCloseTo(want[i]![1]!, 13);
      expect(b.buy + b.sell).toBeCloseTo(10, 13);
      expect(b.endBar).toBe(want[i]![2]);
      expect(b.endMs).toBe(res.bars[b.endBar]!.startMs + 60_000);
    });
    expect(res.partialBucket!.volume).toBe(6);
    expect(res.partialBucket!.buy).toBeCloseTo(6 * p1, 13);
    const imb = res.buckets.map((b) => Math.abs(b.buy - b.sell));
    const v = [(imb[0]! + imb[1]!) / 20, (imb[1]! + imb[2]!) / 20, (imb[2]! + imb[3]!) / 20];
    expect(res.vpin.map((x) => x.bucket)).toEqual([1, 2, 3]);
    res.vpin.forEach((x, i) => expect(x.vpin).toBeCloseTo(v[i]!, 14));
    // The partial bucket never enters VPIN: 6 more volume at p1 would change nothing above.
    const sorted = [...v].sort((a, b) => a - b);
    res.vpin.forEach((x, i) => {
      expect(x.cdf).toBe(sorted.filter((y) => y <= v[i]!).length / 3);
      expect(x.cdfExpanding).toBe(v.slice(0, i + 1).filter((y) => y <= v[i]!).length / (i + 1));
    });
  });

  it('σ null or 0 gives p = 0.5 with fewer than 3 bars or flat prices', () => {
    const two = computeVpin(trades.slice(0, 3), { bucketVolume: 5, n: 1 });
    expect(two.sigma).toBeNull();
    expect(two.bars.every((b) => b.pBuy === 0.5)).toBe(true);
    expect(two.vpin.every((x) => x.vpin === 0)).toBe(true);
    const flat = computeVpin(
      [0, 1, 2, 3].map((m) => [BASE + m * 60_000, 50, 10] as TradeTuple),
      { bucketVolume: 10, n: 1 },
    );
    expect(flat.sigma).toBe(0);
    expect(flat.bars.every((b) => b.pBuy === 0.5)).toBe(true);
    expect(flat.vpin.map((x) => x.cdf)).toEqual([1, 1, 1, 1]);
    expect(flat.partialBucket).toBeNull();
  });

  it('reports the first VPIN at the 50th complete bucket (n = 50), not before', () => {
    const mk = (bars: number): TradeTuple[] =>
      Array.from({ length: bars }, (_, i) => [BASE + i * 60_000 + 5, 100 + ((i * 7) % 5), 10] as TradeTuple);
    const r49 = computeVpin(mk(49), { bucketVolume: 10 });
    expect(r49.buckets.length).toBe(49);
    expect(r49.vpin).toEqual([]);
    const r50 = computeVpin(mk(50), { bucketVolume: 10 });
    expect(r50.vpin.length).toBe(1);
    expect(r50.vpin[0]!.bucket).toBe(49);
    const direct = r50.buckets.reduce((s, b) => s + Math.abs(b.buy - b.sell), 0) / (50 * 10);
    expect(r50.vpin[0]!.vpin).toBeCloseTo(direct, 14);
    expect(r50.vpin[0]!.cdf).toBe(1);
    // 49 full buckets plus a partial one: still nothing.
    const partial = computeVpin([...mk(49), [BASE + 49 * 60_000, 100, 9]], { bucketVolume: 10 });
    expect(partial.vpin).toEqual([]);
    expect(partial.partialBucket!.volume).toBe(9);
  });

  it('sorts unsorted input stably by time and aligns bars to UTC minutes', () => {
    const res = computeVpin(
      [
        [BASE + 61_000, 11, 1],
        [BASE + 59_999, 10, 1],
        [BASE + 61_000, 12, 1],
      ],
      { bucketVolume: 1, n: 1 },
    );
    expect(res.bars.map((b) => [b.startMs - BASE, b.price, b.volume])).toEqual([
      [0, 10, 1],
      [60_000, 12, 2],
    ]);
  });

  it('default bucket volume is average daily volume / 50 over UTC dates', () => {
    const day = 86_400_000;
    expect(defaultBucketVolume([[0, 1, 1000], [day + 5, 1, 3000], [day + 9, 1, 1001]])).toBe(50);
    expect(defaultBucketVolume([[0, 1, 10]])).toBe(1);
  });

  it('empirical CDFs handle ties with ≤', () => {
    const { cdf, cdfExpanding } = empiricalCdfs([0.3, 0.1, 0.3, 0.2, 0.1]);
    expect(Array.from(cdf)).toEqual([1, 0.4, 1, 0.6, 0.4]);
    expect(Array.from(cdfExpanding)).toEqual([1, 0.5, 1, 0.5, 0.4]);
  });

  it('rejects bad options', () => {
    expect(() => computeVpin(trades, { bucketVolume: 2.5 })).toThrow(RangeError);
    expect(() => computeVpin(trades, { bucketVolume: 10, n: 0 })).toThrow(RangeError);
    expect(() => computeVpin(trades, { bucketVolume: 10, barSeconds: 0 })).toThrow(RangeError);
  });
});

function randomTrades(seed: number, count: number): TradeTuple[] {
  const rnd = mulberry32(seed);
  const out: TradeTuple[] = [];
  let t = BASE + 13_000;
  let px = 100;
  for (let i = 0; i < count; i++) {
    // Gaps up to ~3 minutes so some minutes have no bar.
    t += Math.floor(rnd() < 0.02 ? rnd() * 180_000 : rnd() * 4_000);
    px = Math.max(1, px + (rnd() - 0.5) * 0.2);
    out.push([t, Math.round(px * 100) / 100, 1 + Math.floor(rnd() * 300)]);
  }
  return out;
}

describe('LiveVpin', () => {
  it('equals the batch form when given the batch σ', () => {
    const seed = 4242;
    console.log(`live-vs-batch seed=${seed}`);
    const trades = randomTrades(seed, 60_000);
    const V = 2_000;
    const batch = computeVpin(trades, { bucketVolume: V, n: 50 });
    expect(batch.vpin.length).toBeGreaterThan(500);
    const buckets: [number, number, number][] = [];
    const vpins: [number, number, number][] = [];
    const live = new LiveVpin({
      bucketVolume: V,
      fixedSigma: batch.sigma!,
      onBucket: (i, b, s) => buckets.push([i, b, s]),
      onVpin: (i, v, c) => vpins.push([i, v, c]),
    });
    for (const [t, p, s] of trades) live.onTrade(t, p, s);
    live.flush();
    expect(live.barsClosed).toBe(batch.bars.length);
    expect(buckets.length).toBe(batch.buckets.length);
    buckets.forEach(([i, b, s]) => {
      expect(b).toBe(batch.buckets[i]!.buy);
      expect(s).toBe(batch.buckets[i]!.sell);
    });
    expect(live.partialVolume).toBe(batch.partialBucket?.volume ?? 0);
    expect(vpins.length).toBe(batch.vpin.length);
    vpins.forEach(([i, v, c], k) => {
      expect(i).toBe(batch.vpin[k]!.bucket);
      expect(v).toBe(batch.vpin[k]!.vpin);
      expect(c).toBe(batch.vpin[k]!.cdfExpanding);
    });
    expect(live.value).toBe(batch.vpin.at(-1)!.vpin);
  });

  it('trailing σ equals the sample std of the last W bar price changes', () => {
    const seed = 99;
    console.log(`trailing-sigma seed=${seed}`);
    const trades = randomTrades(seed, 40_000);
    const W = 20;
    const live = new LiveVpin({ bucketVolume: 1_000, sigmaWindow: W });
    const bars = computeVpin(trades, { bucketVolume: 1_000 }).bars;
    let b = 0;
    for (const [t, p, s] of trades) {
      const before = live.barsClosed;
      live.onTrade(t, p, s);
      if (live.barsClosed > before) {
        // Bar b just closed: its σ covers ΔP over bars max(1, b−W+1)…b.
        const dps = bars.slice(1, b + 1).map((x) => x.dP).slice(-W);
        if (dps.length < 2) expect(live.lastPBuy).toBe(0.5);
        else {
          const want = sampleStd(dps);
          expect(Math.abs(live.lastSigma - want)).toBeLessThan(1e-12 * Math.max(1, want));
          expect(live.lastPBuy).toBeCloseTo(normCdf(bars[b]!.dP / want), 12);
        }
        b++;
      }
    }
    expect(b).toBeGreaterThan(500);
  });

  it('closes bars on minute change or advance(), counts late and bad trades', () => {
    const live = new LiveVpin({ bucketVolume: 10, n: 1, fixedSigma: 1 });
    expect(live.onTrade(BASE + 100, 100, 6)).toBe(0);
    expect(live.onTrade(BASE + 59_999, 100, 6)).toBe(0);
    expect(live.barsClosed).toBe(0);
    expect(live.advance(BASE + 59_999)).toBe(0);
    expect(live.advance(BASE + 60_000)).toBe(1); // 12 poured: one bucket closes, 2 left over
    expect(live.partialVolume).toBe(2);
    expect(live.value).toBe(0); // ΔP0 = 0 → p = 0.5 → no imbalance
    expect(live.cdf).toBe(1);
    live.onTrade(BASE + 120_000, 101, 8);
    live.onTrade(BASE + 60_000, 101, 1); // late: counted in the open bar
    expect(live.lateTrades).toBe(1);
    live.onTrade(BASE + 120_001, NaN, 1);
    live.onTrade(BASE + 120_001, 101, -1);
    live.onTrade(BASE + 120_001, 0, 1);
    expect(live.ignoredTrades).toBe(3);
    expect(live.flush()).toBe(1);
    expect(live.flush()).toBe(0);
    // Bucket: 2 left over at p = 0.5 plus 8 of the 9-lot bar at Φ(1); 1 carried over.
    expect(live.value).toBeCloseTo((8 * (2 * normCdf(1) - 1)) / 10, 14);
    expect(live.partialVolume).toBe(1);
  });

  it('raises the toxicity alarm when the expanding CDF reaches the threshold', () => {
    const toxic: boolean[] = [];
    const live = new LiveVpin({ bucketVolume: 10, n: 1, fixedSigma: 1, toxicThreshold: 0.75, minHistory: 4, onVpin: (_i, _v, _c, t) => toxic.push(t) });
    // Alternate calm (ΔP = 0) and one-sided (ΔP = +3) bars of exactly one bucket each.
    const moves = [0, 0, 0, 0, 0, 3, 0, 0];
    let px = 100;
    moves.forEach((m, i) => {
      px += m;
      live.onTrade(BASE + i * 60_000, px, 10);
    });
    live.flush();
    // Values: 0,0,0,0,0,big,0,0 → CDFs 1,1,1,1,1,1,6/7,7/8; history ≥ 4 from the 4th.
    expect(toxic).toEqual([false, false, false, true, true, true, true, true]);
    expect(live.history).toBe(8);
  });
});

describe('VPIN bounds: no volume can make the bucket loop run away', () => {
  it('BucketFiller closes at most maxCloses + 1 buckets one by one and counts the rest in one skip', () => {
    const closes: [number, number][] = [];
    const skips: number[] = [];
    const f = new BucketFiller(10);
    f.pour(4, 0.5, () => {}, 3); // 4 in the open bucket
    // 6 completes the open bucket, then 3 + 2 = 5 whole buckets, then 1 left: 2 whole ones are skipped.
    expect(f.pour(6 + 50 + 1, 0.75, (b, s) => closes.push([b, s]), 3, (k) => skips.push(k))).toBe(6);
    expect(skips).toEqual([2]);
    expect(closes).toEqual([[2 + 4.5, 0.5 * 4 + 1.5], [7.5, 2.5], [7.5, 2.5], [7.5, 2.5]]);
    expect(f.fill).toBe(1);
    // Exactly maxCloses whole buckets after the first: nothing skipped.
    const g = new BucketFiller(10);
    const skipped: number[] = [];
    expect(g.pour(40, 0.5, () => {}, 3, (k) => skipped.push(k))).toBe(4);
    expect(skipped).toEqual([]);
    // One more: one skipped.
    expect(g.pour(50, 0.5, () => {}, 3, (k) => skipped.push(k))).toBe(5);
    expect(skipped).toEqual([1]);
  });

  it('a bar of 1e12 shares in buckets of 10 costs O(n), and gives the VPIN the unbounded loop would', () => {
    const n = 5;
    const big = new LiveVpin({ bucketVolume: 10, n, fixedSigma: 1, maxTradeVolume: 1e15 });
    const small = new LiveVpin({ bucketVolume: 10, n, fixedSigma: 1 });
    for (const [live, volume] of [[big, 1e12], [small, 200]] as const) {
      live.onTrade(BASE, 100, 10);
      live.onTrade(BASE + 60_000, 101, volume); // ΔP = +1: p = Φ(1) for every bucket of the bar
      live.flush();
    }
    expect(big.bucketsClosed).toBe(1 + 1e11);
    expect(big.skippedBuckets).toBe(1e11 - n - 1);
    expect(big.history).toBe(3); // 1 + 1 + n buckets poured one by one, VPIN from the n-th; skipped ones have none
    // The window holds n whole buckets of the big bar in both cases: the same VPIN, bit for bit.
    expect(big.value).toBe(small.value);
    expect(big.value).toBeCloseTo(2 * normCdf(1) - 1, 14);
  });

  it('batch and live agree on a bar that fills many buckets (the batch form lists every bucket)', () => {
    const trades: TradeTuple[] = [[BASE, 100, 10], [BASE + 60_000, 101, 137], [BASE + 120_000, 100, 3], [BASE + 180_000, 102, 95]];
    const batch = computeVpin(trades, { bucketVolume: 5, n: 4 });
    const live = new LiveVpin({ bucketVolume: 5, n: 4, fixedSigma: batch.sigma! });
    for (const t of trades) live.onTrade(t[0], t[1], t[2]);
    live.flush();
    expect(live.skippedBuckets).toBeGreaterThan(0);
    expect(live.bucketsClosed).toBe(batch.buckets.length);
    expect(live.value).toBe(batch.vpin.at(-1)!.vpin);
  });

  it('refuses non-finite and oversized trades with counters; the bound itself is accepted', () => {
    const live = new LiveVpin({ bucketVolume: 10, n: 1, fixedSigma: 1, maxTradeVolume: 1000 });
    expect(live.onTrade(BASE, 100, 1e300)).toBe(0);
    expect(live.onTrade(BASE, 100, 1001)).toBe(0);
    expect(live.onTrade(BASE, 100, Infinity)).toBe(0);
    expect(live.onTrade(BASE, 100, NaN)).toBe(0);
    expect([live.oversizedTrades, live.ignoredTrades, live.trades]).toEqual([2, 2, 0]);
    live.onTrade(BASE, 100, 1000);
    expect(live.flush()).toBe(100);
    expect(live.trades).toBe(1);
  });

  it('the batch form refuses a trade beyond the bound and inputs that would build too many buckets', () => {
    expect(() => computeVpin([[BASE, 100, 1e300]], { bucketVolume: 10 })).toThrow(/trade 0: size 1e\+300 is outside \[0, 1000000000\]/);
    expect(() => computeVpin([[BASE, 100, 1000]], { bucketVolume: 1, maxBuckets: 999 })).toThrow(/would make 1000 buckets/);
    expect(computeVpin([[BASE, 100, 999]], { bucketVolume: 1, n: 1, maxBuckets: 999 }).buckets).toHaveLength(999);
  });
});

describe('VPIN minimum history', () => {
  it('no CDF and never toxic until minHistory values; the phase says where it is', () => {
    const toxic: boolean[] = [];
    const live = new LiveVpin({ bucketVolume: 10, n: 2, fixedSigma: 1, toxicThreshold: 0.9, minHistory: 3, onVpin: (_i, _v, _c, t) => toxic.push(t) });
    expect(live.phase).toBe('warming-up');
    let px = 100;
    const bar = (i: number, move: number) => {
      px += move;
      live.onTrade(BASE + i * 60_000, px, 10);
    };
    bar(0, 0);
    bar(1, 0);
    expect(live.phase).toBe('warming-up'); // one bucket closed, n = 2 needed
    bar(2, 0);
    expect([live.phase, live.history, live.cdfReady, live.cdf, live.toxic]).toEqual(['building-history', 1, false, 1, false]);
    bar(3, 2);
    expect([live.phase, live.cdfReady]).toEqual(['building-history', false]);
    bar(4, 2);
    expect([live.phase, live.history, live.cdfReady]).toEqual(['live', 3, true]);
    live.flush();
    // CDFs 1, 1, 1, 1: the first two would have been flagged without the minimum history.
    expect(toxic).toEqual([false, false, true, true]);
  });
});

describe('VPIN state across a restart', () => {
  const day = (seed: number, count: number): TradeTuple[] => {
    const rnd = mulberry32(seed);
    const out: TradeTuple[] = [];
    let px = 100;
    for (let i = 0; i < count; i++) {
      px = Math.max(1, px + (rnd() - 0.5) * 0.2);
      out.push([BASE + i * 7_000 + Math.floor(rnd() * 5_000), Math.round(px * 100) / 100, 1 + Math.floor(rnd() * 300)]);
    }
    return out;
  };
  const opts = { bucketVolume: 500, n: 10, sigmaWindow: 20, minHistory: 5 };

  it('saved mid-day (as JSON) and restored into a new instance, it carries on exactly as if never stopped', () => {
    const trades = day(31, 6000);
    const whole = new LiveVpin(opts);
    for (const t of trades) whole.onTrade(t[0], t[1], t[2]);
    whole.flush();

    const first = new LiveVpin(opts);
    for (const t of trades.slice(0, 2500)) first.onTrade(t[0], t[1], t[2]);
    const saved = JSON.parse(JSON.stringify(first.state()));
    const second = new LiveVpin(opts);
    second.restore(saved);
    expect(second.state()).toEqual(saved);
    for (const t of trades.slice(2500)) second.onTrade(t[0], t[1], t[2]);
    second.flush();

    expect(second.bucketsClosed).toBe(whole.bucketsClosed);
    expect(second.history).toBe(whole.history);
    expect(second.history).toBeGreaterThan(opts.minHistory);
    expect(second.phase).toBe('live');
    // σ's running sums are recomputed from the window at restore: equal to rounding.
    expect(second.value!).toBeCloseTo(whole.value!, 12);
    expect(second.cdf).toBe(whole.cdf);
    expect(second.toxic).toBe(whole.toxic);
  });

  it('refuses a state built another way, or malformed, and stays as it was', () => {
    const a = new LiveVpin(opts);
    for (const t of day(5, 800)) a.onTrade(t[0], t[1], t[2]);
    const st = a.state();
    const fresh = () => new LiveVpin(opts);
    expect(() => new LiveVpin({ ...opts, bucketVolume: 501 }).restore(st)).toThrow(/built with V=500.*this one has V=501/);
    expect(() => fresh().restore({ ...st, history: [0.3, 0.1] })).toThrow(/history: not sorted/);
    expect(() => fresh().restore({ ...st, dp: new Array(21).fill(0) })).toThrow(/dp: expected at most 20/);
    expect(() => fresh().restore({ ...st, bucket: { fill: 500, buy: 0, sell: 0 } })).toThrow(/bucket/);
    expect(() => fresh().restore({ ...st, trades: -1 })).toThrow(/counter 0/);
    const untouched = fresh();
    try {
      untouched.restore({ ...st, imbalances: [NaN] });
    } catch {
      /* refused */
    }
    expect(untouched.state()).toEqual(fresh().state());
  });
});
