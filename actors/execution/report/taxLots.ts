import type { DateStr } from '../../../analytics/calendar.js';
import type { LedgerEntry, LedgerFill } from './ledger.js';

export type LotMethod = 'fifo' | 'lifo';

/** Shares bought (long) or sold short (short) by one execution, still open. */
export interface Lot {
  symbol: string;
  side: 1 | -1;
  qty: number;
  price: number;
  /** null: carried forward or adjusted in, acquisition date unknown */
  date: DateStr | null;
  /** ledger seq of the fill that opened it (-1 for a carry or an adjustment) */
  seq: number;
}

/** One lot (or part of one) closed by one execution. */
export interface RealizedLot {
  symbol: string;
  side: 'long' | 'short';
  qty: number;
  openDate: DateStr | null;
  closeDate: DateStr;
  openPrice: number;
  closePrice: number;
  /** (close − open) × qty for a long lot, (open − close) × qty for a short one; fees are not in the basis */
  gain: number;
  /** long-term: a long lot held more than 365 days; a short sale's gain is short-term */
  term: 'short' | 'long' | 'unknown';
  /** a loss on a long lot with a purchase of the same symbol within 30 days before or after the sale */
  washSale: boolean;
  /** the part of the loss a wash sale disallows: |loss| × min(1, replacement shares / shares sold) */
  disallowed: number;
  closeCid: string;
  openSeq: number;
  closeSeq: number;
}

const EPS = 1e-9;
const DAY_MS = 86_400_000;
const dayNumber = (d: DateStr): number => Date.parse(`${d}T00:00:00Z`) / DAY_MS;
export const daysBetween = (a: DateStr, b: DateStr): number => dayNumber(b) - dayNumber(a);

/**
 * Realised P&L by tax lot: every execution opens a lot or closes lots of the opposite side, first in first
 * out or last in first out; what is left of an execution after closing everything opens a lot on its side.
 * A reconciliation adjustment or a carry-forward replaces the symbol's lots with one of unknown date.
 */
export function realizeLots(entries: readonly LedgerEntry[], method: LotMethod): { realized: RealizedLot[]; open: Lot[] } {
  const lots = new Map<string, Lot[]>();
  const realized: RealizedLot[] = [];
  for (const e of entries) {
    if (e.kind !== 'fill') {
      lots.set(e.symbol, e.qty === 0 ? [] : [{ symbol: e.symbol, side: e.qty > 0 ? 1 : -1, qty: Math.abs(e.qty), price: e.price, date: null, seq: -1 }]);
      continue;
    }
    const book = lots.get(e.symbol) ?? [];
    lots.set(e.symbol, book);
    let left = e.qty;
    while (left > EPS && book.length && book[0]!.side !== e.side) {
      const i = method === 'fifo' ? 0 : book.length - 1;
      const lot = book[i]!;
      const q = Math.min(left, lot.qty);
      realized.push(closeLot(lot, q, e));
      lot.qty -= q;
      left -= q;
      if (lot.qty <= EPS) book.splice(i, 1);
    }
    if (left > EPS) book.push({ symbol: e.symbol, side: e.side, qty: left, price: e.price, date: e.date, seq: e.seq });
  }
  flagWashSales(realized, entries);
  return { realized, open: [...lots.values()].flat() };
}

function closeLot(lot: Lot, qty: number, e: LedgerFill): RealizedLot {
  const long = lot.side > 0;
  const gain = (long ? e.price - lot.price : lot.price - e.price) * qty;
  const term = !long ? 'short' : lot.date === null ? 'unknown' : daysBetween(lot.date, e.date) > 365 ? 'long' : 'short';
  return {
    symbol: lot.symbol, side: long ? 'long' : 'short', qty, openDate: lot.date, closeDate: e.date, openPrice: lot.price, closePrice: e.price,
    gain, term, washSale: false, disallowed: 0, closeCid: e.cid, openSeq: lot.seq, closeSeq: e.seq,
  };
}

/**
 * Wash sales, flagged (the basis of the replacement shares is not adjusted here): a loss on a long lot is
 * a wash sale when shares of the same symbol were bought within 30 calendar days before or after the sale,
 * other than the executions whose lots that same sale closed. Only purchases in the journal are seen, so a report made
 * within 30 days of a loss may flag it later when regenerated.
 */
function flagWashSales(realized: RealizedLot[], entries: readonly LedgerEntry[]): void {
  const buys = entries.filter((e): e is LedgerFill => e.kind === 'fill' && e.side > 0);
  const soldBy = new Map<number, Set<number>>(); // closing fill → the opening fills whose shares it sold
  for (const r of realized) {
    let s = soldBy.get(r.closeSeq);
    if (!s) soldBy.set(r.closeSeq, (s = new Set()));
    s.add(r.openSeq);
  }
  for (const r of realized) {
    if (r.side !== 'long' || r.gain >= -EPS) continue;
    const sold = soldBy.get(r.closeSeq)!;
    let replacement = 0;
    for (const b of buys) {
      if (b.symbol !== r.symbol || sold.has(b.seq) || Math.abs(daysBetween(r.closeDate, b.date)) > 30) continue;
      replacement += b.qty;
    }
    if (replacement <= EPS) continue;
    r.washSale = true;
    r.disallowed = -r.gain * Math.min(1, replacement / r.qty);
  }
}
