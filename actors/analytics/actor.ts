import { gexSummary, strikeIndex, type ChainArrays } from '../../analytics/gex.js';
import { msgEventNs, msgFlags, msgIngestNs, msgSymbol, msgType } from '../../engine/codec/Header.js';
import { AnalyticsFlags, AnalyticsSnapshot, Bar, BarFlags, BookTop, Trade } from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';
import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';
import { GammaPool, shareChain } from './GammaPool.js';
import { SymbolAnalytics } from './SymbolAnalytics.js';
import { loadVpinStates, saveRequest } from './VpinStore.js';

/** How often changed VPIN states are saved (a restart loses at most this much VPIN progress). */
const VPIN_SAVE_MS = 5000;

/** A chain as the options actor sends it: struct-of-arrays, ready for the exposure math. */
export interface ChainMessage {
  symbol: string;
  spot: number;
  fetchedAtMs: number;
  type: Int8Array;
  strike: Float64Array;
  T: Float64Array;
  iv: Float64Array;
  oi: Float64Array;
}

/**
 * Analytics actor: consumes books and trades (lossless ring) and option chains (cold path); keeps per
 * symbol a live VPIN (O(1) per trade), order-flow state (imbalance, microprice, sweeps, icebergs, unusual
 * volume) and the dealer gamma map. Each book top becomes an AnalyticsSnapshot on its output ring (the
 * signals' input). GEX/DEX/profile are computed on the actor thread (~1 ms for 10,000 contracts); the
 * zero-gamma grid (201 repricings of the whole chain) runs on a piscina pool so the hot path never stalls.
 */
const create: ActorFactory = async (ctx) => {
  const cfg = ctx.config;
  const out = ctx.output('analytics-out');
  const syms = ctx.symbols.names.map((s) => new SymbolAnalytics(s, cfg));
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
          const why = a.restoreVpin(st);
          if (why) ctx.log.warn({ symbol: a.symbol }, `saved VPIN state not used: ${why}`);
          else ctx.log.info({ symbol: a.symbol, buckets: a.vpin?.bucketsClosed, history: a.vpin?.history, savedAtMs: st.savedAtMs }, 'VPIN restored');
        }
        const V = discovered.get(a.symbol);
        if (V !== undefined && a.useDiscoveredBucketVolume(V)) ctx.log.info({ symbol: a.symbol, bucketVolume: V }, 'VPIN bucket volume from discovery');
      }
    } catch (e) {
      ctx.log.warn({ err: String(e) }, 'VPIN states could not be read: every symbol starts fresh');
    }
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
  const pool = new GammaPool(cfg.analytics.poolThreads);
  const inFlight = new Set<string>();
  let pendingOut = 0;
  let timer: NodeJS.Timeout | undefined;
  let chainsSeen = 0;
  let gridFailures = 0;

  const writeSnapshot = (id: number, a: SymbolAnalytics, eventNs: number, ingestNs: number, dequeueNs: number) => {
    const o = out.claim();
    if (o < 0) return;
    let flags = 0;
    if (a.toxic) flags |= AnalyticsFlags.ToxicityAlarm;
    if (a.gexTs > 0) flags |= AnalyticsFlags.GexFresh;
    const v = a.vpinValue;
    const c = a.vpinCdf; // NaN until minHistory values: the strategies read it as unknown
    const h = out.stamp(id, eventNs, ingestNs, dequeueNs, flags);
    AnalyticsSnapshot.write(out.view, o, h, a.spot, v, c, a.imbalance, a.microprice, a.netGex, a.zeroGamma, a.callWall, a.putWall);
    pendingOut++;
  };

  const onChain = async (m: ChainMessage) => {
    const id = ctx.symbols.id(m.symbol);
    if (id < 0 || !(m.type instanceof Int8Array) || m.type.length !== m.strike.length) {
      ctx.countInputError();
      return;
    }
    chainsSeen++;
    const a = syms[id];
    const spot = Number.isFinite(a.spot) ? a.spot : m.spot;
    if (!(spot > 0)) return;
    const chain: ChainArrays = { type: m.type, strike: m.strike, T: m.T, iv: m.iv, oi: m.oi };
    chain.strikeIndex = strikeIndex(chain.strike);
    const r = cfg.options.rate;
    const q = cfg.options.dividendYield;
    const s = gexSummary(spot, r, q, chain);
    const ts = Date.now();
    const base = { symbol: m.symbol, spot, chainFetchedAtMs: m.fetchedAtMs, contracts: m.type.length, ts };
    a.netGex = s.totalGex;
    a.callWall = s.callWall ?? NaN;
    a.putWall = s.putWall ?? NaN;
    a.gexTs = ts;
    const reqs: PublishRequest[] = [
      { key: `analytics:{${m.symbol}}:dex`, value: { ...base, totalDex: s.totalDex, callDex: s.totalCallDex, putDex: s.totalPutDex }, ttlMs: cfg.ttl.options },
    ];
    // One grid per symbol at a time: a newer chain arriving meanwhile simply waits for the next poll.
    if (!inFlight.has(m.symbol)) {
      inFlight.add(m.symbol);
      try {
        const z = await pool.zeroGamma(spot, r, q, shareChain(chain));
        a.zeroGamma = z.zeroGamma ?? NaN;
        reqs.push({
          key: `analytics:{${m.symbol}}:gex`,
          value: {
            ...base, totalGex: s.totalGex, callGex: s.totalCallGex, putGex: s.totalPutGex, zeroGamma: z.zeroGamma,
            zeroGammaAll: z.zeroGammaAll, callWall: s.callWall, putWall: s.putWall, profile: s.profile,
          },
          ttlMs: cfg.ttl.options,
        });
      } catch (e) {
        gridFailures++;
        ctx.countError();
        ctx.log.error({ err: e, symbol: m.symbol }, 'zero-gamma grid failed');
      } finally {
        inFlight.delete(m.symbol);
      }
    }
    ctx.publishMany(reqs);
  };

  const level2 = new Set(cfg.symbols.filter((x) => x.level2).map((x) => x.symbol));
  const SWEEP_TTL_MS = 60_000; // an alert, kept a minute after the sweep
  const publishPeriodic = () => {
    const now = Date.now();
    const reqs: PublishRequest[] = [];
    for (const a of syms) {
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
    reqs.push({ key: 'monitoring:analytics:metrics', value: { chainsSeen, gridFailures, oversizedTrades, poolThreads: pool.threads, ts: now }, ttlMs: cfg.ttl.monitoring });
    ctx.publishMany(reqs);
    saveVpin(now);
  };

  return {
    start() {
      timer = setInterval(publishPeriodic, cfg.analytics.publishMs);
    },
    onMessage(view, off) {
      const type = msgType(view, off);
      const id = msgSymbol(view, off);
      const a = syms[id];
      if (!a) return void ctx.countInputError();
      if (type === MessageType.BookTop) {
        const dequeueNs = ctx.clock.nowNs();
        const eventNs = msgEventNs(view, off);
        a.onTop(eventNs / 1e6, BookTop.bestBid(view, off), BookTop.bestAsk(view, off), BookTop.bidSize(view, off),
          BookTop.askSize(view, off), BookTop.microprice(view, off), BookTop.imbalance(view, off));
        writeSnapshot(id, a, eventNs, msgIngestNs(view, off), dequeueNs);
      } else if (type === MessageType.Trade) {
        const tsMs = msgEventNs(view, off) / 1e6;
        const refused = a.oversizedTrades;
        a.onTrade(tsMs, Trade.price(view, off), Trade.size(view, off), Trade.aggressor(view, off));
        if (a.oversizedTrades !== refused) ctx.countInputError();
      } else if (type === MessageType.Bar) {
        const flags = msgFlags(view, off);
        if (flags & BarFlags.HistoryEnd) {
          const poured = a.onHistoryEnd();
          ctx.log.info({ symbol: a.symbol, poured, bucketVolume: a.bucketVolume, source: a.bucketVolumeSource, history: a.vpin?.history ?? 0 }, 'VPIN warmed from venue history');
        } else if (flags & BarFlags.Historical) {
          a.onHistoryBar(Bar.startMs(view, off), Bar.close(view, off), Bar.volume(view, off));
        }
      }
    },
    onBatchEnd() {
      if (pendingOut) {
        out.publish();
        pendingOut = 0;
      }
    },
    onCommand(topic, payload) {
      if (topic === 'chain') return onChain(payload as ChainMessage);
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
