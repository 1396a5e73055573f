/**
 * SignalRelay on a real redis-server: a non-owner's signals reach the owner through `{execution}:signals`
 * once each; a redelivered or re-sent signal is dropped by its id; an owner that died with entries pending
 * has them claimed and handled by the next owner; bad entries are counted and acknowledged.
 */
import { describe, expect, it } from 'vitest';
import { SIGNALS_GROUP, SIGNALS_STREAM } from '../../engine/cluster/ClusterKeys.js';
import { SignalRelay, type RelayedSignal } from '../../engine/cluster/SignalRelay.js';
import { useTestRedis } from '../helpers/redis.js';

const sig = (symbol: string, signalId: number): RelayedSignal => ({ symbol, strategy: 1, signalId, direction: 1, confidence: 0.7, price: 100, target: 101, stop: 99, expiresMs: 0 });

describe('SignalRelay', () => {
  const r = useTestRedis();

  it('delivers each signal once; a re-sent one is a duplicate; bad entries are counted', async () => {
    const owner = new SignalRelay(r.client(), { consumer: 'own-a' });
    const sender = new SignalRelay(r.client(), { consumer: 'own-b' });
    await owner.poll(() => {}, 10); // creates the group (from now on)
    const got: RelayedSignal[] = [];
    for (const id of [1, 2, 3]) expect(await sender.send(sig('AAPL', id))).toBe(true);
    await sender.send(sig('AAPL', 2)); // the same signal derived again
    await r.client().xadd(SIGNALS_STREAM, '*', 's', '{not json');
    for (let i = 0; i < 20 && got.length < 3; i++) await owner.poll((s) => got.push(s), 10);
    await owner.poll((s) => got.push(s), 10); // the duplicate and the bad entry, if not read yet
    expect(got.map((s) => s.signalId)).toEqual([1, 2, 3]);
    expect(owner.counters).toMatchObject({ received: 3, duplicates: 1, bad: 1 });
    const pending = (await r.client().xpending(SIGNALS_STREAM, SIGNALS_GROUP)) as [number, ...unknown[]];
    expect(pending[0]).toBe(0); // everything acknowledged
  });

  it('an owner that died with entries pending: the next owner claims and handles them', async () => {
    const dead = new SignalRelay(r.client(), { consumer: 'own-a' });
    const sender = new SignalRelay(r.client(), { consumer: 'own-b' });
    await dead.poll(() => {}, 10);
    await sender.send(sig('MSFT', 7));
    // own-a reads the entry and dies before acknowledging it
    await r.client().xreadgroup('GROUP', SIGNALS_GROUP, 'own-a', 'COUNT', 10, 'STREAMS', SIGNALS_STREAM, '>');
    const next = new SignalRelay(r.client(), { consumer: 'own-c' });
    const got: RelayedSignal[] = [];
    await next.poll((s) => got.push(s), 10, 60_000); // not idle long enough yet: not claimed
    expect(got).toEqual([]);
    await new Promise((res) => setTimeout(res, 150));
    await next.poll((s) => got.push(s), 10, 100);
    expect(got.map((s) => [s.symbol, s.signalId])).toEqual([['MSFT', 7]]);
    expect(next.counters.claimed).toBe(1);
  });
});
