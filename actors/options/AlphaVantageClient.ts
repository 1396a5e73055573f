/**
 * Alpha Vantage over HTTP: builds `/query` requests, spends a rate-limiter token per HTTP request
 * (retries included), and turns every answer into a typed result:
 *
 * - ok: the body has the endpoint's shape (`data[]` for options, `feed[]` for news);
 * - throttled (`Note` / `Information`): retried with exponential back-off and jitter, then given up;
 * - fatal (`Error Message`, premium-endpoint and demo-key notices): never retried; logged once per
 *   distinct (function, subject, message), counted every time;
 * - HTTP 5xx/429/408, network errors, unparseable JSON, a wrong shape: retried a bounded number of times.
 *
 * The API key lives in a private field, is sent only in the query string, and is scrubbed from every
 * message this class logs or returns.
 */

import { classifyResponse, type FatalVariant, type ThrottleVariant } from './classifyResponse.js';
import type { TokenBucket } from './TokenBucket.js';

export type FailureKind = 'invalid' | 'throttled' | 'fatal' | 'http' | 'network' | 'json' | 'shape' | 'aborted' | 'tooLarge';

export type AvResult<T> =
  | { ok: true; value: T; fetchedAtMs: number; attempts: number }
  | { ok: false; failure: FailureKind; message: string; attempts: number };

export interface RawOptionsResponse {
  endpoint?: unknown;
  message?: unknown;
  data: unknown[];
}

export interface RawNewsResponse {
  items?: unknown;
  sentiment_score_definition?: unknown;
  relevance_score_definition?: unknown;
  feed: unknown[];
}

export type NewsSort = 'LATEST' | 'EARLIEST' | 'RELEVANCE';

/** The subset of a pino logger this layer uses. */
export interface OptionsLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FatalReport {
  function: string;
  subject: string;
  variant: FatalVariant;
  message: string;
}

export interface AlphaVantageClientOptions {
  /** e.g. `https://www.alphavantage.co` or the simulator's `http://127.0.0.1:PORT`. */
  baseUrl: string;
  apiKey: string;
  /** Shared limiter; every HTTP request (retries too) takes one token. */
  limiter?: TokenBucket;
  fetch?: typeof fetch;
  /** Wall clock for `fetchedAtMs`. Default Date.now. */
  now?: () => number;
  /** Waits for back-off and for the limiter; must reject or resolve early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Retries after `Note`/`Information` throttles. Default 3. */
  maxThrottleRetries?: number;
  /** Retries after HTTP, network, JSON or shape errors. Default 2. */
  maxTransportRetries?: number;
  /** First throttle back-off; doubles per retry, capped at backoffMaxMs. Default 2000. */
  throttleBackoffMs?: number;
  /** First transport back-off. Default 500. */
  transportBackoffMs?: number;
  backoffMaxMs?: number;
  /** Per-request timeout, body included. Default 15000. */
  timeoutMs?: number;
  /** Largest body read; the streamed read is aborted past it (an endless body would otherwise fill memory). Default 32 MiB. */
  maxBodyBytes?: number;
  /** Most contracts (data[] rows) one chain may hold; a larger chain is refused whole, not cut. Default 30000. */
  maxContracts?: number;
  log?: OptionsLog;
  /** Called once per distinct fatal error, e.g. to raise it on a monitoring key. */
  onFatal?: (report: FatalReport) => void;
}

export interface ClientMetrics {
  /** HTTP requests sent. */
  calls: number;
  ok: number;
  /** Throttle responses received (each retry's too). */
  throttles: number;
  throttlesByVariant: Record<ThrottleVariant, number>;
  retries: number;
  /** Fatal responses received (all, not just the first of a kind). */
  fatal: number;
  httpErrors: number;
  networkErrors: number;
  jsonErrors: number;
  shapeErrors: number;
  /** Requests refused before any HTTP (bad symbol). */
  invalidRequests: number;
  /** Requests that ended without data. */
  failures: number;
  /** Times a request waited for a rate-limiter token. */
  limiterWaits: number;
  /** Answers refused for their size (exported as alphatrader_venue_guard_total{venue="alpha-vantage"}). */
  guard: { oversizeBodies: number; oversizeChains: number; timeouts: number };
}

const SYMBOL = /^[A-Z][A-Z0-9.]{0,9}$/;
const NEWS_TICKER = /^(?:[A-Z][A-Z0-9.]{0,9}|CRYPTO:[A-Z0-9]{2,10}|FOREX:[A-Z]{3})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type Attempt =
  | { kind: 'body'; body: unknown }
  | { kind: 'http'; status: number; retryable: boolean }
  | { kind: 'network'; message: string }
  | { kind: 'json'; message: string }
  | { kind: 'tooLarge'; message: string }
  | { kind: 'aborted' };

export class AlphaVantageClient {
  readonly #apiKey: string;
  private readonly queryUrl: string;
  private readonly limiter: TokenBucket | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly maxThrottleRetries: number;
  private readonly maxTransportRetries: number;
  private readonly throttleBackoffMs: number;
  private readonly transportBackoffMs: number;
  private readonly backoffMaxMs: number;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly maxContracts: number;
  private readonly log: OptionsLog | undefined;
  private readonly onFatal: ((report: FatalReport) => void) | undefined;
  private readonly reportedFatal = new Set<string>();
  private readonly fatalReports: FatalReport[] = [];
  private readonly m: ClientMetrics = {
    calls: 0,
    ok: 0,
    throttles: 0,
    throttlesByVariant: { note: 0, burst: 0, daily: 0, information: 0 },
    retries: 0,
    fatal: 0,
    httpErrors: 0,
    networkErrors: 0,
    jsonErrors: 0,
    shapeErrors: 0,
    invalidRequests: 0,
    failures: 0,
    limiterWaits: 0,
    guard: { oversizeBodies: 0, oversizeChains: 0, timeouts: 0 },
  };

  constructor(opts: AlphaVantageClientOptions) {
    if (!opts.apiKey) throw new Error('AlphaVantageClient: apiKey is required');
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
    } catch {
      throw new Error(`AlphaVantageClient: baseUrl is not a URL: ${JSON.stringify(opts.baseUrl)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('AlphaVantageClient: baseUrl must be http(s)');
    this.#apiKey = opts.apiKey;
    this.queryUrl = new URL('query', base.href.endsWith('/') ? base.href : `${base.href}/`).href;
    this.limiter = opts.limiter;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? defaultSleep;
    this.random = opts.random ?? Math.random;
    this.maxThrottleRetries = opts.maxThrottleRetries ?? 3;
    this.maxTransportRetries = opts.maxTransportRetries ?? 2;
    this.throttleBackoffMs = opts.throttleBackoffMs ?? 2000;
    this.transportBackoffMs = opts.transportBackoffMs ?? 500;
    this.backoffMaxMs = opts.backoffMaxMs ?? 30_000;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.maxBodyBytes = opts.maxBodyBytes ?? 32 * 1024 * 1024;
    this.maxContracts = opts.maxContracts ?? 30_000;
    this.log = opts.log;
    this.onFatal = opts.onFatal;
  }

  /** REALTIME_OPTIONS for an underlying; greeks and IV are requested unless told otherwise. */
  realtimeOptions(
    symbol: string,
    opts: { requireGreeks?: boolean; contract?: string; signal?: AbortSignal } = {},
  ): Promise<AvResult<RawOptionsResponse>> {
    if (!SYMBOL.test(symbol)) return this.invalid(`REALTIME_OPTIONS: bad symbol ${JSON.stringify(symbol)}`);
    const params: Record<string, string> = { function: 'REALTIME_OPTIONS', symbol, require_greeks: String(opts.requireGreeks ?? true) };
    if (opts.contract !== undefined) params.contract = opts.contract;
    return this.request(params, symbol, 'data', opts.signal) as Promise<AvResult<RawOptionsResponse>>;
  }

  /** HISTORICAL_OPTIONS for a date (`YYYY-MM-DD`; default: the previous session). */
  historicalOptions(symbol: string, date?: string, opts: { signal?: AbortSignal } = {}): Promise<AvResult<RawOptionsResponse>> {
    if (!SYMBOL.test(symbol)) return this.invalid(`HISTORICAL_OPTIONS: bad symbol ${JSON.stringify(symbol)}`);
    if (date !== undefined && !DATE.test(date)) return this.invalid(`HISTORICAL_OPTIONS: bad date ${JSON.stringify(date)}`);
    const params: Record<string, string> = { function: 'HISTORICAL_OPTIONS', symbol };
    if (date !== undefined) params.date = date;
    return this.request(params, `${symbol}@${date ?? 'previous'}`, 'data', opts.signal) as Promise<AvResult<RawOptionsResponse>>;
  }

  /** NEWS_SENTIMENT for articles mentioning every ticker given. */
  newsSentiment(
    tickers: string | readonly string[],
    opts: { limit?: number; sort?: NewsSort; signal?: AbortSignal } = {},
  ): Promise<AvResult<RawNewsResponse>> {
    const list = typeof tickers === 'string' ? tickers.split(',') : [...tickers];
    if (list.length === 0 || list.some((t) => !NEWS_TICKER.test(t))) {
      return this.invalid(`NEWS_SENTIMENT: bad tickers ${JSON.stringify(list)}`);
    }
    const limit = opts.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return this.invalid(`NEWS_SENTIMENT: limit must be 1..1000`);
    const params = { function: 'NEWS_SENTIMENT', tickers: list.join(','), limit: String(limit), sort: opts.sort ?? 'LATEST' };
    return this.request(params, list.join(','), 'feed', opts.signal) as Promise<AvResult<RawNewsResponse>>;
  }

  metrics(): ClientMetrics {
    return { ...this.m, throttlesByVariant: { ...this.m.throttlesByVariant }, guard: { ...this.m.guard } };
  }

  /** Each distinct fatal error, in the order first seen. */
  fatalErrors(): readonly FatalReport[] {
    return [...this.fatalReports];
  }

  private invalid(message: string): Promise<AvResult<never>> {
    this.m.invalidRequests++;
    this.m.failures++;
    return Promise.resolve({ ok: false, failure: 'invalid', message, attempts: 0 });
  }

  private scrub(s: string): string {
    return s.split(this.#apiKey).join('***');
  }

  private backoff(retry: number, baseMs: number): number {
    const ceiling = Math.min(this.backoffMaxMs, baseMs * 2 ** (retry - 1));
    return Math.round(ceiling * (0.5 + 0.5 * this.random()));
  }

  private async request(
    params: Record<string, string>,
    subject: string,
    arrayKey: 'data' | 'feed',
    signal: AbortSignal | undefined,
  ): Promise<AvResult<unknown>> {
    const fn = params.function!;
    const url = new URL(this.queryUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    url.searchParams.set('apikey', this.#apiKey);
    let attempts = 0;
    let throttleRetries = 0;
    let transportRetries = 0;
    const fail = (failure: FailureKind, message: string): AvResult<unknown> => {
      this.m.failures++;
      return { ok: false, failure, message: this.scrub(message), attempts };
    };
    try {
      for (;;) {
        await this.acquireToken(signal);
        attempts++;
        this.m.calls++;
        const attempt = await this.once(url.href, signal);
        let transportProblem: string | undefined;
        let transportKind: FailureKind = 'http';
        if (attempt.kind === 'aborted') return fail('aborted', `${fn} ${subject}: aborted`);
        if (attempt.kind === 'tooLarge') {
          // The same request would bring the same body: not retried.
          this.m.guard.oversizeBodies++;
          this.log?.warn({ function: fn, subject, problem: attempt.message }, 'Alpha Vantage answer refused: body too large');
          return fail('tooLarge', `${fn} ${subject}: ${attempt.message}`);
        }
        if (attempt.kind === 'http') {
          this.m.httpErrors++;
          if (!attempt.retryable) return fail('http', `${fn} ${subject}: HTTP ${attempt.status}`);
          transportProblem = `HTTP ${attempt.status}`;
        } else if (attempt.kind === 'network') {
          this.m.networkErrors++;
          transportKind = 'network';
          transportProblem = attempt.message;
        } else if (attempt.kind === 'json') {
          this.m.jsonErrors++;
          transportKind = 'json';
          transportProblem = attempt.message;
        } else {
          const cls = classifyResponse(attempt.body);
          if (cls.kind === 'fatal') {
            this.m.fatal++;
            this.reportFatal({ function: fn, subject, variant: cls.variant, message: this.scrub(cls.message) });
            return fail('fatal', `${fn} ${subject}: ${cls.message}`);
          }
          if (cls.kind === 'throttled') {
            this.m.throttles++;
            this.m.throttlesByVariant[cls.variant]++;
            if (throttleRetries >= this.maxThrottleRetries) {
              this.log?.warn({ function: fn, subject, variant: cls.variant, attempts }, 'Alpha Vantage still throttling; giving up this request');
              return fail('throttled', `${fn} ${subject}: ${cls.message}`);
            }
            throttleRetries++;
            this.m.retries++;
            await this.sleep(this.backoff(throttleRetries, this.throttleBackoffMs), signal);
            continue;
          }
          const body = attempt.body as Record<string, unknown> | null;
          if (body !== null && typeof body === 'object' && Array.isArray(body[arrayKey])) {
            const rows = (body[arrayKey] as unknown[]).length;
            if (arrayKey === 'data' && rows > this.maxContracts) {
              this.m.guard.oversizeChains++;
              this.log?.warn({ function: fn, subject, contracts: rows, max: this.maxContracts }, 'Alpha Vantage chain refused: too many contracts');
              return fail('tooLarge', `${fn} ${subject}: ${rows} contracts over the ${this.maxContracts} cap`);
            }
            this.m.ok++;
            return { ok: true, value: body, fetchedAtMs: this.now(), attempts };
          }
          this.m.shapeErrors++;
          transportKind = 'shape';
          transportProblem = `response has no ${arrayKey}[]`;
        }
        if (transportRetries >= this.maxTransportRetries) {
          this.log?.warn({ function: fn, subject, attempts, problem: this.scrub(transportProblem) }, 'Alpha Vantage request failed');
          return fail(transportKind, `${fn} ${subject}: ${transportProblem}`);
        }
        transportRetries++;
        this.m.retries++;
        await this.sleep(this.backoff(transportRetries, this.transportBackoffMs), signal);
      }
    } catch (err) {
      if (signal?.aborted) return fail('aborted', `${fn} ${subject}: aborted`);
      // Only an injected sleep or limiter can get here; report it rather than throw into the caller's loop.
      return fail('network', `${fn} ${subject}: ${(err as Error).message}`);
    }
  }

  private async acquireToken(signal: AbortSignal | undefined): Promise<void> {
    if (!this.limiter) return;
    while (!this.limiter.tryTake()) {
      this.m.limiterWaits++;
      await this.sleep(Math.max(1, this.limiter.waitTime()), signal);
    }
  }

  /**
   * One HTTP exchange. A per-request controller carries both the caller's abort and the timeout; the
   * listener on the caller's (long-lived) signal is removed afterwards so polling never accumulates them.
   */
  private async once(url: string, signal: AbortSignal | undefined): Promise<Attempt> {
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, this.timeoutMs);
    const onAbort = (): void => ctl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let res: Response;
      try {
        res = await this.fetchFn(url, { signal: ctl.signal, headers: { accept: 'application/json' } });
      } catch (err) {
        if (signal?.aborted) return { kind: 'aborted' };
        const e = err as Error & { cause?: { code?: string } };
        if (timedOut) this.m.guard.timeouts++;
        const why = timedOut ? `timed out after ${this.timeoutMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
        return { kind: 'network', message: why };
      }
      let text: string;
      try {
        const read = await this.readCapped(res, ctl);
        if (typeof read !== 'string') return read;
        text = read;
      } catch (err) {
        if (signal?.aborted) return { kind: 'aborted' };
        if (timedOut) this.m.guard.timeouts++;
        return { kind: 'network', message: timedOut ? `timed out after ${this.timeoutMs} ms` : `reading body: ${(err as Error).message}` };
      }
      if (res.status !== 200) return { kind: 'http', status: res.status, retryable: RETRYABLE_STATUS.has(res.status) };
      try {
        return { kind: 'body', body: JSON.parse(text) as unknown };
      } catch {
        return { kind: 'json', message: `invalid JSON (${text.length} bytes)` };
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The body, read as a stream and given up (connection aborted) as soon as it passes maxBodyBytes: memory
   * held is at most the cap, whatever the server sends or declares.
   */
  private async readCapped(res: Response, ctl: AbortController): Promise<string | Attempt> {
    const cap = this.maxBodyBytes;
    const declared = Number(res.headers.get('content-length'));
    const tooLarge = (n: string): Attempt => {
      ctl.abort();
      return { kind: 'tooLarge', message: `body ${n} bytes over the ${cap}-byte cap` };
    };
    if (Number.isFinite(declared) && declared > cap) return tooLarge(`of ${declared}`);
    if (!res.body) return '';
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let bytes = 0;
    let text = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        if (bytes > cap) return tooLarge(`past ${cap}`);
        text += decoder.decode(value, { stream: true });
      }
    } finally {
      reader.releaseLock();
    }
    return text + decoder.decode();
  }

  private reportFatal(report: FatalReport): void {
    const key = `${report.function}|${report.subject}|${report.message}`;
    if (this.reportedFatal.has(key)) return;
    this.reportedFatal.add(key);
    this.fatalReports.push(report);
    this.log?.error({ ...report }, 'Alpha Vantage rejected the request; not retrying (reported once)');
    try {
      this.onFatal?.(report);
    } catch {
      // A reporting hook must not turn a data error into a crash.
    }
  }
}
