/**
 * LOBSTER data as engine events, in file order. For each message row k: its trade first (types 4
 * and 5, and crosses, type 6) or its halt state (type 7), then the depth operations that turn
 * orderbook row k-1 into row k, all stamped with message k's time and carrying message k's
 * attribution (MPID) as their market maker when the file has one. The trade goes first so a consumer that signs trades against the prevailing
 * quote sees the book the aggressor hit, not the one left after it.
 *
 * The generator allocates one small object per event, which is fine for tests, tools and a paced
 * replay; a max-speed replay can drive `LobsterPairReader` directly (typed arrays, no allocation).
 */

import { aggressorOf, haltPhase, isExecution, LobsterMessageReader, MSG_CROSS, MSG_EXECUTE_HIDDEN, PRICE_SCALE } from './message-reader.js';
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
  /** the message's attribution (MPID), null when the file has none for it */
  marketMaker: string | null;
}

export interface LobsterTradeEvent {
  kind: 'trade';
  row: number;
  tsMs: number;
  tsNs: number;
  /** dollars */
  price: number;
  size: number;
  /** +1 buyer-initiated (a sell limit order was hit), -1 seller-initiated, 0 none (a cross) */
  aggressor: 1 | -1 | 0;
  /** type 5: execution of a hidden order (the displayed book does not change) */
  hidden: boolean;
  /** type 6: an auction cross (opening/closing), no aggressor */
  cross: boolean;
}

/** Type 7: trading halted, quoting resumed (trading still halted), or trading resumed. */
export interface LobsterHaltEvent {
  kind: 'halt';
  row: number;
  tsMs: number;
  tsNs: number;
  phase: 'halted' | 'quoting' | 'trading';
}

export type LobsterEvent = LobsterDepthEvent | LobsterTradeEvent | LobsterHaltEvent;

/** Filled in when a read ends (normally or not): what was skipped. */
export interface LobsterReadReport {
  /** rows of a type outside 1..7 */
  unknown: number;
  /** one line naming them, null when none */
  unknownSummary: string | null;
}

function report(out: LobsterReadReport | undefined, m: LobsterMessageReader): void {
  if (!out) return;
  out.unknown = m.unknownTypes;
  out.unknownSummary = m.unknownSummary();
}

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
export function* lobsterEvents(messageFile: string, orderbookFile: string, opts: LobsterOptions = {}, out?: LobsterReadReport): Generator<LobsterEvent> {
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
        yield { kind: 'trade', row, tsMs, tsNs, price: r.tradePrice, size: r.tradeSize, aggressor: r.aggressor, hidden: m.type === MSG_EXECUTE_HIDDEN, cross: r.cross };
      } else if (r.halt) {
        yield { kind: 'halt', row, tsMs, tsNs, phase: haltPhase(r.haltState) };
      }
      const marketMaker = ops.count > 0 ? m.attribution() : null;
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
          marketMaker,
        };
      }
    }
  } finally {
    report(out, r.msg);
    r.close();
  }
}

/** `lobsterEvents` collected into an array. */
export function lobsterEventsSync(messageFile: string, orderbookFile: string, opts: LobsterOptions = {}, out?: LobsterReadReport): LobsterEvent[] {
  return Array.from(lobsterEvents(messageFile, orderbookFile, opts, out));
}

/** Trades (types 4 and 5, and crosses, type 6) of a message file alone; no orderbook file needed. */
export function* lobsterTrades(messageFile: string, opts: { date?: string } = {}, out?: LobsterReadReport): Generator<LobsterTradeEvent> {
  const m = new LobsterMessageReader(messageFile, opts);
  try {
    requireDate(m.date, messageFile);
    while (m.next()) {
      const cross = m.type === MSG_CROSS;
      if (!cross && !isExecution(m.type)) continue;
      yield {
        kind: 'trade',
        row: m.row,
        tsMs: m.tsMs,
        tsNs: m.tsNs,
        price: m.priceRaw / PRICE_SCALE,
        size: m.size,
        aggressor: cross ? 0 : aggressorOf(m.direction),
        hidden: m.type === MSG_EXECUTE_HIDDEN,
        cross,
      };
    }
  } finally {
    report(out, m);
    m.close();
  }
}

export function lobsterTradesSync(messageFile: string, opts: { date?: string } = {}, out?: LobsterReadReport): LobsterTradeEvent[] {
  return Array.from(lobsterTrades(messageFile, opts, out));
}

