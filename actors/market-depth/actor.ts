import { clusterNodesFromEnv } from '../../engine/redis/RedisClient.js';
import type { ActorContext } from '../../engine/runtime/ActorContext.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';
import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';
import { BookKeeper } from './BookKeeper.js';
import { GuardedSink } from './GuardedSink.js';
import type { MarketSink, MarketSource } from './MarketSource.js';
import { RecordingReader, RecordingSink, type ReplayHooks, type ReplayRecord } from './Recording.js';
import { LobsterSource } from './LobsterSource.js';
import { ReplaySource } from './ReplaySource.js';
import { SimSource } from './SimSource.js';
import { TwsSource } from './TwsSource.js';
import { OPTION_QUOTES_TOPIC, OPTION_SUBSCRIPTIONS_TOPIC } from '../../analytics/optionQuote.js';
import { clockFor } from '../../engine/clock/index.js';
import { OptionMarket } from '../../sim/options/OptionMarket.js';
import { OptionQuoteFeed } from './OptionQuoteFeed.js';
import { underlyingLines } from './OptionSubscriptions.js';
import { SimOptionQuotes } from './SimOptionQuotes.js';
import { TwsOptionQuotes } from './TwsOptionQuotes.js';
import { SERVED_SYMBOLS_TOPIC, ServedSymbols } from '../../engine/cluster/ServedSymbols.js';

/**
 * Market-depth actor: one MarketSource (TWS socket, simulated market, or replay) feeding the BookKeeper,
 * which owns the books and writes the market-data ring. Optionally every inbound event is recorded.
 * Whole-book snapshots and monitoring go to the publisher on the cold path at a bounded rate.
 */
const create: ActorFactory = async (ctx) => {
  const cfg = ctx.config;
  const keeper = new BookKeeper(cfg, ctx.output('market-data'), ctx.clock, () => ctx.countInputError());
  // Cluster mode: only the symbols whose leases this instance holds leave the keeper (see BookKeeper.served).
  const served = ServedSymbols.forEnv(ctx.symbols.names);
  keeper.served = served.mask;
  // Live option quotes for the contracts execution and signals ask for, within the connection's lines.
  const oq = cfg.market.optionQuotes;
  const session = clockFor(cfg, ctx.runtime.engineStartMs as number | undefined);
  const optionFeed = new OptionQuoteFeed({ lineLimit: oq.lineLimit, linesInUse: underlyingLines(cfg.symbols), ownerPriority: oq.ownerPriority }, ctx.log);
  let simOptions: SimOptionQuotes | undefined;
  let tws: TwsSource | undefined;
  const publishVenue = () => {
    if (!tws) return;
    const m = tws.metrics;
    ctx.publishMany([
      { key: 'ibkr:connected', value: m.connected ? '1' : '0', ttlMs: cfg.ttl.heartbeat },
      { key: 'ibkr:account', value: { accounts: m.accounts, serverVersion: m.serverVersion, clientId: m.clientId, farmsOk: m.farmsOk }, ttlMs: cfg.ttl.monitoring },
    ]);
    ctx.setDegraded(!m.connected);
  };
  // An ATREC2 replay brings its own stale marks (the books go stale where they did in the recorded run).
  let staleFromRecording = false;
  let recordedSource = '';
  const source = await createSource(ctx, (t) => (tws = t), publishVenue, { stale: (nowMs) => void keeper.checkStale(nowMs) }, (v2, src) => ((staleFromRecording = v2), (recordedSource = src)), () => new TwsOptionQuotes(optionFeed, () => session.nowMs()));
  if (source instanceof SimSource) {
    const market = new OptionMarket({ seed: cfg.engine.seed, rate: cfg.options.rate, dividendYield: () => cfg.options.dividendYield, nowMs: () => session.nowMs(), spot: (sym) => source.spot(sym) });
    simOptions = new SimOptionQuotes(optionFeed, market, () => session.nowMs());
  }
  // Cluster mode: the venue's market-data lines follow the symbol leases (none until the first served set).
  const clustered = clusterNodesFromEnv() !== null;
  // ... and the option lines get what the served underlyings leave of the line limit
  const followServed = () => {
    tws?.setServed(served.mask);
    optionFeed.setLinesInUse(underlyingLines(cfg.symbols.filter((_, i) => served.mask[i])));
  };
  if (clustered) followServed();
  if (source.name === 'tws' || recordedSource === 'tws') keeper.barsFromTrades = false; // TWS sends its own 5-second bars (a TWS recording holds them)
  let sink: MarketSink = keeper;
  let recorder: RecordingSink | undefined;
  if (cfg.market.record) {
    const rt = ctx.runtime;
    const clock = { mode: cfg.engine.mode, engineStartMs: (rt.engineStartMs as number | undefined) ?? Date.now(), start: cfg.engine.clock.start, speed: cfg.engine.clock.speed };
    recorder = new RecordingSink(cfg.market.record, { symbols: ctx.symbols.names.slice(), startedAtMs: Date.now(), source: source.name, clock }, keeper);
    sink = recorder;
    ctx.log.info({ file: cfg.market.record }, 'recording every inbound market event');
  }
  // TWS applies the ingest limits itself (before decoding into events); every other source passes them here.
  const guard = source.name === 'tws' ? undefined : new GuardedSink(sink, cfg.venues.tws.limits, cfg.symbols.length);
  if (guard) sink = guard;

  /** Every quality gate's counters in one key (per symbol where the gate is per symbol), and the quarantined prints as stream entries. */
  const publishQuality = (now: number) => {
    for (const q of keeper.drainQuarantine()) {
      ctx.send('publisher', 'xadd', {
        stream: 'quality:quarantine', maxLen: cfg.market.quality.quarantineMaxLen,
        fields: { symbol: q.symbol, price: q.price, size: q.size, reference: q.reference, sigma: q.sigma, multiple: q.multiple, bandBps: q.bandBps, reason: q.reason, ts: q.ts, source: source.name },
      });
    }
    const perSymbol = (xs: ArrayLike<number>) => Object.fromEntries(ctx.symbols.names.map((n, i) => [n, xs[i] ?? 0]));
    const st = keeper.stats;
    const ingest = tws ? (tws.refreshGuardMetrics(), tws.metrics.guard) : guard?.limits.rejected;
    ctx.publish('monitoring:quality', {
      outlier: perSymbol(keeper.gate.outliers), outlierRebase: perSymbol(keeper.gate.rebases), quarantineDropped: st.quarantineDropped,
      crossedOrLocked: st.crossedOrLocked, badPrints: st.badTrades, halts: st.halts, ignoredDepthOps: st.ignoredOps,
      ingest: ingest ? { nonFinite: ingest.nonFinite, sizeCap: ingest.sizeCap, priceCap: ingest.priceCap, priceBand: ingest.priceBand, truncatedText: ingest.truncatedText } : null,
      stale: keeper.staleEpisodes(), source: source.name, ts: now,
    }, cfg.ttl.monitoring);
  };
  const timers: NodeJS.Timeout[] = [];
  let lastEvents = 0;
  let lastRateMs = Date.now();

  const publishMonitoring = () => {
    const now = Date.now();
    const st = keeper.stats;
    const total = st.depthOps + st.trades + st.quotes;
    const rate = ((total - lastEvents) * 1000) / Math.max(1, now - lastRateMs);
    lastEvents = total;
    lastRateMs = now;
    const ttl = cfg.ttl.monitoring;
    const metrics = { source: source.name, connected: keeper.connected, messagesPerSec: Math.round(rate), ...st, staleness: keeper.staleness(now), recordedEvents: recorder?.events, ts: now };
    const reqs: PublishRequest[] = [
      { key: 'monitoring:market-depth:metrics', value: metrics, ttlMs: ttl },
      { key: 'market:options:subscriptions', value: { ...optionFeed.report(), source: source.name, ts: now }, ttlMs: ttl },
      { key: 'module:heartbeat:ibkr_ingestion', value: { ts: now, source: source.name, connected: keeper.connected }, ttlMs: cfg.ttl.heartbeat },
    ];
    if (tws) {
      tws.refreshGuardMetrics();
      reqs.push({ key: 'monitoring:ibkr:metrics', value: { ...tws.metrics, messagesPerSec: Math.round(rate), decodeErrors: tws.metrics.decodeErrors, reconnects: tws.metrics.reconnects, bookResets: tws.metrics.bookResets, staleness: keeper.staleness(now), ignoredOps: st.ignoredOps, crossedOrLocked: st.crossedOrLocked, ts: now }, ttlMs: ttl });
      reqs.push({ key: 'monitoring:ibkr:errors', value: tws.errors.slice(-100).reverse(), ttlMs: ttl });
    }
    ctx.publishMany(reqs);
    publishQuality(now);
    publishVenue();
    recorder?.flush();
  };

  return {
    async start() {
      await source.start(sink);
      timers.push(setInterval(() => {
        const now = Date.now();
        const stale = staleFromRecording ? [] : keeper.checkStale(now);
        if (stale.length) {
          recorder?.stale(now);
          ctx.log.warn({ symbols: stale }, 'symbols stale: no update within staleAfterMs');
        }
        ctx.publishMany(keeper.snapshots());
      }, cfg.market.bookSnapshotMs));
      timers.push(setInterval(publishMonitoring, 1000));
      timers.push(setInterval(() => {
        simOptions?.poll();
        const quotes = optionFeed.drain(); // conflated: the latest quote per contract since the last flush
        if (quotes.length === 0) return;
        ctx.send('execution', OPTION_QUOTES_TOPIC, quotes);
        ctx.send('signals', OPTION_QUOTES_TOPIC, quotes);
      }, oq.flushMs));
      ctx.log.info({ source: source.name, symbols: cfg.symbols.length }, 'market-depth started');
    },
    onCommand(topic, payload) {
      // the other actors' consumed cold inputs and outputs, written into the recording between market frames
      if (topic === 'record' && recorder) return void recorder.record(payload as ReplayRecord);
      if (topic === SERVED_SYMBOLS_TOPIC) {
        const change = served.apply(payload);
        if (!change) return void ctx.countInputError();
        for (const id of change.gained) keeper.resumed(id);
        if (clustered) followServed(); // cancel the lost symbols' lines, request the gained
        if (change.gained.length || change.lost.length) ctx.log.info({ serving: served.list(), gained: change.gained.map((i) => ctx.symbols.names[i]), lost: change.lost.map((i) => ctx.symbols.names[i]) }, 'served symbols changed');
        return;
      }
      if (topic === OPTION_SUBSCRIPTIONS_TOPIC) {
        if (!optionFeed.request(payload)) ctx.countInputError();
        return;
      }
      if (topic !== 'record') ctx.countInputError();
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await source.stop();
      keeper.endOfBatch();
      ctx.publishMany(keeper.snapshots());
      publishQuality(Date.now()); // a replay at full speed ends within a second: its quarantine too
      recorder?.close();
    },
  };
};

async function createSource(ctx: ActorContext, onTws: (t: TwsSource) => void, onVenueChange: () => void, hooks: ReplayHooks, onRecording: (v2: boolean, source: string) => void, twsOptions: () => TwsOptionQuotes): Promise<MarketSource> {
  const cfg = ctx.config;
  switch (cfg.market.source) {
    case 'sim':
      return new SimSource(cfg, ctx.clock);
    case 'tws': {
      const port = cfg.venues.tws.port || ctx.runtime.twsPort;
      if (!port) throw new Error('venues.tws.port is 0 but no embedded TWS simulator was started');
      const t = new TwsSource(cfg, cfg.venues.tws.host, port, ctx.clock, ctx.log, () => onVenueChange(), twsOptions());
      onTws(t);
      return t;
    }
    case 'replay': {
      const rp = cfg.market.replay;
      const done = (events: number) => {
        ctx.log.info({ events }, 'replay finished');
        ctx.send('supervisor', 'replay-done', { events });
      };
      if (rp.file) {
        const reader = new RecordingReader(rp.file);
        onRecording(reader.version === 2, reader.header.source);
        return new ReplaySource(reader, rp.speed, ctx.clock, done, hooks);
      }
      const lob: LobsterSource = new LobsterSource(rp.lobsterMessage, rp.lobsterOrderbook, ctx.symbols.id(rp.lobsterSymbol || cfg.symbols[0].symbol), rp.speed, ctx.clock, (events, report) => {
        if (report.unknownSummary) ctx.log.warn({ unknown: report.unknown }, `LOBSTER replay: ${report.unknownSummary}`);
        // messages/s including parsing, diffing, the books and the ring (what `replay --lobster` costs)
        const seconds = lob.elapsedNs / 1e9;
        ctx.log.info({ messages: lob.messages, seconds: Math.round(seconds * 1000) / 1000, messagesPerSec: Math.round(lob.messages / Math.max(seconds, 1e-9)) }, 'LOBSTER replay rate');
        done(events);
      });
      return lob;
    }
  }
}

export default create;
