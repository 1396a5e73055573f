import { BrokerError, type Broker, type BrokerEvent, type BrokerFillEvent, type BrokerOpenOrder, type BrokerOrder, type BrokerPosition } from '../../actors/execution/brokers/types.js';

type Status = 'pending' | 'open' | 'filled' | 'canceled' | 'rejected';

export interface VenueOrder {
  o: BrokerOrder;
  id: string;
  status: Status;
  filled: number;
  placeCalls: number;
  cancelRequested: boolean;
  /** the engine's view when it sent it (for the invariants only; a venue does not know reduce-only) */
  reduceOnly: boolean;
}

/**
 * A venue the test drives step by step, for the model-based lifecycle test: nothing happens until the test
 * says so (acknowledge, fill in parts, reject, confirm a cancel), and every event it emits waits in an outbox
 * until the test delivers it — in any order, twice, or never (a disconnect). Its orders, executions and
 * positions outlive the engine (restarts), as a broker's do. This is the broker as the engine sees it over
 * the wire, with every latency and fault under the test's control; the real adapters are tested against the
 * protocol simulators elsewhere.
 */
export class ScriptedVenue implements Broker {
  readonly name = 'ibkr' as const;
  readonly orders = new Map<string, VenueOrder>();
  readonly positions_ = new Map<string, { qty: number; avg: number }>();
  readonly executions: BrokerFillEvent[] = [];
  readonly outbox: BrokerEvent[] = [];
  readonly delivered: BrokerEvent[] = [];
  connected = true;
  /** place() reaches the venue but its answer is lost (an ambiguous timeout) */
  loseNextAnswer = false;
  private listener: ((e: BrokerEvent) => void) | null = null;
  private seq = 0;
  private exec = 0;
  /** called before each fill is booked: the invariants that need the venue's view at that instant */
  onFill: (o: VenueOrder, qty: number, posBefore: number) => void = () => {};
  /** called when an order arrives */
  onPlace: (o: VenueOrder) => void = () => {};

  constructor(private readonly now: () => number) {}

  /** A restart: the old engine's listener is gone with its process. */
  detach(): void {
    this.listener = null;
  }

  onEvent(cb: (e: BrokerEvent) => void): void {
    this.listener = cb;
  }

  async connect(): Promise<void> {}
  async close(): Promise<void> {}

  /** The account the venue reports; `accountFails` makes reads fail as an unreachable venue's do. */
  accountFigures = { equity: 1e7, cash: 1e7, buyingPower: 2e7, optionsBuyingPower: 1e7, initialMargin: 0, maintenanceMargin: 0, currency: 'USD', accountId: 'DU-SCRIPTED' };
  accountFails = false;
  async account() {
    if (this.accountFails || !this.connected) throw new BrokerError('unavailable', 'account summary: not connected');
    return { ...this.accountFigures };
  }

  isConnected(): boolean {
    return this.connected;
  }

  private emit(e: BrokerEvent): void {
    if (this.connected) this.outbox.push(e); // disconnected: the event is lost (reconciliation must recover it)
  }

  /** Delivers the outbox entry at `i` (out of order when i > 0). */
  deliver(i: number): BrokerEvent | undefined {
    const [e] = this.outbox.splice(i, 1);
    if (!e) return undefined;
    this.delivered.push(e);
    this.listener?.(e);
    return e;
  }

  /** Re-delivers an event already delivered (a duplicate from the venue or the client library). */
  duplicate(i: number): BrokerEvent | undefined {
    const e = this.delivered[i];
    if (e) this.listener?.(e);
    return e;
  }

  async place(o: BrokerOrder): Promise<void> {
    if (!this.connected) throw new BrokerError('unavailable', 'not connected', o.clientOrderId);
    const known = this.orders.get(o.clientOrderId);
    if (known) {
      known.placeCalls++;
      return;
    }
    const vo: VenueOrder = { o: { ...o }, id: `V${++this.seq}`, status: 'pending', filled: 0, placeCalls: 1, cancelRequested: false, reduceOnly: false };
    this.orders.set(o.clientOrderId, vo);
    this.onPlace(vo);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new BrokerError('ambiguous', 'no answer within the timeout', o.clientOrderId);
    }
  }

  async cancel(clientOrderId: string): Promise<void> {
    if (!this.connected) throw new BrokerError('unavailable', 'not connected', clientOrderId);
    const vo = this.orders.get(clientOrderId);
    if (vo && (vo.status === 'pending' || vo.status === 'open')) vo.cancelRequested = true;
  }

  async cancelAll(_prefix: string): Promise<number> {
    throw new Error('the engine must cancel its own orders one by one, never with a venue-wide cancel');
  }

  live(): VenueOrder[] {
    return [...this.orders.values()].filter((v) => v.status === 'pending' || v.status === 'open');
  }

  ack(vo: VenueOrder): void {
    if (vo.status !== 'pending') return;
    vo.status = 'open';
    this.emit({ kind: 'accepted', clientOrderId: vo.o.clientOrderId, brokerOrderId: vo.id, ts: this.now() });
  }

  reject(vo: VenueOrder, reason: string): void {
    if (vo.status !== 'pending') return;
    vo.status = 'rejected';
    this.emit({ kind: 'rejected', clientOrderId: vo.o.clientOrderId, brokerOrderId: vo.id, reason, ts: this.now() });
  }

  /** Fills `qty` (capped at what is left) at `price`; a pending order is acknowledged implicitly (fill before ack). */
  fill(vo: VenueOrder, qty: number, price: number): void {
    if (vo.status !== 'pending' && vo.status !== 'open') return;
    const q = Math.min(qty, vo.o.qty - vo.filled);
    if (q <= 0) return;
    const p = this.positions_.get(vo.o.symbol) ?? { qty: 0, avg: 0 };
    this.onFill(vo, q, p.qty);
    const signed = vo.o.side === 'buy' ? q : -q;
    const nq = p.qty + signed;
    if (p.qty === 0 || Math.sign(p.qty) === Math.sign(signed)) p.avg = (p.avg * Math.abs(p.qty) + price * q) / Math.abs(nq);
    else if (nq !== 0 && Math.sign(nq) !== Math.sign(p.qty)) p.avg = price;
    p.qty = nq;
    this.positions_.set(vo.o.symbol, p);
    vo.filled += q;
    vo.status = vo.filled >= vo.o.qty ? 'filled' : 'open'; // an execution implies the venue accepted it (it can no longer be rejected)
    const e: BrokerFillEvent = {
      kind: vo.status === 'filled' ? 'fill' : 'partial_fill', clientOrderId: vo.o.clientOrderId, brokerOrderId: vo.id, execId: `X${++this.exec}`,
      price, qty: q, cumQty: vo.filled, leavesQty: vo.o.qty - vo.filled, ts: this.now(),
    };
    this.executions.push(e);
    this.emit(e);
  }

  /** The venue confirms a requested cancel (with the filled quantity, as IB and Alpaca report it). */
  confirmCancel(vo: VenueOrder): void {
    if (!vo.cancelRequested || (vo.status !== 'pending' && vo.status !== 'open')) return;
    vo.status = 'canceled';
    this.emit({ kind: 'canceled', clientOrderId: vo.o.clientOrderId, brokerOrderId: vo.id, filledQty: vo.filled, ts: this.now() });
  }

  position(symbol: string): number {
    return this.positions_.get(symbol)?.qty ?? 0;
  }

  /**
   * The clearing house settles an option at its expiry: the contract position is gone and, when it expired in
   * the money, the underlying's shares are delivered at the strike (physical settlement, as IBKR reports it).
   */
  settle(symbol: string, delivery?: { underlying: string; shares: number; strike: number }): void {
    this.positions_.delete(symbol);
    if (!delivery?.shares) return;
    const p = this.positions_.get(delivery.underlying) ?? { qty: 0, avg: 0 };
    const nq = p.qty + delivery.shares;
    if (p.qty === 0 || Math.sign(p.qty) === Math.sign(delivery.shares)) p.avg = (p.avg * Math.abs(p.qty) + delivery.strike * Math.abs(delivery.shares)) / Math.abs(nq);
    else if (nq !== 0 && Math.sign(nq) !== Math.sign(p.qty)) p.avg = delivery.strike;
    p.qty = nq;
    this.positions_.set(delivery.underlying, p);
  }

  async positions(): Promise<BrokerPosition[]> {
    if (!this.connected) throw new BrokerError('unavailable', 'not connected');
    return [...this.positions_].filter(([, p]) => p.qty !== 0).map(([symbol, p]) => ({ symbol, qty: p.qty, avgPrice: p.avg }));
  }

  private view(v: VenueOrder): BrokerOpenOrder {
    return { clientOrderId: v.o.clientOrderId, brokerOrderId: v.id, symbol: v.o.symbol, side: v.o.side, qty: v.o.qty, filledQty: v.filled, status: v.status === 'open' ? 'accepted' : v.status === 'pending' ? 'pending_new' : v.status };
  }

  async openOrders(): Promise<BrokerOpenOrder[]> {
    if (!this.connected) throw new BrokerError('unavailable', 'not connected');
    return this.live().map((v) => this.view(v));
  }

  async orderByClientId(cid: string): Promise<BrokerOpenOrder | null> {
    if (!this.connected) throw new BrokerError('unavailable', 'not connected');
    const v = this.orders.get(cid);
    return v ? this.view(v) : null;
  }

  /** Executions since `sinceMs` (venue time), as a real venue's execution query filters them. */
  async fills(sinceMs?: number): Promise<BrokerFillEvent[]> {
    if (!this.connected) throw new BrokerError('unavailable', 'not connected');
    return sinceMs === undefined ? this.executions.slice() : this.executions.filter((e) => e.ts >= sinceMs);
  }
}
