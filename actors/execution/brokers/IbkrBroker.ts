/**
 * Interactive Brokers through @stoqey/ib's IBApi (TWS / IB Gateway, or the TWS simulator).
 *
 * Identity: TWS knows orders by numeric order id (from nextValidId); our client order id travels as
 * `orderRef` and comes back in OPEN_ORDER and EXECUTION_DATA, but not in ORDER_STATUS. So the adapter
 * keeps orderId ↔ clientOrderId, and rebuilds it after a restart from the open orders' and executions'
 * orderRef before anything else is placed. Every order is sent with `transmit: true` (protocols.md A5:
 * a plain Order without it would sit untransmitted in TWS).
 *
 * No duplicates: a client order id already mapped is never placed again. If TWS does not acknowledge a
 * placement in time, the adapter checks open orders and executions for the orderRef and, if absent,
 * re-sends with the SAME order id — TWS treats a repeated id as a modification of that order, never as
 * a second order.
 *
 * Events: first sighting → `accepted` then `new` (PreSubmitted/Submitted); execDetails → fills (each
 * execId once; cumQty from the execution); Cancelled/ApiCancelled → `canceled`; Inactive or error 201 →
 * `rejected` with the reason. After a dropped socket it reconnects with back-off, re-reads open orders
 * and executions and emits what it missed.
 *
 * Options: an order whose instrument is an option goes out as the OPT contract (engine/venues/
 * ibOptionContract: underlying, YYYYMMDD, strike, right, multiplier, tradingClass, padded OCC localSymbol),
 * quantities in whole contracts, prices per-share premium. What TWS reports for OPT (openOrder, execDetails,
 * position) is mapped back to the option instrument, keyed by the unpadded OCC symbol; a position's
 * avgCost (per contract, premium × multiplier plus commission) becomes a per-share avgPrice.
 */
import { EventName, IBApi, OrderAction, OrderType, SecType, TimeInForce, type Contract, type Execution, type Order, type OrderState } from '@stoqey/ib';
import { etTime } from '../../../analytics/calendar.js';
import { instrumentKey, type Instrument } from '../../../analytics/instrument.js';
import { ibOptionContract, instrumentOfContract } from '../../../engine/venues/ibOptionContract.js';
import { backoffMs, sleep } from './backoff.js';
import { EventFanout } from './EventFanout.js';
import {
  BrokerError,
  newBrokerStats,
  requireCancelPrefix,
  silentLog,
  type Broker,
  type BrokerEvent,
  type BrokerFillEvent,
  type BrokerLog,
  type BrokerAccount,
  type BrokerOpenOrder,
  type BrokerOrder,
  type BrokerPosition,
  type BrokerStats,
} from './types.js';
import { optionOrderProblem, validateOrder } from './validateOrder.js';

export interface IbkrBrokerOptions {
  host: string;
  port: number;
  clientId: number;
  /**
   * Account for orders, and the only one whose positions, open orders and executions are seen (another
   * account's are ignored and counted in stats.foreignAccount). Default: TWS's default account, no filter.
   */
  account?: string;
  exchange?: string;
  currency?: string;
  connectTimeoutMs?: number;
  /** Deadline for open-order / position / execution snapshots (default 5 s). */
  requestTimeoutMs?: number;
  /** How long a placement may go unacknowledged before it is checked and re-sent (default 5 s). */
  ackTimeoutMs?: number;
  /** Re-sends of an unacknowledged placement (same order id) before giving up as ambiguous (default 2). */
  maxResends?: number;
  /** Reconnect after a dropped socket (default true). */
  reconnect?: boolean;
  reconnectBaseMs?: number;
  maxReqPerSec?: number;
  log?: BrokerLog;
  nowMs?: () => number;
}

interface Track {
  clientOrderId: string;
  orderId: number;
  /** The instrument's key (ticker or unpadded OCC symbol). */
  symbol: string;
  instrument?: Instrument;
  side: 'buy' | 'sell';
  qty: number;
  cumQty: number;
  status: string;
  stage: 'submitted' | 'accepted' | 'live' | 'done';
  lastError?: string;
}

interface Ack {
  resolve: (how: 'ack' | 'rejected') => void;
}

/** The account summary tags account() asks for. */
const ACCOUNT_TAGS = 'NetLiquidation,TotalCashValue,BuyingPower,AvailableFunds,InitMarginReq,MaintMarginReq';

/** Order errors that end the order as rejected (price increment, no security definition, rejected, …). */
const REJECT_CODES = new Set([110, 200, 201, 203, 321, 387, 388, 434, 435, 436, 437, 10006]);
/** Cancel requests TWS could not act on (target missing, not cancellable): the order's state is unchanged. */
const CANCEL_REFUSED = new Set([161, 10147, 10148]);

function ibType(t: BrokerOrder['type']): OrderType {
  switch (t) {
    case 'market':
      return OrderType.MKT;
    case 'limit':
      return OrderType.LMT;
    case 'stop':
      return OrderType.STP;
    case 'stop_limit':
      return OrderType.STP_LMT;
    case 'moc':
      return OrderType.MOC;
    case 'loc':
      return OrderType.LOC;
  }
}

function ibTif(o: BrokerOrder): TimeInForce {
  if (o.type === 'moc' || o.type === 'loc') return TimeInForce.DAY; // the auction is in the order type
  switch (o.tif) {
    case 'ioc':
      return TimeInForce.IOC;
    case 'gtc':
      return TimeInForce.GTC;
    case 'opg':
      return TimeInForce.OPG;
    default:
      return TimeInForce.DAY;
  }
}

/** `{ instrument }` when there is one (an option), else nothing: share orders keep their plain shape. */
const withInstrument = (x: { instrument?: Instrument }): { instrument?: Instrument } => (x.instrument ? { instrument: x.instrument } : {});

export { optionOrderProblem } from './validateOrder.js';

/** Execution time "yyyyMMdd HH:mm:ss <tz>" (US/Eastern from TWS) or "yyyyMMdd-HH:mm:ss" (UTC). */
export function parseIbTime(s: string | undefined, fallback: number): number {
  if (!s) return fallback;
  const m = /^(\d{4})(\d{2})(\d{2})[ -](\d{2}):(\d{2}):(\d{2})(?:\s+(.+))?$/.exec(s.trim());
  if (!m) return fallback;
  const [, y, mo, d, h, mi, se, tz] = m;
  if (!tz || /^(UTC|GMT)$/i.test(tz)) return Date.UTC(+y, +mo - 1, +d, +h, +mi, +se);
  if (/^(US\/Eastern|America\/New_York|EST|EDT|EST5EDT)$/i.test(tz)) return etTime(`${y}-${mo}-${d}`, `${h}:${mi}`) + Number(se) * 1000;
  return fallback;
}

export class IbkrBroker implements Broker {
  readonly name = 'ibkr' as const;
  readonly stats: BrokerStats = newBrokerStats();
  private ib?: IBApi;
  private connected = false;
  private closing = false;
  private everConnected = false;
  private nextId = 0;
  private reqSeq = 90_000_000;
  private readonly log: BrokerLog;
  private readonly now: () => number;
  private readonly fanout: EventFanout;
  private readonly byCoid = new Map<string, Track>();
  private readonly byId = new Map<number, Track>();
  private readonly seenExec = new Set<string>();
  private readonly acks = new Map<number, Ack>();
  private readonly inflight = new Map<string, Promise<void>>();
  /** Listeners of in-progress snapshot requests (open orders, executions, positions). */
  private readonly snapshotTaps = new Set<(name: string, args: unknown[]) => void>();
  private snapshotLock: Promise<unknown> = Promise.resolve();
  private reconnectTimer?: NodeJS.Timeout;
  private attempt = 0;
  /** Aborted by close(): cuts back-off waits short; replaced on the next connect(). */
  private abort = new AbortController();

  constructor(private readonly opts: IbkrBrokerOptions) {
    if (!opts.host || !(opts.port > 0)) throw new BrokerError('input', 'IbkrBroker: host and port are required');
    this.log = opts.log ?? silentLog;
    this.now = opts.nowMs ?? Date.now;
    this.fanout = new EventFanout(this.stats, (err) => this.log.error({ err: String(err) }, 'ibkr broker: event listener threw'));
  }

  onEvent(cb: (e: BrokerEvent) => void): void {
    this.fanout.add(cb);
  }

  // ------------------------------------------------------------------ connection

  async connect(): Promise<void> {
    this.closing = false;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    await this.open();
    // Before any new order: who are our orders at TWS (orderRef = client order id)?
    await this.resync(false);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.abort.abort();
    clearTimeout(this.reconnectTimer);
    for (const a of this.acks.values()) a.resolve('ack');
    this.acks.clear();
    this.drop();
  }

  private drop(): void {
    const ib = this.ib;
    this.ib = undefined;
    this.connected = false;
    if (!ib) return;
    ib.removeAllListeners();
    ib.on(EventName.error, () => {});
    try {
      ib.disconnect();
    } catch {
      /* already closed */
    }
  }

  private open(): Promise<void> {
    const { host, port, clientId } = this.opts;
    const ib = new IBApi({ host, port, clientId, maxReqPerSec: this.opts.maxReqPerSec ?? 40 });
    this.ib = ib;
    this.wire(ib);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new BrokerError('unavailable', `TWS ${host}:${port}: no nextValidId within the connect timeout`)), this.opts.connectTimeoutMs ?? 10_000);
      const finish = (err?: Error) => {
        clearTimeout(timer);
        ib.off(EventName.nextValidId, onId);
        ib.off(EventName.disconnected, onDown);
        ib.off(EventName.info, onInfo);
        if (err) {
          if (this.ib === ib) this.drop();
          reject(err);
        } else {
          resolve();
        }
      };
      const onId = () => finish();
      const onDown = () => finish(new BrokerError('unavailable', `TWS ${host}:${port}: connection closed before nextValidId`));
      const onInfo = (_msg: string, code: number) => {
        if (code === 326) finish(new BrokerError('unavailable', `TWS: client id ${clientId} is already in use`));
      };
      ib.on(EventName.nextValidId, onId);
      ib.on(EventName.disconnected, onDown);
      ib.on(EventName.info, onInfo);
      try {
        ib.connect(clientId);
      } catch (err) {
        finish(new BrokerError('unavailable', `TWS connect failed: ${String(err)}`, undefined, err));
      }
    });
  }

  private scheduleReconnect(): void {
    if (this.closing || this.opts.reconnect === false || this.reconnectTimer) return;
    this.attempt++;
    const delay = backoffMs(this.attempt - 1, this.opts.reconnectBaseMs ?? 250, 10_000);
    this.log.warn({ delayMs: delay, attempt: this.attempt }, 'ibkr: connection lost, reconnecting');
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = undefined;
      try {
        await this.open();
        this.stats.reconnects++;
        this.attempt = 0;
        await this.resync(true);
      } catch (err) {
        this.log.warn({ error: String(err) }, 'ibkr: reconnect failed');
        this.drop();
        this.scheduleReconnect();
      }
    }, delay);
  }

  private wire(ib: IBApi): void {
    ib.on(EventName.nextValidId, (id: number) => {
      this.connected = true;
      this.everConnected = true;
      this.nextId = Math.max(this.nextId, id);
    });
    ib.on(EventName.disconnected, () => {
      if (this.ib !== ib) return;
      this.connected = false;
      this.drop();
      this.scheduleReconnect();
    });
    ib.on(EventName.openOrder, (orderId: number, contract: Contract, order: Order, state: OrderState) => {
      if (this.foreign(order?.account)) return;
      this.tap(EventName.openOrder, [orderId, contract, order, state]);
      this.onOpenOrder(orderId, contract, order, state);
    });
    ib.on(EventName.openOrderEnd, () => this.tap(EventName.openOrderEnd, []));
    ib.on(EventName.orderStatus, (orderId: number, status: string, filled: number, remaining: number) => {
      this.tap(EventName.orderStatus, [orderId, status, filled, remaining]);
      this.onOrderStatus(orderId, status, filled, remaining);
    });
    ib.on(EventName.execDetails, (reqId: number, contract: Contract, exec: Execution) => {
      if (this.foreign(exec?.acctNumber)) return;
      this.tap(EventName.execDetails, [reqId, contract, exec]);
      if (reqId === -1) this.onExecution(contract, exec, true);
    });
    ib.on(EventName.execDetailsEnd, (reqId: number) => this.tap(EventName.execDetailsEnd, [reqId]));
    ib.on(EventName.position, (account: string, contract: Contract, pos: number, avgCost?: number) => this.tap(EventName.position, [account, contract, pos, avgCost]));
    ib.on(EventName.positionEnd, () => this.tap(EventName.positionEnd, []));
    ib.on(EventName.accountSummary, (reqId: number, account: string, tag: string, value: string, currency: string) => this.tap(EventName.accountSummary, [reqId, account, tag, value, currency]));
    ib.on(EventName.accountSummaryEnd, (reqId: number) => this.tap(EventName.accountSummaryEnd, [reqId]));
    ib.on(EventName.error, (err: Error, code: number, reqId: number) => this.onError(err, code, reqId));
    ib.on(EventName.info, (msg: string, code: number) => {
      if (code === 1100) this.log.warn({ code }, 'ibkr: TWS lost connectivity to IB');
      else if (code === 1101 || code === 1102) {
        this.log.info({ code }, 'ibkr: TWS connectivity restored');
        void this.resync(true).catch(() => {});
      } else if (code !== 2104 && code !== 2106 && code !== 2158) this.log.info({ code, msg }, 'ibkr info');
    });
  }

  /** Whether an account named on a message is not the configured one (unnamed: ours). */
  private foreign(account: string | undefined): boolean {
    if (!this.opts.account || !account || account === this.opts.account) return false;
    this.stats.foreignAccount++;
    return true;
  }

  private tap(name: string, args: unknown[]): void {
    for (const t of this.snapshotTaps) t(name, args);
  }

  // ------------------------------------------------------------------ inbound

  private trackFromRef(orderId: number, ref: string | undefined, contract: Contract | undefined, order: Partial<Order> | undefined): Track | undefined {
    const known = this.byId.get(orderId);
    if (known) return known;
    if (!ref) return undefined;
    let t = this.byCoid.get(ref);
    if (!t) {
      const named = this.named(contract);
      t = {
        clientOrderId: ref,
        orderId,
        symbol: named.symbol,
        instrument: named.instrument,
        side: order?.action === OrderAction.SELL || order?.action === OrderAction.SSHORT ? 'sell' : 'buy',
        qty: Number(order?.totalQuantity ?? 0),
        cumQty: 0,
        status: '',
        stage: 'live',
      };
      this.byCoid.set(ref, t);
    }
    t.orderId = orderId;
    this.byId.set(orderId, t);
    return t;
  }

  /** The key and (for an option) the instrument of a contract TWS reports; an OPT contract naming no option is counted. */
  private named(contract: Contract | undefined): { symbol: string; instrument?: Instrument } {
    const i = instrumentOfContract(contract);
    if (!i) {
      this.stats.unknownEvents++;
      return { symbol: contract?.symbol ?? '' };
    }
    return i.kind === 'option' ? { symbol: instrumentKey(i), instrument: i } : { symbol: i.symbol };
  }

  private onOpenOrder(orderId: number, contract: Contract, order: Order, state: OrderState): void {
    const t = this.trackFromRef(orderId, order?.orderRef, contract, order);
    if (!t) {
      this.stats.unknownEvents++;
      return;
    }
    if (!t.qty) t.qty = Number(order?.totalQuantity ?? 0);
    if (state?.status) this.applyStatus(t, String(state.status));
  }

  private onOrderStatus(orderId: number, status: string, _filled: number, _remaining: number): void {
    const t = this.byId.get(orderId);
    if (!t) {
      // ORDER_STATUS carries no orderRef: unknown until OPEN_ORDER or a resync names it.
      this.stats.unknownEvents++;
      return;
    }
    this.applyStatus(t, status);
  }

  private applyStatus(t: Track, status: string): void {
    t.status = status;
    const ack = this.acks.get(t.orderId);
    switch (status) {
      case 'PendingSubmit':
      case 'ApiPending':
        this.live(t, false);
        ack?.resolve('ack');
        break;
      case 'PreSubmitted':
      case 'Submitted':
        this.live(t, true);
        ack?.resolve('ack');
        break;
      case 'Cancelled':
      case 'ApiCancelled':
        this.live(t, true);
        this.finish(t, 'canceled', t.lastError);
        ack?.resolve('ack');
        break;
      case 'Inactive':
        this.finish(t, 'rejected', t.lastError ?? 'order inactive at TWS');
        ack?.resolve('rejected');
        break;
      case 'Filled':
        this.live(t, true);
        ack?.resolve('ack');
        break;
      default:
        break;
    }
  }

  /** First sighting: `accepted`; `new` once the order works at TWS (PreSubmitted/Submitted or later). */
  private live(t: Track, working: boolean): void {
    const base = { clientOrderId: t.clientOrderId, brokerOrderId: String(t.orderId), ts: this.now() };
    if (t.stage === 'submitted') {
      t.stage = 'accepted';
      this.fanout.emit({ kind: 'accepted', ...base });
    }
    if (working && t.stage === 'accepted') {
      t.stage = 'live';
      this.fanout.emit({ kind: 'new', ...base });
    }
  }

  private finish(t: Track, kind: 'canceled' | 'rejected' | 'expired', reason?: string): void {
    if (t.stage === 'done') return;
    if (t.stage === 'submitted' && kind !== 'rejected') this.live(t, true);
    t.stage = 'done';
    if (kind === 'rejected') this.stats.rejected++;
    this.fanout.emit({ kind, clientOrderId: t.clientOrderId, brokerOrderId: String(t.orderId), reason, ts: this.now() });
  }

  private execToFill(contract: Contract | undefined, e: Execution): BrokerFillEvent | undefined {
    const orderId = Number(e.orderId);
    const t = this.trackFromRef(orderId, e.orderRef, contract, { action: e.side === 'SLD' ? OrderAction.SELL : OrderAction.BUY } as Partial<Order>);
    if (!t || !e.execId) {
      this.stats.unknownEvents++;
      return undefined;
    }
    const cumQty = Number(e.cumQty ?? 0);
    const qty = Number(e.shares ?? 0);
    const total = t.qty || cumQty;
    const leaves = Math.max(0, Math.round((total - cumQty) * 1e9) / 1e9);
    return {
      kind: leaves <= 1e-9 ? 'fill' : 'partial_fill',
      clientOrderId: t.clientOrderId,
      brokerOrderId: String(orderId),
      execId: e.execId,
      price: Number(e.price ?? 0),
      qty,
      cumQty,
      leavesQty: leaves,
      ts: parseIbTime(e.time, this.now()),
    };
  }

  private onExecution(contract: Contract, e: Execution, emit: boolean): void {
    const f = this.execToFill(contract, e);
    if (!f) return;
    if (this.seenExec.has(f.execId)) return;
    this.seenExec.add(f.execId);
    const t = this.byId.get(Number(e.orderId)) as Track;
    t.cumQty = Math.max(t.cumQty, f.cumQty);
    if (!emit) return;
    if (t.stage === 'submitted' || t.stage === 'accepted') this.live(t, true);
    this.fanout.emit(f);
    if (f.kind === 'fill') t.stage = 'done';
  }

  private onError(err: Error, code: number, reqId: number): void {
    const msg = err?.message ?? String(err);
    const t = reqId > 0 ? this.byId.get(reqId) : undefined;
    if (code === 202 && t) {
      this.finish(t, 'canceled', msg);
      this.acks.get(t.orderId)?.resolve('ack');
      return;
    }
    if (t && CANCEL_REFUSED.has(code)) {
      this.log.warn({ clientOrderId: t.clientOrderId, code, msg }, 'ibkr: cancel refused');
      return;
    }
    if (t && REJECT_CODES.has(code)) {
      t.lastError = `${code}: ${msg}`;
      this.finish(t, 'rejected', t.lastError);
      this.acks.get(t.orderId)?.resolve('rejected');
      return;
    }
    if (t) {
      t.lastError = `${code}: ${msg}`;
      if (code === 103) this.log.warn({ clientOrderId: t.clientOrderId }, 'ibkr: duplicate order id (re-send of a finished order ignored)');
      else this.log.warn({ clientOrderId: t.clientOrderId, code, msg }, 'ibkr: order message');
      return;
    }
    if (code === 502 || code === 504) {
      this.log.warn({ code, msg }, 'ibkr: not connected');
      return;
    }
    this.stats.errors++;
    this.log.warn({ code, reqId, msg }, 'ibkr: error');
  }

  // ------------------------------------------------------------------ snapshots

  /** Runs one snapshot request at a time (openOrderEnd and positionEnd carry no request id). */
  private snapshot<T>(what: string, send: (ib: IBApi, reqId: number) => void, collect: (name: string, args: unknown[], reqId: number) => boolean, result: () => T): Promise<T> {
    const run = async (): Promise<T> => {
      const ib = this.ib;
      if (!ib || !this.connected) throw new BrokerError('unavailable', `TWS not connected (${what})`);
      const reqId = ++this.reqSeq;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.snapshotTaps.delete(tap);
          reject(new BrokerError('unavailable', `TWS did not answer ${what} in time`));
        }, this.opts.requestTimeoutMs ?? 5_000);
        const tap = (name: string, args: unknown[]) => {
          if (collect(name, args, reqId)) {
            clearTimeout(timer);
            this.snapshotTaps.delete(tap);
            resolve();
          }
        };
        this.snapshotTaps.add(tap);
        send(ib, reqId);
      });
      return result();
    };
    const p = this.snapshotLock.then(run, run);
    this.snapshotLock = p.catch(() => undefined);
    return p;
  }

  private openOrderSnapshot(): Promise<Map<number, { contract: Contract; order: Order; status: string; filled: number }>> {
    const out = new Map<number, { contract: Contract; order: Order; status: string; filled: number }>();
    return this.snapshot(
      'open orders',
      (ib) => ib.reqOpenOrders(),
      (name, args) => {
        if (name === EventName.openOrder) {
          const [id, contract, order, state] = args as [number, Contract, Order, OrderState];
          const prev = out.get(id);
          out.set(id, { contract, order, status: String(state?.status ?? prev?.status ?? ''), filled: prev?.filled ?? 0 });
        } else if (name === EventName.orderStatus) {
          const [id, status, filled] = args as [number, string, number];
          const prev = out.get(id);
          if (prev) {
            prev.status = status;
            prev.filled = Number(filled) || 0;
          }
        }
        return name === EventName.openOrderEnd;
      },
      () => out,
    );
  }

  private executionSnapshot(): Promise<{ contract: Contract; exec: Execution }[]> {
    const out: { contract: Contract; exec: Execution }[] = [];
    return this.snapshot(
      'executions',
      (ib, reqId) => ib.reqExecutions(reqId, { clientId: this.opts.clientId, acctCode: this.opts.account ?? '' } as never),
      (name, args, reqId) => {
        if (name === EventName.execDetails && args[0] === reqId) out.push({ contract: args[1] as Contract, exec: args[2] as Execution });
        return name === EventName.execDetailsEnd && args[0] === reqId;
      },
      () => out,
    );
  }

  /**
   * Re-reads open orders and executions: names every order by its orderRef, and (after a reconnect)
   * emits the fills and endings the socket missed. At the first connect nothing is emitted: history
   * before this process is the reconciler's business (fills()).
   */
  private async resync(emit: boolean): Promise<void> {
    const open = await this.openOrderSnapshot();
    const execs = await this.executionSnapshot();
    for (const [id, o] of open) {
      const t = this.trackFromRef(id, o.order?.orderRef, o.contract, o.order);
      if (t && emit) this.applyStatus(t, o.status);
    }
    execs.sort((a, b) => Number(a.exec.cumQty ?? 0) - Number(b.exec.cumQty ?? 0));
    for (const { contract, exec } of execs) this.onExecution(contract, exec, emit);
    if (!emit) return;
    for (const t of this.byCoid.values()) {
      // Not open any more and not fully filled: TWS ended it while we were away.
      if ((t.stage === 'live' || t.stage === 'accepted') && !open.has(t.orderId) && !(t.qty > 0 && t.cumQty >= t.qty)) this.finish(t, 'canceled', 'no longer open at TWS after reconnect');
    }
  }

  // ------------------------------------------------------------------ orders

  place(o: BrokerOrder): Promise<void> {
    const bad = validateOrder(o) ?? optionOrderProblem(o);
    if (bad) {
      this.stats.badInput++;
      return Promise.reject(new BrokerError('input', `invalid order: ${bad}`, (o as Partial<BrokerOrder>)?.clientOrderId));
    }
    if (this.byCoid.has(o.clientOrderId)) {
      const running = this.inflight.get(o.clientOrderId);
      this.stats.duplicatesAvoided++;
      return running ?? Promise.resolve();
    }
    if (!this.ib || !this.connected) {
      return Promise.reject(new BrokerError('unavailable', 'TWS not connected: order not sent', o.clientOrderId));
    }
    const t: Track = { clientOrderId: o.clientOrderId, orderId: this.nextId++, symbol: o.symbol, instrument: o.instrument, side: o.side, qty: o.qty, cumQty: 0, status: '', stage: 'submitted' };
    this.byCoid.set(t.clientOrderId, t);
    this.byId.set(t.orderId, t);
    const p = this.send(o, t).finally(() => this.inflight.delete(o.clientOrderId));
    this.inflight.set(o.clientOrderId, p);
    return p;
  }

  private contract(o: BrokerOrder): Contract {
    const exchange = this.opts.exchange ?? 'SMART';
    const currency = this.opts.currency ?? 'USD';
    if (o.instrument?.kind === 'option') return ibOptionContract(o.instrument, exchange, currency);
    return { symbol: o.symbol, secType: SecType.STK, exchange, currency };
  }

  private ibOrder(o: BrokerOrder): Order {
    const order: Order = {
      action: o.side === 'buy' ? OrderAction.BUY : OrderAction.SELL,
      totalQuantity: o.qty,
      orderType: ibType(o.type),
      tif: ibTif(o),
      orderRef: o.clientOrderId,
      transmit: true,
    };
    if (o.limitPrice !== undefined) order.lmtPrice = o.limitPrice;
    if (o.stopPrice !== undefined) order.auxPrice = o.stopPrice;
    if (this.opts.account) order.account = this.opts.account;
    return order;
  }

  private async send(o: BrokerOrder, t: Track): Promise<void> {
    const maxResends = this.opts.maxResends ?? 2;
    for (let attempt = 0; attempt <= maxResends; attempt++) {
      const ib = this.ib;
      if (!ib || !this.connected) {
        await sleep(backoffMs(attempt, 250, 5_000), this.abort.signal);
        if (this.closing) break;
        continue;
      }
      if (attempt > 0) this.stats.retries++;
      const acked = new Promise<'ack' | 'rejected' | 'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), this.opts.ackTimeoutMs ?? 5_000);
        this.acks.set(t.orderId, {
          resolve: (how) => {
            clearTimeout(timer);
            resolve(how);
          },
        });
      });
      if (t.stage !== 'submitted') this.acks.get(t.orderId)?.resolve('ack');
      else {
        // Same order id on every attempt: TWS reads a repeat as a modification, never a second order.
        ib.placeOrder(t.orderId, this.contract(o), this.ibOrder(o));
        if (attempt === 0) this.stats.placed++;
      }
      const how = await acked;
      this.acks.delete(t.orderId);
      if (how !== 'timeout') return;
      this.stats.timeouts++;
      this.log.warn({ clientOrderId: t.clientOrderId, orderId: t.orderId }, 'ibkr: placement not acknowledged: checking before re-sending');
      try {
        const found = await this.venueOrder(t.clientOrderId);
        if (found) {
          this.live(t, true);
          return;
        }
      } catch (err) {
        this.log.warn({ error: String(err) }, 'ibkr: check after an unacknowledged placement failed');
      }
    }
    throw new BrokerError('ambiguous', `TWS never acknowledged order ${t.clientOrderId} (id ${t.orderId})`, t.clientOrderId);
  }

  async cancel(clientOrderId: string): Promise<void> {
    let t = this.byCoid.get(clientOrderId);
    if (!t) {
      await this.resync(false);
      t = this.byCoid.get(clientOrderId);
    }
    if (!t || t.stage === 'done') return;
    if (!this.ib || !this.connected) throw new BrokerError('unavailable', 'TWS not connected: cancel not sent', clientOrderId);
    this.ib.cancelOrder(t.orderId);
  }

  /**
   * One cancelOrder per open order of ours (TWS's open orders, plus the ones sent and not yet acknowledged),
   * never reqGlobalCancel: that would also cancel the operator's manual orders.
   */
  async cancelAll(prefix: string): Promise<number> {
    requireCancelPrefix(prefix);
    if (!this.ib || !this.connected) throw new BrokerError('unavailable', 'TWS not connected: cancels not sent');
    const ids = new Set<string>();
    for (const o of await this.openOrders()) if (o.clientOrderId.startsWith(prefix)) ids.add(o.clientOrderId);
    for (const t of this.byCoid.values()) if (t.stage !== 'done' && t.clientOrderId.startsWith(prefix)) ids.add(t.clientOrderId);
    let n = 0;
    for (const id of ids) {
      const t = this.byCoid.get(id);
      if (t?.stage === 'done') continue;
      await this.cancel(id);
      n++;
    }
    return n;
  }

  async positions(): Promise<BrokerPosition[]> {
    const out = new Map<string, BrokerPosition>();
    await this.snapshot(
      'positions',
      (ib) => ib.reqPositions(),
      (name, args) => {
        if (name === EventName.position) {
          const [account, contract, pos, avgCost] = args as [string, Contract, number, number];
          if (this.foreign(account)) return false;
          const { symbol, instrument } = this.named(contract);
          const qty = Number(pos) || 0;
          // IB's avgCost is per unit of quantity: per contract (× multiplier, commission in) for an option.
          const avgPrice = (Number(avgCost) || 0) / (instrument?.kind === 'option' ? instrument.multiplier : 1);
          if (symbol && qty !== 0) out.set(symbol, instrument ? { symbol, instrument, qty, avgPrice } : { symbol, qty, avgPrice });
          else out.delete(symbol);
        }
        return name === EventName.positionEnd;
      },
      () => undefined,
    );
    this.ib?.cancelPositions();
    return [...out.values()];
  }

  /**
   * One account summary (reqAccountSummary for the tags below, cancelled once its end arrives): the configured
   * account's, else the first account TWS names. Options buying power is AvailableFunds (premium is paid from
   * available funds, never on margin).
   */
  async account(): Promise<BrokerAccount> {
    const byAccount = new Map<string, Map<string, { value: string; currency: string }>>();
    let id = 0;
    await this.snapshot(
      'account summary',
      (ib, reqId) => {
        id = reqId;
        ib.reqAccountSummary(reqId, 'All', ACCOUNT_TAGS);
      },
      (name, args, reqId) => {
        if (name === EventName.accountSummary && args[0] === reqId) {
          const [, account, tag, value, currency] = args as [number, string, string, string, string];
          if (this.opts.account && account !== this.opts.account) return false;
          let m = byAccount.get(account);
          if (!m) byAccount.set(account, (m = new Map()));
          m.set(tag, { value, currency });
        }
        return name === EventName.accountSummaryEnd && args[0] === reqId;
      },
      () => undefined,
    ).finally(() => {
      if (id) this.ib?.cancelAccountSummary(id);
    });
    const [accountId, tags] = [...byAccount.entries()][0] ?? [];
    if (!tags || !tags.has('NetLiquidation')) {
      throw new BrokerError('unavailable', `TWS sent no account summary${this.opts.account ? ` for account ${this.opts.account}` : ''}`);
    }
    const v = (tag: string) => {
      const x = Number(tags.get(tag)?.value);
      return Number.isFinite(x) ? x : 0;
    };
    return {
      equity: v('NetLiquidation'), cash: v('TotalCashValue'), buyingPower: v('BuyingPower'), optionsBuyingPower: v('AvailableFunds'),
      initialMargin: v('InitMarginReq'), maintenanceMargin: v('MaintMarginReq'), currency: tags.get('NetLiquidation')?.currency || 'USD', accountId: accountId ?? '',
    };
  }

  async openOrders(): Promise<BrokerOpenOrder[]> {
    const open = await this.openOrderSnapshot();
    const out: BrokerOpenOrder[] = [];
    for (const [id, o] of open) {
      const t = this.trackFromRef(id, o.order?.orderRef, o.contract, o.order);
      const named = this.named(o.contract);
      out.push({
        clientOrderId: t?.clientOrderId ?? o.order?.orderRef ?? '',
        brokerOrderId: String(id),
        symbol: named.symbol,
        ...(named.instrument ? { instrument: named.instrument } : {}),
        side: o.order?.action === OrderAction.BUY ? 'buy' : 'sell',
        qty: Number(o.order?.totalQuantity ?? 0),
        filledQty: o.filled || t?.cumQty || 0,
        status: o.status,
      });
    }
    return out;
  }

  /**
   * Open orders first, then executions (a filled order is no longer open at TWS), then what this
   * process itself saw (e.g. canceled without fills). TWS does not report canceled orders of an earlier
   * session without fills (that needs REQ_COMPLETED_ORDERS): those answer null.
   */
  async orderByClientId(clientOrderId: string): Promise<BrokerOpenOrder | null> {
    const found = await this.venueOrder(clientOrderId);
    if (found) return found;
    const t = this.byCoid.get(clientOrderId);
    // Sent by this process, not acknowledged yet: pending, not unknown (IB's own name for the state).
    if (t?.stage === 'submitted') return { clientOrderId, brokerOrderId: String(t.orderId), symbol: t.symbol, ...withInstrument(t), side: t.side, qty: t.qty, filledQty: 0, status: 'PendingSubmit' };
    return null;
  }

  /** What TWS (or this process, for an acknowledged order) knows of an order; null when not acknowledged. */
  private async venueOrder(clientOrderId: string): Promise<BrokerOpenOrder | null> {
    const open = await this.openOrders();
    const hit = open.find((o) => o.clientOrderId === clientOrderId);
    if (hit) return hit;
    const execs = (await this.executionSnapshot()).filter((x) => x.exec.orderRef === clientOrderId);
    const t = this.byCoid.get(clientOrderId);
    if (execs.length > 0) {
      const last = execs.reduce((a, b) => (Number(b.exec.cumQty ?? 0) > Number(a.exec.cumQty ?? 0) ? b : a));
      const filled = Number(last.exec.cumQty ?? 0);
      const qty = t?.qty || filled;
      const named = last.contract ? this.named(last.contract) : { symbol: t?.symbol ?? '', instrument: t?.instrument };
      return {
        clientOrderId,
        brokerOrderId: String(last.exec.orderId),
        symbol: named.symbol,
        ...withInstrument(named),
        side: last.exec.side === 'SLD' ? 'sell' : 'buy',
        qty,
        filledQty: filled,
        status: filled >= qty ? 'Filled' : t?.status || 'Cancelled',
      };
    }
    if (t && t.stage !== 'submitted') {
      return { clientOrderId, brokerOrderId: String(t.orderId), symbol: t.symbol, ...withInstrument(t), side: t.side, qty: t.qty, filledQty: t.cumQty, status: t.status || 'Unknown' };
    }
    return null;
  }

  async fills(sinceMs?: number): Promise<BrokerFillEvent[]> {
    const execs = await this.executionSnapshot();
    const out: BrokerFillEvent[] = [];
    const seen = new Set<string>();
    for (const { contract, exec } of execs) {
      const f = this.execToFill(contract, exec);
      if (!f || seen.has(f.execId)) continue;
      if (sinceMs !== undefined && f.ts < sinceMs) continue;
      seen.add(f.execId);
      out.push(f);
    }
    return out;
  }

  /** Whether the socket is up and TWS has handed out order ids. */
  isConnected(): boolean {
    return this.connected && this.everConnected;
  }
}
