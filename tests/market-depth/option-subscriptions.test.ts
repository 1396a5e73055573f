/**
 * The option line allocator (OptionSubscriptions) and the conflated quote book (OptionQuoteBook): owners'
 * sets replace each other, the union ranked by owner then the owner's own order fills the lines left by
 * the underlyings, the rest is dropped and reported; the plans, applied in turn, keep a venue's set equal
 * to the allocator's (model-based, fixed seed).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OptionSubscriptions, underlyingLines } from '../../actors/market-depth/OptionSubscriptions.js';
import { OptionQuoteBook } from '../../actors/market-depth/OptionQuoteBook.js';
import { parseOcc } from '../../analytics/instrument.js';

const occ = (strike: number, right = 'C') => `SPY261207${right}${String(strike * 1000).padStart(8, '0')}`;

describe('OptionSubscriptions', () => {
  it('counts the underlyings\' lines: two tick-by-tick streams per symbol, one more for depth', () => {
    expect(underlyingLines([{ level2: true }, { level2: false }, { level2: true }])).toBe(8);
  });

  it('held and working (execution) keep their lines before candidates (signals); the rest is dropped and reported', () => {
    const s = new OptionSubscriptions(6, 3, ['execution', 'signals']);
    s.request({ owner: 'signals', occs: [occ(580), occ(585), occ(590)] });
    expect(s.report()).toMatchObject({ subscribed: [occ(580), occ(585), occ(590)], dropped: [], capacity: 3 });
    const plan = s.request({ owner: 'execution', occs: [occ(600), occ(585)] })!;
    expect(plan.add.map((o) => o.occ)).toEqual([occ(600)]);
    expect(plan.remove).toEqual([occ(590)]);
    expect(plan.newlyDropped).toEqual([occ(590)]);
    expect(s.report()).toMatchObject({ subscribed: [occ(600), occ(585), occ(580)], dropped: [occ(590)], droppedTotal: 1, lineLimit: 6, linesInUse: 3 });
    // the owner's new set replaces its old one: the dropped candidate gets the freed line
    const back = s.request({ owner: 'execution', occs: [] })!;
    expect(back.add.map((o) => o.occ)).toEqual([occ(590)]);
    expect(back.remove).toEqual([occ(600)]);
    expect(s.report().dropped).toEqual([]);
  });

  it('a contract the venue refuses frees its line for the next in rank; 101 (lines full) counts as dropped', () => {
    const s = new OptionSubscriptions(2, 0, ['execution']);
    s.request({ owner: 'execution', occs: [occ(580), occ(585), occ(590)] });
    const p = s.refuse(occ(580), 200);
    expect(p.add.map((o) => o.occ)).toEqual([occ(590)]);
    expect(s.report().refused).toEqual([{ occ: occ(580), code: 200 }]);
    s.overLimit(occ(590));
    expect(s.report()).toMatchObject({ subscribed: [occ(585)], dropped: [occ(590)] });
    // any new request retries it (lines may have been freed); 200 stays refused while wanted
    expect(s.request({ owner: 'execution', occs: [occ(580), occ(585), occ(590)] })!.add.map((o) => o.occ)).toEqual([occ(590)]);
    expect(s.report().refused).toEqual([{ occ: occ(580), code: 200 }]);
    // no longer asked for: forgotten
    s.request({ owner: 'execution', occs: [occ(585)] });
    expect(s.report()).toMatchObject({ subscribed: [occ(585)], dropped: [], refused: [] });
  });

  it('lines the underlyings give up (a symbol lease lost) go to dropped contracts; lines they take back drop the lowest-ranked', () => {
    const s = new OptionSubscriptions(6, 4, ['execution', 'signals']);
    s.request({ owner: 'signals', occs: [occ(580), occ(585), occ(590)] });
    expect(s.report()).toMatchObject({ subscribed: [occ(580), occ(585)], dropped: [occ(590)], capacity: 2 });
    const freed = s.setLinesInUse(1);
    expect(freed.add.map((o) => o.occ)).toEqual([occ(590)]);
    expect(s.report()).toMatchObject({ subscribed: [occ(580), occ(585), occ(590)], dropped: [], linesInUse: 1, capacity: 5 });
    const taken = s.setLinesInUse(5);
    expect(taken.remove).toEqual([occ(585), occ(590)]);
    expect(taken.newlyDropped).toEqual([occ(585), occ(590)]);
    expect(s.report()).toMatchObject({ subscribed: [occ(580)], linesInUse: 5, capacity: 1 });
  });

  it('refuses a malformed request whole and skips bad OCC symbols, counting both', () => {
    const s = new OptionSubscriptions(10, 0, []);
    expect(s.request(null)).toBeNull();
    expect(s.request({ owner: '', occs: [] })).toBeNull();
    expect(s.request({ owner: 'x', occs: 'SPY' })).toBeNull();
    s.request({ owner: 'x', occs: ['SPY', occ(590), 42, occ(590)] });
    expect(s.report()).toMatchObject({ subscribed: [occ(590)], badRequests: 5 });
  });

  it('model: the venue set built from the plans always equals the allocation, which is the rank\'s first free lines (seed 1107)', () => {
    const owners = ['execution', 'signals', 'other'];
    const pool = [580, 585, 590, 595, 600, 605].flatMap((k) => [occ(k), occ(k, 'P')]);
    const step = fc.oneof(
      fc.record({ op: fc.constant('req' as const), owner: fc.constantFrom(...owners), occs: fc.array(fc.constantFrom(...pool), { maxLength: 8 }) }),
      fc.record({ op: fc.constant('refuse' as const), k: fc.nat(), code: fc.constantFrom(200, 101) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 4 }), fc.array(step, { maxLength: 60 }), (limit, used, steps) => {
        const s = new OptionSubscriptions(limit, used, ['execution', 'signals']);
        const venue = new Set<string>();
        const sets = new Map<string, string[]>();
        const refused = new Map<string, number>();
        for (const st of steps) {
          let plan;
          if (st.op === 'req') {
            const uniq = [...new Set(st.occs)];
            if (uniq.length) sets.set(st.owner, uniq);
            else sets.delete(st.owner);
            for (const [k, code] of refused) if (code === 101) refused.delete(k);
            plan = s.request({ owner: st.owner, occs: st.occs })!;
          } else {
            const live = [...venue];
            if (live.length === 0) continue;
            const k = live[st.k % live.length]!;
            refused.set(k, st.code);
            plan = st.code === 101 ? s.overLimit(k) : s.refuse(k, st.code);
          }
          for (const k of plan.remove) expect(venue.delete(k)).toBe(true);
          for (const o of plan.add) {
            expect(venue.has(o.occ)).toBe(false);
            venue.add(o.occ);
          }
          // the reference: owners by priority (others by name), each in its own order, refusals skipped
          const rank = (o: string) => (o === 'execution' ? 0 : o === 'signals' ? 1 : 2);
          const ranked = [...new Set([...sets.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).flatMap((o) => sets.get(o)!))];
          for (const k of refused.keys()) if (!ranked.includes(k)) refused.delete(k);
          const eligible = ranked.filter((k) => !refused.has(k));
          const cap = Math.max(0, limit - used);
          const r = s.report();
          expect(r.subscribed).toEqual(eligible.slice(0, cap));
          expect([...venue].sort()).toEqual(eligible.slice(0, cap).sort());
          expect(r.dropped.sort()).toEqual([...eligible.slice(cap), ...ranked.filter((k) => refused.get(k) === 101)].sort());
        }
      }),
      { seed: 1107, numRuns: 300 },
    );
  });
});

describe('OptionQuoteBook', () => {
  it('conflates: each ticked contract once per drain, at its latest values; a repeated value moves ts; an all-unset computation marks nothing', () => {
    const b = new OptionQuoteBook();
    const o = parseOcc(occ(590));
    b.open(o);
    b.price(o.occ, 'bid', 1.2, 1);
    b.price(o.occ, 'bid', 1.25, 2);
    b.price(o.occ, 'ask', 1.3, 3);
    b.greeks(o.occ, { iv: 0.2, delta: 0.5, gamma: 0.01, vega: 0.1, theta: -0.3, undPrice: 590 }, 4);
    const d = b.drain();
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ occ: o.occ, underlying: 'SPY', bid: 1.25, ask: 1.3, delta: 0.5, undPrice: 590, ts: 4 });
    expect(Number.isNaN(d[0]!.last)).toBe(true);
    expect(b.drain()).toEqual([]);
    b.greeks(o.occ, { iv: undefined, delta: Number.NaN }, 5);
    expect(b.drain()).toEqual([]);
    b.price(o.occ, 'bid', 1.25, 6);
    expect(b.drain()).toMatchObject([{ bid: 1.25, ts: 6 }]);
  });

  it('refuses non-finite and negative values (counted); −1 is "no quote"; closed contracts take no ticks', () => {
    const b = new OptionQuoteBook();
    const o = parseOcc(occ(590));
    b.open(o);
    b.price(o.occ, 'bid', Number.NaN, 1);
    b.price(o.occ, 'ask', -3, 1);
    b.size(o.occ, 'askSize', Infinity, 1);
    expect(b.rejected).toBe(3);
    b.price(o.occ, 'bid', 1, 2);
    b.price(o.occ, 'bid', -1, 3);
    expect(Number.isNaN(b.drain()[0]!.bid)).toBe(true);
    b.close(o.occ);
    b.price(o.occ, 'bid', 2, 4);
    expect(b.drain()).toEqual([]);
    expect(b.count).toBe(0);
  });
});
