/**
 * A LOBSTER message/orderbook pair as a stream of engine events, one message at a time, without
 * allocating per message: after `next()`, `ops` holds the depth operations that move the book
 * from the previous orderbook row (the empty book before row 0) to this one, and `trade` says
 * whether the message is an execution.
 *
 * The book comes from the orderbook file, not from replaying messages: LOBSTER's message file only
 * lists events inside the requested depth, so a level deleted inside the top L reveals level L+1,
 * which no message describes. Messages give the time and the trades.
 */

import { OpList, SideDiff } from './book-diff.js';
import { LobsterFormatError } from './errors.js';
import { aggressorOf, isExecution, LobsterMessageReader, MSG_CROSS, MSG_EXECUTE_HIDDEN, MSG_HALT, PRICE_SCALE } from './message-reader.js';
import { LobsterOrderbookReader } from './orderbook-reader.js';

export const SIDE_ASK = 0;
export const SIDE_BID = 1;

export interface LobsterOptions {
  /** Book levels to use (≤ the file's); default: all of the orderbook file's levels. */
  levels?: number;
  /** Trading date 'YYYY-MM-DD' (Eastern); default: the date in the message file's name. */
  date?: string;
}

export interface LobsterCounts {
  messages: number;
  depthOps: number;
  trades: number;
  hiddenTrades: number;
  /** type 6 (auction cross): a trade without an aggressor */
  crosses: number;
  /** type 7 (halt, quote resumption, trade resumption) */
  halts: number;
  /** rows of a type outside 1..7: read past, counted */
  unknown: number;
}

export class LobsterPairReader {
  readonly msg: LobsterMessageReader;
  readonly book: LobsterOrderbookReader;
  /** Book levels in use. */
  readonly levels: number;
  /** Depth operations of the current message (prices in dollars). */
  readonly ops: OpList;
  /** The current message is a trade: an execution (type 4 or 5) or a cross (type 6). */
  trade = false;
  /** The trade is a cross (type 6): an auction print with no aggressor. */
  cross = false;
  tradePrice = NaN;
  tradeSize = 0;
  /** +1 buyer-initiated, -1 seller-initiated, 0 none (a cross). */
  aggressor: 1 | -1 | 0 = 1;
  /** The current message is a halt indicator (type 7); `haltState` is its price column (-1, 0, 1). */
  halt = false;
  haltState = 0;
  readonly counts: LobsterCounts = { messages: 0, depthOps: 0, trades: 0, hiddenTrades: 0, crosses: 0, halts: 0, unknown: 0 };

  private readonly differ: SideDiff;
  // Previous orderbook row, raw (×10000) prices.
  private readonly prevAskPx: Float64Array;
  private readonly prevAskSz: Float64Array;
  private readonly prevBidPx: Float64Array;
  private readonly prevBidSz: Float64Array;
  private prevAskLen = 0;
  private prevBidLen = 0;
  private closed = false;

  constructor(messageFile: string, orderbookFile: string, opts: LobsterOptions = {}) {
    this.msg = new LobsterMessageReader(messageFile, { date: opts.date });
    try {
      this.book = new LobsterOrderbookReader(orderbookFile, { levels: opts.levels });
      try {
        this.levels = this.book.peekLevels();
      } catch (e) {
        this.book.close();
        throw e;
      }
    } catch (e) {
      this.msg.close();
      throw e;
    }
    const L = this.levels;
    this.differ = new SideDiff(L);
    this.ops = new OpList(4 * L);
    this.prevAskPx = new Float64Array(L);
    this.prevAskSz = new Float64Array(L);
    this.prevBidPx = new Float64Array(L);
    this.prevBidSz = new Float64Array(L);
  }

  /** Trading date used for `tsMs`, or null when neither the option nor the file name gives one. */
  get date(): string | null {
    return this.msg.date;
  }

  /** 0-based index of the current message. */
  get row(): number {
    return this.msg.row;
  }

  /** Advances to the next message; false when both files are exhausted. Throws LobsterFormatError on bad input. */
  next(): boolean {
    const m = this.msg;
    const b = this.book;
    const hasMsg = m.next();
    const hasRow = b.next();
    if (!hasMsg || !hasRow) {
      if (hasMsg) throw new LobsterFormatError(b.file, b.line + 1, 0, `missing row: the message file has a row ${m.row + 1} (line ${m.line})`);
      if (hasRow) throw new LobsterFormatError(m.file, m.line + 1, 0, `missing row: the orderbook file has a row ${b.row + 1} (line ${b.line})`);
      return false;
    }
    const ops = this.ops;
    ops.clear();
    const d = this.differ;
    d.diff(SIDE_ASK, this.prevAskPx, this.prevAskSz, this.prevAskLen, b.askPx, b.askSz, b.askLen, ops, PRICE_SCALE);
    d.diff(SIDE_BID, this.prevBidPx, this.prevBidSz, this.prevBidLen, b.bidPx, b.bidSz, b.bidLen, ops, PRICE_SCALE);
    this.prevAskPx.set(b.askPx);
    this.prevAskSz.set(b.askSz);
    this.prevBidPx.set(b.bidPx);
    this.prevBidSz.set(b.bidSz);
    this.prevAskLen = b.askLen;
    this.prevBidLen = b.bidLen;

    const c = this.counts;
    c.messages++;
    c.depthOps += ops.count;
    this.cross = m.type === MSG_CROSS;
    this.trade = this.cross || isExecution(m.type);
    this.halt = m.type === MSG_HALT;
    if (this.trade) {
      this.tradePrice = m.priceRaw / PRICE_SCALE;
      this.tradeSize = m.size;
      if (this.cross) {
        this.aggressor = 0;
        c.crosses++;
      } else {
        this.aggressor = aggressorOf(m.direction);
        c.trades++;
        if (m.type === MSG_EXECUTE_HIDDEN) c.hiddenTrades++;
      }
    } else if (this.halt) {
      this.haltState = m.priceRaw;
      c.halts++;
    } else if (!m.known) {
      c.unknown++;
    }
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.msg.close();
    this.book.close();
  }
}
