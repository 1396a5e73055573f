import type { Logger } from '../../engine/log/logger.js';
import type { Broker, BrokerEvent, BrokerOpenOrder } from './brokers/types.js';
import { isTerminal, type OrderRecord } from './OrderBookkeeping.js';

export interface ReconcileReport {
  checked: number;
  confirmed: number; // open journal orders the broker knew: state taken from the broker
  abandoned: number; // journaled but never reached the broker (crash before send): closed, never re-sent
  awaitingAck: number; // unknown to the broker but younger than the acknowledgement timeout: left alone
  fillsRecovered: number; // broker fills the journal had not recorded (crash before processing)
  adopted: number; // our-prefixed orders at the broker without an intent in the journal (a Redis loss): journaled
  drift: { symbol: string; engine: number; broker: number }[]; // on the engine's own symbols
  foreign: { symbol: string; qty: number }[]; // positions in symbols that are not the engine's: reported only
}

export interface ReconcileInput {
  broker: Broker;
  orders: Map<string, OrderRecord>;
  /** journal first, then state */
  record: (cid: string, e: BrokerEvent) => Promise<void>;
  /** journals an order the broker holds under our prefix and starts tracking it */
  adopt: (b: BrokerOpenOrder) => Promise<void>;
  enginePositions: () => Map<string, number>;
  /** the engine's own symbols: the only ones it compares, heals and trades */
  ours: (symbol: string) => boolean;
  log: Logger;
  prefix: string;
  sinceMs: number;
  nowMs: number;
  /** an order younger than this that the broker does not know yet may still be on its way: never declared lost */
  ackTimeoutMs: number;
}

/**
 * Brings the journal and the broker into agreement: at start-up before any new order, then periodically,
 * always inside execution's one serial queue (so no `place()` is in flight while it runs). The broker is the
 * truth for what exists and what filled; the journal for what we asked. Every correction goes through
 * `record`/`adopt` (journal first, then state), so it is itself crash-safe. It only ever touches orders with
 * the engine's client-id prefix and positions in the engine's symbols.
 */
export async function reconcile(x: ReconcileInput): Promise<ReconcileReport> {
  const { broker, orders, record, log, prefix } = x;
  const rep: ReconcileReport = { checked: 0, confirmed: 0, abandoned: 0, awaitingAck: 0, fillsRecovered: 0, adopted: 0, drift: [], foreign: [] };
  const now = x.nowMs;
  // 1. Adopt what the broker holds under our prefix and the journal lost: open orders, and orders known only by their fills.
  const fills = await broker.fills(x.sinceMs);
  for (const b of await broker.openOrders()) {
    if (b.clientOrderId.startsWith(prefix) && !orders.has(b.clientOrderId)) {
      await x.adopt(b);
      rep.adopted++;
      log.error({ cid: b.clientOrderId, symbol: b.symbol }, 'open order at the broker with our prefix but no journal entry: adopted into the journal');
    }
  }
  for (const f of fills) {
    if (!f.clientOrderId.startsWith(prefix) || orders.has(f.clientOrderId)) continue;
    const b = await broker.orderByClientId(f.clientOrderId);
    if (!b) continue;
    await x.adopt(b);
    rep.adopted++;
  }
  // 2. Fills: a crash between the broker's fill and its processing leaves the fill only at the broker.
  for (const f of fills) {
    const o = orders.get(f.clientOrderId);
    if (!o || o.execIds.has(f.execId)) continue;
    await record(f.clientOrderId, f);
    rep.fillsRecovered++;
  }
  // 3. Orders the journal holds as open: ask the broker what became of each.
  for (const o of orders.values()) {
    if (isTerminal(o.state)) continue;
    rep.checked++;
    const cid = o.order.clientOrderId;
    const b = await broker.orderByClientId(cid);
    if (!b) {
      if (now - o.createdMs < x.ackTimeoutMs) {
        rep.awaitingAck++;
        continue;
      }
      // Journaled, never acknowledged, unknown to the broker past the acknowledgement timeout: it was never
      // sent. Closing it (not re-sending a stale intent) keeps exactly one order per client order id.
      await record(cid, { kind: 'canceled', clientOrderId: cid, reason: 'never reached the broker (engine stopped before sending)', ts: now });
      rep.abandoned++;
      continue;
    }
    rep.confirmed++;
    const st = b.status;
    const filledQty = b.filledQty;
    if (st === 'canceled' || st === 'cancelled') await record(cid, { kind: 'canceled', clientOrderId: cid, brokerOrderId: b.brokerOrderId, filledQty, ts: now });
    else if (st === 'rejected') await record(cid, { kind: 'rejected', clientOrderId: cid, brokerOrderId: b.brokerOrderId, reason: 'rejected (found at reconciliation)', ts: now });
    else if (st === 'expired') await record(cid, { kind: 'expired', clientOrderId: cid, brokerOrderId: b.brokerOrderId, filledQty, ts: now });
    else if (o.state === 'new') await record(cid, { kind: 'accepted', clientOrderId: cid, brokerOrderId: b.brokerOrderId, ts: now });
    if (b.filledQty > o.filledQty + 1e-9) log.warn({ cid, broker: b.filledQty, engine: o.filledQty }, 'broker reports more filled than its executions explain');
  }
  // 4. Positions: the engine's symbols are compared (drift), others reported as foreign and left alone.
  const mine = x.enginePositions();
  const theirs = new Map((await broker.positions()).map((p) => [p.symbol, p.qty]));
  for (const sym of new Set([...mine.keys(), ...theirs.keys()])) {
    const a = mine.get(sym) ?? 0;
    const b = theirs.get(sym) ?? 0;
    if (!x.ours(sym)) {
      if (b !== 0) rep.foreign.push({ symbol: sym, qty: b });
      continue;
    }
    if (Math.abs(a - b) > 1e-9) rep.drift.push({ symbol: sym, engine: a, broker: b });
  }
  return rep;
}
