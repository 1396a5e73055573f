/**
 * `npm run bench -- option-quotes [--quick] [--contracts N] [--seconds S]`: live option quotes as the
 * engine receives them — the TWS simulator (its option market on the moving simulated SPY) through the real
 * @stoqey/ib client, TwsSource and the option quote feed (line limit, conflated book), drained every
 * `market.optionQuotes.flushMs` like the market-depth actor does. Reports the contracts that got a line,
 * updates per contract per second reaching the consumers, quotes per flush, and the age of a quote when it
 * is handed out (wall ms from its tick's arrival to the flush), against the Alpha Vantage chain's poll.
 */
import { loadConfig } from '../engine/config/loadConfig.js';
import { createLogger } from '../engine/log/logger.js';
import { MonoClock } from '../engine/runtime/MonoClock.js';
import { MarketModel } from '../sim/market/MarketModel.js';
import { OptionMarket } from '../sim/options/OptionMarket.js';
import { TwsSimulator } from '../sim/tws/TwsSimulator.js';
import { TwsSource } from '../actors/market-depth/TwsSource.js';
import { TwsOptionQuotes } from '../actors/market-depth/TwsOptionQuotes.js';
import { OptionQuoteFeed } from '../actors/market-depth/OptionQuoteFeed.js';
import { underlyingLines } from '../actors/market-depth/OptionSubscriptions.js';
import type { MarketSink } from '../actors/market-depth/MarketSource.js';
import { pct } from './pingPong.js';

/** 11:00 New York on a trading day: every strike of the day's chain is listed. */
const SESSION_START = Date.UTC(2026, 11, 7, 16, 0);

const noSink: MarketSink = { depth() {}, trade() {}, quote() {}, reset() {}, connection() {}, endOfBatch() {} };

function intArg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw Object.assign(new Error(`${name}: expected a positive integer, got ${JSON.stringify(args[i + 1])}`), { name: 'UsageError' });
  return v;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const wanted = intArg(args, '--contracts', quick ? 10 : 120);
  const seconds = intArg(args, '--seconds', quick ? 3 : 20);
  const { config } = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } });
  config.symbols = [{ symbol: 'SPY', basePrice: 590, numRows: 5, level2: false }] as typeof config.symbols;
  config.venues.tws.history.sessions = 0;
  const oq = config.market.optionQuotes;
  const model = new MarketModel({ seed: config.engine.seed, symbols: [{ symbol: 'SPY', basePrice: 590, numRows: 5, level2: false }], startMs: Date.now(), eventsPerSecond: config.market.eventsPerSecond });
  const t0 = Date.now();
  const market = new OptionMarket({
    seed: config.engine.seed, rate: config.options.rate, dividendYield: () => config.options.dividendYield,
    nowMs: () => SESSION_START + (Date.now() - t0), spot: () => model.lastPrice(0),
  });
  const sim = new TwsSimulator({ model, options: market });
  const { port } = await sim.start();
  const used = underlyingLines(config.symbols);
  const feed = new OptionQuoteFeed({ lineLimit: oq.lineLimit, linesInUse: used, ownerPriority: oq.ownerPriority }, createLogger({ level: 'silent', pretty: 'never' }));
  // quote ts = wall ms of the tick's arrival, so the age at the flush is measurable
  const tws = new TwsSource(config, '127.0.0.1', port, MonoClock.start(), createLogger({ level: 'silent', pretty: 'never' }), () => {}, new TwsOptionQuotes(feed, Date.now));
  const spot = model.lastPrice(0);
  const chain = market.contracts({ symbol: 'SPY', expiry: '2026-12-07' }).sort((a, b) => Math.abs(a.strike - spot) - Math.abs(b.strike - spot)).slice(0, wanted);
  const ages: number[] = [];
  const batches: number[] = [];
  const updates = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  try {
    await tws.start(noSink);
    feed.request({ owner: 'signals', occs: chain.map((c) => c.contractID) });
    // first quotes of every subscribed contract (the subscription burst is not the steady state)
    const deadline = Date.now() + 20_000;
    while (feed.book.count > 0 && [...feed.subs.current()].some((o) => !Number.isFinite(feed.book.get(o.occ)?.delta)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    feed.drain();
    const start = Date.now();
    await new Promise<void>((resolve) => {
      timer = setInterval(() => {
        const now = Date.now();
        const qs = feed.drain();
        batches.push(qs.length);
        for (const q of qs) {
          ages.push(now - q.ts);
          updates.set(q.occ, (updates.get(q.occ) ?? 0) + 1);
        }
        if (now - start >= seconds * 1000) resolve();
      }, oq.flushMs);
    });
    const elapsed = (Date.now() - start) / 1000;
    const r = feed.report();
    const perContract = r.subscribed.map((k) => (updates.get(k) ?? 0) / elapsed).sort((a, b) => a - b);
    ages.sort((a, b) => a - b);
    const bs = batches.slice().sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      requested: chain.length, subscribed: r.subscribed.length, dropped: r.dropped.length, lineLimit: r.lineLimit, linesInUse: r.linesInUse,
      seconds: round(elapsed), flushMs: oq.flushMs,
      updatesPerContractPerSec: { p50: round(pct(perContract, 50)), min: round(perContract[0] ?? 0), max: round(perContract.at(-1) ?? 0) },
      quotesPerFlush: { p50: pct(bs, 50), max: bs.at(-1) ?? 0 },
      ageAtFlushMs: { p50: pct(ages, 50), p99: pct(ages, 99), max: ages.at(-1) ?? 0, n: ages.length },
      simulatorRefreshMs: 250,
      alphaVantagePollMs: config.venues.alphaVantage.pollMs,
    };
  } finally {
    clearInterval(timer);
    await tws.stop();
    await sim.stop();
  }
}
