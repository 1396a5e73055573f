/**
 * One execution owner across two real engines (`alphatrader start`, simulated venues, default configuration)
 * on a local 3-master Redis Cluster:
 *   - exactly one instance takes the execution lease and trades (journal replay + reconciliation first);
 *   - SIGSTOP of the owner past the lease TTL: the other instance takes over with a higher token and raises
 *     the journal's fence; after SIGCONT the old owner steps down (or its supervisor restarts the silent
 *     actor as a follower) and never holds the lease or the fence again;
 *   - SIGKILL of the owner: the survivor owns execution again (new token) and reconciles before any order;
 *   - no client order id is journaled twice; `status --cluster` names one execution owner; a clean stop
 *     releases the lease at once.
 * Waits are bounded conditions, never timing assertions (the takeover time is measured by
 * `npm run bench -- execution-takeover`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { JOURNAL_FENCE_KEY, executionLeaseKeys } from '../../engine/cluster/ClusterKeys.js';
import { TestCluster } from '../helpers/cluster.js';
import { EngineProcess, cli } from '../helpers/engine.js';
import { waitFor } from '../helpers/redis.js';

const LEASE = executionLeaseKeys().lease;
const GRANTED = /^execution lease granted/;
const READY = /^execution ready: journal reconciled/;
const LOST = /^execution lease lost/;

const count = (e: EngineProcess, re: RegExp) => e.lines.filter((l) => typeof l.msg === 'string' && re.test(l.msg)).length;

describe('one execution owner across two engines on a local Redis Cluster', () => {
  let cluster: TestCluster;
  let redis: Cluster;
  const engines: EngineProcess[] = [];

  beforeAll(async () => {
    cluster = await TestCluster.start();
    redis = cluster.client();
  }, 120_000);
  afterAll(async () => {
    for (const e of engines) if (e.alive) e.child.kill('SIGKILL');
    redis?.disconnect();
    await cluster?.stop();
  });

  const start = (id: string) => {
    const e = EngineProcess.start({ ...cluster.env, REDIS_URL: '', ALPHATRADER_INSTANCE_ID: id });
    engines.push(e);
    return e;
  };
  const holder = async () => {
    const v = await redis.get(LEASE);
    return v ? { id: v.slice(0, v.lastIndexOf(':')), token: Number(v.slice(v.lastIndexOf(':') + 1)) } : null;
  };
  const intentsTwice = async () => {
    const seen = new Map<string, number>();
    for (const [, kv] of await redis.xrange('orders:journal', '-', '+')) {
      if (kv[kv.indexOf('type') + 1] !== 'intent') continue;
      const cid = kv[kv.indexOf('cid') + 1]!;
      seen.set(cid, (seen.get(cid) ?? 0) + 1);
    }
    return [...seen].filter(([, n]) => n > 1);
  };

  it('one owner; a paused owner is replaced and steps down; a killed owner is replaced', async () => {
    const a = start('own-a');
    await waitFor(() => a.has(READY) || !a.alive, 180_000, 'own-a to own execution and reconcile');
    expect(a.alive, a.raw.slice(-30).join('\n')).toBe(true);
    const first = (await holder())!;
    expect(first.id).toBe('own-a');
    const b = start('own-b');
    await waitFor(() => b.has(/^AlphaTrader running/) || !b.alive, 180_000, 'own-b to come up');
    expect(b.alive, b.raw.slice(-30).join('\n')).toBe(true);
    expect(b.has(GRANTED)).toBe(false); // a follower: no grant while own-a renews
    expect((await holder())!.id).toBe('own-a');
    await waitFor(async () => (await redis.xlen('orders:journal')) > 0, 180_000, 'an order journaled by own-a');
    // the registry agrees with the lease: both instances listed, only own-a runs execution (exit 0 once the
    // symbol leases have split the symbols, 1 while they move)
    let both: { instances: { id: string; execution: boolean }[]; execution: { owner: string | null } } | undefined;
    await waitFor(async () => {
      const res = await cli(['status', '--cluster', '--json'], { ...cluster.env, REDIS_URL: '' });
      both = res.code === 0 || res.code === 1 ? JSON.parse(res.stdout) : undefined;
      return both?.instances.length === 2;
    }, 60_000, 'status --cluster to list both instances');
    expect(both!.instances.map((i) => [i.id, i.execution])).toEqual([['own-a', true], ['own-b', false]]);
    expect(both!.execution.owner).toBe('own-a');
    await waitFor(async () => {
      const r = await Promise.all(['own-a', 'own-b'].map(async (id) => JSON.parse((await redis.get(`{cluster}:instance:${id}`)) ?? '{}').execution));
      return r[0] === true && r[1] === false;
    }, 30_000, 'the registry records to say only own-a owns execution');

    // SIGSTOP the owner past its TTL: own-b takes over with a higher token, the journal's fence follows
    a.child.kill('SIGSTOP');
    await waitFor(async () => (await holder())?.id === 'own-b' && b.has(READY), 60_000, 'own-b to own execution and reconcile');
    const second = (await holder())!;
    expect(second.token).toBeGreaterThan(first.token);
    expect(await redis.hgetall(JOURNAL_FENCE_KEY)).toEqual({ token: String(second.token), owner: 'own-b' });
    const linesBefore = a.lines.length;
    a.child.kill('SIGCONT');
    // Either its lease timer runs first (it steps down: `execution lease lost`) or the supervisor's health
    // check finds the paused actor silent and restarts it (a fresh follower); both leave own-b in charge.
    const restarted = () => a.lines.slice(linesBefore).some((l) => l.msg === 'restarting actor' && l.actor === 'execution');
    await waitFor(() => a.has(LOST) || restarted(), 30_000, 'own-a to step down after SIGCONT').catch((e) => {
      throw new Error(`${(e as Error).message}; own-a's log:\n${a.raw.filter((l) => /execution|restart|lease|silent/i.test(l)).slice(-30).join('\n')}`);
    });
    expect((await holder())!.id).toBe('own-b');
    expect(await redis.hgetall(JOURNAL_FENCE_KEY)).toEqual({ token: String(second.token), owner: 'own-b' }); // own-a added nothing
    expect(await intentsTwice()).toEqual([]);

    // SIGKILL the owner: own-a (now a follower) owns execution again with a new token, reconciled first
    const readyBefore = count(a, READY);
    b.child.kill('SIGKILL');
    await b.exited;
    await waitFor(async () => (await holder())?.id === 'own-a' && count(a, READY) > readyBefore, 60_000, 'own-a to own execution again');
    const third = (await holder())!;
    expect(third.token).toBeGreaterThan(second.token);
    expect(await intentsTwice()).toEqual([]);

    let view: { execution: { owner: string | null }; problems: string[] } | undefined;
    await waitFor(async () => {
      const res = await cli(['status', '--cluster', '--json'], { ...cluster.env, REDIS_URL: '' });
      view = res.code === 0 || res.code === 1 ? JSON.parse(res.stdout) : undefined;
      return view?.execution.owner === 'own-a';
    }, 60_000, 'status --cluster to name own-a the execution owner');

    const r = await a.stop();
    expect(r.code).toBe(0);
    expect(await redis.exists(LEASE)).toBe(0); // released at a clean stop: nobody waits for the TTL
  }, 600_000);
});
