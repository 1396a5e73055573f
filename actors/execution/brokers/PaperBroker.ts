/**
 * Paper trading against the engine's own book: a supplied function gives each symbol's levels
 * (best first) and orders fill against them in memory — the default broker.
 *
 * Matching: a marketable order walks the opposite side level by level, one execution per level
 * (partial fills across levels), each at the level's price moved `slippageBps` against the order
 * (never through a limit). A market order that exhausts the visible book fills the remainder at the
 * worst visible price plus `sweepPenaltyBps` (the hidden liquidity behind the book). The book is
 * exogenous (our fills do not change it), so liquidity taken is remembered per price level until the
 * book shows a different size there; a resting order cannot take the same shares twice.
 * Non-marketable limits and untriggered stops rest and are re-checked every `pollMs` and on poke().
 * IOC cancels what does not fill at once. MOC/LOC fill in one execution at the mid when
 * `auctionOpen(now)` says the closing auction runs (default: at once).
 */
import { EventFanout } from './EventFanout.js';
import {
  BrokerError,
  newBrokerStats,
  silentLog,
  type Broker,
  type BrokerEvent,
  type BrokerFillEvent,
  type BrokerLog,
  type BrokerOpenOrder,
  type BrokerOrder,
  type BrokerPosition,
  type BrokerStats,
} from './types.js';
import { validateOrder } from './validateOrder.js';

export type BookLevel = [price: number, size: number];
export interface PaperBook {
  bids: BookLevel[];
  asks: BookLevel[];
}
export type PaperBookFn = (symbol: string) => PaperBook | undefined;

export interface PaperBrokerOptions {
  book: PaperBookFn;
  nowMs?: () => number;
  /** Adverse price move on every execution, in basis points (default 1). */
  slippageBps?: number;
  /** Extra adverse move for the part of a market order beyond the visible book (default 10 bps). */
  sweepPenaltyBps?: number;
  /** Delay before an order reaches the book (default 0: the next macrotask). */
  latencyMs?: number;
  /** Re-check period for resting orders (default 50 ms). */
  pollMs?: number;
  /** Whether MOC/LOC orders may execute now (default: always). */
  auctionOpen?: (nowMs: number) => boolean;
  log?: BrokerLog;
}

type PaperStatus = 'pending' | 'accepted' | 'new' | 'partially_filled' | 'filled' | 'canceled' | 'rejected' | 'expired';

interface PaperOrder {
  o: BrokerOrder;
  id: string;
  status: PaperStatus;
  filled: number;
  triggered: boolean;
}

interface Pos {
  qty: number;
  avgPrice: number;
  realized: number;
}

const EPS = 1e-9;
const ACTIVE = new Set<PaperStatus>(['pending', 'accepted', 'new', 'partially_filled']);

function round(px: number): number {
  const f = px >= 1 ? 10_000 : 1_000_000;
  return Math.round(px * f) / f;
}

export class PaperBroker implements Broker {
  readonly name = 'paper' as const;
  readonly stats: BrokerStats = newBrokerStats();
  private readonly now: () => number;
  private readonly log: BrokerLog;
  private readonly fanout: EventFanout;
  private readonly orders = new Map<string, PaperOrder>();
  private readonly working: PaperOrder[] = [];
  private readonly positionsBySymbol = new Map<string, Pos>();
  private readonly executions: BrokerFillEvent[] = [];
  /** symbol → "side:price" → liquidity already taken at that level while it showed `seen`. */
  private readonly taken = new Map<string, Map<string, { seen: number; taken: number }>>();
  private readonly session = Date.now().toString(36);
  private seq = 0;
  private execSeq = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly slip: number;
  private readonly sweep: number;
  private readonly pollMs: number;

  constructor(private readonly opts: PaperBrokerOptions) {
    if (typeof opts.book !== 'function') throw new BrokerError('input', 'PaperBroker: book(symbol) is required');
    this.now = opts.nowMs ?? Date.now;
    this.log = opts.log ?? silentLog;
    this.slip = (opts.slippageBps ?? 1) / 10_000;
    this.sweep = (opts.sweepPenaltyBps ?? 10) / 10_000;
    this.pollMs = opts.pollMs ?? 50;
    this.fanout = new EventFanout(this.stats, (err) => this.log.error({ err: String(err) }, 'paper broker: event listener threw'));
  }

  onEvent(cb: (e: BrokerEvent) => void): void {
    this.fanout.add(cb);
  }

  async connect(): Promise<void> {
    this.closed = false;
    if (this.working.length > 0) this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  place(o: BrokerOrder): Promise<void> {
    const bad = validateOrder(o);
    if (bad) {
      this.stats.badInput++;
      return Promise.reject(new BrokerError('input', `invalid order: ${bad}`, (o as Partial<BrokerOrder>)?.clientOrderId));
    }
    if (this.orders.has(o.clientOrderId)) {
      this.stats.duplicatesAvoided++;
      return Promise.resolve();
    }
    const po: PaperOrder = { o: { ...o }, id: `paper-${this.session}-${++this.seq}`, status: 'pending', filled: 0, triggered: o.type !== 'stop' && o.type !== 'stop_limit' };
    this.orders.set(o.clientOrderId, po);
    this.stats.placed++;
    // The order reaches the "venue" after place() resolves, as with a real broker's acknowledgement.
    const arrive = () => this.arrive(po);
    if ((this.opts.latencyMs ?? 0) > 0) setTimeout(arrive, this.opts.latencyMs);
    else setImmediate(arrive);
    return Promise.resolve();
  }

  private arrive(po: PaperOrder): void {
    if (po.status !== 'pending') return; // canceled before it arrived
    po.status = 'accepted';
    this.emit({ kind: 'accepted', clientOrderId: po.o.clientOrderId, brokerOrderId: po.id, ts: this.now() });
    if (!this.opts.book(po.o.symbol)) {
      this.end(po, 'rejected', `no market data for ${po.o.symbol}`);
      this.stats.rejected++;
      return;
    }
    po.status = 'new';
    this.emit({ kind: 'new', clientOrderId: po.o.clientOrderId, brokerOrderId: po.id, ts: this.now() });
    this.working.push(po);
    this.evaluate(po);
    this.compact();
    if (this.working.length > 0) this.schedule();
  }

  /** Re-check resting orders now (the engine may call this on book updates), optionally for one symbol. */
  poke(symbol?: string): void {
    for (const po of this.working.slice()) if (!symbol || po.o.symbol === symbol) this.evaluate(po);
    this.compact();
  }

  /** End of day: working DAY/OPG/CLS orders expire. */
  expireDay(): number {
    let n = 0;
    for (const po of this.working.slice()) {
      if (ACTIVE.has(po.status) && po.o.tif !== 'gtc') {
        this.end(po, 'expired');
        n++;
      }
    }
    this.compact();
    return n;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poke();
      if (this.working.length > 0) this.schedule();
    }, this.pollMs);
    this.timer.unref?.();
  }

  private compact(): void {
    const w = this.working;
    let j = 0;
    for (let i = 0; i < w.length; i++) if (ACTIVE.has(w[i].status)) w[j++] = w[i];
    w.length = j;
  }

  private levelState(symbol: string, side: 'b' | 'a', price: number, size: number): { seen: number; taken: number } {
    let m = this.taken.get(symbol);
    if (!m) this.taken.set(symbol, (m = new Map()));
    const key = `${side}:${price}`;
    let s = m.get(key);
    if (!s || s.seen !== size) {
      // A different size at that price: the book moved on, what we took is no longer reflected.
      s = { seen: size, taken: 0 };
      m.set(key, s);
    }
    return s;
  }

  private evaluate(po: PaperOrder): void {
    if (!ACTIVE.has(po.status) || po.status === 'pending' || po.status === 'accepted') return;
    const o = po.o;
    const book = this.opts.book(o.symbol);
    if (!book) return;
    const buy = o.side === 'buy';
    const levels = buy ? book.asks : book.bids;
    const best = levels.length > 0 ? levels[0][0] : NaN;
    if (!po.triggered) {
      const stop = o.stopPrice as number;
      if (Number.isFinite(best) && (buy ? best >= stop : best <= stop)) po.triggered = true;
      else return;
    }
    if (o.type === 'moc' || o.type === 'loc') return this.auction(po, book);
    const limit = o.type === 'limit' || o.type === 'stop_limit' ? (o.limitPrice as number) : undefined;
    const side = buy ? 'a' : 'b';
    let worst = NaN;
    for (let i = 0; i < levels.length && po.filled < o.qty - EPS; i++) {
      const [px, size] = levels[i];
      if (!(px > 0) || !(size > 0)) continue;
      if (limit !== undefined && (buy ? px > limit + EPS : px < limit - EPS)) break;
      worst = px;
      const st = this.levelState(o.symbol, side, px, size);
      const q = Math.min(size - st.taken, o.qty - po.filled);
      if (q <= EPS) continue;
      st.taken += q;
      let fillPx = round(buy ? px * (1 + this.slip) : px * (1 - this.slip));
      if (limit !== undefined) fillPx = buy ? Math.min(fillPx, limit) : Math.max(fillPx, limit);
      this.fill(po, fillPx, q);
    }
    const left = o.qty - po.filled;
    if (left > EPS && (o.type === 'market' || o.type === 'stop') && Number.isFinite(worst)) {
      // Beyond the visible book: the rest fills behind it, at a penalty.
      this.fill(po, round(buy ? worst * (1 + this.sweep) : worst * (1 - this.sweep)), left);
    }
    if (ACTIVE.has(po.status) && o.tif === 'ioc') this.end(po, 'canceled', 'IOC remainder');
  }

  private auction(po: PaperOrder, book: PaperBook): void {
    if (this.opts.auctionOpen && !this.opts.auctionOpen(this.now())) return;
    const bid = book.bids[0]?.[0];
    const ask = book.asks[0]?.[0];
    if (!(bid > 0) || !(ask > 0)) return;
    const mid = round((bid + ask) / 2);
    const o = po.o;
    if (o.type === 'loc' && (o.side === 'buy' ? mid > (o.limitPrice as number) : mid < (o.limitPrice as number))) {
      this.end(po, 'canceled', 'LOC limit not reached at the close');
      return;
    }
    this.fill(po, mid, o.qty - po.filled);
  }

  private fill(po: PaperOrder, price: number, qty: number): void {
    const o = po.o;
    po.filled = Math.round((po.filled + qty) * 1e9) / 1e9;
    const done = po.filled >= o.qty - EPS;
    po.status = done ? 'filled' : 'partially_filled';
    this.applyPosition(o.symbol, o.side === 'buy' ? qty : -qty, price);
    const e: BrokerFillEvent = {
      kind: done ? 'fill' : 'partial_fill',
      clientOrderId: o.clientOrderId,
      brokerOrderId: po.id,
      execId: `${this.session}.${++this.execSeq}`,
      price,
      qty,
      cumQty: po.filled,
      leavesQty: Math.max(0, Math.round((o.qty - po.filled) * 1e9) / 1e9),
      ts: this.now(),
    };
    this.executions.push(e);
    this.emit(e);
  }

  private applyPosition(symbol: string, signed: number, price: number): void {
    let p = this.positionsBySymbol.get(symbol);
    if (!p) this.positionsBySymbol.set(symbol, (p = { qty: 0, avgPrice: 0, realized: 0 }));
    const q0 = p.qty;
    const q1 = Math.round((q0 + signed) * 1e9) / 1e9;
    if (q0 === 0 || Math.sign(q0) === Math.sign(signed)) {
      p.avgPrice = (p.avgPrice * Math.abs(q0) + price * Math.abs(signed)) / Math.abs(q1);
    } else {
      const closed = Math.min(Math.abs(q0), Math.abs(signed));
      p.realized += (price - p.avgPrice) * closed * Math.sign(q0);
      if (q1 === 0) p.avgPrice = 0;
      else if (Math.sign(q1) !== Math.sign(q0)) p.avgPrice = price;
    }
    p.qty = q1;
  }

  private end(po: PaperOrder, status: 'canceled' | 'rejected' | 'expired', reason?: string): void {
    po.status = status;
    this.emit({ kind: status, clientOrderId: po.o.clientOrderId, brokerOrderId: po.id, reason, ts: this.now() });
  }

  private emit(e: BrokerEvent): void {
    this.fanout.emit(e);
  }

  async cancel(clientOrderId: string): Promise<void> {
    const po = this.orders.get(clientOrderId);
    if (!po || !ACTIVE.has(po.status)) return;
    if (po.status === 'pending') {
      // Not at the venue yet: it will never arrive.
      po.status = 'canceled';
      this.emit({ kind: 'canceled', clientOrderId, brokerOrderId: po.id, ts: this.now() });
      return;
    }
    this.end(po, 'canceled');
    this.compact();
  }

  async cancelAll(): Promise<void> {
    for (const po of this.orders.values()) if (ACTIVE.has(po.status)) await this.cancel(po.o.clientOrderId);
  }

  async positions(): Promise<BrokerPosition[]> {
    const out: BrokerPosition[] = [];
    for (const [symbol, p] of this.positionsBySymbol) if (Math.abs(p.qty) > EPS) out.push({ symbol, qty: p.qty, avgPrice: p.avgPrice });
    return out;
  }

  /** Realised P&L per symbol (paper only; the other brokers leave P&L to the engine). */
  realizedPnl(symbol: string): number {
    return this.positionsBySymbol.get(symbol)?.realized ?? 0;
  }

  private view(po: PaperOrder): BrokerOpenOrder {
    return { clientOrderId: po.o.clientOrderId, brokerOrderId: po.id, symbol: po.o.symbol, side: po.o.side, qty: po.o.qty, filledQty: po.filled, status: po.status };
  }

  async openOrders(): Promise<BrokerOpenOrder[]> {
    const out: BrokerOpenOrder[] = [];
    for (const po of this.orders.values()) if (ACTIVE.has(po.status)) out.push(this.view(po));
    return out;
  }

  async orderByClientId(clientOrderId: string): Promise<BrokerOpenOrder | null> {
    const po = this.orders.get(clientOrderId);
    return po ? this.view(po) : null;
  }

  async fills(sinceMs?: number): Promise<BrokerFillEvent[]> {
    return sinceMs === undefined ? this.executions.slice() : this.executions.filter((e) => e.ts >= sinceMs);
  }
}
