/**
 * Cluster mode, issue 15 item 4: a dashboard shows the symbols another instance serves from Redis (their
 * owner's ticker, book, analytics and signal keys) and its own from the rings. Against a real redis-server
 * (the key layout is the cluster's, hash tags included; SlotGroups splits per master on a real cluster).
 */
import { describe, expect, it } from 'vitest';
import { ColdStore } from '../../actors/dashboard/ColdStore.js';
import { HotState } from '../../actors/dashboard/HotState.js';
import { RemoteSymbols } from '../../actors/dashboard/RemoteSymbols.js';
import { ServedSymbols } from '../../engine/cluster/ServedSymbols.js';
import { useTestRedis } from '../helpers/redis.js';

describe('RemoteSymbols: the symbols other instances serve, read from Redis', () => {
  const redis = useTestRedis();
  const ticker = (sym: string, bid: number, ts: number) => JSON.stringify({ symbol: sym, bid, ask: bid + 0.02, bidSize: 300, askSize: 200, last: bid + 0.01, volume: 1000, vwap: bid, quality: 'ok', ts });

  it('folds an unserved symbol\'s ticker into the hot state and its keys into the cold store; a served symbol is left to the rings', async () => {
    const c = redis.client();
    const hot = new HotState(['SPY', 'QQQ']);
    const cold = new ColdStore();
    const served = new ServedSymbols(['SPY', 'QQQ'], false); // cluster mode: nothing until told
    served.apply({ symbols: ['SPY'] });
    await c.set('market:{QQQ}:ticker', ticker('QQQ', 510, 1000), 'PX', 5000);
    await c.set('market:{QQQ}:book', JSON.stringify({ bids: [[510, 300]], asks: [[510.02, 200]], ts: 1000 }), 'PX', 1000);
    await c.set('analytics:{QQQ}:vpin', JSON.stringify({ vpin: 0.42, ts: 1000 }), 'PX', 5000);
    await c.set('market:{SPY}:ticker', ticker('SPY', 590, 1000), 'PX', 5000);
    await c.set('market:{SPY}:book', '{"bids":[]}', 'PX', 1000);
    const r = new RemoteSymbols(c, served, hot, cold);
    expect(r.remote()).toEqual(['QQQ']);
    await r.poll();
    expect(hot.syms[1]).toMatchObject({ bid: 510, ask: 510.02, bidSize: 300, askSize: 200, last: 510.01, quoteTs: 1000, quoteSeq: 1 });
    expect(cold.get('market:{QQQ}:book')).toMatchObject({ bids: [[510, 300]] });
    expect(cold.get('analytics:{QQQ}:vpin')).toMatchObject({ vpin: 0.42 });
    expect(Number.isNaN(hot.syms[0]!.bid)).toBe(true); // SPY is served here: its quotes come from the rings
    expect(cold.has('market:{SPY}:book')).toBe(false);

    // the same ticker again changes nothing; a newer one does; a broken one is counted, not folded
    await r.poll();
    expect(hot.syms[1]!.quoteSeq).toBe(1);
    await c.set('market:{QQQ}:ticker', ticker('QQQ', 511, 2000), 'PX', 5000);
    await r.poll();
    expect(hot.syms[1]).toMatchObject({ bid: 511, quoteSeq: 2 });
    await c.set('market:{QQQ}:ticker', '{not json', 'PX', 5000);
    await r.poll();
    expect(r.badValues).toBe(1);
    expect(hot.syms[1]!.bid).toBe(511);

    // the lease moves: QQQ is served here now, SPY elsewhere
    served.apply({ symbols: ['QQQ'] });
    expect(r.remote()).toEqual(['SPY']);
    await r.poll();
    expect(hot.syms[0]).toMatchObject({ bid: 590 });
    expect(r.polls).toBe(5);
  });

  it('a single host (every symbol served) reads nothing', async () => {
    const hot = new HotState(['SPY']);
    const r = new RemoteSymbols(redis.client(), new ServedSymbols(['SPY'], true), hot, new ColdStore());
    await r.poll();
    expect(r.polls).toBe(0);
  });
});
