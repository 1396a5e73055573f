/**
 * VPIN state kept in Redis per symbol (`analytics:{SYM}:vpin:state`), so a restart of the analytics thread
 * (or of the hot group it shares, or of the engine) carries on with its buckets, σ window and CDF history
 * instead of warming up again for an hour of trading.
 *
 * Saved through the publisher like every other key (cold path, conflated), read once at start-up with a
 * short-lived connection. A state that cannot be read or does not fit (another bucket volume, a malformed
 * value) is logged and the symbol starts fresh: never fatal.
 */

import { createRedisClient } from '../../engine/redis/RedisClient.js';
import { redisEndpoint } from '../../engine/redis/redisOptions.js';
import { mgetAll } from '../../engine/redis/SlotGroups.js';
import type { VpinState } from '../../analytics/vpin.js';
import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';

/** Over a long weekend: a Friday's history is restored on Tuesday morning after a Monday holiday. */
export const VPIN_STATE_TTL_MS = 4 * 86_400_000;

export const vpinStateKey = (symbol: string): string => `analytics:{${symbol}}:vpin:state`;

export type BucketVolumeSource = 'config' | 'discovery' | 'history' | 'estimated' | 'restored';

export interface SavedVpin {
  bucketVolume: number;
  bucketVolumeSource: BucketVolumeSource;
  /** Where the bucket volume first came from (a restored state keeps it), so a weak one can be replaced. */
  origin?: Exclude<BucketVolumeSource, 'restored'>;
  savedAtMs: number;
  state: VpinState;
}

export function saveRequest(symbol: string, saved: SavedVpin): PublishRequest {
  return { key: vpinStateKey(symbol), value: saved, ttlMs: VPIN_STATE_TTL_MS };
}

export interface RedisTarget {
  url: string;
  username?: string;
  password?: string;
}

/** `alphatrader discover` writes each symbol's findings here, its VPIN bucket volume among them. */
export const discoveryKey = (symbol: string): string => `discovery:{${symbol}}`;

/**
 * The saved states of `symbols` and the bucket volumes `alphatrader discover` left in Redis (absent ones
 * omitted); throws only when Redis cannot be read in `timeoutMs`. A value that is not JSON is reported in
 * `bad` and skipped.
 */
export async function loadVpinStates(
  target: RedisTarget,
  symbols: readonly string[],
  timeoutMs = 2000,
): Promise<{ saved: Map<string, SavedVpin>; discovered: Map<string, number>; bad: string[] }> {
  const redis = createRedisClient({
    ...redisEndpoint(target.url, target.password, target.username),
    lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: timeoutMs, commandTimeout: timeoutMs,
    retryStrategy: () => null, connectionName: 'alphatrader-analytics-restore',
  });
  redis.on('error', () => {});
  const saved = new Map<string, SavedVpin>();
  const discovered = new Map<string, number>();
  const bad: string[] = [];
  try {
    await redis.connect();
    const n = symbols.length;
    const values = n ? await mgetAll(redis, [...symbols.map(vpinStateKey), ...symbols.map(discoveryKey)]) : [];
    values.forEach((v, i) => {
      if (v === null) return;
      const sym = symbols[i % n]!;
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch {
        bad.push(i < n ? vpinStateKey(sym) : discoveryKey(sym));
        return;
      }
      if (i < n) saved.set(sym, parsed as SavedVpin);
      else {
        const V = (parsed as { vpin?: { bucketVolume?: unknown } })?.vpin?.bucketVolume;
        if (typeof V === 'number' && Number.isInteger(V) && V >= 1) discovered.set(sym, V);
      }
    });
  } finally {
    redis.disconnect();
  }
  return { saved, discovered, bad };
}
