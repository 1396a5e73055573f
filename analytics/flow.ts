/**
 * Order-flow signals from trades and the depth book. Every class here is pure: time
 * comes in as explicit timestamps (ms), nothing reads a clock, and the per-event paths
 * do not allocate (results are written into pre-allocated state objects).
 *
 * - Book imbalance and microprice: `OrderBook.metrics()` gives top-5 imbalance and the
 *   microprice; `depthImbalance` generalises the imbalance to any number of rows.
 * - `AggressorClassifier`: signs trades against the prevailing quote (tick rule inside
 *   the spread).
 * - `SweepDetector`: a run of same-side aggressive trades that walks through ≥ K price
 *   levels within a short window.
 * - `IcebergDetector`: a top-of-book level that keeps refilling at one price after
 *   being hit (displayed size consumed by trades, then replenished).
 * - `UnusualVolume`: per-interval volume against an EWMA baseline of mean and variance,
 *   as a z-score.
 */

import { OrderBook, SIDE_ASK, SIDE_BID } from './order-book.js';

/**
 * (Σ bid size − Σ ask size)/(Σ bid size + Σ ask size) over up to `levels` rows a side.
 * +1/−1 when one side is empty, null when both are (or both sum to 0).
 */
export function depthImbalance(book: OrderBook, levels: number): number | null {
  const nb = Math.min(levels, book.length(SIDE_BID));
  const na = Math.min(levels, book.length(SIDE_ASK));
  if (nb === 0 && na === 0) return null;
  if (na === 0) return 1;
  if (nb === 0) return -1;
  let b = 0;
  let a = 0;
  for (let i = 0; i < nb; i++) b += book.size(SIDE_BID, i);
  for (let i = 0; i < na; i++) a += book.size(SIDE_ASK, i);
  const t = a + b;
  return t > 0 ? (b - a) / t : null;
}

export const BUY = 1;
export const SELL = -1;

/**
 * Aggressor side of a trade: buy at or above the ask, sell at or below the bid, else by
 * the tick rule against the previous trade (an unchanged price keeps the previous sign).
 * 0 when nothing decides it (first trade inside the spread).
 */
export class AggressorClassifier {
  private lastPrice = NaN;
  private lastSign = 0;

  classify(price: number, bid: number | null, ask: number | null): number {
    let sign: number;
    if (ask !== null && price >= ask) sign = BUY;
    else if (bid !== null && price <= bid) sign = SELL;
    else if (price > this.lastPrice) sign = BUY;
    else if (price < this.lastPrice) sign = SELL;
    else sign = this.lastSign;
    this.lastPrice = price;
    this.lastSign = sign;
    return sign;
  }
}

export interface SweepEvent {
  side: number; // BUY or SELL
  startMs: number;
  endMs: number;
  levels: number;
  volume: number;
  trades: number;
  startPrice: number;
  endPrice: number;
}

export interface SweepOptions {
  /** Distinct price levels a run must reach to count as a sweep (default 3). */
  minLevels?: number;
  /** Longest run, from its first trade, in ms (default 1000). */
  windowMs?: number;
}

/**
 * Sweeps: consecutive trades with the same aggressor sign, each within `windowMs` of
 * the run's first trade, whose prices never move back against the aggressor (a buy run
 * keeps trading at the same or higher prices). The run's level count is the number of
 * distinct prices it traded at. The first trade that brings a run to `minLevels`
 * reports the sweep (once per run); later trades extend `last` in place. An opposite
 * sign, a price moving back, a neutral (0) sign or the window running out starts anew.
 */
export class SweepDetector {
  readonly minLevels: number;
  readonly windowMs: number;
  /** The most recent sweep (mutated in place while its run continues). */
  readonly last: SweepEvent = { side: 0, startMs: 0, endMs: 0, levels: 0, volume: 0, trades: 0, startPrice: 0, endPrice: 0 };
  sweeps = 0;

  private side = 0;
  private startMs = 0;
  private startPrice = 0;
  private lastPrice = 0;
  private levels = 0;
  private volume = 0;
  private trades = 0;
  private reported = false;

  constructor(opts: SweepOptions = {}) {
    this.minLevels = opts.minLevels ?? 3;
    this.windowMs = opts.windowMs ?? 1000;
    if (!Number.isInteger(this.minLevels) || this.minLevels < 2) throw new RangeError('minLevels must be an integer ≥ 2');
    if (!(this.windowMs > 0)) throw new RangeError('windowMs must be positive');
  }

  /** Feeds one signed trade; returns BUY/SELL when it completes a new sweep, else 0. */
  onTrade(tsMs: number, price: number, size: number, side: number): number {
    const continues =
      side !== 0 &&
      side === this.side &&
      tsMs - this.startMs <= this.windowMs &&
      tsMs >= this.startMs &&
      (side === BUY ? price >= this.lastPrice : price <= this.lastPrice);
    if (!continues) {
      this.side = side;
      this.startMs = tsMs;
      this.startPrice = price;
      this.lastPrice = price;
      this.levels = side === 0 ? 0 : 1;
      this.volume = size;
      this.trades = 1;
      this.reported = false;
      return 0;
    }
    if (price !== this.lastPrice) this.levels++;
    this.lastPrice = price;
    this.volume += size;
    this.trades++;
    if (this.levels < this.minLevels) return 0;
    const ev = this.last;
    ev.side = side;
    ev.startMs = this.startMs;
    ev.endMs = tsMs;
    ev.levels = this.levels;
    ev.volume = this.volume;
    ev.trades = this.trades;
    ev.startPrice = this.startPrice;
    ev.endPrice = price;
    if (this.reported) return 0;
    this.reported = true;
    this.sweeps++;
    return side;
  }
}

export interface IcebergState {
  /** Price of the tracked top level (NaN before the first quote). */
  price: number;
  /** Size currently displayed there. */
  displayed: number;
  /** Refills seen at this price. */
  refills: number;
  /** Volume traded at this price since it became the tracked level. */
  traded: number;
  /** Largest size displayed at this price. */
  maxDisplayed: number;
  /** Volume traded beyond anything ever displayed: traded − maxDisplayed, floored at 0. */
  hiddenEstimate: number;
  /** refills ≥ minRefills. */
  iceberg: boolean;
}

export interface IcebergOptions {
  /** Refills at one price needed to flag an iceberg (default 3). */
  minRefills?: number;
  /** Fraction of the displayed size trades must take to count as a hit (default 0.5). */
  hitFraction?: number;
  /** A refill must come within this many ms of the hit (default 2000). */
  refillWindowMs?: number;
}

/**
 * Icebergs at the top of book, per side. A *hit* is trades at the level's price taking
 * at least `hitFraction` of the displayed size since the last quote; a *refill* is the
 * next quote at the same price, within `refillWindowMs` of the hit, displaying more
 * than was left after the trades (displayed − traded). Moving to a new price starts
 * the count again. Quotes come from the book's row 0 per side (`onQuote`), trades with
 * their price (`onTrade`; a trade at the bid price counts against the bid, at the ask
 * price against the ask).
 */
export class IcebergDetector {
  readonly minRefills: number;
  readonly hitFraction: number;
  readonly refillWindowMs: number;
  readonly ask: IcebergState = newIcebergState();
  readonly bid: IcebergState = newIcebergState();
  detections = 0;

  private readonly tradedSinceQuote = new Float64Array(2);
  private readonly hitMs = new Float64Array(2).fill(NaN);

  constructor(opts: IcebergOptions = {}) {
    this.minRefills = opts.minRefills ?? 3;
    this.hitFraction = opts.hitFraction ?? 0.5;
    this.refillWindowMs = opts.refillWindowMs ?? 2000;
    if (!Number.isInteger(this.minRefills) || this.minRefills < 1) throw new RangeError('minRefills must be a positive integer');
    if (!(this.hitFraction > 0)) throw new RangeError('hitFraction must be positive');
  }

  /**
   * Top-of-book quote for one side (SIDE_ASK / SIDE_BID). Returns true when this quote
   * makes the level an iceberg (first time at this price).
   */
  onQuote(tsMs: number, side: number, price: number, size: number): boolean {
    const s = side === SIDE_ASK ? this.ask : this.bid;
    if (price !== s.price) {
      s.price = price;
      s.displayed = size;
      s.refills = 0;
      s.traded = 0;
      s.maxDisplayed = size;
      s.hiddenEstimate = 0;
      s.iceberg = false;
      this.tradedSinceQuote[side] = 0;
      this.hitMs[side] = NaN;
      return false;
    }
    let detected = false;
    const hit = this.hitMs[side]!;
    if (hit === hit && tsMs - hit <= this.refillWindowMs && size > s.displayed - this.tradedSinceQuote[side]!) {
      s.refills++;
      if (!s.iceberg && s.refills >= this.minRefills) {
        s.iceberg = true;
        detected = true;
        this.detections++;
      }
    }
    this.hitMs[side] = NaN;
    this.tradedSinceQuote[side] = 0;
    s.displayed = size;
    if (size > s.maxDisplayed) s.maxDisplayed = size;
    return detected;
  }

  onTrade(tsMs: number, price: number, size: number): void {
    let side: number;
    if (price === this.bid.price) side = SIDE_BID;
    else if (price === this.ask.price) side = SIDE_ASK;
    else return;
    const s = side === SIDE_ASK ? this.ask : this.bid;
    const t = (this.tradedSinceQuote[side] = this.tradedSinceQuote[side]! + size);
    s.traded += size;
    s.hiddenEstimate = Math.max(0, s.traded - s.maxDisplayed);
    if (t >= this.hitFraction * s.displayed) this.hitMs[side] = tsMs;
  }
}

function newIcebergState(): IcebergState {
  return { price: NaN, displayed: 0, refills: 0, traded: 0, maxDisplayed: 0, hiddenEstimate: 0, iceberg: false };
}

export interface UnusualVolumeOptions {
  /** Interval length in ms, aligned to the epoch (UTC) (default 60 000). */
  intervalMs?: number;
  /** EWMA weight of the newest interval (default 0.05, ≈ 20-interval memory). */
  alpha?: number;
  /** Intervals in the baseline before z-scores are reported (default 20). */
  warmup?: number;
  /** z at or above which an interval is flagged (default 3). */
  threshold?: number;
  /**
   * Empty intervals between two traded ones are fed to the baseline as zeros, up to
   * this many; a longer gap is a session break and is skipped (default 30).
   */
  maxGapIntervals?: number;
}

/**
 * Unusual volume: per-interval volume scored against an exponentially weighted mean and
 * variance of past intervals. Each closed interval is scored against the baseline as it
 * stood before it (so a spike does not dilute its own score), then folded in:
 *   mean' = mean + α·(v − mean),  var' = (1 − α)·(var + α·(v − mean)²).
 * The first interval seeds the mean with variance 0. No time-of-day seasonality.
 */
export class UnusualVolume {
  readonly intervalMs: number;
  readonly alpha: number;
  readonly warmup: number;
  readonly threshold: number;
  readonly maxGapIntervals: number;

  mean = 0;
  variance = 0;
  /** Intervals folded into the baseline. */
  count = 0;
  /** Score of the last closed interval (null during warm-up or with zero variance). */
  lastZ: number | null = null;
  lastVolume = 0;
  lastIntervalStartMs = NaN;
  flagged = false;
  flags = 0;

  private open = false;
  private idx = 0;
  private volume = 0;
  private lastIdx = NaN;

  constructor(opts: UnusualVolumeOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.alpha = opts.alpha ?? 0.05;
    this.warmup = opts.warmup ?? 20;
    this.threshold = opts.threshold ?? 3;
    this.maxGapIntervals = opts.maxGapIntervals ?? 30;
    if (!(this.intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new RangeError('alpha must be in (0, 1]');
  }

  /** Adds a trade; returns true when it closed an interval that was flagged. */
  onTrade(tsMs: number, size: number): boolean {
    const i = Math.floor(tsMs / this.intervalMs);
    let flagged = false;
    if (this.open && i > this.idx) flagged = this.close();
    if (!this.open) this.openAt(i);
    // Late trades (before the open interval) count toward it.
    this.volume += size;
    return flagged;
  }

  /** Clock tick: closes the open interval if `tsMs` is past it; returns true when flagged. */
  advance(tsMs: number): boolean {
    if (!this.open || Math.floor(tsMs / this.intervalMs) <= this.idx) return false;
    return this.close();
  }

  /** z-score of a volume against the current baseline, or null during warm-up / zero variance. */
  score(volume: number): number | null {
    if (this.count < this.warmup || !(this.variance > 0)) return null;
    return (volume - this.mean) / Math.sqrt(this.variance);
  }

  /** Volume so far in the open interval. */
  get openVolume(): number {
    return this.volume;
  }

  private openAt(i: number): void {
    const last = this.lastIdx;
    if (last === last) {
      if (i <= last) i = last + 1; // a trade late for an interval already closed by advance()
      const gap = i - last - 1;
      if (gap <= this.maxGapIntervals) for (let k = 0; k < gap; k++) this.fold(0);
    }
    this.open = true;
    this.idx = i;
  }

  private close(): boolean {
    this.lastIdx = this.idx;
    const v = this.volume;
    this.open = false;
    this.volume = 0;
    const z = this.score(v);
    this.lastZ = z;
    this.lastVolume = v;
    this.lastIntervalStartMs = this.idx * this.intervalMs;
    this.flagged = z !== null && z >= this.threshold;
    if (this.flagged) this.flags++;
    this.fold(v);
    return this.flagged;
  }

  private fold(v: number): void {
    if (this.count === 0) {
      this.mean = v;
      this.variance = 0;
    } else {
      const d = v - this.mean;
      this.mean += this.alpha * d;
      this.variance = (1 - this.alpha) * (this.variance + this.alpha * d * d);
    }
    this.count++;
  }
}
