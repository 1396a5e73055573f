import type { Redis } from 'ioredis';
import type { BrokerEvent, BrokerOrder } from './brokers/types.js';
import { applyEvent, newOrderRecord, type OrderPurpose, type OrderRecord } from './OrderBookkeeping.js';

/** broker events that answer an order for the reject-rate rule (one outcome per order) */
export const ANSWER_KINDS: ReadonlySet<string> = new Set(['accepted', 'new', 'rejected', 'fill', 'partial_fill']);

export const JOURNAL_STREAM = 'orders:journal';

/**
 * The order journal: a Redis Stream (AOF on) holding every order intent, written and acknowledged by Redis
 * BEFORE the order is sent, and every broker event applied to it. Replaying it rebuilds every order and
 * the set of fills already counted, so after any crash an order is never sent twice (its client order id
 * is already journaled) and a fill is never counted twice (its execId is already journaled).
 *
 * Durability is Redis's: with `appendfsync everysec` an acknowledged entry can be lost only to a power
 * failure within that second (the reconciler then finds the order at the broker by its client order id).
 */
export class OrderJournal {
  constructor(private readonly redis: Redis, private readonly stream = JOURNAL_STREAM) {}

  async appendIntent(r: OrderRecord): Promise<void> {
    const o = r.order;
    await this.redis.xadd(this.stream, '*',
      'type', 'intent', 'cid', o.clientOrderId, 'symbol', o.symbol, 'side', o.side, 'qty', String(o.qty), 'orderType', o.type,
      'limitPrice', o.limitPrice === undefined ? '' : String(o.limitPrice), 'stopPrice', o.stopPrice === undefined ? '' : String(o.stopPrice),
      'tif', o.tif, 'strategy', String(r.strategy), 'reduceOnly', r.reduceOnly ? '1' : '0', 'ts', String(r.createdMs),
      'purpose', r.purpose, 'parent', r.parent ?? '');
  }

  async appendEvent(cid: string, e: BrokerEvent): Promise<void> {
    const f: (string | number)[] = ['type', 'event', 'cid', cid, 'kind', e.kind, 'ts', String(e.ts)];
    if (e.brokerOrderId) f.push('brokerOrderId', e.brokerOrderId);
    if (e.kind === 'fill' || e.kind === 'partial_fill') f.push('execId', e.execId, 'price', String(e.price), 'qty', String(e.qty), 'cumQty', String(e.cumQty), 'leavesQty', String(e.leavesQty));
    else if (!('execId' in e)) {
      if (e.reason) f.push('reason', e.reason);
      if (e.filledQty !== undefined) f.push('filledQty', String(e.filledQty));
    }
    await this.redis.xadd(this.stream, '*', ...f.map(String));
  }

  /** A position healed to the broker's at reconciliation: replayed as "set qty/avg", after the fills before it. */
  async appendAdjustment(symbol: string, qty: number, avgPrice: number, reason: string): Promise<void> {
    await this.redis.xadd(this.stream, '*', 'type', 'adjust', 'symbol', symbol, 'qty', String(qty), 'avgPrice', String(avgPrice), 'reason', reason, 'ts', String(Date.now()));
  }

  /** Rebuilds every order from the stream, in order. Fills (and position adjustments) are returned in order, for positions. */
  async load(nowMs: number): Promise<{ orders: Map<string, OrderRecord>; fills: { cid: string; symbol: string; side: number; price: number; qty: number; adjust?: boolean }[]; entries: number; bad: number }> {
    const orders = new Map<string, OrderRecord>();
    const fills: { cid: string; symbol: string; side: number; price: number; qty: number; adjust?: boolean }[] = [];
    let start = '-';
    let entries = 0;
    let bad = 0;
    for (;;) {
      const batch = await this.redis.xrange(this.stream, start, '+', 'COUNT', 2000);
      if (!batch.length) break;
      for (const [id, kv] of batch) {
        entries++;
        start = `(${id}`;
        const f: Record<string, string> = {};
        for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]] = kv[i + 1];
        if (f.type === 'intent') {
          if (orders.has(f.cid)) continue; // never two intents for one client order id
          const order: BrokerOrder = {
            clientOrderId: f.cid, symbol: f.symbol, side: f.side === 'sell' ? 'sell' : 'buy', qty: Number(f.qty),
            type: f.orderType as BrokerOrder['type'], tif: f.tif as BrokerOrder['tif'],
            ...(f.limitPrice ? { limitPrice: Number(f.limitPrice) } : {}), ...(f.stopPrice ? { stopPrice: Number(f.stopPrice) } : {}),
          };
          orders.set(f.cid, newOrderRecord(order, Number(f.ts) || nowMs, Number(f.strategy) || 0, f.reduceOnly === '1', (f.purpose as OrderPurpose) || (f.reduceOnly === '1' ? 'exit' : 'entry'), f.parent || undefined));
        } else if (f.type === 'event') {
          const r = orders.get(f.cid);
          if (!r) {
            bad++;
            continue;
          }
          const e = (f.kind === 'fill' || f.kind === 'partial_fill'
            ? { kind: f.kind, clientOrderId: f.cid, brokerOrderId: f.brokerOrderId, execId: f.execId, price: Number(f.price), qty: Number(f.qty), cumQty: Number(f.cumQty), leavesQty: Number(f.leavesQty), ts: Number(f.ts) }
            : { kind: f.kind, clientOrderId: f.cid, brokerOrderId: f.brokerOrderId, reason: f.reason, ts: Number(f.ts), ...(f.filledQty ? { filledQty: Number(f.filledQty) } : {}) }) as BrokerEvent;
          if (ANSWER_KINDS.has(f.kind)) r.answered = true;
          const t = applyEvent(r, e, Number(f.ts) || nowMs);
          if (t.fill) fills.push({ cid: f.cid, symbol: r.order.symbol, side: r.order.side === 'buy' ? 1 : -1, price: t.fill.price, qty: t.fill.qty });
        } else if (f.type === 'adjust') {
          fills.push({ cid: '', symbol: f.symbol, side: 1, price: Number(f.avgPrice), qty: Number(f.qty), adjust: true });
        } else bad++;
      }
      if (batch.length < 2000) break;
    }
    return { orders, fills, entries, bad };
  }
}
