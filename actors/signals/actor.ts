import { msgDequeueNs, msgEventNs, msgIngestNs, msgSymbol, msgType } from '../../engine/codec/Header.js';
import { Signal } from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import { clockFor } from '../../engine/clock/index.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';
import { DecisionProbe } from '../../engine/runtime/DecisionProbe.js';
import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';
import { InputRecorder, RecordedInputs } from '../../engine/replay/RecordedInputs.js';
import type { ReplayRecord } from '../market-depth/Recording.js';
import { CHAIN_COLUMNS_TOPIC } from '../../engine/supervisor/ColdMirror.js';
import { toRecord, type SignalRecord } from './SignalRecord.js';
import { SignalsCore, type KeyOutcome } from './SignalsCore.js';
import { WindowSchedule } from './WindowSchedule.js';
import { SERVED_SYMBOLS_TOPIC, ServedSymbols } from '../../engine/cluster/ServedSymbols.js';
import { expiryYmd } from './contractChoice.js';
import { OPTION_QUOTES_TOPIC, OPTION_SUBSCRIPTIONS_TOPIC } from '../../analytics/optionQuote.js';
import { SubscriptionSender } from '../../analytics/subscriptionSender.js';

/** Snapshots between two progress marks in a recording (the analytics checks' cadence). */
const PROGRESS_EVERY = 64;
/** A signal's record is small and of one shape: packed without msgpackr's records (decision 147). One object, not one per send. */
const PLAIN = { records: false } as const;

/**
 * Signals actor: AnalyticsSnapshot messages (lossless ring `analytics-out`) plus the cold figures other
 * actors publish (unusual options activity, sentiment; mirrored here by the supervisor) → the strategies
 * (0DTE, 1DTE, 14DTE, MOC) on the session time of each snapshot's event → Signal messages on `signals-out`
 * (execution, dashboard) carrying the triggering tick's ingest/event time, and a record per signal to the
 * publisher (`signals:{SYM}:latest`, `signals:stream`). Recorded runs keep each cold key at the snapshot
 * position it was applied at; an ATREC2 replay applies the recorded ones there instead of live ones.
 */
const create: ActorFactory = (ctx) => {
  const cfg = ctx.config;
  const clock = clockFor(cfg, ctx.runtime.engineStartMs as number | undefined);
  const core = new SignalsCore(cfg, ctx.symbols.names, clock);
  const engine = core.engine;
  const out = ctx.output('signals-out');
  const recorder = InputRecorder.of(cfg, 'signals', (to, topic, p) => ctx.send(to, topic, p));
  const recorded = RecordedInputs.forActor(cfg, 'signals');
  const counters = { snapshots: 0, signals: 0, dropped: 0, badColdInputs: 0, unexpectedMessages: 0, notServed: 0 };
  // Cluster mode: no signal for a symbol this instance does not own (another instance signals it).
  const served = ServedSymbols.forEnv(ctx.symbols.names);
  /** this read's signals, for the publisher (signals:{SYM}:latest, signals:stream): sent at its end */
  const records: SignalRecord[] = [];
  const probe = DecisionProbe.of(ctx.runtime.decisionProbe); // benchmarks only: every evaluation's time
  const countBad = (o: KeyOutcome) => {
    if (!o.bad) return;
    counters.badColdInputs++;
    ctx.countInputError();
    ctx.log.warn({ key: o.bad.key, why: o.bad.why }, 'malformed strategy input ignored');
  };
  const applyKey = (key: string, value: unknown, wallMs: number) => {
    const o = core.applyKey(key, value, wallMs);
    countBad(o);
    if (o.applied) recorder.record('key', [core.consumed], { key, value, wallMs });
  };
  const applyRecorded = (r: ReplayRecord) => countBad(core.applyRecorded(r));
  let timer: NodeJS.Timeout | undefined;
  const schedule = new WindowSchedule(cfg.signals, clock, (t) => engine.windowsAt(t), (s) => engine.enabled(s), (state, nowMs) => {
    ctx.log.info({ session: new Date(nowMs).toISOString(), windows: Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.open])) }, 'signal windows');
  });

  const publishMonitoring = () => {
    const now = clock.nowMs();
    ctx.publishMany([
      { key: 'signals:windows', value: { ...schedule.state(now), sessionTs: now, simulated: clock.simulated, speed: clock.speed }, ttlMs: cfg.ttl.monitoring },
      { key: 'monitoring:signals:metrics', value: { ...counters, ...engine.counters, contracts: core.contractCounters, optionQuotes: core.options.counters, ts: Date.now() }, ttlMs: cfg.ttl.monitoring },
    ]);
    // The contracts signals would trade next (the latest chosen per symbol and strategy): live quotes wanted for them.
    const wanted = subscriptions.due([...new Set(core.candidates.values())].sort(), Date.now());
    if (wanted) ctx.send('market-depth', OPTION_SUBSCRIPTIONS_TOPIC, { owner: 'signals', occs: wanted });
  };
  const subscriptions = new SubscriptionSender();

  return {
    start() {
      ctx.log.info({ simulated: clock.simulated, speed: clock.speed, session: new Date(clock.nowMs()).toISOString() }, 'session clock');
      schedule.start();
      timer = setInterval(publishMonitoring, 1000);
    },
    onMessage(view, off) {
      if (msgType(view, off) !== MessageType.AnalyticsSnapshot) {
        counters.unexpectedMessages++;
        return void ctx.countInputError();
      }
      const dequeueNs = ctx.clock.nowNs();
      recorded?.due(core.consumed, applyRecorded);
      const sym = msgSymbol(view, off);
      counters.snapshots++;
      const wall = Date.now();
      const signals = core.onSnapshot(view, off);
      probe?.record(msgIngestNs(view, off), sym, msgDequeueNs(view, off), ctx.clock.nowNs());
      for (let i = 0; i < signals.length; i++) { // indexed: no iterator per snapshot (most have no signal)
        const s = signals[i]!;
        if (!served.hasId(sym)) {
          counters.notServed++;
          continue;
        }
        const o = out.claim();
        if (o < 0) {
          counters.dropped++; // execution a whole ring behind: counted by the ring too; re-derived next slot
          continue;
        }
        const h = out.stamp(sym, msgEventNs(view, off), msgIngestNs(view, off), dequeueNs);
        Signal.write(out.view, o, h, s.strategy, s.direction, s.signalId, s.confidence, s.price, s.target, s.stop, s.expiresMs);
        if (s.contract?.ok) Signal.writeContract(out.view, o, s.contract.strike, expiryYmd(s.contract.expiry), s.contract.right === 'C' ? 1 : -1);
        // Published at once, not at the end of the batch: a signal is rare (tens a second) and execution's
        // wake-up should not wait for the rest of the socket read and the publisher's record (decision 126).
        out.publish();
        counters.signals++;
        records.push(toRecord(s, wall, clock));
        if (recorder.on) recorder.record('out:signal', [core.consumed], { id: s.signalId, strategy: s.name, symbol: s.symbol, direction: s.direction, confidence: s.confidence, price: s.price });
      }
      // A snapshot without a signal leaves no record, so where this actor's records stop (the recording closes
      // before it drains) says little: a mark every PROGRESS_EVERY snapshots bounds it (parity's horizon, decision 123).
      if (recorder.on && core.consumed % PROGRESS_EVERY === 0) recorder.record('out:progress', [core.consumed], null);
    },
    onBatchEnd() {
      // The publisher's records, after the read's last decision: packing and posting one costs tens of µs of
      // this (the hot) thread, which the read's other ticks should not wait for (decision 147).
      if (records.length === 0) return;
      for (let i = 0; i < records.length; i++) ctx.send('publisher', 'signal', records[i], PLAIN);
      ctx.countOut(records.length); // one record per signal published on the ring
      records.length = 0;
    },
    onCommand(topic, payload) {
      if (topic === SERVED_SYMBOLS_TOPIC) return void (served.apply(payload) ?? ctx.countInputError());
      if (topic === OPTION_QUOTES_TOPIC) {
        if (recorded) return;
        const n = core.applyOptionQuotes(payload);
        if (n && recorder.on) recorder.record('option-quotes', [core.consumed], payload);
        return;
      }
      if (topic === CHAIN_COLUMNS_TOPIC) {
        if (recorded) return;
        const wallMs = core.lastEventMs || Date.now();
        const o = core.applyChainColumns(payload, wallMs);
        if (o.applied) recorder.record(CHAIN_COLUMNS_TOPIC, [core.consumed], { cols: payload, wallMs });
        return countBad(o);
      }
      if (topic !== 'publish' && topic !== 'publish-many') return void ctx.countInputError();
      const reqs = (topic === 'publish' ? [payload] : payload) as PublishRequest[];
      if (!Array.isArray(reqs)) return void ctx.countInputError();
      if (recorded) return; // a replay applies the recorded run's keys where they were consumed
      // aged from the event time of the last snapshot (the wall before the first): recorded with the key
      const wallMs = core.lastEventMs || Date.now();
      for (const r of reqs) {
        if (!r || typeof r.key !== 'string') continue;
        applyKey(r.key, r.value, wallMs);
      }
    },
    async stop() {
      clearInterval(timer);
      await schedule.stop();
    },
    close() {
      publishMonitoring();
    },
  };
};

export default create;
