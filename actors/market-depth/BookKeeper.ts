import { OrderBook, emptyMetrics, type BookMetrics, type IgnoreReason } from '../../analytics/order-book.js';
import { BarFlags, BookFlags, BookTop, Bar, DepthUpdate, Quote, Trade, TradeFlags } from '../../engine/codec/Messages.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';
import type { MonoClock } from '../../engine/runtime/MonoClock.js';
import type { OutputPort } from '../../engine/runtime/OutputPort.js';
import type { HaltPhase, MarketSink } from './MarketSource.js';
import { PrintGate } from './PrintGate.js';

/** A print the outlier gate held out (bound for the `quality:quarantine` stream). */
export interface QuarantinedPrint {
  symbol: string;
  price: number;
  size: number;
  reference: number;
  sigma: number;
  multiple: number;
  bandBps: number;
  reason: 'outlier';
  ts: number;
}

/** Quarantined prints kept between two drains; beyond it they are counted, not kept. */
const QUARANTINE_BUFFER = 1000;

/** Per-symbol state: the position-indexed book, the running volume/VWAP, the bar being built. */
class SymbolState {
  readonly book: OrderBook;
  /** Times this symbol went stale (no update within market.staleAfterMs). */
  staleEpisodes = 0;
  readonly metrics: BookMetrics = emptyMetrics();
  topDirty = false;
  bookChangedSinceSnapshot = false;
  lastSnapshotMs = 0;
  lastUpdateMs = 0;
  lastEventNs = 0;
  lastIngestNs = 0;
  stale = false;
  /** venue halt state; null until the venue has said anything about halts */
  haltPhase: HaltPhase | null = null;
  haltSinceMs = 0;
  haltDirty = false;
  lastHaltPublishMs = 0;
  volume = 0;
  notional = 0;
  lastPrice = 0;
  // current bar
  barStart = -1;
  o = 0; h = 0; l = 0; c = 0; v = 0; pv = 0; n = 0;
  constructor(readonly symbol: string, numRows: number) {
    this.book = new OrderBook(numRows);
  }
  /** Halted until trading resumes: quote resumption alone does not make the book a price to mark at. */
  get halted(): boolean {
    return this.haltPhase === 'halted' || this.haltPhase === 'quoting';
  }
}

export interface BookKeeperStats {
  depthOps: number;
  trades: number;
  quotes: number;
  ignoredOps: number;
  ignoredByReason: Partial<Record<IgnoreReason, number>>;
  badTrades: number;
  crosses: number;
  halts: number;
  unknownSymbol: number;
  resets: number;
  crossedOrLocked: number;
  staleEvents: number;
  ringDropped: number;
  /** Prints held out by the outlier gate / runs of them accepted as a real move / entries not kept for the stream. */
  outliers: number;
  outlierRebases: number;
  quarantineDropped: number;
}

/**
 * The market-depth actor's core, independent of where data comes from: applies depth operations to each
 * symbol's own position-indexed book, builds bars and VWAP from trades, checks data quality, and writes
 * depth updates, trades, quotes, book tops and bars to the market-data ring (published once per batch).
 * Bad input (unknown symbol, NaN or non-positive prices, invalid operations) is counted and dropped.
 */
export class BookKeeper implements MarketSink {
  readonly syms: SymbolState[];
  readonly stats: BookKeeperStats = {
    depthOps: 0, trades: 0, quotes: 0, ignoredOps: 0, ignoredByReason: {}, badTrades: 0, crosses: 0, halts: 0, unknownSymbol: 0, resets: 0,
    crossedOrLocked: 0, staleEvents: 0, ringDropped: 0, outliers: 0, outlierRebases: 0, quarantineDropped: 0,
  };
  /** The outlier gate every print passes (TWS, simulated market, recordings, LOBSTER alike). */
  readonly gate: PrintGate;
  private quarantined: QuarantinedPrint[] = [];
  connected = false;
  private pendingMsgs = 0;
  private readonly barMs: number;

  /**
   * By symbol id: whether this instance serves the symbol (cluster symbol ownership). Nothing of an unserved
   * symbol leaves: no ring message, no book top, no snapshot. On TWS its lines are cancelled too (decision
   * 109); the in-process simulator still feeds its book. All true on a single host.
   */
  served: readonly boolean[];

  /** false when the venue sends its own bars (TWS real-time bars): then trades do not build bars here */
  barsFromTrades = true;
  private readonly level2: boolean[];

  constructor(
    private readonly config: EngineConfig,
    private readonly out: OutputPort,
    private readonly clock: MonoClock,
    private readonly onInputError: () => void = () => {},
  ) {
    this.syms = config.symbols.map((s) => new SymbolState(s.symbol, s.numRows));
    this.level2 = config.symbols.map((s) => s.level2);
    this.served = config.symbols.map(() => true);
    this.barMs = config.market.barSeconds * 1000;
    const q = config.market.quality;
    this.gate = new PrintGate({ sigmas: q.outlierSigmas, minBandBps: q.minBandBps, warmup: q.warmupPrints, rebaseAfter: q.rebaseAfter, halfLifePrints: q.halfLifePrints }, this.syms.length);
  }

  /** The prints quarantined since the last call (for the `quality:quarantine` stream). */
  drainQuarantine(): QuarantinedPrint[] {
    const out = this.quarantined;
    this.quarantined = [];
    return out;
  }

  private sym(id: number): SymbolState | undefined {
    const s = this.syms[id];
    if (!s) {
      this.stats.unknownSymbol++;
      this.onInputError();
    }
    return s;
  }

  depth(symbolId: number, tsMs: number, position: number, operation: number, side: number, price: number, size: number, marketMaker: string, ingestNs: number): void {
    const decodedNs = this.clock.nowNs(); // the update as decoded: its DepthUpdate's dequeueNs (ingest → decoded → book)
    const s = this.sym(symbolId);
    if (!s) return;
    const why = s.book.apply(position, operation, side, price, size, marketMaker);
    if (why !== null) {
      this.stats.ignoredOps++;
      this.stats.ignoredByReason[why] = (this.stats.ignoredByReason[why] ?? 0) + 1;
      this.onInputError();
      return;
    }
    this.stats.depthOps++;
    this.touch(s, tsMs, ingestNs);
    s.topDirty = true;
    s.bookChangedSinceSnapshot = true;
    if (!this.served[symbolId]) return;
    const off = this.out.claim();
    if (off < 0) return void this.stats.ringDropped++;
    const h = this.out.stamp(symbolId, tsMs * 1e6, ingestNs, decodedNs);
    DepthUpdate.write(this.out.view, off, h, position, operation, side, price, size, marketMaker, false);
    this.pendingMsgs++;
  }

  trade(symbolId: number, tsMs: number, price: number, size: number, aggressor: number, ingestNs: number): void {
    this.print(symbolId, tsMs, price, size, aggressor, 0, ingestNs);
  }

  /** An auction cross: volume, VWAP and bars like any print, but no aggressor (the quote rule is not applied). */
  cross(symbolId: number, tsMs: number, price: number, size: number, ingestNs: number): void {
    this.print(symbolId, tsMs, price, size, 0, TradeFlags.Cross, ingestNs);
  }

  private print(symbolId: number, tsMs: number, price: number, size: number, aggressor: number, flags: number, ingestNs: number): void {
    const s = this.sym(symbolId);
    if (!s) return;
    if (!(price > 0) || !Number.isFinite(price) || !(size > 0) || !Number.isFinite(size)) {
      this.stats.badTrades++;
      this.onInputError();
      return;
    }
    const rebases = this.gate.rebases[symbolId]!;
    if (!this.gate.check(symbolId, price)) {
      // Held out of bars, VPIN and marks: it never reaches the ring; reported on the cold path.
      this.stats.outliers++;
      const v = this.gate.last;
      if (this.quarantined.length < QUARANTINE_BUFFER) {
        this.quarantined.push({ symbol: s.symbol, price, size, reference: v.reference, sigma: v.sigma, multiple: v.multiple, bandBps: v.band * 10_000, reason: 'outlier', ts: tsMs });
      } else this.stats.quarantineDropped++;
      return;
    }
    if (this.gate.rebases[symbolId] !== rebases) this.stats.outlierRebases++;
    if (flags & TradeFlags.Cross) this.stats.crosses++;
    else this.stats.trades++;
    this.touch(s, tsMs, ingestNs);
    s.volume += size;
    s.notional += price * size;
    s.topDirty = true;
    if (aggressor === 0 && !(flags & TradeFlags.Cross)) aggressor = this.classify(s, price);
    s.lastPrice = price;
    if (this.barsFromTrades) this.addToBar(s, symbolId, tsMs, price, size, ingestNs);
    if (!this.served[symbolId]) return;
    const off = this.out.claim();
    if (off < 0) return void this.stats.ringDropped++;
    const h = this.out.stamp(symbolId, tsMs * 1e6, ingestNs, ingestNs, flags);
    Trade.write(this.out.view, off, h, price, size, aggressor, 0);
    this.pendingMsgs++;
  }

  /** The venue's halt indicator: flags the book (book tops, snapshots) and the `market:{SYM}:halted` key. */
  halt(symbolId: number, tsMs: number, phase: HaltPhase, ingestNs: number): void {
    const s = this.sym(symbolId);
    if (!s) return;
    this.stats.halts++;
    this.touch(s, tsMs, ingestNs);
    if (s.haltPhase === phase) return;
    s.haltPhase = phase;
    s.haltSinceMs = tsMs;
    s.haltDirty = true;
    s.topDirty = true;
    s.bookChangedSinceSnapshot = true;
  }

  quote(symbolId: number, tsMs: number, bidPx: number, askPx: number, bidSz: number, askSz: number, ingestNs: number): void {
    const s = this.sym(symbolId);
    if (!s) return;
    if (!(bidPx > 0) || !(askPx > 0) || !Number.isFinite(bidPx) || !Number.isFinite(askPx)) {
      this.stats.badTrades++;
      this.onInputError();
      return;
    }
    this.stats.quotes++;
    this.touch(s, tsMs, ingestNs);
    if (!this.level2[symbolId]) this.quoteToBook(s, bidPx, askPx, bidSz, askSz);
    if (!this.served[symbolId]) return;
    const off = this.out.claim();
    if (off < 0) return void this.stats.ringDropped++;
    const h = this.out.stamp(symbolId, tsMs * 1e6, ingestNs, ingestNs);
    Quote.write(this.out.view, off, h, bidPx, askPx, bidSz, askSz);
    this.pendingMsgs++;
  }

  /** Quote rule, then tick rule: a print at or above the ask was bought, at or below the bid sold. */
  private classify(s: SymbolState, price: number): number {
    const b = s.book;
    if (b.length(0) > 0 && price >= b.price(0, 0)) return 1;
    if (b.length(1) > 0 && price <= b.price(1, 0)) return -1;
    const prev = s.lastPrice;
    return prev > 0 ? (price > prev ? 1 : price < prev ? -1 : 0) : 0;
  }

  /** A Level 1 symbol's book is its top row per side, kept from quotes. */
  private quoteToBook(s: SymbolState, bidPx: number, askPx: number, bidSz: number, askSz: number): void {
    const b = s.book;
    b.apply(0, b.length(1) > 0 ? 1 : 0, 1, bidPx, bidSz, '');
    b.apply(0, b.length(0) > 0 ? 1 : 0, 0, askPx, askSz, '');
    s.topDirty = true;
    s.bookChangedSinceSnapshot = true;
  }

  bar(symbolId: number, startMs: number, seconds: number, open: number, high: number, low: number, close: number, volume: number, wap: number, count: number, ingestNs: number, flags = 0): void {
    const s = this.sym(symbolId);
    if (!s) return;
    if (![open, high, low, close].every((x) => x > 0 && Number.isFinite(x)) || !(volume >= 0) || low > high) {
      this.stats.badTrades++;
      this.onInputError();
      return;
    }
    if (!this.served[symbolId]) return;
    const off = this.out.claim();
    if (off < 0) return void this.stats.ringDropped++;
    const h = this.out.stamp(symbolId, (startMs + seconds * 1000) * 1e6, ingestNs, ingestNs, flags);
    Bar.write(this.out.view, off, h, startMs, seconds, open, high, low, close, volume, wap, count);
    this.pendingMsgs++;
  }

  historyBar(symbolId: number, startMs: number, seconds: number, open: number, high: number, low: number, close: number, volume: number, wap: number, count: number, ingestNs: number): void {
    this.bar(symbolId, startMs, seconds, open, high, low, close, volume, wap, count, ingestNs, BarFlags.Historical);
    this.historyBars[symbolId] = (this.historyBars[symbolId] ?? 0) + 1;
  }

  historyEnd(symbolId: number, ingestNs: number): void {
    if (!this.sym(symbolId)) return;
    if (!this.served[symbolId]) return void (this.historyBars[symbolId] = 0);
    const off = this.out.claim();
    if (off < 0) return void this.stats.ringDropped++;
    const h = this.out.stamp(symbolId, Date.now() * 1e6, ingestNs, ingestNs, BarFlags.Historical | BarFlags.HistoryEnd);
    const n = this.historyBars[symbolId] ?? 0;
    Bar.write(this.out.view, off, h, NaN, 0, NaN, NaN, NaN, NaN, 0, NaN, n);
    this.historyBars[symbolId] = 0;
    this.pendingMsgs++;
  }
  /** History bars written per symbol since its last historyEnd (the marker carries the count). */
  private readonly historyBars: number[] = [];

  reset(symbolId: number): void {
    const s = this.sym(symbolId);
    if (!s) return;
    s.book.clear();
    s.lastEventNs = 0;
    this.gate.reset(symbolId); // the venue may have moved on while the book was void
    s.topDirty = true;
    s.bookChangedSinceSnapshot = true;
    this.stats.resets++;
  }

  /** The symbol is served again: its book top and snapshot go out with the next batch, not at the next change. */
  resumed(symbolId: number): void {
    const s = this.sym(symbolId);
    if (!s) return;
    s.topDirty = true;
    s.bookChangedSinceSnapshot = true;
    s.haltDirty = s.haltPhase !== null;
  }

  resetAll(): void {
    for (let i = 0; i < this.syms.length; i++) this.reset(i);
  }

  connection(up: boolean): void {
    this.connected = up;
  }

  /** Wall clock of the current batch (read once per batch: staleness needs no finer grain). */
  private batchNowMs = Date.now();

  private touch(s: SymbolState, tsMs: number, ingestNs: number): void {
    s.lastUpdateMs = this.batchNowMs;
    // The book top says how new the newest event in it is. TWS stamps tick-by-tick trades and quotes in whole
    // seconds, depth not at all (arrival): a trade after a depth update must not make the top up to 1 s older
    // (the dashboard showed content ~0.6 s old at p90 for that). Reset clears it (a venue's clock may differ).
    const ns = tsMs * 1e6;
    if (ns > s.lastEventNs) s.lastEventNs = ns;
    s.lastIngestNs = ingestNs;
    if (s.stale) s.stale = false;
  }

  private addToBar(s: SymbolState, symbolId: number, tsMs: number, price: number, size: number, ingestNs: number): void {
    const start = tsMs - (tsMs % this.barMs);
    if (s.barStart !== start) {
      if (s.barStart >= 0 && start > s.barStart) this.closeBar(s, symbolId, ingestNs);
      if (start < s.barStart) return; // a late print for a closed bar: counted in volume, not re-opened
      s.barStart = start;
      s.o = s.h = s.l = s.c = price;
      s.v = s.pv = s.n = 0;
    }
    if (price > s.h) s.h = price;
    if (price < s.l) s.l = price;
    s.c = price;
    s.v += size;
    s.pv += price * size;
    s.n++;
  }

  private closeBar(s: SymbolState, symbolId: number, ingestNs: number): void {
    if (s.n === 0) return;
    if (!this.served[symbolId]) return void (s.n = 0);
    const off = this.out.claim();
    if (off < 0) return void this.stats.ringDropped++;
    const h = this.out.stamp(symbolId, (s.barStart + this.barMs) * 1e6, ingestNs, ingestNs);
    Bar.write(this.out.view, off, h, s.barStart, this.barMs / 1000, s.o, s.h, s.l, s.c, s.v, s.pv / s.v, s.n);
    this.pendingMsgs++;
    s.n = 0;
  }

  /** Book tops for changed symbols, bars whose window has passed, then one ring publish. */
  endOfBatch(nowMs = Date.now()): void {
    this.batchNowMs = nowMs;
    for (let i = 0; i < this.syms.length; i++) {
      const s = this.syms[i];
      if (s.n > 0 && nowMs >= s.barStart + this.barMs) {
        this.closeBar(s, i, s.lastIngestNs);
        s.barStart = -1;
      }
      if (s.topDirty) {
        s.topDirty = false;
        this.writeTop(s, i);
      }
    }
    if (this.pendingMsgs > 0) {
      this.out.publish();
      this.pendingMsgs = 0;
    }
  }

  private writeTop(s: SymbolState, symbolId: number): void {
    const m = s.book.metrics(s.metrics);
    let flags = 0;
    if (m.bestBid !== null && m.bestAsk !== null) {
      if (m.bestBid > m.bestAsk) flags |= BookFlags.Crossed;
      else if (m.bestBid === m.bestAsk) flags |= BookFlags.Locked;
    } else flags |= BookFlags.OneSided;
    if (flags & (BookFlags.Crossed | BookFlags.Locked)) this.stats.crossedOrLocked++;
    if (s.stale) flags |= BookFlags.Stale;
    if (s.halted) flags |= BookFlags.Halted;
    if (!this.served[symbolId]) return;
    const off = this.out.claim();
    if (off < 0) return void this.stats.ringDropped++;
    const h = this.out.stamp(symbolId, s.lastEventNs, s.lastIngestNs, s.lastIngestNs, flags);
    BookTop.write(this.out.view, off, h, m.bestBid ?? NaN, m.bestAsk ?? NaN, m.bestBidSize ?? NaN, m.bestAskSize ?? NaN,
      m.microprice ?? NaN, m.imbalanceTop5 ?? NaN, s.volume > 0 ? s.notional / s.volume : NaN, s.volume);
    this.pendingMsgs++;
  }

  /** Flags symbols without an update for `staleAfterMs` (their next book top carries the Stale mark). */
  checkStale(nowMs = Date.now()): string[] {
    const staleNow: string[] = [];
    for (let i = 0; i < this.syms.length; i++) {
      const s = this.syms[i];
      if (!this.served[i]) continue; // another instance serves it (its lines are cancelled here): not ours to watch
      if (!s.stale && s.lastUpdateMs > 0 && nowMs - s.lastUpdateMs > this.config.market.staleAfterMs) {
        s.stale = true;
        s.topDirty = true;
        s.staleEpisodes++;
        this.stats.staleEvents++;
        staleNow.push(s.symbol);
      }
    }
    return staleNow;
  }

  /**
   * Whole-book snapshots (cold path) for symbols that changed since the last call, and for quiet but valid
   * books every half TTL, so a book that is simply not moving does not vanish from Redis.
   */
  snapshots(nowMs = Date.now()): PublishRequest[] {
    const ttl = this.config.ttl.book;
    const reqs: PublishRequest[] = [];
    const haltTtl = this.config.ttl.monitoring;
    for (let i = 0; i < this.syms.length; i++) {
      const s = this.syms[i]!;
      if (!this.served[i]) continue;
      // Only for symbols whose venue has said something about halts; refreshed at half its TTL.
      if (s.haltPhase !== null && (s.haltDirty || nowMs - s.lastHaltPublishMs >= haltTtl / 2)) {
        s.haltDirty = false;
        s.lastHaltPublishMs = nowMs;
        reqs.push({ key: `market:{${s.symbol}}:halted`, value: { symbol: s.symbol, halted: s.halted, phase: s.haltPhase, sinceMs: s.haltSinceMs, ts: nowMs }, ttlMs: haltTtl });
      }
      if (!s.bookChangedSinceSnapshot && nowMs - s.lastSnapshotMs < ttl / 2) continue;
      // A book we know is wrong (disconnected, stale, empty after a reset) is not republished: its key expires.
      if (s.stale || s.book.length(0) + s.book.length(1) === 0) continue;
      s.bookChangedSinceSnapshot = false;
      s.lastSnapshotMs = nowMs;
      const { bids, asks } = s.book.sides();
      const m = s.book.metrics(s.metrics);
      const quality = m.bestBid !== null && m.bestAsk !== null && m.bestBid >= m.bestAsk ? (m.bestBid > m.bestAsk ? 'crossed' : 'locked') : 'ok';
      // `halted`: the venue halted trading; a consumer taking marks from this book must skip it.
      reqs.push({ key: `market:{${s.symbol}}:book`, value: { symbol: s.symbol, bids, asks, quality, halted: s.halted, ts: nowMs }, ttlMs: ttl });
    }
    return reqs;
  }

  /** Time-ordered per-symbol state for monitoring: seconds since the last update. */
  /** Per symbol: times it went stale. */
  staleEpisodes(): Record<string, number> {
    return Object.fromEntries(this.syms.map((s) => [s.symbol, s.staleEpisodes]));
  }

  staleness(nowMs = Date.now()): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const s of this.syms) out[s.symbol] = s.lastUpdateMs ? (nowMs - s.lastUpdateMs) / 1000 : null;
    return out;
  }
}
