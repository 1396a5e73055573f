import { createHistogram } from 'node:perf_hooks';
import { FencedError } from '../../engine/redis/Lease.js';
import type { RedisLike } from '../../engine/redis/RedisClient.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { Logger } from '../../engine/log/logger.js';
import { BrokerError, type Broker, type BrokerAccount, type BrokerEvent, type BrokerOrder } from './brokers/types.js';
import { BrokerHealth, type BrokerHealthEvent } from './BrokerHealth.js';
import { ExecutionState, type DayState, type HaltRecord } from './ExecutionState.js';
import { archiveJournal } from './JournalArchive.js';
import { applyEvent, cidSessionDay, isTerminal, newOrderRecord, workingQty, type OrderPurpose, type OrderRecord } from './OrderBookkeeping.js';
import { ANSWER_KINDS, OrderJournal } from './OrderJournal.js';
import { ExerciseDeliveries } from './ExerciseDeliveries.js';
import { Portfolio } from './Portfolio.js';
import { reconcile, type ReconcileReport } from './Reconciler.js';
import { CircuitBreaker } from './risk/CircuitBreaker.js';
import { RiskEngine, type Exposure, type RiskVerdict } from './risk/RiskEngine.js';
import { SerialQueue } from './SerialQueue.js';
import { TradingStats } from './TradingStats.js';
import { NYSE } from '../../analytics/calendar.js';
import { option as optionInstrument, parseOcc, type Instrument, type OptionInstrument } from '../../analytics/instrument.js';
import { expiryCloseMs, settlementPrice } from '../../analytics/optionExpiry.js';
import { OptionMarket, type ContractQuote } from '../../analytics/optionMarket.js';
import { contractsFor, marketableLimit, repriceFraction } from '../../analytics/optionOrder.js';
import { addGreeks, checkOptionEntry, type Greeks } from './risk/OptionRisk.js';
import { sessionTimeOn } from './session/SessionSchedule.js';

export const CID_PREFIX = 'AT-';
export const STRATEGY_NAMES: Record<number, string> = { 0: 'manual', 1: '0DTE', 2: '1DTE', 3: '14DTE', 4: 'MOC', 9: 'exit', 10: 'kill' };
const EPS = 1e-9;
/** How far back reconciliation reads the broker's fills (start-up and periodic). */
const RECONCILE_WINDOW_MS = 24 * 3600_000;
/**
 * A finished order stays in memory this long after its last change (and after start, for replayed ones):
 * past reconciliation's window, so a fill of it the broker still reports is never taken for an order the
 * journal lost (adopted, counted twice).
 */
export const FORGET_FINISHED_AFTER_MS = RECONCILE_WINDOW_MS + 3600_000;

/** The session date (YYYYMMDD) of an option entry (a buy, not reduce-only) from its client id, or null for any other order. */
function optionEntryDay(r: OrderRecord): string | null {
  if (r.order.instrument?.kind !== 'option' || r.order.side !== 'buy' || r.reduceOnly) return null;
  return cidSessionDay(r.order.clientOrderId);
}

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
  /** when execution took the signal off its ring (engine clock): the order's wait in execution starts here */
  dequeueNs?: number;
  /** an option strategy's contract, chosen by signals (absent: shares, or no eligible contract) */
  option?: { expiry: string; right: 'C' | 'P'; strike: number };
}

/** Contracts at each side of an option's paper book (see optionBook). */
const PAPER_OPTION_DEPTH = 1_000_000;

/** Strategies that trade the option contract their signal chose (0DTE, 1DTE, 14DTE); MOC trades shares. */
export const OPTION_STRATEGY_IDS: ReadonlySet<number> = new Set([1, 2, 3]);

/** An option limit order's pricing schedule: re-priced (cancel, then the next price) up to a limit, then cancelled. */
interface Pricing {
  /** the order family's first send (wall): the timeout counts from it */
  firstWall: number;
  /** this order's send (wall) */
  sentWall: number;
  /** index of this order's price in the schedule (0 = first) */
  k: number;
  /** a cancel for a re-price was sent: its `canceled` sends the next price */
  repricing: boolean;
  /** cancelled at the timeout: no further price */
  timedOut: boolean;
}

/** Synthetic exit plan of an open position: stop, first target (scale-out), then a trailing stop. */
export interface ExitPlan {
  entryCid: string;
  side: 1 | -1;
  entry: number;
  stop: number;
  target: number;
  trail: number; // trailing distance (fraction)
  best: number; // high-water (long) / low-water (short) mark since entry, persisted (execution:exits)
}

export interface ExecutionHooks {
  nowMs(): number; // session clock
  /** wall clock (rate windows, quiet periods, ages, staleness); Date.now by default */
  wallMs?(): number;
  sessionDate(nowMs: number): string; // YYYYMMDD of the session
  marketOpen(nowMs: number): boolean;
  tradingHalted(): boolean;
  setTradingHalted(on: boolean): void;
  /** the supervisor escalated (restart storm): the breaker follows it */
  escalated?(): boolean;
  publishBreaker(state: string, reason: string | null, ts: number): void;
  onOrderEvent(r: OrderRecord, e: BrokerEvent): void; // hot-path notification (orders-out ring)
  /** the order is journaled and the broker took the call (tick → order ends here): hot path only */
  onOrderSent?(r: OrderRecord): void;
  /** the journal's Redis answered (true) or failed (false): health and the halt on a stalled Redis */
  journalHealth?(ok: boolean, reason?: string): void;
  /** an alert for a person (drift, stale data): the actor hands it to the supervisor's notifier */
  alert?(a: { rule: string; severity: 'info' | 'warning' | 'critical'; title: string; text: string; key?: string; fields?: Record<string, string | number | boolean | null>; endEpisode?: string }): void;
  /** preservation mode entered (true) or left (false): the actor publishes engine:preservation at once */
  preservation?(on: boolean): void;
  /**
   * a signal's turn in the order queue came: what it decides on (position, working orders) depends on how many
   * broker events the queue applied before it, which thread timing decides live (a recording keeps the count
   * `counters.brokerEvents` now: a replay applies exactly as many before the signal; decision 123)
   */
  signalTurn?(s: SignalInput): void;
  /** an option order's re-price or timeout decided on the wall clock (a recording keeps it: a replay applies it at the same point) */
  optionDecision?(d: { cid: string; why: 'reprice' | 'timeout' }): void;
  /** fault injection for the crash test: called at named points; may kill the process */
  fault(point: 'after-journal' | 'before-fill-journal'): void;
}

export interface KillOutcome {
  state: 'done' | 'pending';
  reason: string;
  cancelsSent: number;
  flattenOrders: number;
  working: { clientOrderId: string; symbol: string; side: string; qty: number; state: string }[];
  positions: { symbol: string; qty: number }[];
  breaker: string;
}

/**
 * Execution: signals → risk → journal → broker, and broker events → journal → state → positions.
 *
 * Correct by construction, not by timing:
 * - **one serial path**: signals, operator commands, broker events, exits and reconciliation run one at a
 *   time through one queue (the kill switch's work jumps it), so reconciliation never sees an order whose
 *   `place()` has not settled;
 * - **working quantity is first-class**: every exit, flatten, kill and closing signal is sized from the
 *   position net of the orders already working to close it, at most one exit per position is in flight, and
 *   every exposure rule counts working orders;
 * - **ids from journaled facts**: an order's client id derives from its signal, command or entry plus a leg
 *   number counted in the journal, so a retry or a restart maps to the id the journal already holds;
 * - **state that survives a restart**: exit plans are rebuilt from the journal (trailing anchors from
 *   Redis), the breaker, the kill halt and the day's equity references are read back before the first order.
 */
export class ExecutionCore {
  readonly orders = new Map<string, OrderRecord>();
  readonly portfolio: Portfolio;
  /** shares a physically settling broker owes or delivers for ITM options settled at expiry (not paper: cash) */
  readonly deliveries = new ExerciseDeliveries();
  readonly risk: RiskEngine;
  readonly breaker: CircuitBreaker;
  readonly journal: OrderJournal;
  readonly state: ExecutionState;
  readonly exits = new Map<string, ExitPlan>();
  readonly queue = new SerialQueue();
  ready = false;
  /**
   * How long an order intent takes to be acknowledged by Redis (µs, since start): on the order path before
   * every broker call, and on a 2-core host most of tick → order (issue 12). In monitoring:execution:metrics.
   */
  readonly journalIntentUs = createHistogram();

  readonly counters = {
    signals: 0, ordersSent: 0, riskRejected: 0, brokerRejected: 0, brokerErrors: 0, duplicateSignals: 0, unknownFills: 0,
    journalFailures: 0, malformedSignals: 0, stateWriteFailures: 0, crossedBooks: 0, staleTrips: 0, queueRefused: 0, adopted: 0,
    /** cluster mode: signals that reached this instance while another one owned execution (not traded here) */
    signalsNotOwner: 0,
    /** broker events taken off the queue (a recording stamps execution's cold inputs with it) */
    brokerEvents: 0,
    /** option strategy signals without a contract (signals found none eligible: the reason is on the signal) */
    noContract: 0, optionOrders: 0, reprices: 0, optionTimeouts: 0, cutoffCloses: 0, expirySettlements: 0, exerciseDeliveries: 0, deliveryWaits: 0, expiryAwaitingPrice: 0,
  };
  /** the last option signal that reached the entry decision: what the warm path decides again */
  private lastOptionSignal: SignalInput | undefined;
  /** live option quotes and, behind them, the chains: prices, marks and greeks of option contracts */
  readonly options: OptionMarket;
  /** every instrument the engine has an order or a position in, by key (ticker or OCC) */
  private readonly instruments = new Map<string, Instrument>();
  private readonly pricing = new Map<string, Pricing>();
  lastReconcile: ReconcileReport | null = null;
  /** the broker's health: preservation mode and the disconnected episode (BrokerHealth) */
  readonly health: BrokerHealth;
  /** the last good account read, with when (wall) and how long it took */
  account: (BrokerAccount & { ts: number; readMs: number }) | null = null;
  readonly accountStats = { reads: 0, failures: 0, lastError: '' };
  /** order → ack / fill latency, slippage, fills: for monitoring (/metrics) */
  readonly trading = new TradingStats();
  private accountReading = false;
  private nextAccountRead = 0;
  halt: HaltRecord | null = null;
  day: DayState | null = null;
  journalOk = true;
  /** orders that may still change a position, per symbol (pruned as they stop working): exposure without a scan */
  private readonly live = new Map<string, Set<OrderRecord>>();
  /**
   * Option entries by the session date in their client id: a signal's premium check reads the day's entries,
   * not every order kept (those of the journal's retention days: a scan per option signal that grew with them).
   */
  private readonly optionEntriesByDay = new Map<string, Map<string, OrderRecord>>();
  private readonly marks = new Map<string, number>();
  private readonly lastMarkWall = new Map<string, number>();
  private readonly vols = new Map<string, { last: number; ewVar: number; n: number }>();
  private readonly symbols: ReadonlySet<string>;
  private readonly pendingWrites = new Set<Promise<unknown>>();
  private startedWall = 0;
  private dayDirty = false;

  constructor(
    private readonly cfg: EngineConfig,
    readonly broker: Broker,
    private readonly redis: RedisLike,
    private readonly hooks: ExecutionHooks,
    private readonly log: Logger,
    journalStream?: string,
  ) {
    this.symbols = new Set(cfg.symbols.map((s) => s.symbol));
    this.portfolio = new Portfolio(cfg.risk.startingEquity, (key) => {
      const i = this.instrumentOf(key);
      return i.kind === 'option' ? i.multiplier : 1;
    });
    this.options = new OptionMarket({ chainFallback: cfg.execution.optionOrders.chainFallback, maxQuoteAgeMs: 10_000 });
    this.risk = new RiskEngine(cfg.risk, this.portfolio, this.exposure);
    this.risk.account = null; // tracked: no entry before the first good account read
    const p = cfg.execution.preservation;
    this.health = new BrokerHealth({ errorsToEnter: p.errorsToEnter, successesToLeave: p.successesToLeave, disconnectAlertMs: cfg.alerts.brokerDisconnectedMs });
    this.breaker = new CircuitBreaker(cfg.risk.breakerQuietMs, cfg.risk.rejectRateTrip, (s) => {
      hooks.publishBreaker(s.state, s.reason, s.ts);
      this.persist(this.state.saveBreaker(s));
    });
    this.journal = new OrderJournal(redis, journalStream);
    this.state = new ExecutionState(redis);
    broker.onEvent((e) => void this.queue.push(() => this.onBrokerEvent(e)).catch(() => this.counters.queueRefused++));
  }

  /** Every order the engine tracks goes through here (journal replay, adoption, send). */
  private track(r: OrderRecord): void {
    this.orders.set(r.order.clientOrderId, r);
    this.indexOptionEntry(r);
    if (r.order.instrument) this.instruments.set(r.order.symbol, r.order.instrument);
    if (workingQty(r) <= EPS && isTerminal(r.state)) return;
    let set = this.live.get(r.order.symbol);
    if (!set) this.live.set(r.order.symbol, (set = new Set()));
    set.add(r);
  }

  /** The instrument of a key: known from an order, else parsed (an OCC key is an option), else shares. */
  instrumentOf(key: string): Instrument {
    const known = this.instruments.get(key);
    if (known) return known;
    let i: Instrument = { kind: 'equity', symbol: key };
    if (/^[A-Z0-9]{1,6}\d{6}[CP]\d{8}$/.test(key)) {
      try {
        i = parseOcc(key);
      } catch {
        // not an OCC symbol after all: shares of that ticker
      }
    }
    this.instruments.set(key, i);
    return i;
  }

  /** Whether a key is the engine's: its underlying is a configured symbol (never decided on the OCC string). */
  ours(key: string): boolean {
    const i = this.instrumentOf(key);
    return this.symbols.has(i.kind === 'option' ? i.underlying : i.symbol);
  }

  private wall(): number {
    return this.hooks.wallMs ? this.hooks.wallMs() : Date.now();
  }

  /** A durable state write that must not block the order path: failures are counted and logged. */
  private persist(p: Promise<unknown>): void {
    const q = p.catch((err) => {
      this.counters.stateWriteFailures++;
      this.log.error({ err: String(err) }, 'could not persist execution state (breaker, day, exit anchor or halt)');
    });
    this.pendingWrites.add(q);
    void q.finally(() => this.pendingWrites.delete(q));
  }

  /** Resolves when every state write issued so far has landed (or failed): a clean stop waits for it. */
  async settled(): Promise<void> {
    await this.queue.idle();
    await Promise.all([...this.pendingWrites]);
  }

  // ─── exposure ──────────────────────────────────────────────────────────────────────────────────────────

  position(symbol: string): number {
    return this.portfolio.positions.get(symbol)?.qty ?? 0;
  }

  /** Working buy and sell quantity of a symbol (live orders' unfilled rest, and reported fills still in flight). */
  working(symbol: string, filter?: (o: OrderRecord) => boolean): { buy: number; sell: number } {
    let buy = 0;
    let sell = 0;
    const set = this.live.get(symbol);
    if (!set) return { buy, sell };
    for (const o of set) {
      const w = workingQty(o);
      if (w <= EPS) {
        if (isTerminal(o.state)) set.delete(o);
        continue;
      }
      if (filter && !filter(o)) continue;
      if (o.order.side === 'buy') buy += w;
      else sell += w;
    }
    return { buy, sell };
  }

  /** What may still close the position: |position| net of the orders already working against it. */
  closable(symbol: string): number {
    const pos = this.position(symbol);
    const w = this.working(symbol);
    return pos > 0 ? Math.max(0, pos - w.sell) : pos < 0 ? Math.max(0, -pos - w.buy) : 0;
  }

  readonly exposure: Exposure = {
    position: (s) => this.position(s),
    working: (s) => this.working(s),
    symbols: () => {
      const s = new Set(this.portfolio.positions.keys());
      for (const [sym, set] of this.live) if (set.size) s.add(sym);
      return s;
    },
  };

  // ─── start-up ──────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Start-up: rebuild orders, positions, exit plans, the breaker, the kill halt and the day from the journal
   * and Redis; connect; reconcile with the broker; only then run queued signals and commands.
   */
  async start(): Promise<ReconcileReport> {
    // Idempotent: a start that failed half-way (broker unreachable) is simply run again from scratch.
    this.queue.pause();
    this.ready = false;
    this.orders.clear();
    this.optionEntriesByDay.clear();
    this.live.clear();
    this.portfolio.reset();
    this.exits.clear();
    this.startedWall = this.wall();
    // What a crash left in the local write-ahead journal goes into the stream first: the replay sees it.
    const shipped = await this.journal.ahead?.recover();
    if (shipped) this.log.warn({ entries: shipped }, 'order journal: entries of the local journal a crash kept from Redis shipped before the replay');
    // Retention first, while nothing else appends: start-up replay does not grow with history.
    const arch = await archiveJournal(this.redis, this.journal.stream, this.wall(), this.cfg.execution.journalRetentionDays);
    if (arch.archived) this.log.info({ ...arch }, 'order journal: closed orders past the retention archived (positions carried forward)');
    const loaded = await this.journal.load(this.wall());
    for (const r of loaded.orders.values()) this.track(r);
    this.portfolio.replay(loaded.fills);
    this.deliveries.reset();
    for (const f of loaded.fills) this.noteDelivery(f);
    this.log.info({ orders: loaded.orders.size, fills: loaded.fills.length, entries: loaded.entries, bad: loaded.bad }, 'order journal replayed');
    await this.restoreControls();
    await this.brokerCall(() => this.broker.connect());
    const rep = await this.reconcileUnlocked(this.wall() - RECONCILE_WINDOW_MS);
    await this.readAccount(); // a failed read is counted; entries wait for a good one (the buying-power rule)
    await this.settleExpiries(this.hooks.nowMs()); // expiries while the engine was down (when marks are known)
    await this.rebuildExitPlans();
    await this.restoreDay();
    this.ready = true;
    this.queue.resume();
    return rep;
  }

  /**
   * Cluster mode, the execution lease lost: nothing more runs from the queue (the journal's fence refuses
   * appends anyway). The next grant runs start() again from scratch: journal replay and reconciliation first.
   */
  stepDown(): void {
    this.queue.pause();
    this.ready = false;
  }

  /** The breaker, the kill halt and an escalation are read back: a restart never reopens trading. */
  private async restoreControls(): Promise<void> {
    const b = await this.state.loadBreaker();
    if (b?.state === 'tripped') {
      this.breaker.restore(b);
      this.log.warn({ reason: b.reason }, 'circuit breaker was tripped before the restart: still tripped');
    }
    this.halt = await this.state.loadHalt();
    if (this.halt) {
      this.hooks.setTradingHalted(true);
      if (!this.breaker.isOpen) this.breaker.trip(`kill switch (before restart): ${this.halt.reason}`, this.wall());
      this.log.warn({ halt: this.halt }, 'engine was halted by the kill switch: entries stay blocked until `alphatrader breaker reset`');
    }
    const esc = await this.state.loadEscalation();
    if (esc && !this.breaker.isOpen) this.breaker.trip(`supervisor escalation: ${esc.reason}`, this.wall());
  }

  /**
   * Exit plans for every open position, from journaled facts: the entry (the last filled entry order on the
   * position's side), the average price, scale-outs done (target legs in the journal); the trailing anchor
   * from Redis, never looser than the entry price.
   */
  private async rebuildExitPlans(): Promise<void> {
    const anchors = await this.state.loadAnchors();
    for (const p of this.portfolio.openPositions) {
      const side = (p.qty > 0 ? 1 : -1) as 1 | -1;
      let entryCid = '';
      for (const o of this.orders.values()) {
        if (o.order.symbol === p.symbol && !o.reduceOnly && o.filledQty > 0 && (o.order.side === 'buy' ? 1 : -1) === side) entryCid = o.order.clientOrderId;
      }
      if (!entryCid) entryCid = `${CID_PREFIX}${this.hooks.sessionDate(this.hooks.nowMs())}-pos-${p.symbol}`;
      const a = anchors.get(p.symbol);
      const best = a && a.entryCid === entryCid ? (side > 0 ? Math.max(a.best, p.avgPrice) : Math.min(a.best, p.avgPrice)) : p.avgPrice;
      this.exits.set(p.symbol, this.planFor(entryCid, side, p.avgPrice, best, p.symbol));
    }
    this.log.info({ plans: [...this.exits.entries()].map(([s, x]) => ({ symbol: s, stop: x.stop, target: x.target, best: x.best })) }, 'exit plans rebuilt');
  }

  /** Stop, target and trail from the entry: the underlying's percentages for shares, premium terms for an option. */
  private planFor(entryCid: string, side: 1 | -1, entry: number, best: number, key: string): ExitPlan {
    const e = this.cfg.execution;
    if (this.instrumentOf(key).kind === 'option') {
      const o = e.optionOrders;
      return { entryCid, side, entry, stop: entry * (1 - side * o.stopPct), target: entry * (1 + side * o.targetPct), trail: o.trailPct, best };
    }
    return { entryCid, side, entry, stop: entry * (1 - side * e.stopLossPct), target: entry * (1 + side * e.takeProfitPct), trail: e.trailingStopPct, best };
  }

  /** The day's equity references: today's if stored, else set now (first start of the day). */
  private async restoreDay(): Promise<void> {
    const today = this.isoDate(this.hooks.nowMs());
    const d = await this.state.loadDay();
    if (d && d.date === today) {
      this.day = d;
      this.portfolio.setDay(d.startEquity, d.peakEquity);
    } else if (d && !this.hooks.marketOpen(this.hooks.nowMs())) {
      this.day = d; // before the open the last session's references stand; tick() rolls at the open
      this.portfolio.setDay(d.startEquity, d.peakEquity);
    } else {
      this.rollDay(today);
    }
  }

  private isoDate(nowMs: number): string {
    const d = this.hooks.sessionDate(nowMs);
    return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
  }

  private rollDay(date: string): void {
    const eq = this.portfolio.equity;
    this.day = { date, startEquity: eq, peakEquity: eq };
    this.portfolio.setDay(eq, eq);
    this.portfolio.peakEquity = eq;
    this.persist(this.state.saveDay(this.day));
    this.log.info({ date, startEquity: eq }, 'trading day rolled: daily loss and drawdown count from here');
  }

  // ─── reconciliation ────────────────────────────────────────────────────────────────────────────────────

  /** Periodic reconciliation: through the same queue as every order, never beside it. */
  reconcileNow(sinceMs?: number): Promise<ReconcileReport> {
    return this.queue.push(() => this.reconcileUnlocked(sinceMs ?? this.wall() - RECONCILE_WINDOW_MS));
  }

  private async reconcileUnlocked(sinceMs: number): Promise<ReconcileReport> {
    const rep = await this.brokerCall(() => reconcile({
      broker: this.broker,
      orders: this.orders,
      record: (cid, e) => this.record(cid, e),
      adopt: (r) => this.adopt(r),
      enginePositions: () => {
        const m = new Map<string, number>();
        for (const p of this.portfolio.positions.values()) if (p.qty !== 0) m.set(p.symbol, p.qty);
        return m;
      },
      ours: (symbol) => this.ours(symbol),
      log: this.log,
      prefix: CID_PREFIX,
      sinceMs,
      nowMs: this.wall(),
      ackTimeoutMs: this.cfg.execution.ackTimeoutMs,
    }), true);
    this.lastReconcile = rep;
    // The paper broker lives inside the engine and starts empty after a restart: there the journal is the
    // truth. With a real broker, drift on the engine's own symbols is an alert and the broker's position wins
    // (journaled, so a replay reproduces the correction). Foreign symbols are reported, never adopted.
    // Shares of an underlying whose expired option the engine has not settled yet (no underlying mark so far):
    // the broker may already show the exercise's delivery, which can only be booked once the settlement sets its
    // price (ExerciseDeliveries). Left for the next reconciliation, not healed at the strike, not alerted.
    const waiting = rep.drift.filter((d) => this.broker.name !== 'paper' && this.awaitingSettlement(d.symbol));
    if (waiting.length) {
      this.counters.deliveryWaits += waiting.length;
      rep.drift = rep.drift.filter((d) => !waiting.includes(d));
      this.log.warn({ drift: waiting }, 'share drift on an underlying with an expired option not yet settled: waiting for the settlement');
    }
    if (rep.drift.length && this.broker.name !== 'paper') {
      this.log.error({ drift: rep.drift }, 'position drift between the engine and the broker: healing to the broker');
      const theirs = new Map((await this.broker.positions()).map((p) => [p.symbol, p]));
      for (const d of rep.drift) {
        const b = theirs.get(d.symbol);
        // An option gone from the broker after its expiry is settled by settleExpiries (with its value), not healed.
        if (!b && this.expired(d.symbol, this.hooks.nowMs())) continue;
        // Shares delivered for an option settled at expiry: booked at the settlement price, not the broker's strike.
        const delivered = this.deliveries.match(d.symbol, (b?.qty ?? 0) - this.position(d.symbol));
        if (delivered) {
          await this.journal.appendDelivery(d.symbol, delivered.qty, delivered.price);
          this.portfolio.applyFill(d.symbol, delivered.qty, delivered.price);
          this.counters.exerciseDeliveries++;
          this.log.warn({ symbol: d.symbol, shares: delivered.qty, price: delivered.price }, 'shares delivered for options exercised or assigned at expiry: booked at the settlement price');
          if (this.position(d.symbol) === 0) this.dropPlan(d.symbol);
          else if (!this.exits.has(d.symbol)) {
            const side = (this.position(d.symbol) > 0 ? 1 : -1) as 1 | -1;
            this.exits.set(d.symbol, this.planFor(`${CID_PREFIX}${this.hooks.sessionDate(this.hooks.nowMs())}-pos-${d.symbol}`, side, delivered.price, delivered.price, d.symbol));
          }
          continue;
        }
        this.deliveries.clear(d.symbol);
        await this.journal.appendAdjustment(d.symbol, b?.qty ?? 0, b?.avgPrice ?? 0, `reconciliation: engine ${d.engine}, broker ${d.broker}`);
        this.portfolio.setPosition(d.symbol, b?.qty ?? 0, b?.avgPrice ?? 0);
        if ((b?.qty ?? 0) === 0) this.dropPlan(d.symbol);
        else if (!this.exits.has(d.symbol)) {
          const side = ((b?.qty ?? 0) > 0 ? 1 : -1) as 1 | -1;
          this.exits.set(d.symbol, this.planFor(`${CID_PREFIX}${this.hooks.sessionDate(this.hooks.nowMs())}-pos-${d.symbol}`, side, b!.avgPrice, b!.avgPrice, d.symbol));
        }
      }
    }
    if (rep.drift.length && this.broker.name !== 'paper') {
      this.hooks.alert?.({
        rule: 'drift', severity: 'critical', title: 'Position drift between the engine and the broker',
        text: rep.drift.map((d) => `${d.symbol}: engine ${d.engine}, broker ${d.broker}`).join('; '), key: rep.drift.map((d) => `${d.symbol}:${d.broker}`).join(','),
      });
    }
    if (rep.foreign.length) this.log.warn({ foreign: rep.foreign }, 'positions at the broker that are not the engine\'s (not configured symbols): reported, never traded');
    if (rep.abandoned || rep.fillsRecovered || rep.adopted) this.log.warn({ ...rep }, 'reconciliation corrected the journal');
    return rep;
  }

  /** An order the broker holds under our prefix that the journal lost (e.g. a Redis loss): journaled, then tracked. */
  private async adopt(b: { clientOrderId: string; brokerOrderId: string; symbol: string; side: 'buy' | 'sell'; qty: number }): Promise<void> {
    const r = newOrderRecord({ clientOrderId: b.clientOrderId, symbol: b.symbol, side: b.side, qty: b.qty, type: 'market', tif: 'day' }, this.wall(), 0, false, 'adopted');
    r.brokerOrderId = b.brokerOrderId;
    await this.journal.appendIntent(r);
    this.track(r);
    this.counters.adopted++;
  }

  // ─── broker events ─────────────────────────────────────────────────────────────────────────────────────

  /** Journal first, then state: a broker event the engine acts on is always on disk before. */
  private async record(cid: string, e: BrokerEvent): Promise<void> {
    const r = this.orders.get(cid);
    if (!r) {
      this.counters.unknownFills++;
      this.log.warn({ cid, kind: e.kind }, 'broker event for an unknown order: ignored (counted)');
      return;
    }
    const fill = e.kind === 'fill' || e.kind === 'partial_fill';
    if (fill && r.execIds.has(e.execId)) return;
    if (fill) this.hooks.fault('before-fill-journal');
    await this.journalCall(() => this.journal.appendEvent(cid, e, this.hooks.nowMs()));
    if (ANSWER_KINDS.has(e.kind)) this.answer(r, e.kind === 'rejected');
    const t = applyEvent(r, e, this.wall());
    if (t.fill) this.applyFill(r, t.fill.price, t.fill.qty);
    if (t.changed) this.hooks.onOrderEvent(r, e);
    if (t.changed && isTerminal(r.state)) this.afterOptionOrder(r);
  }

  /** The reject-rate rule counts one outcome per order: its first definitive answer. */
  private answer(r: OrderRecord, bad: boolean): void {
    if (r.answered) return;
    r.answered = true;
    this.breaker.brokerAnswer(bad, this.wall());
  }

  private applyFill(r: OrderRecord, price: number, qty: number): void {
    const side = r.order.side === 'buy' ? 1 : -1;
    const sym = r.order.symbol;
    const before = this.position(sym);
    this.portfolio.applyFill(sym, side * qty, price);
    const after = this.position(sym);
    if (after === 0) this.dropPlan(sym);
    else if (Math.sign(after) !== Math.sign(before) || (!r.reduceOnly && Math.abs(after) > Math.abs(before))) {
      // A new or larger position: the plan follows the average price; the trailing anchor restarts at this fill.
      const p = this.portfolio.positions.get(sym)!;
      const s = Math.sign(after) as 1 | -1;
      const entryCid = Math.sign(after) === Math.sign(before) ? (this.exits.get(sym)?.entryCid ?? r.order.clientOrderId) : r.order.clientOrderId;
      this.exits.set(sym, this.planFor(entryCid, s, p.avgPrice, price, sym));
      this.saveAnchor(sym);
    }
  }

  private dropPlan(symbol: string): void {
    if (this.exits.delete(symbol)) this.persist(this.state.saveAnchor(symbol, null));
  }

  private saveAnchor(symbol: string): void {
    const plan = this.exits.get(symbol);
    if (!plan) return;
    this.persist(this.state.saveAnchor(symbol, { entryCid: plan.entryCid, best: plan.best }));
  }

  private async onBrokerEvent(e: BrokerEvent): Promise<void> {
    this.counters.brokerEvents++;
    if (e.kind === 'rejected') this.counters.brokerRejected++;
    const r = this.orders.get(e.clientOrderId);
    const before = r?.state;
    const filledBefore = r?.filledQty ?? 0;
    try {
      await this.record(e.clientOrderId, e);
      if (r && before) {
        const fill = e.kind === 'fill' || e.kind === 'partial_fill' ? { price: e.price, qty: e.qty } : undefined;
        this.trading.observe(r, before, filledBefore, this.wall(), r.createdMs >= this.startedWall, fill);
      }
    } catch (err) {
      this.counters.journalFailures++;
      this.log.error({ err: String(err), cid: e.clientOrderId, kind: e.kind }, 'could not journal a broker event: the periodic reconciliation will recover it');
    }
  }

  /** The local journal's shipping to Redis stopped or resumed (journalAhead: local): the same health as a failed append. */
  journalShipping(ok: boolean, reason?: string): void {
    if (ok === this.journalOk) return;
    this.journalOk = ok;
    this.hooks.journalHealth?.(ok, reason);
  }

  /**
   * A journal call with the Redis health it reveals; rethrows so the caller refuses the order. Undefined
   * (no promise, nothing to await) when the entry was taken at once (the local journal).
   */
  private journalCall(fn: () => Promise<unknown> | undefined): Promise<void> | undefined {
    let p: Promise<unknown> | undefined;
    try {
      p = fn();
    } catch (err) {
      this.journalFailed(err);
    }
    if (!p) return void this.journalAnswered();
    return p.then(() => this.journalAnswered(), (err) => this.journalFailed(err));
  }

  private journalAnswered(): void {
    if (!this.journalOk && this.journal.healthy) {
      this.journalOk = true;
      this.hooks.journalHealth?.(true);
    }
  }

  private journalFailed(err: unknown): never {
    // refused by the execution lease's fence: Redis is fine, this instance no longer owns execution (it steps down)
    if (err instanceof FencedError) throw err;
    if (this.journalOk) {
      this.journalOk = false;
      this.hooks.journalHealth?.(false, String((err as Error)?.message ?? err));
    }
    throw err;
  }

  // ─── orders ────────────────────────────────────────────────────────────────────────────────────────────

  /** A signal → an order (or nothing, with a reason). Waits in the queue while the engine starts. */
  onSignal(s: SignalInput): Promise<string> {
    return this.queue.push(() => this.handleSignal(s)).catch((e) => {
      this.counters.queueRefused++;
      return `not queued: ${(e as Error).message}`;
    });
  }

  private async handleSignal(s: SignalInput): Promise<string> {
    this.counters.signals++;
    this.hooks.signalTurn?.(s);
    if (!(s.direction === 1 || s.direction === -1) || !(s.price > 0) || !(s.confidence >= 0 && s.confidence <= 1) || !s.symbol) {
      this.counters.malformedSignals++;
      return 'malformed signal';
    }
    if (!this.symbols.has(s.symbol)) {
      this.counters.malformedSignals++;
      return `unknown symbol ${s.symbol}`;
    }
    const now = this.hooks.nowMs();
    if (s.expiresMs > 0 && now > s.expiresMs) return 'signal expired';
    const cid = `${CID_PREFIX}${this.hooks.sessionDate(now)}-${STRATEGY_NAMES[s.strategy] ?? s.strategy}-${s.symbol}-${s.signalId}`;
    if (this.orders.has(cid)) {
      this.counters.duplicateSignals++;
      return 'duplicate signal (already journaled)';
    }
    if (OPTION_STRATEGY_IDS.has(s.strategy) && this.cfg.execution.optionOrders.enabled) {
      if (!s.option) {
        this.counters.noContract++;
        return `no option contract chosen (signals:{${s.symbol}}:latest says why)`;
      }
      return this.handleOptionSignal(s, cid, now);
    }
    const pos = this.position(s.symbol);
    const w = this.working(s.symbol, (o) => !o.reduceOnly);
    const workingSame = s.direction > 0 ? w.buy : w.sell;
    const workingOpposite = s.direction > 0 ? w.sell : w.buy;
    if ((pos !== 0 && Math.sign(pos) === s.direction) || workingSame > EPS) return 'already positioned or working in that direction';
    if (workingOpposite > EPS) return 'an entry in the opposite direction is still working';
    let qty: number;
    let reduceOnly = false;
    let purpose: OrderPurpose = 'entry';
    if (pos !== 0) {
      // An opposite signal closes the position (no reversal in one order), net of the exits already working.
      qty = this.closable(s.symbol);
      if (qty <= EPS) return 'an exit is already working for the whole position';
      reduceOnly = true;
      purpose = 'exit';
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
    return this.send(order, s.strategy, reduceOnly, purpose, undefined, s);
  }

  /**
   * A manual order (operator command): same risk, journal and broker path as a signal. The command's id (the
   * operator's `--id`, else the command's stream entry) makes the client order id, so the same command run
   * again never creates a second order.
   */
  manualOrder(symbol: string, side: 1 | -1, qty: number, commandId: string, limit?: { type: 'limit'; limitPrice?: number }): Promise<string> {
    return this.queue.push(async () => {
      const now = this.hooks.nowMs();
      const cid = this.manualOrderId(symbol, commandId, now);
      if (this.orders.has(cid)) return `duplicate: ${cid} already journaled`;
      if (!this.symbols.has(symbol)) return `unknown symbol ${symbol}`;
      const price = this.marks.get(symbol);
      if (!price) return `no market price for ${symbol}`;
      const pos = this.position(symbol);
      const reduceOnly = pos !== 0 && Math.sign(pos) !== side && qty <= this.closable(symbol) + EPS;
      const order: BrokerOrder = limit?.limitPrice
        ? { clientOrderId: cid, symbol, side: side > 0 ? 'buy' : 'sell', qty, type: 'limit', limitPrice: limit.limitPrice, tif: 'day' }
        : { clientOrderId: cid, symbol, side: side > 0 ? 'buy' : 'sell', qty, type: 'market', tif: 'day' };
      const v = this.checkRisk(order, price, reduceOnly, now);
      if (!v.ok) {
        this.counters.riskRejected++;
        return `risk: ${v.rule}: ${v.reason}`;
      }
      return this.send(order, 0, reduceOnly, 'manual');
    });
  }

  /** The client order id of a manual order: the session date, the symbol and the command's id. */
  manualOrderId(symbol: string, commandId: string, now = this.hooks.nowMs()): string {
    return `${CID_PREFIX}${this.hooks.sessionDate(now)}-manual-${symbol}-${commandId}`;
  }

  /** Operator cancel: one live order of ours, or all of them (one by one: never the venue's global cancel). */
  cancelOrders(cid?: string): Promise<number> {
    return this.queue.push(async () => {
      let n = 0;
      for (const o of this.openOrders()) {
        if (cid !== undefined && o.order.clientOrderId !== cid) continue;
        await this.broker.cancel(o.order.clientOrderId).catch((err) => this.log.warn({ err: String(err), cid: o.order.clientOrderId }, 'cancel failed'));
        n++;
      }
      return n;
    }, true);
  }

  /**
   * `now` is session time (market hours); the order-rate window and the breaker's quiet period and cb:ts are
   * wall time: an accelerated simulated session must not loosen a rate limit or shorten a quiet period.
   */
  private checkRisk(o: BrokerOrder, price: number, reduceOnly: boolean, now: number, dry = false): RiskVerdict {
    if (dry) return this.risk.preview(() => this.checkRisk(o, price, reduceOnly, now));
    const v = this.vols.get(o.symbol);
    const halted = this.hooks.tradingHalted() || this.halt !== null;
    return this.risk.check(
      { symbol: o.symbol, side: o.side === 'buy' ? 1 : -1, qty: o.qty, price, reduceOnly, nowMs: this.wall(), marketOpen: this.hooks.marketOpen(now), dailyVol: v && v.n > 30 ? Math.sqrt(v.ewVar * 23_400) : NaN },
      this.breaker.isOpen, halted,
      (sym) => {
        const w = this.vols.get(sym);
        return w && w.n > 30 ? Math.sqrt(w.ewVar * 23_400) : NaN;
      },
    );
  }

  /** Journal (acknowledged by Redis), then send. A failure to journal means the order is not sent. */
  private async send(order: BrokerOrder, strategy: number, reduceOnly: boolean, purpose: OrderPurpose, parent?: string, origin?: SignalInput): Promise<string> {
    // an exit closes the option position, anything else opens one (Alpaca's position_intent)
    if (order.instrument?.kind === 'option') order.positionIntent ??= reduceOnly ? 'close' : 'open';
    const r = newOrderRecord(order, this.wall(), strategy, reduceOnly, purpose, parent);
    r.originIngestNs = origin?.ingestNs;
    r.originEventNs = origin?.eventNs;
    r.originDequeueNs = origin?.dequeueNs;
    r.refPrice = origin?.price ?? this.marks.get(order.symbol);
    try {
      const t0 = performance.now();
      const stored = this.journalCall(() => this.journal.appendIntent(r, this.hooks.nowMs()));
      if (stored) await stored; // the local journal took it at once: the broker call follows in the same turn
      this.journalIntentUs.record(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    } catch (err) {
      this.counters.journalFailures++;
      const why = String((err as Error)?.message ?? err).split('\n')[0];
      this.log.error({ err: why, cid: order.clientOrderId }, 'journal unavailable: order NOT sent');
      return `journal unavailable: ${why}`;
    }
    this.track(r);
    if (order.instrument?.kind === 'option' && order.type === 'limit' && !this.pricing.has(order.clientOrderId)) {
      const w = this.wall();
      this.pricing.set(order.clientOrderId, { firstWall: w, sentWall: w, k: 0, repricing: false, timedOut: false });
    }
    this.hooks.fault('after-journal');
    this.counters.ordersSent++;
    try {
      await this.brokerCall(() => this.broker.place(order));
    } catch (err) {
      this.counters.brokerErrors++;
      this.answer(r, true);
      this.log.error({ err: String(err), cid: order.clientOrderId }, 'broker did not take the order; reconciliation will settle it');
      return 'broker error';
    }
    this.hooks.onOrderSent?.(r);
    return `sent ${order.clientOrderId}`;
  }

  /** The next client id of a leg family (`<base><sep><n>`), counted from the journal: deterministic across restarts. */
  private nextLeg(base: string, sep = '-'): string {
    let n = 0;
    const p = `${base}${sep}`;
    for (const cid of this.orders.keys()) {
      if (!cid.startsWith(p)) continue;
      const k = Number(cid.slice(p.length));
      if (Number.isInteger(k) && k > n) n = k;
    }
    return `${p}${n + 1}`;
  }

  // ─── marks and synthetic exits ─────────────────────────────────────────────────────────────────────────

  /**
   * A book top from the market (cold snapshots). A crossed or locked book is no price: counted, no mark, no
   * exit evaluated on it. Marks drive P&L, volatility for VaR, the per-symbol staleness rule and the exits.
   */
  onBook(symbol: string, bid: number, ask: number): void {
    if (!(bid > 0) || !(ask > 0) || !Number.isFinite(bid) || !Number.isFinite(ask)) return;
    if (bid >= ask) {
      this.counters.crossedBooks++;
      return;
    }
    this.onMark(symbol, (bid + ask) / 2);
  }

  onMark(symbol: string, mid: number): void {
    if (this.markDue(symbol, mid)) void this.queue.push(() => this.sendExit(symbol, mid)).catch(() => this.counters.queueRefused++);
  }

  /** Applies a mark; true when it triggers an exit that is not already working. */
  private markDue(symbol: string, mid: number): boolean {
    if (!(mid > 0) || !Number.isFinite(mid)) return false;
    this.lastMarkWall.set(symbol, this.wall());
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
    if (!plan || this.position(symbol) === 0) return false;
    const best = plan.side > 0 ? Math.max(plan.best, mid) : Math.min(plan.best, mid);
    if (best !== plan.best) {
      plan.best = best;
      this.saveAnchor(symbol);
    }
    return this.exitTrigger(plan, mid) !== null && this.closable(symbol) > EPS && !this.exitWorking(symbol);
  }

  /** Whether a target leg of this entry was sent (and not cancelled unfilled): the scale-out is done. */
  private scaledOut(plan: ExitPlan): boolean {
    for (const o of this.orders.values()) {
      if (o.parent === plan.entryCid && o.purpose === 'target' && (o.filledQty > 0 || !isTerminal(o.state))) return true;
    }
    return false;
  }

  private exitTrigger(plan: ExitPlan, mid: number): 'stop-loss' | 'target' | 'trailing stop' | null {
    if (plan.side * (mid - plan.stop) <= 0) return 'stop-loss';
    const scaled = this.scaledOut(plan);
    if (!scaled && plan.side * (mid - plan.target) >= 0) return 'target';
    if (scaled && plan.side * (plan.best - mid) >= plan.best * plan.trail) return 'trailing stop';
    return null;
  }

  /** Any live order closing this symbol's position (an exit, a flatten or kill leg, a closing signal, a manual close). */
  private exitWorking(symbol: string): boolean {
    const pos = this.position(symbol);
    const w = this.working(symbol, (o) => o.reduceOnly);
    return pos > 0 ? w.sell > EPS : w.buy > EPS;
  }

  /** Re-checked in the queue: another exit may have been sent since the mark that asked for this one. */
  private async sendExit(symbol: string, mid: number): Promise<void> {
    const plan = this.exits.get(symbol);
    const pos = this.position(symbol);
    if (!plan || pos === 0 || Math.sign(pos) !== plan.side || this.exitWorking(symbol)) return;
    const why = this.exitTrigger(plan, this.marks.get(symbol) ?? mid);
    if (!why) return;
    const closable = this.closable(symbol);
    const qty = why === 'target' ? Math.min(closable, Math.max(1, Math.floor(Math.abs(pos) * this.cfg.execution.scaleOutFraction))) : closable;
    if (qty <= EPS) return;
    const cid = this.nextLeg(`${plan.entryCid}-X`, '');
    if (this.orders.has(cid)) return;
    const o = this.closingOrder(cid, symbol, plan.side > 0 ? 'sell' : 'buy', qty);
    const v = this.checkRisk(o, mid, true, this.hooks.nowMs());
    if (!v.ok) return void this.log.warn({ cid, why, rule: v.rule, reason: v.reason }, 'exit refused by risk');
    this.log.info({ cid, why, qty, mid }, 'exit');
    await this.send(o, 9, true, why === 'target' ? 'target' : 'exit', plan.entryCid);
  }

  // ─── options ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * An option strategy's signal: the contract signals chose, bought with a marketable DAY limit sized in whole
   * contracts from the premium budget; a signal against an option position of the other right on the same
   * underlying closes it instead (no reversal in one order). Premium is only ever bought.
   */
  private async handleOptionSignal(s: SignalInput, cid: string, now: number): Promise<string> {
    const c = s.option!;
    let inst: OptionInstrument;
    try {
      inst = optionInstrument(s.symbol, c.expiry, c.right, c.strike);
    } catch (err) {
      this.counters.malformedSignals++;
      return `malformed option contract: ${(err as Error).message}`;
    }
    const want = s.direction > 0 ? 'C' : 'P';
    for (const key of [...this.exposure.symbols()]) {
      const i = this.instrumentOf(key);
      if (i.kind !== 'option' || i.underlying !== s.symbol) continue;
      const pos = this.position(key);
      const w = this.working(key, (o) => !o.reduceOnly);
      if (i.right === want && (pos > 0 || w.buy > EPS)) return 'already positioned or working in that direction';
      if (i.right !== want && w.buy > EPS) return 'an entry in the opposite direction is still working';
      if (i.right !== want && pos > 0) {
        const qty = this.closable(key);
        if (qty <= EPS) return 'an exit is already working for the whole position';
        const o = this.closingOrder(cid, key, 'sell', qty);
        const mark = this.marks.get(key) ?? o.limitPrice ?? NaN;
        const v = this.checkRisk(o, mark, true, now);
        if (!v.ok) {
          this.counters.riskRejected++;
          return `risk: ${v.rule}: ${v.reason}`;
        }
        return this.send(o, s.strategy, true, 'exit', undefined, { ...s, price: mark });
      }
    }
    this.lastOptionSignal = s;
    const e = this.optionEntry(s, inst, cid, now, false);
    if (!e.ok) {
      this.counters.riskRejected++;
      return `risk: ${e.rule}: ${e.reason}`;
    }
    this.instruments.set(inst.occ, inst);
    this.counters.optionOrders++;
    return this.send(e.order, s.strategy, false, 'entry', undefined, { ...s, price: e.mid });
  }

  /**
   * The entry an option signal opens: the contract priced (a marketable limit), sized from the premium
   * budget, every option and account rule checked; or the rule that refuses it, already counted by the risk
   * engine. `dry` (the warm path) changes nothing: no rejection or quote counted, nothing in the order-rate
   * window.
   */
  private optionEntry(s: SignalInput, inst: OptionInstrument, cid: string, now: number, dry: boolean): { ok: true; order: BrokerOrder; mid: number } | { ok: false; rule: string; reason: string } {
    const refuse = (rule: string, reason: string) => {
      if (!dry) this.risk.reject(rule, reason);
      return { ok: false as const, rule, reason };
    };
    const lim = this.cfg.risk.options;
    if (!lim.holdToExpiry && inst.expiry <= this.isoDate(now) && now >= (this.optionCutoffMs(this.isoDate(now)) ?? Infinity)) {
      return refuse('option-cutoff', `${inst.occ} expires today and the options cutoff (${lim.cutoff} New York) has passed`);
    }
    const q = this.options.quote(inst.occ, inst.underlying, this.wall(), !dry);
    if (!q) return refuse('option-price', `no quote for ${inst.occ} (no live quote, no chain row)`);
    const limit = marketableLimit(q, 1, this.cfg.execution.optionOrders.startFraction, inst.underlying);
    if (limit === null) return refuse('option-price', `the quote of ${inst.occ} cannot price an order (bid ${q.bid}, ask ${q.ask})`);
    const spent = this.premiumSpent(this.hooks.sessionDate(now));
    const size = contractsFor(limit, inst.multiplier, s.confidence, { maxPremiumPerTrade: lim.maxPremiumPerTrade, maxPremiumPerDay: lim.maxPremiumPerDay, spentToday: spent, maxContractsPerOrder: lim.maxContractsPerOrder });
    if (!size.ok) return refuse(size.reason === 'day-premium' ? 'option-premium-day' : size.reason === 'trade-premium' ? 'option-premium-trade' : 'option-price', size.detail);
    const v1 = checkOptionEntry(
      { occ: inst.occ, underlying: inst.underlying, contracts: size.contracts, premiumPerContract: limit * inst.multiplier, multiplier: inst.multiplier, greeks: q },
      { spentToday: spent, contractsIn: (k) => this.contractsIn(k), contractsOn: (u) => this.contractsOn(u), book: this.bookGreeks().net },
      lim,
    );
    if (!v1.ok) return refuse(v1.rule, v1.reason);
    const order: BrokerOrder = { clientOrderId: cid, symbol: inst.occ, instrument: inst, side: 'buy', qty: size.contracts, type: 'limit', limitPrice: limit, tif: 'day' };
    const v = this.checkRisk(order, limit, false, now, dry);
    return v.ok ? { ok: true, order, mid: (q.bid + q.ask) / 2 } : v;
  }

  /**
   * The warm path (decision 146): the last option signal's entry decided again, changing nothing. Run every
   * `execution.warmPathMs` so the order path's code stays optimised between signals that come seconds or
   * minutes apart (run tens of times a minute, it stays in V8's slower tiers). False when there is nothing
   * to warm (no option signal yet, or a contract that no longer parses).
   */
  warmOrderPath(): boolean {
    const s = this.lastOptionSignal;
    if (!s?.option) return false;
    try {
      const inst = optionInstrument(s.symbol, s.option.expiry, s.option.right, s.option.strike);
      this.optionEntry(s, inst, 'warm', this.hooks.nowMs(), true);
    } catch {
      return false; // the live decision meets the same throw, where it is answered
    }
    return true;
  }

  /**
   * A closing order: shares at market; an option as a limit at the near side of its quote (marketable, DAY),
   * re-priced on the schedule; at market only when no quote exists.
   */
  private closingOrder(cid: string, symbol: string, side: 'buy' | 'sell', qty: number): BrokerOrder {
    const i = this.instrumentOf(symbol);
    if (i.kind !== 'option') return { clientOrderId: cid, symbol, side, qty, type: 'market', tif: 'day' };
    const q = this.options.quote(i.occ, i.underlying, this.wall());
    const px = q ? marketableLimit(q, side === 'buy' ? 1 : -1, 1, i.underlying) : null;
    if (px === null) return { clientOrderId: cid, symbol, instrument: i, side, qty, type: 'market', tif: 'day' };
    return { clientOrderId: cid, symbol, instrument: i, side, qty, type: 'limit', limitPrice: px, tif: 'day' };
  }

  /** Premium of the session's option entries: filled at their fills, working at their limit. */
  premiumSpent(sessionDate: string): number {
    let sum = 0;
    for (const r of this.optionEntriesByDay.get(sessionDate)?.values() ?? []) {
      const m = (r.order.instrument as OptionInstrument).multiplier;
      sum += r.filledQty * r.avgPrice * m;
      if (!isTerminal(r.state)) sum += (r.order.qty - r.filledQty) * (r.order.limitPrice ?? r.avgPrice) * m;
    }
    return sum;
  }

  /** Files an option entry (a buy, not reduce-only) under the session date of its client id, by client id as `orders`. */
  private indexOptionEntry(r: OrderRecord): void {
    const day = optionEntryDay(r);
    if (day === null) return;
    let byCid = this.optionEntriesByDay.get(day);
    if (!byCid) this.optionEntriesByDay.set(day, (byCid = new Map()));
    byCid.set(r.order.clientOrderId, r);
  }

  private contractsIn(key: string): number {
    return Math.abs(this.position(key)) + this.working(key, (o) => !o.reduceOnly).buy;
  }

  private contractsOn(underlying: string): number {
    let n = 0;
    for (const key of this.exposure.symbols()) {
      const i = this.instrumentOf(key);
      if (i.kind === 'option' && i.underlying === underlying) n += this.contractsIn(key);
    }
    return n;
  }

  /**
   * The book's net greeks: option positions at their quote's greeks (live, else the chain's) × multiplier ×
   * contracts; shares add their quantity to delta. Per underlying and per position, for `risk:greeks`.
   */
  bookGreeks(): { net: Greeks; byUnderlying: Record<string, Greeks>; positions: { occ: string; qty: number; multiplier: number; source: string; greeks: Greeks }[]; unknown: string[] } {
    const wall = this.wall();
    const net: Greeks = { delta: 0, gamma: 0, vega: 0, theta: 0 };
    const byUnderlying: Record<string, Greeks> = {};
    const positions: { occ: string; qty: number; multiplier: number; source: string; greeks: Greeks }[] = [];
    const unknown: string[] = [];
    for (const p of this.portfolio.openPositions) {
      const i = this.instrumentOf(p.symbol);
      const u = i.kind === 'option' ? i.underlying : i.symbol;
      const g = (byUnderlying[u] ??= { delta: 0, gamma: 0, vega: 0, theta: 0 });
      if (i.kind === 'equity') {
        net.delta += p.qty;
        g.delta += p.qty;
        continue;
      }
      const q = this.options.quote(i.occ, i.underlying, wall, false);
      if (!q) {
        unknown.push(i.occ);
        continue;
      }
      addGreeks(net, q, i.multiplier, p.qty);
      addGreeks(g, q, i.multiplier, p.qty);
      positions.push({ occ: i.occ, qty: p.qty, multiplier: i.multiplier, source: q.source, greeks: { delta: q.delta, gamma: q.gamma, vega: q.vega, theta: q.theta } });
    }
    return { net, byUnderlying, positions, unknown };
  }

  /**
   * An option contract's book for the paper broker: its quote (live, else the chain's), one level a side, as
   * deep as any order (the paper broker fills options against it until it takes quotes itself through
   * `onOptionQuote`). Not the quoted sizes: a remainder resting behind them would fill on the paper broker's
   * polling, which no replay reproduces (partial option fills are the paper broker's own work).
   */
  optionBook(key: string): { bids: [number, number][]; asks: [number, number][] } | undefined {
    const i = this.instrumentOf(key);
    if (i.kind !== 'option') return undefined;
    const q = this.options.quote(i.occ, i.underlying, this.wall(), false);
    if (!q || !(q.bid > 0) || !(q.ask >= q.bid)) return undefined;
    return { bids: [[q.bid, PAPER_OPTION_DEPTH]], asks: [[q.ask, PAPER_OPTION_DEPTH]] };
  }

  /** Option keys live quotes are wanted for: held positions first, then working orders. */
  optionsWanted(): string[] {
    const held: string[] = [];
    const working: string[] = [];
    for (const key of this.exposure.symbols()) {
      if (this.instrumentOf(key).kind !== 'option') continue;
      if (this.position(key) !== 0) held.push(key);
      else if (workingAny(this.working(key))) working.push(key);
    }
    return [...held.sort(), ...working.sort()];
  }

  /** Marks every held or working option from its quote, in the order queue (after what is queued already). */
  markOptions(): Promise<void> {
    return this.queue.push(() => this.markOptionsInQueue()).catch(() => void this.counters.queueRefused++);
  }

  /**
   * Marks every held or working option from its quote (live, else the chain): P&L and the premium exits, sent
   * here and now. Called from inside an order-queue task that applied new quotes, so an exit follows the
   * quotes that caused it before any later signal, live and in a replay alike.
   */
  async markOptionsInQueue(): Promise<void> {
    const wall = this.wall();
    const due: [string, number][] = [];
    for (const key of [...this.exposure.symbols()]) {
      const i = this.instrumentOf(key);
      if (i.kind !== 'option') continue;
      const q = this.options.quote(i.occ, i.underlying, wall, false);
      const mid = q && q.bid > 0 && q.ask >= q.bid ? (q.bid + q.ask) / 2 : NaN;
      if (this.markDue(key, mid)) due.push([key, mid]);
    }
    for (const [key, mid] of due) await this.sendExit(key, mid);
  }

  /** An option position whose contract's expiry close has passed. */
  /** `symbol` is the underlying of an option position past its expiry close that is not settled yet. */
  private awaitingSettlement(symbol: string): boolean {
    if (this.instrumentOf(symbol).kind !== 'equity') return false;
    const now = this.hooks.nowMs();
    return this.portfolio.openPositions.some((p) => {
      const i = this.instrumentOf(p.symbol);
      return i.kind === 'option' && i.underlying === symbol && this.expired(p.symbol, now);
    });
  }

  private expired(key: string, now: number): boolean {
    const i = this.instrumentOf(key);
    return i.kind === 'option' && now >= expiryCloseMs(i.expiry);
  }

  /**
   * Option positions past their expiry close leave the book at their settlement value: intrinsic against the
   * underlying's mark when at least $0.01 in the money (exercise by exception, the shares' value netted),
   * else 0 — journaled as an `expiry` step, so P&L is realised once and a replay reproduces it. This is
   * also how an expiry that happened while the engine was down is accounted for after a restart (the broker
   * no longer lists the contract; the journal still holds it until this runs). Without a mark for the
   * underlying it waits (counted) rather than settle at a guess. Returns how many positions it settled.
   */
  /**
   * A journal step (live or replayed) as ExerciseDeliveries sees it: an ITM option settled on a broker that
   * delivers shares expects them; delivered shares booked, or a heal of the underlying, clear the expectation.
   */
  private noteDelivery(f: { symbol: string; qty: number; price: number; side?: number; expiry?: boolean; adjust?: boolean; delivery?: boolean; underlyingPrice?: number }): void {
    if (this.broker.name === 'paper') return; // the paper broker settles in cash
    if (f.adjust || f.delivery) return void this.deliveries.clear(f.symbol);
    if (!f.expiry || !(f.price > 0)) return;
    const i = this.instrumentOf(f.symbol);
    if (i.kind !== 'option') return;
    const contracts = f.side === undefined ? f.qty : -f.side * f.qty; // the position closed (a replayed step is the closing trade)
    this.deliveries.expect(i.underlying, contracts, i.right, i.multiplier, f.underlyingPrice ?? NaN);
  }

  private async settleExpiries(now: number): Promise<number> {
    let n = 0;
    for (const p of this.portfolio.openPositions) {
      const i = this.instrumentOf(p.symbol);
      if (i.kind !== 'option' || !this.ours(p.symbol) || !this.expired(p.symbol, now)) continue;
      const spot = this.marks.get(i.underlying);
      if (!(spot !== undefined && spot > 0)) {
        this.counters.expiryAwaitingPrice++;
        continue;
      }
      const price = settlementPrice(i, spot);
      const qty = p.qty;
      try {
        await this.journalCall(() => this.journal.appendExpiry(p.symbol, -qty, price, spot));
      } catch {
        this.counters.journalFailures++;
        continue; // the next tick tries again: the position stays until its settlement is journaled
      }
      const realized = this.portfolio.applyFill(p.symbol, -qty, price);
      this.dropPlan(p.symbol);
      this.counters.expirySettlements++;
      this.noteDelivery({ symbol: p.symbol, qty, price, expiry: true, underlyingPrice: spot });
      this.log.info({ symbol: p.symbol, contracts: qty, settlement: price, underlying: spot, realized }, price > 0 ? 'option position settled at expiry (in the money)' : 'option position expired worthless');
      n++;
    }
    return n;
  }

  /** The options cutoff of a session (New York; 3 h earlier on an early close, never after the close); null on a holiday. */
  optionCutoffMs(isoDate: string): number | null {
    const s = NYSE.sessionOpenClose(isoDate);
    return s ? Math.min(sessionTimeOn(NYSE, isoDate, this.cfg.risk.options.cutoff), s.closeMs) : null;
  }

  /**
   * Once a second: working option limits re-priced (cancel, then the next price on the `canceled`) until the
   * limit of re-prices, cancelled at the timeout; past the cutoff every expiring option position is closed
   * (unless holdToExpiry), net of what already works to close it.
   */
  private async optionTick(wall: number, now: number): Promise<void> {
    const oo = this.cfg.execution.optionOrders;
    for (const r of this.openOrders()) {
      const pr = this.pricing.get(r.order.clientOrderId);
      if (!pr || pr.repricing || pr.timedOut) continue;
      const timeout = wall - pr.firstWall >= oo.timeoutMs;
      if (!timeout && !(wall - pr.sentWall >= oo.repriceMs && pr.k < oo.maxReprices)) continue;
      this.optionCancel(r.order.clientOrderId, timeout ? 'timeout' : 'reprice');
    }
    if (this.cfg.risk.options.holdToExpiry) return;
    const date = this.isoDate(now);
    const cut = this.optionCutoffMs(date);
    if (cut === null || now < cut) return;
    const expiring = new Set(this.portfolio.openPositions.map((p) => p.symbol).filter((k) => {
      const i = this.instrumentOf(k);
      return i.kind === 'option' && i.expiry <= date && this.ours(k) && this.closable(k) > EPS;
    }));
    if (!expiring.size) return;
    const n = await this.queue.push(() => this.flattenUnlocked('eod', false, (k) => expiring.has(k)), true).catch(() => 0);
    this.counters.cutoffCloses += n;
    if (n) this.log.info({ orders: n, positions: [...expiring] }, 'options cutoff: expiring option positions closed');
  }

  /** Cancels a working option limit to re-price it (the next price follows its `canceled`) or at its timeout. */
  optionCancel(cid: string, why: 'reprice' | 'timeout'): void {
    const pr = this.pricing.get(cid);
    const r = this.orders.get(cid);
    if (!pr || !r || isTerminal(r.state) || pr.repricing || pr.timedOut) return;
    if (why === 'timeout') {
      pr.timedOut = true;
      this.counters.optionTimeouts++;
    } else pr.repricing = true;
    this.hooks.optionDecision?.({ cid, why });
    this.broker.cancel(cid).catch((err) => this.log.warn({ err: String(err), cid }, 'option order cancel (re-price/timeout) failed'));
  }

  /** An option limit order ended: a cancel asked for by a re-price sends the rest at the next price. */
  private afterOptionOrder(r: OrderRecord): void {
    const cid = r.order.clientOrderId;
    const pr = this.pricing.get(cid);
    if (!pr) return;
    this.pricing.delete(cid);
    if (!pr.repricing || r.state !== 'cancelled') return;
    const rest = r.order.qty - Math.max(r.filledQty, r.reportedFilled);
    if (rest <= EPS) return;
    void this.queue.push(() => this.reprice(r, pr, rest)).catch(() => this.counters.queueRefused++);
  }

  private async reprice(r: OrderRecord, pr: Pricing, rest: number): Promise<void> {
    const i = r.order.instrument;
    if (i?.kind !== 'option') return;
    const qty = r.reduceOnly ? Math.min(rest, this.closable(r.order.symbol)) : rest;
    if (qty <= EPS) return;
    const q = this.options.quote(i.occ, i.underlying, this.wall());
    const k = pr.k + 1;
    const oo = this.cfg.execution.optionOrders;
    const px = q ? marketableLimit(q, r.order.side === 'buy' ? 1 : -1, r.reduceOnly ? 1 : repriceFraction(k, oo.startFraction, oo.stepFraction), i.underlying) : null;
    if (px === null) return void this.log.warn({ cid: r.order.clientOrderId }, 'option re-price: no usable quote; not re-sent');
    const cid = this.nextLeg(`${r.order.clientOrderId.replace(/-P\d+$/, '')}-P`, '');
    if (this.orders.has(cid)) return;
    const order: BrokerOrder = { ...r.order, clientOrderId: cid, qty, limitPrice: px };
    const v = this.checkRisk(order, px, r.reduceOnly, this.hooks.nowMs());
    if (!v.ok) return void this.log.warn({ cid, rule: v.rule, reason: v.reason }, 'option re-price refused by risk');
    this.pricing.set(cid, { firstWall: pr.firstWall, sentWall: this.wall(), k, repricing: false, timedOut: false });
    this.counters.reprices++;
    await this.send(order, r.strategy, r.reduceOnly, r.purpose, r.parent);
  }

  // ─── broker account and health ─────────────────────────────────────────────────────────────────────────

  /**
   * A broker call whose outcome is the broker's health: an answer is a success, a failure the venue is
   * responsible for (unavailable, ambiguous, refused credentials) an error; our own bad input is neither.
   * `onlyBrokerErrors`: a composite call (reconciliation also writes the journal) counts only the adapter's
   * BrokerErrors, so a Redis failure is not taken for the broker's.
   */
  private async brokerCall<T>(fn: () => Promise<T>, onlyBrokerErrors = false): Promise<T> {
    try {
      const v = await fn();
      this.onHealth(this.health.success(this.wall()));
      return v;
    } catch (err) {
      const venue = err instanceof BrokerError ? err.kind !== 'input' : !onlyBrokerErrors;
      if (venue) this.onHealth(this.health.failure(this.wall(), String((err as Error)?.message ?? err).split('\n')[0]));
      throw err;
    }
  }

  /** Reads the account (start, every `accountPollMs`, every `preservation.probeMs` in preservation mode); never throws. */
  async readAccount(): Promise<BrokerAccount | null> {
    if (this.accountReading) return null;
    this.accountReading = true;
    const t0 = this.wall();
    try {
      const a = await this.brokerCall(() => this.broker.account());
      const ts = this.wall();
      this.account = { ...a, ts, readMs: ts - t0 };
      this.risk.account = { buyingPower: a.buyingPower, optionsBuyingPower: a.optionsBuyingPower, ts };
      this.accountStats.reads++;
      return a;
    } catch (err) {
      this.accountStats.failures++;
      this.accountStats.lastError = String((err as Error)?.message ?? err).split('\n')[0];
      this.log.warn({ err: this.accountStats.lastError }, 'broker account read failed');
      return null;
    } finally {
      this.accountReading = false;
      const e = this.cfg.execution;
      this.nextAccountRead = this.wall() + (this.health.preservation ? Math.min(e.preservation.probeMs, e.accountPollMs) : e.accountPollMs);
    }
  }

  /** Preservation mode and the disconnected episode: the risk rule, the log and the alerts. */
  private onHealth(events: BrokerHealthEvent[]): void {
    for (const e of events) {
      switch (e.kind) {
        case 'preservation-enter':
          this.risk.preservation = this.health.refusal;
          this.log.error({ reason: e.reason }, 'PRESERVATION MODE: no new entries (exits allowed) until the broker answers again');
          this.hooks.alert?.({ rule: 'preservation', severity: 'critical', title: 'Preservation mode: no new entries', text: e.reason, key: 'broker', fields: { errors: e.errors }, endEpisode: 'preservation-left' });
          this.hooks.preservation?.(true);
          this.nextAccountRead = Math.min(this.nextAccountRead, this.wall() + this.cfg.execution.preservation.probeMs);
          break;
        case 'preservation-leave':
          this.risk.preservation = null;
          this.log.warn({ successes: e.successes, sinceMs: e.sinceMs }, 'preservation mode left: the broker answers again, entries allowed');
          this.hooks.alert?.({ rule: 'preservation-left', severity: 'info', title: 'Preservation mode left: entries allowed again', text: `after ${e.successes} consecutive broker successes, ${(e.sinceMs / 1000).toFixed(0)} s in preservation mode`, key: 'broker', endEpisode: 'preservation' });
          this.hooks.preservation?.(false);
          break;
        case 'disconnected':
          this.log.error({ downSince: e.downSince, reason: e.reason }, 'broker disconnected');
          this.hooks.alert?.({ rule: 'broker-disconnected', severity: 'critical', title: `Broker ${this.broker.name} disconnected for ${((e.at - e.downSince) / 1000).toFixed(0)} s`, text: e.reason, key: this.broker.name, fields: { broker: this.broker.name, downSince: new Date(e.downSince).toISOString() }, endEpisode: 'broker-reconnected' });
          break;
        case 'reconnected':
          this.log.warn({ downMs: e.downMs }, 'broker connection back');
          this.hooks.alert?.({ rule: 'broker-reconnected', severity: 'info', title: `Broker ${this.broker.name} connected again`, text: `after ${(e.downMs / 1000).toFixed(0)} s`, key: this.broker.name, endEpisode: 'broker-disconnected' });
          break;
      }
    }
  }

  // ─── periodic ──────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Post-trade, once a second on wall time: the day rolls at the session open; drawdown, per-symbol stale
   * data and an escalation trip the breaker; live orders past `staleOrderMs` are cancelled (auction orders
   * wait for their auction); a kill episode keeps flattening until flat.
   */
  async tick(): Promise<void> {
    const wall = this.wall();
    const now = this.hooks.nowMs();
    const today = this.isoDate(now);
    if (this.day && this.day.date !== today && this.hooks.marketOpen(now)) this.rollDay(today);
    if (wall >= this.nextForgetWall) {
      this.nextForgetWall = wall + 600_000;
      const n = this.forgetFinished(wall);
      if (n) this.log.info({ orders: n, kept: this.orders.size }, 'finished orders past the reconciliation window forgotten (the journal keeps them)');
    }
    const dd = this.portfolio.snapshot(wall);
    if (this.day && this.portfolio.peakEquity > this.day.peakEquity + EPS) {
      this.day.peakEquity = this.portfolio.peakEquity;
      this.dayDirty = true;
    }
    if (this.dayDirty && this.day) {
      this.dayDirty = false;
      this.persist(this.state.saveDay(this.day));
    }
    const r = this.cfg.risk;
    if (dd >= r.maxDrawdown) this.breaker.trip(`drawdown ${dd.toFixed(0)} ≥ ${r.maxDrawdown}`, wall);
    if (this.hooks.escalated?.() && !this.breaker.isOpen) this.breaker.trip('supervisor escalation', wall);
    for (const sym of this.exposure.symbols()) {
      if (!this.symbols.has(sym)) continue;
      const exposed = this.position(sym) !== 0 || workingAny(this.working(sym));
      const last = this.lastMarkWall.get(sym) ?? this.startedWall;
      if (exposed && wall - last > r.staleDataTripMs) {
        this.counters.staleTrips++;
        this.hooks.alert?.({ rule: 'stale-data', severity: 'warning', title: `Market data stale: ${sym}`, text: `no valid book for ${((wall - last) / 1000).toFixed(0)} s while the engine has exposure in ${sym}`, key: sym });
        this.breaker.trip(`market data for ${sym} stale (no valid book for ${((wall - last) / 1000).toFixed(0)} s) with exposure`, wall);
      }
    }
    this.breaker.tick(wall);
    this.onHealth(this.health.observe(wall, this.broker.isConnected?.()));
    if (!this.ready) return;
    if (wall >= this.nextAccountRead) void this.readAccount();
    const stale = [...this.orders.values()].filter((o) => !isTerminal(o.state) && o.order.type !== 'moc' && o.order.type !== 'loc' && wall - o.createdMs > this.cfg.execution.staleOrderMs);
    for (const o of stale) {
      try {
        await this.broker.cancel(o.order.clientOrderId);
      } catch (err) {
        this.log.warn({ err: String(err), cid: o.order.clientOrderId }, 'stale order cancel failed');
      }
    }
    await this.optionTick(wall, now);
    await this.queue.push(() => this.settleExpiries(now), true).catch(() => 0);
    if (this.halt) {
      // A kill episode (also one read back after a restart) goes on until flat: entries cancelled, exits resized.
      this.cancelAllButKillLegs();
      await this.queue.push(() => this.flattenUnlocked('kill', false), true).catch(() => {});
    }
  }

  // ─── operator actions ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Kill switch: halt (durably), trip the breaker, cancel every working order of ours at once (ahead of the
   * queue), then flatten net of what is still working, urgently. Answers with the resulting state after
   * waiting up to `waitMs` for the broker: `done` = no working orders and flat. A second kill while the first
   * is working adds nothing: its flatten is sized net of the legs already working.
   */
  async kill(reason: string, source = 'cli', waitMs = 5000): Promise<KillOutcome> {
    this.hooks.setTradingHalted(true);
    this.breaker.trip(`kill switch: ${reason}`, this.wall());
    if (!this.halt) {
      this.halt = { reason, ts: this.wall(), source };
      try {
        await this.state.saveHalt(this.halt);
      } catch (err) {
        this.counters.stateWriteFailures++;
        this.log.error({ err: String(err) }, 'kill switch: the halt could not be stored (Redis); it holds in this process');
      }
    }
    const cancelsSent = this.cancelAllButKillLegs();
    const flattenOrders = await this.queue.push(() => this.flattenUnlocked('kill', false), true).catch(() => 0);
    const until = this.wall() + waitMs;
    while (this.wall() < until && !this.isFlatAndIdle()) await new Promise((r) => setTimeout(r, 50));
    return this.killOutcome(reason, cancelsSent, flattenOrders);
  }

  /**
   * Cancels every live order of ours except the kill's own legs, one by one (never the venue's global cancel,
   * which would also cancel the operator's own orders), without waiting for the queue.
   */
  private cancelAllButKillLegs(): number {
    let n = 0;
    for (const o of this.openOrders()) {
      if (o.purpose === 'kill') continue;
      n++;
      this.broker.cancel(o.order.clientOrderId).catch((err) => this.log.warn({ err: String(err), cid: o.order.clientOrderId }, 'kill: cancel failed'));
    }
    return n;
  }

  private isFlatAndIdle(): boolean {
    return this.openOrders().length === 0 && this.portfolio.openPositions.every((p) => !this.ours(p.symbol));
  }

  killOutcome(reason: string, cancelsSent: number, flattenOrders: number): KillOutcome {
    return {
      state: this.isFlatAndIdle() ? 'done' : 'pending',
      reason,
      cancelsSent,
      flattenOrders,
      working: this.openOrders().map((o) => ({ clientOrderId: o.order.clientOrderId, symbol: o.order.symbol, side: o.order.side, qty: o.order.qty - o.filledQty, state: o.state })),
      positions: this.portfolio.openPositions.map((p) => ({ symbol: p.symbol, qty: p.qty })),
      breaker: this.breaker.state,
    };
  }

  /** Operator flatten: the engine's symbols (or one of them; or every position at the broker with `all`), net of working exits. */
  flatten(all = false, symbol?: string): Promise<number> {
    return this.queue.push(() => this.flattenUnlocked('flat', all, symbol ? (s) => s === symbol : undefined), true);
  }

  /**
   * The strategy whose entry opened a position (its exit plan's entry order), by name; null when the position
   * has no journaled entry (adopted or healed at reconciliation).
   */
  positionStrategy(symbol: string): string | null {
    const plan = this.exits.get(symbol);
    const o = plan ? this.orders.get(plan.entryCid) : undefined;
    return o ? (STRATEGY_NAMES[o.strategy] ?? String(o.strategy)) : null;
  }

  /** The close routine: positions opened by these (intraday) strategies are closed at market, net of working exits. */
  flattenStrategies(strategies: ReadonlySet<string>): Promise<number> {
    return this.queue.push(() => this.flattenUnlocked('eod', false, (s) => strategies.has(this.positionStrategy(s) ?? '')), true);
  }

  /** Wall ms since each configured symbol's last valid book (null: none since start), for the pre-open checklist. */
  dataAges(): { symbol: string; ageMs: number | null }[] {
    const wall = this.wall();
    return [...this.symbols].map((symbol) => {
      const t = this.lastMarkWall.get(symbol);
      return { symbol, ageMs: t === undefined ? null : wall - t };
    });
  }

  private async flattenUnlocked(tag: 'kill' | 'flat' | 'eod', all: boolean, only?: (symbol: string) => boolean): Promise<number> {
    let n = 0;
    const date = this.hooks.sessionDate(this.hooks.nowMs());
    const targets = new Map<string, number>();
    for (const p of this.portfolio.openPositions) if (this.ours(p.symbol) && (!only || only(p.symbol))) targets.set(p.symbol, p.qty);
    if (all) for (const b of await this.broker.positions()) if (!targets.has(b.symbol) && b.qty !== 0) targets.set(b.symbol, b.qty);
    for (const [symbol, pos] of targets) {
      const ours = this.ours(symbol);
      const qty = ours ? this.closable(symbol) : Math.abs(pos);
      if (qty <= EPS) continue;
      const cid = this.nextLeg(`${CID_PREFIX}${date}-${tag}${ours ? '' : 'all'}-${symbol}`);
      const o = this.closingOrder(cid, symbol, pos > 0 ? 'sell' : 'buy', qty);
      const out = await this.send(o, tag === 'eod' ? 9 : 10, ours, tag === 'kill' ? 'kill' : 'flatten');
      if (out.startsWith('sent')) n++;
    }
    return n;
  }

  /** Operator reset: closes the breaker, ends a kill episode (its halt) and re-opens entries unless escalated. */
  async resetBreaker(): Promise<void> {
    this.breaker.reset(this.wall());
    this.halt = null;
    await this.state.saveHalt(null);
    const escalated = this.hooks.escalated?.() ?? false;
    // An escalation record left by an earlier process (this one is not escalated) would trip the breaker
    // again at the next start: the operator's reset covers it. A live escalation needs `escalation clear`.
    if (!escalated) await this.state.clearEscalation();
    this.hooks.setTradingHalted(escalated);
  }

  private nextForgetWall = 0;

  /**
   * Forgets finished orders the engine no longer reads (the journal keeps them): terminal, last changed more
   * than FORGET_FINISHED_AFTER_MS ago (a replayed one counts from this start, whatever clock its journal time
   * is on), and neither an exit plan's entry nor one of its legs (an overnight position's scale-out reads
   * them). Their day's premium entries and re-pricing state go with them, and instruments nothing names any
   * more. Without it every order ever sent stayed in memory, and the stale-order check, open orders and the
   * exit legs scanned them all. Returns how many were forgotten.
   */
  forgetFinished(wall = this.wall()): number {
    const before = wall - FORGET_FINISHED_AFTER_MS;
    if (this.startedWall > before) return 0;
    const planned = new Set<string>();
    for (const p of this.exits.values()) planned.add(p.entryCid);
    let n = 0;
    for (const [cid, r] of this.orders) {
      if (!isTerminal(r.state) || r.updatedMs > before || planned.has(cid) || (r.parent !== undefined && planned.has(r.parent))) continue;
      this.orders.delete(cid);
      this.pricing.delete(cid);
      const day = optionEntryDay(r);
      const entries = day === null ? undefined : this.optionEntriesByDay.get(day);
      if (entries?.delete(cid) && entries.size === 0) this.optionEntriesByDay.delete(day!);
      n++;
    }
    if (n === 0) return 0;
    const named = new Set<string>();
    for (const r of this.orders.values()) named.add(r.order.symbol);
    for (const key of this.instruments.keys()) {
      if (!named.has(key) && this.position(key) === 0 && !this.live.has(key)) this.instruments.delete(key);
    }
    return n;
  }

  openOrders(): OrderRecord[] {
    return [...this.orders.values()].filter((o) => !isTerminal(o.state));
  }
}

function workingAny(w: { buy: number; sell: number }): boolean {
  return w.buy > EPS || w.sell > EPS;
}
