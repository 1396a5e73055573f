/**
 * Seeded, deterministic simulated equity market producing Interactive-Brokers-style
 * position-indexed depth operations, trades and top-of-book quotes.
 *
 * Per symbol the model keeps a true book of `numRows` rows a side (row 0 = top;
 * several venues may quote the same price, one row each, as in IB smart depth)
 * and evolves it with a Poisson stream of order-flow events around a latent
 * fundamental value (a geometric random walk in ticks, so the book's drift has a
 * realistic volatility instead of a free tick-by-tick walk):
 *   - limit order arrivals placed around the fundamental (which puts them inside the
 *     spread when the book lags it), never marketable (post-only: no locked/crossed book),
 *   - cancels (whole row or a partial size reduction; stale tops are pulled first),
 *   - market orders, more likely on the side the fundamental favours, that take liquidity
 *     from row 0 down, occasionally sweeping several rows,
 *   - replenishment of the bottom rows from deeper (invisible) liquidity.
 * A 2-state Markov regime (calm / volatile) scales the event rate, the fundamental's
 * volatility, sweep probability and placement distance; occasional informed bursts
 * move the fundamental and make the flow one-sided for a few seconds. Every mutation is one IB list operation (insert/update/delete at a
 * position per side) and is emitted exactly as applied, so applying the emitted ops to
 * a plain list book (truncated to numRows) reproduces `snapshot()` at all times.
 *
 * Time is simulated: `advance(toMs)` generates every event with timestamp in
 * (last, toMs] across all symbols in time order. Each symbol has its own RNG stream
 * derived from (seed, symbol index), so its flow does not depend on the other symbols.
 */
import { Rng } from './Rng.js';
import { BookSide } from './BookSide.js';

export interface SymbolSpec {
  symbol: string;
  basePrice: number;
  numRows: number;
  level2: boolean;
  tickSize?: number;
}

/**
 * Receives the model's events. onDepth runs after the model applied the operation (row accessors
 * already show the new book); onTrade runs before the book change it causes (row 0 of the side
 * taken is the row that traded).
 */
export interface MarketListener {
  onDepth(
    symbolIndex: number,
    tsMs: number,
    position: number,
    operation: 0 | 1 | 2,
    side: 0 | 1,
    price: number,
    size: number,
    marketMaker: string,
  ): void;
  /** aggressor 1 = buyer-initiated (lifted the ask), −1 = seller-initiated. */
  onTrade(symbolIndex: number, tsMs: number, price: number, size: number, aggressor: 1 | -1): void;
  /** Emitted when the best bid/ask price or the aggregated size at either best price changes. */
  onQuote(symbolIndex: number, tsMs: number, bidPx: number, askPx: number, bidSz: number, askSz: number): void;
}

export interface MarketModelOptions {
  seed: number;
  symbols: SymbolSpec[];
  startMs: number;
  /** Average order-flow events per second per symbol, regimes included (default 200). */
  eventsPerSecond?: number;
}

/** Venue names used as IB smart-depth market makers. */
export const MARKET_MAKERS: readonly string[] = ['NSDQ', 'ARCA', 'BATS', 'EDGX', 'IEX', 'MEMX', 'NYSE', 'BYX'];

const SIDE_ASK = 0;
const SIDE_BID = 1;

// Regimes: calm (mean 80 s) and volatile (mean 20 s) → stationary shares 0.8 / 0.2.
const CALM_MEAN_S = 80;
const VOLATILE_MEAN_S = 20;
const VOLATILE_RATE_MULT = 3;
const STATIONARY_RATE_FACTOR =
  (CALM_MEAN_S + VOLATILE_MEAN_S * VOLATILE_RATE_MULT) / (CALM_MEAN_S + VOLATILE_MEAN_S);
// Informed bursts: one-sided flow for 2–10 s, on average every 90 s.
const BURST_GAP_MEAN_S = 90;
const BURST_MIN_MS = 2000;
const BURST_SPAN_MS = 8000;
const BURST_RATE_MULT = 1.5;
// Annualised volatility of the fundamental (6.5 h × 252 trading days) and the burst drift.
const CALM_VOL = 0.18;
const VOLATILE_VOL = 0.5;
const MS_PER_TRADING_YEAR = 252 * 6.5 * 3600 * 1000;
/** Stationary annualised volatility of the fundamental (calm 80 %, volatile 20 % of the time). */
export const STATIONARY_VOL = Math.sqrt((CALM_MEAN_S * CALM_VOL ** 2 + VOLATILE_MEAN_S * VOLATILE_VOL ** 2) / (CALM_MEAN_S + VOLATILE_MEAN_S));
export { MS_PER_TRADING_YEAR };
const BURST_DRIFT_PER_MS = 0.0001 / 1000; // 0.01 % of price per second
// Order-flow events per emitted depth op (sweeps and replenishment add ops, hidden adds emit none),
// measured over long runs; the configured rate is meant as depth ops per second.
const DEPTH_OPS_PER_EVENT = 1.3;

class SymbolSim {
  readonly ask: BookSide;
  readonly bid: BookSide;
  readonly rng: Rng;
  readonly tickSize: number;
  /** 1/tickSize when it is an integer (exact decimal prices by division), else 0. */
  private readonly ticksPerUnit: number;
  private readonly calmRatePerMs: number;

  volatile = false;
  burstDir = 0; // +1 buyers, −1 sellers, 0 none
  nextEventMs = 0;
  nextRegimeMs = 0;
  nextBurstMs = 0; // start of the next burst, or its end while one runs
  nextTime = 0;

  lastTradeTicks: number;
  /** Latent fundamental value in ticks (fractional). */
  fundamental: number;
  private lastEventMs: number;

  qBid = NaN;
  qAsk = NaN;
  qBidSz = NaN;
  qAskSz = NaN;

  constructor(
    readonly index: number,
    readonly spec: SymbolSpec,
    seed: number,
    eventsPerSecond: number,
    startMs: number,
  ) {
    if (!spec || typeof spec.symbol !== 'string' || spec.symbol.length === 0) {
      throw new Error(`MarketModel: symbols[${index}].symbol must be a non-empty string`);
    }
    if (!(spec.basePrice > 0) || !Number.isFinite(spec.basePrice)) {
      throw new Error(`MarketModel: symbols[${index}] (${spec.symbol}) basePrice must be > 0`);
    }
    if (!Number.isInteger(spec.numRows) || spec.numRows < 1 || spec.numRows > 255) {
      throw new Error(`MarketModel: symbols[${index}] (${spec.symbol}) numRows must be an integer in 1..255`);
    }
    const tick = spec.tickSize ?? 0.01;
    if (!(tick > 0) || !Number.isFinite(tick)) {
      throw new Error(`MarketModel: symbols[${index}] (${spec.symbol}) tickSize must be > 0`);
    }
    this.tickSize = tick;
    const inv = Math.round(1 / tick);
    this.ticksPerUnit = Math.abs(inv - 1 / tick) < 1e-9 ? inv : 0;
    this.rng = new Rng((seed * 1000003 + index * 7919 + 17) % 4294967296);
    this.ask = new BookSide(spec.numRows);
    this.bid = new BookSide(spec.numRows);
    this.calmRatePerMs = eventsPerSecond / STATIONARY_RATE_FACTOR / DEPTH_OPS_PER_EVENT / 1000;

    const baseTicks = Math.max(2, Math.round(spec.basePrice / tick));
    this.lastTradeTicks = baseTicks;
    this.fundamental = baseTicks;
    this.lastEventMs = startMs;
    this.buildInitialBook(baseTicks);
    this.refreshQuoteCache();

    this.nextRegimeMs = startMs + this.rng.exp(1 / CALM_MEAN_S) * 1000;
    this.nextBurstMs = startMs + this.rng.exp(1 / BURST_GAP_MEAN_S) * 1000;
    this.nextEventMs = startMs + this.rng.exp(this.ratePerMs());
    this.updateNextTime();
  }

  price(ticks: number): number {
    return this.ticksPerUnit > 0 ? ticks / this.ticksPerUnit : Math.round(ticks * this.tickSize * 1e9) / 1e9;
  }

  side(s: number): BookSide {
    return s === SIDE_ASK ? this.ask : this.bid;
  }

  private ratePerMs(): number {
    let r = this.calmRatePerMs;
    if (this.volatile) r *= VOLATILE_RATE_MULT;
    if (this.burstDir !== 0) r *= BURST_RATE_MULT;
    return r;
  }

  private updateNextTime(): void {
    let t = this.nextEventMs;
    if (this.nextRegimeMs < t) t = this.nextRegimeMs;
    if (this.nextBurstMs < t) t = this.nextBurstMs;
    this.nextTime = t;
  }

  private buildInitialBook(baseTicks: number): void {
    const n = this.spec.numRows;
    let a = baseTicks + 1;
    let b = baseTicks - 1;
    for (let i = 0; i < n; i++) {
      this.ask.insert(i, a, this.drawSize() + 100 * this.rng.int(4), this.rng.int(MARKET_MAKERS.length));
      if (b >= 1) this.bid.insert(i, b, this.drawSize() + 100 * this.rng.int(4), this.rng.int(MARKET_MAKERS.length));
      // Same price on another venue now and then, otherwise one tick (rarely two) deeper.
      a += this.rng.next() < 0.25 ? 0 : this.rng.next() < 0.85 ? 1 : 2;
      b -= this.rng.next() < 0.25 ? 0 : this.rng.next() < 0.85 ? 1 : 2;
    }
  }

  /** Processes the earliest of this symbol's timers (regime switch, burst edge, order-flow event). */
  step(l: MarketListener): void {
    const t = this.nextTime;
    if (t === this.nextRegimeMs) {
      this.volatile = !this.volatile;
      this.nextRegimeMs = t + this.rng.exp(1 / (this.volatile ? VOLATILE_MEAN_S : CALM_MEAN_S)) * 1000;
      this.nextEventMs = t + this.rng.exp(this.ratePerMs()); // memoryless: redraw at the new rate
    } else if (t === this.nextBurstMs) {
      if (this.burstDir === 0) {
        this.burstDir = this.rng.next() < 0.5 ? 1 : -1;
        this.nextBurstMs = t + BURST_MIN_MS + this.rng.next() * BURST_SPAN_MS;
      } else {
        this.burstDir = 0;
        this.nextBurstMs = t + this.rng.exp(1 / BURST_GAP_MEAN_S) * 1000;
      }
      this.nextEventMs = t + this.rng.exp(this.ratePerMs());
    } else {
      this.evolveFundamental(t);
      this.orderFlowEvent(t, l);
      this.nextEventMs = t + this.rng.exp(this.ratePerMs());
    }
    this.updateNextTime();
  }

  private evolveFundamental(t: number): void {
    const dt = t - this.lastEventMs;
    this.lastEventMs = t;
    if (dt <= 0) return;
    const vol = this.volatile ? VOLATILE_VOL : CALM_VOL;
    const sigma = vol * Math.sqrt(dt / MS_PER_TRADING_YEAR);
    let f = this.fundamental * Math.exp(sigma * this.rng.normal() - 0.5 * sigma * sigma);
    if (this.burstDir !== 0) f *= 1 + this.burstDir * BURST_DRIFT_PER_MS * dt;
    this.fundamental = f < 1 ? 1 : f;
  }

  /** Best passive prices around the fundamental: bid ≤ f ≤ ask with at least one tick between. */
  private bidRef(): number {
    return Math.ceil(this.fundamental) - 1;
  }
  private askRef(): number {
    return Math.floor(this.fundamental) + 1;
  }

  private orderFlowEvent(t: number, l: MarketListener): void {
    const rng = this.rng;
    const burst = this.burstDir;
    const pMarket = burst !== 0 ? 0.3 : this.volatile ? 0.14 : 0.1;
    const pAdd = 0.48;
    const u = rng.next();
    if (u < pMarket) {
      // Noise traders plus value traders: buying is likelier when the fundamental is above the mid.
      const mid = 0.5 * (this.ask.ticks[0] + this.bid.ticks[0]);
      const pBuy = this.ask.length > 0 && this.bid.length > 0 ? 1 / (1 + Math.exp((mid - this.fundamental) / 1.5)) : 0.5;
      let aggr: 1 | -1 = rng.next() < pBuy ? 1 : -1;
      if (burst !== 0 && rng.next() < 0.85) aggr = burst > 0 ? 1 : -1;
      this.marketOrder(t, aggr, l);
    } else if (u < pMarket + pAdd) {
      let s = rng.next() < 0.5 ? SIDE_ASK : SIDE_BID;
      // Informed buyers also join the bid (sellers the ask).
      if (burst !== 0 && rng.next() < 0.6) s = burst > 0 ? SIDE_BID : SIDE_ASK;
      this.limitOrder(t, s, l);
    } else {
      let s = rng.next() < 0.5 ? SIDE_ASK : SIDE_BID;
      // Liquidity in the burst's path is pulled.
      if (burst !== 0 && rng.next() < 0.6) s = burst > 0 ? SIDE_ASK : SIDE_BID;
      this.cancel(t, s, l);
    }
    this.replenish(t, SIDE_ASK, l);
    this.replenish(t, SIDE_BID, l);
    this.emitQuoteIfChanged(t, l);
  }

  private drawSize(): number {
    const rng = this.rng;
    if (rng.next() < 0.12) return 1 + rng.int(99); // odd lot
    let lots = rng.geometric(0.35);
    if (rng.next() < 0.05) lots *= 5; // the occasional block
    return 100 * lots;
  }

  private limitOrder(t: number, s: number, l: MarketListener): void {
    const rng = this.rng;
    const side = this.side(s);
    const other = this.side(1 - s);
    if (side.length === 0 || other.length === 0) return; // replenish() restores empty sides
    const depth = rng.geometric(this.volatile ? 0.25 : 0.35) - 1;
    let px: number;
    if (s === SIDE_BID) {
      px = this.bidRef() - depth;
      if (px >= other.ticks[0]) px = other.ticks[0] - 1; // post-only: never lock or cross
    } else {
      px = this.askRef() + depth;
      if (px <= other.ticks[0]) px = other.ticks[0] + 1;
    }
    if (px < 1) return;
    this.addLiquidity(t, s, px, this.drawSize(), rng.int(MARKET_MAKERS.length), l);
  }

  /** Adds size at a price: joins the venue's existing row at that price, else inserts in price-time order. */
  private addLiquidity(t: number, s: number, px: number, size: number, maker: number, l: MarketListener): void {
    const side = this.side(s);
    const dir = s === SIDE_ASK ? 1 : -1;
    let p = 0;
    while (p < side.length && (side.ticks[p] - px) * dir <= 0) {
      if (side.ticks[p] === px && side.makers[p] === maker) {
        side.sizes[p] += size;
        l.onDepth(this.index, t, p, 1, s as 0 | 1, this.price(px), side.sizes[p], MARKET_MAKERS[maker]);
        return;
      }
      p++;
    }
    if (p >= side.capacity) return; // deeper than the visible book
    side.insert(p, px, size, maker);
    l.onDepth(this.index, t, p, 0, s as 0 | 1, this.price(px), size, MARKET_MAKERS[maker]);
  }

  private cancel(t: number, s: number, l: MarketListener): void {
    const rng = this.rng;
    const side = this.side(s);
    if (side.length === 0) return;
    // A top that the fundamental has moved through is stale and gets pulled first.
    const stale = s === SIDE_BID ? side.ticks[0] > this.fundamental : side.ticks[0] < this.fundamental;
    const p = stale && rng.next() < 0.5 ? 0 : rng.int(side.length);
    const size = side.sizes[p];
    const lots = Math.floor((size - 1) / 100);
    if (lots >= 1 && (side.length === 1 || rng.next() < 0.35)) {
      side.sizes[p] = size - 100 * (1 + rng.int(lots));
      l.onDepth(this.index, t, p, 1, s as 0 | 1, this.price(side.ticks[p]), side.sizes[p], MARKET_MAKERS[side.makers[p]]);
      return;
    }
    if (side.length === 1) return; // keep a quote on each side
    const px = side.ticks[p];
    const mk = side.makers[p];
    side.remove(p);
    l.onDepth(this.index, t, p, 2, s as 0 | 1, this.price(px), size, MARKET_MAKERS[mk]);
  }

  private marketOrder(t: number, aggr: 1 | -1, l: MarketListener): void {
    const rng = this.rng;
    const s = aggr === 1 ? SIDE_ASK : SIDE_BID;
    const side = this.side(s);
    if (side.length === 0) return;
    let qty: number;
    const pSweep = this.burstDir !== 0 ? 0.12 : this.volatile ? 0.08 : 0.03;
    if (rng.next() < pSweep) {
      const rows = Math.min(side.length, 2 + rng.int(this.volatile ? 5 : 3));
      qty = 0;
      for (let i = 0; i < rows; i++) qty += side.sizes[i];
      if (rows < side.length) qty += Math.floor(side.sizes[rows] * rng.next());
    } else if (rng.next() < 0.25) {
      qty = 1 + rng.int(99);
    } else {
      qty = 100 * rng.geometric(0.55);
    }
    while (qty > 0 && side.length > 0) {
      const px = side.ticks[0];
      const rowSize = side.sizes[0];
      const mk = side.makers[0];
      const fill = qty < rowSize ? qty : rowSize;
      this.lastTradeTicks = px;
      // The print comes before the book change, so the traded price is on the book when it is reported.
      l.onTrade(this.index, t, this.price(px), fill, aggr);
      if (fill === rowSize) {
        side.remove(0);
        l.onDepth(this.index, t, 0, 2, s as 0 | 1, this.price(px), rowSize, MARKET_MAKERS[mk]);
      } else {
        side.sizes[0] = rowSize - fill;
        l.onDepth(this.index, t, 0, 1, s as 0 | 1, this.price(px), side.sizes[0], MARKET_MAKERS[mk]);
      }
      qty -= fill;
    }
  }

  /**
   * Deeper liquidity arrives when a side is short of rows (at once when it is empty). It is placed around
   * the fundamental, a few ticks deep, at its sorted position: anchoring it to value rather than to the
   * current bottom row keeps a side that is eaten from the top from creeping away without bound.
   */
  private replenish(t: number, s: number, l: MarketListener): void {
    const rng = this.rng;
    const side = this.side(s);
    const other = this.side(1 - s);
    const cap = side.capacity;
    if (side.length >= cap) return;
    if (side.length > 0 && side.length >= cap / 2 && rng.next() >= 0.35) return;
    const depth = side.length === 0 ? rng.int(2) : rng.geometric(Math.min(0.5, 2 / cap)) - 1;
    let px: number;
    if (s === SIDE_ASK) {
      px = this.askRef() + depth;
      if (other.length > 0 && px <= other.ticks[0]) px = other.ticks[0] + 1;
    } else {
      px = this.bidRef() - depth;
      if (other.length > 0 && px >= other.ticks[0]) px = other.ticks[0] - 1;
    }
    if (px < 1) return;
    this.addLiquidity(t, s, px, this.drawSize() + 100 * rng.int(3), rng.int(MARKET_MAKERS.length), l);
  }

  private refreshQuoteCache(): boolean {
    const bid = this.bid.length > 0 ? this.price(this.bid.ticks[0]) : NaN;
    const ask = this.ask.length > 0 ? this.price(this.ask.ticks[0]) : NaN;
    const bidSz = this.bid.topSize();
    const askSz = this.ask.topSize();
    const changed =
      !(bid === this.qBid || (bid !== bid && this.qBid !== this.qBid)) ||
      !(ask === this.qAsk || (ask !== ask && this.qAsk !== this.qAsk)) ||
      bidSz !== this.qBidSz ||
      askSz !== this.qAskSz;
    this.qBid = bid;
    this.qAsk = ask;
    this.qBidSz = bidSz;
    this.qAskSz = askSz;
    return changed;
  }

  private emitQuoteIfChanged(t: number, l: MarketListener): void {
    if (this.refreshQuoteCache()) l.onQuote(this.index, t, this.qBid, this.qAsk, this.qBidSz, this.qAskSz);
  }
}

export class MarketModel {
  readonly symbols: readonly SymbolSpec[];
  /** The options it was built with, so a venue can derive a consistent history (sim/market/HistoricalBars). */
  readonly seed: number;
  readonly eventsPerSecond: number;
  readonly startMs: number;
  private readonly sims: SymbolSim[];
  private nowMs: number;

  constructor(opts: MarketModelOptions) {
    if (!opts || !Array.isArray(opts.symbols) || opts.symbols.length === 0) {
      throw new Error('MarketModel: symbols must be a non-empty array');
    }
    if (!Number.isFinite(opts.seed)) throw new Error('MarketModel: seed must be a finite number');
    if (!Number.isFinite(opts.startMs)) throw new Error('MarketModel: startMs must be a finite number');
    const eps = opts.eventsPerSecond ?? 200;
    if (!(eps > 0) || !Number.isFinite(eps)) throw new Error('MarketModel: eventsPerSecond must be > 0');
    const seen = new Set<string>();
    for (const s of opts.symbols) {
      if (seen.has(s?.symbol)) throw new Error(`MarketModel: duplicate symbol ${s.symbol}`);
      seen.add(s?.symbol);
    }
    this.symbols = Object.freeze(opts.symbols.map((s) => Object.freeze({ ...s })));
    this.nowMs = opts.startMs;
    this.seed = opts.seed;
    this.eventsPerSecond = eps;
    this.startMs = opts.startMs;
    this.sims = this.symbols.map((s, i) => new SymbolSim(i, s, opts.seed, eps, opts.startMs));
  }

  /** Simulated time up to which events have been generated. */
  get timeMs(): number {
    return this.nowMs;
  }

  /** Index of a symbol in `symbols`, or −1. */
  indexOf(symbol: string): number {
    for (let i = 0; i < this.symbols.length; i++) if (this.symbols[i].symbol === symbol) return i;
    return -1;
  }

  /** Generates every event with timestamp in (last, toMs], across symbols in time order. */
  advance(toMs: number, listener: MarketListener): void {
    const sims = this.sims;
    for (;;) {
      let best: SymbolSim | null = null;
      let bestT = Infinity;
      for (let i = 0; i < sims.length; i++) {
        const t = sims[i].nextTime;
        if (t < bestT) {
          bestT = t;
          best = sims[i];
        }
      }
      if (best === null || bestT > toMs) break;
      best.step(listener);
    }
    if (toMs > this.nowMs) this.nowMs = toMs;
  }

  /** The model's true book, row 0 = top, as [price, size, marketMaker]. */
  snapshot(symbolIndex: number): { bids: [number, number, string][]; asks: [number, number, string][] } {
    const sim = this.sim(symbolIndex);
    const rows = (side: BookSide): [number, number, string][] => {
      const out: [number, number, string][] = [];
      for (let i = 0; i < side.length; i++) out.push([sim.price(side.ticks[i]), side.sizes[i], MARKET_MAKERS[side.makers[i]]]);
      return out;
    };
    return { bids: rows(sim.bid), asks: rows(sim.ask) };
  }

  /** The insert burst from row 0 that builds the current book (what a new subscriber receives), asks and bids interleaved. */
  initialOps(symbolIndex: number, listener: MarketListener): void {
    const sim = this.sim(symbolIndex);
    const n = Math.max(sim.ask.length, sim.bid.length);
    for (let i = 0; i < n; i++) {
      if (i < sim.ask.length) {
        listener.onDepth(symbolIndex, this.nowMs, i, 0, 0, sim.price(sim.ask.ticks[i]), sim.ask.sizes[i], MARKET_MAKERS[sim.ask.makers[i]]);
      }
      if (i < sim.bid.length) {
        listener.onDepth(symbolIndex, this.nowMs, i, 0, 1, sim.price(sim.bid.ticks[i]), sim.bid.sizes[i], MARKET_MAKERS[sim.bid.makers[i]]);
      }
    }
  }

  lastPrice(symbolIndex: number): number {
    const sim = this.sim(symbolIndex);
    return sim.price(sim.lastTradeTicks);
  }

  // Row accessors (no allocation) for consumers that re-serve the book, e.g. a depth view with fewer rows.
  rowCount(symbolIndex: number, side: 0 | 1): number {
    return this.sim(symbolIndex).side(side).length;
  }
  rowPrice(symbolIndex: number, side: 0 | 1, position: number): number {
    const sim = this.sim(symbolIndex);
    return sim.price(sim.side(side).ticks[position]);
  }
  rowSize(symbolIndex: number, side: 0 | 1, position: number): number {
    return this.sim(symbolIndex).side(side).sizes[position];
  }
  rowMaker(symbolIndex: number, side: 0 | 1, position: number): string {
    return MARKET_MAKERS[this.sim(symbolIndex).side(side).makers[position]];
  }

  /** Current top of book (aggregated size at the best price); NaN prices when a side is empty. */
  bestBid(symbolIndex: number): number {
    return this.sim(symbolIndex).qBid;
  }
  bestAsk(symbolIndex: number): number {
    return this.sim(symbolIndex).qAsk;
  }
  bestBidSize(symbolIndex: number): number {
    return this.sim(symbolIndex).qBidSz;
  }
  bestAskSize(symbolIndex: number): number {
    return this.sim(symbolIndex).qAskSz;
  }

  /** True while the symbol is in its volatile regime (for diagnostics and tests). */
  isVolatile(symbolIndex: number): boolean {
    return this.sim(symbolIndex).volatile;
  }

  private sim(symbolIndex: number): SymbolSim {
    const s = this.sims[symbolIndex];
    if (s === undefined) throw new Error(`MarketModel: no symbol at index ${symbolIndex}`);
    return s;
  }
}
