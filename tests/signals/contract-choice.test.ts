/**
 * The contract of an option strategy's signal (actors/signals/contractChoice.ts) over the chain keys the
 * options actor publishes, refined by live quotes (analytics/optionMarket.ts): no chain, a stale chain, a
 * choice from the chain, the same choice re-priced by a live quote, and the chain standing in (counted)
 * only while no live quote exists.
 */
import { describe, expect, it } from 'vitest';
import { NYSE } from '../../analytics/calendar.js';
import { OptionMarket } from '../../analytics/optionMarket.js';
import { chainIndexOf, selectContract } from '../../analytics/contractSelection.js';
import { chooseContract, type ChoiceRules } from '../../actors/signals/contractChoice.js';

const NOW = Date.parse('2026-12-07T15:00:00Z'); // 10:00 New York, Monday
const RULES: ChoiceRules = { targetDelta: { '0DTE': 0.3, '1DTE': 0.4, '14DTE': 0.5 }, maxSpreadFraction: 0.25, minOpenInterest: 100, minQuoteSize: 1, maxChainAgeMs: 60_000 };

function chainKeys(): { chain: unknown; greeks: unknown } {
  const rows: Record<string, unknown>[] = [];
  const greeks: Record<string, unknown>[] = [];
  for (const [strike, delta] of [[588, 0.62], [590, 0.5], [592, 0.31], [594, 0.18]] as const) {
    const id = `SPY261207C${strike}`;
    rows.push({ id, expiration: '2026-12-07', strike, type: 'call', bid: 1.0, ask: 1.1, bidSize: 10, askSize: 12, oi: 500 });
    greeks.push({ id, delta, gamma: 0.1, vega: 0.05, theta: -0.9 });
  }
  return { chain: { symbol: 'SPY', contracts: rows }, greeks: { symbol: 'SPY', contracts: greeks } };
}

describe('contract choice for option signals', () => {
  it('no chain, a stale chain: no contract, with the reason', () => {
    const m = new OptionMarket();
    expect(chooseContract(m, NYSE, RULES, 'SPY', '0DTE', 1, NOW, 1000)).toMatchObject({ ok: false, reason: 'no-chain' });
    const k = chainKeys();
    m.applyKey('options:{SPY}:chain', k.chain, 1000);
    m.applyKey('options:{SPY}:greeks', k.greeks, 1000);
    expect(chooseContract(m, NYSE, RULES, 'SPY', '0DTE', 1, NOW, 1000 + 60_001)).toMatchObject({ ok: false, reason: 'stale-chain' });
    // a put is wanted (short) and the chain lists calls only
    expect(chooseContract(m, NYSE, RULES, 'SPY', '0DTE', -1, NOW, 2000)).toMatchObject({ ok: false, reason: 'no-contracts' });
  });

  it('chooses from the chain, then from the live quote once one exists; the chain stands in only without one', () => {
    const m = new OptionMarket();
    const k = chainKeys();
    expect(m.applyKey('options:{SPY}:chain', JSON.stringify(k.chain), 1000)).toBe('applied');
    expect(m.applyKey('options:{SPY}:greeks', k.greeks, 1000)).toBe('applied');
    expect(m.applyKey('options:{SPY}:chain', { nope: 1 }, 1000)).toEqual({ bad: 'no contracts array' });
    const c = chooseContract(m, NYSE, RULES, 'SPY', '0DTE', 1, NOW, 2000);
    expect(c).toMatchObject({ ok: true, occ: 'SPY261207C00592000', expiry: '2026-12-07', right: 'C', strike: 592, delta: 0.31, bid: 1.0, ask: 1.1, quote: 'chain' });
    expect(m.quote('SPY261207C00592000', 'SPY', 2000)).toMatchObject({ source: 'chain', bid: 1.0, delta: 0.31 });
    expect(m.counters.chainFallbacks).toBe(1);
    // a live quote moves the 590 call's delta to 0.30: it is now the nearest, priced from the venue
    m.applyQuotes([{ occ: 'SPY261207C00590000', underlying: 'SPY', bid: 1.5, ask: 1.56, bidSize: 20, askSize: 20, last: NaN, iv: 0.2, delta: 0.3, gamma: 0.1, vega: 0.05, theta: -1, undPrice: 590, ts: 0 }], 3000);
    const live = chooseContract(m, NYSE, RULES, 'SPY', '0DTE', 1, NOW, 3000);
    expect(live).toMatchObject({ ok: true, occ: 'SPY261207C00590000', bid: 1.5, ask: 1.56, quote: 'live' });
    expect(m.quote('SPY261207C00590000', 'SPY', 3000)).toMatchObject({ source: 'live', bid: 1.5 });
    expect(m.counters.liveUsed).toBe(1);
    // a live quote older than 10 s is no quote: the chain stands in again (counted)
    expect(m.quote('SPY261207C00590000', 'SPY', 3000 + 10_001)).toMatchObject({ source: 'chain', bid: 1.0 });
    expect(m.counters.chainFallbacks).toBe(2);
    expect(m.applyQuotes([{ occ: 'X', bid: 2, ask: 1 }], 3000)).toBe(0);
    expect(m.counters.badQuotes).toBe(1);
  });
});

describe('the indexed chain (OptionMarket.chainIndex) selects exactly what the whole chain does', () => {
  it('random chains, live quotes, strategies and directions (seed 0x5e1ec7)', () => {
    const seed = 0x5e1ec7;
    console.log(`contract-choice index seed ${seed}`);
    let x = seed;
    const r = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const expiries = ['2026-12-07', '2026-12-08', '2026-12-09', '2026-12-14', '2026-12-18', '2026-12-21', '2026-12-24', '2027-01-15'];
    const outcomes = new Set<string>();
    for (let round = 0; round < 60; round++) {
      const m = new OptionMarket();
      const rows: Record<string, unknown>[] = [];
      const greeks: Record<string, unknown>[] = [];
      const listed = expiries.filter(() => r() < 0.6);
      for (const e of listed) {
        for (let k = 580; k < 600; k++) {
          for (const type of ['call', 'put']) {
            if (r() < 0.2) continue;
            const id = `${e}${type}${k}`;
            const bid = r() < 0.1 ? 0 : 1 + r();
            rows.push({ id, expiration: e, strike: k, type, bid, ask: bid + r() * 0.5, bidSize: Math.floor(r() * 5), askSize: Math.floor(r() * 5), oi: Math.floor(r() * 400) });
            greeks.push({ id, delta: r() < 0.05 ? null : (type === 'call' ? 1 : -1) * r() });
          }
        }
      }
      m.applyKey('options:{SPY}:chain', { contracts: rows }, 1000);
      m.applyKey('options:{SPY}:greeks', { contracts: greeks }, 1000);
      const quotes = rows.filter(() => r() < 0.2).map((row) => {
        const occ = `SPY${String(row.expiration).slice(2).replace(/-/g, '')}${row.type === 'call' ? 'C' : 'P'}${String(Number(row.strike) * 1000).padStart(8, '0')}`;
        const bid = 1 + r();
        return { occ, underlying: 'SPY', bid, ask: bid + r() * 0.3, bidSize: 1 + Math.floor(r() * 9), askSize: 1 + Math.floor(r() * 9), delta: r() < 0.3 ? NaN : r() };
      });
      m.applyQuotes(quotes, r() < 0.5 ? 1500 : -20_000); // fresh, or older than the 10 s a live quote lasts
      for (const strategy of ['0DTE', '1DTE', '14DTE'] as const) {
        for (const direction of [1, -1] as const) {
          const nowMs = NOW + Math.floor(r() * 4) * 86_400_000;
          const whole = selectContract('SPY', strategy, direction, chainIndexOf(m.chain('SPY', 2000)), NYSE, nowMs, RULES);
          const indexed = selectContract('SPY', strategy, direction, m.chainIndex('SPY', 2000), NYSE, nowMs, RULES);
          expect(indexed, `round ${round} ${strategy} ${direction}`).toEqual(whole);
          outcomes.add(whole.ok ? (m.hasLive(whole.instrument.occ, 2000) ? 'chosen-live' : 'chosen-chain') : whole.reason);
        }
      }
    }
    // the comparison is not vacuous: choices from live quotes and from the chain, and refusals, all occurred
    expect(outcomes).toContain('chosen-live');
    expect(outcomes).toContain('chosen-chain');
    expect([...outcomes].some((o) => !o.startsWith('chosen'))).toBe(true);
  });
});
