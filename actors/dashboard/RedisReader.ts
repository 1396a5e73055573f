import { createRedisClient, type RedisLike } from '../../engine/redis/RedisClient.js';
import { redisEndpoint } from '../../engine/redis/redisOptions.js';
import { pipelineAll, scanAll, type Cmd } from '../../engine/redis/SlotGroups.js';
import type { ColdStore } from './ColdStore.js';

/**
 * Keys that may have been published before this dashboard started and are not republished on a timer:
 * the breaker and escalation state, positions, orders, P&L, risk, latest signals. Everything else is
 * refreshed within a second or two by its publisher.
 */
export const SEED_PATTERNS = ['cb:*', 'engine:escalation', 'positions', 'positions:*', 'orders:*', 'pnl', 'performance:*', 'risk:*', 'signals:*'];

/**
 * Keys written straight to Redis rather than through the cold path (so they never reach the dashboard as
 * a publish): the publisher's own metrics (flush lag, errors, pending keys) and the kill switch's halt mark.
 */
export const POLLED_KEYS = ['monitoring:publisher:metrics', 'engine:halted'];

export interface SeedTarget {
  url: string;
  username?: string;
  password?: string;
}

export function client(target: SeedTarget, timeoutMs: number, name: string, reconnect: boolean): RedisLike {
  const redis = createRedisClient({
    ...redisEndpoint(target.url, target.password, target.username),
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: reconnect ? (times) => Math.min(200 * times, 5000) : () => null,
    connectionName: name,
  });
  redis.on('error', () => {}); // reported through rejected commands
  return redis;
}

/** Copies string keys into the store with their remaining TTL; keys a live publish already holds are left alone. */
async function copyKeys(redis: RedisLike, keys: string[], store: ColdStore, overwrite: boolean): Promise<number> {
  if (!keys.length) return 0;
  const res = await pipelineAll(redis, keys.flatMap((k): Cmd[] => [['get', k], ['pttl', k]]));
  let n = 0;
  const now = Date.now();
  for (let i = 0; i < keys.length; i++) {
    const [getErr, value] = res[2 * i] ?? [];
    const [, pttl] = res[2 * i + 1] ?? [];
    // WRONGTYPE (a hash or a stream under a seeded name) and vanished keys are skipped.
    if (getErr || typeof value !== 'string' || typeof pttl !== 'number' || pttl === -2) continue;
    if (!overwrite && store.has(keys[i], now)) continue;
    if (store.set(keys[i], value, pttl > 0 ? pttl : 0, now)) n++;
  }
  return n;
}

/**
 * One read-only pass over Redis at start-up (SCAN, GET, PTTL) so a restarted dashboard shows a tripped
 * breaker or open positions straight away. Best effort: Redis down or slow costs nothing but the seed.
 * Returns the number of keys seeded.
 */
export async function seedFromRedis(target: SeedTarget, store: ColdStore, maxKeys = 2000, timeoutMs = 3000): Promise<number> {
  const redis = client(target, timeoutMs, 'alphatrader-dashboard-seed', false);
  try {
    await redis.connect();
    const keys = new Set<string>();
    for (const pattern of SEED_PATTERNS) {
      if (!pattern.includes('*')) {
        keys.add(pattern);
        continue;
      }
      for (const k of await scanAll(redis, pattern, maxKeys - keys.size)) keys.add(k); // every master of a cluster
    }
    return await copyKeys(redis, [...keys].slice(0, maxKeys), store, false);
  } finally {
    redis.disconnect();
  }
}

/**
 * Reads `keys` every `everyMs` into the store (read-only: GET and PTTL). A failed read is counted and
 * skipped; the connection reconnects by itself. Returns a function that stops it.
 */
export function pollRedisKeys(target: SeedTarget, store: ColdStore, keys: readonly string[] = POLLED_KEYS, everyMs = 1000): { stop(): void; failures(): number } {
  const redis = client(target, Math.max(500, everyMs), 'alphatrader-dashboard-poll', true);
  let failures = 0;
  let busy = false;
  void redis.connect().catch(() => failures++);
  const timer = setInterval(() => {
    if (busy || redis.status !== 'ready') return;
    busy = true;
    copyKeys(redis, [...keys], store, true).catch(() => failures++).finally(() => (busy = false));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      redis.disconnect();
    },
    failures: () => failures,
  };
}
