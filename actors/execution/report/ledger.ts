import { etDate, type DateStr } from '../../../analytics/calendar.js';
import { cidSessionDay, type OrderPurpose } from '../OrderBookkeeping.js';
import { STRATEGY_NAMES } from '../ExecutionCore.js';
import { JournalReplay } from '../OrderJournal.js';

/** One execution, in journal order, with what the order said about it. */
export interface LedgerFill {
  kind: 'fill';
  seq: number;
  cid: string;
  execId: string;
  /** the session (New York trading date) the order belongs to */
  date: DateStr;
  /** session time of the fill (the journal's `sts`), else the broker's timestamp */
  ts: number;
  symbol: string;
  side: 1 | -1;
  qty: number;
  price: number;
  strategy: string;
  purpose: OrderPurpose;
  /** the price the order was decided at (intent field `mid`: the signal's spot, else the mid when sent); null in journals written before it */
  mid: number | null;
}

/** A position set outright: a reconciliation adjustment, or a carry-forward of archived history. */
export interface LedgerSet {
  kind: 'adjust' | 'carry';
  seq: number;
  date: DateStr | null;
  symbol: string;
  qty: number;
  price: number;
  realized: number;
}

export type LedgerEntry = LedgerFill | LedgerSet;

export interface Ledger {
  entries: LedgerEntry[];
  /** journal entries that mean nothing (an event for an unknown order, an unknown type): counted, skipped */
  bad: number;
}

/** The session date of an order: from its client order id (`AT-YYYYMMDD-…`), else from a time. */
export function orderDate(cid: string, fallbackMs: number): DateStr {
  const d = cidSessionDay(cid);
  return d ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : etDate(fallbackMs);
}

/**
 * The journal as executions, with the replay's own semantics (JournalReplay: one intent per client order
 * id, each execId once, a fill beyond the order's quantity refused), so the report counts exactly what the
 * engine's positions counted. `skipCarries`: the archived history the carries summarise is part of the input.
 */
export function buildLedger(journal: Iterable<Record<string, string>>, opts: { skipCarries?: boolean } = {}): Ledger {
  const replay = new JournalReplay(0);
  const mids = new Map<string, number>();
  const entries: LedgerEntry[] = [];
  let seq = 0;
  for (const f of journal) {
    if (f.type === 'carry' && opts.skipCarries) continue;
    const before = replay.steps.length;
    replay.apply(f);
    if (f.type === 'intent') {
      const mid = Number(f.mid);
      if (f.mid && mid > 0) mids.set(f.cid, mid);
    }
    if (replay.steps.length === before) continue;
    const s = replay.steps[replay.steps.length - 1]!;
    const ts = Number(f.sts) || Number(f.ts) || 0;
    if (s.adjust || s.carry) {
      entries.push({ kind: s.carry ? 'carry' : 'adjust', seq: seq++, date: ts ? etDate(ts) : null, symbol: s.symbol, qty: s.qty, price: s.price, realized: s.realized ?? 0 });
      continue;
    }
    if (s.expiry) {
      // Settled at expiry, no order of its own: filed under the strategy of the last order in that contract.
      let strategy = '';
      for (const r of replay.orders.values()) if (r.order.symbol === s.symbol) strategy = STRATEGY_NAMES[r.strategy] ?? String(r.strategy);
      entries.push({
        kind: 'fill', seq: seq++, cid: `expiry:${s.symbol}`, execId: '', date: ts ? etDate(ts) : orderDate('', ts), ts, symbol: s.symbol, side: s.side > 0 ? 1 : -1,
        qty: s.qty, price: s.price, strategy, purpose: 'exit', mid: null,
      });
      continue;
    }
    const o = replay.orders.get(s.cid)!;
    entries.push({
      kind: 'fill', seq: seq++, cid: s.cid, execId: f.execId ?? '', date: orderDate(s.cid, ts), ts, symbol: s.symbol, side: s.side > 0 ? 1 : -1,
      qty: s.qty, price: s.price, strategy: STRATEGY_NAMES[o.strategy] ?? String(o.strategy), purpose: o.purpose, mid: mids.get(s.cid) ?? null,
    });
  }
  return { entries, bad: replay.bad };
}
