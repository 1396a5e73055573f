import { describe, expect, test } from 'vitest';
import { bsmGreeks } from '../../analytics/greeks.js';
import { validateChain, type QuarantineReason } from '../../actors/options/validateChain.js';
import { buildChain, toWire } from '../../sim/alpha-vantage/chainModel.js';
import { nyToUtcMs, parseIsoDate } from '../../sim/alpha-vantage/marketCalendar.js';

const NOW = Date.UTC(2025, 2, 12, 18, 0); // Wed 2025-03-12 14:00 New York
const YEAR_MS = 365 * 86_400_000;

function simChain(withGreeks: boolean, symbol = 'SPY', spot = 590): Record<string, string>[] {
  return buildChain({ symbol, spot, nowMs: NOW, seed: 7, r: 0.045, q: 0, daily: true, quoteDate: '2025-03-12', sessionFraction: 0.6 }).map((c) =>
    toWire(c, withGreeks),
  );
}

/** A sound SPY call, 9 days out, priced by BSM at 15% vol so its greeks are consistent. */
function goodRow(over: Record<string, unknown> = {}): Record<string, unknown> {
  const T = (Date.UTC(2025, 2, 21, 20, 0) - NOW) / YEAR_MS;
  const g = bsmGreeks(true, 590, 595, T, 0.045, 0, 0.15);
  return {
    contractID: 'SPY250321C00595000',
    symbol: 'SPY',
    expiration: '2025-03-21',
    strike: '595.00',
    type: 'call',
    last: g.price.toFixed(2),
    mark: g.price.toFixed(2),
    bid: (g.price - 0.02).toFixed(2),
    bid_size: '10',
    ask: (g.price + 0.02).toFixed(2),
    ask_size: '12',
    volume: '1500',
    open_interest: '20000',
    date: '2025-03-12',
    implied_volatility: '0.15000',
    delta: g.delta.toFixed(5),
    gamma: g.gamma.toFixed(5),
    theta: g.thetaDay.toFixed(5),
    vega: g.vegaPt.toFixed(5),
    rho: g.rhoPt.toFixed(5),
    ...over,
  };
}

describe('validateChain on the simulator’s chains', () => {
  test('a full chain with greeks: nothing quarantined, parity spot, API greeks agree with local ones, T to 16:00 New York', () => {
    const rows = simChain(true);
    const v = validateChain({ endpoint: 'Realtime Options', message: 'success', data: rows }, NOW, { symbol: 'SPY' });
    expect(v.counts).toMatchObject({ total: rows.length, good: rows.length, quarantined: 0, greeksRecomputed: 0, ivSolved: 0, greeksMismatched: 0 });
    expect(v.spotSource).toBe('parity');
    expect(Math.abs(v.spot! - 590)).toBeLessThan(0.05);
    let maxDeltaDiff = 0;
    for (const c of v.good) {
      expect(c.greeksSource).toBe('api');
      expect(c.ivSource).toBe('api');
      maxDeltaDiff = Math.max(maxDeltaDiff, Math.abs(c.greeks.delta - c.greeksLocal.delta));
      // The simulator's own rule-based DST calendar and the engine's Intl one agree on every expiry instant.
      expect(c.expiryMs).toBe(nyToUtcMs(parseIsoDate(c.expiration)!, 16 * 60));
      expect(c.T).toBeCloseTo((c.expiryMs - NOW) / YEAR_MS, 15);
    }
    expect(maxDeltaDiff).toBeLessThan(0.01);
    const zeroDte = v.good.find((c) => c.expiration === '2025-03-12')!;
    expect(zeroDte.T).toBeCloseTo(2 / (365 * 24), 12); // two hours to the close
  });

  test('a chain without greeks: IV solved from the mark, greeks computed locally', () => {
    const rows = simChain(false);
    const v = validateChain(rows, NOW, { spot: 590 });
    expect(v.spotSource).toBe('given');
    expect(v.counts.ivSolved).toBe(v.good.length);
    expect(v.counts.greeksRecomputed).toBe(v.good.length);
    // Marks are cents: deep in-the-money ones can sit below the no-arbitrage bound and cannot be inverted.
    for (const q of v.quarantined) expect(q.reason).toBe('iv_unsolvable');
    expect(v.counts.quarantined).toBeLessThan(rows.length * 0.1);
    const withIv = new Map(simChain(true).map((r) => [r.contractID, Number(r.implied_volatility)]));
    for (const c of v.good.filter((x) => Math.abs(x.strike / 590 - 1) < 0.02 && x.T > 5 / 365)) {
      expect(c.greeksSource).toBe('local');
      expect(Math.abs(c.iv - withIv.get(c.contractId)!)).toBeLessThan(0.01);
    }
  });
});

describe('validateChain quarantines each kind of bad contract', () => {
  const cases: { name: string; row: unknown; reason: QuarantineReason }[] = (
    [
    ['null', null, 'not_an_object'],
    ['array', [1, 2], 'not_an_object'],
    ['string', 'SPY250321C00595000', 'not_an_object'],
    ['no contractID', goodRow({ contractID: undefined }), 'missing_field'],
    ['no expiration', goodRow({ expiration: '' }), 'missing_field'],
    ['other underlying', goodRow({ contractID: 'QQQ250321C00595000', symbol: 'QQQ' }), 'wrong_symbol'],
    ['unknown type', goodRow({ contractID: 'X1', type: 'straddle' }), 'unknown_type'],
    ['bid not a number', goodRow({ contractID: 'X2', bid: 'abc' }), 'bad_number'],
    ['empty strike', goodRow({ contractID: 'X3', strike: '' }), 'bad_number'],
    ['NaN mark', goodRow({ contractID: 'X4', mark: 'NaN' }), 'bad_number'],
    ['Infinity ask', goodRow({ contractID: 'X5', ask: 'Infinity' }), 'bad_number'],
    ['fractional volume', goodRow({ contractID: 'X6', volume: '1.5' }), 'bad_number'],
    ['null open interest', goodRow({ contractID: 'X7', open_interest: null }), 'bad_number'],
    ['IV not a number', goodRow({ contractID: 'X8', implied_volatility: 'n/a' }), 'bad_number'],
    ['zero strike', goodRow({ contractID: 'X9', strike: '0.00' }), 'bad_strike'],
    ['negative bid', goodRow({ contractID: 'X10', bid: '-0.10' }), 'negative_price'],
    ['negative size', goodRow({ contractID: 'X11', bid_size: '-1' }), 'negative_size'],
    ['negative volume', goodRow({ contractID: 'X12', volume: '-5' }), 'negative_volume'],
    ['negative OI', goodRow({ contractID: 'X13', open_interest: '-1' }), 'negative_open_interest'],
    ['bid above ask', goodRow({ contractID: 'X14', bid: '9.00', ask: '8.50' }), 'crossed_quote'],
    ['no such date', goodRow({ contractID: 'X15', expiration: '2025-02-30' }), 'bad_expiry'],
    ['date format', goodRow({ contractID: 'X16', expiration: '20250321' }), 'bad_expiry'],
    ['yesterday', goodRow({ contractID: 'X17', expiration: '2025-03-11' }), 'expired'],
    ['IV zero', goodRow({ contractID: 'X18', implied_volatility: '0.00000' }), 'iv_out_of_range'],
    ['IV five', goodRow({ contractID: 'X19', implied_volatility: '5.00000' }), 'iv_out_of_range'],
    ['IV negative', goodRow({ contractID: 'X20', implied_volatility: '-0.20000' }), 'iv_out_of_range'],
    [
      'no IV and a mark below intrinsic',
      goodRow({ contractID: 'X21', strike: '500.00', mark: '80.00', bid: '79.90', ask: '80.10', implied_volatility: undefined, delta: undefined }),
      'iv_unsolvable',
    ],
    ] as [string, unknown, QuarantineReason][]
  ).map(([name, row, reason]) => ({ name, row, reason }));

  test.each(cases)('$name → $reason', ({ row, reason }) => {
    const clean = row !== null && typeof row === 'object' && !Array.isArray(row)
      ? Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined))
      : row;
    const v = validateChain([goodRow(), clean], NOW, { spot: 590, symbol: 'SPY' });
    expect(v.good.map((c) => c.contractId)).toEqual(['SPY250321C00595000']);
    expect(v.quarantined).toHaveLength(1);
    expect(v.quarantined[0]!.reason).toBe(reason);
    expect(v.quarantined[0]!.contract).toBe(clean);
    expect(v.quarantined[0]!.detail.length).toBeGreaterThan(3);
    expect(v.counts.byReason).toEqual({ [reason]: 1 });
  });

  test('a duplicate contract id is quarantined, the first kept', () => {
    const v = validateChain([goodRow(), goodRow({ mark: '99.00' })], NOW, { spot: 590 });
    expect(v.good).toHaveLength(1);
    expect(v.good[0]!.mark).not.toBe(99);
    expect(v.counts.byReason).toEqual({ duplicate: 1 });
  });

  test('expiring exactly now is expired; a minute before the close is still alive', () => {
    const close = Date.UTC(2025, 2, 21, 20, 0);
    expect(validateChain([goodRow()], close, { spot: 590 }).counts.byReason).toEqual({ expired: 1 });
    const alive = validateChain([goodRow()], close - 60_000, { spot: 590 });
    expect(alive.good).toHaveLength(1);
    expect(alive.good[0]!.T).toBeCloseTo(60_000 / YEAR_MS, 15);
  });

  test('with no spot given and no call/put pair to imply one, contracts are quarantined as no_spot', () => {
    const v = validateChain([goodRow()], NOW);
    expect(v.spotSource).toBe('none');
    expect(v.counts.byReason).toEqual({ no_spot: 1 });
  });

  test('garbage bodies give an empty result, not an exception', () => {
    for (const body of [undefined, null, 42, 'x', {}, { data: 'nope' }]) {
      expect(validateChain(body, NOW).counts.total).toBe(0);
    }
  });
});

describe('greeks: API values used when sound, recomputed locally when missing or invalid', () => {
  test('sound API greeks are used and match the local ones', () => {
    const [c] = validateChain([goodRow()], NOW, { spot: 590 }).good;
    expect(c!.greeksSource).toBe('api');
    expect(c!.greeks.delta).toBe(Number(goodRow().delta));
    expect(Math.abs(c!.greeks.delta - c!.greeksLocal.delta)).toBeLessThan(1e-5);
    expect(Math.abs(c!.greeks.theta - c!.greeksLocal.theta)).toBeLessThan(1e-5);
    expect(Math.abs(c!.greeks.vega - c!.greeksLocal.vega)).toBeLessThan(1e-5);
  });

  test.each([
    ['delta above 1', { delta: '1.70000' }],
    ['call with negative delta', { delta: '-0.40000' }],
    ['negative gamma', { gamma: '-0.01000' }],
    ['unparseable theta', { theta: 'x' }],
    ['greeks missing', { delta: undefined, gamma: undefined, theta: undefined, vega: undefined, rho: undefined }],
  ])('%s → local greeks', (_name, over) => {
    const row = Object.fromEntries(Object.entries(goodRow(over)).filter(([, v]) => v !== undefined));
    const v = validateChain([row], NOW, { spot: 590 });
    const c = v.good[0]!;
    expect(c.greeksSource).toBe('local');
    expect(c.greeks).toEqual(c.greeksLocal);
    expect(v.counts.greeksRecomputed).toBe(1);
    const T = (Date.UTC(2025, 2, 21, 20, 0) - NOW) / YEAR_MS;
    const ref = bsmGreeks(true, 590, 595, T, 0.045, 0, 0.15);
    expect(c.greeks.delta).toBeCloseTo(ref.delta, 12);
    expect(c.greeks.theta).toBeCloseTo(ref.thetaDay, 12);
    expect(c.greeks.vega).toBeCloseTo(ref.vegaPt, 12);
    expect(c.greeks.rho).toBeCloseTo(ref.rhoPt, 12);
  });

  test('a put whose API delta disagrees with the local one by > 0.05 is counted as mismatched', () => {
    const T = (Date.UTC(2025, 2, 21, 20, 0) - NOW) / YEAR_MS;
    const put = bsmGreeks(false, 590, 595, T, 0.045, 0, 0.15);
    const row = goodRow({ contractID: 'SPY250321P00595000', type: 'put', delta: (put.delta + 0.2).toFixed(5), rho: put.rhoPt.toFixed(5), theta: put.thetaDay.toFixed(5), mark: put.price.toFixed(2), bid: (put.price - 0.02).toFixed(2), ask: (put.price + 0.02).toFixed(2) });
    const v = validateChain([row], NOW, { spot: 590 });
    expect(v.good[0]!.greeksSource).toBe('api');
    expect(v.counts.greeksMismatched).toBe(1);
  });

  test('r and q are honoured', () => {
    const base = validateChain([goodRow()], NOW, { spot: 590 }).good[0]!;
    const withQ = validateChain([goodRow()], NOW, { spot: 590, dividendYield: 0.02, rate: 0.01 }).good[0]!;
    expect(withQ.greeksLocal.delta).toBeLessThan(base.greeksLocal.delta);
  });
});

describe('expiry instants across daylight saving', () => {
  test('16:00 New York is 20:00Z in EDT and 21:00Z in EST', () => {
    const now = Date.UTC(2025, 9, 1);
    const rows = [
      goodRow({ contractID: 'A', expiration: '2025-10-31' }),
      goodRow({ contractID: 'B', expiration: '2025-11-03' }),
    ];
    const v = validateChain(rows, now, { spot: 590 });
    expect(v.good.map((c) => new Date(c.expiryMs).toISOString())).toEqual(['2025-10-31T20:00:00.000Z', '2025-11-03T21:00:00.000Z']);
  });
});
