import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketSink } from '../../actors/market-depth/MarketSource.js';
import { TwsSource } from '../../actors/market-depth/TwsSource.js';
import { HostileGateway } from '../../sim/tws/HostileGateway.js';
import { makeKeeper, silentLog } from '../helpers/bookkeeper.js';
import { waitFor } from '../helpers/redis.js';

/** The real @stoqey/ib client behind our guard, against a gateway that sends what a broken or hostile venue can. */
describe('TWS ingest against a hostile gateway', () => {
  const { keeper, config, clock } = makeKeeper();
  config.venues.tws.frame.stallMs = 400;
  config.venues.tws.handshakeTimeoutMs = 1000;
  const symbols = config.symbols;
  const gw = new HostileGateway({ symbols, tickMs: 20 });
  let tws: TwsSource;
  let uncaught: unknown;
  const onUncaught = (e: unknown) => (uncaught = e);
  // What reached the sink: the book and the ring must never see a refused value.
  let maxTradeSize = 0;
  let maxMarketMaker = 0;
  let nonFinite = 0;
  let spyDepth = 0;
  const sink: MarketSink = {
    depth: (s, ts, pos, op, side, px, sz, mm, ns) => {
      if (s === 0) spyDepth++;
      maxMarketMaker = Math.max(maxMarketMaker, mm.length);
      if (op !== 2 && (!Number.isFinite(px) || !Number.isFinite(sz))) nonFinite++;
      keeper.depth(s, ts, pos, op, side, px, sz, mm, ns);
    },
    trade: (s, ts, px, sz, ag, ns) => {
      maxTradeSize = Math.max(maxTradeSize, sz);
      if (!Number.isFinite(px) || !Number.isFinite(sz)) nonFinite++;
      keeper.trade(s, ts, px, sz, ag, ns);
    },
    quote: (...a) => keeper.quote(...a),
    bar: (...a) => keeper.bar(...a),
    reset: (s) => keeper.reset(s),
    connection: (up, d) => keeper.connection(up, d),
    endOfBatch: () => keeper.endOfBatch(),
  };

  /** SPY's book keeps receiving well-formed updates (and has a row) after whatever just happened. */
  const flowing = async (what: string) => {
    const from = spyDepth;
    await waitFor(() => spyDepth > from + 20 && keeper.syms[0].book.length(0) > 0 && tws.metrics.connected, 20_000, `SPY flowing after ${what}`);
  };

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    const port = await gw.listen();
    tws = new TwsSource(config, '127.0.0.1', port, clock, silentLog());
    await tws.start(sink);
    await flowing('connect');
  });

  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await tws.stop();
    await gw.close();
    expect(uncaught).toBeUndefined();
  });

  it('a trade of size 1e300 and a price of Infinity are refused and counted, never reach the book', async () => {
    gw.attack('hugeTrade');
    gw.attack('nanPrice');
    await waitFor(() => tws.metrics.messages > 0 && (tws.refreshGuardMetrics(), tws.metrics.guard.sizeCap >= 1 && tws.metrics.guard.nonFinite >= 1), 10_000, 'refusals counted');
    await flowing('hugeTrade');
    expect(maxTradeSize).toBeLessThanOrEqual(config.venues.tws.limits.maxSize);
    expect(nonFinite).toBe(0);
  });

  it('a 1 MB market-maker field is cut at the frame guard and at the field limit; the session stays up', async () => {
    const reconnects = tws.metrics.reconnects;
    gw.attack('bigMarketMaker');
    await waitFor(() => (tws.refreshGuardMetrics(), tws.metrics.guard.truncatedFields >= 1), 10_000, 'field truncated');
    await flowing('bigMarketMaker');
    expect(maxMarketMaker).toBeLessThanOrEqual(config.venues.tws.limits.maxMarketMakerChars + 20);
    expect(tws.metrics.reconnects).toBe(reconnects);
  });

  it('1 MB error messages are truncated in memory, in the error list and in Redis-bound metrics', async () => {
    for (let i = 0; i < 20; i++) gw.attack('bigError');
    await waitFor(() => tws.errors.filter((e) => e.code === 321).length >= 5, 10_000, 'errors recorded');
    await flowing('bigError');
    const longest = Math.max(...tws.errors.map((e) => e.message.length));
    expect(longest).toBeLessThanOrEqual(config.venues.tws.limits.maxTextChars + 40);
    expect(tws.errors.length).toBeLessThanOrEqual(100);
    expect((tws.metrics.lastError ?? '').length).toBeLessThanOrEqual(config.venues.tws.limits.maxTextChars + 60);
  });

  it('frames without NUL terminators are dropped and counted, never glued to the next frame', async () => {
    gw.attack('noNul');
    await waitFor(() => (tws.refreshGuardMetrics(), tws.metrics.guard.unterminatedFrames >= 5), 10_000, 'unterminated counted');
    await flowing('noNul');
  });

  it('a frame of 300k fields is dropped without decoding it', async () => {
    gw.attack('manyFields');
    await waitFor(() => (tws.refreshGuardMetrics(), tws.metrics.guard.tooManyFieldsFrames >= 1), 10_000, 'many fields counted');
    await flowing('manyFields');
  });

  it('a storm of 2000 1101 notices costs two resubscriptions, not 2000', async () => {
    const depthReqs = gw.requestCount(10);
    const before = tws.metrics.guard.resubscribes;
    gw.attack('storm1101');
    // one round at the first notice, one trailing round for the notices folded into its window
    await waitFor(() => tws.metrics.guard.resubscribes - before >= 2, 20_000, 'the trailing resubscription');
    await flowing('storm1101');
    expect(tws.metrics.guard.coalescedResubscribes).toBeGreaterThanOrEqual(1999);
    expect(tws.metrics.guard.resubscribes - before).toBe(2);
    const l2 = symbols.filter((s) => s.level2).length;
    expect(gw.requestCount(10) - depthReqs).toBeLessThanOrEqual(2 * l2);
  });

  for (const kind of ['bigFrame', 'hugeLength', 'truncated'] as const) {
    it(`${kind}: the guard drops the connection, the source reconnects, SPY flows again`, async () => {
      const reconnects = tws.metrics.reconnects;
      const desyncs = (tws.refreshGuardMetrics(), tws.metrics.guard.desyncs + tws.metrics.guard.stalledFrames);
      gw.attack(kind);
      await waitFor(() => tws.metrics.reconnects > reconnects, 20_000, `reconnect after ${kind}`);
      await flowing(kind);
      tws.refreshGuardMetrics();
      expect(tws.metrics.guard.desyncs + tws.metrics.guard.stalledFrames).toBeGreaterThan(desyncs);
      if (kind !== 'truncated') expect(tws.metrics.guard.oversizeFrames).toBeGreaterThanOrEqual(1);
    });
  }
});

describe('TWS handshake timeout', () => {
  it('a gateway that accepts and never answers is dropped and retried', async () => {
    const { keeper, config, clock } = makeKeeper();
    config.venues.tws.handshakeTimeoutMs = 300;
    const gw = new HostileGateway({ symbols: config.symbols, silent: true });
    const port = await gw.listen();
    const tws = new TwsSource(config, '127.0.0.1', port, clock, silentLog());
    try {
      await tws.start(keeper);
      await waitFor(() => tws.metrics.guard.handshakeTimeouts >= 2 && gw.connections >= 2, 20_000, 'handshake timeouts and retries');
      expect(tws.metrics.connected).toBe(false);
    } finally {
      await tws.stop();
      await gw.close();
    }
  });
});
