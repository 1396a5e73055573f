import { BarSizeSetting, EventName, IBApi, SecType, TickByTickDataType, WhatToShow, type Contract } from '@stoqey/ib';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { Logger } from '../../engine/log/logger.js';
import type { MonoClock } from '../../engine/runtime/MonoClock.js';
import { HistoryBackfill } from './HistoryBackfill.js';
import { IngestLimits, newRejectCounters, type RejectCounters } from './IngestLimits.js';
import type { MarketSink, MarketSource } from './MarketSource.js';
import { newFrameGuardCounters, TwsFrameGuard, type FrameGuardCounters } from './TwsFrameGuard.js';
import { readInPlace, type OnRead } from './InPlaceReads.js';
import { newHotDecoderCounters, TwsHotDecoder, type HotDecoderCounters, type HotHandlers } from './TwsHotDecoder.js';
import type { TwsOptionQuotes } from './TwsOptionQuotes.js';

/** What the TWS source reports about itself (published as ibkr:* and monitoring:ibkr:* keys). */
export interface TwsMetrics {
  connected: boolean;
  farmsOk: boolean;
  serverVersion: number;
  accounts: string[];
  clientId: number;
  reconnects: number;
  bookResets: number;
  decodeErrors: number;
  venueErrors: number;
  messages: number;
  subscriptions: number;
  lastError: string | null;
  /** What the framing guard and the ingest limits refused or cut (cumulative over connections). */
  guard: FrameGuardCounters & RejectCounters & { handshakeTimeouts: number; stalledFrames: number; coalescedResubscribes: number; resubscribes: number };
  /** Hot market-data frames decoded by our own decoder, and those it left to @stoqey/ib (not in the plain form). */
  decoder: HotDecoderCounters;
  /** Minute bars of history handed to analytics before the live feed (cumulative over connections). */
  history: { requests: number; bars: number; refused: number; failed: number; timedOut: number };
  /** Socket reads into our own buffer (InPlaceReads), and through the client's stream (the fallback). */
  reads: { inPlace: number; stream: number };
}

export interface TwsErrorRecord { ts: number; code: number; reqId: number; message: string }

// Request ids: kind base + symbol id, so an event's reqId tells symbol and stream without a lookup table.
const REQ = { depth: 10_000, last: 20_000, bidAsk: 30_000, bars: 40_000, mktData: 50_000, history: 60_000 } as const;
/** One RTH session of minute bars. */
const SESSION_MINUTES = 390;
/** TWS takes durations in seconds up to a day; beyond that in days. */
const MAX_SECONDS_DURATION = 86_400;
const KIND_SPAN = 10_000;

const INFO_CODES = new Set([2104, 2106, 2158, 2107, 2108, 2119, 10167, 10090, 354]);

/**
 * Market data from TWS / IB Gateway through the real @stoqey/ib client: Level 2 depth for L2 symbols,
 * tick-by-tick trades and quotes, 5-second real-time bars. Books are the engine's own (BookKeeper), built
 * from the raw position-indexed events — IBApiNext's book mishandles inserts and deletes.
 *
 * Recovery: 317 clears that book (fresh inserts follow); 1100 marks the venue disconnected and clears the
 * books; 1101 (data lost) clears and resubscribes; 1102 (data kept) just marks connected; a dropped socket
 * reconnects with exponential back-off and jitter, then clears and resubscribes; 326 (client id in use)
 * retries with the next client id.
 */
export class TwsSource implements MarketSource {
  readonly name = 'tws';
  private ib?: IBApi;
  private sink!: MarketSink;
  private stopped = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private clientId: number;
  private readonly symbols: EngineConfig['symbols'];
  readonly errors: TwsErrorRecord[] = [];
  readonly metrics: TwsMetrics;
  private pendingFlush = false;
  /** True while a socket read's frames are being handled (its end publishes: no microtask needed). */
  private inRead = false;
  /** Events since the last publish within this socket read (market.publishEvery). */
  private sinceFlush = 0;
  private readonly publishEvery: number;
  private readonly limits: IngestLimits;
  private frameGuard?: TwsFrameGuard;
  private handshakeTimer?: NodeJS.Timeout;
  private stallTimer?: NodeJS.Timeout;
  private resubscribeTimer?: NodeJS.Timeout;
  private lastResubscribeMs = 0;
  private resubscribeWanted = false;
  private readonly frameCounters = newFrameGuardCounters();
  /** Frames our decoder took, and hot frames it left to the client library (cumulative over connections). */
  readonly hotCounters: HotDecoderCounters = newHotDecoderCounters();

  constructor(
    private readonly config: EngineConfig,
    private readonly host: string,
    private readonly port: number,
    private readonly clock: MonoClock,
    private readonly log: Logger,
    private readonly onChange: () => void = () => {},
    /** Option contracts' quotes on the same connection (subscribed after the underlyings', on every session). */
    private readonly options?: TwsOptionQuotes,
  ) {
    this.symbols = config.symbols;
    this.clientId = config.venues.tws.clientId;
    this.metrics = {
      connected: false, farmsOk: false, serverVersion: 0, accounts: [], clientId: this.clientId, reconnects: 0, bookResets: 0,
      decodeErrors: 0, venueErrors: 0, messages: 0, subscriptions: 0, lastError: null,
      guard: { ...this.frameCounters, ...newRejectCounters(), handshakeTimeouts: 0, stalledFrames: 0, coalescedResubscribes: 0, resubscribes: 0 },
      history: { requests: 0, bars: 0, refused: 0, failed: 0, timedOut: 0 },
      reads: { inPlace: 0, stream: 0 },
      decoder: this.hotCounters,
    };
    this.limits = new IngestLimits(config.venues.tws.limits, this.symbols.length);
    this.publishEvery = config.market.publishEvery > 0 ? config.market.publishEvery : Infinity;
  }

  /** Copies the live counters of the guard and the limits into metrics.guard (called before publishing). */
  refreshGuardMetrics(): void {
    Object.assign(this.metrics.guard, this.frameCounters, this.limits.rejected);
  }

  async start(sink: MarketSink): Promise<void> {
    this.sink = sink;
    const stallMs = this.config.venues.tws.frame.stallMs;
    // A frame left incomplete for stallMs (a truncated frame, then silence) means the framing is lost.
    this.stallTimer = setInterval(() => {
      const g = this.frameGuard;
      if (g && g.partialSinceMs > 0 && Date.now() - g.partialSinceMs > stallMs && this.ib) {
        this.metrics.guard.stalledFrames++;
        this.frameFault(`frame incomplete for over ${stallMs} ms (${g.bufferedBytes} bytes buffered)`);
      }
    }, Math.max(50, Math.floor(stallMs / 4)));
    this.stallTimer.unref?.();
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.resubscribeTimer);
    clearInterval(this.stallTimer);
    this.backfill?.cancel();
    const ib = this.ib;
    this.ib = undefined;
    if (ib) {
      ib.removeAllListeners();
      ib.on(EventName.error, () => {});
      try {
        ib.disconnect();
      } catch {
        /* already closed */
      }
    }
  }

  private contract(symbol: string): Contract {
    return { symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
  }

  private connect(): void {
    if (this.stopped) return;
    const ib = new IBApi({ host: this.host, port: this.port, clientId: this.clientId, maxReqPerSec: this.config.venues.tws.maxReqPerSec });
    this.ib = ib;
    this.attach(ib);
    this.log.info({ host: this.host, port: this.port, clientId: this.clientId, attempt: this.attempt }, 'connecting to TWS');
    // No nextValidId within the timeout (a gateway that accepts and then says nothing, or garbage): retry.
    clearTimeout(this.handshakeTimer);
    const timeoutMs = this.config.venues.tws.handshakeTimeoutMs;
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      if (this.ib !== ib) return;
      this.metrics.guard.handshakeTimeouts++;
      this.dropConnection(`no handshake within ${timeoutMs} ms`);
    }, timeoutMs);
    ib.connect(this.clientId);
  }

  /** Drops the current connection ourselves (guard fault, handshake timeout): disconnected, books cleared, then the usual back-off. */
  private dropConnection(why: string): void {
    this.metrics.subscriptions = 0;
    this.recordError(0, -1, why);
    this.setConnected(false, why);
    this.scheduleReconnect(why);
  }

  /** The framing guard lost trust in the stream: logged (rate-limited per reason), counted by the guard, reconnect. */
  private frameFault(why: string): void {
    this.rateLimitedWarn(-2, -1, `framing guard: ${why}; reconnecting`);
    this.dropConnection(`framing guard: ${why}`);
  }

  private scheduleReconnect(why: string): void {
    if (this.stopped || this.reconnectTimer) return;
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = undefined;
    this.resubscribeWanted = false; // the new session subscribes afresh
    this.options?.stop();
    this.backfill?.cancel();
    this.backfill = undefined;
    this.frameGuard?.close();
    this.frameGuard = undefined;
    const old = this.ib;
    this.ib = undefined;
    if (old) {
      old.removeAllListeners();
      old.on(EventName.error, () => {});
      try {
        old.disconnect();
      } catch {
        /* closed */
      }
    }
    this.attempt++;
    // Exponential back-off with full jitter, 250 ms .. 10 s.
    const cap = Math.min(10_000, 250 * 2 ** Math.min(this.attempt - 1, 6));
    const delay = Math.round(cap / 2 + (Math.random() * cap) / 2);
    this.log.warn({ why, delayMs: delay, attempt: this.attempt }, 'TWS connection lost: reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.metrics.reconnects++;
      this.connect();
    }, delay);
  }

  private setConnected(up: boolean, detail: string): void {
    if (this.metrics.connected === up) return;
    if (!up) this.lostAtMs = Date.now();
    this.metrics.connected = up;
    this.sink.connection(up, detail);
    if (!up) {
      // Books are void the moment the venue is gone: cleared, their Redis keys expire.
      for (let i = 0; i < this.symbols.length; i++) this.sink.reset(i);
      this.sink.endOfBatch();
    }
    this.onChange();
  }

  /**
   * History first, then the live subscriptions, on the one ordered path to analytics: VPIN pours the
   * bars before the first live trade. The first connection asks for `history.sessions` sessions; a
   * reconnect only for the minutes since the connection was lost (analytics skips what it already has).
   */
  private backfillThenSubscribe(ib: IBApi): void {
    const { sessions, timeoutMs } = this.config.venues.tws.history;
    this.backfill?.cancel();
    this.backfill = undefined;
    if (sessions === 0) return this.subscribe(ib);
    const gapS = this.lostAtMs > 0 ? Math.ceil((Date.now() - this.lostAtMs) / 1000) + 60 : Infinity;
    const full = sessions * SESSION_MINUTES * 60;
    const duration = Math.min(gapS, full) <= MAX_SECONDS_DURATION ? `${Math.min(gapS, full)} S` : `${sessions} D`;
    const maxBars = Math.ceil(Math.min(gapS, full) / 60) + 2;
    const t0 = Date.now();
    const backfill = new HistoryBackfill(this.symbols.length, maxBars, this.limits, () => this.sink, (sum) => {
      if (this.backfill !== backfill) return;
      this.backfill = undefined;
      const h = this.metrics.history;
      h.bars += sum.bars;
      h.refused += sum.refused;
      h.failed += sum.failed;
      h.timedOut += sum.timedOut;
      this.log.info({ ...sum, duration, ms: Date.now() - t0 }, 'TWS history received: live subscriptions follow');
      if (this.ib === ib && !this.stopped) this.subscribe(ib);
    });
    this.backfill = backfill;
    this.metrics.history.requests++;
    backfill.begin(
      (i) => ib.reqHistoricalData(REQ.history + i, this.contract(this.symbols[i]!.symbol), '', duration, BarSizeSetting.MINUTES_ONE, WhatToShow.TRADES, 1, 2, false),
      timeoutMs,
      () => this.clock.nowNs(),
    );
  }
  private backfill?: HistoryBackfill;
  /** When the last connection was lost (0: never connected), so a reconnect asks only for the gap. */
  private lostAtMs = 0;

  /**
   * Cluster mode: which symbols this instance serves (the served-symbols mask, updated in place); only those
   * are subscribed at the venue, so the market-data lines follow the symbol leases (a lost symbol is cancelled,
   * a gained one requested: setServed). Null on a single host: every configured symbol.
   */
  private served: readonly boolean[] | null = null;
  /** symbol ids with live depth / tick-by-tick / bar requests on the current session */
  private readonly subscribed = new Set<number>();

  private wanted(i: number): boolean {
    return this.served === null || this.served[i] === true;
  }

  private subscribeOne(ib: IBApi, i: number): number {
    const s = this.symbols[i]!;
    const c = this.contract(s.symbol);
    let n = 0;
    if (s.level2) {
      ib.reqMktDepth(REQ.depth + i, c, s.numRows, true);
      n++;
    }
    ib.reqTickByTickData(REQ.last + i, c, TickByTickDataType.AllLast, 0, false);
    ib.reqTickByTickData(REQ.bidAsk + i, c, TickByTickDataType.BidAsk, 0, false);
    ib.reqRealTimeBars(REQ.bars + i, c, 5, WhatToShow.TRADES, false);
    this.subscribed.add(i);
    return n + 3;
  }

  private cancelOne(ib: IBApi, i: number): void {
    if (this.symbols[i]!.level2) ib.cancelMktDepth(REQ.depth + i, true);
    ib.cancelTickByTickData(REQ.last + i);
    ib.cancelTickByTickData(REQ.bidAsk + i);
    ib.cancelRealTimeBars(REQ.bars + i);
    this.subscribed.delete(i);
    this.sink.reset(i);
  }

  private subscribe(ib: IBApi): void {
    this.subscribed.clear();
    let n = 0;
    this.symbols.forEach((_, i) => {
      if (this.wanted(i)) n += this.subscribeOne(ib, i);
    });
    this.metrics.subscriptions = n;
    this.options?.start(ib, true);
    this.log.info({ subscriptions: n, optionLines: this.options?.lines ?? 0 }, 'TWS subscriptions sent');
  }

  /**
   * Cluster mode: follow the served-symbols mask (kept by reference). On a live session the symbols no longer
   * served are cancelled (their books cleared) and the newly served requested; a later session subscribes the
   * mask as it stands.
   */
  setServed(mask: readonly boolean[]): void {
    this.served = mask;
    const ib = this.ib;
    if (!ib || !this.metrics.connected) return;
    let changed = false;
    this.symbols.forEach((_, i) => {
      const want = this.wanted(i);
      if (want && !this.subscribed.has(i)) {
        this.metrics.subscriptions += this.subscribeOne(ib, i);
        changed = true;
      } else if (!want && this.subscribed.has(i)) {
        this.metrics.subscriptions -= (this.symbols[i]!.level2 ? 1 : 0) + 3;
        this.cancelOne(ib, i);
        changed = true;
      }
    });
    if (changed) this.sink.endOfBatch();
  }

  /**
   * 1101 (data lost) asks for a resubscription; a storm of them must not queue one full cancel+subscribe
   * round each (414k queued requests were seen). At most one round per window — the longer of
   * resubscribeMinMs and the time the client's request pacing needs to send one round. Notices inside a
   * window are folded into one trailing round when it closes (data was lost after the last round too).
   */
  private requestResubscribe(ib: IBApi): void {
    if (this.resubscribeTimer) {
      this.metrics.guard.coalescedResubscribes++;
      this.resubscribeWanted = true;
      return;
    }
    const tws = this.config.venues.tws;
    const perRound = this.symbols.reduce((n, s, i) => n + (this.wanted(i) ? (s.level2 ? 2 : 0) + 6 : 0), 0);
    const gap = Math.max(tws.resubscribeMinMs, Math.ceil((perRound * 1000) / tws.maxReqPerSec));
    const fire = () => {
      this.resubscribeWanted = false;
      this.lastResubscribeMs = Date.now();
      this.metrics.guard.resubscribes++;
      this.resubscribe(ib);
      this.resubscribeTimer = setTimeout(closeWindow, gap);
    };
    const closeWindow = () => {
      this.resubscribeTimer = undefined;
      if (this.resubscribeWanted && this.ib === ib && !this.stopped) fire();
    };
    const wait = Math.max(0, this.lastResubscribeMs + gap - Date.now());
    if (wait === 0) fire();
    else {
      this.resubscribeWanted = true;
      this.resubscribeTimer = setTimeout(closeWindow, wait);
    }
  }

  private resubscribe(ib: IBApi): void {
    for (const i of [...this.subscribed]) this.cancelOne(ib, i);
    for (let i = 0; i < this.symbols.length; i++) this.sink.reset(i);
    this.sink.endOfBatch();
    this.subscribe(ib);
  }

  private symbolOf(reqId: number, base: number): number {
    const i = reqId - base;
    return i >= 0 && i < this.symbols.length && i < KIND_SPAN ? i : -1;
  }

  /**
   * Events arrive one socket read at a time; the ring is published once at the end of the read (one publish
   * per read, not per event) and, with market.publishEvery N > 0, also every N events of a read: the first
   * update of a large read is then decided before the read's last frame is decoded (co-located analytics and
   * signals run inline on the publish). Off by default: each publish costs ~2.8 µs and the measured result
   * was worse (decision 114). The boundaries go through the sink: a recording carries them, a replay repeats them.
   */
  private batchSoon(): void {
    if (++this.sinceFlush >= this.publishEvery) {
      this.sinceFlush = 0;
      this.sink.endOfBatch();
      return;
    }
    if (this.pendingFlush) return;
    this.pendingFlush = true;
    // Inside a socket read its end publishes (stampArrivals). An event from anywhere else (a client whose
    // socket could not be wrapped, a library callback after the read) ends its batch in a microtask.
    if (!this.inRead) queueMicrotask(this.endOfRead);
  }

  /** The end of a socket read's events; made once, not a closure per read. */
  private readonly endOfRead = (): void => {
    this.pendingFlush = false;
    if (this.sinceFlush === 0) return; // published by the count since: nothing left of this read
    this.sinceFlush = 0;
    this.sink.endOfBatch();
  };

  private recordError(code: number, reqId: number, message: string): void {
    message = this.limits.text(message);
    this.errors.push({ ts: Date.now(), code, reqId, message });
    if (this.errors.length > 100) this.errors.shift();
    this.metrics.lastError = `${code}: ${message}`;
  }

  private wire(ib: IBApi): void {
    const sink = () => this.sink;
    // Fallbacks for a client whose socket could not be wrapped (arrival stamps stay 0).
    const now = () => this.arrivalNs || this.clock.nowNs();
    ib.on(EventName.connected, () => this.log.info('TWS socket connected'));
    ib.on(EventName.server, (v: number) => (this.metrics.serverVersion = v));
    ib.on(EventName.managedAccounts, (accts: string) => {
      this.metrics.accounts = accts.split(',').filter(Boolean);
      this.onChange();
    });
    ib.on(EventName.nextValidId, () => {
      // The client's queue opens on nextValidId: only now do requests reach TWS.
      if (this.metrics.subscriptions > 0 && this.metrics.connected) return; // a REQ_IDS answer, not a new session
      clearTimeout(this.handshakeTimer);
      this.handshakeTimer = undefined;
      this.attempt = 0;
      this.setConnected(true, 'nextValidId');
      for (let i = 0; i < this.symbols.length; i++) sink().reset(i);
      this.backfillThenSubscribe(ib);
    });
    this.options?.wire(ib);
    ib.on(EventName.disconnected, () => {
      this.metrics.subscriptions = 0;
      this.setConnected(false, 'socket closed');
      this.scheduleReconnect('socket closed');
    });
    // The hot messages normally arrive through TwsHotDecoder (guardFrames); these listeners take the frames
    // it hands to the client library (and every frame when the socket could not be wrapped).
    ib.on(EventName.updateMktDepthL2, (reqId: number, position: number, marketMaker: string, operation: number, side: number, price: number, size: number) =>
      this.hot.depthL2(reqId, position, marketMaker, operation, side, price, size, undefined));
    ib.on(EventName.updateMktDepth, (reqId: number, position: number, operation: number, side: number, price: number, size: number) =>
      this.hot.depth(reqId, position, operation, side, price, size));
    ib.on(EventName.tickByTickAllLast, (reqId: number, tickType: number, time: string, price: number, size: number) =>
      this.hot.allLast(reqId, tickType, time, price, size, 0, '', ''));
    ib.on(EventName.tickByTickBidAsk, (reqId: number, time: number, bid: number, ask: number, bidSz: number, askSz: number) =>
      this.hot.bidAsk(reqId, String(time), bid, ask, bidSz, askSz, 0)); // the library types it a number, sends the string
    ib.on(EventName.realtimeBar, (reqId: number, time: number, o: number, h: number, l: number, c: number, v: number, wap: number, count: number) =>
      this.hot.bar(reqId, time, o, h, l, c, v, wap, count));
    ib.on(EventName.historicalData, (reqId: number, time: string, open: number, high: number, low: number, close: number, volume: number, count: number | undefined, wap: number) => {
      this.metrics.messages++;
      this.backfill?.onBar(this.symbolOf(reqId, REQ.history), { time, open, high, low, close, volume, wap, count: count ?? 0 }, now());
    });
    ib.on(EventName.info, (text: string, code: number) => {
      const message = this.limits.text(text);
      if (code === 1100) {
        this.recordError(code, -1, message);
        this.setConnected(false, '1100 connectivity lost');
      } else if (code === 1101) {
        this.log.warn('TWS connectivity restored, data lost (1101): clearing books and resubscribing');
        this.setConnected(true, '1101 restored, data lost');
        this.requestResubscribe(ib);
      } else if (code === 1102) {
        this.rateLimitedWarn(1102, -1, 'TWS connectivity restored, data maintained (1102)');
        this.setConnected(true, '1102 restored');
      } else if (code === 2104 || code === 2106 || code === 2158) {
        this.metrics.farmsOk = true;
      } else if (!INFO_CODES.has(code)) {
        this.rateLimitedWarn(code, -1, message);
      }
    });
    ib.on(EventName.error, (err: Error, code: number, reqId: number) => {
      const message = this.limits.text(err?.message ?? String(err));
      if (this.options?.onError(code, reqId)) return void this.recordError(code, reqId, message);
      if (code === 317) {
        // "Market depth data has been RESET": empty that book; the subscription stays, inserts follow.
        const s = this.symbolOf(reqId, REQ.depth);
        if (s >= 0) {
          sink().reset(s);
          sink().endOfBatch();
        }
        this.metrics.bookResets++;
        this.recordError(code, reqId, message);
        return;
      }
      if (this.backfill && reqId >= REQ.history && reqId < REQ.history + KIND_SPAN) this.backfill.onError(reqId - REQ.history, now());
      if (code === 505) this.metrics.decodeErrors++;
      else this.metrics.venueErrors++;
      this.recordError(code, reqId, message);
      if (code === 326) {
        this.clientId++;
        this.metrics.clientId = this.clientId;
        this.log.warn({ clientId: this.clientId }, 'TWS client id already in use: retrying with the next one');
        this.scheduleReconnect('client id in use');
        return;
      }
      // Client-side connect failures; the same codes arriving from the venue on a live socket are just errors.
      if ((code === 502 || code === 504 || code === 1300) && !ib.isConnected) {
        this.setConnected(false, `error ${code}`);
        this.scheduleReconnect(`error ${code}: ${message}`);
        return;
      }
      this.rateLimitedWarn(code, reqId, message);
    });
  }

  /**
   * The market-data handlers, shared by our hot decoder and the client library's events: ingest limits,
   * then the sink (stamped with the socket read's arrival time), one ring publish per socket read.
   */
  private readonly hot: HotHandlers = {
    depthL2: (reqId, position, marketMaker, operation, side, price, size) => {
      this.metrics.messages++;
      const s = this.symbolOf(reqId, REQ.depth);
      if (!this.depthOk(s, operation, price, size)) return;
      this.sink.depth(s, this.arrivalMs || Date.now(), position, operation, side, price, size, marketMaker === '' ? '' : this.limits.marketMaker(marketMaker), this.arrivalNs || this.clock.nowNs());
      this.batchSoon();
    },
    depth: (reqId, position, operation, side, price, size) => {
      this.metrics.messages++;
      const s = this.symbolOf(reqId, REQ.depth);
      if (!this.depthOk(s, operation, price, size)) return;
      this.sink.depth(s, this.arrivalMs || Date.now(), position, operation, side, price, size, '', this.arrivalNs || this.clock.nowNs());
      this.batchSoon();
    },
    allLast: (reqId, _tickType, time, price, size) => {
      this.metrics.messages++;
      const s = this.symbolOf(reqId, REQ.last);
      if (!this.limits.size(size) || !this.limits.price(s, price)) return;
      const ts = Number(time) * 1000;
      this.sink.trade(s, Number.isFinite(ts) && ts > 0 ? ts : this.arrivalMs || Date.now(), price, size, 0, this.arrivalNs || this.clock.nowNs());
      this.batchSoon();
    },
    bidAsk: (reqId, time, bid, ask, bidSz, askSz) => {
      this.metrics.messages++;
      const s = this.symbolOf(reqId, REQ.bidAsk);
      const L = this.limits;
      if (!L.size(bidSz) || !L.size(askSz) || !L.quotePrice(s, bid) || !L.quotePrice(s, ask)) return;
      const ts = Number(time) * 1000;
      this.sink.quote(s, Number.isFinite(ts) && ts > 0 ? ts : this.arrivalMs || Date.now(), bid, ask, bidSz, askSz, this.arrivalNs || this.clock.nowNs());
      this.batchSoon();
    },
    midPoint: () => {}, // not subscribed
    bar: (reqId, time, o, h, l, c, v, wap, count) => {
      this.metrics.messages++;
      const s = this.symbolOf(reqId, REQ.bars);
      const L = this.limits;
      if (!L.barVolume(v) || !Number.isFinite(count) || !Number.isFinite(wap)) return;
      if (!L.price(s, o) || !L.price(s, h) || !L.price(s, l) || !L.price(s, c)) return;
      this.sink.bar?.(s, Number(time) * 1000, 5, o, h, l, c, v, wap, count, this.arrivalNs || this.clock.nowNs());
      this.batchSoon();
    },
  };

  /** Hooks a client up to the sink: decoder guard, arrival stamps, event handlers (also used by the ingest bench). */
  attach(ib: IBApi, sink?: MarketSink): void {
    if (sink) this.sink = sink;
    const guarded = this.guardFrames(ib);
    this.guardDecoder(ib);
    this.stampArrivals(ib, guarded);
    this.wire(ib);
  }

  /** Depth values: sizes always, prices only where the book uses them (insert, update; a delete's is ignored). */
  private depthOk(s: number, operation: number, price: number, size: number): boolean {
    if (!this.limits.size(size)) return false;
    return operation === 2 || this.limits.price(s, price);
  }

  /**
   * Every socket read goes through our framing guard (TwsFrameGuard) instead of the client's own reader:
   * whole, checked frames are handed to the client's message handler; a fault (oversized or zero length,
   * a run of unusable frames) drops the connection and the usual reconnect follows. The client's own
   * accumulation buffer is never used.
   */
  private guardFrames(ib: IBApi): OnRead | undefined {
    type Sock = { onData?: (b: Buffer) => void; onMessage?: (m: string) => void; serverVersion?: number };
    const sock = (ib as unknown as { controller?: { socket?: Sock } }).controller?.socket;
    if (!sock || typeof sock.onData !== 'function' || typeof sock.onMessage !== 'function') {
      this.log.warn('@stoqey/ib socket not found: TWS frames are not guarded');
      return undefined;
    }
    const guard = new TwsFrameGuard(this.config.venues.tws.frame, this.frameCounters);
    this.frameGuard = guard;
    const onMessage = sock.onMessage.bind(sock);
    const hot = new TwsHotDecoder(this.hot, () => sock.serverVersion ?? 0, this.hotCounters);
    const maxFieldBytes = this.config.venues.tws.frame.maxFieldBytes;
    // Hot market data is decoded from the bytes here; every other frame (and a hot one not in the plain
    // form) goes to the client library as text, in arrival order.
    const onFrame = (buf: Buffer, start: number, end: number, longest: number): void => {
      if (longest <= maxFieldBytes && hot.decode(buf, start, end)) return;
      onMessage(guard.text(buf.subarray(start, end), longest));
    };
    const read: OnRead = (b, n) => {
      const fatal = guard.pushFrames(b, Date.now(), onFrame, n);
      if (fatal && this.frameGuard === guard) this.frameFault(fatal);
    };
    sock.onData = (b: Buffer) => read(b, b.length);
    return read;
  }

  /** Arrival time of the socket read being decoded: one clock read per read, shared by its events. */
  private arrivalNs = 0;
  private arrivalMs = 0;

  /**
   * The ingest time of an event is when its bytes arrived, so it is taken once per socket read (wrapping
   * the client's data handler), not once per decoded event: cheaper, and the truth about the bytes. The
   * read's batch ends when its handler returns: a `queueMicrotask` per read was an AsyncResource, a bound
   * function and an async scope on the hot thread, its largest allocation site (decision 132).
   */
  private stampArrivals(ib: IBApi, guarded: OnRead | undefined): void {
    const sock = (ib as unknown as { controller?: { socket?: { onData?: (b: Buffer) => void } } }).controller?.socket;
    if (!sock || typeof sock.onData !== 'function') return;
    let inner = guarded;
    if (!inner) { // no guard: the client's own handler takes each read (as a Buffer of its own)
      const onData = sock.onData.bind(sock);
      inner = (b, n) => onData(Buffer.from(b.subarray(0, n)));
    }
    const read: OnRead = (b, n) => {
      this.arrivalNs = this.clock.nowNs();
      this.arrivalMs = Date.now();
      this.inRead = true;
      try {
        inner(b, n);
      } finally {
        this.inRead = false;
        if (this.pendingFlush) this.endOfRead();
      }
    };
    sock.onData = (b: Buffer) => {
      this.metrics.reads.stream++;
      read(b, b.length);
    };
    // The client's TCP socket reads into our buffer (its connect comes after this): no stream machinery per read.
    readInPlace(ib, this.readBuffer, (b, n) => {
      this.metrics.reads.inPlace++;
      read(b, n);
    });
  }

  /** The buffer every socket read lands in (net's default read size); a read's bytes are copied out or used before the next. */
  private readonly readBuffer = Buffer.allocUnsafeSlow(64 * 1024);

  /**
   * @stoqey/ib's decoder rethrows anything that is not an underrun (for example JSON.parse on a malformed
   * advancedOrderRejectJson), out of the socket's data handler: one bad frame from the venue would kill
   * the thread. The guard counts it as a decode error, drops the rest of that message, and carries on
   * with the next one.
   */
  private guardDecoder(ib: IBApi): void {
    type Decoder = { process: () => void; drainQueue?: () => void };
    const decoder = (ib as unknown as { controller?: { decoder?: Decoder } }).controller?.decoder;
    if (!decoder || typeof decoder.process !== 'function') {
      this.log.warn('@stoqey/ib decoder not found: malformed frames that throw will not be guarded');
      return;
    }
    const process = decoder.process.bind(decoder);
    decoder.process = () => {
      for (let guard = 0; guard < 1_000_000; guard++) {
        try {
          process();
          return;
        } catch (e) {
          this.metrics.decodeErrors++;
          this.recordError(505, -1, `decoder threw: ${(e as Error)?.message ?? e}`);
          decoder.drainQueue?.();
        }
      }
    };
  }

  private lastWarn = new Map<number, number>();
  /** Venue text reaches the log at most once per code per 5 s, already truncated (maxTextChars). */
  private rateLimitedWarn(code: number, reqId: number, message: string): void {
    const now = Date.now();
    if (now - (this.lastWarn.get(code) ?? 0) < 5000) return;
    this.lastWarn.set(code, now);
    this.log.warn({ code, reqId }, `TWS error: ${this.limits.text(message)}`);
  }
}
