/**
 * Live option quotes through the real @stoqey/ib client against the TWS simulator: the feed's
 * subscription set becomes reqMktData on OPT contracts within the line limit (the underlyings' lines
 * counted first), quotes arrive with the model greeks, what does not fit is dropped and reported, a new
 * owner with priority takes the lines, a refused contract frees its line, and a reconnect resubscribes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { OptionMarket } from '../../sim/options/OptionMarket.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { TwsSource } from '../../actors/market-depth/TwsSource.js';
import { TwsOptionQuotes } from '../../actors/market-depth/TwsOptionQuotes.js';
import { OptionQuoteFeed } from '../../actors/market-depth/OptionQuoteFeed.js';
import { underlyingLines } from '../../actors/market-depth/OptionSubscriptions.js';
import type { OptionQuote } from '../../analytics/optionQuote.js';
import { makeKeeper, silentLog } from '../helpers/bookkeeper.js';
import { waitFor } from '../helpers/redis.js';

const NOW = Date.UTC(2026, 11, 7, 16, 0); // Monday 7 Dec 2026, 11:00 New York
const SPOT = 590;
const occ = (strike: number, right = 'C') => `SPY261207${right}${String(strike * 1000).padStart(8, '0')}`;

describe('option quotes over TWS (TwsSource + TwsOptionQuotes)', () => {
  const { keeper, config, clock } = makeKeeper();
  config.symbols = [{ symbol: 'SPY', basePrice: SPOT, numRows: 5, level2: true }] as typeof config.symbols;
  config.venues.tws.history.sessions = 0;
  const model = new MarketModel({ seed: 3, symbols: config.symbols.map((s) => ({ ...s })), startMs: Date.now(), eventsPerSecond: 50 });
  const market = new OptionMarket({ seed: 42, rate: 0.045, dividendYield: () => 0.013, nowMs: () => NOW, spot: () => SPOT });
  const sim = new TwsSimulator({ model, options: market });
  const used = underlyingLines(config.symbols); // 3: two tick-by-tick streams and the depth
  const feed = new OptionQuoteFeed({ lineLimit: used + 2, linesInUse: used, ownerPriority: ['execution', 'signals'] }, silentLog());
  const latest = new Map<string, OptionQuote>();
  let tws: TwsSource;
  let pump: NodeJS.Timeout;

  beforeAll(async () => {
    const { port } = await sim.start();
    tws = new TwsSource(config, '127.0.0.1', port, clock, silentLog(), () => {}, new TwsOptionQuotes(feed, () => NOW));
    await tws.start(keeper);
    pump = setInterval(() => {
      for (const q of feed.drain()) latest.set(q.occ, q);
    }, 20);
  });
  afterAll(async () => {
    clearInterval(pump);
    await tws.stop();
    await sim.stop();
  });

  it('subscribes the set within the lines left by the underlyings; quotes carry bid/ask/sizes and greeks equal to the market\'s', async () => {
    feed.request({ owner: 'signals', occs: [occ(580), occ(585), occ(590)] });
    expect(feed.report()).toMatchObject({ subscribed: [occ(580), occ(585)], dropped: [occ(590)], lineLimit: 5, linesInUse: 3, droppedTotal: 1 });
    await waitFor(() => [occ(580), occ(585)].every((k) => Number.isFinite(latest.get(k)?.delta) && Number.isFinite(latest.get(k)?.askSize)), 20_000, 'quotes with greeks');
    const q = latest.get(occ(585))!;
    const m = market.quote('SPY', '2026-12-07', 'call', 585)!;
    expect(q).toMatchObject({ underlying: 'SPY', bid: m.bid, ask: m.ask, bidSize: m.bidSize, askSize: m.askSize, undPrice: SPOT, ts: NOW });
    expect(q.delta).toBeCloseTo(m.delta, 12);
    expect(q.iv).toBeCloseTo(m.iv, 12);
    expect(q.gamma).toBeCloseTo(m.gamma, 12);
    expect(q.theta).toBeCloseTo(m.theta, 12);
    expect(latest.has(occ(590))).toBe(false);
    await waitFor(() => sim.stats().subscriptions.options === 2, 20_000, 'two option lines at the venue');
  });

  it('a held contract (execution) takes a candidate\'s line: the candidate is unsubscribed and reported dropped', async () => {
    feed.request({ owner: 'execution', occs: [occ(595, 'P')] });
    expect(feed.report()).toMatchObject({ subscribed: [occ(595, 'P'), occ(580)], dropped: [occ(585), occ(590)] });
    await waitFor(() => Number.isFinite(latest.get(occ(595, 'P'))?.delta), 20_000, 'the put quoted');
    expect(latest.get(occ(595, 'P'))!.delta).toBeLessThan(0);
    await waitFor(() => sim.stats().subscriptions.options === 2, 20_000, 'still two lines at the venue');
  });

  it('a contract the venue does not list is refused (error 200) and its line goes to the next in rank', async () => {
    feed.request({ owner: 'execution', occs: ['SPY261207C00590500', occ(595, 'P')] });
    await waitFor(() => feed.report().refused.length === 1, 20_000, 'the refusal');
    expect(feed.report()).toMatchObject({ subscribed: [occ(595, 'P'), occ(580)], refused: [{ occ: 'SPY261207C00590500', code: 200 }] });
  });

  it('after a dropped connection the new session subscribes the same set again', async () => {
    const before = tws.metrics.reconnects;
    latest.clear();
    sim.dropConnections();
    await waitFor(() => tws.metrics.reconnects > before && tws.metrics.connected, 30_000, 'reconnected');
    await waitFor(() => sim.stats().subscriptions.options === 2, 20_000, 'two option lines again');
    expect(feed.report().subscribed).toEqual([occ(595, 'P'), occ(580)]);
    // the new session's first ticks reach the consumers (same values as before the drop: fresh ts)
    await waitFor(() => latest.has(occ(595, 'P')) && latest.has(occ(580)), 20_000, 'quotes after the reconnect');
  });
});

describe('option quotes for market.source sim (SimOptionQuotes)', () => {
  it('quotes the same contracts from the same option market, with the same line limit and refusals', async () => {
    const { SimOptionQuotes } = await import('../../actors/market-depth/SimOptionQuotes.js');
    const market = new OptionMarket({ seed: 42, rate: 0.045, dividendYield: () => 0.013, nowMs: () => NOW, spot: () => SPOT });
    const feed = new OptionQuoteFeed({ lineLimit: 5, linesInUse: 3, ownerPriority: ['execution', 'signals'] }, silentLog());
    const sim = new SimOptionQuotes(feed, market, () => NOW);
    feed.request({ owner: 'signals', occs: [occ(585), 'SPY261207C00590500', occ(590)] });
    sim.poll();
    const quotes = feed.drain();
    const m = market.quote('SPY', '2026-12-07', 'call', 585)!;
    expect(quotes.map((q) => q.occ)).toEqual([occ(585)]);
    expect(quotes[0]).toMatchObject({ bid: m.bid, ask: m.ask, bidSize: m.bidSize, askSize: m.askSize, delta: m.delta, iv: m.iv, undPrice: SPOT, ts: NOW });
    expect(feed.report()).toMatchObject({ subscribed: [occ(585), occ(590)], refused: [{ occ: 'SPY261207C00590500', code: 200 }], dropped: [] });
    sim.poll();
    expect(feed.drain().map((q) => q.occ).sort()).toEqual([occ(585), occ(590)]); // and the freed line's contract
  });
});

describe('the venue\'s own line limit (TWS error 101)', () => {
  it('a contract TWS refuses for lack of lines is reported dropped, and the engine keeps the lines it has', async () => {
    const { keeper, config, clock } = makeKeeper();
    config.symbols = [{ symbol: 'SPY', basePrice: SPOT, numRows: 5, level2: false }] as typeof config.symbols;
    config.venues.tws.history.sessions = 0;
    const model = new MarketModel({ seed: 4, symbols: config.symbols.map((s) => ({ ...s })), startMs: Date.now(), eventsPerSecond: 50 });
    const market = new OptionMarket({ seed: 42, rate: 0.045, dividendYield: () => 0.013, nowMs: () => NOW, spot: () => SPOT });
    // the account has 4 lines: the two tick-by-tick streams and two options
    const sim = new TwsSimulator({ model, options: market, maxMarketDataLines: 4 });
    // the engine believes it has 10 (misconfigured): the venue's refusal must still be reported
    const feed = new OptionQuoteFeed({ lineLimit: 10, linesInUse: underlyingLines(config.symbols), ownerPriority: [] }, silentLog());
    const { port } = await sim.start();
    const tws = new TwsSource(config, '127.0.0.1', port, clock, silentLog(), () => {}, new TwsOptionQuotes(feed, () => NOW));
    try {
      await tws.start(keeper);
      feed.request({ owner: 'execution', occs: [occ(580), occ(585), occ(590)] });
      await waitFor(() => feed.report().dropped.length === 1, 20_000, 'the venue\'s refusal');
      expect(feed.report()).toMatchObject({ subscribed: [occ(580), occ(585)], dropped: [occ(590)], droppedTotal: 1 });
      expect(sim.stats().subscriptions.options).toBe(2);
      expect(tws.errors.some((e) => e.code === 101)).toBe(true);
    } finally {
      await tws.stop();
      await sim.stop();
    }
  });
});
