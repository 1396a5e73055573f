/**
 * VPIN — volume-synchronised probability of informed trading
 * (Easley, López de Prado, O'Hara 2012), per docs/analytics-conventions.md.
 *
 * Pipeline: trades → time bars (UTC-aligned, only bars with trades exist) → bulk volume
 * classification p = Φ(ΔP/σ) → volume buckets of size V (bars split across bucket
 * boundaries, each piece keeping its bar's p) → VPIN_j = Σ_{last n} |buy − sell| / (n·V).
 *
 * `computeVpin` is the batch form (σ = sample std of ΔP_1…ΔP_{N−1} over the whole input).
 * `LiveVpin` is the incremental form for the hot path (O(1) per trade, no allocation
 * per trade) with a trailing σ, and matches the batch form when given the same fixed σ.
 *
 * Choices the conventions leave open (documented here, used by both forms):
 * - Trades are taken in timestamp order (a stable sort if the input is not sorted);
 *   the bar price is the last trade of the bar in that order.
 * - A bucket's `endBar` is the index of the bar in which it filled; `endMs` is that
 *   bar's end (startMs + bar length), the moment the bucket is known to be complete.
 * - VPIN entries are labelled with the 0-based index of the bucket they end on, so the
 *   first is bucket n − 1.
 * - CDFs are empirical with ≤: cdf_j = #{k : VPIN_k ≤ VPIN_j}/M over all M values;
 *   cdfExpanding_j counts only k ≤ j and divides by the number of values up to j.
 * - Default bucket volume: average daily volume / 50, days being distinct UTC dates in
 *   the input (a US session lies within one UTC date), rounded down, at least 1.
 */

import { normCdf } from './normal.js';

export type TradeTuple = readonly [number, number, number];

export interface VpinBar {
  startMs: number;
  price: number;
  volume: number;
  dP: number;
  pBuy: number;
}

export interface VpinBucket {
  buy: number;
  sell: number;
  endBar: number;
  endMs: number;
}

export interface VpinPoint {
  bucket: number;
  vpin: number;
  cdf: number;
  cdfExpanding: number;
}

export interface VpinResult {
  sigma: number | null;
  bars: VpinBar[];
  buckets: VpinBucket[];
  partialBucket: { volume: number; buy: number; sell: number } | null;
  vpin: VpinPoint[];
}

export interface VpinOptions {
  /** Integer bucket size V; default average daily volume / 50. */
  bucketVolume?: number;
  /** Buckets per VPIN window (default 50). */
  n?: number;
  /** Bar length in seconds (default 60). */
  barSeconds?: number;
  /** A trade above this size is refused with a RangeError (default 1e9). */
  maxTradeVolume?: number;
  /** Refuse (RangeError) inputs that would build more buckets than this (default 1,000,000). */
  maxBuckets?: number;
}

export const DEFAULT_N = 50;
export const DEFAULT_BAR_SECONDS = 60;
export const DEFAULT_TOXIC_THRESHOLD = 0.9;
/**
 * Largest single trade accepted (shares). The biggest prints of the most liquid US stocks are a few
 * million shares; a billion is no trade, it is a broken feed (or an attack: a size of 1e300 once sent
 * the bucket loop round for ever).
 */
export const DEFAULT_MAX_TRADE_VOLUME = 1e9;
/** Most buckets the batch form will build (each is an object in the result). */
export const DEFAULT_MAX_BUCKETS = 1_000_000;
/** VPIN values required before the CDF and the toxic flag are published (live form). */
export const DEFAULT_MIN_HISTORY = 50;
const MS_PER_DAY = 86_400_000;

function sortedByTime(trades: readonly TradeTuple[]): readonly TradeTuple[] {
  for (let i = 1; i < trades.length; i++) {
    if (trades[i]![0] < trades[i - 1]![0]) {
      // Array.prototype.sort is stable, so same-timestamp trades keep input order.
      return trades.slice().sort((a, b) => a[0] - b[0]);
    }
  }
  return trades;
}

/** Time bars: floor(ts / barMs) groups; price = last trade, volume = Σ size. dP/pBuy left 0. */
export function makeBars(trades: readonly TradeTuple[], barSeconds = DEFAULT_BAR_SECONDS): VpinBar[] {
  const barMs = barSeconds * 1000;
  const ts = sortedByTime(trades);
  const bars: VpinBar[] = [];
  let cur: VpinBar | null = null;
  let curIdx = NaN;
  for (const [t, price, size] of ts) {
    const idx = Math.floor(t / barMs);
    if (cur === null || idx !== curIdx) {
      cur = { startMs: idx * barMs, price, volume: 0, dP: 0, pBuy: 0.5 };
      curIdx = idx;
      bars.push(cur);
    }
    cur.price = price;
    cur.volume += size;
  }
  return bars;
}

/** Sample standard deviation (n − 1) of xs[from..to), two-pass. NaN when fewer than 2. */
export function sampleStd(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  const m = to - from;
  if (m < 2) return NaN;
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  const mean = s / m;
  let ss = 0;
  for (let i = from; i < to; i++) {
    const d = xs[i]! - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / (m - 1));
}

export function defaultBucketVolume(trades: readonly TradeTuple[]): number {
  if (trades.length === 0) return 1;
  const days = new Set<number>();
  let vol = 0;
  for (const [t, , size] of trades) {
    days.add(Math.floor(t / MS_PER_DAY));
    vol += size;
  }
  return Math.max(1, Math.floor(vol / days.size / 50));
}

/**
 * Pours volume into buckets of size V. Shared by the batch and live forms so both split
 * bars identically. Closing is decided by comparing the remaining bar volume with the
 * space left, so float rounding in the running fill never leaves a bucket a hair short.
 *
 * The loop is bounded: a bar that fills more than `maxCloses` whole buckets after the one
 * it completes has the surplus counted arithmetically (`onSkip`), not looped over. Every
 * whole bucket of one bar has the same split (V·p, V·q), so for a window of n buckets only
 * the last n of them can matter; the live form passes n, the batch form (which lists every
 * bucket) passes Infinity and bounds its input instead.
 */
export class BucketFiller {
  fill = 0;
  buy = 0;
  sell = 0;
  constructor(readonly V: number) {}

  /**
   * Pours `volume` at buy probability p; calls onClose(buy, sell) per completed bucket,
   * except for whole buckets beyond `maxCloses`, which are reported by one onSkip(count)
   * call before the last `maxCloses` closes. Returns the number of buckets closed
   * (skipped ones included).
   */
  pour(volume: number, p: number, onClose: (buy: number, sell: number) => void, maxCloses = Infinity, onSkip?: (count: number) => void): number {
    let remaining = volume;
    let closed = 0;
    const q = 1 - p;
    while (remaining > 0) {
      const space = this.V - this.fill;
      if (remaining >= space) {
        this.buy += space * p;
        this.sell += space * q;
        onClose(this.buy, this.sell);
        closed++;
        remaining -= space;
        this.fill = 0;
        this.buy = 0;
        this.sell = 0;
        // Whole buckets left in this bar: skip all but the last maxCloses of them.
        const whole = Math.floor(remaining / this.V);
        if (whole > maxCloses) {
          const skip = whole - maxCloses;
          remaining -= skip * this.V;
          closed += skip;
          onSkip?.(skip);
        }
      } else {
        this.fill += remaining;
        this.buy += remaining * p;
        this.sell += remaining * q;
        remaining = 0;
      }
    }
    return closed;
  }
}

/** Empirical CDFs (≤) of a series: over all of it, and expanding (causal). O(M log M). */
export function empiricalCdfs(values: ArrayLike<number>): { cdf: Float64Array; cdfExpanding: Float64Array } {
  const m = values.length;
  const cdf = new Float64Array(m);
  const cdfExpanding = new Float64Array(m);
  if (m === 0) return { cdf, cdfExpanding };
  const sorted = Float64Array.from(values).sort();
  // Distinct values; rank = number of distinct values ≤ v (1-based Fenwick index).
  const uniq: number[] = [];
  for (let i = 0; i < m; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) uniq.push(sorted[i]!);
  const upper = (v: number, arr: ArrayLike<number>, len: number): number => {
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (arr[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const fen = new Int32Array(uniq.length + 1);
  for (let j = 0; j < m; j++) {
    const v = values[j]!;
    cdf[j] = upper(v, sorted, m) / m;
    const rank = upper(v, uniq, uniq.length); // 1-based position of v among distinct values
    for (let i = rank; i <= uniq.length; i += i & -i) fen[i]!++;
    let c = 0;
    for (let i = rank; i > 0; i -= i & -i) c += fen[i]!;
    cdfExpanding[j] = c / (j + 1);
  }
  return { cdf, cdfExpanding };
}

/** Batch VPIN exactly per the conventions. Throws RangeError on invalid options. */
export function computeVpin(trades: readonly TradeTuple[], opts: VpinOptions = {}): VpinResult {
  const n = opts.n ?? DEFAULT_N;
  const barSeconds = opts.barSeconds ?? DEFAULT_BAR_SECONDS;
  const V = opts.bucketVolume ?? defaultBucketVolume(trades);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  if (!(barSeconds > 0) || !Number.isFinite(barSeconds)) throw new RangeError(`barSeconds must be positive, got ${barSeconds}`);
  if (!Number.isInteger(V) || V < 1) throw new RangeError(`bucketVolume must be a positive integer, got ${V}`);
  const barMs = barSeconds * 1000;
  const maxTrade = opts.maxTradeVolume ?? DEFAULT_MAX_TRADE_VOLUME;
  const maxBuckets = opts.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  let total = 0;
  for (let i = 0; i < trades.length; i++) {
    const size = trades[i]![2];
    if (!Number.isFinite(size) || size < 0 || size > maxTrade) throw new RangeError(`trade ${i}: size ${size} is outside [0, ${maxTrade}]`);
    total += size;
  }
  if (total / V > maxBuckets) throw new RangeError(`bucketVolume ${V} would make ${Math.floor(total / V)} buckets of these ${total} shares (at most ${maxBuckets})`);

  const bars = makeBars(trades, barSeconds);
  const N = bars.length;
  const dP = new Float64Array(N);
  for (let t = 1; t < N; t++) dP[t] = bars[t]!.price - bars[t - 1]!.price;
  const sigma = N >= 3 ? sampleStd(dP, 1, N) : null;
  for (let t = 0; t < N; t++) {
    const b = bars[t]!;
    b.dP = dP[t]!;
    b.pBuy = sigma !== null && sigma > 0 ? normCdf(dP[t]! / sigma) : 0.5;
  }

  const buckets: VpinBucket[] = [];
  const filler = new BucketFiller(V);
  for (let t = 0; t < N; t++) {
    const b = bars[t]!;
    const endMs = b.startMs + barMs;
    filler.pour(b.volume, b.pBuy, (buy, sell) => buckets.push({ buy, sell, endBar: t, endMs }));
  }
  const partialBucket = filler.fill > 0 ? { volume: filler.fill, buy: filler.buy, sell: filler.sell } : null;

  const M = Math.max(0, buckets.length - n + 1);
  const values = new Float64Array(M);
  for (let k = 0; k < M; k++) {
    // Direct sum over the window (in bucket order), so equal windows give equal values.
    let s = 0;
    for (let i = k; i < k + n; i++) s += Math.abs(buckets[i]!.buy - buckets[i]!.sell);
    values[k] = s / (n * V);
  }
  const { cdf, cdfExpanding } = empiricalCdfs(values);
  const vpin: VpinPoint[] = new Array(M);
  for (let k = 0; k < M; k++) vpin[k] = { bucket: k + n - 1, vpin: values[k]!, cdf: cdf[k]!, cdfExpanding: cdfExpanding[k]! };
  return { sigma, bars, buckets, partialBucket, vpin };
}

export interface LiveVpinOptions {
  /** Integer bucket size V (required: live mode cannot see the day's volume in advance). */
  bucketVolume: number;
  n?: number;
  barSeconds?: number;
  /** Number W of most recent bar ΔPs in the trailing σ (default 50). */
  sigmaWindow?: number;
  /** Fix σ instead of estimating it (e.g. the batch σ, to reproduce `computeVpin`). */
  fixedSigma?: number;
  /** `toxic` is true when the expanding CDF of the latest VPIN is ≥ this (default 0.9). */
  toxicThreshold?: number;
  /**
   * VPIN values required before the CDF means anything: until then `cdfReady` is false and
   * `toxic` never fires (default 1: from the first value; the engine configures 50, since the
   * expanding CDF of a single value is 1.0 and would flag the first VPIN toxic).
   */
  minHistory?: number;
  /** A trade above this size is refused and counted in `oversizedTrades` (default 1e9). */
  maxTradeVolume?: number;
  /** Called at each bucket close with its 0-based index and buy/sell volumes. */
  onBucket?: (bucket: number, buy: number, sell: number) => void;
  /** Called with each new VPIN value (labelled by the bucket it ends on) and its expanding CDF. */
  onVpin?: (bucket: number, vpin: number, cdf: number, toxic: boolean) => void;
}

/**
 * Everything a LiveVpin needs to carry on after a restart, as plain JSON: the open bar, the σ
 * window (oldest first), the partial bucket, the last n bucket imbalances (oldest first), the
 * sorted VPIN history and the counters. `V`, `n`, `barMs` and `sigmaWindow` say what it was
 * built with: a state is only restored into an instance built the same way.
 */
export interface VpinState {
  version: 1;
  V: number;
  n: number;
  barMs: number;
  sigmaWindow: number;
  value: number | null;
  cdf: number | null;
  toxic: boolean;
  lastSigma: number | null;
  lastPBuy: number | null;
  trades: number;
  ignoredTrades: number;
  oversizedTrades: number;
  lateTrades: number;
  barsClosed: number;
  bucketsClosed: number;
  skippedBuckets: number;
  bar: { idx: number; price: number; volume: number } | null;
  prevPrice: number | null;
  dp: number[];
  bucket: { fill: number; buy: number; sell: number };
  imbalances: number[];
  history: number[];
}

/**
 * Incremental VPIN.
 *
 * σ (unless fixed): sample standard deviation of the last W bar price changes ΔP,
 * including the bar being classified (so the bar's own move is part of its scale), kept
 * with a sliding-window Welford update over a ring and recomputed exactly from the ring
 * every W bars to stop rounding drift. The first bar's ΔP₀ = 0 is not put in the window
 * (as in batch mode). Fewer than 2 ΔPs in the window, or σ = 0, gives p = 0.5.
 *
 * CDF: the exact expanding empirical CDF — every VPIN value is kept in a sorted typed
 * array (8 bytes per bucket, ~50 buckets a day; insertion is a binary search plus a
 * memmove once per bucket, never per trade). It grows by doubling, so allocation
 * happens only at bucket closes that hit capacity.
 *
 * Bars close when a trade (or `advance`) arrives in a later bar; `flush` closes the open
 * bar at end of data. A trade timestamped before the open bar is counted in it
 * (`lateTrades`); a trade with non-finite or ≤ 0 price, or non-finite or < 0 size, is
 * ignored (`ignoredTrades`); a size above `maxTradeVolume` is refused (`oversizedTrades`).
 *
 * A bar fills at most n + 1 buckets one by one: whole buckets beyond that are identical and
 * older than the window, so they are counted (`bucketsClosed`, `skippedBuckets`) without a
 * loop and without VPIN values of their own; the work per bar is O(n) whatever its volume.
 *
 * Phases (`phase`): 'warming-up' until n buckets have closed (no VPIN), 'building-history'
 * while fewer than `minHistory` VPIN values exist (VPIN, no CDF, never toxic), then 'live'.
 */
export class LiveVpin {
  readonly V: number;
  readonly n: number;
  readonly barMs: number;
  readonly sigmaWindow: number;
  readonly fixedSigma: number | null;
  readonly toxicThreshold: number;
  readonly minHistory: number;
  readonly maxTradeVolume: number;

  /** Latest VPIN, null until n buckets have completed. */
  value: number | null = null;
  /** Expanding empirical CDF of `value` among all VPIN values so far. */
  cdf: number | null = null;
  toxic = false;
  /** σ and p used for the last closed bar. */
  lastSigma = NaN;
  lastPBuy = NaN;

  trades = 0;
  ignoredTrades = 0;
  oversizedTrades = 0;
  lateTrades = 0;
  barsClosed = 0;
  bucketsClosed = 0;
  /** whole buckets of very large bars counted without being poured one by one */
  skippedBuckets = 0;

  // Open bar.
  private barIdx = 0;
  private barOpen = false;
  private barPrice = 0;
  private barVolume = 0;
  private prevPrice = NaN;

  // Trailing ΔP window.
  private readonly dpRing: Float64Array;
  private dpHead = 0;
  private dpCount = 0;
  private dpMean = 0;
  private dpM2 = 0;
  private dpSinceExact = 0;

  // Buckets.
  private readonly filler: BucketFiller;
  private readonly imbRing: Float64Array;
  private imbHead = 0;
  private imbCount = 0;
  private readonly pourClose: (buy: number, sell: number) => void;
  private readonly pourSkip: (count: number) => void;
  private readonly onBucket: ((bucket: number, buy: number, sell: number) => void) | undefined;
  private readonly onVpin: ((bucket: number, vpin: number, cdf: number, toxic: boolean) => void) | undefined;

  // Sorted history of VPIN values for the expanding CDF.
  private hist: Float64Array;
  private histLen = 0;

  constructor(opts: LiveVpinOptions) {
    const V = opts.bucketVolume;
    const n = opts.n ?? DEFAULT_N;
    const barSeconds = opts.barSeconds ?? DEFAULT_BAR_SECONDS;
    const W = opts.sigmaWindow ?? 50;
    if (!Number.isInteger(V) || V < 1) throw new RangeError(`bucketVolume must be a positive integer, got ${V}`);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
    if (!(barSeconds > 0) || !Number.isFinite(barSeconds)) throw new RangeError(`barSeconds must be positive, got ${barSeconds}`);
    if (!Number.isInteger(W) || W < 2) throw new RangeError(`sigmaWindow must be an integer ≥ 2, got ${W}`);
    if (opts.fixedSigma !== undefined && !(opts.fixedSigma >= 0)) throw new RangeError(`fixedSigma must be ≥ 0, got ${opts.fixedSigma}`);
    this.V = V;
    this.n = n;
    this.barMs = barSeconds * 1000;
    this.sigmaWindow = W;
    this.fixedSigma = opts.fixedSigma ?? null;
    this.toxicThreshold = opts.toxicThreshold ?? DEFAULT_TOXIC_THRESHOLD;
    this.minHistory = opts.minHistory ?? 1;
    this.maxTradeVolume = opts.maxTradeVolume ?? DEFAULT_MAX_TRADE_VOLUME;
    if (!Number.isInteger(this.minHistory) || this.minHistory < 1) throw new RangeError(`minHistory must be a positive integer, got ${this.minHistory}`);
    if (!(this.maxTradeVolume > 0)) throw new RangeError(`maxTradeVolume must be positive, got ${this.maxTradeVolume}`);
    this.dpRing = new Float64Array(W);
    this.filler = new BucketFiller(V);
    this.imbRing = new Float64Array(n);
    this.hist = new Float64Array(1024);
    this.pourClose = (buy, sell) => this.closeBucket(buy, sell);
    this.pourSkip = (count) => {
      this.bucketsClosed += count;
      this.skippedBuckets += count;
    };
    this.onBucket = opts.onBucket;
    this.onVpin = opts.onVpin;
  }

  /** Feeds one trade; returns the number of buckets completed by it (usually 0). */
  onTrade(tsMs: number, price: number, size: number): number {
    if (!Number.isFinite(tsMs) || !Number.isFinite(price) || !(price > 0) || !Number.isFinite(size) || !(size >= 0)) {
      this.ignoredTrades++;
      return 0;
    }
    if (size > this.maxTradeVolume) {
      this.oversizedTrades++;
      return 0;
    }
    this.trades++;
    const idx = Math.floor(tsMs / this.barMs);
    let closed = 0;
    if (!this.barOpen) {
      this.barOpen = true;
      this.barIdx = idx;
    } else if (idx > this.barIdx) {
      closed = this.closeBar();
      this.barOpen = true;
      this.barIdx = idx;
    } else if (idx < this.barIdx) {
      this.lateTrades++;
    }
    this.barPrice = price;
    this.barVolume += size;
    return closed;
  }

  /** Clock tick: closes the open bar if `tsMs` lies in a later bar. Returns buckets completed. */
  advance(tsMs: number): number {
    if (this.barOpen && Math.floor(tsMs / this.barMs) > this.barIdx) return this.closeBar();
    return 0;
  }

  /** Closes the open bar regardless of time (end of data). Returns buckets completed. */
  flush(): number {
    return this.barOpen ? this.closeBar() : 0;
  }

  /** Index (time / bar length) of the bar being filled, or −1 before the first trade. */
  get openBarIdx(): number {
    return this.barOpen ? this.barIdx : -1;
  }

  /** Volume in the incomplete bucket (reported, never used in VPIN). */
  get partialVolume(): number {
    return this.filler.fill;
  }

  /** Number of VPIN values produced so far. */
  get history(): number {
    return this.histLen;
  }

  /** Enough VPIN values for the CDF (and so `toxic`) to mean something. */
  get cdfReady(): boolean {
    return this.histLen >= this.minHistory;
  }

  get phase(): 'warming-up' | 'building-history' | 'live' {
    return this.histLen === 0 ? 'warming-up' : this.histLen < this.minHistory ? 'building-history' : 'live';
  }

  /** The running state as plain JSON (see VpinState); allocates, so call it on a timer, not per trade. */
  state(): VpinState {
    const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
    const W = this.sigmaWindow;
    const dp: number[] = [];
    for (let k = 0; k < this.dpCount; k++) dp.push(this.dpRing[(this.dpHead + k) % W]!);
    const imbalances: number[] = [];
    const start = this.imbCount < this.n ? 0 : this.imbHead;
    for (let k = 0; k < this.imbCount; k++) imbalances.push(this.imbRing[(start + k) % this.n]!);
    return {
      version: 1, V: this.V, n: this.n, barMs: this.barMs, sigmaWindow: W,
      value: this.value, cdf: this.cdf, toxic: this.toxic, lastSigma: fin(this.lastSigma), lastPBuy: fin(this.lastPBuy),
      trades: this.trades, ignoredTrades: this.ignoredTrades, oversizedTrades: this.oversizedTrades, lateTrades: this.lateTrades,
      barsClosed: this.barsClosed, bucketsClosed: this.bucketsClosed, skippedBuckets: this.skippedBuckets,
      bar: this.barOpen ? { idx: this.barIdx, price: this.barPrice, volume: this.barVolume } : null,
      prevPrice: fin(this.prevPrice),
      dp,
      bucket: { fill: this.filler.fill, buy: this.filler.buy, sell: this.filler.sell },
      imbalances,
      history: Array.from(this.hist.subarray(0, this.histLen)),
    };
  }

  /**
   * Carries on from a saved state. Throws RangeError (and changes nothing) when the state is not one
   * this instance could have written: another bucket volume, window, bar length or σ window, or a
   * malformed field. The σ window's running sums are recomputed exactly from its values.
   */
  restore(st: VpinState): void {
    const bad = (why: string): never => {
      throw new RangeError(`VPIN state not restored: ${why}`);
    };
    if (st === null || typeof st !== 'object' || st.version !== 1) bad('unknown version');
    if (st.V !== this.V || st.n !== this.n || st.barMs !== this.barMs || st.sigmaWindow !== this.sigmaWindow) {
      bad(`built with V=${st.V}, n=${st.n}, barMs=${st.barMs}, W=${st.sigmaWindow}; this one has V=${this.V}, n=${this.n}, barMs=${this.barMs}, W=${this.sigmaWindow}`);
    }
    const nums = (xs: unknown, max: number, what: string): number[] => {
      if (!Array.isArray(xs) || xs.length > max || !xs.every((x) => typeof x === 'number' && Number.isFinite(x))) bad(`${what}: expected at most ${max} finite numbers`);
      return xs as number[];
    };
    const count = (x: unknown, what: string): number => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) bad(`${what}: expected a count`);
      return x as number;
    };
    const dp = nums(st.dp, this.sigmaWindow, 'dp');
    const imb = nums(st.imbalances, this.n, 'imbalances');
    const hist = nums(st.history, Number.MAX_SAFE_INTEGER, 'history');
    for (let i = 1; i < hist.length; i++) if (hist[i]! < hist[i - 1]!) bad('history: not sorted');
    const b = st.bucket;
    if (!b || ![b.fill, b.buy, b.sell].every((x) => typeof x === 'number' && x >= 0 && Number.isFinite(x)) || b.fill >= this.V) bad('bucket: expected 0 ≤ fill < V');
    if (st.bar !== null && !(st.bar && Number.isInteger(st.bar.idx) && st.bar.price > 0 && st.bar.volume >= 0 && Number.isFinite(st.bar.volume))) bad('bar');
    const counters = [st.trades, st.ignoredTrades, st.oversizedTrades, st.lateTrades, st.barsClosed, st.bucketsClosed, st.skippedBuckets].map((x, i) => count(x, `counter ${i}`));

    [this.trades, this.ignoredTrades, this.oversizedTrades, this.lateTrades, this.barsClosed, this.bucketsClosed, this.skippedBuckets] = counters as [number, number, number, number, number, number, number];
    this.value = typeof st.value === 'number' ? st.value : null;
    this.cdf = typeof st.cdf === 'number' ? st.cdf : null;
    this.toxic = st.toxic === true && this.value !== null;
    this.lastSigma = st.lastSigma ?? NaN;
    this.lastPBuy = st.lastPBuy ?? NaN;
    this.barOpen = st.bar !== null;
    this.barIdx = st.bar?.idx ?? 0;
    this.barPrice = st.bar?.price ?? 0;
    this.barVolume = st.bar?.volume ?? 0;
    this.prevPrice = st.prevPrice ?? NaN;
    this.dpRing.fill(0);
    this.dpRing.set(dp);
    this.dpHead = 0;
    this.dpCount = dp.length;
    let sum = 0;
    for (const x of dp) sum += x;
    this.dpMean = dp.length ? sum / dp.length : 0;
    let ss = 0;
    for (const x of dp) ss += (x - this.dpMean) * (x - this.dpMean);
    this.dpM2 = ss;
    this.dpSinceExact = 0;
    this.filler.fill = b.fill;
    this.filler.buy = b.buy;
    this.filler.sell = b.sell;
    this.imbRing.fill(0);
    this.imbRing.set(imb);
    this.imbCount = imb.length;
    this.imbHead = 0;
    let cap = this.hist.length;
    while (cap < hist.length) cap *= 2;
    if (cap !== this.hist.length) this.hist = new Float64Array(cap);
    this.hist.set(hist);
    this.histLen = hist.length;
  }

  private closeBar(): number {
    this.barOpen = false;
    const price = this.barPrice;
    const volume = this.barVolume;
    this.barVolume = 0;
    const first = this.prevPrice !== this.prevPrice; // NaN: no previous bar
    const dP = first ? 0 : price - this.prevPrice;
    this.prevPrice = price;
    if (!first) this.pushDp(dP);
    let sigma: number;
    if (this.fixedSigma !== null) sigma = this.fixedSigma;
    else sigma = this.dpCount >= 2 ? Math.sqrt(Math.max(this.dpM2, 0) / (this.dpCount - 1)) : NaN;
    const p = sigma > 0 ? normCdf(dP / sigma) : 0.5;
    this.lastSigma = sigma;
    this.lastPBuy = p;
    this.barsClosed++;
    return this.filler.pour(volume, p, this.pourClose, this.n, this.pourSkip);
  }

  private pushDp(x: number): void {
    const W = this.sigmaWindow;
    const ring = this.dpRing;
    if (this.dpCount < W) {
      ring[(this.dpHead + this.dpCount) % W] = x;
      this.dpCount++;
      const d = x - this.dpMean;
      this.dpMean += d / this.dpCount;
      this.dpM2 += d * (x - this.dpMean);
    } else {
      const old = ring[this.dpHead]!;
      ring[this.dpHead] = x;
      this.dpHead = (this.dpHead + 1) % W;
      const oldMean = this.dpMean;
      this.dpMean = oldMean + (x - old) / W;
      this.dpM2 += (x - old) * (x - this.dpMean + old - oldMean);
    }
    if (++this.dpSinceExact >= W) {
      this.dpSinceExact = 0;
      const m = this.dpCount;
      let s = 0;
      for (let i = 0; i < m; i++) s += ring[i]!;
      const mean = s / m;
      let ss = 0;
      for (let i = 0; i < m; i++) {
        const d = ring[i]! - mean;
        ss += d * d;
      }
      this.dpMean = mean;
      this.dpM2 = ss;
    }
  }

  private closeBucket(buy: number, sell: number): void {
    const index = this.bucketsClosed++;
    this.onBucket?.(index, buy, sell);
    const n = this.n;
    const imb = Math.abs(buy - sell);
    if (this.imbCount < n) {
      this.imbRing[this.imbCount++] = imb;
    } else {
      this.imbRing[this.imbHead] = imb;
      this.imbHead = (this.imbHead + 1) % n;
    }
    if (this.imbCount < n) return;
    // Re-summed in window order at each bucket close (n adds, buckets are rare) rather
    // than kept as a running sum: no drift, and bit-identical to the batch form, which
    // keeps CDF ties identical too.
    let sum = 0;
    for (let k = 0; k < n; k++) sum += this.imbRing[(this.imbHead + k) % n]!;
    const v = sum / (n * this.V);
    this.value = v;
    this.insertHistory(v);
    // Count of values ≤ v: upper bound in the sorted history.
    let lo = 0;
    let hi = this.histLen;
    const h = this.hist;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (h[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    this.cdf = lo / this.histLen;
    this.toxic = this.histLen >= this.minHistory && this.cdf >= this.toxicThreshold;
    this.onVpin?.(index, v, this.cdf, this.toxic);
  }

  private insertHistory(v: number): void {
    if (this.histLen === this.hist.length) {
      const bigger = new Float64Array(this.hist.length * 2);
      bigger.set(this.hist);
      this.hist = bigger;
    }
    const h = this.hist;
    let lo = 0;
    let hi = this.histLen;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (h[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    h.copyWithin(lo + 1, lo, this.histLen);
    h[lo] = v;
    this.histLen++;
  }
}
