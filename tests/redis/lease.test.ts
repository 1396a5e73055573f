/**
 * Leases with fencing tokens on a real local Redis Cluster (3 masters, started by the project's helper):
 * one holder at a time, tokens that grow on every grant, renew/release only by the holder, appends fenced
 * by Redis once the lease moved on, and the holder's own monotonic-clock fence. A model-based run (fast-check,
 * seeds printed) drives three would-be holders through acquire/renew/release/expiry/append and checks every
 * answer against a reference model and the stream after every step.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FencedError, Lease } from '../../engine/redis/Lease.js';
import { startLocalCluster, stopLocalCluster, type LocalClusterInfo } from '../../engine/redis/LocalCluster.js';
import { freeBase } from '../helpers/cluster.js';

const PASSWORD = 'lease-test-secret';

describe('Lease on a local Redis Cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'at-cluster-'));
  let info: LocalClusterInfo;
  let redis: Cluster;

  beforeAll(async () => {
    info = await startLocalCluster({ dir, basePort: await freeBase(), password: PASSWORD });
    redis = new Cluster([{ host: '127.0.0.1', port: info.ports[0]! }], { redisOptions: { password: PASSWORD } });
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await stopLocalCluster(dir, PASSWORD);
  });

  it('the helper made a 3-master cluster; a lease, its epoch and its stream share one slot', async () => {
    expect(info.ports).toHaveLength(3);
    const slots = await Promise.all(['{SPY}:lease', '{SPY}:epoch', 'orders:{SPY}:journal'].map((k) => redis.cluster('KEYSLOT', k)));
    expect(new Set(slots).size).toBe(1);
    expect(String(await redis.cluster('INFO'))).toMatch(/cluster_state:ok/);
  });

  it('one holder; the next grant gets a higher token; the old holder is fenced by Redis', async () => {
    const a = new Lease(redis, 'T1', 'A', { ttlMs: 60_000 });
    const b = new Lease(redis, 'T1', 'B', { ttlMs: 60_000 });
    const t1 = await a.acquire();
    expect(t1).toBe(1);
    expect(await b.acquire()).toBeNull();
    expect(await a.renew()).toBe(true);
    expect(await a.append('log:{T1}', { n: 1 })).toMatch(/^\d+-\d+$/);
    await redis.del(a.keys.lease); // the lease expires (as if A stalled past its TTL)
    expect(await b.acquire()).toBe(2);
    // A still believes (its own clock says so) but Redis refuses the append: fenced
    expect(a.held()).toBe(true);
    await expect(a.append('log:{T1}', { n: 2 })).rejects.toBeInstanceOf(FencedError);
    expect(a.held()).toBe(false);
    expect(await a.renew()).toBe(false);
    expect(await a.release()).toBe(false);
    expect(await redis.get(b.keys.lease)).toBe('B:2'); // A's release did not touch B's lease
    expect(await b.release()).toBe(true);
    expect(await redis.exists(b.keys.lease)).toBe(0);
  });

  it('the holder fences itself on its monotonic clock: no append after TTL − margin without a renewal', async () => {
    let now = 0;
    const a = new Lease(redis, 'T2', 'A', { ttlMs: 1000, marginMs: 200, now: () => now });
    await a.acquire();
    now = 799;
    expect(a.held()).toBe(true);
    now = 800;
    expect(a.held()).toBe(false);
    await expect(a.append('log:{T2}', { n: 1 })).rejects.toBeInstanceOf(FencedError);
    await expect(a.append('log:{OTHER}', { n: 1 })).rejects.toThrow(); // and never outside its slot
  });

  it('model-based: three holders, random acquire/renew/release/expire/append; Redis agrees with the model after every step', async () => {
    const SEEDS = 10;
    for (let s = 0; s < SEEDS; s++) {
      const seed = 0x1ea5e000 + s;
      const name = `M${s}`;
      const stream = `log:{${name}}`;
      const owners = ['A', 'B', 'C'];
      const leases = owners.map((o) => new Lease(redis, name, o, { ttlMs: 60_000 }));
      // model: who holds (index) and the last token granted
      const model = { holder: -1, epoch: 0, appended: [] as string[] };
      type Cmd = { kind: 'acquire' | 'renew' | 'release' | 'append'; who: number } | { kind: 'expire' };
      const cmd = fc.oneof(
        fc.record({ kind: fc.constantFrom('acquire', 'renew', 'release', 'append'), who: fc.integer({ min: 0, max: 2 }) }) as fc.Arbitrary<Cmd>,
        fc.constant({ kind: 'expire' } as Cmd),
      );
      const script = fc.sample(fc.array(cmd, { minLength: 60, maxLength: 60 }), { seed, numRuns: 1 })[0]!;
      const log: string[] = [];
      try {
        for (const c of script) {
          log.push(JSON.stringify(c));
          if (c.kind === 'expire') {
            await redis.del(leases[0]!.keys.lease);
            model.holder = -1;
          } else if (c.kind === 'acquire') {
            const t = await leases[c.who]!.acquire();
            if (model.holder === -1) {
              model.epoch++;
              model.holder = c.who;
              expect(t).toBe(model.epoch);
            } else expect(t).toBeNull();
          } else if (c.kind === 'renew') {
            const believed = leases[c.who]!.holder;
            const ok = await leases[c.who]!.renew();
            expect(ok).toBe(believed !== null && model.holder === c.who);
          } else if (c.kind === 'release') {
            const believed = leases[c.who]!.holder;
            const ok = await leases[c.who]!.release();
            const expected = believed !== null && model.holder === c.who;
            expect(ok).toBe(expected);
            if (expected) model.holder = -1;
          } else {
            const l = leases[c.who]!;
            const mine = l.holder !== null && model.holder === c.who;
            const r = await l.append(stream, { by: `${owners[c.who]}:${l.token}` }).then(() => 'ok', (e) => (e instanceof FencedError ? 'fenced' : 'error'));
            expect(r).toBe(mine ? 'ok' : 'fenced');
            if (mine) model.appended.push(`${owners[c.who]}:${model.epoch}`);
          }
          // invariants after every step: Redis's holder is the model's; every accepted append came from the holder of its time
          const inRedis = await redis.get(leases[0]!.keys.lease);
          expect(inRedis).toBe(model.holder === -1 ? null : `${owners[model.holder]}:${model.epoch}`);
          const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
          expect(entries.map(([, f]) => f[1])).toEqual(model.appended);
        }
      } catch (e) {
        console.log(`lease model: seed ${seed} failed after:\n${log.slice(-15).join('\n')}`);
        throw e;
      }
    }
  }, 120_000);
});
