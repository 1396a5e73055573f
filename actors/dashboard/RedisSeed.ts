import { Redis } from 'ioredis';
import type { ColdStore } from './ColdStore.js';

/**
 * Keys that may have been published before this dashboard started and are not republished on a timer:
 * the breaker and escalation state, positions, orders, P&L, risk, latest signals. Everything else is
 * refreshed within a second or two by its publisher.
 */
export const SEED_PATTERNS = ['cb:*', 'engine:escalation', 'positions', 'positions:*', 'orders:*', 'pnl', 'performance:*', 'risk:*', 'signals:*'];

export interface SeedTarget {
  url: string;
  username?: string;
  password?: string;
}

/**
 * One read-only pass over Redis at start-up (SCAN, GET, PTTL) so a restarted dashboard shows a tripped
 * breaker or open positions straight away. Keys a live publish already set are left alone. Best effort:
 * Redis down or slow costs nothing but the seed. Returns the number of keys seeded.
 */
export async function seedFromRedis(target: SeedTarget, store: ColdStore, maxKeys = 2000, timeoutMs = 3000): Promise<number> {
  const u = new URL(target.url);
  const redis = new Redis({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 6379),
    username: target.username || (u.username ? decodeURIComponent(u.username) : undefined),
    password: target.password || (u.password ? decodeURIComponent(u.password) : undefined),
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectionName: 'alphatrader-dashboard-seed',
  });
  redis.on('error', () => {}); // reported through the rejected promise
  try {
    await redis.connect();
    const keys = new Set<string>();
    for (const pattern of SEED_PATTERNS) {
      if (!pattern.includes('*')) {
        keys.add(pattern);
        continue;
      }
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        for (const k of batch) keys.add(k);
        cursor = next;
      } while (cursor !== '0' && keys.size < maxKeys);
    }
    const list = [...keys].slice(0, maxKeys);
    if (!list.length) return 0;
    const pipe = redis.pipeline();
    for (const k of list) pipe.get(k).pttl(k);
    const res = (await pipe.exec()) ?? [];
    let n = 0;
    const now = Date.now();
    for (let i = 0; i < list.length; i++) {
      const [getErr, value] = res[2 * i] ?? [];
      const [, pttl] = res[2 * i + 1] ?? [];
      // WRONGTYPE (a hash or a stream under a seeded name) and vanished keys are skipped.
      if (getErr || typeof value !== 'string' || typeof pttl !== 'number' || pttl === -2) continue;
      if (store.has(list[i], now)) continue;
      if (store.set(list[i], value, pttl > 0 ? pttl : 0, now)) n++;
    }
    return n;
  } finally {
    redis.disconnect();
  }
}
