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
 * IOC cancels what does not fill at once.
 *
 * The close (session time, `nowMs`): every DAY/OPG/CLS order and every MOC/LOC order is stamped when it
 * reaches the book with `sessionClose(now)`, the close of its session (NYSE: 16:00 New York, 13:00 on
 * early-close days; the session clock may jump past it, as the simulated clock does overnight). MOC/LOC
 * orders rest until then and fill in one execution at the closing price: the last mid seen before the close
 * (the mid at the first check after it when none was seen); a LOC whose limit the closing price does not
 * reach is canceled. DAY/OPG/CLS leftovers expire at the close. GTC orders never expire.
 *
 * Latency (wall time, off by default): `ackMs` before an order reaches the book and is acknowledged;
 * `fillMs` before each execution step once the order is marketable; `fillSlices` splits an order into that
 * many steps (partial fills). A cancel reaches the book `ackMs` after it is sent, like an order: one that
 * arrives before a step wins; one after it loses the race.
 */
import { NYSE } from '../../../analytics/calendar.js';
import type { Instrument } from '../../../analytics/instrument.js';
import { expiryCloseMs, settlementPrice } from '../../../analytics/optionExpiry.js';
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
import { validateOrder } from './validateOrder.js';

export type BookLevel = [price: number, size: number];
export interface PaperBook {
  bids: BookLevel[];
  asks: BookLevel[];
}
/** The book an order fills against; `clientOrderId` names the order asking (a recording keeps what it saw). */
export type PaperBookFn = (symbol: string, clientOrderId?: string) => PaperBook | undefined;

export interface PaperBrokerOptions {
  book: PaperBookFn;
  nowMs?: () => number;
  /** Adverse price move on every execution, in basis points (default 1). */
  slippageBps?: number;
  /** Extra adverse move for the part of a market order beyond the visible book (default 10 bps). */
  sweepPenaltyBps?: number;
  /** Wall ms before an order reaches the book and is acknowledged (default 0: the next macrotask). */
  ackMs?: number;
  /** Wall ms before each execution step of a marketable order (default 0: at once). */
  fillMs?: number;
  /** Steps an order fills in, each at most ⌈qty / fillSlices⌉ shares (default 1; IOC always takes one step). */
  fillSlices?: number;
  /** Re-check period for resting orders (default 50 ms). */
  pollMs?: number;
  /**
   * Close (epoch ms) of the session an order placed at `nowMs` belongs to: when MOC/LOC orders fill and
   * DAY/OPG/CLS orders expire (default: the NYSE calendar's next close, 16:00 or 13:00 New York).
   */
  sessionClose?: (nowMs: number) => number;
  /** Cash the account starts with (default 100,000): account() is this plus every fill's cash flow. */
  startingCash?: number;
  /**
   * Finished orders kept for `orderByClientId` (default 10,000) and executions kept for `fills` (default
   * 50,000), the oldest forgotten first: a paper account running for weeks otherwise held every order and
   * fill it ever made. Working orders are always kept.
   */
  keepFinishedOrders?: number;
  keepExecutions?: number;
  log?: BrokerLog;
}

/**
 * The paper account's margin model, Reg T: initial margin 50 % and maintenance 25 % of the gross position
 * value; buying power twice the equity above the initial margin; option premium is not marginable, so options
 * buying power is that excess once.
 */
export const PAPER_INITIAL_MARGIN = 0.5;
export const PAPER_MAINTENANCE_MARGIN = 0.25;

type PaperStatus = 'pending' | 'accepted' | 'new' | 'partially_filled' | 'filled' | 'canceled' | 'rejected' | 'expired';

interface PaperOrder {
  o: BrokerOrder;
  id: string;
  status: PaperStatus;
  filled: number;
  triggered: boolean;
  /** Session close the order expires (DAY/OPG/CLS) or is auctioned (MOC/LOC) at; undefined for GTC. */
  closeMs?: number;
  /** MOC/LOC: the last mid seen before the close. */
  closeMid?: number;
  /** False while the next execution step waits out `fillMs`. */
  fillReady: boolean;
}

interface Pos {
  qty: number;
  avgPrice: number;
  realized: number;
  /** The option contract, when the position is one (cash and P&L move by price × multiplier). */
  instrument?: Instrument;
  /** its expiry close (epoch ms), looked up once: settleExpired runs on every poke */
  expiresMs?: number;
}

/** An option position the paper account settled at its expiry (see settleExpired). */
export interface PaperExpiry {
  symbol: string;
  /** Signed contracts settled (the position before expiry). */
  qty: number;
  /** Per-share settlement: intrinsic value against the underlying's mid at the close, 0 when out of the money. */
  price: number;
  underlyingPrice: number;
  ts: number;
}

const EPS = 1e-9;

function multiplierOf(p: Pos): number {
  return p.instrument?.kind === 'option' ? p.instrument.multiplier : 1;
}

function isAuction(o: BrokerOrder): boolean {
  return o.type === 'moc' || o.type === 'loc';
}

function nonNegative(v: number, name: string): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new BrokerError('input', `PaperBroker: ${name} must be a finite number ≥ 0, got ${v}`);
  return v;
}
function positiveInt(v: number, name: string): number {
  if (!(Number.isInteger(v) && v >= 1)) throw new BrokerError('input', `PaperBroker: ${name} must be an integer ≥ 1, got ${v}`);
  return v;
}
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
  /** Client ids of finished orders, in the order they finished: the oldest are forgotten past the bound. */
  private readonly finished: string[] = [];
  private readonly keepFinished: number;
  private readonly keepExecutions: number;
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
  private readonly ackMs: number;
  private readonly fillMs: number;
  private readonly fillSlices: number;
  private readonly sessionClose: (nowMs: number) => number;
  private cash: number;

  constructor(private readonly opts: PaperBrokerOptions) {
    if (typeof opts.book !== 'function') throw new BrokerError('input', 'PaperBroker: book(symbol) is required');
    this.now = opts.nowMs ?? Date.now;
    this.log = opts.log ?? silentLog;
    this.slip = (opts.slippageBps ?? 1) / 10_000;
    this.sweep = (opts.sweepPenaltyBps ?? 10) / 10_000;
    this.pollMs = opts.pollMs ?? 50;
    this.ackMs = nonNegative(opts.ackMs ?? 0, 'ackMs');
    this.fillMs = nonNegative(opts.fillMs ?? 0, 'fillMs');
    this.fillSlices = opts.fillSlices ?? 1;
    if (!Number.isInteger(this.fillSlices) || this.fillSlices < 1) throw new BrokerError('input', `PaperBroker: fillSlices must be an integer ≥ 1, got ${opts.fillSlices}`);
    this.sessionClose = opts.sessionClose ?? ((now) => NYSE.nextCloseMs(now));
    this.keepFinished = positiveInt(opts.keepFinishedOrders ?? 10_000, 'keepFinishedOrders');
    this.keepExecutions = positiveInt(opts.keepExecutions ?? 50_000, 'keepExecutions');
    this.cash = opts.startingCash ?? 100_000;
    if (!(Number.isFinite(this.cash) && this.cash >= 0)) throw new BrokerError('input', `PaperBroker: startingCash must be a finite number ≥ 0, got ${opts.startingCash}`);
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
    const po: PaperOrder = { o: { ...o }, id: `paper-${this.session}-${++this.seq}`, status: 'pending', filled: 0, triggered: o.type !== 'stop' && o.type !== 'stop_limit', fillReady: true };
    this.orders.set(o.clientOrderId, po);
    this.stats.placed++;
    // The order reaches the "venue" after place() resolves, as with a real broker's acknowledgement.
    const arrive = () => this.arrive(po);
    if (this.ackMs > 0) setTimeout(arrive, this.ackMs);
    else setImmediate(arrive);
    return Promise.resolve();
  }

  private arrive(po: PaperOrder): void {
    if (po.status !== 'pending') return; // canceled before it arrived
    po.status = 'accepted';
    this.emit({ kind: 'accepted', clientOrderId: po.o.clientOrderId, brokerOrderId: po.id, ts: this.now() });
    if (!this.opts.book(po.o.symbol, po.o.clientOrderId)) {
      this.end(po, 'rejected', `no market data for ${po.o.symbol}`);
      this.stats.rejected++;
      return;
    }
    po.status = 'new';
    if (po.o.tif !== 'gtc' || isAuction(po.o)) po.closeMs = this.sessionClose(this.now());
    this.emit({ kind: 'new', clientOrderId: po.o.clientOrderId, brokerOrderId: po.id, ts: this.now() });
    this.working.push(po);
    if (this.fillMs > 0) this.waitFill(po);
    this.evaluate(po);
    this.compact();
    if (this.working.length > 0) this.schedule();
  }

  /** Re-check resting orders now (the engine may call this on book updates), optionally for one symbol. */
  poke(symbol?: string): void {
    this.settleExpired();
    for (const po of this.working.slice()) if (!symbol || po.o.symbol === symbol) this.evaluate(po);
    this.compact();
  }

  /** End of day now, whatever the clock says: working DAY/OPG/CLS orders expire (MOC/LOC too). */
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

  /** The next execution step waits `fillMs` (wall time); a cancel meanwhile wins. */
  private waitFill(po: PaperOrder): void {
    po.fillReady = false;
    const t = setTimeout(() => {
      po.fillReady = true;
      if (this.closed) return;
      this.evaluate(po);
      this.compact();
    }, this.fillMs);
    t.unref?.();
  }

  private evaluate(po: PaperOrder): void {
    if (!ACTIVE.has(po.status) || po.status === 'pending' || po.status === 'accepted') return;
    const o = po.o;
    if (isAuction(o)) return this.auction(po);
    if (po.closeMs !== undefined && this.now() >= po.closeMs) return this.end(po, 'expired', `${o.tif.toUpperCase()} order expired at the close`);
    if (!po.fillReady) return;
    const book = this.opts.book(o.symbol, o.clientOrderId);
    if (!book) return;
    const buy = o.side === 'buy';
    const levels = buy ? book.asks : book.bids;
    const best = levels.length > 0 ? levels[0][0] : NaN;
    if (!po.triggered) {
      const stop = o.stopPrice as number;
      if (Number.isFinite(best) && (buy ? best >= stop : best <= stop)) po.triggered = true;
      else return;
    }
    // One step takes at most a slice (IOC: everything at once); without fillMs the steps follow at once.
    // Whole shares per step when the order is in whole shares.
    const n = this.fillSlices;
    const slice = o.tif === 'ioc' ? o.qty : Number.isInteger(o.qty) ? Math.max(1, Math.ceil(o.qty / n)) : o.qty / n;
    for (let step = 0; step < this.fillSlices && ACTIVE.has(po.status); step++) {
      const before = po.filled;
      this.step(po, levels, buy, Math.min(o.qty, before + slice));
      if (po.filled <= before + EPS || this.fillMs > 0) break;
    }
    if (ACTIVE.has(po.status) && o.tif === 'ioc') this.end(po, 'canceled', 'IOC remainder');
  }

  /** One execution step: takes the book up to cumulative quantity `upTo`. */
  private step(po: PaperOrder, levels: BookLevel[], buy: boolean, upTo: number): void {
    const o = po.o;
    const limit = o.type === 'limit' || o.type === 'stop_limit' ? (o.limitPrice as number) : undefined;
    const side = buy ? 'a' : 'b';
    const before = po.filled;
    let worst = NaN;
    for (let i = 0; i < levels.length && po.filled < upTo - EPS; i++) {
      const [px, size] = levels[i];
      if (!(px > 0) || !(size > 0)) continue;
      if (limit !== undefined && (buy ? px > limit + EPS : px < limit - EPS)) break;
      worst = px;
      const st = this.levelState(o.symbol, side, px, size);
      const q = Math.min(size - st.taken, upTo - po.filled);
      if (q <= EPS) continue;
      st.taken += q;
      let fillPx = round(buy ? px * (1 + this.slip) : px * (1 - this.slip));
      if (limit !== undefined) fillPx = buy ? Math.min(fillPx, limit) : Math.max(fillPx, limit);
      this.fill(po, fillPx, q);
    }
    const left = upTo - po.filled;
    if (left > EPS && (o.type === 'market' || o.type === 'stop') && Number.isFinite(worst)) {
      // Beyond the visible book: the rest fills behind it, at a penalty.
      this.fill(po, round(buy ? worst * (1 + this.sweep) : worst * (1 - this.sweep)), left);
    }
    if (po.filled > before + EPS && ACTIVE.has(po.status) && this.fillMs > 0) this.waitFill(po);
  }

  /** MOC/LOC: sample the mid until the close, then one execution at the closing price. */
  private auction(po: PaperOrder): void {
    const o = po.o;
    const book = this.opts.book(o.symbol, o.clientOrderId);
    const bid = book?.bids[0]?.[0] as number;
    const ask = book?.asks[0]?.[0] as number;
    const mid = bid > 0 && ask > 0 ? round((bid + ask) / 2) : undefined;
    if (this.now() < (po.closeMs as number)) {
      if (mid !== undefined) po.closeMid = mid;
      return;
    }
    const px = po.closeMid ?? mid;
    if (px === undefined) return this.end(po, 'expired', 'no closing price (no market data at the close)');
    if (o.type === 'loc' && (o.side === 'buy' ? px > (o.limitPrice as number) : px < (o.limitPrice as number))) {
      return this.end(po, 'canceled', 'LOC limit not reached at the close');
    }
    this.fill(po, px, o.qty - po.filled);
  }

  private fill(po: PaperOrder, price: number, qty: number): void {
    const o = po.o;
    po.filled = Math.round((po.filled + qty) * 1e9) / 1e9;
    const done = po.filled >= o.qty - EPS;
    po.status = done ? 'filled' : 'partially_filled';
    if (done) this.finish(po);
    this.applyPosition(o.symbol, o.side === 'buy' ? qty : -qty, price, o.instrument);
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
    // forgotten in chunks (a tenth of the bound at a time): not a splice per fill
    if (this.executions.length > this.keepExecutions * 1.1) this.executions.splice(0, this.executions.length - this.keepExecutions);
    this.emit(e);
  }

  private applyPosition(symbol: string, signed: number, price: number, instrument?: Instrument): void {
    let p = this.positionsBySymbol.get(symbol);
    if (!p) this.positionsBySymbol.set(symbol, (p = { qty: 0, avgPrice: 0, realized: 0 }));
    if (instrument?.kind === 'option' && !p.instrument) {
      p.instrument = instrument;
      p.expiresMs = expiryCloseMs(instrument.expiry);
    }
    const mult = multiplierOf(p);
    const q0 = p.qty;
    const q1 = Math.round((q0 + signed) * 1e9) / 1e9;
    this.cash -= signed * price * mult;
    if (q0 === 0 || Math.sign(q0) === Math.sign(signed)) {
      p.avgPrice = (p.avgPrice * Math.abs(q0) + price * Math.abs(signed)) / Math.abs(q1);
    } else {
      const closed = Math.min(Math.abs(q0), Math.abs(signed));
      p.realized += (price - p.avgPrice) * closed * Math.sign(q0) * mult;
      if (q1 === 0) p.avgPrice = 0;
      else if (Math.sign(q1) !== Math.sign(q0)) p.avgPrice = price;
    }
    p.qty = q1;
  }

  private end(po: PaperOrder, status: 'canceled' | 'rejected' | 'expired', reason?: string): void {
    po.status = status;
    this.finish(po);
    this.emit({ kind: status, clientOrderId: po.o.clientOrderId, brokerOrderId: po.id, reason, ts: this.now() });
  }

  /** An order finished: past the bound, the oldest finished orders are forgotten (a tenth at a time). */
  private finish(po: PaperOrder): void {
    this.finished.push(po.o.clientOrderId);
    if (this.finished.length <= this.keepFinished * 1.1) return;
    for (const cid of this.finished.splice(0, this.finished.length - this.keepFinished)) {
      const o = this.orders.get(cid);
      if (o && !ACTIVE.has(o.status)) this.orders.delete(cid);
    }
  }

  private emit(e: BrokerEvent): void {
    this.fanout.emit(e);
  }

  async cancel(clientOrderId: string): Promise<void> {
    // A cancel travels as an order does: it reaches the book ackMs later (after an order sent before it),
    // and loses the race to whatever filled meanwhile.
    if (this.ackMs > 0) await new Promise((r) => setTimeout(r, this.ackMs));
    const po = this.orders.get(clientOrderId);
    if (!po || !ACTIVE.has(po.status)) return;
    if (po.status === 'pending') {
      // Not at the venue yet: it will never arrive.
      po.status = 'canceled';
      this.finish(po);
      this.emit({ kind: 'canceled', clientOrderId, brokerOrderId: po.id, ts: this.now() });
      return;
    }
    this.end(po, 'canceled');
    this.compact();
  }

  /** Cancels, one by one, every open order whose client order id starts with `prefix`; returns how many. */
  async cancelAll(prefix: string): Promise<number> {
    requireCancelPrefix(prefix);
    let n = 0;
    for (const po of [...this.orders.values()]) {
      if (!ACTIVE.has(po.status) || !po.o.clientOrderId.startsWith(prefix)) continue;
      await this.cancel(po.o.clientOrderId);
      n++;
    }
    return n;
  }

  async positions(): Promise<BrokerPosition[]> {
    this.settleExpired();
    const out: BrokerPosition[] = [];
    for (const [symbol, p] of this.positionsBySymbol) {
      if (Math.abs(p.qty) > EPS) out.push({ symbol, qty: p.qty, avgPrice: p.avgPrice, ...(p.instrument ? { instrument: p.instrument } : {}) });
    }
    return out;
  }

  /**
   * Cash after every fill; positions at the book's mid (their average price while the book has none), options
   * × their multiplier. Option value is not marginable: it counts whole in the initial and maintenance margin.
   */
  async account(): Promise<BrokerAccount> {
    this.settleExpired();
    let net = 0;
    let gross = 0;
    let options = 0;
    for (const [symbol, p] of this.positionsBySymbol) {
      if (Math.abs(p.qty) <= EPS) continue;
      const value = p.qty * this.markOf(symbol, p) * multiplierOf(p);
      net += value;
      if (p.instrument) options += Math.abs(value);
      else gross += Math.abs(value);
    }
    const equity = this.cash + net;
    const initialMargin = gross * PAPER_INITIAL_MARGIN + options;
    const excess = Math.max(0, equity - initialMargin);
    return {
      equity, cash: this.cash, buyingPower: 2 * excess, optionsBuyingPower: excess, initialMargin,
      maintenanceMargin: gross * PAPER_MAINTENANCE_MARGIN + options, currency: 'USD', accountId: 'paper',
    };
  }

  private markOf(symbol: string, p: Pos): number {
    const b = this.opts.book(symbol);
    const mid = b && b.bids.length && b.asks.length ? (b.bids[0][0] + b.asks[0][0]) / 2 : NaN;
    return mid > 0 ? mid : p.avgPrice;
  }

  /** Option positions this account settled at expiry, oldest first. */
  readonly expiries: PaperExpiry[] = [];
  /** Settlements put off because the underlying had no price (one per attempt). */
  expiryWaits = 0;

  /**
   * Expiry, as the account sees it the next time it is read after the close of the contract's last trading
   * day: a contract in the money by at least $0.01 is settled in cash at its intrinsic value against the
   * underlying's mid (the auto-exercise threshold, exercise and immediate sale of the shares netted), any
   * other expires worthless; the position is gone either way. Working orders on it have already expired as
   * DAY orders at that close. Without a price for the underlying it waits (counted) rather than guess.
   */
  settleExpired(): number {
    const now = this.now();
    let n = 0;
    for (const [symbol, p] of this.positionsBySymbol) {
      const i = p.instrument;
      if (!i || i.kind !== 'option' || Math.abs(p.qty) <= EPS || !(now >= (p.expiresMs as number))) continue;
      const b = this.opts.book(i.underlying);
      const s = b && b.bids.length && b.asks.length ? (b.bids[0][0] + b.asks[0][0]) / 2 : NaN;
      if (!(s > 0)) {
        this.expiryWaits++;
        continue;
      }
      const price = settlementPrice(i, s);
      const qty = p.qty;
      this.applyPosition(symbol, -qty, price, i);
      this.expiries.push({ symbol, qty, price, underlyingPrice: s, ts: now });
      this.log.info({ symbol, qty, price, underlying: s }, price > 0 ? 'option exercised at expiry (cash-settled at intrinsic)' : 'option expired worthless');
      n++;
    }
    return n;
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
