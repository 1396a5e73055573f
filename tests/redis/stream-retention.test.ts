/**
 * Stream retention (engine/redis/StreamRetention.ts) on a real redis-server: age by stream id, length caps,
 * journal archives by their time stamp; the order journal itself is never a retention target.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { applyRetention, streamMaxLen } from '../../engine/redis/StreamRetention.js';
import { TestRedis } from '../helpers/redis.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('stream retention', () => {
  let redis: TestRedis;
  let r: Redis;
  beforeAll(async () => {
    redis = await TestRedis.start();
    r = redis.client();
    await r.connect();
  });
  afterAll(async () => {
    r?.disconnect();
    await redis?.stop();
  });
  beforeEach(async () => {
    await r.flushall();
  });

  it('entries older than maxAgeDays go (the boundary stays), then the length cap applies', async () => {
    // one entry a day for 10 days, the newest exactly now
    for (let d = 9; d >= 0; d--) await r.xadd('audit:stream', `${NOW - d * DAY}-0`, 'n', String(d));
    for (let d = 9; d >= 0; d--) await r.xadd('signals:stream', `${NOW - d * DAY}-0`, 'n', String(d));
    await r.xadd('orders:journal', `${NOW - 100 * DAY}-0`, 'type', 'intent');
    const rep = await applyRetention(r, { streams: { 'audit:stream': { maxAgeDays: 3 }, 'signals:stream': { maxAgeDays: 0, maxLen: 4 } }, journalArchiveDays: 0, trimEveryMs: 3_600_000 }, NOW);
    expect(rep.trimmed).toEqual({ 'audit:stream': 6, 'signals:stream': 6 });
    expect((await r.xrange('audit:stream', '-', '+')).map(([id]) => id)).toEqual([3, 2, 1, 0].map((d) => `${NOW - d * DAY}-0`));
    expect(await r.xlen('signals:stream')).toBe(4);
    expect(await r.xlen('orders:journal')).toBe(1); // not configured: untouched
    // a second pass finds nothing more
    expect((await applyRetention(r, { streams: { 'audit:stream': { maxAgeDays: 3 } }, journalArchiveDays: 0, trimEveryMs: 3_600_000 }, NOW)).trimmed['audit:stream']).toBe(0);
  });

  it('journal archives older than journalArchiveDays are deleted; 0 keeps them all', async () => {
    for (const d of [40, 31, 29, 1]) await r.xadd(`orders:journal:archive:${NOW - d * DAY}`, '1-1', 'type', 'carry');
    await r.xadd('orders:journal:archive:notatime', '1-1', 'type', 'carry');
    expect((await applyRetention(r, { streams: {}, journalArchiveDays: 0, trimEveryMs: 3_600_000 }, NOW)).archivesDeleted).toBe(0);
    const rep = await applyRetention(r, { streams: {}, journalArchiveDays: 30, trimEveryMs: 3_600_000 }, NOW);
    expect(rep.archivesDeleted).toBe(2);
    expect((await r.keys('orders:journal:archive:*')).sort()).toEqual([`orders:journal:archive:${NOW - 1 * DAY}`, `orders:journal:archive:${NOW - 29 * DAY}`, 'orders:journal:archive:notatime'].sort());
  });

  it('the default configuration covers every stream the engine appends to, and refuses the order journal', () => {
    const cfg = loadConfig({ env: {} }).config.retention;
    expect(Object.keys(cfg.streams).sort()).toEqual(['audit:stream', 'engine:commands', 'orders:events', 'quality:quarantine', 'signals:stream']);
    expect(streamMaxLen(cfg, 'signals:stream', 99)).toBe(10_000);
    expect(streamMaxLen(cfg, 'quality:quarantine', 5000)).toBe(5000); // the writer's own cap
    const f = join(mkdtempSync(join(tmpdir(), 'at-ret-')), 'c.yaml');
    writeFileSync(f, 'retention:\n  streams:\n    "orders:journal": { maxAgeDays: 1 }\n');
    expect(() => loadConfig({ env: {}, file: f })).toThrow(/orders:journal is not trimmed/);
  });
});
