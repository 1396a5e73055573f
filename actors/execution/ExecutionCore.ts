import type { Redis } from 'ioredis';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { Logger } from '../../engine/log/logger.js';
import type { Broker, BrokerEvent, BrokerOrder } from './brokers/types.js';
import { applyEvent, isTerminal, newOrderRecord, type OrderRecord } from './OrderBookkeeping.js';
import { OrderJournal } from './OrderJournal.js';
import { Portfolio } from './Portfolio.js';
import { reconcile, type ReconcileReport } from './Reconciler.js';
import { CircuitBreaker } from './risk/CircuitBreaker.js';
import { RiskEngine, type RiskVerdict } from './risk/RiskEngine.js';

export const CID_PREFIX = 'AT-';
export const STRATEGY_NAMES: Record<number, string> = { 0: 'manual', 1: '0DTE', 2: '1DTE', 3: '14DTE', 4: 'MOC', 9: 'exit', 10: 'kill' };

export interface SignalInput {
  symbol: string;
  strategy: number;
  signalId: number;
  direction: number;
  confidence: number;
  price: number;
  target: number;
  stop: number;
  expiresMs: number;
  /** the triggering tick's header times, carried into the order events so latency is traced per order */
  ingestNs?: number;
  eventNs?: number;
}

/** Synthetic exit plan of an open position: stop, first target (scale-out), then a trailing stop. */
interface ExitPlan {
  entryCid: string;
  side: 1 | -1;
  entry: number;
  stop: number;
  target: number;
  trail: number; // trailing distance (fraction)
  best: number; // high-water (long) / low-water (short) mark since entry
  scaledOut: boolean;
  legs: number;
}

export interface ExecutionHooks {
  nowMs(): number; // session clock
  sessionDate(nowMs: number): string; // YYYYMMDD of the session
  marketOpen(nowMs: number): boolean;
  tradingHalted(): boolean;
  setTradingHalted(on: boolean): void;
  publishBreaker(state: string, reason: string | null, ts: number): void;
  onOrderEvent(r: OrderRecord, e: BrokerEvent): void; // hot-path notification (orders-out ring)
  /** fault injection for the crash test: called at named points; may kill the process */
  fault(point: 'after-journal' | 'before-fill-journal'): void;
}

/**
 * Execution: signals → risk → journal → broker, and broker events → journal → state → positions. Every
 * order passes risk, is journaled (and acknowledged by Redis) before it leaves, has a deterministic client
 * order id (so a retry or a re-derived signal never creates a second order), and is reconciled with the
 * broker after any restart before a new order is sent.
 */
export class ExecutionCore {
  readonly orders = new Map<string, OrderRecord>();
  readonly portfolio: Portfolio;
  readonly risk: RiskEngine;
  readonly breaker: CircuitBreaker;
  readonly journal: OrderJournal;
  readonly exits = new Map<string, ExitPlan>();
  ready = false;
  readonly counters = { signals: 0, ordersSent: 0, riskRejected: 0, brokerRejected: 0, brokerErrors: 0, duplicateSignals: 0, unknownFills: 0, journalFailures: 0, malformedSignals: 0 };
  lastReconcile: ReconcileReport | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly marks = new Map<string, number>();
  private readonly vols = new Map<string, { last: number; ewVar: number; n: number }>();
  lastDataMs = Date.now();

  constructor(
    private readonly cfg: EngineConfig,
    readonly broker: Broker,
    redis: Redis,
    private readonly hooks: ExecutionHooks,
    private readonly log: Logger,
  ) {
    this.portfolio = new Portfolio(cfg.risk.startingEquity);
    this.risk = new RiskEngine(cfg.risk, this.portfolio);
    this.breaker = new CircuitBreaker(cfg.risk.breakerQuietMs, cfg.risk.rejectRateTrip, (s) => hooks.publishBreaker(s.state, s.reason, s.ts));
    this.journal = new OrderJournal(redis);
    broker.onEvent((e) => void this.serial(() => this.onBrokerEvent(e)));
  }

  /** Everything that touches orders runs one at a time, in arrival order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => {});
    return p;
  }

  /** Start-up: rebuild from the journal, connect, reconcile with the broker; only then accept signals. */
  async start(): Promise<ReconcileReport> {
    // Idempotent: a start that failed half-way (broker unreachable) is simply run again from scratch.
    this.orders.clear();
    this.portfolio.reset();
    const loaded = await this.journal.load(Date.now());
    for (const [cid, r] of loaded.orders) this.orders.set(cid, r);
    for (const f of loaded.fills) {
      if (f.adjust) this.portfolio.setPosition(f.symbol, f.qty, f.price);
      else this.portfolio.applyFill(f.symbol, f.side * f.qty, f.price);
    }
    this.log.info({ orders: loaded.orders.size, fills: loaded.fills.length, entries: loaded.entries, bad: loaded.bad }, 'order journal replayed');
    await this.broker.connect();
    const rep = await this.serial(() => this.reconcileNow(0));
    this.ready = true;
    return rep;
  }

  async reconcileNow(sinceMs?: number): Promise<ReconcileReport> {
    const since = sinceMs ?? Date.now() - 24 * 3600_000;
    const rep = await reconcile(this.broker, this.orders, (cid, e) => this.record(cid, e), () => {
      const m = new Map<string, number>();
      for (const p of this.portfolio.positions.values()) if (p.qty !== 0) m.set(p.symbol, p.qty);
      return m;
    }, this.log, CID_PREFIX, since);
    this.lastReconcile = rep;
    // The paper broker lives inside the engine and starts empty after a restart: there the journal is the
    // truth. With a real broker, drift is an alert, and the broker's position wins (journaled, so a replay
    // reproduces the correction).
    if (rep.drift.length && this.broker.name !== 'paper') {
      this.log.error({ drift: rep.drift }, 'position drift between the engine and the broker: healing to the broker');
      const theirs = new Map((await this.broker.positions()).map((p) => [p.symbol, p]));
      for (const d of rep.drift) {
        const b = theirs.get(d.symbol);
        await this.journal.appendAdjustment(d.symbol, b?.qty ?? 0, b?.avgPrice ?? 0, `reconciliation: engine ${d.engine}, broker ${d.broker}`);
        this.portfolio.setPosition(d.symbol, b?.qty ?? 0, b?.avgPrice ?? 0);
      }
    }
    if (rep.abandoned || rep.fillsRecovered || rep.unknownAtBroker) this.log.warn({ ...rep }, 'reconciliation corrected the journal');
    return rep;
  }

  /** Journal first, then state: a broker event the engine acts on is always on disk before. */
  private async record(cid: string, e: BrokerEvent): Promise<void> {
    const r = this.orders.get(cid);
    if (!r) {
      this.counters.unknownFills++;
      this.log.warn({ cid, kind: e.kind }, 'broker event for an unknown order: ignored (counted)');
      return;
    }
    if ((e.kind === 'fill' || e.kind === 'partial_fill') && r.execIds.has(e.execId)) return;
    if (e.kind === 'fill' || e.kind === 'partial_fill') this.hooks.fault('before-fill-journal');
    await this.journal.appendEvent(cid, e);
    const t = applyEvent(r, e, Date.now());
    if (t.fill) this.applyFill(r, t.fill.price, t.fill.qty);
    if (t.changed) this.hooks.onOrderEvent(r, e);
  }

  private applyFill(r: OrderRecord, price: number, qty: number): void {
    const side = r.order.side === 'buy' ? 1 : -1;
    const before = this.portfolio.positions.get(r.order.symbol)?.qty ?? 0;
    this.portfolio.applyFill(r.order.symbol, side * qty, price);
    const after = this.portfolio.positions.get(r.order.symbol)?.qty ?? 0;
    if (after === 0) this.exits.delete(r.order.symbol);
    else if (!r.reduceOnly && Math.sign(after) === side && Math.abs(after) > Math.abs(before)) {
      const p = this.portfolio.positions.get(r.order.symbol)!;
      const e = this.cfg.execution;
      const existing = this.exits.get(r.order.symbol);
      this.exits.set(r.order.symbol, {
        entryCid: existing?.entryCid ?? r.order.clientOrderId,
        side: side as 1 | -1,
        entry: p.avgPrice,
        stop: p.avgPrice * (1 - side * e.stopLossPct),
        target: p.avgPrice * (1 + side * e.takeProfitPct),
        trail: e.trailingStopPct,
        best: price,
        scaledOut: existing?.scaledOut ?? false,
        legs: existing?.legs ?? 0,
      });
    }
  }

  private async onBrokerEvent(e: BrokerEvent): Promise<void> {
    if (e.kind === 'rejected') this.counters.brokerRejected++;
    this.breaker.brokerAnswer(e.kind === 'rejected', Date.now());
    try {
      await this.record(e.clientOrderId, e);
    } catch (err) {
      this.counters.journalFailures++;
      this.log.error({ err, cid: e.clientOrderId, kind: e.kind }, 'could not journal a broker event: the periodic reconciliation will recover it');
    }
  }

  /** A signal → an order (or nothing, with a reason). Deterministic client order id. */
  onSignal(s: SignalInput): Promise<string> {
    return this.serial(() => this.handleSignal(s));
  }

  private async handleSignal(s: SignalInput): Promise<string> {
    this.counters.signals++;
    if (!(s.direction === 1 || s.direction === -1) || !(s.price > 0) || !(s.confidence >= 0 && s.confidence <= 1) || !s.symbol) {
      this.counters.malformedSignals++;
      return 'malformed signal';
    }
    const now = this.hooks.nowMs();
    if (s.expiresMs > 0 && now > s.expiresMs) return 'signal expired';
    const cid = `${CID_PREFIX}${this.hooks.sessionDate(now)}-${STRATEGY_NAMES[s.strategy] ?? s.strategy}-${s.symbol}-${s.signalId}`;
    if (this.orders.has(cid)) {
      this.counters.duplicateSignals++;
      return 'duplicate signal (already journaled)';
    }
    const pos = this.portfolio.positions.get(s.symbol)?.qty ?? 0;
    if (pos !== 0 && Math.sign(pos) === s.direction) return 'already positioned in that direction';
    let qty: number;
    let reduceOnly = false;
    if (pos !== 0) {
      qty = Math.abs(pos); // an opposite signal closes the position (no reversal in one order)
      reduceOnly = true;
    } else {
      qty = Math.floor((this.cfg.execution.notionalPerSignal * s.confidence) / s.price);
      if (qty < 1) return 'size below one share';
    }
    const type = s.strategy === 4 ? 'moc' : 'market';
    const order: BrokerOrder = { clientOrderId: cid, symbol: s.symbol, side: s.direction > 0 ? 'buy' : 'sell', qty, type, tif: type === 'moc' ? 'cls' : 'day' };
    const verdict = this.checkRisk(order, s.price, reduceOnly, now);
    if (!verdict.ok) {
      this.counters.riskRejected++;
      return `risk: ${verdict.rule}: ${verdict.reason}`;
    }
    return this.send(order, s.strategy, reduceOnly, now, s);
  }

  /**
   * A manual order (operator command): same risk, journal and broker path as a signal. The command id makes
   * the client order id, so re-sending the same command never creates a second order.
   */
  manualOrder(symbol: string, side: 1 | -1, qty: number, commandId: string): Promise<string> {
    return this.serial(async () => {
      const now = this.hooks.nowMs();
      const cid = `${CID_PREFIX}${this.hooks.sessionDate(now)}-manual-${symbol}-${commandId}`;
      if (this.orders.has(cid)) return `duplicate: ${cid} already journaled`;
      const price = this.marks.get(symbol);
      if (!price) return `no market price for ${symbol}`;
      const pos = this.portfolio.positions.get(symbol)?.qty ?? 0;
      const reduceOnly = pos !== 0 && Math.sign(pos) !== side && qty <= Math.abs(pos);
      const order: BrokerOrder = { clientOrderId: cid, symbol, side: side > 0 ? 'buy' : 'sell', qty, type: 'market', tif: 'day' };
      const v = this.checkRisk(order, price, reduceOnly, now);
      if (!v.ok) {
        this.counters.riskRejected++;
        return `risk: ${v.rule}: ${v.reason}`;
      }
      return this.send(order, 0, reduceOnly, now);
    });
  }

  /**
   * `now` is session time (market hours); the order-rate window and the breaker's quiet period and cb:ts are
   * wall time: an accelerated simulated session must not loosen a rate limit or shorten a quiet period.
   */
  private checkRisk(o: BrokerOrder, price: number, reduceOnly: boolean, now: number): RiskVerdict {
    const v = this.vols.get(o.symbol);
    return this.risk.check(
      { symbol: o.symbol, side: o.side === 'buy' ? 1 : -1, qty: o.qty, price, reduceOnly, nowMs: Date.now(), marketOpen: this.hooks.marketOpen(now), dailyVol: v && v.n > 30 ? Math.sqrt(v.ewVar * 23_400) : NaN },
      this.breaker.isOpen, this.hooks.tradingHalted(),
      (sym) => {
        const w = this.vols.get(sym);
        return w && w.n > 30 ? Math.sqrt(w.ewVar * 23_400) : NaN;
      },
    );
  }

  /** Journal (acknowledged by Redis), then send. A failure to journal means the order is not sent. */
  private async send(order: BrokerOrder, strategy: number, reduceOnly: boolean, now: number, origin?: SignalInput): Promise<string> {
    const r = newOrderRecord(order, Date.now(), strategy, reduceOnly);
    r.originIngestNs = origin?.ingestNs;
    r.originEventNs = origin?.eventNs;
    try {
      await this.journal.appendIntent(r);
    } catch (err) {
      this.counters.journalFailures++;
      this.log.error({ err, cid: order.clientOrderId }, 'journal unavailable: order NOT sent');
      return 'journal unavailable';
    }
    this.orders.set(order.clientOrderId, r);
    this.hooks.fault('after-journal');
    this.counters.ordersSent++;
    try {
      await this.broker.place(order);
    } catch (err) {
      this.counters.brokerErrors++;
      this.breaker.brokerAnswer(true, Date.now());
      this.log.error({ err: String(err), cid: order.clientOrderId }, 'broker did not take the order; reconciliation will settle it');
      return 'broker error';
    }
    return `sent ${order.clientOrderId}`;
  }

  /** Marks from the book (cold snapshots): P&L, volatility for VaR, and the synthetic exits. */
  onMark(symbol: string, mid: number, nowMs: number): void {
    if (!(mid > 0)) return;
    this.lastDataMs = Date.now();
    const prev = this.marks.get(symbol);
    this.marks.set(symbol, mid);
    this.portfolio.mark(symbol, mid);
    if (prev && prev > 0) {
      // per-second-ish return variance, EWMA (λ = 0.97), scaled to a 6.5 h day for VaR
      const r = Math.log(mid / prev);
      const w = this.vols.get(symbol) ?? { last: mid, ewVar: 0, n: 0 };
      w.ewVar = w.n === 0 ? r * r : 0.97 * w.ewVar + 0.03 * r * r;
      w.n++;
      this.vols.set(symbol, w);
    }
    const plan = this.exits.get(symbol);
    const pos = this.portfolio.positions.get(symbol)?.qty ?? 0;
    if (!plan || pos === 0) return;
    plan.best = plan.side > 0 ? Math.max(plan.best, mid) : Math.min(plan.best, mid);
    let why: string | null = null;
    let qty = Math.abs(pos);
    if (plan.side * (mid - plan.stop) <= 0) why = 'stop-loss';
    else if (!plan.scaledOut && plan.side * (mid - plan.target) >= 0) {
      why = 'target: scale out';
      qty = Math.max(1, Math.floor(Math.abs(pos) * this.cfg.execution.scaleOutFraction));
      plan.scaledOut = true;
    } else if (plan.scaledOut && plan.side * (plan.best - mid) >= plan.best * plan.trail) why = 'trailing stop';
    if (!why) return;
    plan.legs++;
    const cid = `${plan.entryCid}-X${plan.legs}`;
    void this.serial(async () => {
      if (this.orders.has(cid)) return;
      const o: BrokerOrder = { clientOrderId: cid, symbol, side: plan.side > 0 ? 'sell' : 'buy', qty, type: 'market', tif: 'day' };
      const v = this.checkRisk(o, mid, true, nowMs);
      if (!v.ok) return void this.log.warn({ cid, why, rule: v.rule }, 'exit refused by risk');
      this.log.info({ cid, why, qty, mid }, 'exit');
      await this.send(o, 9, true, nowMs);
    });
  }

  /** Post-trade, on wall time: drawdown and stale data trip the breaker; stale orders are cancelled. */
  async tick(): Promise<void> {
    const wall = Date.now();
    const dd = this.portfolio.snapshot(wall);
    const r = this.cfg.risk;
    if (dd >= r.maxDrawdown) this.breaker.trip(`drawdown ${dd.toFixed(0)} ≥ ${r.maxDrawdown}`, wall);
    if (this.portfolio.openPositions.length && wall - this.lastDataMs > r.staleDataTripMs) {
      this.breaker.trip(`market data stale for ${((wall - this.lastDataMs) / 1000).toFixed(1)} s with positions open`, wall);
    }
    this.breaker.tick(wall);
    const stale = [...this.orders.values()].filter((o) => !isTerminal(o.state) && wall - o.createdMs > this.cfg.execution.staleOrderMs);
    for (const o of stale) {
      try {
        await this.broker.cancel(o.order.clientOrderId);
      } catch (err) {
        this.log.warn({ err: String(err), cid: o.order.clientOrderId }, 'stale order cancel failed');
      }
    }
  }

  /** Kill switch: halt new entries, trip the breaker, cancel everything, flatten every position. */
  async kill(reason: string, nowMs: number): Promise<{ cancelled: number; flattened: number }> {
    this.hooks.setTradingHalted(true);
    this.breaker.trip(`kill switch: ${reason}`, Date.now());
    return this.serial(async () => {
      const open = [...this.orders.values()].filter((o) => !isTerminal(o.state));
      try {
        await this.broker.cancelAll(CID_PREFIX);
      } catch (err) {
        this.log.error({ err: String(err) }, 'cancel-all failed; cancelling one by one');
        for (const o of open) await this.broker.cancel(o.order.clientOrderId).catch(() => {});
      }
      const flattened = await this.flattenUnlocked(nowMs, `kill-${Math.floor(nowMs / 1000)}`);
      return { cancelled: open.length, flattened };
    });
  }

  flatten(nowMs: number): Promise<number> {
    return this.serial(() => this.flattenUnlocked(nowMs, `flat-${Math.floor(nowMs / 1000)}`));
  }

  private async flattenUnlocked(nowMs: number, tag: string): Promise<number> {
    let n = 0;
    for (const p of this.portfolio.openPositions) {
      const cid = `${CID_PREFIX}${this.hooks.sessionDate(nowMs)}-${tag}-${p.symbol}`;
      if (this.orders.has(cid)) continue;
      const o: BrokerOrder = { clientOrderId: cid, symbol: p.symbol, side: p.qty > 0 ? 'sell' : 'buy', qty: Math.abs(p.qty), type: 'market', tif: 'day' };
      await this.send(o, 10, true, nowMs);
      this.exits.delete(p.symbol);
      n++;
    }
    return n;
  }

  openOrders(): OrderRecord[] {
    return [...this.orders.values()].filter((o) => !isTerminal(o.state));
  }
}
