/**
 * LOBSTER data as engine events, in file order. For each message row k: its trade first (types 4
 * and 5), then the depth operations that turn orderbook row k-1 into row k, all stamped with
 * message k's time. The trade goes first so a consumer that signs trades against the prevailing
 * quote sees the book the aggressor hit, not the one left after it.
 *
 * The generator allocates one small object per event, which is fine for tests, tools and a paced
 * replay; a max-speed replay can drive `LobsterPairReader` directly (typed arrays, no allocation).
 */

import { aggressorOf, isExecution, LobsterMessageReader, MSG_EXECUTE_HIDDEN, PRICE_SCALE } from './message-reader.js';
import { LobsterPairReader, type LobsterOptions } from './pair-reader.js';

export interface LobsterDepthEvent {
  kind: 'depth';
  /** 0-based message row the event belongs to (events of one row form one batch). */
  row: number;
  /** Epoch milliseconds (floored). */
  tsMs: number;
  /** Nanoseconds after midnight, Eastern wall clock (LOBSTER's time × 1e9, exact). */
  tsNs: number;
  position: number;
  /** 0 insert, 1 update, 2 delete */
  operation: 0 | 1 | 2;
  /** 0 ask, 1 bid */
  side: 0 | 1;
  /** dollars; for a delete, the price of the removed row */
  price: number;
  /** shares; 0 for a delete */
  size: number;
}

export interface LobsterTradeEvent {
  kind: 'trade';
  row: number;
  tsMs: number;
  tsNs: number;
  /** dollars */
  price: number;
  size: number;
  /** +1 buyer-initiated (a sell limit order was hit), -1 seller-initiated */
  aggressor: 1 | -1;
  /** type 5: execution of a hidden order (the displayed book does not change) */
  hidden: boolean;
}

export type LobsterEvent = LobsterDepthEvent | LobsterTradeEvent;

function requireDate(date: string | null, file: string): void {
  if (date === null) {
    throw new RangeError(
      `${file}: no trading date in the file name (TICKER_YYYY-MM-DD_...); pass opts.date so events get epoch timestamps`,
    );
  }
}

/**
 * Depth and trade events of a LOBSTER message/orderbook pair, in file order. Like any generator it
 * starts on the first `next()`: a missing file or a bad row throws there (LobsterFormatError names
 * file, line and column). Breaking out of a for-of closes the files.
 */
export function* lobsterEvents(messageFile: string, orderbookFile: string, opts: LobsterOptions = {}): Generator<LobsterEvent> {
  const r = new LobsterPairReader(messageFile, orderbookFile, opts);
  try {
    requireDate(r.date, messageFile);
    const m = r.msg;
    const ops = r.ops;
    while (r.next()) {
      const row = m.row;
      const tsMs = m.tsMs;
      const tsNs = m.tsNs;
      if (r.trade) {
        yield { kind: 'trade', row, tsMs, tsNs, price: r.tradePrice, size: r.tradeSize, aggressor: r.aggressor, hidden: m.type === MSG_EXECUTE_HIDDEN };
      }
      for (let i = 0; i < ops.count; i++) {
        yield {
          kind: 'depth',
          row,
          tsMs,
          tsNs,
          position: ops.position[i]!,
          operation: ops.operation[i]! as 0 | 1 | 2,
          side: ops.side[i]! as 0 | 1,
          price: ops.price[i]!,
          size: ops.size[i]!,
        };
      }
    }
  } finally {
    r.close();
  }
}

/** `lobsterEvents` collected into an array. */
export function lobsterEventsSync(messageFile: string, orderbookFile: string, opts: LobsterOptions = {}): LobsterEvent[] {
  return Array.from(lobsterEvents(messageFile, orderbookFile, opts));
}

/** Trades (types 4 and 5) of a message file alone; no orderbook file needed. */
export function* lobsterTrades(messageFile: string, opts: { date?: string } = {}): Generator<LobsterTradeEvent> {
  const m = new LobsterMessageReader(messageFile, opts);
  try {
    requireDate(m.date, messageFile);
    while (m.next()) {
      if (!isExecution(m.type)) continue;
      yield {
        kind: 'trade',
        row: m.row,
        tsMs: m.tsMs,
        tsNs: m.tsNs,
        price: m.priceRaw / PRICE_SCALE,
        size: m.size,
        aggressor: aggressorOf(m.direction),
        hidden: m.type === MSG_EXECUTE_HIDDEN,
      };
    }
  } finally {
    m.close();
  }
}

export function lobsterTradesSync(messageFile: string, opts: { date?: string } = {}): LobsterTradeEvent[] {
  return Array.from(lobsterTrades(messageFile, opts));
}

