/**
 * `alphatrader backup` / `restore` round trip on a real redis-server: every key type the engine writes (the
 * order journal stream with a consumer group, hashes, TTL'd keys, sorted sets, lists, sets, a second
 * database), restored exactly after the data was lost and replaced by junk; a restore refuses while an
 * engine is connected; a file that is not an RDB is a usage error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/engine.js';
import { TestRedis } from '../helpers/redis.js';

describe('backup and restore', () => {
  let redis: TestRedis;
  let r: Redis;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'at-backup-'));

  beforeAll(async () => {
    redis = await TestRedis.start({ aof: true });
    r = redis.client();
    await r.connect();
    env = { REDIS_URL: redis.url };
  });
  afterAll(async () => {
    r?.disconnect();
    await redis?.stop();
  });

  /** Everything in every database, comparable: type, value and whether it expires. */
  async function snapshot(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const db of [0, 3]) {
      await r.select(db);
      for (const k of (await r.keys('*')).sort()) {
        const type = await r.type(k);
        const value =
          type === 'string' ? await r.get(k)
          : type === 'hash' ? await r.hgetall(k)
          : type === 'list' ? await r.lrange(k, 0, -1)
          : type === 'set' ? (await r.smembers(k)).sort()
          : type === 'zset' ? await r.zrange(k, 0, -1, 'WITHSCORES')
          : type === 'stream' ? { entries: await r.xrange(k, '-', '+'), groups: await r.xinfo('GROUPS', k) }
          : null;
        out[`${db}/${k}`] = { type, value, expires: (await r.pttl(k)) > 0 };
      }
    }
    await r.select(0);
    return out;
  }

  it('round trip: the data lost and replaced by junk comes back exactly, TTLs included', async () => {
    for (let i = 0; i < 50; i++) await r.xadd('orders:journal', '*', 'type', 'intent', 'cid', `AT-1-${i}`, 'qty', String(i));
    await r.xgroup('CREATE', 'orders:journal', 'readers', '0');
    await r.xadd('orders:journal:archive:1700000000000', '1-1', 'type', 'carry', 'symbol', 'SPY');
    await r.xadd('audit:stream', '*', 'action', 'kill', 'reason', 'test');
    await r.set('cb:state', 'tripped');
    await r.set('engine:halted', JSON.stringify({ reason: 'x' }));
    await r.set('signals:strategies', JSON.stringify({ '0DTE': false }));
    await r.set('account:summary', JSON.stringify({ equity: 1 }), 'PX', 600_000);
    await r.hset('analytics:vpin:state', { SPY: 'abc', QQQ: 'def' });
    await r.zadd('performance:equity', 1, 'a', 2, 'b');
    await r.rpush('market:{SPY}:bars', 'x', 'y', 'z');
    await r.sadd('some:set', 'p', 'q');
    await r.set('bin', Buffer.from([0, 255, 10, 13]));
    await r.select(3);
    await r.set('other-db', '1');
    await r.select(0);
    const before = await snapshot();

    const file = join(dir, 'b1.rdb');
    const b = await cli(['backup', '--out', file], env);
    expect(b.code, b.stderr).toBe(0);
    const made = JSON.parse(b.stdout) as { file: string; bytes: number; ms: number };
    console.log(`backup: ${made.bytes} bytes in ${made.ms} ms`);
    expect(made.file).toBe(file);
    expect(made.bytes).toBeGreaterThan(100);
    // never overwritten
    const again = await cli(['backup', '--out', file], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists/);

    await r.flushall();
    await r.set('junk', 'after the backup');
    const res = await cli(['restore', file], env);
    expect(res.code, res.stderr).toBe(0);
    const done = JSON.parse(res.stdout) as { restored: Record<string, number> };
    console.log(`restore: ${res.stdout.trim()}`);
    expect(done.restored.db0).toBe(Object.keys(before).filter((k) => k.startsWith('0/')).length);
    expect(await snapshot()).toEqual(before);
    expect(await r.exists('junk')).toBe(0);
    const ttl = await r.pttl('account:summary');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect(Buffer.compare((await r.getBuffer('bin'))!, Buffer.from([0, 255, 10, 13]))).toBe(0);
  });

  it('refuses while an engine is connected to that Redis, and leaves the data alone', async () => {
    const file = join(dir, 'b2.rdb');
    expect((await cli(['backup', '--out', file], env)).code).toBe(0);
    await r.set('live', 'data');
    const engine = redis.client();
    await engine.connect();
    await engine.client('SETNAME', 'alphatrader-execution');
    try {
      const res = await cli(['restore', file], env);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/refusing to restore .*an engine is running against it \(connected clients alphatrader-execution\)/);
      expect(await r.get('live')).toBe('data');
    } finally {
      engine.disconnect();
    }
    await r.set('engine:status', '{}', 'PX', 10_000);
    const res2 = await cli(['restore', file], env);
    expect(res2.code).toBe(1);
    expect(res2.stderr).toMatch(/engine:status is fresh/);
    await r.del('engine:status');
  });

  it('a file that is not an RDB, or none: one line and the usage, exit 2', async () => {
    const bad = join(dir, 'not.rdb');
    writeFileSync(bad, 'hello, not a dump');
    const res = await cli(['restore', bad], env);
    expect(res.code).toBe(2);
    expect(res.stderr.split('\n')[0]).toMatch(/^alphatrader restore: FILE: .* is not an RDB file/);
    expect((await cli(['restore', join(dir, 'missing.rdb')], env)).code).toBe(2);
    expect((await cli(['restore'], env)).stderr).toMatch(/missing FILE/);
  });
});
