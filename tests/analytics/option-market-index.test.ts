/**
 * OptionMarket's chain (decisions 130, 136, 137): copied into columns once per update (bad rows counted
 * then), each expiry and right's rows made only when asked for; the same rows as the whole chain, each
 * contract's chain quote from its group alone, greeks joined by contract id, and stale live quotes forgotten.
 * A key parsed into columns elsewhere (the supervisor, decision 148) and carried as a cold message reads as
 * the key applied here.
 */
import { describe, expect, it } from 'vitest';
import { chainColumns, OptionMarket, type ChainColumns } from '../../analytics/optionMarket.js';
import { packCold, unpackCold } from '../../engine/runtime/ColdMessage.js';
import { mulberry32 } from '../helpers/prng.js';

function keys() {
  const rows: Record<string, unknown>[] = [];
  const greeks: Record<string, unknown>[] = [];
  for (const [ei, e] of ['2026-12-07', '2026-12-08', '2026-12-21'].entries()) {
    for (let k = 580; k < 600; k += 5) {
      for (const type of ['call', 'put']) {
        const id = `${e}${type}${k}`;
        const bid = k / 100 + ei / 10 + (type === 'put' ? 0.01 : 0); // a price of its own per contract
        rows.push({ id, expiration: e, strike: k, type, bid, ask: bid + 0.1, bidSize: 3, askSize: 4, oi: 100 + k });
        greeks.push({ id, delta: type === 'call' ? 0.5 : -0.5, gamma: 0.1, vega: 0.2, theta: -0.3 });
      }
    }
  }
  // three rows that cannot name a contract: no type, a strike of 0, an expiry that is not a date
  rows.push({ id: 'a', expiration: '2026-12-07', strike: 590, type: 'straddle' }, { id: 'b', expiration: '2026-12-07', strike: 0, type: 'call' }, { id: 'c', expiration: 'soon', strike: 590, type: 'put' });
  return { chain: { contracts: rows }, greeks: { contracts: greeks } };
}

/** A market with the test chain and its greeks applied at wall ms 1000. */
function applied(): { m: OptionMarket; k: ReturnType<typeof keys> } {
  const m = new OptionMarket();
  const k = keys();
  m.applyKey('options:{SPY}:chain', k.chain, 1000);
  m.applyKey('options:{SPY}:greeks', k.greeks, 1000);
  return { m, k };
}

describe('OptionMarket chain index', () => {
  it('lists the expiries and gives each expiry and right the rows the whole chain has, in order', () => {
    const { m } = applied();
    const idx = m.chainIndex('SPY', 1000);
    const whole = m.chain('SPY', 1000);
    expect([...idx.listed].sort()).toEqual(['2026-12-07', '2026-12-08', '2026-12-21']);
    for (const e of idx.listed) {
      for (const type of ['call', 'put'] as const) {
        expect(idx.rows(e, type)).toEqual(whole.filter((r) => r.expiration === e && r.type === type));
      }
    }
    expect(idx.rows('2027-01-15', 'call')).toEqual([]);
    expect(m.chainIndex('QQQ', 1000).rows('2026-12-07', 'call')).toEqual([]);
  });

  it('counts bad rows once per chain update, however often and in whatever form the chain is read', () => {
    const { m, k } = applied();
    m.chainIndex('SPY', 1000).rows('2026-12-07', 'call');
    m.chain('SPY', 1000);
    m.chainIndex('SPY', 1000).rows('2026-12-08', 'put');
    m.applyKey('options:{SPY}:greeks', k.greeks, 1000); // greeks alone: the rows are not counted again
    expect(m.counters.badChainRows).toBe(3);
    m.applyKey('options:{SPY}:chain', k.chain, 2000); // an update: counted again, once
    m.chainIndex('SPY', 2000);
    m.chain('SPY', 2000);
    expect(m.counters.badChainRows).toBe(6);
  });

  it('prices each contract from its own chain row (only its group built); none for a contract the chain lacks', () => {
    const { m } = applied();
    const whole = m.chain('SPY', 1000);
    expect(whole.length).toBe(24);
    for (const r of whole) {
      expect(m.quote(r.occ, 'SPY', 1000), r.occ).toMatchObject({ source: 'chain', bid: r.bid, ask: r.ask, delta: r.greeks.delta });
    }
    expect(m.quote('SPY261207C00591000', 'SPY', 1000)).toBeNull(); // a strike the chain does not list
    expect(m.quote('not an occ', 'SPY', 1000)).toBeNull();
    expect(m.counters.chainFallbacks).toBe(24);
    expect(m.counters.noQuote).toBe(2);
  });

  it('a greeks update reaches the index', () => {
    const m = new OptionMarket();
    const k = keys();
    m.applyKey('options:{SPY}:chain', k.chain, 1000);
    expect(m.chainIndex('SPY', 1000).rows('2026-12-07', 'call')[0]!.greeks.delta).toBeNaN();
    m.applyKey('options:{SPY}:greeks', k.greeks, 1000);
    expect(m.chainIndex('SPY', 1000).rows('2026-12-07', 'call')[0]!.greeks.delta).toBe(0.5);
  });

  it('joins each row to its own greeks by contract id, whatever their order; NaN for a row the greeks lack', () => {
    const m = new OptionMarket();
    const k = keys();
    const greeks = (k.greeks.contracts as Record<string, unknown>[]).map((g, i) => ({ ...g, delta: i / 100 }));
    const byId = new Map(greeks.map((g) => [g.id, g.delta]));
    const shuffled = [...greeks].reverse().filter((_, i) => i !== 5); // one row's greeks missing
    shuffled.push({ id: 'not in the chain', delta: 9, gamma: 9, vega: 9, theta: 9 });
    shuffled.unshift({ id: 'two\nlines', delta: 8 }); // an id with the join key's separator: it must not shift the rest
    m.applyKey('options:{SPY}:greeks', { contracts: shuffled }, 1000); // greeks before the chain
    m.applyKey('options:{SPY}:chain', k.chain, 1000);
    const rows = m.chain('SPY', 1000);
    const missing = greeks[greeks.length - 1 - 5]!.id;
    let nan = 0;
    for (const [i, r] of rows.entries()) {
      const id = `${r.expiration}${r.type}${r.strike}`;
      if (id === missing) {
        expect(r.greeks.delta, id).toBeNaN();
        nan++;
      } else expect(r.greeks.delta, `${id} (row ${i})`).toBe(byId.get(id));
    }
    expect(nan).toBe(1);
  });

  it('keeps its own copy of a chain: the decoded key can be dropped or changed without changing a quote', () => {
    const { m, k } = applied();
    for (const x of k.chain.contracts as Record<string, unknown>[]) {
      x.bid = -1;
      x.expiration = 'gone';
    }
    for (const g of k.greeks.contracts as Record<string, unknown>[]) g.delta = 7;
    const q = m.quote('SPY261207C00590000', 'SPY', 1000);
    expect(q).toMatchObject({ bid: 5.9, ask: 6.0, delta: 0.5 });
    expect(m.chain('SPY', 1000).length).toBe(24);
  });

  it('reuses its columns across updates: chains and greeks growing and shrinking in any order read as the last ones (seeded)', () => {
    const seed = 20261206;
    console.log(`option-market reuse: seed ${seed}`);
    const r = mulberry32(seed);
    const m = new OptionMarket();
    // its twin takes each key as the signals actor does: parsed into columns, packed, carried, unpacked
    const twin = new OptionMarket();
    const viaColumns = (key: string, value: unknown, wall: number) => {
      const cols = chainColumns(key, value);
      expect(typeof cols === 'object' && 'kind' in cols, key).toBe(true);
      expect(twin.applyColumns(unpackCold(packCold(cols)) as ChainColumns, wall)).toBe(true);
    };
    let chain: Record<string, unknown>[] = [];
    let greeks = new Map<string, number>();
    for (let step = 0; step < 200; step++) {
      const n = Math.floor(r() * 60); // 0..59 contracts: often smaller than the last, sometimes larger
      const rows: Record<string, unknown>[] = [];
      for (let i = 0; i < n; i++) {
        const strike = 500 + Math.floor(r() * 40) * 5;
        const type = r() < 0.5 ? 'call' : 'put';
        const expiration = ['2026-12-07', '2026-12-08', '2026-12-21'][Math.floor(r() * 3)]!;
        const id = `${expiration}${type}${strike}`;
        if (rows.some((x) => x.id === id)) continue;
        rows.push({ id, expiration, strike, type, bid: step + i / 100, ask: step + i / 100 + 0.1, bidSize: i, askSize: step, oi: step * 1000 + i });
      }
      if (r() < 0.5) {
        m.applyKey('options:{SPY}:chain', { contracts: rows }, step);
        viaColumns('options:{SPY}:chain', { contracts: rows }, step);
        chain = rows;
      } else {
        // greeks for a random subset of the last chain's and this draw's ids, in random order
        const ids = [...chain, ...rows].map((x) => x.id as string).filter(() => r() < 0.7).sort(() => r() - 0.5);
        greeks = new Map(ids.map((id, i) => [id, step + i / 1000]));
        m.applyKey('options:{SPY}:greeks', { contracts: [...greeks].map(([id, d]) => ({ id, delta: d, gamma: 1, vega: 2, theta: 3 })) }, step);
        viaColumns('options:{SPY}:greeks', { contracts: [...greeks].map(([id, d]) => ({ id, delta: d, gamma: 1, vega: 2, theta: 3 })) }, step);
      }
      const got = m.chain('SPY', step);
      expect(twin.chain('SPY', step), `step ${step}: the twin fed columns`).toEqual(got);
      expect(twin.counters, `step ${step}`).toEqual(m.counters);
      expect(got.length, `step ${step}`).toBe(chain.length);
      const want = new Map(chain.map((x) => [x.id as string, x]));
      for (const g of got) {
        const id = `${g.expiration}${g.type}${g.strike}`;
        const x = want.get(id);
        expect(x, `step ${step}: ${id} is not in the last chain`).toBeDefined();
        expect([g.bid, g.ask, g.bidSize, g.askSize, g.openInterest], `step ${step}: ${id}`).toEqual([x!.bid, x!.ask, x!.bidSize, x!.askSize, x!.oi]);
        const d = greeks.get(id);
        if (d === undefined) expect(g.greeks.delta, `step ${step}: ${id}`).toBeNaN();
        else expect(g.greeks.delta, `step ${step}: ${id}`).toBe(d);
      }
    }
  });

  it('takes parsed columns as the key (bad rows counted the same); refuses columns that do not hold together', () => {
    const { m, k } = applied();
    const t = new OptionMarket();
    for (const [key, v] of [['options:{SPY}:chain', k.chain], ['options:{SPY}:greeks', k.greeks]] as const) {
      expect(t.applyColumns(chainColumns(key, v) as ChainColumns, 1000)).toBe(true);
    }
    expect(t.chain('SPY', 1000)).toEqual(m.chain('SPY', 1000));
    expect(t.counters.badChainRows).toBe(3);
    expect(chainColumns('market:{SPY}:book', {})).toBe('ignored');
    expect(chainColumns('options:{SPY}:chain', { rows: [] })).toEqual({ bad: 'no contracts array' });
    const good = chainColumns('options:{SPY}:chain', k.chain) as Extract<ChainColumns, { kind: 'chain' }>;
    const bad: unknown[] = [
      { ...good, n: good.n + 1 }, // more rows than columns
      { ...good, expiry: Array.from(good.expiry) }, // not a typed array
      { ...good, ids: good.ids.split('\n').slice(1).join('\n') }, // ids short of the rows
      { ...good, expiries: good.expiries.slice(1) }, // a row's expiry index past the list
      { ...(chainColumns('options:{SPY}:greeks', k.greeks) as object), vals: new Float64Array(3) },
      { kind: 'other', symbol: 'SPY', ids: '' },
      null,
    ];
    const before = t.chain('SPY', 1000);
    for (const x of bad) expect(t.applyColumns(x as ChainColumns, 2000)).toBe(false);
    expect(t.chain('SPY', 2000)).toEqual(before);
  });

  it('forgets live quotes of contracts that stopped quoting (they never price once stale); fresh ones stay', () => {
    const m = new OptionMarket({ chainFallback: false, maxQuoteAgeMs: 10_000 });
    const q = (occ: string) => ({ occ, underlying: 'SPY', bid: 1, ask: 1.1, bidSize: 1, askSize: 1 });
    // a day of contracts coming and going: each quoted for a while, then never again
    for (let day = 0; day < 20; day++) {
      for (let t = 0; t < 5; t++) m.applyQuotes([q(`SPY2612${String(day + 10).padStart(2, '0')}C00590000`), q('SPY261231C00600000')], day * 3_600_000 + t * 1000);
    }
    const now = 19 * 3_600_000 + 4000;
    expect(m.liveQuotes).toBeLessThanOrEqual(3);
    expect(m.quote('SPY261229C00590000', 'SPY', now)).toMatchObject({ source: 'live', bid: 1 }); // the last one quoted
    expect(m.quote('SPY261231C00600000', 'SPY', now)).toMatchObject({ source: 'live' });
    expect(m.quote('SPY261210C00590000', 'SPY', now)).toBeNull(); // stale long ago: gone, priced by nothing either way
  });
});
