/**
 * `npm run bench -- analytics [--quick] [--json FILE]`: the analytics hot spots, in one run:
 *   - greeks per second (bsmGreeks: price and every greek, into a reused object),
 *   - GEX + DEX + strike profile + walls over a 10,000-contract chain (gexSummary), as the analytics actor
 *     runs it (strike index rebuilt per chain) and with the strike index cached,
 *   - a reference: the same GEX/DEX/profile written plainly in this file (one loop over contract objects,
 *     a Map of row objects, nothing reused between calls),
 *   - the zero-gamma grid (201 spot levels × the chain) on one thread, and on the piscina pool
 *     (GammaPool, 2 threads, chain copied to shared memory per call as the actor does),
 *   - live VPIN per trade (LiveVpin.onTrade, bucket closes included),
 *   - a signal's first look at a chain after an update (OptionMarket, 3,600 contracts): every row built (what
 *     selection's index did before decision 130) against the index and one expiry's calls, alternating,
 *     and the apply of a chain and its greeks that comes before (copied into columns: decision 137).
 * Every figure is the median of repeated runs after warm-up. Targets, reported and never asserted:
 * GEX + DEX + profile < 2 ms; pool speed-up ≥ 1.6× on 2 cores; live VPIN < 200 ns a trade.
 * The pool loads dist/actors/analytics/gammaGridTask.js: build first (`npm run bench` does).
 */
import { availableParallelism, cpus } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { GammaPool, shareChain } from '../actors/analytics/GammaPool.js';
import { bsmGreeks, emptyGreeks } from '../analytics/greeks.js';
import { CALL, PUT, gexSummary, strikeIndex, zeroGammaGrid, type ChainArrays } from '../analytics/gex.js';
import { normCdf } from '../analytics/normal.js';
import { LiveVpin } from '../analytics/vpin.js';
import { occSymbol } from '../analytics/instrument.js';
import { OptionMarket } from '../analytics/optionMarket.js';
import { mulberry32 as rng } from '../sim/alpha-vantage/random.js';

const SPOT = 590;
const R = 0.045;
const Q = 0.013;

interface PlainContract { type: 'call' | 'put'; strike: number; T: number; iv: number; oi: number }

/**
 * 50 expiries (1 day to 2 years) × 100 strikes (±30 % of spot) × call and put = 10,000 contracts, with
 * a skewed, term-structured IV and open interest concentrated near the money and at round strikes.
 */
function makeChain(seed: number): { arrays: ChainArrays; plain: PlainContract[] } {
  const rand = rng(seed);
  const plain: PlainContract[] = [];
  for (let e = 0; e < 50; e++) {
    const T = (1 + (e * e * 729) / 2401) / 365; // 1 day … 730 days, denser near the front
    for (let k = 0; k < 100; k++) {
      const strike = Math.round(SPOT * (0.7 + (0.6 * k) / 99));
      const m = Math.log(strike / SPOT);
      const iv = Math.max(0.05, 0.16 + 0.04 * Math.sqrt(T) - 0.25 * m + 0.6 * m * m + 0.01 * (rand() - 0.5));
      const near = Math.exp(-(m * m) / 0.01);
      const round = strike % 10 === 0 ? 2 : 1;
      for (const type of ['call', 'put'] as const) {
        const skewOi = type === 'put' ? (m < 0 ? 1.5 : 0.7) : m > 0 ? 1.3 : 0.8;
        plain.push({ type, strike, T, iv, oi: Math.round(20_000 * near * round * skewOi * (0.5 + rand()) / (1 + e / 10)) });
      }
    }
  }
  const n = plain.length;
  const arrays: ChainArrays = {
    type: new Int8Array(n), strike: new Float64Array(n), T: new Float64Array(n), iv: new Float64Array(n), oi: new Float64Array(n),
  };
  plain.forEach((c, i) => {
    arrays.type[i] = c.type === 'call' ? CALL : PUT;
    arrays.strike[i] = c.strike;
    arrays.T[i] = c.T;
    arrays.iv[i] = c.iv;
    arrays.oi[i] = c.oi;
  });
  return { arrays, plain };
}

interface PlainRow { strike: number; callGex: number; putGex: number; netGex: number; callOi: number; putOi: number; callDex: number; putDex: number }

/** The reference: the conventions' GEX/DEX/profile/walls, written the obvious way. */
function plainGex(spot: number, r: number, q: number, contracts: PlainContract[]) {
  let callGex = 0, putGex = 0, callDex = 0, putDex = 0;
  const rows = new Map<number, PlainRow>();
  for (const c of contracts) {
    const sd = c.iv * Math.sqrt(c.T);
    const d1 = (Math.log(spot / c.strike) + (r - q + (c.iv * c.iv) / 2) * c.T) / sd;
    const gamma = (Math.exp(-q * c.T) * Math.exp(-(d1 * d1) / 2)) / Math.sqrt(2 * Math.PI) / (spot * sd);
    const delta = c.type === 'call' ? Math.exp(-q * c.T) * normCdf(d1) : -Math.exp(-q * c.T) * normCdf(-d1);
    const gex = (c.type === 'call' ? 1 : -1) * gamma * c.oi * 100 * spot * spot * 0.01;
    const dex = delta * c.oi * 100 * spot;
    let row = rows.get(c.strike);
    if (!row) {
      row = { strike: c.strike, callGex: 0, putGex: 0, netGex: 0, callOi: 0, putOi: 0, callDex: 0, putDex: 0 };
      rows.set(c.strike, row);
    }
    if (c.type === 'call') {
      callGex += gex; callDex += dex;
      row.callGex += gex; row.callOi += c.oi; row.callDex += dex;
    } else {
      putGex += gex; putDex += dex;
      row.putGex += gex; row.putOi += c.oi; row.putDex += dex;
    }
    row.netGex = row.callGex + row.putGex;
  }
  const profile = [...rows.values()].sort((a, b) => a.strike - b.strike);
  let callWall: number | null = null;
  let putWall: number | null = null;
  for (const row of profile) {
    if (callWall === null || row.callGex > rows.get(callWall)!.callGex) callWall = row.strike;
    if (putWall === null || row.putGex < rows.get(putWall)!.putGex) putWall = row.strike;
  }
  return { totalGex: callGex + putGex, totalDex: callDex + putDex, profile, callWall, putWall };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;

/** Milliseconds per call of `fn`: `warm` calls discarded, then the median of `runs` single calls. */
function timeMs(fn: () => unknown, warm: number, runs: number): number {
  for (let i = 0; i < warm; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

async function timeMsAsync(fn: () => Promise<unknown>, warm: number, runs: number): Promise<number> {
  for (let i = 0; i < warm; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

function benchGreeks(reps: number, n: number): number {
  const rand = rng(11);
  const K = new Float64Array(n), T = new Float64Array(n), sig = new Float64Array(n), call = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    K[i] = SPOT * (0.7 + 0.6 * rand());
    T[i] = 1 / 365 + 2 * rand();
    sig[i] = 0.08 + 0.5 * rand();
    call[i] = rand() < 0.5 ? 1 : 0;
  }
  const out = emptyGreeks();
  let sink = 0;
  const perSec: number[] = [];
  for (let rep = 0; rep < reps + 2; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += bsmGreeks(call[i] === 1, SPOT, K[i]!, T[i]!, R, Q, sig[i]!, out).delta;
    const ms = performance.now() - t0;
    if (rep >= 2) perSec.push((n / ms) * 1000); // the first two passes warm the JIT
  }
  if (!Number.isFinite(sink)) throw new Error('greeks produced a non-finite delta');
  return median(perSec);
}

function benchLiveVpin(reps: number, n: number): { nsPerTrade: number; buckets: number; vpinValues: number } {
  const rand = rng(23);
  const ts = new Float64Array(n), px = new Float64Array(n), sz = new Float64Array(n);
  let t = Date.UTC(2025, 5, 2, 13, 30);
  let p = SPOT;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rand() * 40); // ≈ 50 trades a second
    p = Math.max(1, p + (rand() - 0.5) * 0.04);
    ts[i] = t;
    px[i] = Math.round(p * 100) / 100;
    sz[i] = 1 + Math.floor(rand() * 300);
  }
  // V so that a bucket fills every few minutes and 50 buckets (the first VPIN) come early in the run.
  const V = 20_000;
  const ns: number[] = [];
  let buckets = 0;
  let values = 0;
  for (let rep = 0; rep < reps + 2; rep++) {
    const v = new LiveVpin({ bucketVolume: V });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) v.onTrade(ts[i]!, px[i]!, sz[i]!);
    const ms = performance.now() - t0;
    if (rep >= 2) ns.push((ms * 1e6) / n);
    buckets = v.bucketsClosed;
    values = v.history;
  }
  return { nsPerTrade: median(ns), buckets, vpinValues: values };
}

/**
 * Each update's apply (a chain and its greeks), then the first use after it, in turn: the whole chain's rows,
 * selection's index and one bucket, and one contract's chain quote (execution's price when no live quote is
 * fresh) (ms, medians).
 */
function benchChainIndex(rounds: number): { contracts: number; applyMs: number; wholeMs: number; indexMs: number; quoteMs: number } {
  const expiries = Array.from({ length: 18 }, (_, i) => new Date(Date.UTC(2026, 11, 7 + i)).toISOString().slice(0, 10));
  const contracts: Record<string, unknown>[] = [];
  const greeks: Record<string, unknown>[] = [];
  for (const e of expiries) {
    for (let k = 0; k < 100; k++) {
      for (const type of ['call', 'put']) {
        const id = `SPY${e}${type}${k}`;
        contracts.push({ id, expiration: e, strike: 540 + k, type, bid: 1 + k / 100, ask: 1.05 + k / 100, bidSize: 10, askSize: 12, oi: 500 });
        greeks.push({ id, delta: type === 'call' ? 1 - k / 100 : -k / 100, gamma: 0.01, theta: -0.1, vega: 0.2 });
      }
    }
  }
  const m = new OptionMarket();
  const occ = occSymbol('SPY', expiries[0]!, 'C', 590);
  const times: number[][] = [[], [], []]; // whole, index, quote
  const apply: number[] = [];
  for (let i = 0; i < 3 * rounds; i++) {
    const t0 = performance.now();
    m.applyKey('options:{SPY}:chain', { contracts }, i);
    m.applyKey('options:{SPY}:greeks', { contracts: greeks }, i);
    apply.push(performance.now() - t0);
    const t = performance.now();
    if (i % 3 === 0) m.chain('SPY', i);
    else if (i % 3 === 1) m.chainIndex('SPY', i).rows(expiries[0]!, 'call');
    else if (m.quote(occ, 'SPY', i)?.source !== 'chain') throw new Error(`no chain quote for ${occ}`);
    times[i % 3]!.push(performance.now() - t);
  }
  const [whole, index, quote] = times.map((x) => median(x.slice(10)));
  return { contracts: contracts.length, applyMs: median(apply.slice(30)), wholeMs: whole!, indexMs: index!, quoteMs: quote! };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const reps = quick ? 3 : 9;
  const { arrays, plain } = makeChain(7);
  const n = arrays.type.length;

  const greeksPerSec = benchGreeks(reps, quick ? 200_000 : 1_000_000);

  // As the actor does it: a fresh chain arrives without a strike index and gets one.
  const fresh = (): ChainArrays => ({ type: arrays.type, strike: arrays.strike, T: arrays.T, iv: arrays.iv, oi: arrays.oi });
  const gexMs = timeMs(() => {
    const c = fresh();
    c.strikeIndex = strikeIndex(c.strike);
    return gexSummary(SPOT, R, Q, c);
  }, 30, quick ? 30 : 200);
  const cached: ChainArrays = { ...fresh(), strikeIndex: strikeIndex(arrays.strike) };
  const gexCachedMs = timeMs(() => gexSummary(SPOT, R, Q, cached), 30, quick ? 30 : 200);
  const plainMs = timeMs(() => plainGex(SPOT, R, Q, plain), 30, quick ? 30 : 200);
  const ours = gexSummary(SPOT, R, Q, cached);
  const ref = plainGex(SPOT, R, Q, plain);
  const gexAgree = relDiff(ours.totalGex, ref.totalGex) < 1e-9 && relDiff(ours.totalDex, ref.totalDex) < 1e-9
    && ours.callWall === ref.callWall && ours.putWall === ref.putWall && ours.profile.length === ref.profile.length;

  const gridRuns = quick ? 5 : 15;
  const gridOneMs = timeMs(() => zeroGammaGrid(SPOT, R, Q, cached), 3, gridRuns);
  const one = zeroGammaGrid(SPOT, R, Q, cached);
  const pool = new GammaPool(2);
  let gridPoolMs: number;
  let gridAgree: boolean;
  try {
    gridPoolMs = await timeMsAsync(() => pool.zeroGamma(SPOT, R, Q, shareChain(cached)), 5, gridRuns);
    const z = await pool.zeroGamma(SPOT, R, Q, shareChain(cached));
    gridAgree = z.G.every((g, i) => g === one.G[i]) && z.zeroGamma === one.zeroGamma;
  } finally {
    await pool.destroy();
  }

  const vpin = benchLiveVpin(reps, quick ? 500_000 : 2_000_000);
  const chainIndex = benchChainIndex(quick ? 40 : 200);

  const TARGET_GEX_MS = 2;
  const TARGET_POOL_SPEEDUP = 1.6;
  const TARGET_VPIN_NS = 200;
  const poolSpeedup = gridOneMs / gridPoolMs;
  return {
    suite: 'analytics',
    machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', node: process.version },
    chain: { contracts: n, strikes: cached.strikeIndex!.strikes.length, expiries: 50, spot: SPOT, zeroGamma: one.zeroGamma, zeroGammaAll: one.zeroGammaAll },
    repetitions: reps,
    results: [
      { name: 'greeks', greeks_per_s: Math.round(greeksPerSec), ns_per_call: round(1e9 / greeksPerSec, 1) },
      { name: 'gex-dex-profile', median_ms: round(gexMs), note: 'gexSummary with the strike index rebuilt, as the analytics actor runs it per chain' },
      { name: 'gex-dex-profile-cached-index', median_ms: round(gexCachedMs), note: 'gexSummary with the strike index kept from the previous chain' },
      { name: 'reference-plain-gex', median_ms: round(plainMs), agrees: gexAgree, note: 'one loop over contract objects, Map of row objects, nothing reused' },
      { name: 'zero-gamma-grid-one-thread', median_ms: round(gridOneMs), points: one.points.length },
      { name: 'zero-gamma-grid-pool', threads: pool.threads, median_ms: round(gridPoolMs), agrees: gridAgree, note: 'GammaPool: shareChain copy + 2 slices on piscina' },
      { name: 'live-vpin', ns_per_trade: round(vpin.nsPerTrade, 1), buckets: vpin.buckets, vpin_values: vpin.vpinValues },
      { name: 'chain-apply', median_ms: round(chainIndex.applyMs), contracts: chainIndex.contracts, note: 'OptionMarket.applyKey of a chain and its greeks (as mirrored to signals and execution)' },
      { name: 'chain-first-use-whole', median_ms: round(chainIndex.wholeMs), contracts: chainIndex.contracts, note: 'OptionMarket.chain after an update: every row built' },
      { name: 'chain-first-use-index', median_ms: round(chainIndex.indexMs), contracts: chainIndex.contracts, note: 'OptionMarket.chainIndex after an update and one expiry\'s calls (a signal\'s contract choice)' },
      { name: 'chain-first-quote', median_ms: round(chainIndex.quoteMs), contracts: chainIndex.contracts, note: 'OptionMarket.quote of one contract from the chain after an update (execution, no live quote)' },
    ],
    ratios: {
      gex_reference_vs_ours: round(plainMs / gexMs, 3), // > 1: ours is faster than the plain version
      gex_ms_vs_target: round(gexMs / TARGET_GEX_MS, 3), // ≤ 1 meets the target
      pool_speedup: round(poolSpeedup, 3), // target ≥ 1.6
      live_vpin_ns_vs_target: round(vpin.nsPerTrade / TARGET_VPIN_NS, 3), // ≤ 1 meets the target
      chain_index_vs_whole: round(chainIndex.indexMs / chainIndex.wholeMs, 3), // < 1: the index's first use is cheaper
    },
    targets: { gex_dex_profile_ms: TARGET_GEX_MS, pool_speedup: TARGET_POOL_SPEEDUP, live_vpin_ns_per_trade: TARGET_VPIN_NS },
    met: {
      gex_dex_profile: gexMs < TARGET_GEX_MS,
      pool_speedup: poolSpeedup >= TARGET_POOL_SPEEDUP,
      live_vpin: vpin.nsPerTrade < TARGET_VPIN_NS,
    },
  };
}

// `node dist/bench/analytics.js [--quick] [--json FILE]` runs it alone, as the other suites do.
if (isMainThread && process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const argv = process.argv.slice(2);
  const jsonAt = argv.indexOf('--json');
  run(argv).then(async (r) => {
    const text = JSON.stringify(r, null, 2);
    if (jsonAt >= 0 && argv[jsonAt + 1]) (await import('node:fs')).writeFileSync(argv[jsonAt + 1]!, text + '\n');
    console.log(text);
  }, (e) => {
    console.error(e);
    process.exit(1);
  });
}
