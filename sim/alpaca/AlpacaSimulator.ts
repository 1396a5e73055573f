/**
 * A loopback Alpaca paper-trading server: REST v2 (protocols.md C1) and the trade_updates WebSocket
 * (C2) on one port, for the real @alpacahq/alpaca-trade-api client. Header auth, the documented status
 * codes and error bodies, a 200 requests/minute limit with X-RateLimit-* headers, and fault injection
 * (429, 403, 422, 500, a withheld answer, a dropped stream, an asynchronous rejection) on demand.
 */
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { addDays, etDate, parseDate } from '../../analytics/calendar.js';
import type { OptionMarket } from '../options/OptionMarket.js';
import { AlpacaExchange, isOpenStatus, type ApiFailure, type QuoteFn, type SimOrder, type TradeUpdateExtra } from './AlpacaExchange.js';
import { dec, parseAmount, rfc3339Nano } from './format.js';
import { OptionContracts } from './OptionContracts.js';
import { accountJson, activityJson, calendarJson, clockJson, nonTradeJson, orderJson, positionJson } from './shapes.js';

/**
 * '429' '403' '422' '500': the next matching request gets that answer and is not processed.
 * 'timeout': the next matching request IS processed but its answer is withheld until the client gives up.
 * 'hang': the next matching request is neither processed nor answered.
 * 'drop-stream': the next trade_updates event is lost and every stream connection is dropped.
 * 'reject': the next accepted order is rejected (`rejected` event) instead of going `new`.
 */
export type AlpacaFaultKind = '429' | '403' | '422' | '500' | 'timeout' | 'hang' | 'drop-stream' | 'reject';

export interface AlpacaFaultOptions {
  /** Only requests with this method (default any). */
  method?: string;
  /** Only requests whose path starts with this (default any). */
  path?: string;
  /** Retry-After seconds on a forced 429 (default 1; fractions allowed). */
  retryAfterSec?: number;
}

export interface AlpacaSimulatorOptions {
  host?: string;
  /** 0 = ephemeral (default). */
  port?: number;
  keyId?: string;
  secret?: string;
  /** GET /v2/account `account_number` (default a random PA… number, as a new paper account). */
  accountNumber?: string;
  quote: QuoteFn;
  /** Simulated time for order timestamps and the clock (default Date.now). */
  nowMs?: () => number;
  /** Delay between lifecycle steps (accepted → new → each fill chunk), default 5 ms. */
  fillDelayMs?: number;
  /**
   * Order latency, wall ms (default 0: off). `ackMs`: the answer to POST /v2/orders comes that long after
   * the order is created (it exists at once: GET by client order id finds it `accepted`), and the order only
   * goes `new` and works after it; a single-order DELETE answers 204 at once and takes effect ackMs later. `fillMs`: each fill step waits that long after the order went `new` and
   * after the previous step. `fillSlices`: an order fills in at most that many steps' worth of chunks
   * (a chunk is ⌈qty / fillSlices⌉ shares, or smaller when maxChunk or the quoted size is).
   */
  ackMs?: number;
  fillMs?: number;
  fillSlices?: number;
  /**
   * Close (epoch ms, `nowMs` time) of the session an order belongs to: CLS orders fill at it, at the last
   * mid before it, and DAY orders expire at it (e.g. NYSE.nextCloseMs on the engine's session clock).
   * Unset (default): CLS orders wait for runAuction() and DAY orders for expireDay() / enforceHours.
   */
  sessionClose?: (nowMs: number) => number;
  /** Re-check period for resting orders, default 25 ms. */
  pollMs?: number;
  /** Largest fill chunk in shares (default 100). */
  maxChunk?: number;
  /** Price walk per chunk (default $0.01). */
  slippagePerChunk?: number;
  /** Default $100,000, as a new paper account. */
  startingCash?: number;
  /** Margin multiplier (default 4, as paper accounts): buying power = multiplier × equity − gross exposure − open buys. */
  multiplier?: number;
  /** Requests per minute before 429 (default 200, Alpaca's per-account limit). */
  rateLimitPerMin?: number;
  /** Wall clock for the rate-limit window (default Date.now), independent of a simulated session clock. */
  wallMs?: () => number;
  /** Hold orders outside the regular session and expire DAY orders at the close (default false). */
  enforceHours?: boolean;
  /**
   * Listed options (the shared OptionMarket the TWS simulator quotes from): enables GET /v2/options/contracts,
   * option orders by OCC symbol, option positions and the expiry step. Unset: no options (level 0).
   */
  options?: OptionMarket;
  /** options_trading_level with `options` (default 3, paper's default being "enabled"; unverified which level). */
  optionsLevel?: number;
  /** Underlyings GET /v2/options/contracts lists when the request names none (default SPY, QQQ, IWM). */
  optionUnderlyings?: readonly string[];
  log?: (line: string) => void;
}

export interface AlpacaSimulatorStats {
  requests: number;
  byStatus: Record<string, number>;
  faultsApplied: number;
  badRequests: number;
  rateLimited: number;
  heldResponses: number;
  streamConnections: number;
  streamClients: number;
  streamBadMessages: number;
  streamEventsSent: number;
  streamEventsLost: number;
  streamDrops: number;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Fault extends AlpacaFaultOptions {
  kind: AlpacaFaultKind;
}

interface StreamClient {
  ws: WebSocket;
  authed: boolean;
  listening: boolean;
}

const MAX_BODY = 1 << 20;
const ERR_BODY_FORMAT = { code: 40010000, message: 'request body format is invalid' };

function failure(f: ApiFailure): Reply {
  return { status: f.status, body: { code: f.code, message: f.message, ...f.extra } };
}

function isFailure(x: unknown): x is ApiFailure {
  return typeof x === 'object' && x !== null && 'code' in x && 'status' in x && 'message' in x && !('id' in x);
}

const notFound = (message: string): Reply => ({ status: 404, body: { code: 40410000, message } });
const invalid = (message: string): Reply => ({ status: 422, body: { code: 40010001, message } });

export class AlpacaSimulator {
  private readonly keyId: string;
  private readonly secret: string;
  private readonly nowMs: () => number;
  private readonly wallMs: () => number;
  private readonly rateLimit: number;
  private readonly multiplier: number;
  private readonly exchange: AlpacaExchange;
  private readonly contracts?: OptionContracts;
  private expiryTimer?: NodeJS.Timeout;
  private readonly accountId = randomUUID();
  private readonly accountNumber: string;
  private readonly accountCreatedAt: string;
  private server?: http.Server;
  private wss?: WebSocketServer;
  private readonly clients = new Set<StreamClient>();
  private readonly held = new Set<http.ServerResponse>();
  private faults: Fault[] = [];
  private dropStreamAt = 0;
  private window = { start: 0, count: 0 };
  private readonly log: (line: string) => void;
  private readonly st: AlpacaSimulatorStats = {
    requests: 0, byStatus: {}, faultsApplied: 0, badRequests: 0, rateLimited: 0, heldResponses: 0, streamConnections: 0,
    streamClients: 0, streamBadMessages: 0, streamEventsSent: 0, streamEventsLost: 0, streamDrops: 0,
  };

  constructor(private readonly opts: AlpacaSimulatorOptions) {
    if (typeof opts.quote !== 'function') throw new Error('AlpacaSimulator: quote(symbol) is required');
    this.keyId = opts.keyId ?? 'PKSIMULATOR000000001';
    this.secret = opts.secret ?? 'simulator-secret';
    this.nowMs = opts.nowMs ?? Date.now;
    this.accountNumber = opts.accountNumber ?? `PA${randomBytes(5).toString('hex').toUpperCase()}`;
    this.wallMs = opts.wallMs ?? Date.now;
    this.rateLimit = opts.rateLimitPerMin ?? 200;
    this.multiplier = opts.multiplier ?? 4;
    this.log = opts.log ?? (() => {});
    this.accountCreatedAt = rfc3339Nano(this.nowMs());
    this.exchange = new AlpacaExchange({
      quote: opts.quote,
      nowMs: this.nowMs,
      fillDelayMs: opts.fillDelayMs ?? 5,
      pollMs: opts.pollMs ?? 25,
      maxChunk: opts.maxChunk ?? 100,
      slippagePerChunk: opts.slippagePerChunk ?? 0.01,
      startingCash: opts.startingCash ?? 100_000,
      multiplier: this.multiplier,
      enforceHours: opts.enforceHours ?? false,
      wallMs: this.wallMs,
      sessionClose: opts.sessionClose,
      ackMs: opts.ackMs ?? 0,
      fillMs: opts.fillMs ?? 0,
      fillSlices: opts.fillSlices ?? 1,
      options: opts.options,
      optionsLevel: opts.optionsLevel,
    });
    this.exchange.onTransition((event, o, extra) => this.broadcast(event, o, extra));
    if (opts.options) this.contracts = new OptionContracts(opts.options, opts.optionUnderlyings ?? ['SPY', 'QQQ', 'IWM']);
  }

  async start(): Promise<{ baseUrl: string; streamUrl: string }> {
    const server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        this.log(`alpaca-sim: handler error ${(err as Error)?.stack ?? String(err)}`);
        if (!res.headersSent) this.write(res, { status: 500, body: { code: 50010000, message: 'internal server error' } });
      });
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    server.on('upgrade', (req, socket: Duplex, head) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/stream') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.onStream(ws));
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    this.server = server;
    this.wss = wss;
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    if (this.opts.options) {
      // Expiries happen at the close whether or not anyone asks (requests also run the step first).
      this.expiryTimer = setInterval(() => this.expireOptions(), 1_000);
      this.expiryTimer.unref?.();
    }
    return { baseUrl: `http://${host}:${port}`, streamUrl: `ws://${host}:${port}/stream` };
  }

  async stop(): Promise<void> {
    clearInterval(this.expiryTimer);
    this.exchange.stop();
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    for (const res of this.held) res.destroy();
    this.held.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.wss?.close();
  }

  /** Queue a fault for the next matching request (or, for drop-stream/reject, the next event/order). */
  failNext(kind: AlpacaFaultKind, opts: AlpacaFaultOptions = {}): void {
    if (kind === 'drop-stream') this.dropStreamAt++;
    else if (kind === 'reject') this.exchange.rejectNext++;
    else this.faults.push({ kind, ...opts });
  }

  /** Drops every stream connection now (the clients are expected to reconnect). */
  dropStream(): number {
    const n = this.clients.size;
    for (const c of this.clients) c.ws.terminate();
    this.st.streamDrops += n > 0 ? 1 : 0;
    return n;
  }

  /** Every order ever submitted, in creation order, in the REST shape. */
  orders(): Record<string, unknown>[] {
    return this.exchange.list.map(orderJson);
  }

  positions(): Record<string, unknown>[] {
    return [...this.exchange.positions.values()].map((p) => positionJson(p, this.exchange.markPrice(p.symbol), this.heldFor(p.symbol, p.qty)));
  }

  account(): Record<string, unknown> {
    return accountJson(this.exchange, this.accountId, this.accountNumber, this.accountCreatedAt, this.multiplier);
  }

  /** Fill activities (executions), oldest first. */
  activities(): Record<string, unknown>[] {
    return this.exchange.activities.map(activityJson);
  }

  expireDay(): number {
    return this.exchange.expireDay();
  }

  /** Runs the option expiry step now (it also runs every second and before every request); the activities written. */
  expireOptions(): Record<string, unknown>[] {
    return this.exchange.expireOptions().map(nonTradeJson);
  }

  /** Non-trade activities (option expiry, exercise, assignment and their share trades), oldest first. */
  nonTradeActivities(): Record<string, unknown>[] {
    return this.exchange.nonTrade.map(nonTradeJson);
  }

  runAuction(kind: 'open' | 'close', symbol?: string): number {
    return this.exchange.runAuction(kind, symbol);
  }

  stats(): AlpacaSimulatorStats {
    return { ...this.st, byStatus: { ...this.st.byStatus }, heldResponses: this.held.size, streamClients: this.clients.size };
  }

  // ------------------------------------------------------------------ HTTP

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.st.requests++;
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim');
    } catch {
      this.st.badRequests++;
      return this.write(res, { status: 400, body: { code: 40010000, message: 'malformed request url' } });
    }
    if (req.headers['apca-api-key-id'] !== this.keyId || req.headers['apca-api-secret-key'] !== this.secret) {
      req.resume();
      return this.write(res, { status: 401, body: { message: 'unauthorized' } });
    }
    const rl = this.countRequest();
    if (rl.over) {
      req.resume();
      this.st.rateLimited++;
      return this.write(res, this.tooMany(rl.headers, Math.max(1, Math.ceil(rl.resetInMs / 1000))));
    }
    let body: Record<string, unknown> = {};
    if (method === 'POST' || method === 'PATCH') {
      const raw = await readBody(req);
      if (raw === null) {
        this.st.badRequests++;
        return this.write(res, { status: 413, body: { code: 40010000, message: 'request body too large' }, headers: rl.headers });
      }
      if (raw.length > 0) {
        try {
          const parsed: unknown = JSON.parse(raw);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
          body = parsed as Record<string, unknown>;
        } catch {
          this.st.badRequests++;
          return this.write(res, { status: 400, body: ERR_BODY_FORMAT, headers: rl.headers });
        }
      }
    } else {
      req.resume();
    }

    const fault = this.takeFault(method, url.pathname);
    if (fault) {
      this.st.faultsApplied++;
      this.log(`alpaca-sim: fault ${fault.kind} on ${method} ${url.pathname}`);
      switch (fault.kind) {
        case '429':
          this.st.rateLimited++;
          return this.write(res, this.tooMany({ ...rl.headers, 'X-RateLimit-Remaining': '0' }, fault.retryAfterSec ?? 1));
        case '403':
          return this.write(res, { status: 403, body: { code: 40310000, message: 'insufficient buying power' }, headers: rl.headers });
        case '422':
          return this.write(res, { status: 422, body: { code: 40010001, message: 'invalid input (fault injection)' }, headers: rl.headers });
        case '500':
          return this.write(res, { status: 500, body: { code: 50010000, message: 'internal server error' }, headers: rl.headers });
        case 'timeout':
          this.route(method, url, body); // processed, answer withheld
          return this.hold(res);
        case 'hang':
          return this.hold(res);
        default:
          break;
      }
    }
    const reply = this.route(method, url, body);
    reply.headers = { ...rl.headers, ...reply.headers };
    const ackMs = this.opts.ackMs ?? 0;
    if (ackMs > 0 && method === 'POST' && url.pathname === '/v2/orders' && reply.status === 200) {
      // Acknowledgement latency: the order exists (and is found by GET) but its answer is still on the way.
      this.hold(res);
      setTimeout(() => {
        this.held.delete(res);
        if (!res.destroyed && !res.writableEnded) this.write(res, reply);
      }, ackMs);
      return;
    }
    this.write(res, reply);
  }

  private hold(res: http.ServerResponse): void {
    this.held.add(res);
    res.on('close', () => this.held.delete(res));
  }

  private tooMany(headers: Record<string, string>, retryAfterSec: number): Reply {
    return {
      status: 429,
      body: { code: 42910000, message: 'rate limit exceeded' },
      headers: { ...headers, 'Retry-After': String(retryAfterSec) },
    };
  }

  private countRequest(): { over: boolean; headers: Record<string, string>; resetInMs: number } {
    const now = this.wallMs();
    if (now - this.window.start >= 60_000) this.window = { start: now, count: 0 };
    this.window.count++;
    const resetMs = this.window.start + 60_000;
    return {
      over: this.window.count > this.rateLimit,
      resetInMs: resetMs - now,
      headers: {
        'X-RateLimit-Limit': String(this.rateLimit),
        'X-RateLimit-Remaining': String(Math.max(0, this.rateLimit - this.window.count)),
        'X-RateLimit-Reset': String(Math.ceil(resetMs / 1000)),
      },
    };
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const i = this.faults.findIndex((f) => (!f.method || f.method.toUpperCase() === method) && (!f.path || path.startsWith(f.path)));
    if (i < 0) return undefined;
    return this.faults.splice(i, 1)[0];
  }

  private write(res: http.ServerResponse, r: Reply): void {
    const key = String(r.status);
    this.st.byStatus[key] = (this.st.byStatus[key] ?? 0) + 1;
    const headers: Record<string, string> = { 'X-Request-ID': randomBytes(16).toString('hex'), ...r.headers };
    if (r.status === 204 || r.body === undefined) {
      res.writeHead(r.status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(r.body);
    headers['Content-Type'] = 'application/json; charset=UTF-8';
    headers['Content-Length'] = String(Buffer.byteLength(text));
    res.writeHead(r.status, headers);
    res.end(text);
  }

  private route(method: string, url: URL, body: Record<string, unknown>): Reply {
    const path = url.pathname.replace(/\/+$/, '');
    const q = url.searchParams;
    this.exchange.expireOptions();
    if (path === '/v2/options/contracts' || path.startsWith('/v2/options/contracts/')) {
      if (method !== 'GET') return { status: 405, body: { code: 40510000, message: 'method not allowed' } };
      if (!this.contracts) return notFound('endpoint not found');
      const sub = path.slice('/v2/options/contracts'.length + 1);
      return sub ? this.contracts.one(decodeURIComponent(sub)) : this.contracts.list(q);
    }
    const m = /^\/v2\/(orders|positions|account|clock|calendar)(?::by_client_order_id)?(?:\/(.+))?$/.exec(path);
    if (!m) return notFound('endpoint not found');
    const [, resource, sub] = m;
    const byClient = path === '/v2/orders:by_client_order_id';
    const disallowed: Reply = { status: 405, body: { code: 40510000, message: 'method not allowed' } };
    switch (resource) {
      case 'orders':
        if (byClient) return method === 'GET' ? this.orderByClientId(q) : disallowed;
        if (sub === undefined) {
          if (method === 'POST') return this.postOrder(body);
          if (method === 'GET') return this.listOrders(q);
          if (method === 'DELETE') return this.cancelAll();
          return disallowed;
        }
        if (method === 'GET') return this.getOrder(decodeURIComponent(sub));
        if (method === 'DELETE') return this.cancelOne(decodeURIComponent(sub));
        if (method === 'PATCH') return this.patchOrder(decodeURIComponent(sub), body);
        return disallowed;
      case 'positions':
        if (sub === undefined) {
          if (method === 'GET') return { status: 200, body: this.positions() };
          if (method === 'DELETE') return this.closeAll(q);
          return disallowed;
        }
        if (method === 'GET') return this.getPosition(decodeURIComponent(sub));
        if (method === 'DELETE') return this.closePosition(decodeURIComponent(sub), q);
        return disallowed;
      case 'account':
        if (method !== 'GET') return disallowed;
        if (sub === undefined) return { status: 200, body: this.account() };
        if (sub === 'activities') return this.activitiesReply(q.get('activity_types') ?? '', q);
        if (sub.startsWith('activities/')) return this.activitiesReply(decodeURIComponent(sub.slice('activities/'.length)), q);
        return notFound('endpoint not found');
      case 'clock':
        return method === 'GET' && sub === undefined ? { status: 200, body: clockJson(this.nowMs()) } : disallowed;
      case 'calendar':
        return method === 'GET' && sub === undefined ? this.calendar(q) : disallowed;
      default:
        return notFound('endpoint not found');
    }
  }

  private postOrder(body: Record<string, unknown>): Reply {
    const r = this.exchange.submit(body);
    if (isFailure(r)) return failure(r);
    return { status: 200, body: orderJson(r) };
  }

  private listOrders(q: URLSearchParams): Reply {
    const status = q.get('status') ?? 'open';
    if (status !== 'open' && status !== 'closed' && status !== 'all') return invalid('invalid status');
    const limitRaw = q.get('limit');
    const limit = limitRaw === null ? 50 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return invalid('invalid limit');
    const direction = q.get('direction') ?? 'desc';
    if (direction !== 'asc' && direction !== 'desc') return invalid('invalid direction');
    const after = q.get('after');
    const until = q.get('until');
    const afterMs = after === null ? -Infinity : Date.parse(after);
    const untilMs = until === null ? Infinity : Date.parse(until);
    if (Number.isNaN(afterMs)) return invalid('invalid after');
    if (Number.isNaN(untilMs)) return invalid('invalid until');
    const side = q.get('side');
    if (side !== null && side !== 'buy' && side !== 'sell') return invalid('invalid side');
    const symbolsRaw = q.get('symbols');
    const symbols = symbolsRaw ? new Set(symbolsRaw.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean)) : null;
    const picked: SimOrder[] = [];
    for (const o of this.exchange.list) {
      const open = isOpenStatus(o.status);
      if ((status === 'open' && !open) || (status === 'closed' && open)) continue;
      if (o.createdMs <= afterMs || o.createdMs >= untilMs) continue;
      if (side !== null && o.side !== side) continue;
      if (symbols && !symbols.has(o.symbol)) continue;
      picked.push(o);
    }
    if (direction === 'desc') picked.reverse();
    return { status: 200, body: picked.slice(0, limit).map(orderJson) };
  }

  private getOrder(id: string): Reply {
    const o = this.exchange.orders.get(id);
    return o ? { status: 200, body: orderJson(o) } : notFound('order not found');
  }

  private orderByClientId(q: URLSearchParams): Reply {
    const coid = q.get('client_order_id');
    if (!coid) return invalid('client_order_id is required');
    const id = this.exchange.byClientId.get(coid);
    const o = id === undefined ? undefined : this.exchange.orders.get(id);
    return o ? { status: 200, body: orderJson(o) } : notFound('order not found');
  }

  private cancelOne(id: string): Reply {
    const ackMs = this.opts.ackMs ?? 0;
    if (ackMs > 0) {
      // As Alpaca: 204 at once, the cancel takes effect later; what fills meanwhile stays filled (it won the race).
      const o = this.exchange.orders.get(id);
      if (!o) return notFound('order not found');
      if (!isOpenStatus(o.status)) return { status: 422, body: { code: 42210000, message: `order is already in "${o.status}" state` } };
      setTimeout(() => {
        if (isOpenStatus(o.status)) this.exchange.cancel(id);
      }, ackMs);
      return { status: 204 };
    }
    const f = this.exchange.cancel(id);
    return f ? failure(f) : { status: 204 };
  }

  private cancelAll(): Reply {
    const out: unknown[] = [];
    for (const o of [...this.exchange.list]) {
      if (!isOpenStatus(o.status)) continue;
      const f = this.exchange.cancel(o.id);
      out.push(f ? { id: o.id, status: f.status, body: { code: f.code, message: f.message } } : { id: o.id, status: 200, body: orderJson(o) });
    }
    return { status: 207, body: out };
  }

  private patchOrder(id: string, body: Record<string, unknown>): Reply {
    const r = this.exchange.replace(id, body);
    if (isFailure(r)) return failure(r);
    return { status: 200, body: orderJson(r) };
  }

  private findPosition(symbolOrAssetId: string) {
    const key = symbolOrAssetId.toUpperCase();
    const bySymbol = this.exchange.positions.get(key);
    if (bySymbol) return bySymbol;
    for (const p of this.exchange.positions.values()) if (p.assetId === symbolOrAssetId) return p;
    return undefined;
  }

  private heldFor(symbol: string, qty: number): number {
    return this.exchange.heldQty(symbol, qty);
  }

  private getPosition(s: string): Reply {
    const p = this.findPosition(s);
    return p
      ? { status: 200, body: positionJson(p, this.exchange.markPrice(p.symbol), this.heldFor(p.symbol, p.qty)) }
      : notFound('position does not exist');
  }

  private closeOrder(symbol: string, positionQty: number, qty: number): SimOrder | ApiFailure {
    return this.exchange.submit(
      { symbol, side: positionQty > 0 ? 'sell' : 'buy', type: 'market', time_in_force: 'day', qty: dec(qty) },
      true,
    );
  }

  private closePosition(s: string, q: URLSearchParams): Reply {
    const p = this.findPosition(s);
    if (!p) return notFound('position does not exist');
    const qtyRaw = q.get('qty');
    const pctRaw = q.get('percentage');
    if (qtyRaw !== null && pctRaw !== null) return invalid('only one of qty or percentage may be given');
    const abs = Math.abs(p.qty);
    let qty = abs;
    if (qtyRaw !== null) {
      const v = parseAmount(qtyRaw);
      if (v === undefined || !(v > 0)) return invalid('invalid qty');
      qty = v;
    } else if (pctRaw !== null) {
      const v = parseAmount(pctRaw);
      if (v === undefined || !(v > 0) || v > 100) return invalid('invalid percentage');
      qty = Math.floor(abs * (v / 100) * 1e9) / 1e9;
    }
    const available = abs - this.heldFor(p.symbol, p.qty);
    if (qty > available + 1e-9) {
      return { status: 403, body: { code: 40310000, message: `insufficient qty available for order (requested: ${dec(qty)}, available: ${dec(available)})` } };
    }
    const r = this.closeOrder(p.symbol, p.qty, qty);
    return isFailure(r) ? failure(r) : { status: 200, body: orderJson(r) };
  }

  private closeAll(q: URLSearchParams): Reply {
    if (q.get('cancel_orders') === 'true') {
      for (const o of [...this.exchange.list]) if (isOpenStatus(o.status)) this.exchange.cancel(o.id);
    }
    const out: unknown[] = [];
    for (const p of [...this.exchange.positions.values()]) {
      const available = Math.abs(p.qty) - this.heldFor(p.symbol, p.qty);
      if (available <= 1e-9) {
        out.push({ symbol: p.symbol, status: 403, body: { code: 40310000, message: 'insufficient qty available for order' } });
        continue;
      }
      const r = this.closeOrder(p.symbol, p.qty, available);
      out.push(isFailure(r) ? { symbol: p.symbol, status: r.status, body: { code: r.code, message: r.message } } : { symbol: p.symbol, status: 200, body: orderJson(r) });
    }
    return { status: 207, body: out };
  }

  private activitiesReply(types: string, q: URLSearchParams): Reply {
    const wanted = types.split(',').map((t) => t.trim().toUpperCase()).filter(Boolean);
    const direction = q.get('direction') ?? 'desc';
    if (direction !== 'asc' && direction !== 'desc') return invalid('invalid direction');
    const pageSizeRaw = q.get('page_size');
    const pageSize = pageSizeRaw === null ? 100 : Number(pageSizeRaw);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) return invalid('invalid page_size');
    const bound = (name: string): number | null | undefined => {
      const v = q.get(name);
      if (v === null) return undefined;
      const t = Date.parse(v);
      return Number.isNaN(t) ? null : t;
    };
    const after = bound('after');
    const until = bound('until');
    if (after === null) return invalid('invalid after');
    if (until === null) return invalid('invalid until');
    const date = q.get('date');
    if (date !== null && !/^\d{4}-\d{2}-\d{2}/.test(date)) return invalid('invalid date');
    const want = (t: string): boolean => wanted.length === 0 || wanted.includes(t);
    // Fills and the expiry step's non-trade activities, in time order (each list already is).
    const rows: { id: string; ms: number; json: () => Record<string, unknown> }[] = [];
    if (want('FILL')) for (const a of this.exchange.activities) rows.push({ id: a.id, ms: a.ms, json: () => activityJson(a) });
    for (const a of this.exchange.nonTrade) if (want(a.type)) rows.push({ id: a.id, ms: a.ms, json: () => nonTradeJson(a) });
    rows.sort((a, b) => a.ms - b.ms);
    let list = rows.filter(
      (a) => (after === undefined || a.ms > after) && (until === undefined || a.ms < until) && (date === null || etDate(a.ms) === date.slice(0, 10)),
    );
    if (direction === 'desc') list = list.slice().reverse();
    const token = q.get('page_token');
    if (token) {
      const i = list.findIndex((a) => a.id === token);
      list = i < 0 ? [] : list.slice(i + 1);
    }
    return { status: 200, body: list.slice(0, pageSize).map((a) => a.json()) };
  }

  private calendar(q: URLSearchParams): Reply {
    const valid = (d: string): boolean => {
      try {
        parseDate(d);
        return true;
      } catch {
        return false;
      }
    };
    const start = (q.get('start') ?? etDate(this.nowMs())).slice(0, 10);
    if (!valid(start)) return invalid('invalid start');
    const end = (q.get('end') ?? addDays(start, 30)).slice(0, 10);
    if (!valid(end)) return invalid('invalid end');
    return { status: 200, body: calendarJson(start, end) };
  }

  // ------------------------------------------------------------------ trade_updates stream

  private onStream(ws: WebSocket): void {
    const c: StreamClient = { ws, authed: false, listening: false };
    this.clients.add(c);
    this.st.streamConnections++;
    ws.on('message', (data: RawData) => this.onStreamMessage(c, data));
    ws.on('close', () => this.clients.delete(c));
    ws.on('error', () => this.clients.delete(c));
  }

  private sendFrame(c: StreamClient, msg: unknown): void {
    // Real paper trading sends binary frames; both SDKs must cope with them.
    c.ws.send(Buffer.from(JSON.stringify(msg)), { binary: true });
  }

  private onStreamMessage(c: StreamClient, data: RawData): void {
    let msg: { action?: unknown; data?: { key_id?: unknown; secret_key?: unknown; streams?: unknown } };
    try {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      msg = JSON.parse(text);
      if (typeof msg !== 'object' || msg === null) throw new Error('not an object');
    } catch {
      this.st.streamBadMessages++;
      this.sendFrame(c, { action: 'error', data: { error_message: 'invalid syntax' } });
      return;
    }
    if (msg.action === 'authenticate') {
      const ok = msg.data?.key_id === this.keyId && msg.data?.secret_key === this.secret;
      c.authed = ok;
      this.sendFrame(c, { stream: 'authorization', data: { action: 'authenticate', status: ok ? 'authorized' : 'unauthorized' } });
      return;
    }
    if (msg.action === 'listen') {
      if (!c.authed) {
        this.sendFrame(c, { stream: 'authorization', data: { action: 'listen', status: 'unauthorized' } });
        return;
      }
      const streams = Array.isArray(msg.data?.streams) ? (msg.data?.streams as unknown[]).filter((s): s is string => typeof s === 'string') : [];
      const known = streams.filter((s) => s === 'trade_updates');
      c.listening = known.length > 0;
      this.sendFrame(c, { stream: 'listening', data: { streams: known } });
      return;
    }
    this.st.streamBadMessages++;
    this.sendFrame(c, { action: 'error', data: { error_message: `unknown action ${JSON.stringify(msg.action)}` } });
  }

  private broadcast(event: string, o: SimOrder, extra: TradeUpdateExtra): void {
    if (this.dropStreamAt > 0) {
      this.dropStreamAt--;
      this.st.streamEventsLost++;
      this.dropStream();
      return;
    }
    let listeners = 0;
    for (const c of this.clients) if (c.listening) listeners++;
    if (listeners === 0) return;
    const data: Record<string, unknown> = { event };
    if (extra.executionId !== undefined) data.execution_id = extra.executionId;
    data.order = orderJson(o);
    if (extra.positionQty !== undefined) data.position_qty = dec(extra.positionQty);
    if (extra.price !== undefined) data.price = dec(extra.price, 6);
    if (extra.qty !== undefined) data.qty = dec(extra.qty);
    if (extra.timestamp !== undefined) data.timestamp = extra.timestamp;
    // One encoding per event, shared by every listener.
    const frame = Buffer.from(JSON.stringify({ stream: 'trade_updates', data }));
    for (const c of this.clients) {
      if (!c.listening) continue;
      c.ws.send(frame, { binary: true });
      this.st.streamEventsSent++;
    }
  }
}

function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}
