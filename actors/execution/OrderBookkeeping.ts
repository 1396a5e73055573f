import type { BrokerEvent, BrokerOrder } from './brokers/types.js';

export type OrderState = 'new' | 'accepted' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'expired';
const TERMINAL: ReadonlySet<OrderState> = new Set(['filled', 'cancelled', 'rejected', 'expired']);
export const isTerminal = (s: OrderState): boolean => TERMINAL.has(s);

/** One order as the engine knows it: the intent, its state, and the fills applied to it (each execId once). */
export interface OrderRecord {
  order: BrokerOrder;
  state: OrderState;
  filledQty: number;
  avgPrice: number;
  execIds: Set<string>;
  createdMs: number;
  updatedMs: number;
  reason?: string;
  brokerOrderId?: string;
  strategy: number;
  reduceOnly: boolean;
  /** why the engine sent it: an entry, a synthetic exit leg, a flatten or kill leg, a manual order, or adopted from the broker */
  purpose: OrderPurpose;
  /** for an exit leg: the entry order whose position it protects */
  parent?: string;
  /** filled quantity the venue reported with a terminal event; fills up to it may still be in flight */
  reportedFilled: number;
  /** the order's one outcome counted by the reject-rate rule (accepted, filled, rejected or broker error) */
  answered: boolean;
  /** header times of the tick behind the signal (not journaled: they only time this process's path) */
  originIngestNs?: number;
  originEventNs?: number;
  /** when execution read that signal off its ring */
  originDequeueNs?: number;
  /** the price the order was decided at (the signal's, else the mid when sent): slippage is measured from it (journaled as `mid`: the daily report's reference) */
  refPrice?: number;
}

export type OrderPurpose = 'entry' | 'exit' | 'target' | 'flatten' | 'kill' | 'manual' | 'adopted';

const CID_DATE = /^AT-(\d{8})-/;

/** The session date (YYYYMMDD) the engine wrote into a client order id (`AT-YYYYMMDD-…`), or null. */
export function cidSessionDay(cid: string): string | null {
  return CID_DATE.exec(cid)?.[1] ?? null;
}

export function newOrderRecord(order: BrokerOrder, nowMs: number, strategy: number, reduceOnly: boolean, purpose: OrderPurpose = 'entry', parent?: string): OrderRecord {
  return { order, state: 'new', filledQty: 0, avgPrice: 0, execIds: new Set(), createdMs: nowMs, updatedMs: nowMs, strategy, reduceOnly, purpose, parent, reportedFilled: 0, answered: false };
}

/**
 * Quantity of an order that may still change the position: the unfilled rest of a live order, or, after a
 * terminal event, the fills the venue reported but whose executions have not arrived yet. Exposure and
 * every exit are sized net of it, so a late fill can never push an exit through zero.
 */
export function workingQty(o: OrderRecord): number {
  if (!isTerminal(o.state)) return Math.max(0, o.order.qty - o.filledQty);
  return Math.max(0, o.reportedFilled - o.filledQty);
}

export interface Transition {
  /** false when the event changed nothing (a duplicate fill, a late status after a terminal state) */
  changed: boolean;
  /** the fill to apply to positions, when this event carried a new one */
  fill?: { price: number; qty: number; execId: string };
}

/**
 * The order state machine, driven by broker events in whatever order they arrive:
 * - fills are keyed by execId, so a fill replayed after a restart or re-delivered by the broker counts once;
 * - a fill may arrive before `accepted`/`new` (out of order): it moves the order forward anyway;
 * - filled quantity only grows and never exceeds the order quantity; a fill that would exceed it is refused;
 * - a terminal state is final: a late `new` or `accepted` after `filled` or `cancelled` changes nothing,
 *   but a fill after `cancelled` (a cancel that lost the race) is still applied: the shares were bought.
 */
export function applyEvent(o: OrderRecord, e: BrokerEvent, nowMs: number): Transition {
  if (e.brokerOrderId) o.brokerOrderId = e.brokerOrderId;
  if (e.kind === 'fill' || e.kind === 'partial_fill') {
    if (o.execIds.has(e.execId)) return { changed: false };
    if (!(e.qty > 0) || !(e.price > 0) || o.filledQty + e.qty > o.order.qty + 1e-9) return { changed: false };
    o.execIds.add(e.execId);
    o.avgPrice = (o.avgPrice * o.filledQty + e.price * e.qty) / (o.filledQty + e.qty);
    o.filledQty += e.qty;
    o.state = o.filledQty >= o.order.qty - 1e-9 ? 'filled' : o.state === 'cancelled' ? 'cancelled' : 'partially_filled';
    o.updatedMs = nowMs;
    return { changed: true, fill: { price: e.price, qty: e.qty, execId: e.execId } };
  }
  if ((e.kind === 'canceled' || e.kind === 'expired') && e.filledQty !== undefined && e.filledQty > o.reportedFilled) {
    o.reportedFilled = Math.min(o.order.qty, e.filledQty);
  }
  if (isTerminal(o.state)) return { changed: false };
  let next: OrderState;
  switch (e.kind) {
    case 'accepted':
    case 'new':
      if (o.state !== 'new') return { changed: false }; // already accepted or (partially) filled
      next = 'accepted';
      break;
    case 'canceled':
      next = 'cancelled';
      break;
    case 'rejected':
      next = 'rejected';
      break;
    case 'expired':
      next = 'expired';
      break;
    default:
      return { changed: false };
  }
  o.state = next;
  o.reason = e.reason ?? o.reason;
  o.updatedMs = nowMs;
  return { changed: true };
}
