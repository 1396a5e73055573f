/**
 * Cluster mode end to end against a real local 3-master Redis Cluster (the project's helper): the engine
 * (`alphatrader start` with REDIS_CLUSTER_NODES: publisher, analytics, signals, execution and its journal,
 * dashboard), the operator CLI (status, breaker) and the multi-key helpers each path uses run without a
 * single CROSSSLOT: every master's own error statistics (INFO errorstats, reset before the run) must show
 * none, the engine's log must name none, and the client-side "one node per pipeline" rule must never fire.
 * No embedded redis-server is started in cluster mode.
 */
import fc from 'fast-check';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { INSTANCES_KEY, instanceKey, readInstances, writeInstance, type InstanceRecord } from '../../engine/cluster/ClusterKeys.js';
import { ExecutionState } from '../../actors/execution/ExecutionState.js';
import { ControlWriter } from '../../engine/supervisor/ControlWriter.js';
import { ConflatingWriter } from '../../engine/redis/ConflatingWriter.js';
import { createRedisClient, type RedisLike } from '../../engine/redis/RedisClient.js';
import { keySlot, mgetAll, pipelineAll, scanAll, transaction } from '../../engine/redis/SlotGroups.js';
import { applyRetention, JOURNAL_ARCHIVE_PREFIX } from '../../engine/redis/StreamRetention.js';
import { seedFromRedis } from '../../actors/dashboard/RedisReader.js';
import { ColdStore } from '../../actors/dashboard/ColdStore.js';
import { loadVpinStates } from '../../actors/analytics/VpinStore.js';
import { TestCluster } from '../helpers/cluster.js';
import { EngineProcess, cli } from '../helpers/engine.js';
import { waitFor } from '../helpers/redis.js';

const CROSS = /CROSSSLOT|same slots allocation group/;

/** CROSSSLOT errors every master has answered since the last CONFIG RESETSTAT. */
async function crossSlotCount(c: Cluster): Promise<number> {
  let n = 0;
  for (const node of c.nodes('master')) {
    const m = /errorstat_CROSSSLOT:count=(\d+)/.exec(await node.info('errorstats'));
    n += m ? Number(m[1]) : 0;
  }
  return n;
}

describe('cluster mode: no CROSSSLOT on a 3-master cluster', () => {
  let cluster: TestCluster;
  let admin: Cluster;
  let redis: RedisLike;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    cluster = await TestCluster.start();
    admin = cluster.client();
    await admin.ping();
    Object.assign(process.env, cluster.env); // createRedisClient inside the engine's modules reads the environment
    redis = createRedisClient({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
  }, 90_000);
  afterAll(async () => {
    process.env = savedEnv;
    redis?.disconnect();
    admin?.disconnect();
    await cluster?.stop();
  });

  it('the check can fail: a deliberate cross-slot MGET is refused and counted by the master', async () => {
    await expect(admin.mget('probe:{SPY}', 'probe:{IWM}')).rejects.toThrow(/CROSSSLOT/);
    expect(await crossSlotCount(admin)).toBeGreaterThan(0);
    await Promise.all(admin.nodes('master').map((n) => n.config('RESETSTAT'))); // from here on: none allowed
  });

  it('keySlot is Redis\'s CLUSTER KEYSLOT (hash tags included); seed 15', async () => {
    const key = fc.oneof(fc.string({ maxLength: 12 }), fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })).map(([a, b, c]) => `${a}{${b}}${c}`));
    await fc.assert(fc.asyncProperty(key, async (k) => keySlot(k) === Number(await admin.cluster('KEYSLOT', k))), { seed: 15, numRuns: 200 });
    for (const k of ['{SPY}', 'market:{SPY}:book', 'orders:journal', 'foo{}{bar}']) expect(keySlot(k)).toBe(Number(await admin.cluster('KEYSLOT', k)));
  });

  it('the helpers split across slots and masters: pipelines, transactions, MGET and SCAN over every master', async () => {
    const syms = ['SPY', 'QQQ', 'IWM', 'AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN'];
    expect(new Set(syms.map((s) => admin.slots[keySlot(`{${s}}`)]?.[0])).size).toBeGreaterThan(1); // really several masters
    const w = new ConflatingWriter(1000);
    for (const s of syms) for (const f of ['ticker', 'timestamp', 'last']) w.set(`xs:market:{${s}}:${f}`, `${s}-${f}`, 60_000);
    w.set('monitoring:publisher:metrics', '{}', 60_000);
    expect(await w.flush(redis)).toBe(true);
    const keys = syms.map((s) => `xs:market:{${s}}:ticker`);
    expect(await mgetAll(redis, keys)).toEqual(syms.map((s) => `${s}-ticker`));
    expect((await scanAll(redis, 'xs:market:*')).length).toBe(syms.length * 3);
    const res = await pipelineAll(redis, syms.map((s) => ['xadd', `xs:{${s}}:stream`, '*', 'a', '1']));
    expect(res.every(([e]) => e === null)).toBe(true);
    const tx = await transaction(redis, [['set', 'xs:a', '1'], ['set', 'xs:b', '2'], ['incr', 'xs:a']]);
    expect(tx.map(([, v]) => v)).toEqual(['OK', 'OK', 2]);
  });

  it('execution state, the supervisor\'s trip, retention, the dashboard seed and VPIN restore', async () => {
    const st = new ExecutionState(redis as never);
    await st.saveBreaker({ state: 'tripped', reason: 'test', ts: Date.now(), approved: false, quietUntilMs: 0 } as never);
    expect((await st.loadBreaker())?.state).toBe('tripped');
    const cw = new ControlWriter(redis, { error: (o: unknown) => console.error(o) } as never);
    expect(await cw.trip('cluster test', { key: 'engine:escalation', value: { reason: 'cluster test' } })).toBe(true);
    await Promise.all([1, 2, 3, 4].map((i) => redis.xadd(`${JOURNAL_ARCHIVE_PREFIX}${i}`, '*', 'a', '1')));
    const cfg = loadConfig({ env: {} }).config;
    const r = await applyRetention(redis, { ...cfg.retention, journalArchiveDays: 1 }, Date.now());
    expect(r.archivesDeleted).toBe(4);
    const store = new ColdStore();
    expect(await seedFromRedis({ url: 'redis://127.0.0.1:1', password: cluster.password }, store)).toBeGreaterThan(0);
    await loadVpinStates({ url: 'redis://127.0.0.1:1', password: cluster.password }, ['SPY', 'QQQ', 'IWM', 'AAPL']);
  });

  it('the instance registry: written and listed in one slot, an expired record drops out', async () => {
    const rec = (id: string, ttlMs: number): InstanceRecord => ({ id, host: 'h', pid: 1, symbols: ['SPY'], execution: false, startedAt: 1, heartbeatAt: Date.now(), leaseTtlMs: 3000, ttlMs });
    await writeInstance(redis, rec('a', 60_000));
    await writeInstance(redis, rec('b', 150));
    await waitFor(async () => (await redis.exists(instanceKey('b'))) === 0, 10_000, 'b to expire');
    expect((await readInstances(redis)).map((i) => i.id)).toEqual(['a']);
    expect(await redis.smembers(INSTANCES_KEY)).toEqual(['a']);
  });

  it('the engine, status and breaker commands run against the cluster with no CROSSSLOT', async () => {
    // the trip written above would keep the engine from trading: a clean breaker for the run
    await pipelineAll(redis, ['cb:state', 'cb:reason', 'cb:ts', 'cb:detail', 'engine:escalation', 'engine:halted'].map((k) => ['del', k]));
    const engine = EngineProcess.start({ ...cluster.env, REDIS_URL: '', ALPHATRADER_INSTANCE_ID: 'xs-1' });
    try {
      await waitFor(() => engine.has(/^AlphaTrader running/) || !engine.alive, 120_000, 'the engine to come up');
      expect(engine.alive, engine.raw.slice(-30).join('\n')).toBe(true);
      expect(engine.has(/embedded redis-server/)).toBe(false);
      const symbols = loadConfig({ env: {} }).config.symbols.map((s) => s.symbol);
      await waitFor(async () => (await mgetAll(redis, symbols.map((s) => `market:{${s}}:timestamp`))).every((v) => v !== null), 120_000, 'every symbol\'s market keys');
      // the journal path: the default run's paper orders (bounded wait, no duration asserted)
      await waitFor(async () => (await redis.xlen('orders:journal')) > 0, 120_000, 'an order in the journal');
      const status = await cli(['status', '--json'], { ...cluster.env, REDIS_URL: '' });
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).actors.length).toBeGreaterThan(0);
      // the instance registered itself: status --cluster lists it with every symbol and execution
      let view: { instances: { id: string; symbols: string[]; execution: boolean; leaseAgeMs: number | null }[]; problems: string[] } | undefined;
      await waitFor(async () => {
        const res = await cli(['status', '--cluster', '--json'], { ...cluster.env, REDIS_URL: '' });
        view = res.code === 0 ? JSON.parse(res.stdout) : undefined;
        // each symbol is a lease of its own and the registration lists those held so far: wait for all of them
        const i = view?.instances[0];
        return i?.execution === true && i.symbols.length === symbols.length;
      }, 60_000, 'status --cluster to list the instance with every symbol and execution');
      expect(view!.instances.map((i) => [i.id, i.symbols, i.execution])).toEqual([['xs-1', [...symbols].sort(), true]]);
      expect(view!.problems).toEqual([]);
      for (const args of [['breaker', 'trip', '--reason', 'cluster test'], ['orders', '--all', '--json']]) {
        const res = await cli(args, { ...cluster.env, REDIS_URL: '' });
        expect(res.stderr).not.toMatch(CROSS);
      }
      expect(engine.raw.filter((l) => CROSS.test(l))).toEqual([]);
    } finally {
      await engine.stop();
    }
    expect(await redis.exists('{cluster}:instance:xs-1')).toBe(0); // a clean stop leaves the registry at once
    expect(await crossSlotCount(admin)).toBe(0);
  }, 400_000);
});
