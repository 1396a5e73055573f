import { gexSummary, strikeIndex, zeroGammaGrid, type ChainArrays } from '../../analytics/gex.js';
import { msgEventNs, msgFlags, msgIngestNs, msgSymbol, msgType } from '../../engine/codec/Header.js';
import { AnalyticsFlags, AnalyticsSnapshot, Bar, BarFlags, BookTop, Trade } from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { OutputPort } from '../../engine/runtime/OutputPort.js';
import { SymbolAnalytics } from './SymbolAnalytics.js';

/** One snapshot in this many is kept in a recording as a check of a replay's analytics values. */
export const CHECK_EVERY = 64;

/** The values an analytics check compares (those of the AnalyticsSnapshot, VPIN and its CDF included). */
export const checkValues = (a: SymbolAnalytics): number[] => [a.spot, a.vpinValue, a.vpinCdf, a.imbalance, a.microprice, a.netGex, a.zeroGamma, a.callWall, a.putWall];

/** A chain as the options actor sends it: struct-of-arrays, ready for the exposure math. */
export interface ChainMessage {
  symbol: string;
  spot: number;
  fetchedAtMs: number;
  type: Int8Array;
  strike: Float64Array;
  T: Float64Array;
  iv: Float64Array;
  oi: Float64Array;
}

/** A chain applied to a symbol: the exposures are set; the zero-gamma grid is still to compute on `spot`. */
export interface AppliedChain {
  /** ordinal of this chain among those applied (a zero-gamma result names the chain it belongs to) */
  seq: number;
  symbol: string;
  spot: number;
  chain: ChainArrays;
  summary: ReturnType<typeof gexSummary>;
}

/**
 * The analytics actor's core, without I/O: market-data messages in (book tops, trades, history bars), an
 * AnalyticsSnapshot out per book top, chains applied when they are consumed. The actor (worker thread,
 * zero-gamma grid on a pool) and the deterministic replay pipeline (backtest) run this same class.
 */
export class AnalyticsCore {
  readonly syms: SymbolAnalytics[];
  /** market-data messages processed: the position a consumed cold input is stamped with */
  consumed = 0;
  pendingOut = 0;
  chainsSeen = 0;
  /** AnalyticsSnapshots written (the recording keeps every CHECK_EVERY-th as a check) */
  snapshots = 0;

  constructor(private readonly cfg: EngineConfig, names: readonly string[], private readonly out: OutputPort) {
    this.syms = names.map((s) => new SymbolAnalytics(s, cfg));
  }

  /**
   * One market-data message. Returns false for input the core refuses (unknown symbol, an oversized trade);
   * `onHistoryEnd` hears of each symbol's warm-up from the venue's history. The dequeue time is read here, for
   * the messages that write a snapshot: read by the caller for every message, it was a double passed into
   * this call, boxed on the heap each time (that call site: ~13 % of the hot thread's sampled allocations at
   * 50k updates/s, decision 151).
   */
  onMessage(view: DataView, off: number, onHistoryEnd?: (a: SymbolAnalytics, poured: number) => void): boolean {
    this.consumed++;
    const type = msgType(view, off);
    const id = msgSymbol(view, off);
    const a = this.syms[id];
    if (!a) return false;
    if (type === MessageType.BookTop) {
      const dequeueNs = this.out.clock.nowNs();
      const eventNs = msgEventNs(view, off);
      a.onTop(eventNs / 1e6, BookTop.bestBid(view, off), BookTop.bestAsk(view, off), BookTop.bidSize(view, off),
        BookTop.askSize(view, off), BookTop.microprice(view, off), BookTop.imbalance(view, off));
      this.writeSnapshot(id, a, eventNs, msgIngestNs(view, off), dequeueNs);
    } else if (type === MessageType.Trade) {
      const tsMs = msgEventNs(view, off) / 1e6;
      const refused = a.oversizedTrades;
      a.onTrade(tsMs, Trade.price(view, off), Trade.size(view, off), Trade.aggressor(view, off));
      if (a.oversizedTrades !== refused) return false;
    } else if (type === MessageType.Bar) {
      const flags = msgFlags(view, off);
      if (flags & BarFlags.HistoryEnd) {
        const poured = a.onHistoryEnd();
        onHistoryEnd?.(a, poured);
      } else if (flags & BarFlags.Historical) {
        a.onHistoryBar(Bar.startMs(view, off), Bar.close(view, off), Bar.volume(view, off));
      }
    }
    return true;
  }

  private writeSnapshot(id: number, a: SymbolAnalytics, eventNs: number, ingestNs: number, dequeueNs: number): void {
    const out = this.out;
    const o = out.claim();
    if (o < 0) return;
    let flags = 0;
    if (a.toxic) flags |= AnalyticsFlags.ToxicityAlarm;
    if (a.gexTs > 0) flags |= AnalyticsFlags.GexFresh;
    const h = out.stamp(id, eventNs, ingestNs, dequeueNs, flags);
    // vpinCdf is NaN until minHistory values: the strategies read it as unknown
    AnalyticsSnapshot.write(out.view, o, h, a.spot, a.vpinValue, a.vpinCdf, a.imbalance, a.microprice, a.netGex, a.zeroGamma, a.callWall, a.putWall);
    this.pendingOut++;
    this.snapshots++;
  }

  /** Publishes the snapshots written since the last call (once per input batch). */
  flush(): void {
    if (this.pendingOut) {
      this.out.publish();
      this.pendingOut = 0;
    }
  }

  /**
   * A chain consumed now: net GEX and the walls at the symbol's current spot (the live mid, else the
   * chain's). Null for a chain the core cannot use (unknown symbol, malformed arrays, no spot).
   */
  applyChain(m: ChainMessage, wallMs: number): AppliedChain | null {
    const id = this.syms.findIndex((a) => a.symbol === m.symbol);
    if (id < 0 || !(m.type instanceof Int8Array) || m.type.length !== m.strike.length) return null;
    const seq = ++this.chainsSeen;
    const a = this.syms[id]!;
    const spot = Number.isFinite(a.spot) ? a.spot : m.spot;
    if (!(spot > 0)) return null;
    const chain: ChainArrays = { type: m.type, strike: m.strike, T: m.T, iv: m.iv, oi: m.oi };
    chain.strikeIndex = strikeIndex(chain.strike);
    const summary = gexSummary(spot, this.cfg.options.rate, this.cfg.options.dividendYield, chain);
    a.netGex = summary.totalGex;
    a.callWall = summary.callWall ?? NaN;
    a.putWall = summary.putWall ?? NaN;
    a.gexTs = wallMs;
    return { seq, symbol: m.symbol, spot, chain, summary };
  }

  /** The zero-gamma level of an applied chain, computed (by the actor's pool, or here) and applied now. */
  applyZeroGamma(symbol: string, zeroGamma: number | null): void {
    const a = this.syms.find((x) => x.symbol === symbol);
    if (a) a.zeroGamma = zeroGamma ?? NaN;
  }

  /** The zero-gamma grid in this thread (the pool's task runs the same function per slice of points). */
  zeroGammaNow(c: AppliedChain): ReturnType<typeof zeroGammaGrid> {
    return zeroGammaGrid(c.spot, this.cfg.options.rate, this.cfg.options.dividendYield, c.chain);
  }
}
