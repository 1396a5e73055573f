/**
 * What an actor does with the served set: ServedSymbols (all on a single host, none until told in cluster
 * mode, changes reported, bad payloads refused, key gating by hash tag) and the BookKeeper's gate (an
 * unserved symbol's book is kept but nothing of it is written; served again, its top and snapshot go out
 * at once from the warm book).
 */
import { describe, expect, it } from 'vitest';
import { msgSymbol, msgType } from '../../engine/codec/Header.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import { keySymbol, ServedSymbols } from '../../engine/cluster/ServedSymbols.js';
import { makeKeeper } from '../helpers/bookkeeper.js';

describe('ServedSymbols', () => {
  it('serves every symbol on a single host and none in cluster mode until told', () => {
    expect(ServedSymbols.forEnv(['SPY', 'AAPL'], {}).list()).toEqual(['SPY', 'AAPL']);
    const c = ServedSymbols.forEnv(['SPY', 'AAPL'], { REDIS_CLUSTER_NODES: '127.0.0.1:7000' });
    expect(c.list()).toEqual([]);
    expect(c.apply({ symbols: ['AAPL', 'ZZZ'] })).toEqual({ gained: [1], lost: [] });
    expect(c.apply({ symbols: ['SPY'] })).toEqual({ gained: [0], lost: [1] });
    expect(c.apply({ symbols: 'SPY' })).toBeNull();
    expect(c.apply(null)).toBeNull();
    expect(c.badPayloads).toBe(2);
    expect(c.list()).toEqual(['SPY']); // a bad payload changes nothing
    expect(c.hasId(0) && !c.hasId(1) && !c.hasId(7)).toBe(true);
  });

  it('gates keys by the hash tag of a configured symbol only', () => {
    const s = new ServedSymbols(['SPY', 'AAPL'], false);
    s.apply({ symbols: ['SPY'] });
    expect(keySymbol('market:{AAPL}:book')).toBe('AAPL');
    expect(keySymbol('engine:status')).toBeNull();
    expect(s.allowsKey('market:{SPY}:book')).toBe(true);
    expect(s.allowsKey('market:{AAPL}:ticker')).toBe(false);
    expect(s.allowsKey('signals:{AAPL}:latest')).toBe(false);
    expect(s.allowsKey('{cluster}:instance:x')).toBe(true); // not a symbol
    expect(s.allowsKey('options:{TSLA}:chain')).toBe(true); // not configured here: not ours to gate
    expect(s.allowsKey('monitoring:quality')).toBe(true);
  });
});

describe('BookKeeper served gate', () => {
  const symbolsIn = (reader: ReturnType<typeof makeKeeper>['reader']) => {
    const seen: number[] = [];
    reader.poll((dv, off) => void seen.push(msgSymbol(dv, off) * 100 + msgType(dv, off)), 1 << 16);
    return seen;
  };

  it('an unserved symbol writes nothing but keeps its book; served again, its top and snapshot go out at once', () => {
    const { keeper, reader } = makeKeeper();
    const served = [true, false, ...keeper.syms.slice(2).map(() => false)];
    keeper.served = served;
    for (const id of [0, 1]) {
      keeper.depth(id, 1_000, 0, 0, 1, 100, 10, '', 1);
      keeper.depth(id, 1_000, 0, 0, 0, 100.02, 10, '', 1);
      keeper.trade(id, 1_000, 100.01, 5, 1, 1);
    }
    keeper.endOfBatch();
    const out = symbolsIn(reader);
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((x) => Math.floor(x / 100) === 0)).toBe(true);
    expect(keeper.snapshots(2_000).map((r) => r.key)).toEqual([`market:{${keeper.syms[0]!.symbol}}:book`]);
    served[1] = true;
    keeper.resumed(1);
    keeper.endOfBatch();
    expect(symbolsIn(reader)).toEqual([100 + MessageType.BookTop]);
    const snap = keeper.snapshots(2_001).find((r) => r.key === `market:{${keeper.syms[1]!.symbol}}:book`);
    expect((snap?.value as { bids: unknown[] }).bids.length).toBe(1); // the book kept while unserved
  });
});
