/**
 * A Redis master dies (SIGKILL, no replica) under the engine's writers, on a local 3-master cluster:
 *   - ConflatingWriter (the publisher's) keeps writing the symbols the other masters serve, holds the dead
 *     master's symbols (latest value only), names them `unavailable`, and writes them once the node is back;
 *   - a real engine (`alphatrader start`, simulated venues) keeps running, its other symbols keep flowing (their
 *     symbol leases, on the live masters, keep being renewed), it names the dead master's symbols (their leases
 *     cannot be renewed: it stops serving them) and their return, and they flow again after the node restarts
 *     (the engine's cluster client reconnects to a node that kept its slots).
 * Waits are bounded conditions; the failover and recovery times are measured by
 * `npm run bench -- cluster-failover` (with and without replicas).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { ConflatingWriter } from '../../engine/redis/ConflatingWriter.js';
import { createRedisClient } from '../../engine/redis/RedisClient.js';
import { masterOfSlot, nodePid, restartNode } from '../../engine/redis/LocalCluster.js';
import { keySlot } from '../../engine/redis/SlotGroups.js';
import { TestCluster } from '../helpers/cluster.js';
import { EngineProcess } from '../helpers/engine.js';
import { waitFor } from '../helpers/redis.js';

const SYMBOLS = ['SPY', 'QQQ', 'IWM', 'AAPL', 'MSFT', 'NVDA'];

describe('a Redis master killed under the engine (local 3-master cluster, no replica)', () => {
  let cluster: TestCluster;
  let admin: Cluster;
  beforeAll(async () => {
    cluster = await TestCluster.start();
    // the engine's own cluster options (it reconnects to a node that restarts with its slots)
    admin = createRedisClient({ lazyConnect: false }, cluster.env) as Cluster;
    admin.on('error', () => {});
  }, 120_000);
  afterAll(async () => {
    admin?.disconnect();
    await cluster?.stop();
  });

  /** The port of the live master serving `key`'s slot, as a surviving node sees the cluster. */
  const masterOf = async (key: string, dead = -1): Promise<number | null> => {
    const via = cluster.info.ports.find((p) => p !== dead)!;
    const nodes = String(await admin.nodes('master').find((n) => n.options.port === via)!.call('CLUSTER', 'NODES'));
    return masterOfSlot(nodes, keySlot(key));
  };
  /** Kills the master serving `symbol`; returns its port and the symbols the other masters serve. */
  const killMasterOf = async (symbol: string) => {
    const port = (await masterOf(`market:{${symbol}}:x`))!;
    const healthy: string[] = [];
    for (const s of SYMBOLS) if ((await masterOf(`market:{${s}}:x`)) !== port) healthy.push(s);
    process.kill(await nodePid(port, cluster.password), 'SIGKILL');
    return { port, healthy, down: SYMBOLS.filter((s) => !healthy.includes(s)) };
  };
  /** Restarts a killed node and waits until it serves its slots again. */
  const restart = async (port: number, symbol: string) => {
    restartNode(cluster.dir, port);
    await waitFor(async () => (await masterOf(`market:{${symbol}}:x`, -1).catch(() => null)) === port && (await nodePid(port, cluster.password).then(() => true, () => false)), 60_000, `node ${port} back`);
  };

  it('ConflatingWriter: the live masters\' keys are written, the dead one\'s held and named unavailable, then written after its restart', async () => {
    const redis = createRedisClient({ lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (t) => Math.min(50 * t, 1000) }, cluster.env);
    redis.on('error', () => {});
    try {
      await waitFor(() => redis.status === 'ready', 30_000, 'the cluster client ready');
      const w = new ConflatingWriter(1000);
      const put = (round: number) => {
        for (const s of SYMBOLS) w.set(`market:{${s}}:probe`, String(round), 60_000);
      };
      put(0);
      expect(await w.flush(redis)).toBe(true);
      const { port, healthy, down } = await killMasterOf('SPY');
      expect(down).toContain('SPY');
      expect(healthy.length).toBeGreaterThan(0);
      // rounds of writes while the master is dead: a flush is never awaited (the dead node's pipeline hangs
      // until it answers), as the publisher's timer does not await it either
      for (let round = 1; round <= 20; round++) {
        put(round);
        void w.flush(redis);
        await new Promise((r) => setTimeout(r, 50));
      }
      await waitFor(async () => {
        const vs = await Promise.all(healthy.map((s) => admin.get(`market:{${s}}:probe`)));
        return vs.every((v) => v === '20');
      }, 30_000, 'the live masters\' symbols written up to the last round');
      await waitFor(() => down.every((s) => w.unavailable().includes(s)), 30_000, 'the dead master\'s symbols named unavailable');
      expect(w.unavailable().filter((s) => healthy.includes(s))).toEqual([]);
      expect(w.size).toBe(down.length); // only the newest value per held key
      await restart(port, 'SPY');
      await waitFor(async () => {
        put(21);
        void w.flush(redis);
        const vs = await Promise.all(SYMBOLS.map((s) => admin.get(`market:{${s}}:probe`).catch(() => null)));
        return vs.every((v) => v === '21') && w.unavailable().length === 0;
      }, 60_000, 'every symbol written again after the restart', 250);
    } finally {
      redis.disconnect();
    }
  }, 240_000);

  it('the engine keeps running: other symbols flow, the dead master\'s symbols are reported and flow again after its restart', async () => {
    const e = EngineProcess.start({ ...cluster.env, REDIS_URL: '', ALPHATRADER_INSTANCE_ID: 'master-down' });
    try {
      await waitFor(() => e.has(/^AlphaTrader running/) || !e.alive, 180_000, 'the engine running');
      expect(e.alive, e.raw.slice(-30).join('\n')).toBe(true);
      const key = (s: string) => `market:{${s}}:timestamp`;
      const changes = async (symbols: string[], what: string) => {
        const before = await Promise.all(symbols.map((s) => admin.get(key(s))));
        await waitFor(async () => (await Promise.all(symbols.map((s) => admin.get(key(s))))).every((v, i) => v !== null && v !== before[i]), 60_000, what, 200);
      };
      await changes(SYMBOLS, 'every symbol flowing');
      const logged = e.lines.length;
      const { port, healthy, down } = await killMasterOf('QQQ');
      // while the master is down (not restarted yet): the others flow, the engine names what it cannot write
      await changes(healthy, 'the live masters\' symbols flowing during the outage');
      // the engine names them: their symbol leases (on the same dead master, same hash tag) cannot be renewed,
      // so it stops serving them (and the publisher, had it still served them, names what it cannot write)
      const names = (l: Record<string, unknown>): string[] =>
        /^symbols served by this instance changed/.test(String(l.msg)) ? (l.lost as string[]) : /^Redis unavailable for these symbols/.test(String(l.msg)) ? (l.symbols as string[]) : [];
      await waitFor(() => down.every((s) => e.lines.slice(logged).some((l) => names(l).includes(s))), 60_000, 'the engine naming the dead master\'s symbols');
      // past the symbol leases' TTL (3 s) since the kill: the live masters' symbols are still renewed and flowing,
      // and this instance never stopped serving one of them (a transient publisher report while ioredis refreshes
      // its slot map is allowed: it is news, not a loss of ownership)
      await new Promise((r) => setTimeout(r, 4000));
      await changes(healthy, 'the live masters\' symbols still flowing past the lease TTL');
      const lostHere = e.lines.slice(logged).filter((l) => /^symbols served by this instance changed/.test(String(l.msg))).flatMap((l) => l.lost as string[]);
      expect(lostHere.filter((s) => healthy.includes(s))).toEqual([]);
      expect(e.alive).toBe(true);
      await restart(port, 'QQQ');
      await waitFor(async () => (await Promise.all(down.map((s) => admin.get(key(s)).catch(() => null)))).every((v) => v !== null), 60_000, 'the dead master\'s symbols written again', 200);
      await changes(SYMBOLS, 'every symbol flowing after the restart');
      await waitFor(() => e.lines.slice(logged).some((l) => /^Redis available again for these symbols/.test(String(l.msg)) || (/^symbols served by this instance changed/.test(String(l.msg)) && down.every((s) => (l.gained as string[]).includes(s)))), 30_000, 'the engine reporting their return');
      expect(e.alive, e.raw.slice(-30).join('\n')).toBe(true);
    } finally {
      if (e.alive) e.child.kill('SIGKILL');
    }
  }, 400_000);
});
