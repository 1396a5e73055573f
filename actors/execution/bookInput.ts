import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';
import type { PaperBook } from './brokers/index.js';

/** What execution needs of the book snapshots (the ExecutionCore's marks). */
export interface MarkSink {
  onBook(symbol: string, bid: number, ask: number): void;
}

/**
 * A `market:{SYM}:book` snapshot (cold path) into execution: the paper broker's book and the mark for P&L,
 * exits and staleness. A halted symbol has no tradable price: no mark, no exit, no paper fill on its stale
 * book. Returns the symbol when the request was a book snapshot (so a recording can keep it), else null.
 */
export function applyBookSnapshot(r: PublishRequest, books: Map<string, PaperBook>, core: MarkSink): string | null {
  const m = /^market:\{(.+)\}:book$/.exec(r?.key ?? '');
  if (!m) return null;
  const v = r.value as { bids: [number, number][]; asks: [number, number][]; halted?: boolean };
  if (!v?.bids || !v?.asks) return null;
  if (v.halted === true) {
    books.delete(m[1]!);
    return m[1]!;
  }
  books.set(m[1]!, { bids: v.bids.map((x) => [x[0], x[1]]), asks: v.asks.map((x) => [x[0], x[1]]) });
  if (v.bids.length && v.asks.length) core.onBook(m[1]!, v.bids[0]![0], v.asks[0]![0]);
  return m[1]!;
}
