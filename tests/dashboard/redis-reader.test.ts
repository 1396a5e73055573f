import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColdStore } from '../../actors/dashboard/ColdStore.js';
import { pollRedisKeys, seedFromRedis } from '../../actors/dashboard/RedisReader.js';
import { freePort, TestRedis, waitFor } from '../helpers/redis.js';

describe('dashboard reads from Redis (read-only): the start-up seed and the keys written straight to Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('reads the breaker, positions and P&L that were published before it started, with their TTLs', async () => {
    const c = redis.client();
    await c.connect();
    try {
      await c.set('cb:state', 'tripped');
      await c.set('cb:reason', 'supervisor escalation');
      await c.set('positions', JSON.stringify([{ symbol: 'SPY', qty: 100 }]), 'PX', 60_000);
      await c.set('orders:open', '[]', 'PX', 60_000);
      await c.xadd('signals:stream', '*', 'a', '1'); // a stream under a seeded pattern: skipped, not an error
      await c.set('market:{SPY}:book', '{}', 'PX', 60_000); // refreshed by its publisher: not seeded
    } finally {
      c.disconnect();
    }
    const store = new ColdStore();
    store.set('orders:open', [{ id: 'live' }], 5000); // already published live: kept
    const n = await seedFromRedis({ url: `redis://127.0.0.1:${redis.port}`, password: redis.password }, store);
    expect(n).toBe(3);
    expect(store.get('cb:state')).toBe('tripped');
    expect(store.get('cb:reason')).toBe('supervisor escalation');
    expect(store.get('positions')).toEqual([{ symbol: 'SPY', qty: 100 }]);
    expect(store.get('positions', Date.now() + 120_000)).toBeUndefined(); // its TTL came along
    expect(store.get('cb:state', Date.now() + 1e9)).toBe('tripped'); // no TTL: stays
    expect(store.get('orders:open')).toEqual([{ id: 'live' }]);
    expect(store.has('market:{SPY}:book')).toBe(false);
    expect(store.has('signals:stream')).toBe(false);
  });

  it('fails fast and cleanly when Redis is not there', async () => {
    const port = await freePort();
    await expect(seedFromRedis({ url: `redis://127.0.0.1:${port}` }, new ColdStore(), 100, 1000)).rejects.toThrow();
  });

  it('polls the keys other actors write straight to Redis (the publisher\'s own metrics)', async () => {
    const c = redis.client();
    await c.connect();
    const store = new ColdStore();
    const poll = pollRedisKeys({ url: `redis://127.0.0.1:${redis.port}`, password: redis.password }, store, ['monitoring:publisher:metrics'], 50);
    try {
      await c.set('monitoring:publisher:metrics', JSON.stringify({ errors: 1, lastFlushMs: 5 }), 'PX', 10_000);
      await waitFor(() => (store.get('monitoring:publisher:metrics') as { errors?: number } | undefined)?.errors === 1, 10_000, 'the first poll');
      await c.set('monitoring:publisher:metrics', JSON.stringify({ errors: 2, lastFlushMs: 6 }), 'PX', 10_000);
      await waitFor(() => (store.get('monitoring:publisher:metrics') as { errors?: number } | undefined)?.errors === 2, 10_000, 'the next poll');
    } finally {
      poll.stop();
      c.disconnect();
    }
  });
});
