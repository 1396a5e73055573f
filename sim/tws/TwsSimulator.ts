/**
 * A TCP server speaking the TWS API socket protocol (server version 193 by default)
 * closely enough for @stoqey/ib 1.6.10, serving a MarketModel: market depth, tick-by-tick,
 * real-time bars, top-of-book ticks, simulated orders and account data, plus fault injection.
 *
 * Time: the model is advanced on a timer to `clock() − offset`. The offset is fixed at
 * start() so a model built with any startMs begins "now", and grows by the time the
 * feed spends paused, so a pause never turns into a catch-up burst. Messages produced
 * during one timer tick are batched into one socket write per client.
 */
import net from 'node:net';
import type { MarketListener, MarketModel } from '../market/MarketModel.js';
import { parseVersionRange, type FrameError } from './codec.js';
import { DepthView } from './DepthView.js';
import { HistoricalBars, MINUTE_MS } from '../market/HistoricalBars.js';
import type { OptionMarket } from '../options/OptionMarket.js';
import type { SimContract } from '../alpha-vantage/chainModel.js';
import { hash32 } from '../alpha-vantage/random.js';
import * as msg from './messages.js';
import { OrderEngine, type OrderReporter, type SimExecution, type SimOrder } from './OrderEngine.js';
import {
  CONTRACT_FIELDS,
  ERR,
  formatEasternHHMM,
  formatEasternTime,
  MAX_SIM_SERVER_VERSION,
  MIN_SIM_SERVER_VERSION,
  OUT,
  readContract,
  SV,
  TICK,
  type ContractFields,
} from './protocol.js';
import { BarSub, DepthSub, MktDataSub, Session, TickByTickSub, type BarWhat, type TbtKind } from './Session.js';

export interface TwsSimulatorOptions {
  /**
   * Listed options on the model's symbols (contract details, live quotes with option computations);
   * without it an OPT request is answered like an unknown contract (error 200).
   */
  options?: OptionMarket;
  host?: string;
  /** 0 = ephemeral (default). */
  port?: number;
  /** Highest server version offered (default 193); the reply is min(client max, this). */
  serverVersion?: number;
  model: MarketModel;
  /** Wall-clock source in epoch ms (default Date.now). */
  clock?: () => number;
  account?: string;
  /** Model advance period (default 5 ms). */
  tickMs?: number;
  /** Real-time bar length (TWS: 5000 ms); shorter values make tests fast. */
  realTimeBarMs?: number;
  /** TWS rejects more than 50 client messages per second with error 100. */
  maxMsgPerSec?: number;
  /** TWS allows 3 concurrent depth subscriptions by default (error 309 beyond). */
  maxDepthRequests?: number;
  /**
   * Market-data lines per connection (IB: 100 by default): top-of-book, tick-by-tick and option reqMktData
   * count; an option request beyond them gets error 101 (default Infinity: no limit).
   */
  maxMarketDataLines?: number;
  /** SMART depth without isSmartDepth is refused with 10092, as TWS does (default true). */
  strictSmartDepth?: boolean;
  /**
   * Order latency, wall ms (default 0: off). `ackMs`: PLACE_ORDER, CANCEL_ORDER and REQ_GLOBAL_CANCEL are
   * processed that long after they arrive, in arrival order (a cancel sent before the acknowledgement is
   * processed after its order). `fillMs` / `fillSlices`: see OrderEngine.
   */
  ackMs?: number;
  fillMs?: number;
  fillSlices?: number;
  /** Fill orders whose transmit field is "" (default false: held, with a warning, like TWS). */
  fillUntransmitted?: boolean;
  startingCash?: number;
  /** First order id handed out with NEXT_VALID_ID (default 1). */
  nextOrderId?: number;
  /** Clients whose unsent backlog exceeds this are dropped as slow consumers (default 64 MB). */
  maxBufferedBytes?: number;
  log?: (line: string) => void;
}

export interface TwsSimulatorStats {
  connectionsAccepted: number;
  activeConnections: number;
  readySessions: number;
  messagesIn: number;
  bytesOut: number;
  depthOpsSent: number;
  closedGarbage: Record<FrameError | 'badVersion', number>;
  clientIdRejected: number;
  rateLimitErrors: number;
  unknownMessages: number;
  messagesBeforeStart: number;
  handlerErrors: number;
  slowConsumerDrops: number;
  malformedFramesSent: number;
  faults: { drops: number; depthResets: number; connectivityLost: number; connectivityRestored: number; outOfRangeOps: number };
  modelTimeMs: number;
  feedPaused: boolean;
  /** `options`: live reqMktData subscriptions on option contracts (open sessions). */
  subscriptions: { depth: number; tickByTick: number; realTimeBars: number; mktData: number; options: number };
  orders: OrderEngine['stats'];
}

const DEPTH_RESET_TEXT = 'Market depth data has been RESET. Please empty deep book contents before applying any new entries.';

interface BarAcc {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  pv: number;
  count: number;
  has: boolean;
}

function newAcc(): BarAcc {
  return { open: 0, high: 0, low: 0, close: 0, volume: 0, pv: 0, count: 0, has: false };
}

function accAdd(a: BarAcc, price: number, volume: number): void {
  if (!a.has) {
    a.open = a.high = a.low = price;
    a.has = true;
  } else {
    if (price > a.high) a.high = price;
    if (price < a.low) a.low = price;
  }
  a.close = price;
  a.volume += volume;
  a.pv += price * volume;
  a.count++;
}

function accReset(a: BarAcc): void {
  a.volume = 0;
  a.pv = 0;
  a.count = 0;
  a.has = false;
}

/** Per-symbol fan-out lists and bar state. */
interface SymbolState {
  depth: DepthSub[];
  tbt: TickByTickSub[];
  bars: BarSub[];
  mktData: MktDataSub[];
  barStart: number;
  trades: BarAcc;
  mid: BarAcc;
  bid: BarAcc;
  ask: BarAcc;
  volume: number;
}

export class TwsSimulator implements MarketListener {
  private readonly model: MarketModel;
  /** 1-minute bars served to REQ_HISTORICAL_DATA: synthetic before the model started, the live tape since. */
  private readonly history: HistoricalBars;
  private readonly options: OptionMarket | undefined;
  /** Live option quotes by session and request id (refreshed from the option market every OPTION_REFRESH_MS). */
  private readonly optionSubs = new Map<Session, Map<number, OptionSub>>();
  private lastOptionRefresh = 0;
  private readonly clock: () => number;
  private readonly account: string;
  private readonly maxServerVersion: number;
  private readonly tickMs: number;
  private readonly barMs: number;
  private readonly maxMsgPerSec: number;
  private readonly maxDepthRequests: number;
  private readonly maxMarketDataLines: number;
  private readonly strictSmartDepth: boolean;
  private readonly maxBufferedBytes: number;
  private readonly ackMs: number;
  /** Order messages waiting out `ackMs`, in arrival order. */
  private readonly deskQueue: { due: number; run: () => void }[] = [];
  private deskTimer?: NodeJS.Timeout;
  private readonly log: (line: string) => void;
  private readonly host: string;
  private readonly port: number;

  private server: net.Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly sessions = new Set<Session>();
  private sessionSeq = 0;
  private readonly sym: SymbolState[];
  readonly orders: OrderEngine;
  private nextOrderId: number;

  private timeOffset = 0;
  private userPaused = false;
  private connectivityDown = false;
  private pausedSince = -1;

  private readonly st = {
    connectionsAccepted: 0,
    messagesIn: 0,
    bytesOut: 0,
    depthOpsFromClosed: 0,
    closedGarbage: { badHandshake: 0, frameTooLarge: 0, badFrame: 0, badVersion: 0 },
    clientIdRejected: 0,
    rateLimitErrors: 0,
    unknownMessages: 0,
    messagesBeforeStart: 0,
    handlerErrors: 0,
    slowConsumerDrops: 0,
    malformedFramesSent: 0,
    faults: { drops: 0, depthResets: 0, connectivityLost: 0, connectivityRestored: 0, outOfRangeOps: 0 },
  };

  constructor(opts: TwsSimulatorOptions) {
    if (!opts || !opts.model) throw new Error('TwsSimulator: model is required');
    const sv = opts.serverVersion ?? MAX_SIM_SERVER_VERSION;
    if (!Number.isInteger(sv) || sv < MIN_SIM_SERVER_VERSION || sv > MAX_SIM_SERVER_VERSION) {
      throw new Error(`TwsSimulator: serverVersion must be an integer in ${MIN_SIM_SERVER_VERSION}..${MAX_SIM_SERVER_VERSION}, got ${sv}`);
    }
    this.model = opts.model;
    this.history = new HistoricalBars(opts.model);
    this.options = opts.options;
    this.maxServerVersion = sv;
    this.clock = opts.clock ?? Date.now;
    this.account = opts.account ?? 'DU123456';
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.tickMs = positive(opts.tickMs ?? 5, 'tickMs');
    this.barMs = positive(opts.realTimeBarMs ?? 5000, 'realTimeBarMs');
    this.maxMsgPerSec = positive(opts.maxMsgPerSec ?? 50, 'maxMsgPerSec');
    this.maxDepthRequests = positive(opts.maxDepthRequests ?? 3, 'maxDepthRequests');
    this.maxMarketDataLines = opts.maxMarketDataLines === undefined ? Infinity : positive(opts.maxMarketDataLines, 'maxMarketDataLines');
    this.strictSmartDepth = opts.strictSmartDepth ?? true;
    this.maxBufferedBytes = positive(opts.maxBufferedBytes ?? 64 * 1024 * 1024, 'maxBufferedBytes');
    this.nextOrderId = opts.nextOrderId ?? 1;
    this.log = opts.log ?? (() => {});
    this.sym = this.model.symbols.map(() => ({
      depth: [],
      tbt: [],
      bars: [],
      mktData: [],
      barStart: 0,
      trades: newAcc(),
      mid: newAcc(),
      bid: newAcc(),
      ask: newAcc(),
      volume: 0,
    }));
    this.ackMs = nonNegative(opts.ackMs ?? 0, 'ackMs');
    const fillSlices = opts.fillSlices ?? 1;
    if (!Number.isInteger(fillSlices) || fillSlices < 1) throw new Error(`TwsSimulator: fillSlices must be an integer ≥ 1, got ${fillSlices}`);
    this.orders = new OrderEngine(this.model, this.account, this.reporter, () => this.modelNowMs(), {
      fillUntransmitted: opts.fillUntransmitted ?? false,
      startingCash: opts.startingCash ?? 1_000_000,
      fillMs: nonNegative(opts.fillMs ?? 0, 'fillMs'),
      fillSlices,
      options: opts.options,
      resolveOption: (c) => {
        const r = this.optionFor(c);
        if ('code' in r) return r;
        const d = optionDetails(r.q, stockConId(c.symbol));
        const contract: ContractFields = {
          conId: String(d.conId), symbol: d.symbol, secType: 'OPT', lastTradeDateOrContractMonth: d.lastTradeDate, strike: String(d.strike), right: d.right,
          multiplier: String(d.multiplier), exchange: c.exchange || 'SMART', primaryExch: '', currency: c.currency || 'USD', localSymbol: d.localSymbol, tradingClass: d.tradingClass,
        };
        return { ref: { occ: r.q.contractID, symbol: r.q.symbol, expiry: r.q.expiration, type: r.q.type, strike: r.q.strike }, contract };
      },
    });
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<{ host: string; port: number }> {
    if (this.server) throw new Error('TwsSimulator already started');
    this.timeOffset = this.clock() - this.model.timeMs;
    for (const s of this.sym) s.barStart = Math.floor(this.model.timeMs / this.barMs) * this.barMs;
    const server = net.createServer((socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.log(`server error: ${e.message}`));
    this.timer = setInterval(() => this.tick(), this.tickMs);
    const addr = server.address() as net.AddressInfo;
    this.log(`TWS simulator listening on ${addr.address}:${addr.port} (server version ${this.maxServerVersion})`);
    return { host: addr.address, port: addr.port };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    clearTimeout(this.deskTimer);
    this.deskTimer = undefined;
    this.deskQueue.length = 0;
    this.history.cancel(); // a history still being calibrated would keep this thread busy after the stop
    const server = this.server;
    this.server = null;
    for (const s of this.sessions) s.socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Simulated time the model has been advanced to. */
  modelNowMs(): number {
    return this.model.timeMs;
  }

  stats(): TwsSimulatorStats {
    let ready = 0;
    let depthOps = this.st.depthOpsFromClosed;
    const subs = { depth: 0, tickByTick: 0, realTimeBars: 0, mktData: 0, options: 0 };
    for (const s of this.sessions) {
      if (s.ready) ready++;
      depthOps += s.depthOpsSent;
      if (s.state !== 'closed') subs.options += this.optionSubs.get(s)?.size ?? 0;
    }
    for (const s of this.sym) {
      subs.depth += s.depth.length;
      subs.tickByTick += s.tbt.length;
      subs.realTimeBars += s.bars.length;
      subs.mktData += s.mktData.length;
    }
    return {
      connectionsAccepted: this.st.connectionsAccepted,
      activeConnections: this.sessions.size,
      readySessions: ready,
      messagesIn: this.st.messagesIn,
      bytesOut: this.st.bytesOut,
      depthOpsSent: depthOps,
      closedGarbage: { ...this.st.closedGarbage },
      clientIdRejected: this.st.clientIdRejected,
      rateLimitErrors: this.st.rateLimitErrors,
      unknownMessages: this.st.unknownMessages,
      messagesBeforeStart: this.st.messagesBeforeStart,
      handlerErrors: this.st.handlerErrors,
      slowConsumerDrops: this.st.slowConsumerDrops,
      malformedFramesSent: this.st.malformedFramesSent,
      faults: { ...this.st.faults },
      modelTimeMs: this.model.timeMs,
      feedPaused: this.feedPaused,
      subscriptions: subs,
      orders: { ...this.orders.stats },
    };
  }

  // ------------------------------------------------------------------ faults

  /** Closes every client socket abruptly (the client sees `disconnected`). Returns how many. */
  dropConnections(): number {
    let n = 0;
    for (const s of [...this.sessions]) {
      s.socket.destroy();
      this.closeSession(s);
      n++;
    }
    this.st.faults.drops += n;
    return n;
  }

  /** Error 317 for each matching depth subscription, then a fresh insert burst. Returns subscriptions reset. */
  sendDepthReset(symbol?: string): number {
    let n = 0;
    for (const s of this.sessions) {
      if (!s.ready) continue;
      for (const sub of s.depth.values()) {
        if (symbol !== undefined && this.model.symbols[sub.symbolIndex].symbol !== symbol) continue;
        s.error(sub.reqId, ERR.DEPTH_RESET, DEPTH_RESET_TEXT);
        sub.view.snapshot(sub);
        n++;
      }
    }
    this.st.faults.depthResets += n;
    this.flushAll();
    return n;
  }

  /** Info 1100 to every client; the feed stops until connectivityRestored(). */
  connectivityLost(): void {
    this.connectivityDown = true;
    this.updatePause();
    this.broadcastInfo(ERR.CONNECTIVITY_LOST, 'Connectivity between IB and Trader Workstation has been lost.');
    this.st.faults.connectivityLost++;
    this.flushAll();
  }

  /** 1101 (data lost: every market-data subscription is dropped and must be resubmitted) or 1102 (maintained). */
  connectivityRestored(dataLost: boolean): void {
    if (dataLost) {
      for (const s of this.sessions) this.dropSubscriptions(s);
      this.broadcastInfo(
        ERR.CONNECTIVITY_RESTORED_DATA_LOST,
        'Connectivity between IB and Trader Workstation has been restored - data lost.',
      );
    } else {
      this.broadcastInfo(
        ERR.CONNECTIVITY_RESTORED_DATA_MAINTAINED,
        'Connectivity between IB and Trader Workstation has been restored - data maintained.',
      );
    }
    this.connectivityDown = false;
    this.updatePause();
    this.st.faults.connectivityRestored++;
    this.flushAll();
  }

  /**
   * Sends one malformed frame to every client: 'underrun' = a MARKET_DEPTH_L2 with missing fields,
   * 'unknownId' = an unknown message id. Both are complete frames, so the stream stays in sync.
   */
  sendMalformedFrame(kind: 'underrun' | 'unknownId' = 'underrun'): number {
    let n = 0;
    for (const s of this.sessions) {
      if (!s.ready) continue;
      if (kind === 'underrun') s.w.begin().f(13).f(1).f(-1).end();
      else s.w.begin().f(9999).f(1).end();
      n++;
    }
    this.st.malformedFramesSent += n;
    this.flushAll();
    return n;
  }

  /** Stops (true) or resumes (false) the model; a resumed feed continues without a catch-up burst. */
  pauseFeed(on: boolean): void {
    this.userPaused = on;
    this.updatePause();
  }

  /** Sends an update and a delete at positions beyond each depth subscriber's book (clients must ignore them). */
  injectOutOfRangeOps(): number {
    let n = 0;
    const m = this.model;
    for (const s of this.sessions) {
      if (!s.ready) continue;
      for (const sub of s.depth.values()) {
        const si = sub.symbolIndex;
        const askRows = sub.view.visibleRows(0);
        const bidRows = sub.view.visibleRows(1);
        const px = m.rowCount(si, 0) > 0 ? m.rowPrice(si, 0, 0) : m.lastPrice(si);
        sub.depth(askRows + 3, 1, 0, px, 100, 'NSDQ');
        const bpx = m.rowCount(si, 1) > 0 ? m.rowPrice(si, 1, 0) : m.lastPrice(si);
        sub.depth(bidRows + 5, 2, 1, bpx, 100, 'NSDQ');
        n += 2;
      }
    }
    this.st.faults.outOfRangeOps += n;
    this.flushAll();
    return n;
  }

  get feedPaused(): boolean {
    return this.userPaused || this.connectivityDown;
  }

  // ------------------------------------------------------------------ market listener (hot path)

  onDepth(si: number, _ts: number, position: number, operation: 0 | 1 | 2, side: 0 | 1, price: number, size: number, mm: string): void {
    const subs = this.sym[si].depth;
    for (let i = 0; i < subs.length; i++) subs[i].view.apply(position, operation, side, price, size, mm, subs[i]);
  }

  onTrade(si: number, ts: number, price: number, size: number, aggressor: 1 | -1): void {
    const st = this.sym[si];
    this.rollBars(si, ts);
    accAdd(st.trades, price, size);
    st.volume += size;
    this.history.onTrade(si, ts, price, size);
    // The print precedes the book change, so row 0 of the side taken is the venue that traded.
    const venue = this.model.rowMaker(si, aggressor === 1 ? 0 : 1, 0);
    const timeSec = Math.floor(ts / 1000);
    const tbt = st.tbt;
    for (let i = 0; i < tbt.length; i++) {
      const sub = tbt[i];
      if (sub.kind === 2 || (sub.kind === 1 && size >= 100)) {
        msg.tickByTickLast(sub.session.w, sub.reqId, sub.kind, timeSec, price, size, 0, venue, '');
      }
    }
    const md = st.mktData;
    for (let i = 0; i < md.length; i++) {
      const w = md[i].session.w;
      msg.tickPrice(w, md[i].reqId, TICK.LAST, price, size, 0);
      msg.tickSize(w, md[i].reqId, TICK.VOLUME, st.volume);
    }
    this.orders.onTrade(si, price, size, aggressor, venue);
  }

  onQuote(si: number, ts: number, bidPx: number, askPx: number, bidSz: number, askSz: number): void {
    const st = this.sym[si];
    this.rollBars(si, ts);
    accAdd(st.bid, bidPx, 0);
    accAdd(st.ask, askPx, 0);
    const mid = (bidPx + askPx) / 2;
    accAdd(st.mid, mid, 0);
    const timeSec = Math.floor(ts / 1000);
    const tbt = st.tbt;
    for (let i = 0; i < tbt.length; i++) {
      const sub = tbt[i];
      if (sub.kind === 3) {
        if (sub.ignoreSize && bidPx === sub.lastBid && askPx === sub.lastAsk) continue;
        sub.lastBid = bidPx;
        sub.lastAsk = askPx;
        msg.tickByTickBidAsk(sub.session.w, sub.reqId, timeSec, bidPx, askPx, bidSz, askSz, 0);
      } else if (sub.kind === 4 && mid !== sub.lastMid) {
        sub.lastMid = mid;
        msg.tickByTickMidPoint(sub.session.w, sub.reqId, timeSec, mid);
      }
    }
    const md = st.mktData;
    for (let i = 0; i < md.length; i++) this.sendQuoteTicks(md[i], bidPx, askPx, bidSz, askSz);
  }

  // ------------------------------------------------------------------ internals

  private tick(): void {
    try {
      if (!this.feedPaused) {
        const target = this.clock() - this.timeOffset;
        if (target > this.model.timeMs) this.model.advance(target, this);
        const now = this.model.timeMs;
        for (let si = 0; si < this.sym.length; si++) this.rollBars(si, now);
      }
      // Also while the feed is paused: orders waiting out the fill latency execute against the still book.
      this.orders.onTick();
      this.refreshOptions();
      this.expireOptions();
    } catch (e) {
      this.st.handlerErrors++;
      this.log(`tick failed: ${(e as Error).stack ?? e}`);
    }
    this.flushAll();
  }

  private updatePause(): void {
    const paused = this.feedPaused;
    if (paused && this.pausedSince < 0) this.pausedSince = this.clock();
    else if (!paused && this.pausedSince >= 0) {
      this.timeOffset += this.clock() - this.pausedSince;
      this.pausedSince = -1;
    }
  }

  private flushAll(): void {
    for (const s of this.sessions) {
      if (s.state === 'closed') continue;
      this.st.bytesOut += s.flush();
      if (s.socket.writableLength > this.maxBufferedBytes) {
        this.st.slowConsumerDrops++;
        this.log(`session ${s.id} (client ${s.clientId}) dropped: ${s.socket.writableLength} bytes unsent`);
        s.socket.destroy();
        this.closeSession(s);
      }
    }
  }

  private rollBars(si: number, t: number): void {
    const st = this.sym[si];
    if (t < st.barStart + this.barMs) return;
    if ((t - st.barStart) / this.barMs > 1000) {
      // A long gap (e.g. a stalled clock source): skip to the current bar rather than emit thousands of empty ones.
      st.barStart = Math.floor(t / this.barMs) * this.barMs - this.barMs;
    }
    while (t >= st.barStart + this.barMs) {
      this.emitBars(si);
      accReset(st.trades);
      accReset(st.mid);
      accReset(st.bid);
      accReset(st.ask);
      st.barStart += this.barMs;
    }
  }

  private emitBars(si: number): void {
    const st = this.sym[si];
    const subs = st.bars;
    if (subs.length === 0) return;
    const timeSec = Math.floor(st.barStart / 1000);
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i];
      const a = sub.what === 'TRADES' ? st.trades : sub.what === 'MIDPOINT' ? st.mid : sub.what === 'BID' ? st.bid : st.ask;
      let o: number;
      let h: number;
      let l: number;
      let c: number;
      if (a.has) {
        o = a.open;
        h = a.high;
        l = a.low;
        c = a.close;
      } else {
        const last = this.lastValue(si, sub.what);
        o = h = l = c = last;
      }
      if (sub.what === 'TRADES') {
        const wap = a.volume > 0 ? Math.round((a.pv / a.volume) * 1e6) / 1e6 : c;
        msg.realTimeBar(sub.session.w, sub.reqId, timeSec, o, h, l, c, a.volume, wap, a.count);
      } else {
        msg.realTimeBar(sub.session.w, sub.reqId, timeSec, o, h, l, c, -1, -1, -1);
      }
    }
  }

  private lastValue(si: number, what: BarWhat): number {
    const m = this.model;
    if (what === 'TRADES') return m.lastPrice(si);
    if (what === 'BID') return m.bestBid(si);
    if (what === 'ASK') return m.bestAsk(si);
    return (m.bestBid(si) + m.bestAsk(si)) / 2;
  }

  private sendQuoteTicks(sub: MktDataSub, bidPx: number, askPx: number, bidSz: number, askSz: number): void {
    const w = sub.session.w;
    if (bidPx !== sub.bid) msg.tickPrice(w, sub.reqId, TICK.BID, bidPx, bidSz, 1);
    else if (bidSz !== sub.bidSz) msg.tickSize(w, sub.reqId, TICK.BID_SIZE, bidSz);
    if (askPx !== sub.ask) msg.tickPrice(w, sub.reqId, TICK.ASK, askPx, askSz, 1);
    else if (askSz !== sub.askSz) msg.tickSize(w, sub.reqId, TICK.ASK_SIZE, askSz);
    sub.bid = bidPx;
    sub.ask = askPx;
    sub.bidSz = bidSz;
    sub.askSz = askSz;
  }

  private broadcastInfo(code: number, text: string): void {
    for (const s of this.sessions) if (s.ready) s.error(-1, code, text);
  }

  private onConnection(socket: net.Socket): void {
    const s = new Session(++this.sessionSeq, socket);
    this.sessions.add(s);
    this.st.connectionsAccepted++;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(s, chunk));
    socket.on('error', (e) => this.log(`session ${s.id}: socket error ${e.message}`));
    socket.on('close', () => this.closeSession(s));
  }

  private onData(s: Session, chunk: Buffer): void {
    if (s.state === 'closed') return;
    const err = s.reader.push(chunk, {
      onHandshake: (v) => this.onHandshake(s, v),
      onMessage: (tokens) => this.onMessage(s, tokens),
    });
    if (err !== null) {
      this.st.closedGarbage[err]++;
      this.log(`session ${s.id}: closing on ${err}`);
      this.flushAll();
      s.socket.end();
      s.socket.destroySoon?.();
      this.closeSession(s);
      return;
    }
    this.flushAll();
  }

  private onHandshake(s: Session, versions: string): void {
    const range = parseVersionRange(versions);
    const sv = range ? Math.min(range[1], this.maxServerVersion) : 0;
    if (!range || sv < range[0] || sv < MIN_SIM_SERVER_VERSION) {
      this.st.closedGarbage.badVersion++;
      this.log(`session ${s.id}: unsupported client version range '${versions}'`);
      s.socket.end();
      this.closeSession(s);
      return;
    }
    s.serverVersion = sv;
    s.state = 'awaitStart';
    s.w.begin().f(sv).f(formatEasternTime(this.clock())).end();
  }

  private onMessage(s: Session, t: string[]): void {
    if (s.state === 'closed') return;
    this.st.messagesIn++;
    s.messagesIn++;
    const id = Number(t[0]);
    if (s.state !== 'ready') {
      if (id === OUT.START_API) this.startApi(s, t);
      else this.st.messagesBeforeStart++;
      return;
    }
    this.rateLimit(s);
    try {
      this.dispatch(s, id, t);
    } catch (e) {
      this.st.handlerErrors++;
      this.log(`session ${s.id}: request ${t[0]} failed: ${(e as Error).message}`);
      s.error(-1, 320, `Error reading request: ${(e as Error).message}`);
    }
  }

  private rateLimit(s: Session): void {
    const now = this.clock();
    if (now - s.windowStartMs >= 1000) {
      s.windowStartMs = now;
      s.windowCount = 0;
      s.windowWarned = false;
    }
    s.windowCount++;
    if (s.windowCount > this.maxMsgPerSec && !s.windowWarned) {
      s.windowWarned = true;
      this.st.rateLimitErrors++;
      s.error(-1, ERR.RATE_EXCEEDED, `Max rate of messages per second has been exceeded:max=${this.maxMsgPerSec} rec=${s.windowCount} (1)`);
    }
  }

  private startApi(s: Session, t: string[]): void {
    const clientId = t[2] === undefined || t[2] === '' ? 0 : Number(t[2]);
    for (const other of this.sessions) {
      if (other !== s && other.ready && other.clientId === clientId) {
        this.st.clientIdRejected++;
        s.error(-1, ERR.CLIENT_ID_IN_USE, 'Unable to connect as the client id is already in use. Retry with a unique client id.');
        this.st.bytesOut += s.flush();
        s.socket.end();
        this.closeSession(s);
        return;
      }
    }
    s.clientId = Number.isFinite(clientId) ? clientId : 0;
    s.state = 'ready';
    msg.managedAccounts(s.w, this.account);
    msg.nextValidId(s.w, this.nextOrderId);
    s.error(-1, ERR.MARKET_DATA_FARM_OK, 'Market data farm connection is OK:usfarm');
    s.error(-1, ERR.HMDS_FARM_OK, 'HMDS data farm connection is OK:ushmds');
    s.error(-1, ERR.SEC_DEF_FARM_OK, 'Sec-def data farm connection is OK:secdefnj');
    this.log(`session ${s.id}: client ${s.clientId} started (server version ${s.serverVersion})`);
  }

  private dispatch(s: Session, id: number, t: string[]): void {
    switch (id) {
      case OUT.REQ_MKT_DATA:
        return this.reqMktData(s, t);
      case OUT.CANCEL_MKT_DATA:
        if (this.optionSubs.get(s)?.delete(Number(t[2]))) return;
        return this.removeSub(s, 'mktData', Number(t[2]));
      case OUT.REQ_CONTRACT_DATA:
        return this.reqContractDetails(s, t);
      case OUT.REQ_MKT_DEPTH:
        return this.reqMktDepth(s, t);
      case OUT.CANCEL_MKT_DEPTH:
        return this.removeSub(s, 'depth', Number(t[2]));
      case OUT.REQ_TICK_BY_TICK_DATA:
        return this.reqTickByTick(s, t);
      case OUT.CANCEL_TICK_BY_TICK_DATA:
        return this.removeSub(s, 'tbt', Number(t[1]));
      case OUT.REQ_REAL_TIME_BARS:
        return this.reqRealTimeBars(s, t);
      case OUT.CANCEL_REAL_TIME_BARS:
        return this.removeSub(s, 'bars', Number(t[2]));
      case OUT.REQ_CURRENT_TIME:
        return msg.currentTime(s.w, Math.floor(this.clock() / 1000));
      case OUT.REQ_IDS:
        return msg.nextValidId(s.w, this.nextOrderId);
      case OUT.REQ_MARKET_DATA_TYPE: {
        const type = Number(t[2]);
        if (type >= 1 && type <= 4) s.marketDataType = type;
        return;
      }
      case OUT.PLACE_ORDER: {
        const orderId = Number(t[1]);
        if (Number.isInteger(orderId) && orderId >= this.nextOrderId) this.nextOrderId = orderId + 1;
        return this.orderDesk(() => this.orders.place(s.clientId, t));
      }
      case OUT.CANCEL_ORDER: {
        const orderId = Number(s.serverVersion >= SV.CME_TAGGING_FIELDS ? t[1] : t[2]);
        return this.orderDesk(() => this.orders.cancel(s.clientId, orderId));
      }
      case OUT.REQ_GLOBAL_CANCEL:
        return this.orderDesk(() => this.orders.globalCancel());
      case OUT.REQ_OPEN_ORDERS:
        return this.sendOpenOrders(s, false);
      case OUT.REQ_ALL_OPEN_ORDERS:
        return this.sendOpenOrders(s, true);
      case OUT.REQ_AUTO_OPEN_ORDERS:
        return;
      case OUT.REQ_EXECUTIONS:
        return this.reqExecutions(s, t);
      case OUT.REQ_POSITIONS:
        s.positionsSubscribed = true;
        return this.sendPositions(s);
      case OUT.CANCEL_POSITIONS:
        s.positionsSubscribed = false;
        return;
      case OUT.REQ_HISTORICAL_DATA:
        return this.reqHistoricalData(s, t);
      case OUT.CANCEL_HISTORICAL_DATA:
        return; // answered at once: nothing is ever in flight to cancel
      case OUT.REQ_ACCOUNT_SUMMARY:
        return this.reqAccountSummary(s, t);
      case OUT.CANCEL_ACCOUNT_SUMMARY:
        s.accountSummaries.delete(Number(t[2]));
        return;
      case OUT.REQ_ACCOUNT_DATA:
        s.accountUpdates = t[2] === '1' || t[2] === 'true';
        if (s.accountUpdates) this.sendAccountUpdates(s);
        return;
      default:
        this.st.unknownMessages++;
        this.log(`session ${s.id}: unsupported message id ${t[0]}`);
    }
  }

  /** Resolves the request's contract to a model symbol, or answers error 200. */
  private symbolFor(s: Session, reqId: number, t: string[], contractAt: number): number {
    const c = readContract(t, contractAt);
    const si = this.model.indexOf(c.symbol);
    const secOk = c.secType === '' || c.secType === 'STK';
    if (si < 0 || !secOk) {
      s.error(reqId, ERR.NO_SECURITY_DEFINITION, 'No security definition has been found for the request');
      return -1;
    }
    return si;
  }

  private duplicate(s: Session, reqId: number): boolean {
    if (s.depth.has(reqId) || s.mktData.has(reqId) || s.tbt.has(reqId) || s.bars.has(reqId) || this.optionSubs.get(s)?.has(reqId)) {
      s.error(reqId, 322, `Error processing request:-'${reqId}' : cause - Duplicate ticker id`);
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ options

  /** An OPT contract of a request resolved to a listed contract now, or the error TWS would answer. */
  private optionFor(c: ContractFields): { q: SimContract } | { code: number; text: string } {
    const o = this.parseOption(c);
    if ('code' in o) return o;
    const q = this.options!.quote(o.symbol, o.expiry, o.type, o.strike);
    return q ? { q } : { code: ERR.NO_SECURITY_DEFINITION, text: 'No security definition has been found for the request' };
  }

  private parseOption(c: ContractFields): { symbol: string; expiry: string; type: 'call' | 'put'; strike: number } | { code: number; text: string } {
    const nodef = { code: ERR.NO_SECURITY_DEFINITION, text: 'No security definition has been found for the request' };
    if (!this.options || this.model.indexOf(c.symbol) < 0) return nodef;
    const m = /^(\d{4})(\d{2})(\d{2})$/.exec(c.lastTradeDateOrContractMonth);
    const right = c.right.toUpperCase();
    const type = right === 'C' || right === 'CALL' ? 'call' : right === 'P' || right === 'PUT' ? 'put' : undefined;
    const strike = Number(c.strike);
    if (!m || !type || !(strike > 0)) return { code: 321, text: "Error validating request:-'bW' : cause - an option needs an expiry (YYYYMMDD), a right and a strike" };
    if (c.multiplier && Number(c.multiplier) !== 100) return nodef;
    return { symbol: c.symbol, expiry: `${m[1]}-${m[2]}-${m[3]}`, type, strike };
  }

  /** REQ_CONTRACT_DATA: [9, 8, reqId, C×12, includeExpired, secIdType, secId, issuerId]. A partial OPT contract lists every match. */
  private reqContractDetails(s: Session, t: string[]): void {
    const reqId = Number(t[2]);
    const c = readContract(t, 3);
    const sec = c.secType.toUpperCase();
    const nodef = () => s.error(reqId, ERR.NO_SECURITY_DEFINITION, 'No security definition has been found for the request');
    const si = this.model.indexOf(c.symbol);
    if (si < 0) return nodef();
    if (sec === 'STK' || sec === '') {
      msg.contractData(s.w, s.serverVersion, reqId, {
        symbol: c.symbol, secType: 'STK', lastTradeDate: '', strike: 0, right: '', localSymbol: c.symbol, tradingClass: c.symbol,
        conId: stockConId(c.symbol), minTick: this.model.symbols[si].tickSize ?? 0.01, multiplier: 1, underConId: 0, longName: c.symbol, realExpirationDate: '',
      });
      return msg.contractDataEnd(s.w, reqId);
    }
    if (sec !== 'OPT' || !this.options) return nodef();
    const ymd = c.lastTradeDateOrContractMonth;
    const right = c.right.toUpperCase();
    const list = this.options.contracts({
      symbol: c.symbol,
      expiry: /^\d{8}$/.test(ymd) ? `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}` : undefined,
      type: right === 'C' || right === 'CALL' ? 'call' : right === 'P' || right === 'PUT' ? 'put' : undefined,
      strike: Number(c.strike) > 0 ? Number(c.strike) : undefined,
    }).filter((x) => /^\d{6}$/.test(ymd) ? x.expiration.replace(/-/g, '').startsWith(ymd) : true);
    if (list.length === 0) return nodef();
    for (const x of list.slice(0, MAX_CONTRACT_DETAILS)) msg.contractData(s.w, s.serverVersion, reqId, optionDetails(x, stockConId(c.symbol)));
    msg.contractDataEnd(s.w, reqId);
  }

  /** reqMktData on an option: its quote, sizes and the model's option computation, then every change. */
  private reqOptionMktData(s: Session, reqId: number, c: ContractFields): void {
    const r = this.optionFor(c);
    if ('code' in r) return s.error(reqId, r.code, r.text);
    if (s.mktData.size + s.tbt.size + (this.optionSubs.get(s)?.size ?? 0) >= this.maxMarketDataLines) {
      return s.error(reqId, ERR.MAX_TICKERS, 'Max number of tickers has been reached');
    }
    const sub: OptionSub = { reqId, symbol: c.symbol, expiry: r.q.expiration, type: r.q.type, strike: r.q.strike, bid: NaN, ask: NaN, bidSize: NaN, askSize: NaN, last: NaN, iv: NaN };
    msg.tickReqParams(s.w, reqId, 0.01, '9c0001', 3);
    msg.marketDataType(s.w, reqId, 1);
    let subs = this.optionSubs.get(s);
    if (!subs) this.optionSubs.set(s, (subs = new Map()));
    subs.set(reqId, sub);
    this.sendOptionTicks(s, sub, r.q);
  }

  private sendOptionTicks(s: Session, sub: OptionSub, q: SimContract): void {
    const w = s.w;
    if (q.bid !== sub.bid) msg.tickPrice(w, sub.reqId, TICK.BID, q.bid, q.bidSize, 1);
    if (q.ask !== sub.ask) msg.tickPrice(w, sub.reqId, TICK.ASK, q.ask, q.askSize, 1);
    // Sizes also as TICK_SIZE, as TWS sends them: @stoqey/ib never re-emits a TICK_PRICE's bid size (type 0 is falsy there).
    if (q.bidSize !== sub.bidSize) msg.tickSize(w, sub.reqId, TICK.BID_SIZE, q.bidSize);
    if (q.askSize !== sub.askSize) msg.tickSize(w, sub.reqId, TICK.ASK_SIZE, q.askSize);
    if (q.last > 0 && q.last !== sub.last) msg.tickPrice(w, sub.reqId, TICK.LAST, q.last, 1, 0);
    if (q.bid !== sub.bid || q.ask !== sub.ask || q.iv !== sub.iv) {
      // Model computation (13): IV, delta, price, gamma, vega per vol point, theta per day, the underlying.
      msg.tickOptionComputation(w, sub.reqId, 13, q.iv, q.delta, q.mark, q.gamma, q.vega, q.theta, this.options!.spot(sub.symbol) ?? -1);
    }
    sub.bid = q.bid;
    sub.ask = q.ask;
    sub.bidSize = q.bidSize;
    sub.askSize = q.askSize;
    sub.last = q.last;
    sub.iv = q.iv;
  }

  /** Option positions and orders past their expiry day's close leave (throttled like the quotes). */
  private expireOptions(): void {
    const now = Date.now();
    if (!this.options || now - this.lastExpiryCheck < OPTION_REFRESH_MS) return;
    this.lastExpiryCheck = now;
    for (const e of this.orders.expireOptions()) this.log(`option ${e.occ} × ${e.qty} expired at spot ${e.spot}: ${e.itm ? `exercised/assigned into ${e.shares} shares` : 'worthless'}`);
  }
  private lastExpiryCheck = 0;

  /** Re-quotes every option subscription (the chain moves with spot and the minute). */
  private refreshOptions(): void {
    if (!this.options || this.optionSubs.size === 0) return;
    const now = Date.now();
    if (now - this.lastOptionRefresh < OPTION_REFRESH_MS) return;
    this.lastOptionRefresh = now;
    for (const [s, subs] of this.optionSubs) {
      if (s.state === 'closed') {
        this.optionSubs.delete(s);
        continue;
      }
      for (const sub of subs.values()) {
        const q = this.options.quote(sub.symbol, sub.expiry, sub.type, sub.strike);
        if (q) this.sendOptionTicks(s, sub, q);
      }
    }
  }

  private reqMktData(s: Session, t: string[]): void {
    // [1, 11, reqId, C×12, deltaNeutral, genericTicks, snapshot, regulatorySnapshot, options]
    const reqId = Number(t[2]);
    if (this.duplicate(s, reqId)) return;
    const c = readContract(t, 3);
    if (c.secType.toUpperCase() === 'OPT') return this.reqOptionMktData(s, reqId, c);
    const si = this.symbolFor(s, reqId, t, 3);
    if (si < 0) return;
    const snapshot = t[3 + CONTRACT_FIELDS + 2] === '1';
    const m = this.model;
    const sub = new MktDataSub(s, reqId, si);
    msg.tickReqParams(s.w, reqId, this.model.symbols[si].tickSize ?? 0.01, '9c0001', 3);
    msg.marketDataType(s.w, reqId, s.marketDataType === 2 || s.marketDataType === 4 ? s.marketDataType : 1);
    this.sendQuoteTicks(sub, m.bestBid(si), m.bestAsk(si), m.bestBidSize(si), m.bestAskSize(si));
    msg.tickPrice(s.w, reqId, TICK.LAST, m.lastPrice(si), 0, 0);
    msg.tickSize(s.w, reqId, TICK.VOLUME, this.sym[si].volume);
    if (snapshot) {
      msg.tickSnapshotEnd(s.w, reqId);
      return;
    }
    s.mktData.set(reqId, sub);
    this.sym[si].mktData.push(sub);
  }

  private reqMktDepth(s: Session, t: string[]): void {
    // [10, 5, reqId, C×12, numRows, isSmartDepth, mktDepthOptions]
    const reqId = Number(t[2]);
    if (this.duplicate(s, reqId)) return;
    const si = this.symbolFor(s, reqId, t, 3);
    if (si < 0) return;
    const c = readContract(t, 3);
    const numRows = Number(t[3 + CONTRACT_FIELDS]);
    const isSmartDepth = t[3 + CONTRACT_FIELDS + 1] === '1';
    if (s.depth.size >= this.maxDepthRequests) {
      s.error(reqId, ERR.MAX_DEPTH_REQUESTS, `Max number (${this.maxDepthRequests}) of market depth requests has been reached`);
      return;
    }
    if (this.strictSmartDepth && c.exchange.toUpperCase() === 'SMART' && !isSmartDepth) {
      s.error(reqId, ERR.DEPTH_NOT_SUPPORTED, 'Deep market data is not supported for this combination of security type/exchange');
      return;
    }
    const spec = this.model.symbols[si];
    const rows = Number.isInteger(numRows) && numRows > 0 ? Math.min(numRows, spec.numRows) : spec.numRows;
    const sub = new DepthSub(s, reqId, si, new DepthView(this.model, si, rows), isSmartDepth || spec.level2, isSmartDepth);
    sub.view.snapshot(sub);
    s.depth.set(reqId, sub);
    this.sym[si].depth.push(sub);
  }

  private reqTickByTick(s: Session, t: string[]): void {
    // [97, reqId, C×12, tickType, numberOfTicks, ignoreSize] (no version field)
    const reqId = Number(t[1]);
    if (this.duplicate(s, reqId)) return;
    const si = this.symbolFor(s, reqId, t, 2);
    if (si < 0) return;
    const type = t[2 + CONTRACT_FIELDS];
    const kind: TbtKind | 0 = type === 'Last' ? 1 : type === 'AllLast' ? 2 : type === 'BidAsk' ? 3 : type === 'MidPoint' ? 4 : 0;
    if (kind === 0) {
      s.error(reqId, 321, `Error validating request:-'${type}' : cause - Invalid tick type`);
      return;
    }
    const sub = new TickByTickSub(s, reqId, si, kind, t[2 + CONTRACT_FIELDS + 2] === '1');
    s.tbt.set(reqId, sub);
    this.sym[si].tbt.push(sub);
    // Quote streams open with the current quote, as TWS does.
    const m = this.model;
    const timeSec = Math.floor(m.timeMs / 1000);
    if (kind === 3) {
      sub.lastBid = m.bestBid(si);
      sub.lastAsk = m.bestAsk(si);
      msg.tickByTickBidAsk(s.w, reqId, timeSec, sub.lastBid, sub.lastAsk, m.bestBidSize(si), m.bestAskSize(si), 0);
    } else if (kind === 4) {
      sub.lastMid = (m.bestBid(si) + m.bestAsk(si)) / 2;
      msg.tickByTickMidPoint(s.w, reqId, timeSec, sub.lastMid);
    }
  }

  private reqRealTimeBars(s: Session, t: string[]): void {
    // [50, 3, reqId, C×12, barSize, whatToShow, useRTH, options]
    const reqId = Number(t[2]);
    if (this.duplicate(s, reqId)) return;
    const si = this.symbolFor(s, reqId, t, 3);
    if (si < 0) return;
    const what = (t[3 + CONTRACT_FIELDS + 1] ?? '').toUpperCase();
    if (what !== 'TRADES' && what !== 'MIDPOINT' && what !== 'BID' && what !== 'ASK') {
      s.error(reqId, 321, `Error validating request:-'bK' : cause - Invalid whatToShow '${what}'`);
      return;
    }
    const sub = new BarSub(s, reqId, si, what);
    s.bars.set(reqId, sub);
    this.sym[si].bars.push(sub);
  }

  /**
   * REQ_HISTORICAL_DATA: 1-minute TRADES bars ending now (the minute in progress included, as TWS does).
   * [20, reqId, C×12, includeExpired, endDateTime, barSize, duration, useRTH, whatToShow, formatDate,
   * keepUpToDate, chartOptions]. The simulated tape trades round the clock, so "N D" is N sessions of
   * 390 minutes whatever useRTH says; only endDateTime '' (now), bar size "1 min" and TRADES are served.
   */
  private reqHistoricalData(s: Session, t: string[]): void {
    const reqId = Number(t[1]);
    const si = this.symbolFor(s, reqId, t, 2);
    if (si < 0) return;
    const at = 2 + CONTRACT_FIELDS + 1;
    const [end, barSize, duration, , whatToShow, formatDate, keepUpToDate] = t.slice(at, at + 7);
    const hmds = (why: string) => s.error(reqId, 162, `Historical Market Data Service error message:${why}`);
    if (end !== '') return hmds('the simulator serves history ending now only (endDateTime "")');
    if (barSize !== '1 min') return hmds(`Invalid bar size "${barSize}"`);
    if ((whatToShow ?? '').toUpperCase() !== 'TRADES') return hmds(`No data of type ${whatToShow} is available`);
    if (keepUpToDate === '1' || keepUpToDate === 'true') return hmds('keepUpToDate is not served by the simulator');
    const d = /^(\d{1,6}) ([SDW])$/.exec(duration ?? '');
    if (!d) return s.error(reqId, 321, `Error validating request:-'bS' : cause - Invalid duration "${duration}"`);
    const minutes = d[2] === 'S' ? Math.ceil(Number(d[1]) / 60) : Number(d[1]) * 390 * (d[2] === 'W' ? 5 : 1);
    const answer = () => {
      if (s.state !== 'closed') this.historicalData(s, reqId, si, minutes, formatDate === '2');
    };
    // A symbol's first request calibrates its history: sliced, so the thread (the supervisor's, on a small host)
    // keeps running meanwhile; the answer follows, as a real gateway's does, some time after the request.
    if (this.history.ready(si)) answer();
    else void this.history.prepare(si).then((ready) => ready && answer());
  }

  private historicalData(s: Session, reqId: number, si: number, minutes: number, epoch: boolean): void {
    const nowMs = this.model.timeMs;
    const toMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const fromMs = toMs - minutes * MINUTE_MS;
    const date = (ms: number) => (epoch ? String(Math.floor(ms / 1000)) : formatEasternTime(ms));
    const bars = this.history.bars(si, fromMs, toMs).map((b) => ({ ...b, date: date(b.startMs) }));
    msg.historicalData(s.w, reqId, formatEasternTime(fromMs), formatEasternTime(nowMs), bars);
  }

  private removeSub(s: Session, kind: 'depth' | 'mktData' | 'tbt' | 'bars', reqId: number): void {
    const map = s[kind] as Map<number, { symbolIndex: number }>;
    const sub = map.get(reqId);
    if (!sub) return;
    map.delete(reqId);
    const list = this.sym[sub.symbolIndex][kind] as unknown[];
    const i = list.indexOf(sub);
    if (i >= 0) list.splice(i, 1);
  }

  private dropSubscriptions(s: Session): void {
    for (const kind of ['depth', 'mktData', 'tbt', 'bars'] as const) {
      for (const reqId of [...s[kind].keys()]) this.removeSub(s, kind, reqId);
    }
    s.clearSubscriptions();
  }

  private closeSession(s: Session): void {
    if (s.state === 'closed') return;
    this.dropSubscriptions(s);
    this.st.depthOpsFromClosed += s.depthOpsSent;
    s.depthOpsSent = 0;
    s.state = 'closed';
    this.sessions.delete(s);
  }

  // ------------------------------------------------------------------ orders and account

  /** Order messages run `ackMs` after arrival, first in first out (immediately when ackMs is 0). */
  private orderDesk(run: () => void): void {
    if (this.ackMs <= 0 && this.deskQueue.length === 0) return run();
    this.deskQueue.push({ due: Date.now() + this.ackMs, run });
    this.pumpDesk();
  }

  private pumpDesk(): void {
    const head = this.deskQueue[0];
    if (this.deskTimer || !head || !this.server) return;
    this.deskTimer = setTimeout(() => {
      this.deskTimer = undefined;
      const now = Date.now();
      while (this.deskQueue.length > 0 && this.deskQueue[0].due <= now) {
        const { run } = this.deskQueue.shift() as { run: () => void };
        try {
          run();
        } catch (e) {
          this.st.handlerErrors++;
          this.log(`order message failed: ${(e as Error).stack ?? e}`);
        }
      }
      this.flushAll();
      this.pumpDesk();
    }, Math.max(0, head.due - Date.now()));
  }

  private sessionFor(clientId: number): Session | undefined {
    for (const s of this.sessions) if (s.ready && s.clientId === clientId) return s;
    return undefined;
  }

  private readonly reporter: OrderReporter = {
    orderPlaced: (o: SimOrder) => {
      const s = this.sessionFor(o.clientId);
      if (!s) return;
      if (s.serverVersion >= SV.CME_TAGGING_FIELDS_IN_OPEN_ORDER) msg.openOrder(s.w, o);
      msg.orderStatus(s.w, s.serverVersion, o);
    },
    orderStatusChanged: (o: SimOrder) => {
      const s = this.sessionFor(o.clientId);
      if (!s) return;
      msg.orderStatus(s.w, s.serverVersion, o);
      if (o.status === 'Filled' && s.serverVersion >= SV.CME_TAGGING_FIELDS_IN_OPEN_ORDER) msg.openOrder(s.w, o);
    },
    executed: (o: SimOrder, e: SimExecution) => {
      const s = this.sessionFor(o.clientId);
      if (s) {
        msg.executionData(s.w, s.serverVersion, -1, e);
        msg.commissionReport(s.w, e);
      }
      this.reporter.positionChanged?.(this.orders.positionOf(o));
    },
    positionChanged: (p) => {
      for (const other of this.sessions) {
        if (other.ready && other.positionsSubscribed) msg.position(other.w, this.account, p.contract, p.qty, p.avgCost);
      }
    },
    orderError: (clientId: number, id: number, code: number, text: string) => {
      this.sessionFor(clientId)?.error(id, code, text);
    },
  };

  private sendOpenOrders(s: Session, all: boolean): void {
    for (const o of this.orders.orders.values()) {
      if (!o.active || (!all && o.clientId !== s.clientId)) continue;
      if (s.serverVersion >= SV.CME_TAGGING_FIELDS_IN_OPEN_ORDER) msg.openOrder(s.w, o);
      msg.orderStatus(s.w, s.serverVersion, o);
    }
    msg.openOrderEnd(s.w);
  }

  private reqExecutions(s: Session, t: string[]): void {
    // [7, 3, reqId, clientId, acctCode, time, symbol, secType, exchange, side]
    const reqId = Number(t[2]);
    const clientId = t[3] === '' || t[3] === undefined ? 0 : Number(t[3]);
    const acct = t[4] ?? '';
    const symbol = t[6] ?? '';
    const side = (t[9] ?? '').toUpperCase();
    for (const e of this.orders.executions) {
      if (clientId !== 0 && e.clientId !== clientId) continue;
      if (acct !== '' && e.account !== acct) continue;
      if (symbol !== '' && e.contract.symbol !== symbol) continue;
      if (side !== '' && (side === 'BUY' ? e.side !== 'BOT' : side === 'SELL' ? e.side !== 'SLD' : false)) continue;
      msg.executionData(s.w, s.serverVersion, reqId, e);
      msg.commissionReport(s.w, e);
    }
    msg.executionDataEnd(s.w, reqId);
  }

  private sendPositions(s: Session): void {
    for (const p of this.orders.allPositions()) {
      if (p.qty !== 0) msg.position(s.w, this.account, p.contract, p.qty, p.avgCost);
    }
    msg.positionEnd(s.w);
  }

  private reqAccountSummary(s: Session, t: string[]): void {
    // [62, 1, reqId, group, tags]
    const reqId = Number(t[2]);
    const tags = (t[4] ?? '').split(',').map((x) => x.trim()).filter((x) => x.length > 0);
    const values = this.orders.accountValues();
    for (const tag of tags) {
      if (tag === 'AccountType') msg.accountSummary(s.w, reqId, this.account, tag, 'INDIVIDUAL', '');
      else if (tag === 'DayTradesRemaining') msg.accountSummary(s.w, reqId, this.account, tag, '-1', '');
      else if (tag in values) msg.accountSummary(s.w, reqId, this.account, tag, money(values[tag]), 'USD');
    }
    msg.accountSummaryEnd(s.w, reqId);
    s.accountSummaries.add(reqId);
  }

  private sendAccountUpdates(s: Session): void {
    const values = this.orders.accountValues();
    for (const [k, v] of Object.entries(values)) msg.accountValue(s.w, k, money(v), 'USD', this.account);
    msg.accountValue(s.w, 'AccountCode', this.account, '', this.account);
    for (const p of this.orders.allPositions()) {
      if (p.qty === 0) continue;
      const mark = this.orders.positionMark(p); // per share (option premium per share; value × multiplier)
      const m = p.option ? 100 : 1;
      msg.portfolioValue(s.w, p.contract, p.qty, mark, p.qty * mark * m, p.avgCost, p.qty * (mark * m - p.avgCost), p.realized, this.account);
    }
    msg.accountUpdateTime(s.w, formatEasternHHMM(this.clock()));
    msg.accountDownloadEnd(s.w, this.account);
  }
}

function nonNegative(v: number, name: string): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`TwsSimulator: ${name} must be ≥ 0, got ${v}`);
  return v;
}

function positive(v: number, name: string): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`TwsSimulator: ${name} must be > 0, got ${v}`);
  return v;
}

function money(v: number): string {
  return (Math.round(v * 100) / 100).toFixed(2);
}

/** Option quotes are re-computed at most this often (a chain model evaluation per subscription). */
const OPTION_REFRESH_MS = 250;
/** A partial OPT contract matching more than this many contracts is answered with the first ones. */
const MAX_CONTRACT_DETAILS = 2000;

interface OptionSub { reqId: number; symbol: string; expiry: string; type: 'call' | 'put'; strike: number; bid: number; ask: number; bidSize: number; askSize: number; last: number; iv: number }

/** A stable positive conId per instrument (TWS's are opaque integers too): the simulators' own FNV hash. */
const conIdOf = (key: string): number => (hash32(0, key) >>> 1) || 1;
const stockConId = (symbol: string) => conIdOf(`STK:${symbol}`);

function optionDetails(x: SimContract, underConId: number): msg.ContractDetailsView {
  const ymd = x.expiration.replace(/-/g, '');
  const right = x.type === 'call' ? 'C' : 'P';
  const occ = x.contractID; // unpadded OCC
  const root = x.symbol;
  return {
    symbol: x.symbol, secType: 'OPT', lastTradeDate: ymd, strike: x.strike, right, localSymbol: root.padEnd(6, ' ') + occ.slice(root.length),
    tradingClass: root, conId: conIdOf(occ), minTick: 0.01, multiplier: 100, underConId,
    longName: `${x.symbol} ${ymd} ${x.strike} ${right}`, realExpirationDate: ymd,
  };
}
