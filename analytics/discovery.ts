/**
 * Parameter discovery: what a stretch of recorded market data says about each symbol, for tuning the
 * analytics and risk layers (`alphatrader discover`). Pure: events go in through `DiscoveryCollector`,
 * a `DiscoveryReport` comes out; no I/O, no clocks.
 *
 * Per symbol:
 * - VPIN bucket volume V = average daily volume / bucketsPerDay (50). The daily volume is the observed
 *   volume divided by the number of sessions observed, where each UTC date contributes
 *   min(1, observed time that date / session length (390 min)). A sample shorter than a session is
 *   therefore extrapolated linearly (`extrapolated: true`, with the fraction in the note); intraday
 *   seasonality (heavier open and close) is not corrected for.
 * - Temporal structure: autocorrelation at lags 1…maxLag of log returns (last trade price per interval,
 *   carried forward) and of volume per interval. The interval is 60 s unless the sample is too short for
 *   `minIntervals` of them, in which case the longest of 30, 15, 10, 5, 2, 1 s that gives enough is used.
 *   ±1.96/√n is reported as the white-noise band.
 * - Market-maker profile from the Level 2 `marketMaker` field, time-weighted in event time: each venue's
 *   share of the book's rows, its share of top-of-book time (row 0 of either side), its average row size.
 * - Volatility regime: annualised realised volatility over a rolling window of `volWindow` returns; the
 *   latest value's percentile (mid-rank) among every window in the sample, labelled low (≤ 0.2), high
 *   (≥ 0.8) or normal; no label for a price that never moved.
 * Across symbols: the Pearson correlation matrix of the interval log returns (pairs where both exist).
 *
 * Observation time: consecutive events (any symbol) less than `maxGapMs` apart are one observed stretch;
 * longer gaps (a night, a disconnection) count neither toward observed time nor as a return, and the
 * market-maker clock does not run across them.
 *
 * Bad input never throws: non-finite timestamps, bad prices or sizes, invalid depth operations and
 * unknown symbol ids are counted and skipped. A trade stamped before its symbol's current second is
 * counted in that second (`lateTrades`), as the live VPIN does with late trades.
 */

import { OrderBook, OP_DELETE, OP_INSERT, OP_UPDATE } from './order-book.js';

export interface DiscoveryOptions {
  /** VPIN buckets per day (conventions: 50). */
  bucketsPerDay?: number;
  /** Regular session length in minutes (NYSE: 390). */
  sessionMinutes?: number;
  /** Longer gaps between events end an observed stretch (default 60 000). */
  maxGapMs?: number;
  /** Fixed return interval in whole seconds; default: chosen from `intervalCandidates`. */
  intervalSeconds?: number;
  /** Longest first (default 60, 30, 15, 10, 5, 2, 1). */
  intervalCandidates?: readonly number[];
  /** The chosen interval must give at least this many intervals (default 100), else the shortest candidate. */
  minIntervals?: number;
  /** Autocorrelation lags 1…maxLag (default 10). */
  maxLag?: number;
  /** Returns per realised-volatility window (default 30). */
  volWindow?: number;
  /** Percentile bands for the regime label (default 0.2 and 0.8). */
  regimeLow?: number;
  regimeHigh?: number;
  /** Fewest paired returns for a correlation (default 20); fewer → null. */
  minCorrelationObs?: number;
  /** Rows per side of each symbol's Level 2 book (the engine's `numRows`; default 20). */
  numRows?: number | ((symbol: string) => number);
}

export type RegimeLabel = 'low' | 'normal' | 'high';

export interface VenueProfile {
  /** The `marketMaker` string as sent ('' when the venue sent none). */
  venue: string;
  /** Time-weighted share of all book rows (both sides). */
  rowShare: number;
  /** Share of top-of-book time: time at row 0 of either side / total time with a row 0. */
  topShare: number;
  /** Time-weighted average size of the venue's rows; null if it never held a row over time. */
  avgSize: number | null;
  /** Depth operations (insert/update) that placed a row for this venue. */
  quotes: number;
}

export interface SymbolDiscovery {
  symbol: string;
  trades: number;
  volume: number;
  vpin: {
    /** Integer V for `analytics.vpin.bucketVolume`; null without volume. */
    bucketVolume: number | null;
    bucketsPerDay: number;
    dailyVolumeEstimate: number | null;
    /** Sessions observed (1 = a whole session; 0.1 = a tenth of one). */
    sessionsObserved: number;
    extrapolated: boolean;
    note: string;
  };
  temporal: {
    intervalSeconds: number;
    intervals: number;
    returns: { n: number; acf: (number | null)[] };
    volume: { n: number; acf: (number | null)[] };
    /** 1.96/√n for the returns (white noise lies inside ±band 95 % of the time). */
    band: number | null;
  };
  marketMakers: { observedMs: number; venues: VenueProfile[] } | null;
  volatility: {
    intervalSeconds: number;
    window: number | null;
    /** Latest rolling realised volatility, annualised (252 sessions). */
    annualised: number | null;
    medianAnnualised: number | null;
    /** Mid-rank of the latest among the sample's rolling values: (#below + #equal / 2) / #values. */
    percentile: number | null;
    label: RegimeLabel | null;
    history: number;
  };
  ignored: { trades: number; lateTrades: number; depthOps: number };
}

export interface CorrelationMatrix {
  symbols: string[];
  /** matrix[i][j]: correlation of symbol i's and j's interval log returns; null with too few pairs. */
  matrix: (number | null)[][];
  /** Paired returns behind each entry. */
  observations: number[][];
  intervalSeconds: number;
}

export interface DiscoveryReport {
  symbols: string[];
  span: {
    fromMs: number | null;
    toMs: number | null;
    observedMs: number;
    /** Observed stretches (split by gaps longer than maxGapMs). */
    stretches: number;
    /** Distinct UTC dates with observed time. */
    days: number;
    sessionsObserved: number;
  };
  intervalSeconds: number;
  intervalAuto: boolean;
  events: { trades: number; depth: number; quotes: number; resets: number; badTimestamps: number; unknownSymbol: number };
  perSymbol: Record<string, SymbolDiscovery>;
  correlation: CorrelationMatrix;
}

const MS_PER_DAY = 86_400_000;
const DEFAULT_CANDIDATES = [60, 30, 15, 10, 5, 2, 1] as const;
const TRADING_DAYS = 252;

/** Growable Float64 column (amortised O(1) push, no per-element allocation). */
class Column {
  data = new Float64Array(256);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = x;
  }
}

/** Time-weighted venue state of one symbol's book; venues are indices into the collector's venue list. */
class VenueClock {
  rows = new Float64Array(16);
  size = new Float64Array(16);
  rowTime = new Float64Array(16);
  sizeTime = new Float64Array(16);
  topTime = new Float64Array(16);
  quotes = new Float64Array(16);
  topOwner = [-1, -1];
  lastMs = NaN;
  observedMs = 0;
  totalTopTime = 0;

  ensure(v: number): void {
    if (v < this.rows.length) return;
    let n = this.rows.length;
    while (n <= v) n *= 2;
    const grow = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.rows = grow(this.rows);
    this.size = grow(this.size);
    this.rowTime = grow(this.rowTime);
    this.sizeTime = grow(this.sizeTime);
    this.topTime = grow(this.topTime);
    this.quotes = grow(this.quotes);
  }

  /** Runs the clock to `ts`: the state since the last event held for that long (unless it was a gap). */
  advance(ts: number, venues: number, maxGapMs: number): void {
    const last = this.lastMs;
    if (last === last && ts > last) {
      const dt = ts - last;
      if (dt <= maxGapMs) {
        const nV = Math.min(venues, this.rows.length);
        for (let v = 0; v < nV; v++) {
          this.rowTime[v]! += dt * this.rows[v]!;
          this.sizeTime[v]! += dt * this.size[v]!;
        }
        for (let s = 0; s < 2; s++) {
          const o = this.topOwner[s]!;
          if (o >= 0) {
            this.topTime[o]! += dt;
            this.totalTopTime += dt;
          }
        }
        this.observedMs += dt;
      }
    }
    if (!(ts <= last)) this.lastMs = ts;
  }

  add(v: number, size: number, sign: number): void {
    this.rows[v]! += sign;
    this.size[v]! += sign * size;
  }
}

class SymbolState {
  trades = 0;
  volume = 0;
  ignoredTrades = 0;
  lateTrades = 0;
  // One bin per second with trades: second index, last price, volume.
  readonly binSec = new Column();
  readonly binPrice = new Column();
  readonly binVol = new Column();
  book: OrderBook | null = null;
  readonly venues = new VenueClock();
  depthOps = 0;
  ignoredDepth = 0;
  constructor(readonly symbol: string, readonly numRows: number) {}
}

/**
 * Feeds events in (the same positional shape as the engine's MarketSink) and produces the report.
 * Symbol ids index the `symbols` array given to the constructor (a recording's header order).
 */
export class DiscoveryCollector {
  private readonly opts: Required<Omit<DiscoveryOptions, 'intervalSeconds' | 'numRows'>> & { intervalSeconds: number | undefined };
  private readonly syms: SymbolState[];
  private readonly venueIds = new Map<string, number>();
  private readonly venueNames: string[] = [];
  // Observation stretches over all symbols.
  private readonly stretchStart = new Column();
  private readonly stretchEnd = new Column();
  private firstMs = NaN;
  private lastMs = NaN;
  private readonly observedByDay = new Map<number, number>();
  private readonly counts = { trades: 0, depth: 0, quotes: 0, resets: 0, badTimestamps: 0, unknownSymbol: 0 };

  constructor(readonly symbols: readonly string[], options: DiscoveryOptions = {}) {
    const o = {
      bucketsPerDay: options.bucketsPerDay ?? 50,
      sessionMinutes: options.sessionMinutes ?? 390,
      maxGapMs: options.maxGapMs ?? 60_000,
      intervalSeconds: options.intervalSeconds,
      intervalCandidates: options.intervalCandidates ?? DEFAULT_CANDIDATES,
      minIntervals: options.minIntervals ?? 100,
      maxLag: options.maxLag ?? 10,
      volWindow: options.volWindow ?? 30,
      regimeLow: options.regimeLow ?? 0.2,
      regimeHigh: options.regimeHigh ?? 0.8,
      minCorrelationObs: options.minCorrelationObs ?? 20,
    };
    const posInt = (name: string, x: number) => {
      if (!Number.isInteger(x) || x < 1) throw new RangeError(`${name} must be a positive integer, got ${x}`);
    };
    posInt('bucketsPerDay', o.bucketsPerDay);
    posInt('maxLag', o.maxLag);
    posInt('volWindow', o.volWindow);
    posInt('minIntervals', o.minIntervals);
    posInt('minCorrelationObs', o.minCorrelationObs);
    if (!(o.sessionMinutes > 0)) throw new RangeError(`sessionMinutes must be positive, got ${o.sessionMinutes}`);
    if (!(o.maxGapMs > 0)) throw new RangeError(`maxGapMs must be positive, got ${o.maxGapMs}`);
    if (o.intervalSeconds !== undefined) posInt('intervalSeconds', o.intervalSeconds);
    if (o.intervalCandidates.length === 0) throw new RangeError('intervalCandidates must not be empty');
    for (const c of o.intervalCandidates) posInt('intervalCandidates[]', c);
    if (!(o.regimeLow >= 0 && o.regimeLow < o.regimeHigh && o.regimeHigh <= 1)) {
      throw new RangeError(`regime bands must satisfy 0 ≤ low < high ≤ 1, got ${o.regimeLow}, ${o.regimeHigh}`);
    }
    this.opts = o;
    const rows = options.numRows ?? 20;
    this.syms = symbols.map((s) => {
      const n = typeof rows === 'function' ? rows(s) : rows;
      posInt(`numRows(${s})`, n);
      return new SymbolState(s, n);
    });
  }

  /** Level 2 depth operation (IB semantics: operation 0 insert, 1 update, 2 delete; side 0 ask, 1 bid). */
  depth(symbolId: number, tsMs: number, position: number, operation: number, side: number, price: number, size: number, marketMaker: string): void {
    const s = this.symbolAt(symbolId);
    if (!s || !this.touch(tsMs)) return;
    this.counts.depth++;
    const book = (s.book ??= new OrderBook(s.numRows));
    const vc = s.venues;
    vc.advance(tsMs, this.venueNames.length, this.opts.maxGapMs);
    // What the operation will remove, read before it is applied.
    let goneVenue = -1;
    let goneSize = 0;
    const len = side === 0 || side === 1 ? book.length(side) : 0;
    if ((operation === OP_UPDATE || operation === OP_DELETE) && Number.isInteger(position) && position >= 0 && position < len) {
      goneVenue = this.venue(book.marketMaker(side, position), vc);
      goneSize = book.size(side, position);
    } else if (operation === OP_INSERT && len === s.numRows && Number.isInteger(position) && position >= 0 && position < s.numRows) {
      goneVenue = this.venue(book.marketMaker(side, s.numRows - 1), vc); // pushed off the bottom
      goneSize = book.size(side, s.numRows - 1);
    }
    if (book.apply(position, operation, side, price, size, marketMaker) !== null) {
      s.ignoredDepth++;
      return;
    }
    s.depthOps++;
    if (goneVenue >= 0) vc.add(goneVenue, goneSize, -1);
    // An insert at position numRows of a full side is itself truncated: nothing is added.
    if (operation !== OP_DELETE && !(operation === OP_INSERT && len === s.numRows && position >= s.numRows)) {
      const v = this.venue(marketMaker, vc);
      vc.add(v, size, 1);
      vc.quotes[v]!++;
    }
    vc.topOwner[side] = book.length(side) > 0 ? this.venue(book.marketMaker(side, 0), vc) : -1;
  }

  trade(symbolId: number, tsMs: number, price: number, size: number): void {
    const s = this.symbolAt(symbolId);
    if (!s || !this.touch(tsMs)) return;
    this.counts.trades++;
    if (!(Number.isFinite(price) && price > 0 && Number.isFinite(size) && size >= 0)) {
      s.ignoredTrades++;
      return;
    }
    s.trades++;
    s.volume += size;
    const sec = Math.floor(tsMs / 1000);
    const n = s.binSec.length;
    const lastSec = n > 0 ? s.binSec.data[n - 1]! : -Infinity;
    if (sec > lastSec) {
      s.binSec.push(sec);
      s.binPrice.push(price);
      s.binVol.push(size);
      return;
    }
    if (sec < lastSec) s.lateTrades++;
    s.binPrice.data[n - 1] = price;
    s.binVol.data[n - 1]! += size;
  }

  /** A top-of-book quote: only marks the time as observed. */
  quote(symbolId: number, tsMs: number): void {
    if (!this.symbolAt(symbolId) || !this.touch(tsMs)) return;
    this.counts.quotes++;
  }

  /** The venue voided the book (TWS error 317); without a time, at the latest event's time. */
  reset(symbolId: number, tsMs?: number): void {
    const s = this.symbolAt(symbolId);
    if (!s) return;
    const ts = tsMs ?? this.lastMs;
    if (ts === ts && !this.touch(ts)) return;
    this.counts.resets++;
    const vc = s.venues;
    if (ts === ts) vc.advance(ts, this.venueNames.length, this.opts.maxGapMs);
    s.book?.clear();
    vc.rows.fill(0);
    vc.size.fill(0);
    vc.topOwner[0] = vc.topOwner[1] = -1;
  }

  /** Any other event (bars, connection changes): observed time only. */
  mark(tsMs: number): void {
    this.touch(tsMs);
  }

  report(): DiscoveryReport {
    const o = this.opts;
    const sessionMs = o.sessionMinutes * 60_000;
    let sessions = 0;
    let partialDay = false;
    let observedMs = 0;
    for (const ms of this.observedByDay.values()) {
      observedMs += ms;
      sessions += Math.min(1, ms / sessionMs);
      if (ms < sessionMs) partialDay = true;
    }
    const nStretch = this.stretchStart.length;
    const auto = o.intervalSeconds === undefined;
    const I = o.intervalSeconds ?? this.chooseInterval();
    const grid = this.grid(I);
    const perSymbol: Record<string, SymbolDiscovery> = {};
    const returns: Float64Array[] = [];
    for (const s of this.syms) {
      // Close the book clocks at the end of observation.
      if (this.lastMs === this.lastMs) s.venues.advance(this.lastMs, this.venueNames.length, o.maxGapMs);
      const series = this.series(s, grid, I);
      returns.push(series.ret);
      perSymbol[s.symbol] = {
        symbol: s.symbol,
        trades: s.trades,
        volume: s.volume,
        vpin: this.vpinPart(s, sessions, partialDay, observedMs),
        temporal: {
          intervalSeconds: I,
          intervals: grid.length,
          returns: { n: countFinite(series.ret), acf: autocorrelation(series.ret, grid.stretch, o.maxLag) },
          volume: { n: grid.length, acf: autocorrelation(series.vol, grid.stretch, o.maxLag) },
          band: countFinite(series.ret) > 0 ? 1.96 / Math.sqrt(countFinite(series.ret)) : null,
        },
        marketMakers: this.venuePart(s),
        volatility: volatilityRegime(series.ret, I, { window: o.volWindow, low: o.regimeLow, high: o.regimeHigh, sessionMs }),
        ignored: { trades: s.ignoredTrades, lateTrades: s.lateTrades, depthOps: s.ignoredDepth },
      };
    }
    const m = returns.length;
    const matrix: (number | null)[][] = [];
    const observations: number[][] = [];
    for (let i = 0; i < m; i++) {
      matrix.push(new Array<number | null>(m).fill(null));
      observations.push(new Array<number>(m).fill(0));
    }
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) {
        const c = pearson(returns[i]!, returns[j]!);
        const r = c.n >= o.minCorrelationObs ? c.r : null;
        matrix[i]![j] = matrix[j]![i] = i === j && r !== null ? 1 : r;
        observations[i]![j] = observations[j]![i] = c.n;
      }
    }
    return {
      symbols: [...this.symbols],
      span: {
        fromMs: this.firstMs === this.firstMs ? this.firstMs : null,
        toMs: this.lastMs === this.lastMs ? this.lastMs : null,
        observedMs,
        stretches: nStretch,
        days: this.observedByDay.size,
        sessionsObserved: sessions,
      },
      intervalSeconds: I,
      intervalAuto: auto,
      events: { ...this.counts },
      perSymbol,
      correlation: { symbols: [...this.symbols], matrix, observations, intervalSeconds: I },
    };
  }

  private symbolAt(id: number): SymbolState | undefined {
    const s = this.syms[id];
    if (!s) this.counts.unknownSymbol++;
    return s;
  }

  /** Records observed time; false (and counted) for a timestamp that is not a finite number. */
  private touch(ts: number): boolean {
    if (!Number.isFinite(ts)) {
      this.counts.badTimestamps++;
      return false;
    }
    const last = this.lastMs;
    if (last !== last) {
      this.firstMs = this.lastMs = ts;
      this.stretchStart.push(ts);
      this.stretchEnd.push(ts);
      return true;
    }
    if (ts <= last) return true; // out of order: inside time already observed
    const dt = ts - last;
    if (dt > this.opts.maxGapMs) {
      this.stretchStart.push(ts);
      this.stretchEnd.push(ts);
    } else {
      const day = Math.floor(ts / MS_PER_DAY);
      this.observedByDay.set(day, (this.observedByDay.get(day) ?? 0) + dt);
      this.stretchEnd.data[this.stretchEnd.length - 1] = ts;
    }
    this.lastMs = ts;
    return true;
  }

  private venue(name: string, vc: VenueClock): number {
    let v = this.venueIds.get(name);
    if (v === undefined) {
      v = this.venueNames.length;
      this.venueIds.set(name, v);
      this.venueNames.push(name);
    }
    vc.ensure(v);
    return v;
  }

  private intervalsAt(I: number): number {
    const ms = I * 1000;
    let n = 0;
    for (let k = 0; k < this.stretchStart.length; k++) {
      n += Math.floor(this.stretchEnd.data[k]! / ms) - Math.floor(this.stretchStart.data[k]! / ms) + 1;
    }
    return n;
  }

  private chooseInterval(): number {
    const c = [...this.opts.intervalCandidates].sort((a, b) => b - a);
    for (const I of c) if (this.intervalsAt(I) >= this.opts.minIntervals) return I;
    return c[c.length - 1]!;
  }

  /** Interval indices (floor(t / I)) covering every stretch, and each one's stretch number. */
  private grid(I: number): { k: Float64Array; stretch: Int32Array; length: number } {
    const n = this.stretchStart.length ? this.intervalsAt(I) : 0;
    const k = new Float64Array(n);
    const stretch = new Int32Array(n);
    const ms = I * 1000;
    let g = 0;
    for (let j = 0; j < this.stretchStart.length; j++) {
      const a = Math.floor(this.stretchStart.data[j]! / ms);
      const b = Math.floor(this.stretchEnd.data[j]! / ms);
      for (let x = a; x <= b; x++) {
        k[g] = x;
        stretch[g++] = j;
      }
    }
    return { k, stretch, length: n };
  }

  /** Last price (carried forward within a stretch), log return and volume per grid interval. */
  private series(s: SymbolState, grid: { k: Float64Array; stretch: Int32Array; length: number }, I: number): { ret: Float64Array; vol: Float64Array } {
    const n = grid.length;
    const price = new Float64Array(n).fill(NaN);
    const vol = new Float64Array(n);
    let g = 0;
    for (let b = 0; b < s.binSec.length; b++) {
      const kb = Math.floor(s.binSec.data[b]! / I);
      while (g < n && grid.k[g]! < kb) g++;
      if (g === n) break;
      if (grid.k[g] !== kb) continue; // a late trade's second outside every stretch
      price[g] = s.binPrice.data[b]!;
      vol[g]! += s.binVol.data[b]!;
    }
    const ret = new Float64Array(n).fill(NaN);
    for (let i = 1; i < n; i++) {
      if (grid.stretch[i] !== grid.stretch[i - 1]) continue;
      if (price[i] !== price[i]) price[i] = price[i - 1]!;
      const p0 = price[i - 1]!;
      const p1 = price[i]!;
      if (p0 > 0 && p1 > 0) ret[i] = Math.log(p1 / p0);
    }
    return { ret, vol };
  }

  private vpinPart(s: SymbolState, sessions: number, partialDay: boolean, observedMs: number): SymbolDiscovery['vpin'] {
    const o = this.opts;
    const base = { bucketsPerDay: o.bucketsPerDay, sessionsObserved: sessions, extrapolated: partialDay };
    if (!(s.volume > 0) || !(sessions > 0)) {
      return { ...base, bucketVolume: null, dailyVolumeEstimate: null, note: s.volume > 0 ? 'no observed time' : 'no traded volume in the sample' };
    }
    const daily = s.volume / sessions;
    const minutes = observedMs / 60_000;
    const note = partialDay
      ? `daily volume extrapolated from ${minutes.toFixed(1)} observed minutes = ${sessions.toFixed(4)} of a ${o.sessionMinutes}-minute session; intraday seasonality not corrected`
      : `average over ${sessions} whole session${sessions === 1 ? '' : 's'}`;
    return { ...base, bucketVolume: Math.max(1, Math.floor(daily / o.bucketsPerDay)), dailyVolumeEstimate: daily, note };
  }

  private venuePart(s: SymbolState): SymbolDiscovery['marketMakers'] {
    const vc = s.venues;
    const nV = Math.min(this.venueNames.length, vc.rows.length);
    let rowTimeTotal = 0;
    for (let v = 0; v < nV; v++) rowTimeTotal += vc.rowTime[v]!;
    if (!(rowTimeTotal > 0)) return null;
    const venues: VenueProfile[] = [];
    for (let v = 0; v < nV; v++) {
      if (vc.rowTime[v] === 0 && vc.quotes[v] === 0) continue;
      venues.push({
        venue: this.venueNames[v]!,
        rowShare: vc.rowTime[v]! / rowTimeTotal,
        topShare: vc.totalTopTime > 0 ? vc.topTime[v]! / vc.totalTopTime : 0,
        avgSize: vc.rowTime[v]! > 0 ? vc.sizeTime[v]! / vc.rowTime[v]! : null,
        quotes: vc.quotes[v]!,
      });
    }
    venues.sort((a, b) => b.rowShare - a.rowShare || (a.venue < b.venue ? -1 : 1));
    return { observedMs: vc.observedMs, venues };
  }
}

function countFinite(x: Float64Array): number {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === x[i]) n++;
  return n;
}

/**
 * Sample autocorrelation at lags 1…maxLag of a series with gaps (NaN) split into stretches:
 * r_k = Σ (x_t − x̄)(x_{t+k} − x̄) / Σ (x_t − x̄)², pairs only within one stretch and both present,
 * mean and denominator over every present value (the usual biased estimator). null: no pairs or no variance.
 */
export function autocorrelation(x: ArrayLike<number>, stretch: ArrayLike<number> | null, maxLag: number): (number | null)[] {
  const n = x.length;
  let sum = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (v === v) {
      sum += v;
      m++;
    }
  }
  const out: (number | null)[] = [];
  if (m === 0) return new Array<number | null>(maxLag).fill(null);
  const mean = sum / m;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (v === v) den += (v - mean) * (v - mean);
  }
  for (let k = 1; k <= maxLag; k++) {
    let num = 0;
    let pairs = 0;
    for (let i = 0; i + k < n; i++) {
      const a = x[i]!;
      const b = x[i + k]!;
      if (a !== a || b !== b) continue;
      if (stretch && stretch[i] !== stretch[i + k]) continue;
      num += (a - mean) * (b - mean);
      pairs++;
    }
    out.push(pairs > 0 && den > 0 ? num / den : null);
  }
  return out;
}

/** Pearson correlation over the indices where both series are present. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): { r: number | null; n: number } {
  const len = Math.min(x.length, y.length);
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < len; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (a !== a || b !== b) continue;
    sx += a;
    sy += b;
    n++;
  }
  if (n < 2) return { r: null, n };
  const mx = sx / n;
  const my = sy / n;
  let cxy = 0;
  let cxx = 0;
  let cyy = 0;
  for (let i = 0; i < len; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (a !== a || b !== b) continue;
    cxy += (a - mx) * (b - my);
    cxx += (a - mx) * (a - mx);
    cyy += (b - my) * (b - my);
  }
  return { r: cxx > 0 && cyy > 0 ? Math.max(-1, Math.min(1, cxy / Math.sqrt(cxx * cyy))) : null, n };
}

/**
 * Rolling realised volatility over the present returns (in order), annualised with
 * 252 × session / interval intervals a year, and where the latest window stands among all of them.
 * The window shrinks to a quarter of the returns when the sample is short; below 5 returns a window,
 * or fewer than 10 windows, there is no regime.
 */
export function volatilityRegime(
  ret: ArrayLike<number>,
  intervalSeconds: number,
  o: { window: number; low: number; high: number; sessionMs: number },
): SymbolDiscovery['volatility'] {
  const r: number[] = [];
  for (let i = 0; i < ret.length; i++) if (ret[i] === ret[i]) r.push(ret[i]!);
  const W = Math.min(o.window, Math.floor(r.length / 4));
  const empty = { intervalSeconds, window: null, annualised: null, medianAnnualised: null, percentile: null, label: null, history: 0 };
  if (W < 5) return empty;
  const perYear = (TRADING_DAYS * o.sessionMs) / (intervalSeconds * 1000);
  const hist = new Float64Array(r.length - W + 1);
  let ss = 0;
  for (let i = 0; i < W; i++) ss += r[i]! * r[i]!;
  for (let j = 0; ; j++) {
    // The running sum of squares can round to a hair below 0 on a flat stretch.
    hist[j] = Math.sqrt((Math.max(ss, 0) / W) * perYear);
    const next = j + W;
    if (next >= r.length) break;
    ss += r[next]! * r[next]! - r[j]! * r[j]!;
  }
  const M = hist.length;
  if (M < 10) return { ...empty, window: W, annualised: hist[M - 1]!, history: M };
  const latest = hist[M - 1]!;
  // Mid-rank, so ties (a flat stretch) sit in the middle rather than at the top.
  let below = 0;
  let equal = 0;
  for (let j = 0; j < M; j++) {
    if (hist[j]! < latest) below++;
    else if (hist[j] === latest) equal++;
  }
  const percentile = (below + 0.5 * equal) / M;
  const sorted = Float64Array.from(hist).sort();
  const median = M % 2 ? sorted[(M - 1) / 2]! : (sorted[M / 2 - 1]! + sorted[M / 2]!) / 2;
  // A series that never moved has no regime to speak of.
  const label: RegimeLabel | null = sorted[M - 1] === 0 ? null : percentile <= o.low ? 'low' : percentile >= o.high ? 'high' : 'normal';
  return { intervalSeconds, window: W, annualised: latest, medianAnnualised: median, percentile, label, history: M };
}
