/**
 * A loopback Alpha Vantage: `GET /query?function=…` for REALTIME_OPTIONS, HISTORICAL_OPTIONS and
 * NEWS_SENTIMENT, with the real service's habit of answering everything (bad keys, unknown symbols,
 * throttling) with HTTP 200 and a JSON body whose keys say what happened. A per-key sliding-window
 * per-minute limit answers with `Information` (or the legacy `Note`), and `forceNext` queues any
 * failure shape, HTTP 500 and truncated JSON included, for the next requests.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildChain, toWire, type SimContract } from './chainModel.js';
import { isTradingDay, isoDate, nyToUtcMs, nyWallTime, parseIsoDate, previousTradingDay } from './marketCalendar.js';
import * as msg from './messages.js';
import { buildNewsFeed, type NewsSort } from './newsModel.js';
import { gaussian, keyedRandom } from './random.js';

export type ForcedKind =
  | 'note'
  | 'information'
  | 'error'
  | 'premium'
  | 'daily'
  | 'demo'
  /** HTTP 500 with a plain-text body. */
  | 'http500'
  /** HTTP 200 with a body cut off mid-JSON. */
  | 'badJson';

export interface AlphaVantageSimulatorOptions {
  host?: string;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Current spot of an underlying; undefined means the symbol is unknown. */
  spot: (symbol: string) => number | undefined;
  nowMs?: () => number;
  /**
   * The market's clock for listing and pricing chains (expiries, time to expiry); `nowMs` (the wall) still
   * drives the rate limits. Embedded in a simulated engine it is the engine's session clock, so a "0DTE"
   * contract expires on the session's date. Default: `nowMs`.
   */
  marketNowMs?: () => number;
  /** Premium keys. Default ['demo-sim-key']. */
  validKeys?: string[];
  /** Free-tier keys: premium endpoints refused, 25 requests a day. */
  freeKeys?: string[];
  /** Requests per key in any 60 s window before throttling. Default 600. */
  perMinuteLimit?: number;
  /** What an over-limit request gets. Default 'information' (the current service); 'note' is the legacy shape. */
  limitResponse?: 'information' | 'note';
  seed?: number;
  /** Continuous risk-free rate used to price the chains. Default 0.045. */
  rate?: number;
  dividendYield?: (symbol: string) => number;
  /** Underlyings that list an expiry every trading day. Default SPY, QQQ, IWM. */
  dailyExpirySymbols?: string[];
}

export interface AlphaVantageSimulatorStats {
  requests: number;
  byFunction: Record<string, number>;
  ok: number;
  errorMessages: number;
  information: number;
  notes: number;
  http500: number;
  badJson: number;
  /** Requests refused by the per-minute limit. */
  rateLimited: number;
  /** Requests answered from the forceNext queue. */
  forced: number;
}

const MINUTE_MS = 60_000;
const FREE_DAILY_LIMIT = 25;
const PREMIUM_FUNCTIONS = new Set(['REALTIME_OPTIONS', 'HISTORICAL_OPTIONS']);
const FIRST_HISTORICAL_DAY = parseIsoDate('2008-01-01')!;

/** Timestamps of admitted requests for one key, oldest first; pruned lazily. */
class SlidingWindow {
  private times: number[] = [];
  private head = 0;

  count(now: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= now - MINUTE_MS) this.head++;
    if (this.head > 1024) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  add(now: number): void {
    this.times.push(now);
  }
}

export class AlphaVantageSimulator {
  private readonly host: string;
  private readonly port: number;
  private readonly spot: (symbol: string) => number | undefined;
  private readonly now: () => number;
  private readonly marketNow: () => number;
  private readonly validKeys: Set<string>;
  private readonly freeKeys: Set<string>;
  private readonly perMinuteLimit: number;
  private readonly limitResponse: 'information' | 'note';
  private readonly seed: number;
  private readonly rate: number;
  private readonly dividendYield: (symbol: string) => number;
  private readonly dailySymbols: Set<string>;
  private readonly windows = new Map<string, SlidingWindow>();
  private readonly daily = new Map<string, { day: number; count: number }>();
  private readonly forced: ForcedKind[] = [];
  private server: Server | undefined;
  private readonly counters: AlphaVantageSimulatorStats = {
    requests: 0,
    byFunction: {},
    ok: 0,
    errorMessages: 0,
    information: 0,
    notes: 0,
    http500: 0,
    badJson: 0,
    rateLimited: 0,
    forced: 0,
  };

  constructor(opts: AlphaVantageSimulatorOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.spot = opts.spot;
    this.now = opts.nowMs ?? Date.now;
    this.marketNow = opts.marketNowMs ?? this.now;
    this.validKeys = new Set(opts.validKeys ?? ['demo-sim-key']);
    this.freeKeys = new Set(opts.freeKeys ?? []);
    this.perMinuteLimit = opts.perMinuteLimit ?? 600;
    this.limitResponse = opts.limitResponse ?? 'information';
    this.seed = opts.seed ?? 42;
    this.rate = opts.rate ?? 0.045;
    this.dividendYield = opts.dividendYield ?? (() => 0);
    this.dailySymbols = new Set(opts.dailyExpirySymbols ?? ['SPY', 'QQQ', 'IWM']);
  }

  async start(): Promise<{ baseUrl: string }> {
    if (this.server) throw new Error('AlphaVantageSimulator already started');
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return { baseUrl: `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}` };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Queue a failure for the next request (call again to queue several, answered in order). */
  forceNext(kind: ForcedKind): void {
    this.forced.push(kind);
  }

  stats(): AlphaVantageSimulatorStats {
    return { ...this.counters, byFunction: { ...this.counters.byFunction } };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counters.requests++;
    try {
      const url = new URL(req.url ?? '/', 'http://sim.invalid');
      if (req.method !== 'GET' || url.pathname !== '/query') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const fn = (url.searchParams.get('function') ?? '').toUpperCase();
      this.counters.byFunction[fn] = (this.counters.byFunction[fn] ?? 0) + 1;
      const forced = this.forced.shift();
      if (forced) {
        this.counters.forced++;
        this.sendForced(res, forced, fn);
        return;
      }
      this.send(res, this.answer(fn, url.searchParams), url.searchParams.get('datatype'));
    } catch (err) {
      // A simulator bug must still answer, and visibly: a 500 the client will count.
      this.counters.http500++;
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`simulator error: ${(err as Error).message}`);
    }
  }

  private sendForced(res: ServerResponse, kind: ForcedKind, fn: string): void {
    switch (kind) {
      case 'http500':
        this.counters.http500++;
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
        return;
      case 'badJson':
        this.counters.badJson++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"endpoint": "Realtime Options", "message": "succ');
        return;
      case 'note':
        return this.send(res, msg.NOTE, null);
      case 'information':
        return this.send(res, msg.INFORMATION_BURST, null);
      case 'premium':
        return this.send(res, msg.INFORMATION_PREMIUM, null);
      case 'daily':
        return this.send(res, msg.INFORMATION_DAILY, null);
      case 'demo':
        return this.send(res, msg.INFORMATION_DEMO, null);
      case 'error':
        return this.send(res, msg.invalidCall(fn || 'the requested function'), null);
    }
  }

  private send(res: ServerResponse, body: Record<string, unknown>, datatype: string | null): void {
    if ('Error Message' in body) this.counters.errorMessages++;
    else if ('Information' in body) this.counters.information++;
    else if ('Note' in body) this.counters.notes++;
    else this.counters.ok++;
    if (datatype?.toLowerCase() === 'csv' && Array.isArray(body.data)) {
      res.writeHead(200, { 'content-type': 'application/x-download' }).end(toCsv(body.data as Record<string, string>[]));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private answer(fn: string, params: URLSearchParams): Record<string, unknown> {
    const key = params.get('apikey') ?? '';
    const premium = this.validKeys.has(key);
    const free = this.freeKeys.has(key);
    if (!premium && !free) return key === 'demo' ? msg.INFORMATION_DEMO : msg.INVALID_KEY;
    if (fn !== 'REALTIME_OPTIONS' && fn !== 'HISTORICAL_OPTIONS' && fn !== 'NEWS_SENTIMENT') {
      return msg.invalidCall(fn || 'the requested function');
    }
    const now = this.now();
    const throttled = this.admit(key, free, now);
    if (throttled) return throttled;
    if (free && PREMIUM_FUNCTIONS.has(fn)) return msg.INFORMATION_PREMIUM;
    if (fn === 'REALTIME_OPTIONS') return this.realtimeOptions(params, this.marketNow());
    if (fn === 'HISTORICAL_OPTIONS') return this.historicalOptions(params, this.marketNow());
    return this.newsSentiment(params, now);
  }

  /** Counts the request against the key's limits; returns the throttle body when over a limit. */
  private admit(key: string, free: boolean, now: number): Record<string, unknown> | undefined {
    if (free) {
      const today = nyWallTime(now).day;
      const d = this.daily.get(key);
      const entry = d && d.day === today ? d : { day: today, count: 0 };
      this.daily.set(key, entry);
      if (entry.count >= FREE_DAILY_LIMIT) return msg.INFORMATION_DAILY;
      entry.count++;
    }
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = new SlidingWindow()));
    if (w.count(now) >= this.perMinuteLimit) {
      this.counters.rateLimited++;
      return this.limitResponse === 'note' ? msg.NOTE : msg.INFORMATION_BURST;
    }
    w.add(now);
    return undefined;
  }

  private knownSpot(symbol: string): number | undefined {
    if (!/^[A-Z][A-Z0-9.]{0,9}$/.test(symbol)) return undefined;
    const s = this.spot(symbol);
    return s !== undefined && Number.isFinite(s) && s > 0 ? s : undefined;
  }

  private chain(symbol: string, spot: number, nowMs: number, quoteDate: string, sessionFraction: number): SimContract[] {
    return buildChain({
      symbol,
      spot,
      nowMs,
      seed: this.seed,
      r: this.rate,
      q: this.dividendYield(symbol),
      daily: this.dailySymbols.has(symbol),
      quoteDate,
      sessionFraction,
    });
  }

  private realtimeOptions(params: URLSearchParams, now: number): Record<string, unknown> {
    const symbol = (params.get('symbol') ?? '').toUpperCase();
    const spot = this.knownSpot(symbol);
    if (spot === undefined) return msg.invalidCall('REALTIME_OPTIONS');
    const greeks = (params.get('require_greeks') ?? '').toLowerCase() === 'true';
    const wall = nyWallTime(now);
    let contracts = this.chain(symbol, spot, now, isoDate(wall.day), sessionFraction(wall.day, wall.minutes));
    const only = params.get('contract');
    if (only) contracts = contracts.filter((c) => c.contractID === only.toUpperCase());
    return { endpoint: 'Realtime Options', message: 'success', data: contracts.map((c) => toWire(c, greeks)) };
  }

  private historicalOptions(params: URLSearchParams, now: number): Record<string, unknown> {
    const symbol = (params.get('symbol') ?? '').toUpperCase();
    const spot = this.knownSpot(symbol);
    if (spot === undefined) return msg.invalidCall('HISTORICAL_OPTIONS');
    const wall = nyWallTime(now);
    const dateParam = params.get('date');
    const day = dateParam ? parseIsoDate(dateParam) : previousTradingDay(wall.day);
    const lastAllowed = isTradingDay(wall.day) && wall.minutes >= 16 * 60 ? wall.day : wall.day - 1;
    if (day === undefined || day < FIRST_HISTORICAL_DAY || day > lastAllowed) return msg.invalidCall('HISTORICAL_OPTIONS');
    if (!isTradingDay(day)) return { endpoint: 'Historical Options', message: 'success', data: [] };
    // That day's close: today's spot walked back by a seeded return that grows with the distance.
    const daysAgo = Math.max(0, wall.day - day);
    const z = gaussian(keyedRandom(this.seed, `hist|${symbol}|${day}`));
    const histSpot = spot * Math.exp(0.01 * Math.sqrt(daysAgo) * z);
    // One minute before the close, so that day's expiring series are still in the snapshot.
    const asOf = nyToUtcMs(day, 16 * 60 - 1);
    const contracts = this.chain(symbol, histSpot, asOf, isoDate(day), 1);
    return { endpoint: 'Historical Options', message: 'success', data: contracts.map((c) => toWire(c, true)) };
  }

  private newsSentiment(params: URLSearchParams, now: number): Record<string, unknown> {
    const raw = params.get('tickers');
    const tickers = raw ? raw.split(',').map((t) => t.trim().toUpperCase()).filter((t) => t.length > 0) : [];
    for (const t of tickers) {
      if (!/^(CRYPTO|FOREX):[A-Z]{2,10}$/.test(t) && this.knownSpot(t) === undefined) return msg.invalidCall('NEWS_SENTIMENT');
    }
    const sortParam = (params.get('sort') ?? 'LATEST').toUpperCase();
    if (sortParam !== 'LATEST' && sortParam !== 'EARLIEST' && sortParam !== 'RELEVANCE') return msg.invalidCall('NEWS_SENTIMENT');
    const limitParam = Number(params.get('limit') ?? '50');
    const limit = Number.isInteger(limitParam) ? Math.max(1, Math.min(1000, limitParam)) : 50;
    return buildNewsFeed({ tickers, nowMs: now, seed: this.seed, limit, sort: sortParam as NewsSort });
  }
}

/** Share of the regular session (09:30–16:00) already traded; a closed day counts as complete. */
export function sessionFraction(day: number, minutes: number): number {
  if (!isTradingDay(day)) return 1;
  return Math.max(0.02, Math.min(1, (minutes - 570) / 390));
}

function toCsv(rows: Record<string, string>[]): string {
  if (rows.length === 0) return 'contractID,symbol,expiration,strike,type,last,mark,bid,bid_size,ask,ask_size,volume,open_interest,date\r\n';
  const keys = Object.keys(rows[0]!);
  return [keys.join(','), ...rows.map((r) => keys.map((k) => r[k] ?? '').join(','))].join('\r\n') + '\r\n';
}
