import type { Redis } from 'ioredis';
import { msgSymbol } from '../engine/codec/Header.js';
import { etDate, NYSE } from '../analytics/calendar.js';
import { AnalyticsCore, CHECK_EVERY, checkValues } from '../actors/analytics/AnalyticsCore.js';
import { applyBookSnapshot } from '../actors/execution/bookInput.js';
import { PaperBroker, type PaperBook } from '../actors/execution/brokers/index.js';
import type { Broker, BrokerEvent } from '../actors/execution/brokers/types.js';
import { ExecutionCore, type SignalInput } from '../actors/execution/ExecutionCore.js';
import type { OrderRecord } from '../actors/execution/OrderBookkeeping.js';
import { BookKeeper } from '../actors/market-depth/BookKeeper.js';
import type { MarketSink } from '../actors/market-depth/MarketSource.js';
import { RecordingReader, type ReplayRecord } from '../actors/market-depth/Recording.js';
import { SignalsCore } from '../actors/signals/SignalsCore.js';
import { SimulatedSessionClock, WallClock, type Clock } from '../engine/clock/index.js';
import type { EngineConfig } from '../engine/config/schema.js';
import type { Logger } from '../engine/log/logger.js';
import { RecordedInputs } from '../engine/replay/RecordedInputs.js';
import { Doorbell, RingBuffer, RingProducer, RingReader } from '../engine/ring/index.js';
import type { PublishRequest } from '../engine/runtime/ColdMessage.js';
import { MonoClock } from '../engine/runtime/MonoClock.js';
import { OutputPort } from '../engine/runtime/OutputPort.js';

/** What a replay produced, in the same shape as the outputs a recording keeps (`out:*` records). */
export interface ReplayOutputs {
  signals: { p: number[]; id: number; strategy: string; symbol: string; direction: number; confidence: number; price: number; nowMs: number }[];
  analytics: { p: number[]; symbol: string; v: number[] }[];
  /** `p`: [signals handed to execution, broker events it had applied], as a recording stamps `out:order` */
  orders: { p?: number[]; cid: string; side: string; qty: number; type: string; strategy: number; parent: string | null; symbol: string; sessionMs: number }[];
  fills: { p?: number[]; cid: string; price: number; qty: number; sessionMs: number }[];
  /** each signal's outcome in execution (`sent <cid>` or why not), as a recording keeps them (`out:decision`) */
  decisions?: { symbol: string; id: number; outcome: string }[];
  /** every session minute: [session ms, symbol, mid] for each symbol with a mid (marks for the report's curves) */
  marks: [number, string, number][];
}

export interface PipelineResult {
  outputs: ReplayOutputs;
  /** the recording's own outputs (`out:*` records), to check the replay against */
  recorded: ReplayRecord[];
  events: number;
  seconds: number;
  firstSessionMs: number;
  lastSessionMs: number;
}

export interface PipelineOptions {
  cfg: EngineConfig;
  file: string;
  /** the paper journal's Redis (a throwaway one: the backtest's journal and state keys live there) */
  redis: Redis;
  log: Logger;
}

const ringOf = (cfg: EngineConfig, name: string) => {
  const r = cfg.rings.find((x) => x.name === name);
  const ring = RingBuffer.create({ capacity: r?.capacity ?? 65536, slotSize: r?.slotSize ?? 128, readers: [{ mode: 'lossless' }] });
  return { ring, reader: new RingReader(ring, 0), producer: new RingProducer(ring, Doorbell.createArray(1)) };
};

/**
 * The deterministic replay: the live engine's own classes — BookKeeper → AnalyticsCore → SignalsCore →
 * ExecutionCore with the PaperBroker — on one thread, driven frame by frame by a recording. Every cold input
 * the live actors consumed is delivered at the position they consumed it (analytics: market-data messages
 * processed; signals: snapshots processed; execution: signals received), market data is published in the
 * recorded batches, the session clock is the recorded one, read at each batch's recorded wall time. The
 * execution path is awaited to quiescence after each signal, so orders and fills follow the recorded order.
 * Broker events reach execution in the recorded order too: a recording keeps how many execution had applied
 * when each signal's turn came (`signal-turn`) and when it applied each input (the stamp's second number);
 * the paper broker's events wait here until the replay's count reaches it (decision 123).
 * A recording without execution inputs (ATREC1, constructed files) gives execution the books' own
 * snapshots every `market.bookSnapshotMs` of recorded wall time, as the market-depth actor does live.
 */
export class ReplayPipeline {
  private wallMs = 0;

  constructor(private readonly o: PipelineOptions) {}

  async run(): Promise<PipelineResult> {
    const { file, log } = this.o;
    // The paper broker runs in this thread: its account is always current, so the buying-power rule's
    // staleness bound (an account re-read by execution's timer, which a replay does not run) is moot here.
    const cfg: EngineConfig = { ...this.o.cfg, risk: { ...this.o.cfg.risk, accountMaxAgeMs: Number.MAX_SAFE_INTEGER } };
    const reader = new RecordingReader(file);
    this.wallMs = reader.header.startedAtMs; // the wall clock starts where the recording did (account reads at start)
    const names = cfg.symbols.map((s) => s.symbol);
    if (JSON.stringify(reader.header.symbols) !== JSON.stringify(names)) {
      throw new Error(`${file}: recorded symbols ${reader.header.symbols.join(',')} differ from the configuration's ${names.join(',')} (pass the recorded run's --config)`);
    }
    const records = reader.records();
    const byActor = (a: string) => new RecordedInputs(records.filter((r) => r.a === a && !r.k.startsWith('out:')));
    const inAnalytics = byActor('analytics');
    const inSignals = byActor('signals');
    const inExecution = byActor('execution');
    const paperBooks = new Map<string, (PaperBook | null)[]>();
    const bookRecords: ReplayRecord[] = [];
    // `${symbol}/${signal id}` → broker events execution had applied when the live run took that signal up
    const turns = new Map<string, number[]>();
    for (const r of inExecution.records) {
      if (r.k === 'paper-book') {
        // null too: the live order found no book (rejected), whatever books the replay has applied by then
        const d = r.d as { cid: string; book: PaperBook | null };
        (paperBooks.get(d.cid) ?? paperBooks.set(d.cid, []).get(d.cid)!).push(d.book);
      } else if (r.k === 'signal-turn') {
        const d = r.d as { symbol: string; id: number };
        const k = `${d.symbol}/${d.id}`;
        (turns.get(k) ?? turns.set(k, []).get(k)!).push(r.p[1] ?? 0);
      } else bookRecords.push(r);
    }
    // Older recordings (no signal turns): every broker event reaches execution at once, as before.
    const gated = turns.size > 0;
    const execInputs = new RecordedInputs(bookRecords);
    const booksFromKeeper = bookRecords.length === 0;

    const h = reader.header.clock;
    const clock: Clock = h && h.mode === 'simulated'
      ? new SimulatedSessionClock({ engineStartMs: h.engineStartMs, start: h.start, speed: h.speed, wallNow: () => this.wallMs })
      : new WallClock(() => this.wallMs);
    const mono = MonoClock.start();
    const md = ringOf(cfg, 'market-data');
    const an = ringOf(cfg, 'analytics-out');
    const keeper = new BookKeeper(cfg, new OutputPort('market-data', md.producer, 0, mono), mono);
    keeper.barsFromTrades = reader.header.source !== 'tws'; // TWS sent its own bars: they are in the recording
    const analytics = new AnalyticsCore(cfg, names, new OutputPort('analytics-out', an.producer, 1, mono));
    const signals = new SignalsCore(cfg, names, clock);
    const outputs: ReplayOutputs = { signals: [], analytics: [], orders: [], fills: [], marks: [], decisions: [] };
    const pending: SignalInput[] = [];

    // analytics' recorded chains and zero-gamma moments
    const chains = new Map<number, ReturnType<AnalyticsCore['applyChain']>>();
    const applyAnalytics = (r: ReplayRecord) => {
      const d = r.d as Record<string, unknown>;
      const a = analytics.syms.find((x) => x.symbol === d.symbol);
      if (r.k === 'vpin-state' && a) a.restoreVpin(d.saved as never);
      else if (r.k === 'discovery' && a) a.useDiscoveredBucketVolume(d.bucketVolume as number);
      else if (r.k === 'chain') {
        const c = analytics.applyChain(d as never, this.wallMs);
        if (c) chains.set(c.seq, c);
      } else if (r.k === 'zero-gamma') {
        const c = chains.get(d.seq as number);
        if (c) analytics.applyZeroGamma(c.symbol, analytics.zeroGammaNow(c).zeroGamma);
      }
    };
    const applySignals = (r: ReplayRecord) => void signals.applyRecorded(r);
    const onSnapshot = (view: DataView, off: number) => {
      inSignals.due(signals.consumed, applySignals);
      for (const s of signals.onSnapshot(view, off)) {
        outputs.signals.push({ p: [signals.consumed], id: s.signalId, strategy: s.name, symbol: s.symbol, direction: s.direction, confidence: s.confidence, price: s.price, nowMs: s.nowMs });
        pending.push({
          symbol: s.symbol, strategy: s.strategy, signalId: s.signalId, direction: s.direction, confidence: s.confidence, price: s.price,
          target: s.target, stop: s.stop, expiresMs: s.expiresMs, ingestNs: 0, eventNs: this.wallMs * 1e6,
          ...(s.contract?.ok ? { option: { expiry: s.contract.expiry, right: s.contract.right, strike: s.contract.strike } } : {}),
        });
      }
    };
    // execution: the same core and paper broker, journal in the given (throwaway) Redis
    const books = new Map<string, PaperBook>();
    const paperCalls = new Map<string, number>();
    const broker: PaperBroker = new PaperBroker({
      book: (sym, cid): PaperBook | undefined => {
        const rec = cid ? paperBooks.get(cid) : undefined;
        if (rec && rec.length) {
          const n = paperCalls.get(cid!) ?? 0;
          paperCalls.set(cid!, n + 1);
          return rec[Math.min(n, rec.length - 1)] ?? undefined;
        }
        return books.get(sym) ?? core.optionBook(sym);
      },
      nowMs: () => clock.nowMs(),
      sessionClose: (now) => NYSE.nextCloseMs(now),
    });
    // Execution takes the paper broker's events through this gate: held until `release` hands them on (below).
    const held: BrokerEvent[] = [];
    let toCore: (e: BrokerEvent) => void = () => {};
    broker.onEvent((e) => (gated ? held.push(e) : toCore(e)));
    const gate: Broker = {
      name: broker.name,
      account: () => broker.account(), connect: () => broker.connect(), close: () => broker.close(),
      place: (o) => broker.place(o), cancel: (c) => broker.cancel(c), cancelAll: (prefix) => broker.cancelAll(prefix),
      positions: () => broker.positions(), openOrders: () => broker.openOrders(), orderByClientId: (c) => broker.orderByClientId(c),
      fills: (since) => broker.fills(since),
      onEvent: (cb) => void (toCore = cb),
    };
    const cids = new Set<string>();
    let execConsumed = 0; // signals handed to execution
    const core: ExecutionCore = new ExecutionCore(cfg, gate, this.o.redis, {
      nowMs: () => clock.nowMs(),
      wallMs: () => this.wallMs,
      sessionDate: (ms) => etDate(ms).replace(/-/g, ''),
      marketOpen: (ms) => NYSE.isOpenAt(ms),
      tradingHalted: () => false,
      setTradingHalted: () => {},
      escalated: () => false,
      publishBreaker: () => {},
      alert: () => {},
      journalHealth: () => {},
      onOrderEvent: (r: OrderRecord, e) => {
        const cid = r.order.clientOrderId;
        const sessionMs = clock.nowMs();
        const p = [execConsumed, core.counters.brokerEvents];
        if (!cids.has(cid)) {
          cids.add(cid);
          outputs.orders.push({ p, cid, side: r.order.side, qty: r.order.qty, type: r.order.type, strategy: r.strategy, parent: r.parent ?? null, symbol: r.order.symbol, sessionMs });
        }
        if (e.kind === 'fill' || e.kind === 'partial_fill') outputs.fills.push({ p, cid, price: e.price, qty: e.qty, sessionMs });
      },
      fault: () => {},
    }, log as never, `backtest:journal:${Date.now()}`);
    await core.start();

    const applyExecution = (r: ReplayRecord) => {
      if (r.k === 'book') applyBookSnapshot(r.d as PublishRequest, books, core);
      // option chains and live quotes as execution applied them, and its wall-clock re-price/timeout decisions
      // (in the order queue, as live: the exits they trigger come before the next signal)
      else if (r.k === 'option-key') {
        const d = r.d as { key: string; value: unknown };
        const wall = this.wallMs;
        void core.queue.push(async () => {
          core.options.applyKey(d.key, d.value, wall);
          await core.markOptionsInQueue();
        }).catch(() => {});
      } else if (r.k === 'option-quotes') {
        const wall = this.wallMs;
        void core.queue.push(async () => {
          core.options.applyQuotes(r.d, wall);
          await core.markOptionsInQueue();
        }).catch(() => {});
      } else if (r.k === 'option-cancel') {
        const d = r.d as { cid: string; why: 'reprice' | 'timeout' };
        core.optionCancel(d.cid, d.why);
      }
    };
    const quiesce = async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((res) => setImmediate(res));
        await core.settled();
      }
    };
    /**
     * Hands held broker events to execution until it has applied `n` of them (the live run's count at the next
     * recorded point). Live, a signal taken up while an earlier order's fill still waited in the queue saw that
     * order working, not filled (a second signal on the symbol then did nothing, or only closed); handing on
     * every fill before each signal made such a replay trade where the recorded run had not.
     */
    const release = async (n: number) => {
      if (!gated) return;
      while (core.counters.brokerEvents < n) {
        if (!held.length) {
          await quiesce(); // events of an order a delivered event sent (a re-price) may still be on their way
          if (!held.length) return; // none left: the replay made fewer than the recorded run (parity shows it)
        }
        for (let k = n - core.counters.brokerEvents; k > 0 && held.length; k--) toCore(held.shift()!);
        await quiesce();
      }
    };
    /** execution's recorded inputs due before signal `position + 1`, each after the broker events applied before it live */
    const applyDue = async (position: number) => {
      for (let r = execInputs.peek(); r && r.p[0]! <= position; r = execInputs.peek()) {
        execInputs.take();
        await release(r.p[1] ?? 0);
        applyExecution(r);
      }
    };
    const runSignals = async () => {
      while (pending.length) {
        const s = pending.shift()!;
        await applyDue(execConsumed);
        execConsumed++;
        // not taken up before the recording closed (its last moments): every event first, as without turns
        await release(turns.get(`${s.symbol}/${s.signalId}`)?.shift() ?? Infinity);
        const outcome = await core.onSignal(s);
        outputs.decisions!.push({ symbol: s.symbol, id: s.signalId, outcome });
        await quiesce();
      }
    };

    // the hot path, one message at a time (cold inputs between two messages), drained after each publish
    const drain = () => {
      md.reader.poll((view, off) => {
        inAnalytics.due(analytics.consumed, applyAnalytics);
        const before = analytics.snapshots;
        analytics.onMessage(view, off);
        if (analytics.snapshots !== before && analytics.snapshots % CHECK_EVERY === 0) {
          const a = analytics.syms[msgSymbol(view, off)];
          if (a) outputs.analytics.push({ p: [analytics.consumed], symbol: a.symbol, v: checkValues(a) });
        }
      }, 1 << 16);
      analytics.flush();
      an.reader.poll((view, off) => onSnapshot(view, off), 1 << 16);
    };
    let lastSnapshotWall = -Infinity;
    let lastMinute = -1;
    const sink: MarketSink = {
      depth: (...a) => keeper.depth(...a), trade: (...a) => keeper.trade(...a), cross: (...a) => keeper.cross(...a), halt: (...a) => keeper.halt(...a),
      quote: (...a) => keeper.quote(...a), bar: (...a) => keeper.bar(...a), historyBar: (...a) => keeper.historyBar(...a), historyEnd: (...a) => keeper.historyEnd(...a),
      reset: (s) => keeper.reset(s), connection: (up) => keeper.connection(up),
      endOfBatch: (nowMs) => {
        this.wallMs = nowMs ?? this.wallMs;
        keeper.endOfBatch(this.wallMs);
        drain();
        if (booksFromKeeper && this.wallMs - lastSnapshotWall >= cfg.market.bookSnapshotMs) {
          lastSnapshotWall = this.wallMs;
          for (const r of keeper.snapshots(this.wallMs)) applyBookSnapshot(r, books, core);
        }
        const session = clock.nowMs();
        const minute = Math.floor(session / 60_000);
        if (minute !== lastMinute) {
          lastMinute = minute;
          for (const s of keeper.syms) {
            const b = s.book.length(1) > 0 ? s.book.price(1, 0) : NaN;
            const k = s.book.length(0) > 0 ? s.book.price(0, 0) : NaN;
            if (b > 0 && k > b) outputs.marks.push([session, s.symbol, (b + k) / 2]);
          }
        }
      },
    };
    const t0 = process.hrtime.bigint();
    let events = 0;
    let firstSessionMs = NaN;
    const v1 = reader.version === 1;
    for (;;) {
      const more = reader.next(sink, 0, { stale: (nowMs) => void keeper.checkStale(nowMs) });
      if (!more) break;
      events++;
      if (v1 && events % 256 === 0) sink.endOfBatch(Date.now());
      if (Number.isNaN(firstSessionMs) && this.wallMs > 0) firstSessionMs = clock.nowMs();
      if (pending.length) await runSignals();
    }
    if (v1) sink.endOfBatch(this.wallMs || Date.now());
    await runSignals();
    await applyDue(Infinity);
    await release(Infinity);
    await quiesce();
    await broker.close();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { outputs, recorded: records.filter((r) => r.k.startsWith('out:')), events, seconds, firstSessionMs, lastSessionMs: clock.nowMs() };
  }
}
