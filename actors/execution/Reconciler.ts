import type { Logger } from '../../engine/log/logger.js';
import type { Broker, BrokerEvent } from './brokers/types.js';
import { isTerminal, type OrderRecord } from './OrderBookkeeping.js';

export interface ReconcileReport {
  checked: number;
  adopted: number; // open journal orders the broker knew: state taken from the broker
  abandoned: number; // journaled but never reached the broker (crash before send): closed, never re-sent
  fillsRecovered: number; // broker fills the journal had not recorded (crash before processing)
  unknownAtBroker: number; // our-prefixed orders at the broker without an intent in the journal
  drift: { symbol: string; engine: number; broker: number }[];
}

/**
 * Brings the journal and the broker into agreement: at start-up before any new order, then periodically.
 * The broker is the truth for what exists and what filled; the journal is the truth for what we asked.
 * Every correction goes through `record` (journal first, then state), so it is itself crash-safe.
 */
export async function reconcile(
  broker: Broker,
  orders: Map<string, OrderRecord>,
  record: (cid: string, e: BrokerEvent) => Promise<void>,
  enginePositions: () => Map<string, number>,
  log: Logger,
  prefix: string,
  sinceMs: number,
): Promise<ReconcileReport> {
  const rep: ReconcileReport = { checked: 0, adopted: 0, abandoned: 0, fillsRecovered: 0, unknownAtBroker: 0, drift: [] };
  const now = Date.now();
  // 1. Fills first: a crash between the broker's fill and its processing leaves the fill only at the broker.
  const fills = await broker.fills(sinceMs);
  for (const f of fills) {
    const o = orders.get(f.clientOrderId);
    if (!o || o.execIds.has(f.execId)) continue;
    await record(f.clientOrderId, f);
    rep.fillsRecovered++;
  }
  // 2. Orders the journal holds as open: ask the broker what became of each.
  for (const o of orders.values()) {
    if (isTerminal(o.state)) continue;
    rep.checked++;
    const b = await broker.orderByClientId(o.order.clientOrderId);
    if (!b) {
      // Journaled, never acknowledged, unknown to the broker: it was never sent. Closing it (not re-sending a
      // stale intent) keeps exactly one order per client order id.
      await record(o.order.clientOrderId, { kind: 'canceled', clientOrderId: o.order.clientOrderId, reason: 'never reached the broker (engine stopped before sending)', ts: now });
      rep.abandoned++;
      continue;
    }
    rep.adopted++;
    const st = b.status;
    if (st === 'canceled' || st === 'cancelled') await record(o.order.clientOrderId, { kind: 'canceled', clientOrderId: o.order.clientOrderId, brokerOrderId: b.brokerOrderId, ts: now });
    else if (st === 'rejected') await record(o.order.clientOrderId, { kind: 'rejected', clientOrderId: o.order.clientOrderId, brokerOrderId: b.brokerOrderId, reason: 'rejected (found at reconciliation)', ts: now });
    else if (st === 'expired') await record(o.order.clientOrderId, { kind: 'expired', clientOrderId: o.order.clientOrderId, brokerOrderId: b.brokerOrderId, ts: now });
    else if (o.state === 'new') await record(o.order.clientOrderId, { kind: 'accepted', clientOrderId: o.order.clientOrderId, brokerOrderId: b.brokerOrderId, ts: now });
    if (b.filledQty > o.filledQty + 1e-9) log.warn({ cid: o.order.clientOrderId, broker: b.filledQty, engine: o.filledQty }, 'broker reports more filled than its executions explain');
  }
  // 3. Orders at the broker that carry our prefix but that we never journaled: alert (never adopt blindly).
  for (const b of await broker.openOrders()) {
    if (b.clientOrderId.startsWith(prefix) && !orders.has(b.clientOrderId)) {
      rep.unknownAtBroker++;
      log.error({ cid: b.clientOrderId }, 'open order at the broker with our prefix but no journal entry');
    }
  }
  // 4. Positions: compare, alert on drift.
  const mine = enginePositions();
  const theirs = new Map((await broker.positions()).map((p) => [p.symbol, p.qty]));
  for (const sym of new Set([...mine.keys(), ...theirs.keys()])) {
    const a = mine.get(sym) ?? 0;
    const b = theirs.get(sym) ?? 0;
    if (Math.abs(a - b) > 1e-9) rep.drift.push({ symbol: sym, engine: a, broker: b });
  }
  return rep;
}
