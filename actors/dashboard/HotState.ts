import { msgEventNs, msgFlags, msgSymbol, msgType } from '../../engine/codec/Header.js';
import { AnalyticsSnapshot, Bar, BarFlags, BookTop, OrderEvent, OrderIntent, Quote, Signal, Trade } from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import { ColumnRing } from './ColumnRing.js';

/** Columns of the per-symbol rings (indices into ColumnRing.cols). */
export const BAR_COLS = { t: 0, o: 1, h: 2, l: 3, c: 4, v: 5, vwap: 6 } as const;
export const SWEEP_COLS = { t: 0, price: 1, size: 2, side: 3, levels: 4 } as const;
export const SIGNAL_COLS = { t: 0, sym: 1, strategy: 2, dir: 3, id: 4, conf: 5, price: 6, target: 7, stop: 8, expires: 9 } as const;
export const ORDER_EVENT_COLS = {
  t: 0, sym: 1, strategy: 2, id: 3, leg: 4, status: 5, side: 6, filled: 7, remaining: 8, lastPx: 9, avgPx: 10,
} as const;
export const ORDER_INTENT_COLS = { t: 0, sym: 1, strategy: 2, id: 3, leg: 4, side: 5, type: 6, qty: 7, limit: 8, stop: 9 } as const;

/** Latest hot figures of one symbol. NaN = not seen yet. Every field is written in place. */
export class SymbolHot {
  bid = NaN; ask = NaN; bidSize = NaN; askSize = NaN; micro = NaN; imbalance = NaN; vwap = NaN; volume = NaN;
  bookFlags = 0;
  quoteTs = 0;
  last = NaN; lastSize = NaN; lastSide = 0; lastTs = 0;
  /** first trade (or mid) seen: the reference for the watch list's change */
  ref = NaN;
  /** bumps on every quote or trade: the sampler compares it with what it last sampled */
  quoteSeq = 0;

  spot = NaN; vpin = NaN; vpinCdf = NaN; aImbalance = NaN; aMicro = NaN;
  netGex = NaN; zeroGamma = NaN; callWall = NaN; putWall = NaN;
  analyticsFlags = 0;
  analyticsTs = 0;
  analyticsSeq = 0;

  readonly bars: ColumnRing;
  readonly sweeps: ColumnRing;

  constructor(readonly symbol: string, barsKept: number) {
    this.bars = new ColumnRing(barsKept, 7);
    this.sweeps = new ColumnRing(20, 5);
  }

  get mid(): number {
    return (this.bid + this.ask) / 2;
  }
}

/**
 * What the dashboard folds from the hot rings: per symbol the latest top of book, last trade, bars and
 * analytics snapshot; globally the recent signals and order traffic. Folding writes numbers into
 * preallocated fields and rings: no allocation, no encoding, no I/O per message. The feed ticker reads
 * this state at its own rate.
 */
export class HotState {
  readonly syms: SymbolHot[];
  readonly signals = new ColumnRing(200, 10);
  readonly orderEvents = new ColumnRing(200, 11);
  readonly orderIntents = new ColumnRing(200, 10);
  /** order events per OrderStatus value */
  readonly eventsByStatus = new Float64Array(8);
  intents = 0;
  signalsSeq = 0;
  ordersSeq = 0;
  badMessages = 0;
  /** every message folded, by type (index = MessageType) */
  readonly byType = new Float64Array(16);
  /** trades that swept at least this many levels enter the sweeps list */
  sweepLevels = 2;

  constructor(symbols: readonly string[], barsKept = 120) {
    this.syms = symbols.map((s) => new SymbolHot(s, barsKept));
  }

  /**
   * A symbol another instance serves (cluster mode): its top of book and last trade from the owner's
   * `market:{SYM}:ticker`, as the rings would have brought them. Ignored when not newer than what is shown.
   * False for a value that is not a ticker.
   */
  applyTicker(id: number, t: unknown): boolean {
    const s = this.syms[id];
    const x = t as { bid?: unknown; ask?: unknown; bidSize?: unknown; askSize?: unknown; last?: unknown; volume?: unknown; vwap?: unknown; ts?: unknown } | null;
    if (s === undefined || x === null || typeof x !== 'object' || typeof x.ts !== 'number' || !Number.isFinite(x.ts)) return false;
    if (x.ts <= s.quoteTs) return true;
    const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);
    s.bid = n(x.bid);
    s.ask = n(x.ask);
    s.bidSize = n(x.bidSize);
    s.askSize = n(x.askSize);
    s.vwap = n(x.vwap);
    s.volume = n(x.volume);
    if (Number.isFinite(n(x.last))) s.last = n(x.last);
    s.quoteTs = x.ts;
    if (!(s.ref === s.ref) && Number.isFinite(s.bid) && Number.isFinite(s.ask)) s.ref = (s.bid + s.ask) / 2;
    s.quoteSeq++;
    return true;
  }

  onMessage(dv: DataView, off: number): void {
    const type = msgType(dv, off);
    const id = msgSymbol(dv, off);
    const s = this.syms[id];
    if (s === undefined || type >= 16) {
      this.badMessages++;
      return;
    }
    this.byType[type]++;
    switch (type) {
      case MessageType.BookTop:
        s.bid = BookTop.bestBid(dv, off);
        s.ask = BookTop.bestAsk(dv, off);
        s.bidSize = BookTop.bidSize(dv, off);
        s.askSize = BookTop.askSize(dv, off);
        s.micro = BookTop.microprice(dv, off);
        s.imbalance = BookTop.imbalance(dv, off);
        s.vwap = BookTop.vwap(dv, off);
        s.volume = BookTop.volume(dv, off);
        s.bookFlags = msgFlags(dv, off);
        s.quoteTs = msgEventNs(dv, off) / 1e6;
        if (!(s.ref === s.ref) && Number.isFinite(s.bid) && Number.isFinite(s.ask)) s.ref = (s.bid + s.ask) / 2;
        s.quoteSeq++;
        break;
      case MessageType.Quote:
        // Level 1 symbols: the book keeper also emits BookTop; a bare Quote only fills what is missing.
        if (s.quoteTs === 0) {
          s.bid = Quote.bidPx(dv, off);
          s.ask = Quote.askPx(dv, off);
          s.bidSize = Quote.bidSz(dv, off);
          s.askSize = Quote.askSz(dv, off);
          s.quoteSeq++;
        }
        break;
      case MessageType.Trade: {
        const t = msgEventNs(dv, off) / 1e6;
        s.last = Trade.price(dv, off);
        s.lastSize = Trade.size(dv, off);
        s.lastSide = Trade.aggressor(dv, off);
        s.lastTs = t;
        if (!(s.ref === s.ref)) s.ref = s.last;
        const levels = Trade.levelsSwept(dv, off);
        if (levels >= this.sweepLevels) s.sweeps.push(t, s.last, s.lastSize, s.lastSide, levels);
        s.quoteSeq++;
        break;
      }
      case MessageType.Bar: {
        if (msgFlags(dv, off) & BarFlags.Historical) break; // VPIN's warm start, not the live chart
        const t = Bar.startMs(dv, off);
        const b = s.bars;
        // A bar for the same start replaces the one kept (a venue may refine the bar being built).
        const i = b.length > 0 && b.last(BAR_COLS.t) === t ? -1 : b.claim();
        const write = (col: number, v: number) => (i < 0 ? b.setLast(col, v) : (b.cols[col][i] = v));
        write(BAR_COLS.t, t);
        write(BAR_COLS.o, Bar.open(dv, off));
        write(BAR_COLS.h, Bar.high(dv, off));
        write(BAR_COLS.l, Bar.low(dv, off));
        write(BAR_COLS.c, Bar.close(dv, off));
        write(BAR_COLS.v, Bar.volume(dv, off));
        write(BAR_COLS.vwap, Bar.vwap(dv, off));
        if (i < 0) b.seq++; // a replaced bar is news to the page too
        break;
      }
      case MessageType.AnalyticsSnapshot:
        s.spot = AnalyticsSnapshot.spot(dv, off);
        s.vpin = AnalyticsSnapshot.vpin(dv, off);
        s.vpinCdf = AnalyticsSnapshot.vpinCdf(dv, off);
        s.aImbalance = AnalyticsSnapshot.imbalance(dv, off);
        s.aMicro = AnalyticsSnapshot.microprice(dv, off);
        s.netGex = AnalyticsSnapshot.netGex(dv, off);
        s.zeroGamma = AnalyticsSnapshot.zeroGamma(dv, off);
        s.callWall = AnalyticsSnapshot.callWall(dv, off);
        s.putWall = AnalyticsSnapshot.putWall(dv, off);
        s.analyticsFlags = msgFlags(dv, off);
        s.analyticsTs = msgEventNs(dv, off) / 1e6;
        s.analyticsSeq++;
        break;
      case MessageType.Signal: {
        const r = this.signals;
        const i = r.claim();
        const c = r.cols;
        c[SIGNAL_COLS.t][i] = msgEventNs(dv, off) / 1e6;
        c[SIGNAL_COLS.sym][i] = id;
        c[SIGNAL_COLS.strategy][i] = Signal.strategy(dv, off);
        c[SIGNAL_COLS.dir][i] = Signal.direction(dv, off);
        c[SIGNAL_COLS.id][i] = Signal.signalId(dv, off);
        c[SIGNAL_COLS.conf][i] = Signal.confidence(dv, off);
        c[SIGNAL_COLS.price][i] = Signal.price(dv, off);
        c[SIGNAL_COLS.target][i] = Signal.target(dv, off);
        c[SIGNAL_COLS.stop][i] = Signal.stop(dv, off);
        c[SIGNAL_COLS.expires][i] = Signal.expiresMs(dv, off);
        this.signalsSeq++;
        break;
      }
      case MessageType.OrderIntent: {
        const r = this.orderIntents;
        const i = r.claim();
        const c = r.cols;
        c[ORDER_INTENT_COLS.t][i] = msgEventNs(dv, off) / 1e6;
        c[ORDER_INTENT_COLS.sym][i] = id;
        c[ORDER_INTENT_COLS.strategy][i] = OrderIntent.strategy(dv, off);
        c[ORDER_INTENT_COLS.id][i] = OrderIntent.signalId(dv, off);
        c[ORDER_INTENT_COLS.leg][i] = OrderIntent.leg(dv, off);
        c[ORDER_INTENT_COLS.side][i] = OrderIntent.side(dv, off);
        c[ORDER_INTENT_COLS.type][i] = OrderIntent.orderType(dv, off);
        c[ORDER_INTENT_COLS.qty][i] = OrderIntent.qty(dv, off);
        c[ORDER_INTENT_COLS.limit][i] = OrderIntent.limitPx(dv, off);
        c[ORDER_INTENT_COLS.stop][i] = OrderIntent.stopPx(dv, off);
        this.intents++;
        this.ordersSeq++;
        break;
      }
      case MessageType.OrderEvent: {
        const r = this.orderEvents;
        const i = r.claim();
        const c = r.cols;
        const status = OrderEvent.status(dv, off);
        const broker = OrderEvent.brokerTsMs(dv, off);
        c[ORDER_EVENT_COLS.t][i] = broker > 0 ? broker : msgEventNs(dv, off) / 1e6;
        c[ORDER_EVENT_COLS.sym][i] = id;
        c[ORDER_EVENT_COLS.strategy][i] = OrderEvent.strategy(dv, off);
        c[ORDER_EVENT_COLS.id][i] = OrderEvent.signalId(dv, off);
        c[ORDER_EVENT_COLS.leg][i] = OrderEvent.leg(dv, off);
        c[ORDER_EVENT_COLS.status][i] = status;
        c[ORDER_EVENT_COLS.side][i] = OrderEvent.side(dv, off);
        c[ORDER_EVENT_COLS.filled][i] = OrderEvent.filledQty(dv, off);
        c[ORDER_EVENT_COLS.remaining][i] = OrderEvent.remainingQty(dv, off);
        c[ORDER_EVENT_COLS.lastPx][i] = OrderEvent.lastFillPx(dv, off);
        c[ORDER_EVENT_COLS.avgPx][i] = OrderEvent.avgPx(dv, off);
        if (status < 8) this.eventsByStatus[status]++;
        this.ordersSeq++;
        break;
      }
      default:
        break; // depth ops reach the dashboard as whole-book snapshots on the cold path
    }
  }
}
