/**
 * Cluster mode (issue 15): the execution owner marks and paper-fills the symbols other instances serve from
 * their book snapshots in Redis (RemoteMarket), through the same path as a local publish. Against a real
 * redis-server; the value is handed on only when it changed, so an owner that stopped writing leaves the
 * mark to age instead of renewing it.
 */
import { describe, expect, it } from 'vitest';
import { RemoteMarket } from '../../actors/execution/RemoteMarket.js';
import { applyBookSnapshot } from '../../actors/execution/bookInput.js';
import type { PaperBook } from '../../actors/execution/brokers/index.js';
import { ServedSymbols } from '../../engine/cluster/ServedSymbols.js';
import { useTestRedis } from '../helpers/redis.js';

describe('RemoteMarket: books of the symbols served elsewhere, read by the execution owner', () => {
  const redis = useTestRedis();
  const book = (bid: number, ts: number) => JSON.stringify({ symbol: 'QQQ', bids: [[bid, 300]], asks: [[bid + 0.02, 200]], quality: 'ok', halted: false, ts });

  it('hands an unserved symbol\'s new book to the publish path once per change; served symbols are left to the rings', async () => {
    const c = redis.client();
    const served = new ServedSymbols(['SPY', 'QQQ'], false);
    served.apply({ symbols: ['SPY'] });
    const books = new Map<string, PaperBook>();
    const marks: [string, number, number][] = [];
    const seen: string[] = [];
    const remote = new RemoteMarket(c, served, (key, value) => {
      seen.push(key);
      applyBookSnapshot({ key, value, ttlMs: 0 }, books, { onBook: (s, b, a) => void marks.push([s, b, a]) });
    });
    await c.set('market:{QQQ}:book', book(510, 1000), 'PX', 5000);
    await c.set('analytics:{QQQ}:vpin', JSON.stringify({ vpin: 0.9, ts: 1000 }), 'PX', 5000);
    await c.set('market:{SPY}:book', book(590, 1000), 'PX', 5000);
    expect(remote.remote()).toEqual(['QQQ']);

    await remote.poll();
    expect(seen.sort()).toEqual(['analytics:{QQQ}:vpin', 'market:{QQQ}:book']);
    expect(marks).toEqual([['QQQ', 510, 510.02]]);
    expect(books.get('QQQ')).toEqual({ bids: [[510, 300]], asks: [[510.02, 200]] });
    expect(books.has('SPY')).toBe(false); // served here: the local book path has it

    // unchanged: nothing handed on (the mark ages); a new snapshot is
    await remote.poll();
    expect(marks.length).toBe(1);
    await c.set('market:{QQQ}:book', book(511, 2000), 'PX', 5000);
    await remote.poll();
    expect(marks).toEqual([['QQQ', 510, 510.02], ['QQQ', 511, 511.02]]);

    // a broken value is counted, not applied; an expired key (its owner died) hands nothing
    await c.set('market:{QQQ}:book', '{broken', 'PX', 5000);
    await remote.poll();
    expect(remote.badValues).toBe(1);
    await c.del('market:{QQQ}:book');
    await remote.poll();
    expect(marks.length).toBe(2);

    // the lease moves: QQQ is served here, SPY read from Redis
    served.apply({ symbols: ['QQQ'] });
    await remote.poll();
    expect(remote.remote()).toEqual(['SPY']);
    expect(marks.at(-1)).toEqual(['SPY', 590, 590.02]);
    expect(remote.failures).toBe(0);
  });
});
