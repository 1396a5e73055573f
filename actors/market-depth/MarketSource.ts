/**
 * Where market data comes from: the in-process simulated market, a TWS socket (simulator or real gateway),
 * or a replay. Every source feeds the same sink with positional arguments (no event objects on the hot path).
 */
export type HaltPhase = 'halted' | 'quoting' | 'trading';

export interface MarketSink {
  /** IB position-indexed depth operation; operation 0 insert, 1 update, 2 delete; side 0 ask, 1 bid. */
  depth(symbolId: number, tsMs: number, position: number, operation: number, side: number, price: number, size: number, marketMaker: string, ingestNs: number): void;
  /** aggressor 1 buy, -1 sell, 0 unknown */
  trade(symbolId: number, tsMs: number, price: number, size: number, aggressor: number, ingestNs: number): void;
  /** an auction cross (opening/closing): a print with no aggressor side, never classified by the quote rule */
  cross?(symbolId: number, tsMs: number, price: number, size: number, ingestNs: number): void;
  /** the venue's halt state: 'halted', 'quoting' (quotes resumed, trading still halted) or 'trading' (resumed) */
  halt?(symbolId: number, tsMs: number, phase: HaltPhase, ingestNs: number): void;
  quote(symbolId: number, tsMs: number, bidPx: number, askPx: number, bidSz: number, askSz: number, ingestNs: number): void;
  /** a venue-built bar (TWS 5-second real-time bars); sources without bars let the sink build them from trades */
  bar?(symbolId: number, startMs: number, seconds: number, open: number, high: number, low: number, close: number, volume: number, wap: number, count: number, ingestNs: number): void;
  /** a bar of the venue's history (asked before the live feed starts), oldest first; never a live bar */
  historyBar?(symbolId: number, startMs: number, seconds: number, open: number, high: number, low: number, close: number, volume: number, wap: number, count: number, ingestNs: number): void;
  /** the symbol's history is complete (possibly empty): what follows is live */
  historyEnd?(symbolId: number, ingestNs: number): void;
  /** the venue said the book is void (TWS error 317, reconnect): clear it before new inserts */
  reset(symbolId: number): void;
  /** venue connectivity (TWS 1100/1101/1102, socket up/down) */
  connection(up: boolean, detail: string): void;
  /** called after each burst of events: publish the ring batch, book tops, bars (`nowMs`: the batch's wall time, default now) */
  endOfBatch(nowMs?: number): void;
}

export interface MarketSource {
  readonly name: string;
  start(sink: MarketSink): Promise<void>;
  stop(): Promise<void>;
}
