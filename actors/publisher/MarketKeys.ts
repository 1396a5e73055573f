import { msgEventNs, msgFlags, msgSymbol, msgType } from '../../engine/codec/Header.js';
import { Bar, BarFlags, BookFlags, BookTop, Trade, TradeFlags } from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { ConflatingWriter } from '../../engine/redis/ConflatingWriter.js';

/** Fixed-capacity ring of rows, oldest dropped: `market:{SYM}:trades` and `:bars` without unbounded arrays. */
class RowRing<T> {
  private rows: T[] = [];
  private head = 0;
  constructor(private readonly cap: number) {}
  push(row: T): void {
    if (this.rows.length < this.cap) this.rows.push(row);
    else {
      this.rows[this.head] = row;
      this.head = (this.head + 1) % this.cap;
    }
  }
  /** Newest first. */
  newestFirst(): T[] {
    const n = this.rows.length;
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.rows[(this.head + n - 1 - i) % n];
    return out;
  }
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Per-symbol state folded from the hot rings; serialised to JSON once per flush, only when it changed. */
class SymbolKeys {
  dirtyTop = false;
  dirtyLast = false;
  dirtyTrades = false;
  dirtyBars = false;
  bid = NaN; ask = NaN; bidSize = NaN; askSize = NaN; micro = NaN; imbalance = NaN; vwap = NaN; volume = 0;
  flags = 0;
  topTsMs = 0;
  last: { price: number; size: number; side: string; ts: number } | null = null;
  trades: RowRing<[number, number, number, number]>;
  bars: RowRing<{ t: number; o: number; h: number; l: number; c: number; v: number; vwap: number; n: number }>;
  constructor(readonly symbol: string, tradesKept: number, barsKept: number) {
    this.trades = new RowRing(tradesKept);
    this.bars = new RowRing(barsKept);
  }
}

const QUALITY = (flags: number): string[] => {
  const q: string[] = [];
  if (flags & BookFlags.Crossed) q.push('crossed');
  if (flags & BookFlags.Locked) q.push('locked');
  if (flags & BookFlags.Stale) q.push('stale');
  if (flags & BookFlags.OneSided) q.push('one-sided');
  if (flags & BookFlags.Halted) q.push('halted');
  return q;
};

/**
 * The `market:{SYM}:*` keys (the braces are literal: a Redis Cluster hash tag keeps a symbol on one shard).
 * A book flagged crossed, locked or stale is published with its quality marks and no spread/imbalance,
 * never as a good book.
 */
export class MarketKeys {
  private readonly syms: SymbolKeys[];
  badMessages = 0;

  constructor(private readonly config: EngineConfig) {
    this.syms = config.symbols.map((s) => new SymbolKeys(s.symbol, config.market.tradesKept, config.market.barsKept));
  }

  onMessage(dv: DataView, off: number): void {
    const sym = this.syms[msgSymbol(dv, off)];
    if (!sym) {
      this.badMessages++;
      return;
    }
    const tsMs = msgEventNs(dv, off) / 1e6;
    switch (msgType(dv, off)) {
      case MessageType.BookTop:
        sym.bid = BookTop.bestBid(dv, off);
        sym.ask = BookTop.bestAsk(dv, off);
        sym.bidSize = BookTop.bidSize(dv, off);
        sym.askSize = BookTop.askSize(dv, off);
        sym.micro = BookTop.microprice(dv, off);
        sym.imbalance = BookTop.imbalance(dv, off);
        sym.vwap = BookTop.vwap(dv, off);
        sym.volume = BookTop.volume(dv, off);
        sym.flags = msgFlags(dv, off);
        sym.topTsMs = tsMs;
        sym.dirtyTop = true;
        break;
      case MessageType.Trade: {
        const price = Trade.price(dv, off);
        const size = Trade.size(dv, off);
        const a = Trade.aggressor(dv, off);
        const side = msgFlags(dv, off) & TradeFlags.Cross ? 'cross' : a > 0 ? 'buy' : a < 0 ? 'sell' : 'unknown';
        sym.last = { price, size, side, ts: Math.round(tsMs) };
        sym.trades.push([Math.round(tsMs), price, size, a]);
        sym.dirtyLast = true;
        sym.dirtyTrades = true;
        break;
      }
      case MessageType.Bar:
        if (msgFlags(dv, off) & BarFlags.Historical) break; // history feeds VPIN's warm start, not the live bars
        sym.bars.push({
          t: Bar.startMs(dv, off), o: Bar.open(dv, off), h: Bar.high(dv, off), l: Bar.low(dv, off), c: Bar.close(dv, off),
          v: Bar.volume(dv, off), vwap: Bar.vwap(dv, off), n: Bar.count(dv, off),
        });
        sym.dirtyBars = true;
        break;
      default:
        break; // depth updates reach Redis as whole-book snapshots (cold path), not op by op
    }
  }

  /**
   * Writes every changed key of every symbol into the writer. The trade and bar lists are whole-list
   * rewrites (kilobytes each); `lists` false leaves them dirty for a later flush, so the small latest-value
   * keys can go out every few milliseconds without rewriting the lists as often.
   */
  flushInto(w: Pick<ConflatingWriter, 'set'>, lists = true): void {
    const ttl = this.config.ttl;
    for (const s of this.syms) {
      const k = `market:{${s.symbol}}`;
      if (s.dirtyTop) {
        s.dirtyTop = false;
        const quality = QUALITY(s.flags);
        const good = quality.length === 0;
        const ts = Math.round(s.topTsMs);
        w.set(`${k}:ticker`, JSON.stringify({
          symbol: s.symbol, bid: num(s.bid), ask: num(s.ask), bidSize: num(s.bidSize), askSize: num(s.askSize),
          last: s.last?.price ?? null, volume: s.volume, vwap: num(s.vwap), quality: good ? 'ok' : quality, ts,
        }), ttl.ticker);
        if (good) {
          const spread = s.ask - s.bid;
          w.set(`${k}:spread`, JSON.stringify({ spread: num(spread), mid: num((s.ask + s.bid) / 2), bps: num((spread / ((s.ask + s.bid) / 2)) * 1e4), ts }), ttl.ticker);
          w.set(`${k}:imbalance`, JSON.stringify({ imbalance: num(s.imbalance), microprice: num(s.micro), ts }), ttl.ticker);
        }
        w.set(`${k}:timestamp`, String(ts), ttl.ticker);
      }
      if (s.dirtyLast) {
        s.dirtyLast = false;
        w.set(`${k}:last`, JSON.stringify(s.last), ttl.ticker);
      }
      if (lists && s.dirtyTrades) {
        s.dirtyTrades = false;
        w.set(`${k}:trades`, JSON.stringify(s.trades.newestFirst()), ttl.trades);
      }
      if (lists && s.dirtyBars) {
        s.dirtyBars = false;
        w.set(`${k}:bars`, JSON.stringify(s.bars.newestFirst()), ttl.bars);
      }
    }
  }
}
