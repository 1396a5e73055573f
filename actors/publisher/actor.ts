import { redisEndpoint } from '../../engine/redis/redisOptions.js';
import { clusterNodesFromEnv, createRedisClient, type RedisLike } from '../../engine/redis/RedisClient.js';
import { instanceIdFromEnv } from '../../engine/cluster/ClusterKeys.js';
import { pipelineAll, type Cmd } from '../../engine/redis/SlotGroups.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';
import type { PublishRequest, StreamAppend } from '../../engine/runtime/ColdMessage.js';
import { CONTROL } from '../../engine/runtime/HealthTable.js';
import { ConflatingWriter } from '../../engine/redis/ConflatingWriter.js';
import { MarketKeys } from './MarketKeys.js';
import { signalWrites } from './SignalKeys.js';
import { applyRetention, streamMaxLen, type RetentionReport } from '../../engine/redis/StreamRetention.js';
import { keySymbol, SERVED_SYMBOLS_TOPIC, ServedSymbols } from '../../engine/cluster/ServedSymbols.js';

/**
 * The only actor that talks to Redis for market data. It reads the market-data ring as a lossy reader (it
 * may fall behind; the hot path never waits for it), folds messages into per-key latest values, and
 * flushes them as one pipelined batch every `redis.flushMs` (the whole trade and bar lists every
 * `redis.listFlushMs`). Redis down: the engine keeps running,
 * this actor reports degraded, ioredis reconnects, and the pending map stays bounded.
 */
const create: ActorFactory = (ctx) => {
  const cfg = ctx.config;
  const rt = ctx.runtime;
  const writer = new ConflatingWriter(cfg.redis.maxPendingKeys);
  // Cluster mode: the last guard on symbol ownership — a key tagged with a symbol this instance does not
  // serve is never written (whoever sent it), and what was pending for a symbol just lost is dropped.
  const served = ServedSymbols.forEnv(ctx.symbols.names);
  writer.keep = (k) => served.allowsKey(k);
  let notServedKeys = 0;
  const set = (key: string, value: string, ttlMs: number) => {
    if (served.allowsKey(key)) writer.set(key, value, ttlMs);
    else notServedKeys++;
  };
  const market = new MarketKeys(cfg);
  let redis: RedisLike;
  let timer: NodeJS.Timeout | undefined;
  let lastDownLog = 0;
  let everUp = false;
  const startedAt = Date.now();

  const setUp = (up: boolean) => {
    ctx.control.set(CONTROL.redisUp, up ? 1 : 0);
    ctx.setDegraded(!up || unavailable.length > 0);
  };

  const publishMonitoring = () => {
    const ringStats = ctx.inputs.map((i) => ({ ring: i.ring, lost: i.reader.lost, available: i.reader.available() }));
    writer.set('monitoring:publisher:metrics', JSON.stringify({ ...writer.stats, notServedKeys, pending: writer.size, unavailable, inputs: ringStats, badMessages: market.badMessages, retention: lastRetention, ts: Date.now() }), cfg.ttl.monitoring);
  };

  /** Stream retention (retention.streams): at the first connection, then every trimEveryMs; off the flush path. */
  let lastRetention: RetentionReport | { error: string; ts: number } | null = null;
  let nextRetention = 0;
  let retaining = false;
  const retention = () => {
    const now = Date.now();
    if (retaining || now < nextRetention || redis.status !== 'ready') return;
    retaining = true;
    nextRetention = now + cfg.retention.trimEveryMs;
    void applyRetention(redis, cfg.retention, now)
      .then((r) => {
        lastRetention = r;
        const total = Object.values(r.trimmed).reduce((a, b) => a + b, 0);
        if (total || r.archivesDeleted) ctx.log.info({ ...r }, 'stream retention: old entries trimmed');
      })
      .catch((e) => {
        lastRetention = { error: String((e as Error)?.message ?? e), ts: now };
        ctx.log.warn({ err: lastRetention.error }, 'stream retention failed (retried at the next period)');
      })
      .finally(() => (retaining = false));
  };

  // The trade and bar lists are rewritten whole: at most every `redis.listFlushMs`, the small keys every flush.
  // A flush starts when a ring read brought data, no pipeline is in flight and `redis.flushGapMs` have passed
  // since the last one (onBatchEnd), and at least every `redis.flushMs` (cold keys, streams): a tick waits for
  // the previous round trip and the gap, not for a timer. The gap bounds the flushes (each a socket write and a
  // Redis wake-up) to a few hundred a second, whatever the tick rate (decision 129).
  // The writer keeps one pipeline in flight per master, so a master that stopped answering (killed, failing
  // over) holds only its own symbols' keys: the timer keeps the others flowing.
  let lastListFlush = 0;
  let streaming = false;
  let unavailable: string[] = [];
  let lastFlushAt = 0; // performance.now() of the last flush
  const flush = () => {
    lastFlushAt = performance.now();
    const now = Date.now();
    const lists = now - lastListFlush >= cfg.redis.listFlushMs;
    if (lists) lastListFlush = now;
    market.flushInto(servedWriter, lists);
    void writer.flush(redis).then(afterFlush);
    if (!streaming) {
      streaming = true;
      void flushStreams().finally(() => (streaming = false));
    }
  };
  const afterFlush = (ok: boolean) => {
    // Before the first connection completes, holding values is expected, not news.
    if (!ok && redis.status !== 'ready' && (everUp || Date.now() - startedAt > 5000)) {
      const now = Date.now();
      if (now - lastDownLog > 5000) {
        lastDownLog = now;
        ctx.log.warn({ status: redis.status, pending: writer.size }, 'Redis unavailable: holding latest values, reconnecting');
      }
    }
    if (ok) ctx.countOut(1);
    const u = writer.unavailable();
    if (u.join() === unavailable.join()) return;
    const back = unavailable.filter((x) => !u.includes(x));
    unavailable = u;
    ctx.setDegraded(u.length > 0 || redis.status !== 'ready');
    if (u.length) ctx.log.warn({ symbols: u, pending: writer.size }, 'Redis unavailable for these symbols (their master does not answer): holding their latest values');
    if (back.length) ctx.log.info({ symbols: back }, 'Redis available again for these symbols');
  };

  // Stream entries are records, not latest values: queued in order, sent with the next flush, bounded.
  const streamQueue: StreamAppend[] = [];
  /** the stream appends sent last, answered (a lost symbol's acknowledgement waits for them) */
  let streamsInFlight: Promise<void> = Promise.resolve();
  let streamDropped = 0;
  const flushStreams = async () => {
    if (!streamQueue.length || redis.status !== 'ready') return;
    const batch = streamQueue.splice(0, streamQueue.length);
    const cmds: Cmd[] = batch.map((a) => ['xadd', a.stream, 'MAXLEN', '~', streamMaxLen(cfg.retention, a.stream, a.maxLen ?? 100_000), '*', ...Object.entries(a.fields).flat()]);
    const sent = pipelineAll(redis, cmds);
    streamsInFlight = sent.then(() => {}, () => {});
    try {
      await sent;
    } catch {
      // retried next flush, order kept (a symbol lost meanwhile: not ours to write any more)
      streamQueue.unshift(...batch.filter((a) => served.allowsKey(a.stream)));
    }
  };

  const applyRequest = (r: PublishRequest) => {
    if (!r || typeof r.key !== 'string' || typeof r.ttlMs !== 'number') {
      ctx.countInputError();
      return;
    }
    set(r.key, typeof r.value === 'string' ? r.value : JSON.stringify(r.value), r.ttlMs);
  };
  const servedWriter = { set };

  return {
    start() {
      redis = createRedisClient({
        ...redisEndpoint(rt.redisUrl, rt.redisPassword, rt.redisUsername as string | undefined),
        lazyConnect: false,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        retryStrategy: (times) => Math.min(50 * times, 1000),
        // cluster mode: named per instance, so a node's CLIENT LIST / MONITOR tells whose writes these are
        connectionName: clusterNodesFromEnv() ? `alphatrader-publisher-${instanceIdFromEnv()}` : 'alphatrader-publisher',
      });
      redis.on('ready', () => {
        everUp = true;
        setUp(true);
        ctx.log.info('Redis connected');
      });
      redis.on('close', () => setUp(false));
      redis.on('error', () => setUp(false)); // logged (rate-limited) by flush
      let monitorTick = 0;
      timer = setInterval(() => {
        if (++monitorTick % Math.max(1, Math.round(1000 / cfg.redis.flushMs)) === 0) {
          publishMonitoring();
          retention();
        }
        flush();
      }, cfg.redis.flushMs);
    },
    onMessage(view, off) {
      market.onMessage(view, off);
    },
    onBatchEnd() {
      if (writer.idle && performance.now() - lastFlushAt >= cfg.redis.flushGapMs) flush();
    },
    onCommand(topic, payload) {
      if (topic === 'xadd') {
        const a = payload as StreamAppend;
        if (!a || typeof a.stream !== 'string' || typeof a.fields !== 'object') return void ctx.countInputError();
        if (streamQueue.length >= cfg.redis.maxPendingKeys) {
          streamDropped++;
          ctx.countError();
          ctx.log.error({ stream: a.stream, dropped: streamDropped }, 'stream queue full while Redis is down: entry dropped');
          return;
        }
        streamQueue.push(a);
      } else if (topic === 'signal') {
        const w = signalWrites(payload, Date.now());
        if (!w) return void ctx.countInputError();
        if (!served.allowsKey(w.key)) return void notServedKeys++;
        writer.set(w.key, w.value, w.ttlMs);
        if (streamQueue.length < cfg.redis.maxPendingKeys) streamQueue.push(w.stream);
        else ctx.countError();
      } else if (topic === SERVED_SYMBOLS_TOPIC) {
        const change = served.apply(payload);
        if (!change) return void ctx.countInputError();
        if (change.lost.length) {
          const lost = new Set(change.lost.map((i) => ctx.symbols.names[i]));
          writer.dropWhere((k) => lost.has(keySymbol(k) ?? ''));
          const kept = streamQueue.filter((a) => !lost.has(keySymbol(a.stream) ?? ''));
          streamQueue.splice(0, streamQueue.length, ...kept);
          // answered (the runner acknowledges the set) only once what was already sent has landed: the lease
          // is given away after that, so no write of this instance can reach Redis after another's
          return Promise.all([writer.settled(), streamsInFlight]).then(() => {});
        }
      } else if (topic === 'publish') applyRequest(payload as PublishRequest);
      else if (topic === 'publish-many' && Array.isArray(payload)) for (const r of payload) applyRequest(r as PublishRequest);
      else ctx.countInputError();
    },
    async close() {
      clearInterval(timer);
      // Final flush: what the other actors sent before stopping reaches Redis.
      market.flushInto(servedWriter);
      if (redis.status === 'ready') {
        await writer.flush(redis);
        await flushStreams();
      }
      await redis.quit().catch(() => redis.disconnect());
    },
  };
};

export default create;
