import { msgEventNs, msgIngestNs, msgSymbol, msgType } from '../../engine/codec/Header.js';
import { AnalyticsSnapshot, Signal } from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import { clockFor } from '../../engine/clock/index.js';
import { STRATEGIES_KEY, STRATEGY_KEYS } from './strategySwitches.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';
import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';
import { parseColdInput } from './coldInputs.js';
import { SignalEngine, type Snapshot } from './SignalEngine.js';
import { toRecord } from './SignalRecord.js';
import { WindowSchedule } from './WindowSchedule.js';

/**
 * Signals actor: AnalyticsSnapshot messages (lossless ring `analytics-out`) plus the cold figures other
 * actors publish (unusual options activity, sentiment; mirrored here by the supervisor) → the strategies
 * (0DTE, 1DTE, 14DTE, MOC) on the engine's session clock → Signal messages on `signals-out` (execution,
 * dashboard) carrying the triggering tick's ingest/event time, and a record per signal to the publisher
 * (`signals:{SYM}:latest`, `signals:stream`).
 */
const create: ActorFactory = (ctx) => {
  const cfg = ctx.config;
  const clock = clockFor(cfg, ctx.runtime.engineStartMs as number | undefined);
  const engine = new SignalEngine(cfg, ctx.symbols.names, clock.epoch);
  const out = ctx.output('signals-out');
  const snap: Snapshot = { spot: NaN, vpin: NaN, vpinCdf: NaN, imbalance: NaN, microprice: NaN, netGex: NaN, zeroGamma: NaN, callWall: NaN, putWall: NaN };
  const counters = { snapshots: 0, signals: 0, dropped: 0, badColdInputs: 0, unexpectedMessages: 0 };
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  const schedule = new WindowSchedule(cfg.signals, clock, (t) => engine.windowsAt(t), (s) => engine.enabled(s), (state, nowMs) => {
    ctx.log.info({ session: new Date(nowMs).toISOString(), windows: Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.open])) }, 'signal windows');
  });

  const publishMonitoring = () => {
    const now = clock.nowMs();
    ctx.publishMany([
      { key: 'signals:windows', value: { ...schedule.state(now), sessionTs: now, simulated: clock.simulated, speed: clock.speed }, ttlMs: cfg.ttl.monitoring },
      { key: 'monitoring:signals:metrics', value: { ...counters, ...engine.counters, ts: Date.now() }, ttlMs: cfg.ttl.monitoring },
    ]);
  };

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
      const sym = msgSymbol(view, off);
      snap.spot = AnalyticsSnapshot.spot(view, off);
      snap.vpin = AnalyticsSnapshot.vpin(view, off);
      snap.vpinCdf = AnalyticsSnapshot.vpinCdf(view, off);
      snap.imbalance = AnalyticsSnapshot.imbalance(view, off);
      snap.microprice = AnalyticsSnapshot.microprice(view, off);
      snap.netGex = AnalyticsSnapshot.netGex(view, off);
      snap.zeroGamma = AnalyticsSnapshot.zeroGamma(view, off);
      snap.callWall = AnalyticsSnapshot.callWall(view, off);
      snap.putWall = AnalyticsSnapshot.putWall(view, off);
      counters.snapshots++;
      const wall = Date.now();
      const signals = engine.onSnapshot(sym, snap, clock.nowMs(), wall);
      for (const s of signals) {
        const o = out.claim();
        if (o < 0) {
          counters.dropped++; // execution a whole ring behind: counted by the ring too; re-derived next slot
          continue;
        }
        const h = out.stamp(sym, msgEventNs(view, off), msgIngestNs(view, off), dequeueNs);
        Signal.write(out.view, o, h, s.strategy, s.direction, s.signalId, s.confidence, s.price, s.target, s.stop, s.expiresMs);
        pending++;
        counters.signals++;
        ctx.send('publisher', 'signal', toRecord(s, wall, clock));
      }
    },
    onBatchEnd() {
      if (pending) {
        out.publish();
        ctx.countOut(pending);
        pending = 0;
      }
    },
    onCommand(topic, payload) {
      if (topic !== 'publish' && topic !== 'publish-many') return void ctx.countInputError();
      const reqs = (topic === 'publish' ? [payload] : payload) as PublishRequest[];
      if (!Array.isArray(reqs)) return void ctx.countInputError();
      const wall = Date.now();
      for (const r of reqs) {
        if (!r || typeof r.key !== 'string') continue;
        if (r.key === STRATEGIES_KEY) {
          for (const [name, section] of Object.entries(STRATEGY_KEYS)) {
            const v = (r.value as Record<string, unknown> | null)?.[name];
            if (typeof v === 'boolean') engine.setSwitch(section, v);
          }
          continue;
        }
        const c = parseColdInput(r.key, r.value);
        if (!c) continue;
        if (c.kind === 'bad') {
          counters.badColdInputs++;
          ctx.countInputError();
          ctx.log.warn({ key: c.key, why: c.why }, 'malformed strategy input ignored');
          continue;
        }
        const id = ctx.symbols.id(c.symbol);
        if (id < 0) continue;
        if (c.kind === 'unusual') engine.setUnusual(id, c.contracts, wall);
        else if (c.score !== null) engine.setSentiment(id, c.score, wall);
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
