import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bsmGreeks } from '../../analytics/greeks.js';
import { AlphaVantageSimulator } from '../../sim/alpha-vantage/AlphaVantageSimulator.js';
import { parseSim } from '../../cli/sim.js';
import { labelFor } from '../../sim/alpha-vantage/newsModel.js';

// Wednesday 2025-03-12 14:00 New York (EDT, UTC−4).
const NOW = Date.UTC(2025, 2, 12, 18, 0);
const SPOTS: Record<string, number> = { SPY: 590, QQQ: 510, AAPL: 230, MSFT: 430 };
const KEY = 'demo-sim-key';
const BASE_KEYS = ['contractID', 'symbol', 'expiration', 'strike', 'type', 'last', 'mark', 'bid', 'bid_size', 'ask', 'ask_size', 'volume', 'open_interest', 'date'];
const GREEK_KEYS = ['implied_volatility', 'delta', 'gamma', 'theta', 'vega', 'rho'];

type Row = Record<string, string>;

let clock = NOW;
let sim: AlphaVantageSimulator;
let baseUrl: string;

async function get(params: Record<string, string>, base = baseUrl): Promise<{ status: number; text: string; json: () => any }> {
  const res = await fetch(`${base}/query?${new URLSearchParams(params)}`);
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

async function chain(symbol: string, greeks = true): Promise<Row[]> {
  const r = await get({ function: 'REALTIME_OPTIONS', symbol, require_greeks: String(greeks), apikey: KEY });
  expect(r.status).toBe(200);
  const body = r.json();
  expect(body.endpoint).toBe('Realtime Options');
  expect(body.message).toBe('success');
  return body.data as Row[];
}

beforeAll(async () => {
  sim = new AlphaVantageSimulator({ spot: (s) => SPOTS[s], nowMs: () => clock, perMinuteLimit: 10_000, freeKeys: ['free-key'] });
  baseUrl = (await sim.start()).baseUrl;
});
afterAll(async () => {
  await sim.stop();
});

describe('REALTIME_OPTIONS', () => {
  test('exact key set, every value a string; greeks only with require_greeks=true', async () => {
    const plain = await chain('SPY', false);
    const withGreeks = await chain('SPY', true);
    expect(plain.length).toBeGreaterThan(500);
    for (const row of plain) {
      expect(Object.keys(row)).toEqual(BASE_KEYS);
      for (const v of Object.values(row)) expect(typeof v).toBe('string');
    }
    for (const row of withGreeks) {
      expect(Object.keys(row)).toEqual([...BASE_KEYS, ...GREEK_KEYS]);
      for (const v of Object.values(row)) expect(typeof v).toBe('string');
    }
    expect(withGreeks[0]!.strike).toMatch(/^\d+\.\d{2}$/);
    expect(withGreeks[0]!.implied_volatility).toMatch(/^\d+\.\d{5}$/);
    expect(withGreeks[0]!.date).toBe('2025-03-12');
  });

  test('contract filter returns that contract only; an unknown contract gives an empty success', async () => {
    const all = await chain('SPY');
    const pick = all[123]!;
    const one = (await get({ function: 'REALTIME_OPTIONS', symbol: 'SPY', contract: pick.contractID, require_greeks: 'true', apikey: KEY })).json();
    expect(one.data).toEqual([pick]);
    const none = (await get({ function: 'REALTIME_OPTIONS', symbol: 'SPY', contract: 'SPY990101C00001000', apikey: KEY })).json();
    expect(none).toEqual({ endpoint: 'Realtime Options', message: 'success', data: [] });
  });

  test('OCC ids, strikes within ±15% of spot on $1/$5 grids, daily expiries for SPY only, out to ~60 days', async () => {
    const spy = await chain('SPY');
    for (const c of spy) {
      const K = Number(c.strike);
      expect(K).toBeGreaterThanOrEqual(590 * 0.85);
      expect(K).toBeLessThanOrEqual(590 * 1.15);
      const nearDollar = Math.abs(K / 590 - 1) <= 0.05;
      if (!nearDollar) expect(K % 5).toBe(0);
      const exp = c.expiration.replaceAll('-', '').slice(2);
      expect(c.contractID).toBe(`SPY${exp}${c.type === 'call' ? 'C' : 'P'}${String(Math.round(K * 1000)).padStart(8, '0')}`);
    }
    const expiries = [...new Set(spy.map((c) => c.expiration))];
    expect(expiries.slice(0, 6)).toEqual(['2025-03-12', '2025-03-13', '2025-03-14', '2025-03-17', '2025-03-18', '2025-03-21']);
    expect(expiries).toContain('2025-04-17'); // Good Friday 2025-04-18 is a holiday: that week's series expires Thursday
    expect(expiries).not.toContain('2025-04-18');
    expect(expiries.at(-1)! <= '2025-05-11').toBe(true);
    const aapl = [...new Set((await chain('AAPL')).map((c) => c.expiration))];
    expect(aapl[0]).toBe('2025-03-14'); // weeklies only
    expect(aapl).toContain('2025-03-21');
  });

  test('after the close, the day’s expiry is gone', async () => {
    clock = Date.UTC(2025, 2, 12, 20, 30); // 16:30 New York
    try {
      const expiries = new Set((await chain('SPY')).map((c) => c.expiration));
      expect(expiries.has('2025-03-12')).toBe(false);
      expect(expiries.has('2025-03-13')).toBe(true);
    } finally {
      clock = NOW;
    }
  });

  test('quotes are ordered and consistent; greeks are BSM at the reported IV (checked with the engine’s independent pricer)', async () => {
    const rows = await chain('SPY');
    const T = (iso: string): number => (Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10), 20, 0) - NOW) / (365 * 86_400_000);
    let checked = 0;
    for (const c of rows) {
      const bid = Number(c.bid);
      const ask = Number(c.ask);
      expect(bid).toBeLessThanOrEqual(ask);
      expect(Number(c.mark)).toBeGreaterThanOrEqual(bid);
      expect(Number(c.mark)).toBeLessThanOrEqual(ask);
      if (Number(c.volume) > 0) {
        expect(Number(c.last)).toBeGreaterThanOrEqual(bid);
        expect(Number(c.last)).toBeLessThanOrEqual(ask);
      }
      // The wire prints greeks to 5 decimals from an IV that is itself printed to 5 decimals: the true
      // value lies between the greeks at IV ± 0.000005, give or take 0.000005 of print rounding.
      const iv = Number(c.implied_volatility);
      const args = [c.type === 'call', 590, Number(c.strike), T(c.expiration), 0.045, 0] as const;
      const g = bsmGreeks(...args, iv);
      const lo = bsmGreeks(...args, iv - 5e-6);
      const hi = bsmGreeks(...args, iv + 5e-6);
      for (const [k, wire] of [['delta', c.delta], ['gamma', c.gamma], ['thetaDay', c.theta], ['vegaPt', c.vega], ['rhoPt', c.rho]] as const) {
        const a = Math.min(lo[k], hi[k], g[k]) - 5.0001e-6;
        const b = Math.max(lo[k], hi[k], g[k]) + 5.0001e-6;
        const w = Number(wire);
        if (!(w >= a && w <= b)) expect.fail(`${c.contractID} ${k}: wire ${wire} outside [${a}, ${b}]`);
      }
      // The mark is the price rounded to cents, then centred in the spread.
      expect(Math.abs(g.price - Number(c.mark))).toBeLessThanOrEqual(0.011);
      checked++;
    }
    expect(checked).toBe(rows.length);
  });

  test('the IV surface has put skew (OTM puts richer than equally distant OTM calls), parity-consistent pairs, rising term structure', async () => {
    const rows = await chain('SPY');
    const iv = (exp: string, K: number, type: string): number =>
      Number(rows.find((c) => c.expiration === exp && Number(c.strike) === K && c.type === type)!.implied_volatility);
    const exp = '2025-04-11';
    expect(iv(exp, 540, 'put')).toBeGreaterThan(iv(exp, 590, 'put') + 0.02);
    for (const d of [10, 20, 30, 45, 60]) expect(iv(exp, 590 - d, 'put')).toBeGreaterThan(iv(exp, 590 + d, 'call'));
    for (const c of rows.filter((r) => r.type === 'call')) {
      const p = rows.find((r) => r.type === 'put' && r.expiration === c.expiration && r.strike === c.strike)!;
      expect(p.implied_volatility).toBe(c.implied_volatility);
    }
    expect(iv('2025-05-09', 590, 'call')).toBeGreaterThan(iv('2025-03-13', 590, 'call'));
  });

  test('open interest peaks near the money and at round strikes; some contracts trade over 2× their OI', async () => {
    const rows = (await chain('SPY')).filter((c) => c.expiration === '2025-03-21');
    const oi = (K: number, type: string): number => Number(rows.find((c) => Number(c.strike) === K && c.type === type)!.open_interest);
    const top = [...rows].sort((a, b) => Number(b.open_interest) - Number(a.open_interest))[0]!;
    expect(Math.abs(Number(top.strike) / 590 - 1)).toBeLessThan(0.03);
    expect(oi(600, 'call')).toBeGreaterThan((oi(599, 'call') + oi(601, 'call')) / 2);
    expect(oi(590, 'put')).toBeGreaterThan(oi(520, 'put'));
    const all = await chain('SPY');
    const unusual = all.filter((c) => Number(c.open_interest) > 0 && Number(c.volume) / Number(c.open_interest) > 2);
    expect(unusual.length).toBeGreaterThan(3);
    expect(unusual.length).toBeLessThan(all.length * 0.05);
    // Nearer expiries carry more open interest at the money.
    const atmOi = (exp: string): number => all.filter((c) => c.expiration === exp && Number(c.strike) === 590).reduce((s, c) => s + Number(c.open_interest), 0);
    expect(atmOi('2025-03-14')).toBeGreaterThan(atmOi('2025-05-09'));
  });

  test('datatype=csv returns the same rows as CSV', async () => {
    const r = await get({ function: 'REALTIME_OPTIONS', symbol: 'MSFT', datatype: 'csv', apikey: KEY });
    const lines = r.text.trim().split('\r\n');
    expect(lines[0]).toBe(BASE_KEYS.join(','));
    const json = await chain('MSFT', false);
    expect(lines.length - 1).toBe(json.length);
    expect(lines[1]).toBe(BASE_KEYS.map((k) => json[0]![k]).join(','));
  });
});

describe('HISTORICAL_OPTIONS', () => {
  test('defaults to the previous session, always has greeks, sorted by expiration then strike', async () => {
    const body = (await get({ function: 'HISTORICAL_OPTIONS', symbol: 'SPY', apikey: KEY })).json();
    expect(body.endpoint).toBe('Historical Options');
    const rows = body.data as Row[];
    expect(rows.length).toBeGreaterThan(500);
    expect(rows[0]!.date).toBe('2025-03-11');
    expect(rows[0]!.expiration).toBe('2025-03-11'); // that day's 0DTE series is in its snapshot
    for (let i = 0; i < rows.length; i++) {
      expect(Object.keys(rows[i]!)).toEqual([...BASE_KEYS, ...GREEK_KEYS]);
      if (i === 0) continue;
      const a = rows[i - 1]!;
      const b = rows[i]!;
      expect(a.expiration < b.expiration || (a.expiration === b.expiration && Number(a.strike) <= Number(b.strike))).toBe(true);
    }
  });

  test('explicit date; weekends are empty; future, malformed and pre-2008 dates are errors', async () => {
    const d = (await get({ function: 'HISTORICAL_OPTIONS', symbol: 'QQQ', date: '2025-03-03', apikey: KEY })).json();
    expect(d.data[0].date).toBe('2025-03-03');
    const weekend = (await get({ function: 'HISTORICAL_OPTIONS', symbol: 'QQQ', date: '2025-03-08', apikey: KEY })).json();
    expect(weekend).toEqual({ endpoint: 'Historical Options', message: 'success', data: [] });
    for (const date of ['2025-03-13', '2025-3-1', '2025-02-30', '2007-12-31']) {
      const e = (await get({ function: 'HISTORICAL_OPTIONS', symbol: 'QQQ', date, apikey: KEY })).json();
      expect(e['Error Message'], date).toMatch(/Invalid API call.*HISTORICAL_OPTIONS/);
    }
  });
});

describe('NEWS_SENTIMENT', () => {
  test('shape: string items, definitions, numeric overall score, string ticker scores, labels by the API bands', async () => {
    const body = (await get({ function: 'NEWS_SENTIMENT', tickers: 'SPY', limit: '1000', apikey: KEY })).json();
    expect(Object.keys(body)).toEqual(['items', 'sentiment_score_definition', 'relevance_score_definition', 'feed']);
    expect(typeof body.items).toBe('string');
    expect(Number(body.items)).toBe(body.feed.length);
    expect(body.feed.length).toBeGreaterThan(20);
    expect(body.sentiment_score_definition).toContain('Somewhat_Bullish');
    let edges = 0;
    for (const a of body.feed) {
      expect(typeof a.overall_sentiment_score).toBe('number');
      expect(a.overall_sentiment_label).toBe(labelFor(a.overall_sentiment_score));
      expect(a.time_published).toMatch(/^\d{8}T\d{6}$/);
      expect(a.ticker_sentiment.some((t: any) => t.ticker === 'SPY')).toBe(true);
      for (const t of a.ticker_sentiment) {
        expect(typeof t.relevance_score).toBe('string');
        expect(typeof t.ticker_sentiment_score).toBe('string');
        const s = Number(t.ticker_sentiment_score);
        if ([-0.35, -0.15, 0.15, 0.35].includes(s)) edges++;
        expect(t.ticker_sentiment_label).toBe(labelFor(s));
      }
    }
    expect(edges).toBeGreaterThan(0); // band edges are exercised
  });

  test('band edges map as the definition says', () => {
    expect(labelFor(-0.35)).toBe('Bearish');
    expect(labelFor(-0.3499)).toBe('Somewhat-Bearish');
    expect(labelFor(-0.15)).toBe('Somewhat-Bearish');
    expect(labelFor(-0.1499)).toBe('Neutral');
    expect(labelFor(0.1499)).toBe('Neutral');
    expect(labelFor(0.15)).toBe('Somewhat-Bullish');
    expect(labelFor(0.3499)).toBe('Somewhat-Bullish');
    expect(labelFor(0.35)).toBe('Bullish');
  });

  test('limit, LATEST/EARLIEST sort, multi-ticker AND semantics, unknown ticker', async () => {
    const latest = (await get({ function: 'NEWS_SENTIMENT', tickers: 'AAPL', limit: '5', apikey: KEY })).json();
    expect(latest.feed.length).toBe(5);
    const times = latest.feed.map((a: any) => a.time_published);
    expect([...times].sort().reverse()).toEqual(times);
    const earliest = (await get({ function: 'NEWS_SENTIMENT', tickers: 'AAPL', sort: 'EARLIEST', limit: '5', apikey: KEY })).json();
    const t2 = earliest.feed.map((a: any) => a.time_published);
    expect([...t2].sort()).toEqual(t2);
    const both = (await get({ function: 'NEWS_SENTIMENT', tickers: 'AAPL,SPY', limit: '1000', apikey: KEY })).json();
    for (const a of both.feed) {
      const names = a.ticker_sentiment.map((t: any) => t.ticker);
      expect(names).toContain('AAPL');
      expect(names).toContain('SPY');
    }
    const bad = (await get({ function: 'NEWS_SENTIMENT', tickers: 'NOPE', apikey: KEY })).json();
    expect(bad['Error Message']).toMatch(/NEWS_SENTIMENT/);
  });
});

describe('errors, throttling and forced failures', () => {
  test('bad key, demo key, bad function, unknown symbol: HTTP 200 with the right body key', async () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ function: 'REALTIME_OPTIONS', symbol: 'SPY', apikey: 'wrong' }, 'Error Message', /apikey is invalid or missing/],
      [{ function: 'REALTIME_OPTIONS', symbol: 'SPY' }, 'Error Message', /apikey is invalid or missing/],
      [{ function: 'REALTIME_OPTIONS', symbol: 'SPY', apikey: 'demo' }, 'Information', /demo/],
      [{ function: 'TIME_SERIES_NOPE', symbol: 'SPY', apikey: KEY }, 'Error Message', /Invalid API call/],
      [{ function: 'REALTIME_OPTIONS', symbol: 'ZZZZ', apikey: KEY }, 'Error Message', /Invalid API call.*REALTIME_OPTIONS/],
      [{ function: 'REALTIME_OPTIONS', symbol: 'SPY', apikey: 'free-key' }, 'Information', /premium endpoint/],
    ];
    for (const [params, key, re] of cases) {
      const r = await get(params);
      expect(r.status).toBe(200);
      const body = r.json();
      expect(Object.keys(body)).toEqual([key]);
      expect(body[key]).toMatch(re);
    }
  });

  test('free keys hit the 25-a-day cap', async () => {
    const fresh = new AlphaVantageSimulator({ spot: (s) => SPOTS[s], nowMs: () => NOW, freeKeys: ['f'] });
    const { baseUrl: url } = await fresh.start();
    try {
      for (let i = 0; i < 25; i++) expect((await get({ function: 'NEWS_SENTIMENT', tickers: 'SPY', limit: '1', apikey: 'f' }, url)).json().feed).toBeDefined();
      expect((await get({ function: 'NEWS_SENTIMENT', tickers: 'SPY', apikey: 'f' }, url)).json().Information).toMatch(/25 requests per day/);
    } finally {
      await fresh.stop();
    }
  });

  test('per-key sliding 60 s limit answers Information (or Note), per key, and recovers', async () => {
    let t = NOW;
    for (const style of ['information', 'note'] as const) {
      const limited = new AlphaVantageSimulator({ spot: (s) => SPOTS[s], nowMs: () => t, perMinuteLimit: 3, validKeys: ['k1', 'k2'], limitResponse: style });
      const { baseUrl: url } = await limited.start();
      try {
        const call = async (key: string): Promise<any> => (await get({ function: 'NEWS_SENTIMENT', tickers: 'MSFT', limit: '1', apikey: key }, url)).json();
        for (let i = 0; i < 3; i++) {
          expect((await call('k1')).feed).toBeDefined();
          t += 10_000;
        }
        const over = await call('k1');
        if (style === 'information') expect(over.Information).toMatch(/sparingly/);
        else expect(over.Note).toMatch(/call frequency/);
        expect((await call('k2')).feed).toBeDefined(); // another key has its own window
        t += 30_001; // the first call is now more than 60 s old
        expect((await call('k1')).feed).toBeDefined();
        expect(limited.stats().rateLimited).toBe(1);
      } finally {
        await limited.stop();
      }
    }
  });

  test('forceNext queues failures in order, then normal service resumes', async () => {
    const before = sim.stats();
    for (const k of ['note', 'information', 'premium', 'daily', 'demo', 'error', 'http500', 'badJson'] as const) sim.forceNext(k);
    const p = { function: 'REALTIME_OPTIONS', symbol: 'SPY', contract: 'SPY250321C00590000', apikey: KEY };
    expect((await get(p)).json().Note).toMatch(/Thank you/);
    expect((await get(p)).json().Information).toMatch(/sparingly/);
    expect((await get(p)).json().Information).toMatch(/premium endpoint/);
    expect((await get(p)).json().Information).toMatch(/per day/);
    expect((await get(p)).json().Information).toMatch(/demo/);
    expect((await get(p)).json()['Error Message']).toMatch(/REALTIME_OPTIONS/);
    const e500 = await get(p);
    expect(e500.status).toBe(500);
    const bad = await get(p);
    expect(bad.status).toBe(200);
    expect(() => bad.json()).toThrow();
    expect((await get(p)).json().data).toHaveLength(1);
    const after = sim.stats();
    expect(after.forced - before.forced).toBe(8);
    expect(after.notes - before.notes).toBe(1);
    expect(after.information - before.information).toBe(4);
    expect(after.errorMessages - before.errorMessages).toBe(1);
    expect(after.http500 - before.http500).toBe(1);
    expect(after.badJson - before.badJson).toBe(1);
  });

  test('other paths are 404', async () => {
    expect((await fetch(`${baseUrl}/nope`)).status).toBe(404);
  });
});

describe('CLI arguments', () => {
  test('parses flags and rejects bad ones clearly', () => {
    const av = (args: string[]) => parseSim(['alphavantage', ...args]).args;
    expect(av(['--port', '5555', '--symbols', 'spy=600,IWM=200'])).toMatchObject({ port: 5555, bases: { SPY: 600, IWM: 200 } });
    expect(() => av(['--port', 'x'])).toThrow(/--port: expected a port from 0 to 65535/);
    expect(() => av(['--symbols', 'SPY'])).toThrow(/SYM=PRICE/);
    expect(() => av(['--bogus'])).toThrow(/unknown option --bogus/);
  });
});
