import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ConflatingWriter } from '../../engine/redis/ConflatingWriter.js';
import { TestRedis } from '../helpers/redis.js';

describe('ConflatingWriter against a real redis-server', () => {
  let server: TestRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await TestRedis.start();
    redis = server.client();
    await redis.connect();
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('writes the latest value per key with its TTL, in one pipeline', async () => {
    const w = new ConflatingWriter(100);
    for (let i = 0; i < 50; i++) w.set('k:a', JSON.stringify({ i }), 5000);
    w.set('k:b', 'plain', 0);
    expect(w.size).toBe(2);
    expect(await w.flush(redis)).toBe(true);
    expect(JSON.parse((await redis.get('k:a'))!)).toEqual({ i: 49 });
    const pttl = await redis.pttl('k:a');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5000);
    expect(await redis.pttl('k:b')).toBe(-1); // ttl 0 = no expiry
    expect(w.stats).toMatchObject({ conflated: 49, keysWritten: 2, flushes: 1 });
    expect(w.size).toBe(0);
  });

  it('while Redis is unavailable holds only the newest value per key, bounded, and drops new keys past the bound', async () => {
    const w = new ConflatingWriter(100);
    const offline = { status: 'reconnecting' } as unknown as Redis;
    for (let round = 0; round < 1000; round++) for (let k = 0; k < 150; k++) w.set(`k:${k}`, String(round), 1000);
    expect(await w.flush(offline)).toBe(false);
    expect(w.size).toBe(100);
    expect(w.stats.droppedKeys).toBe(1000 * 50);
    expect(await w.flush(redis)).toBe(true);
    expect(await redis.get('k:0')).toBe('999');
    expect(await redis.get('k:120')).toBeNull();
  });
});
