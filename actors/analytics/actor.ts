import { msgSymbol } from '../../engine/codec/Header.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';
import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';
import { InputRecorder, RecordedInputs } from '../../engine/replay/RecordedInputs.js';
import type { ReplayRecord } from '../market-depth/Recording.js';
import { AnalyticsCore, CHECK_EVERY, checkValues, type AppliedChain, type ChainMessage } from './AnalyticsCore.js';
import { GammaPool, shareChain } from './GammaPool.js';
import { workerResourceLimits } from '../../engine/runtime/workerHeap.js';
import type { SymbolAnalytics } from './SymbolAnalytics.js';
import { loadVpinStates, saveRequest, type SavedVpin } from './VpinStore.js';
import { SERVED_SYMBOLS_TOPIC, ServedSymbols } from '../../engine/cluster/ServedSymbols.js';

export type { ChainMessage };

/** How often changed VPIN states are saved (a restart loses at most this much VPIN progress). */
const VPIN_SAVE_MS = 5000;

/**
 * Analytics actor: consumes books and trades (lossless ring) and option chains (cold path); keeps per
 * symbol a live VPIN (O(1) per trade), order-flow state (imbalance, microprice, sweeps, icebergs, unusual
 * volume) and the dealer gamma map. Each book top becomes an AnalyticsSnapshot on its output ring (the
 * signals' input). GEX/DEX/profile are computed on the actor thread (~1 ms for 10,000 contracts); the
 * zero-gamma grid (201 repricings of the whole chain) runs on a piscina pool so the hot path never stalls.
 */
const create: ActorFactory = async (ctx) => {
  const cfg = ctx.config;
  const core = new AnalyticsCore(cfg, ctx.symbols.names, ctx.output('analytics-out'));
  const syms = core.syms;
  // Cluster mode: a symbol another instance owns gets no keys from here (its state is kept, fed by nothing).
  const served = ServedSymbols.forEnv(ctx.symbols.names);
  // Recorded run: every cold input is written at the position it was consumed; ATREC2 replay: applied there.
  const recorder = InputRecorder.of(cfg, 'analytics', (to, topic, p) => ctx.send(to, topic, p));
  const recorded = RecordedInputs.forActor(cfg, 'analytics');
  // VPIN carries on from its saved state (before the first message: restoring mid-stream would drop trades).
  // A replay neither reads nor writes it: it must compute from its own events alone, and must not overwrite
  // the live engine's state in a shared Redis.
  const persistVpin = cfg.market.source !== 'replay';
  const restoreVpin = async () => {
    try {
      const rt = ctx.runtime;
      const { saved, discovered, bad } = await loadVpinStates({ url: rt.redisUrl, username: rt.redisUsername as string | undefined, password: rt.redisPassword }, ctx.symbols.names);
      for (const key of bad) ctx.log.warn({ key }, 'not JSON: ignored');
      // Bucket volume: configured, else the restored state's, else discovery's, else estimated from a first full minute.
      for (const a of syms) {
        const st = saved.get(a.symbol);
        if (st) {
          recorder.record('vpin-state', [0], { symbol: a.symbol, saved: st });
          restore(a, st);
        }
        const V = discovered.get(a.symbol);
        if (V !== undefined) {
          recorder.record('discovery', [0], { symbol: a.symbol, bucketVolume: V });
          discover(a, V);
        }
      }
    } catch (e) {
      ctx.log.warn({ err: String(e) }, 'VPIN states could not be read: every symbol starts fresh');
    }
  };
  const restore = (a: SymbolAnalytics, st: SavedVpin) => {
    const why = a.restoreVpin(st);
    if (why) ctx.log.warn({ symbol: a.symbol }, `saved VPIN state not used: ${why}`);
    else ctx.log.info({ symbol: a.symbol, buckets: a.vpin?.bucketsClosed, history: a.vpin?.history, savedAtMs: st.savedAtMs }, 'VPIN restored');
  };
  const discover = (a: SymbolAnalytics, V: number) => {
    if (a.useDiscoveredBucketVolume(V)) ctx.log.info({ symbol: a.symbol, bucketVolume: V }, 'VPIN bucket volume from discovery');
  };
  if (persistVpin) await restoreVpin();
  let lastVpinSave = 0;
  const saveVpin = (now: number, force = false) => {
    if (!persistVpin || (!force && now - lastVpinSave < VPIN_SAVE_MS)) return;
    lastVpinSave = now;
    const reqs: PublishRequest[] = [];
    for (const a of syms) {
      const st = a.vpinToSave(now);
      if (st) reqs.push(saveRequest(a.symbol, st));
    }
    if (reqs.length) ctx.publishMany(reqs);
  };
  const pool = new GammaPool(cfg.analytics.poolThreads, workerResourceLimits(cfg));
  const inFlight = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let gridFailures = 0;

  const publishChain = (c: AppliedChain, fetchedAtMs: number, z: { zeroGamma: number | null; zeroGammaAll: number[] } | null): void => {
    const s = c.summary;
    const base = { symbol: c.symbol, spot: c.spot, chainFetchedAtMs: fetchedAtMs, contracts: c.chain.type.length, ts: Date.now() };
    const reqs: PublishRequest[] = [
      { key: `analytics:{${c.symbol}}:dex`, value: { ...base, totalDex: s.totalDex, callDex: s.totalCallDex, putDex: s.totalPutDex }, ttlMs: cfg.ttl.options },
    ];
    if (z) {
      reqs.push({
        key: `analytics:{${c.symbol}}:gex`,
        value: {
          ...base, totalGex: s.totalGex, callGex: s.totalCallGex, putGex: s.totalPutGex, zeroGamma: z.zeroGamma,
          zeroGammaAll: z.zeroGammaAll, callWall: s.callWall, putWall: s.putWall, profile: s.profile,
        },
        ttlMs: cfg.ttl.options,
      });
    }
    ctx.publishMany(reqs);
  };

  const onChain = async (m: ChainMessage) => {
    if (recorded) return; // a replay applies the recorded run's chains where they were consumed, not the simulator's
    const pos = core.consumed;
    const c = core.applyChain(m, Date.now());
    if (!c) {
      if (ctx.symbols.id(m?.symbol) < 0 || !(m?.type instanceof Int8Array)) ctx.countInputError();
      return;
    }
    recorder.record('chain', [pos], m);
    // One grid per symbol at a time: a newer chain arriving meanwhile simply waits for the next poll.
    if (inFlight.has(m.symbol)) return void publishChain(c, m.fetchedAtMs, null);
    inFlight.add(m.symbol);
    try {
      const z = await pool.zeroGamma(c.spot, cfg.options.rate, cfg.options.dividendYield, shareChain(c.chain));
      // applied now, between two hot messages: the recording says which (the replay computes it there)
      recorder.record('zero-gamma', [core.consumed], { symbol: c.symbol, seq: c.seq, zeroGamma: z.zeroGamma });
      core.applyZeroGamma(c.symbol, z.zeroGamma);
      publishChain(c, m.fetchedAtMs, z);
    } catch (e) {
      gridFailures++;
      ctx.countError();
      ctx.log.error({ err: e, symbol: m.symbol }, 'zero-gamma grid failed');
      publishChain(c, m.fetchedAtMs, null);
    } finally {
      inFlight.delete(m.symbol);
    }
  };

  /** ATREC2 replay: the recorded run's cold inputs, each at the position it was consumed. */
  const applied = new Map<number, { c: AppliedChain; fetchedAtMs: number }>();
  const applyRecorded = (r: ReplayRecord) => {
    const d = r.d as Record<string, unknown>;
    const a = syms.find((x) => x.symbol === d.symbol);
    if (r.k === 'vpin-state' && a) restore(a, d.saved as SavedVpin);
    else if (r.k === 'discovery' && a) discover(a, d.bucketVolume as number);
    else if (r.k === 'chain') {
      const m = d as unknown as ChainMessage;
      const c = core.applyChain(m, Date.now());
      if (c) applied.set(c.seq, { c, fetchedAtMs: m.fetchedAtMs });
    } else if (r.k === 'zero-gamma') {
      const c = applied.get(d.seq as number);
      if (!c) return;
      applied.delete(d.seq as number);
      const z = core.zeroGammaNow(c.c);
      core.applyZeroGamma(c.c.symbol, z.zeroGamma);
      publishChain(c.c, c.fetchedAtMs, z);
    }
  };

  const level2 = new Set(cfg.symbols.filter((x) => x.level2).map((x) => x.symbol));
  const SWEEP_TTL_MS = 60_000; // an alert, kept a minute after the sweep
  const publishPeriodic = () => {
    const now = Date.now();
    const reqs: PublishRequest[] = [];
    for (const a of syms) {
      if (!served.has(a.symbol)) continue;
      // The seed keys: sweeps on Level-2 symbols, unusual volume on Level-1 ones (each once per event / bar).
      if (level2.has(a.symbol)) {
        const sw = a.newSweep();
        if (sw) reqs.push({ key: `market:{${a.symbol}}:sweep`, value: sw, ttlMs: SWEEP_TTL_MS });
      } else {
        const uv = a.newUnusualVolume(now);
        if (uv) reqs.push({ key: `market:{${a.symbol}}:unusual_volume`, value: uv, ttlMs: 2 * (uv.intervalMs as number) });
      }
      if (!a.dirty) continue;
      a.dirty = false;
      reqs.push({ key: `analytics:{${a.symbol}}:vpin`, value: a.vpinJson(now), ttlMs: cfg.ttl.analytics });
      reqs.push({ key: `analytics:{${a.symbol}}:flow`, value: a.flowJson(now), ttlMs: cfg.ttl.analytics });
    }
    let oversizedTrades = 0;
    for (const a of syms) oversizedTrades += a.oversizedTrades;
    reqs.push({ key: 'monitoring:analytics:metrics', value: { chainsSeen: core.chainsSeen, gridFailures, oversizedTrades, poolThreads: pool.threads, ts: now }, ttlMs: cfg.ttl.monitoring });
    ctx.publishMany(reqs);
    saveVpin(now);
  };

  // made once: a closure built per message was a per-tick allocation on the hot thread
  const onHistoryEnd = (a: SymbolAnalytics, poured: number) => {
    ctx.log.info({ symbol: a.symbol, poured, bucketVolume: a.bucketVolume, source: a.bucketVolumeSource, history: a.vpin?.history ?? 0 }, 'VPIN warmed from venue history');
  };
  return {
    start() {
      timer = setInterval(publishPeriodic, cfg.analytics.publishMs);
    },
    onMessage(view, off) {
      recorded?.due(core.consumed, applyRecorded);
      const before = core.snapshots;
      const ok = core.onMessage(view, off, onHistoryEnd);
      if (!ok) return void ctx.countInputError();
      if (recorder.on && core.snapshots !== before && core.snapshots % CHECK_EVERY === 0) {
        const a = syms[msgSymbol(view, off)]!;
        recorder.record('out:analytics', [core.consumed], { symbol: a.symbol, v: checkValues(a) });
      }
    },
    onBatchEnd() {
      core.flush();
    },
    onCommand(topic, payload) {
      if (topic === 'chain') return onChain(payload as ChainMessage);
      if (topic === SERVED_SYMBOLS_TOPIC) return void (served.apply(payload) ?? ctx.countInputError());
      ctx.countInputError();
    },
    async close() {
      clearInterval(timer);
      publishPeriodic();
      saveVpin(Date.now(), true);
      await pool.destroy();
    },
  };
};

export default create;
