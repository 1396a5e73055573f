import type { RedisLike } from '../../engine/redis/RedisClient.js';
import type { BrokerEvent, BrokerOrder } from './brokers/types.js';
import { applyEvent, newOrderRecord, type OrderPurpose, type OrderRecord } from './OrderBookkeeping.js';
import { OccError, parseOcc, type Instrument } from '../../analytics/instrument.js';
import type { JournalShipper } from './JournalShipper.js';

/** An option intent's instrument fields (`occ`: the unpadded OCC symbol, Alpaca's form); none for shares. */
function instrumentFields(i: Instrument | undefined): string[] {
  if (!i || i.kind !== 'option') return [];
  return ['occ', i.occ, 'underlying', i.underlying, 'expiry', i.expiry, 'right', i.right, 'strike', String(i.strike), 'multiplier', String(i.multiplier)];
}

/** The instrument an intent names: its `occ` fields (an option), else the shares of `symbol`. */
function instrumentOf(f: Record<string, string>): Instrument | undefined {
  if (!f.occ) return undefined;
  try {
    const o = parseOcc(f.occ, f.underlying || undefined, Number(f.multiplier) || 100);
    return f.root ? { ...o, root: f.root } : o;
  } catch (e) {
    if (e instanceof OccError) return undefined;
    throw e;
  }
}

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
 *
 * With a local write-ahead journal (`ahead`, execution.journalAhead: local, decision 113) an append is
 * acknowledged once it is in the local file (one write, microseconds), and the stream follows within a
 * round trip, in order and exactly once (JournalShipper); a crash before that is shipped at the next start,
 * before the replay. Same durability class (the file is fdatasync'ed every second), without the Redis round
 * trip on the order path.
 */
export class OrderJournal {
  /**
   * `waitAof` (execution.journalSync: wait on Redis ≥ 7.2): an intent returns only once the local AOF holds it
   * (WAITAOF 1 0), so no acknowledged order can be lost to a crash of the Redis host. On older servers the same
   * guarantee comes from `appendfsync always` (checked at start), and this stays off.
   */
  constructor(private readonly redis: RedisLike, readonly stream = JOURNAL_STREAM, public waitAof = false) {}

  /**
   * Cluster mode: every append goes through the execution lease's fenced script (ExecutionLease.append:
   * refused once a newer owner's token raised the journal's fence). Unset on a single host: a plain XADD.
   */
  fenced: ((fields: string[]) => Promise<unknown>) | null = null;

  /** The local write-ahead journal (single host, journalSync off); null: every append waits for Redis. */
  ahead: JournalShipper | null = null;

  /** False while the journal Redis does not take the local journal's entries (they wait in the file). */
  get healthy(): boolean {
    return !this.ahead?.failing;
  }

  /**
   * `intent`: a new order's intent is refused while Redis does not take entries (no new exposure on a
   * journal nobody else can read); broker events, adjustments and expiries are always kept locally.
   * Undefined when the entry is in the local journal already (journalAhead: local): nothing to wait for, so
   * the order path takes no turn of the event loop for it; throws when the local journal cannot take it.
   */
  private add(fields: string[], intent = false): Promise<unknown> | undefined {
    if (this.fenced) return this.fenced(fields);
    if (this.ahead) {
      if (intent && this.ahead.failing) throw new Error(`journal Redis not taking entries (${this.ahead.behind} wait in the local journal)`);
      this.ahead.append(fields);
      return undefined;
    }
    return this.redis.xadd(this.stream, '*', ...fields);
  }

  /**
   * `sessionMs`: the session clock when the order was decided (`sts`), and `r.refPrice` the price it was
   * decided at (`mid`: the signal's spot, else the mid when sent): the daily report times executions on the
   * session and measures slippage against it.
   */
  appendIntent(r: OrderRecord, sessionMs?: number): Promise<void> | undefined {
    const o = r.order;
    const stored = this.add([
      'type', 'intent', 'cid', o.clientOrderId, 'symbol', o.symbol, 'side', o.side, 'qty', String(o.qty), 'orderType', o.type,
      'limitPrice', o.limitPrice === undefined ? '' : String(o.limitPrice), 'stopPrice', o.stopPrice === undefined ? '' : String(o.stopPrice),
      'tif', o.tif, 'strategy', String(r.strategy), 'reduceOnly', r.reduceOnly ? '1' : '0', 'ts', String(r.createdMs),
      'purpose', r.purpose, 'parent', r.parent ?? '', 'mid', r.refPrice === undefined ? '' : String(r.refPrice), 'sts', sessionMs === undefined ? '' : String(sessionMs),
      ...instrumentFields(o.instrument)], true);
    return stored || this.waitAof ? this.acknowledged(stored) : undefined;
  }

  /** Redis's answer to an intent, then (journalSync wait) the AOF's. */
  private async acknowledged(stored: Promise<unknown> | undefined): Promise<void> {
    await stored;
    if (this.waitAof) {
      const [local] = (await this.redis.call('WAITAOF', '1', '0', '1000')) as [number, number];
      if (!(local >= 1)) throw new Error('the order intent did not reach the AOF within 1 s (WAITAOF)');
    }
  }

  async appendEvent(cid: string, e: BrokerEvent, sessionMs?: number): Promise<void> {
    const f: (string | number)[] = ['type', 'event', 'cid', cid, 'kind', e.kind, 'ts', String(e.ts)];
    if (sessionMs !== undefined) f.push('sts', String(sessionMs));
    if (e.brokerOrderId) f.push('brokerOrderId', e.brokerOrderId);
    if (e.kind === 'fill' || e.kind === 'partial_fill') f.push('execId', e.execId, 'price', String(e.price), 'qty', String(e.qty), 'cumQty', String(e.cumQty), 'leavesQty', String(e.leavesQty));
    else if (!('execId' in e)) {
      if (e.reason) f.push('reason', e.reason);
      if (e.filledQty !== undefined) f.push('filledQty', String(e.filledQty));
    }
    await this.add(f.map(String));
  }

  /** A position healed to the broker's at reconciliation: replayed as "set qty/avg", after the fills before it. */
  async appendAdjustment(symbol: string, qty: number, avgPrice: number, reason: string): Promise<void> {
    await this.add(['type', 'adjust', 'symbol', symbol, 'qty', String(qty), 'avgPrice', String(avgPrice), 'reason', reason, 'ts', String(Date.now())]);
  }

  /**
   * An option position settled at its expiry: `qty` is the signed change (minus the position), `price` the
   * per-share settlement (intrinsic, or 0 when it expired worthless); replayed as a fill at that price.
   */
  async appendExpiry(symbol: string, qty: number, price: number, underlyingPrice: number): Promise<void> {
    await this.add(['type', 'expiry', 'symbol', symbol, 'qty', String(qty), 'price', String(price), 'underlyingPrice', String(underlyingPrice), 'ts', String(Date.now())]);
  }

  /**
   * Shares the broker delivered for options exercised or assigned at expiry (ExerciseDeliveries), booked at the
   * underlying's settlement price: replayed as a fill of `qty` shares of `symbol` at `price`, like an expiry step.
   */
  async appendDelivery(symbol: string, qty: number, price: number): Promise<void> {
    await this.add(['type', 'expiry', 'delivery', '1', 'symbol', symbol, 'qty', String(qty), 'price', String(price), 'underlyingPrice', String(price), 'ts', String(Date.now())]);
  }

  /** Every entry in order (after `after`, an entry id, when given), with its id (batches of 2000: memory stays flat on a long journal). */
  async scan(onEntry: (id: string, f: Record<string, string>) => void, stream = this.stream, after?: string): Promise<void> {
    let start = after ? `(${after}` : '-';
    for (;;) {
      const batch = await this.redis.xrange(stream, start, '+', 'COUNT', 2000);
      for (const [id, kv] of batch) {
        start = `(${id}`;
        const f: Record<string, string> = {};
        for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]] = kv[i + 1];
        onEntry(id, f);
      }
      if (batch.length < 2000) break;
    }
  }

  /** Rebuilds every order from the stream, in order. Fills, adjustments and carries are returned in order, for positions. */
  async load(nowMs: number): Promise<{ orders: Map<string, OrderRecord>; fills: PositionStep[]; entries: number; bad: number }> {
    const r = new JournalReplay(nowMs);
    await this.scan((_, f) => r.apply(f));
    return { orders: r.orders, fills: r.steps, entries: r.entries, bad: r.bad };
  }

  /** A position carried forward from archived history (see JournalArchive): replayed as "set qty/avg, add realised". */
  static carryFields(symbol: string, qty: number, avgPrice: number, realized: number, ts: number): string[] {
    return ['type', 'carry', 'symbol', symbol, 'qty', String(qty), 'avgPrice', String(avgPrice), 'realized', String(realized), 'ts', String(ts)];
  }
}

/** What a journal entry does to positions, in journal order. */
export interface PositionStep {
  cid: string;
  symbol: string;
  side: number;
  price: number;
  qty: number;
  /** a position set outright at reconciliation */
  adjust?: boolean;
  /** a position carried forward from archived history, with the P&L it had realised */
  carry?: boolean;
  realized?: number;
  /** an option position settled at its expiry (a fill at the settlement price, no order), or shares delivered for one */
  expiry?: boolean;
  /** expiry steps: the underlying's settlement price; `delivery`: the step books delivered shares */
  underlyingPrice?: number;
  delivery?: boolean;
}

/** The journal's meaning, entry by entry: orders with their states and fills (each execId once), and position steps. */
export class JournalReplay {
  readonly orders = new Map<string, OrderRecord>();
  readonly steps: PositionStep[] = [];
  entries = 0;
  bad = 0;

  constructor(private readonly nowMs: number) {}

  apply(f: Record<string, string>): void {
    this.entries++;
    const orders = this.orders;
    if (f.type === 'intent') {
      if (orders.has(f.cid)) return; // never two intents for one client order id
      const order: BrokerOrder = {
        clientOrderId: f.cid, symbol: f.symbol, side: f.side === 'sell' ? 'sell' : 'buy', qty: Number(f.qty),
        type: f.orderType as BrokerOrder['type'], tif: f.tif as BrokerOrder['tif'],
        ...(f.limitPrice ? { limitPrice: Number(f.limitPrice) } : {}), ...(f.stopPrice ? { stopPrice: Number(f.stopPrice) } : {}),
      };
      const instrument = instrumentOf(f);
      if (instrument) order.instrument = instrument;
      orders.set(f.cid, newOrderRecord(order, Number(f.ts) || this.nowMs, Number(f.strategy) || 0, f.reduceOnly === '1', (f.purpose as OrderPurpose) || (f.reduceOnly === '1' ? 'exit' : 'entry'), f.parent || undefined));
    } else if (f.type === 'event') {
      const r = orders.get(f.cid);
      if (!r) {
        this.bad++;
        return;
      }
      const e = (f.kind === 'fill' || f.kind === 'partial_fill'
        ? { kind: f.kind, clientOrderId: f.cid, brokerOrderId: f.brokerOrderId, execId: f.execId, price: Number(f.price), qty: Number(f.qty), cumQty: Number(f.cumQty), leavesQty: Number(f.leavesQty), ts: Number(f.ts) }
        : { kind: f.kind, clientOrderId: f.cid, brokerOrderId: f.brokerOrderId, reason: f.reason, ts: Number(f.ts), ...(f.filledQty ? { filledQty: Number(f.filledQty) } : {}) }) as BrokerEvent;
      if (ANSWER_KINDS.has(f.kind)) r.answered = true;
      const t = applyEvent(r, e, Number(f.ts) || this.nowMs);
      if (t.fill) this.steps.push({ cid: f.cid, symbol: r.order.symbol, side: r.order.side === 'buy' ? 1 : -1, price: t.fill.price, qty: t.fill.qty });
    } else if (f.type === 'adjust') {
      this.steps.push({ cid: '', symbol: f.symbol, side: 1, price: Number(f.avgPrice), qty: Number(f.qty), adjust: true });
    } else if (f.type === 'expiry') {
      const q = Number(f.qty);
      this.steps.push({ cid: '', symbol: f.symbol, side: Math.sign(q), price: Number(f.price), qty: Math.abs(q), expiry: true, underlyingPrice: Number(f.underlyingPrice), ...(f.delivery === '1' ? { delivery: true } : {}) });
    } else if (f.type === 'carry') {
      this.steps.push({ cid: '', symbol: f.symbol, side: 1, price: Number(f.avgPrice), qty: Number(f.qty), carry: true, realized: Number(f.realized) || 0 });
    } else this.bad++;
  }
}
