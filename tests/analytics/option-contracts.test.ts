/**
 * The option instrument (OCC symbols), contract selection by strategy on edge chains and calendars, and
 * sizing/pricing from premium (analytics/instrument.ts, contractSelection.ts, optionOrder.ts).
 */
import { describe, expect, it } from 'vitest';
import { etTime, NYSE } from '../../analytics/calendar.js';
import { chainIndexOf, selectContract, sessionDate, type ChainContract, type SelectionRules } from '../../analytics/contractSelection.js';
import { describe as describeInstrument, occPadded, OccError, option, parseOcc } from '../../analytics/instrument.js';
import { contractsFor, marketableLimit, optionTick, repriceFraction } from '../../analytics/optionOrder.js';

describe('OCC symbols', () => {
  it('builds and parses the documented examples, unpadded and padded', () => {
    const c = option('SPY', '2026-12-07', 'C', 590);
    expect(c.occ).toBe('SPY261207C00590000');
    expect(occPadded(c)).toBe('SPY   261207C00590000');
    const p = option('QQQ', '2026-12-07', 'P', 512.5);
    expect(p.occ).toBe('QQQ261207P00512500');
    expect(parseOcc('QQQ   261207P00512500')).toEqual(p);
    expect(parseOcc('SPY261207C00590000')).toEqual(c);
    expect(describeInstrument(c)).toBe('SPY 07 Dec 26 590 C');
  });

  it('keeps an adjusted root apart from the underlying', () => {
    const a = parseOcc('XYZ1261218C00012500', 'XYZ');
    expect([a.root, a.underlying, a.strike]).toEqual(['XYZ1', 'XYZ', 12.5]);
  });

  it('refuses what an OCC symbol cannot carry', () => {
    for (const bad of ['SPY261207X00590000', 'SPY2612C00590000', 'spy261207C00590000', 'SPY261307C00590000', 'SPY261207C00000000', '']) {
      expect(() => parseOcc(bad), bad).toThrow(OccError);
    }
    expect(() => option('SPY', '2026-12-07', 'C', 590.0001)).toThrow(OccError);
    expect(() => option('TOOLONGX', '2026-12-07', 'C', 5)).toThrow(OccError);
    expect(() => option('SPY', '07/12/2026', 'C', 5)).toThrow(OccError);
  });
});

const rules: SelectionRules = { targetDelta: { '0DTE': 0.3, '1DTE': 0.4, '14DTE': 0.5 }, maxSpreadFraction: 0.1, minOpenInterest: 100, minQuoteSize: 10 };

function row(expiration: string, type: 'call' | 'put', strike: number, delta: number, over: Partial<ChainContract> = {}): ChainContract {
  return { expiration, type, strike, bid: 1.0, ask: 1.04, bidSize: 50, askSize: 50, openInterest: 1000, greeks: { delta }, ...over };
}

/** New York wall time on a date, as epoch ms. */
const ny = (date: string, hhmm: string) => etTime(date, hhmm);

describe('contract selection', () => {
  const mon = '2026-12-07';
  it('0DTE long: today\'s call whose |delta| is nearest the target', () => {
    const chain = [row(mon, 'call', 590, 0.5), row(mon, 'call', 595, 0.31), row(mon, 'call', 600, 0.2), row(mon, 'put', 585, -0.3), row('2026-12-08', 'call', 595, 0.3)];
    const s = selectContract('SPY', '0DTE', 1, chainIndexOf(chain), NYSE, ny(mon, '10:00'), rules);
    expect(s.ok && [s.instrument.occ, s.expiry, s.delta, s.candidates]).toEqual(['SPY261207C00595000', mon, 0.31, 3]);
  });

  it('short → put, never a sold call', () => {
    const chain = [row(mon, 'call', 595, 0.3), row(mon, 'put', 585, -0.29)];
    const s = selectContract('SPY', '0DTE', -1, chainIndexOf(chain), NYSE, ny(mon, '10:00'), rules);
    expect(s.ok && s.instrument.occ).toBe('SPY261207P00585000');
  });

  it('two strikes tie on delta: the cheaper ask, then the lower strike', () => {
    const chain = [row(mon, 'call', 596, 0.35, { bid: 0.9, ask: 0.95 }), row(mon, 'call', 594, 0.25, { bid: 1.2, ask: 1.25 })];
    const s = selectContract('SPY', '0DTE', 1, chainIndexOf(chain), NYSE, ny(mon, '10:00'), rules);
    expect(s.ok && s.instrument.strike).toBe(596);
    const same = [row(mon, 'call', 597, 0.35), row(mon, 'call', 593, 0.25)];
    const t = selectContract('SPY', '0DTE', 1, chainIndexOf(same), NYSE, ny(mon, '10:00'), rules);
    expect(t.ok && t.instrument.strike).toBe(593);
  });

  it('no contract passes the filters: no order, the reason counted per rule', () => {
    const chain = [
      row(mon, 'call', 590, 0.3, { bid: 0 }),
      row(mon, 'call', 595, 0.3, { bid: 0.5, ask: 1.5 }),
      row(mon, 'call', 600, 0.3, { bid: 0.5, ask: 1.5 }),
      row(mon, 'call', 605, 0.3, { openInterest: 5 }),
      row(mon, 'call', 610, 0.3, { askSize: 1 }),
    ];
    const s = selectContract('SPY', '0DTE', 1, chainIndexOf(chain), NYSE, ny(mon, '10:00'), rules);
    expect(s).toMatchObject({ ok: false, reason: 'wide-spread', expiry: mon, refused: { 'no-bid': 1, 'wide-spread': 2, 'open-interest': 1, 'quote-size': 1 } });
    expect(selectContract('SPY', '0DTE', -1, chainIndexOf(chain), NYSE, ny(mon, '10:00'), rules)).toMatchObject({ ok: false, reason: 'no-contracts' });
  });

  it('0DTE on an early-close day: that day until 13:00, the next session after', () => {
    const chain = [row('2026-11-27', 'call', 590, 0.3), row('2026-11-30', 'call', 590, 0.3)];
    expect(sessionDate(NYSE, ny('2026-11-27', '12:59'))).toBe('2026-11-27');
    const before = selectContract('SPY', '0DTE', 1, chainIndexOf(chain), NYSE, ny('2026-11-27', '12:30'), rules);
    expect(before.ok && before.expiry).toBe('2026-11-27');
    const after = selectContract('SPY', '0DTE', 1, chainIndexOf(chain), NYSE, ny('2026-11-27', '13:30'), rules);
    expect(after.ok && after.expiry).toBe('2026-11-30');
  });

  it('1DTE across a weekend and across a holiday', () => {
    const chain = ['2026-12-04', '2026-12-07', '2026-12-24', '2026-12-28'].map((d) => row(d, 'call', 590, 0.4));
    const fri = selectContract('SPY', '1DTE', 1, chainIndexOf(chain), NYSE, ny('2026-12-04', '15:00'), rules);
    expect(fri.ok && fri.expiry).toBe('2026-12-07');
    // Thursday 24 Dec (early close), Friday 25 Dec a holiday: the next session is Monday 28 Dec
    const xmas = selectContract('SPY', '1DTE', 1, chainIndexOf(chain), NYSE, ny('2026-12-24', '11:00'), rules);
    expect(xmas.ok && xmas.expiry).toBe('2026-12-28');
    // on a Saturday the session traded is Monday's, so 1DTE is Tuesday: not listed here
    expect(selectContract('SPY', '1DTE', 1, chainIndexOf(chain), NYSE, ny('2026-12-05', '11:00'), rules)).toMatchObject({ ok: false, reason: 'no-expiry' });
  });

  it('14DTE: the listed expiry nearest 14 days within 7–21, the earlier on a tie; none in range → no expiry', () => {
    const from = ny(mon, '10:00');
    const chain = ['2026-12-11', '2026-12-18', '2026-12-24', '2027-01-15'].map((d) => row(d, 'call', 590, 0.5));
    const s = selectContract('SPY', '14DTE', 1, chainIndexOf(chain), NYSE, from, rules);
    expect(s.ok && s.expiry).toBe('2026-12-18'); // 11 days (12-24 is 17 days, 3 further from 14)
    const tie = ['2026-12-18', '2026-12-24'].map((d) => row(d, 'call', 590, 0.5)); // 11 and 17 days: a tie
    const t = selectContract('SPY', '14DTE', 1, chainIndexOf(tie), NYSE, from, rules);
    expect(t.ok && t.expiry).toBe('2026-12-18');
    const none = ['2026-12-09', '2027-01-15'].map((d) => row(d, 'call', 590, 0.5));
    expect(selectContract('SPY', '14DTE', 1, chainIndexOf(none), NYSE, from, rules)).toMatchObject({ ok: false, reason: 'no-expiry' });
  });
});

describe('sizing and pricing from premium', () => {
  const budget = { maxPremiumPerTrade: 1000, maxPremiumPerDay: 2500, spentToday: 0, maxContractsPerOrder: 20 };

  it('whole contracts from the trade budget scaled by confidence, capped per order', () => {
    expect(contractsFor(1.42, 100, 1, budget)).toEqual({ ok: true, contracts: 7, premium: 7 * 142 });
    expect(contractsFor(1.42, 100, 0.5, budget)).toMatchObject({ ok: true, contracts: 3 });
    expect(contractsFor(0.05, 100, 1, budget)).toMatchObject({ ok: true, contracts: 20 });
  });

  it('the day budget on its edge: exactly one contract left, then none', () => {
    expect(contractsFor(1.5, 100, 1, { ...budget, spentToday: 2350 })).toMatchObject({ ok: true, contracts: 1, premium: 150 });
    const refused = contractsFor(1.5, 100, 1, { ...budget, spentToday: 2351 });
    expect(refused).toMatchObject({ ok: false, reason: 'day-premium' });
    expect(contractsFor(12, 100, 0.5, budget)).toMatchObject({ ok: false, reason: 'trade-premium' });
    expect(contractsFor(NaN, 100, 1, budget)).toMatchObject({ ok: false, reason: 'no-price' });
  });

  it('marketable limits: from the mid towards the far side, on the tick, never through it', () => {
    expect(optionTick('SPY', 7)).toBe(0.01);
    expect(optionTick('AAPL', 7)).toBe(0.05);
    expect(optionTick('AAPL', 2.5)).toBe(0.01);
    expect(marketableLimit({ bid: 1.4, ask: 1.46 }, 1, 0.25, 'SPY')).toBe(1.44); // 1.43 + 0.0075 → up to the tick
    expect(marketableLimit({ bid: 1.4, ask: 1.46 }, -1, 0.25, 'SPY')).toBe(1.42); // 1.4225 → down to the tick
    expect(marketableLimit({ bid: 5.1, ask: 5.4 }, 1, 0, 'AAPL')).toBe(5.25);
    expect(marketableLimit({ bid: 5.1, ask: 5.4 }, 1, 5, 'AAPL')).toBe(5.4);
    expect(marketableLimit({ bid: 0, ask: 0.05 }, 1, 0.5, 'SPY')).toBeNull();
    expect(marketableLimit({ bid: 1.5, ask: 1.4 }, 1, 0.5, 'SPY')).toBeNull();
    expect([0, 1, 2, 5].map((k) => repriceFraction(k, 0.25, 0.25))).toEqual([0.25, 0.5, 0.75, 1]);
  });
});
