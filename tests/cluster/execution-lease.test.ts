/**
 * The execution owner's lease and the fenced order journal on a real local 3-master cluster (the project's
 * helper): two contenders, exactly one holds; a holder paused past the TTL (its timers and its clock frozen,
 * as under SIGSTOP) loses to the other with a higher token, its journal append after the takeover is
 * refused by Redis (clear error, counted) and it steps down; a clean shutdown hands over without the TTL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { OrderJournal } from '../../actors/execution/OrderJournal.js';
import { EXECUTION_LEASE, JOURNAL_FENCE_KEY, executionLeaseKeys } from '../../engine/cluster/ClusterKeys.js';
import { ExecutionLease } from '../../engine/cluster/ExecutionLease.js';
import type { StepDownReason } from '../../engine/cluster/LeaseHolder.js';
import { FencedError, streamFenceKey } from '../../engine/redis/Lease.js';
import { archiveJournal } from '../../actors/execution/JournalArchive.js';
import { newOrderRecord } from '../../actors/execution/OrderBookkeeping.js';
import { applyRetention, JOURNAL_ARCHIVE_PREFIX } from '../../engine/redis/StreamRetention.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { TestCluster } from '../helpers/cluster.js';

const TTL = 1500;
const MARGIN = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (await cond()) return;
  throw new Error(`timed out: ${what}`);
}

describe('execution lease and fenced journal on a local Redis Cluster', () => {
  let cluster: TestCluster;
  let redis: Cluster;
  const made: ExecutionLease[] = [];
  const make = (me: string, journal: string, extra: Partial<ConstructorParameters<typeof ExecutionLease>[1]> = {}) => {
    const l = new ExecutionLease(redis, { me, ttlMs: TTL, marginMs: MARGIN, journal, ...extra });
    made.push(l);
    return l;
  };

  beforeAll(async () => {
    cluster = await TestCluster.start();
    redis = cluster.client();
  }, 120_000);
  afterAll(async () => {
    for (const l of made) await l.close().catch(() => {});
    redis?.disconnect();
    await cluster?.stop();
  });

  it('the lease and its counter share a slot; the journal and its fence share another', async () => {
    const k = executionLeaseKeys();
    expect(EXECUTION_LEASE).toBe('execution');
    expect(JOURNAL_FENCE_KEY).toBe(streamFenceKey('orders:journal'));
    const slot = (key: string) => redis.cluster('KEYSLOT', key) as Promise<number>;
    expect(await slot(k.lease)).toBe(await slot(k.epoch));
    expect(await slot(JOURNAL_FENCE_KEY)).toBe(await slot('orders:journal'));
    expect(await slot(k.lease)).not.toBe(await slot('orders:journal'));
  });

  it('two contenders: exactly one holds, sampled every 25 ms', async () => {
    const a = make('inst-a', 'test:journal:contend');
    const b = make('inst-b', 'test:journal:contend');
    a.start();
    b.start();
    await until(() => a.token !== null || b.token !== null, 'a first grant');
    let samples = 0;
    for (const end = Date.now() + 4 * TTL; Date.now() < end; await sleep(25)) {
      expect([a, b].filter((l) => l.token !== null).length).toBeLessThanOrEqual(1); // never two
      samples++;
    }
    expect(samples).toBeGreaterThan(20);
    await until(() => [a, b].filter((l) => l.token !== null).length === 1, 'one holder');
    const holder = a.token !== null ? a : b;
    expect(await redis.get(executionLeaseKeys().lease)).toBe(`${holder === a ? 'inst-a' : 'inst-b'}:${holder.token}`);
    await a.close();
    await b.close();
    expect(await redis.exists(executionLeaseKeys().lease)).toBe(0); // released on a clean shutdown
  }, 60_000);

  it('a holder paused past the TTL loses to a higher token; its late append is refused and it steps down', async () => {
    const stream = 'test:journal:pause';
    let frozen: number | null = null;
    const clockA = () => frozen ?? performance.now();
    const downs: [string, StepDownReason, number][] = [];
    const leads: [string, number][] = [];
    const hooks = (me: string) => ({ onLead: (t: number) => leads.push([me, t]), onStepDown: (r: StepDownReason, t: number) => downs.push([me, r, t]) });
    const a = make('inst-a', stream, { now: clockA, ...hooks('inst-a') });
    const b = make('inst-b', stream, hooks('inst-b'));
    const journalA = new OrderJournal(redis, stream);
    journalA.fenced = (f) => a.append(f);
    const journalB = new OrderJournal(redis, stream);
    journalB.fenced = (f) => b.append(f);

    await a.step();
    const tokenA = a.token!;
    expect(tokenA).toBeGreaterThan(0);
    await b.step();
    expect(b.token).toBeNull();
    await journalA.appendAdjustment('SPY', 1, 100, 'before the pause');

    // SIGSTOP as the process sees it: no step runs and its clock does not move; b keeps polling
    frozen = performance.now();
    let stepsB = 0;
    await until(async () => {
      await b.step();
      stepsB++;
      return b.token !== null;
    }, 'b takes over after the TTL');
    const tokenB = b.token!;
    expect(tokenB).toBeGreaterThan(tokenA);
    expect(stepsB).toBeGreaterThan(1);
    expect(a.token).toBe(tokenA); // frozen: a still believes it holds the lease
    await journalB.appendAdjustment('SPY', 2, 101, 'new owner');

    // SIGCONT: an append a had already decided on goes out first, then its timers run again
    const late = journalA.appendAdjustment('SPY', 3, 102, 'late, from the paused owner');
    await expect(late).rejects.toBeInstanceOf(FencedError);
    await expect(late).rejects.toThrow(new RegExp(`FENCED token ${tokenA} of inst-a is older than ${tokenB} of inst-b`));
    expect(a.counters.fencedAppends).toBe(1);
    expect(a.fence.refused).toBe(1);
    expect(downs).toContainEqual(['inst-a', 'fenced', tokenA]);
    expect(a.core.phase).toBe('follower');
    frozen = null;
    await a.step();
    expect(a.token).toBeNull(); // b still holds it
    await expect(journalA.appendAdjustment('SPY', 4, 103, 'after stepping down')).rejects.toBeInstanceOf(FencedError);
    expect(a.counters.fencedAppends).toBe(2); // refused locally this time (no token), still counted

    const reasons = (await redis.xrange(stream, '-', '+')).map(([, kv]) => kv[kv.indexOf('reason') + 1]);
    expect(reasons).toEqual(['before the pause', 'new owner']);
    expect(await redis.hgetall(JOURNAL_FENCE_KEY.replace('orders:journal', stream))).toEqual({ token: String(tokenB), owner: 'inst-b' });
    expect(leads).toEqual([['inst-a', tokenA], ['inst-b', tokenB]]);

    // a clean shutdown hands over at once (no TTL to wait), with a higher token again
    await b.close();
    expect(downs).toContainEqual(['inst-b', 'shutdown', tokenB]);
    await a.step();
    expect(a.token).toBeGreaterThan(tokenB);
    await journalA.appendAdjustment('SPY', 5, 104, 'a again');
    expect(await redis.xlen(stream)).toBe(3);
    await a.close();
  }, 60_000);

  it('journal retention on a cluster: the compacted journal, its copy and its archive share the journal\'s slot; retention deletes the archive', async () => {
    const DAY = 86_400_000;
    const now = Date.now();
    const stream = 'orders:journal';
    await redis.del(stream);
    const j = new OrderJournal(redis, stream);
    for (const [k, d] of [[1, 10], [2, 9], [3, 0]] as const) {
      const rec = newOrderRecord({ clientOrderId: `AT-arch-${k}`, symbol: 'SPY', side: 'buy', qty: 10, type: 'market', tif: 'day' }, now - d * DAY, 1, false);
      await j.appendIntent(rec);
      if (d > 0) await j.appendEvent(rec.order.clientOrderId, { kind: 'fill', clientOrderId: rec.order.clientOrderId, execId: `E${k}`, price: 100, qty: 10, cumQty: 10, leavesQty: 0, ts: now - d * DAY });
    }
    const rep = await archiveJournal(redis, stream, now, 5);
    expect(rep.archived).toBe(4);
    expect(rep.archiveKey).toBe(`${JOURNAL_ARCHIVE_PREFIX}${now}:{orders:journal}`);
    expect(await redis.cluster('KEYSLOT', rep.archiveKey!)).toBe(await redis.cluster('KEYSLOT', stream));
    const l = await j.load(now);
    expect([...l.orders.keys()]).toEqual(['AT-arch-3']);
    expect(l.fills.filter((f) => f.carry).map((f) => [f.symbol, f.qty])).toEqual([['SPY', 20]]);
    const cfg = loadConfig({ env: {} }).config;
    const ret = await applyRetention(redis, { ...cfg.retention, journalArchiveDays: 1 }, now + 2 * DAY);
    expect(ret.archivesDeleted).toBe(1);
    expect(await redis.exists(rep.archiveKey!)).toBe(0);
    await redis.del(stream);
  });
});
