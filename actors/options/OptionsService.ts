/**
 * Per-underlying polling of Alpha Vantage: the options chain every `chainPollMs`, news sentiment every
 * `sentimentPollMs`. Each success is validated and published under TTL'd keys:
 *
 *   options:{SYM}:chain     validated contracts (quotes, OI, volume, IV, T)      ttl.chain    (10 s)
 *   options:{SYM}:greeks    greeks in force per contract, with their source      ttl.greeks   (10 s)
 *   options:{SYM}:unusual   volume/OI > threshold, highest ratio first            ttl.unusual  (10 s)
 *   sentiment:{SYM}         NEWS_SENTIMENT summary for the ticker                 ttl.sentiment (300 s)
 *
 * and the contracts go to `onChain` (the analytics actor's feed). A failed fetch publishes nothing for
 * that symbol: the previous keys simply expire, so stale data is never presented as fresh. Every value
 * carries `fetchedAtMs` (when Alpha Vantage answered).
 *
 * Driving it: call `tick(nowMs)` from any scheduler (each call starts whatever is due and resolves when
 * that work is done), or `start()`/`stop()` with the injectable timer functions. A symbol's work never
 * overlaps itself; different symbols run concurrently, bounded by the client's rate limiter.
 */

import type { AlphaVantageClient, ClientMetrics, OptionsLog } from './AlphaVantageClient.js';
import { summariseSentiment } from './sentiment.js';
import type { OptionContract } from './types.js';
import { unusualActivity } from './unusualActivity.js';
import { DEFAULT_RATE, validateChain, type QuarantineReason } from './validateChain.js';

export type OptionsDataSource = Pick<AlphaVantageClient, 'realtimeOptions' | 'newsSentiment'> & { metrics?: () => ClientMetrics };

export interface OptionsTtls {
  chain: number;
  greeks: number;
  unusual: number;
  sentiment: number;
}

export interface OptionsServiceTimers {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

export interface OptionsServiceOptions {
  client: OptionsDataSource;
  symbols: readonly string[];
  /** whether this instance polls the symbol now (cluster symbol ownership); default every symbol */
  serves?: (symbol: string) => boolean;
  publish: (key: string, value: unknown, ttlMs: number) => void;
  onChain?: (symbol: string, contracts: readonly OptionContract[]) => void;
  /** Default 15 000 (config venues.alphaVantage.pollMs). Keep it below ttl.chain or the keys lapse between polls. */
  chainPollMs?: number;
  /** Default 240 000, inside the 300 s sentiment TTL. 0 disables sentiment. */
  sentimentPollMs?: number;
  ttl?: Partial<OptionsTtls>;
  /** Continuous risk-free rate for local greeks. Default 0.045. */
  rate?: number;
  dividendYield?: (symbol: string) => number;
  /** Live underlying price if the engine has one; else the chain's put–call parity spot is used. */
  spot?: (symbol: string) => number | undefined;
  unusualThreshold?: number;
  /** NEWS_SENTIMENT articles per request. Default 50. */
  newsLimit?: number;
  /** For start(): the scheduler's clock and cadence. */
  /** the market's clock for time to expiry (the engine's session clock); default: the chain's fetch time */
  marketNow?: () => number;
  now?: () => number;
  tickMs?: number;
  timers?: OptionsServiceTimers;
  log?: OptionsLog;
}

export interface OptionsServiceMetrics {
  /** HTTP calls made by the client (0 when the data source does not report metrics). */
  calls: number;
  throttles: number;
  /** Fetches that ended without data (throttled out, fatal, HTTP/JSON/network errors). */
  errors: number;
  /** Contracts quarantined by validation, cumulative. */
  quarantined: number;
  quarantinedByReason: Partial<Record<QuarantineReason, number>>;
  chainsPublished: number;
  chainFailures: number;
  sentimentPublished: number;
  sentimentFailures: number;
  contractsPublished: number;
  greeksRecomputed: number;
  publishErrors: number;
  onChainErrors: number;
  /** Per symbol: when the last published chain was fetched (ms), absent if never. */
  lastChainAtMs: Record<string, number>;
  client?: ClientMetrics;
}

const DEFAULT_TTLS: OptionsTtls = { chain: 10_000, greeks: 10_000, unusual: 10_000, sentiment: 300_000 };

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export class OptionsService {
  private readonly client: OptionsDataSource;
  private readonly symbols: readonly string[];
  private readonly publishFn: (key: string, value: unknown, ttlMs: number) => void;
  private readonly onChain: ((symbol: string, contracts: readonly OptionContract[]) => void) | undefined;
  private readonly chainPollMs: number;
  private readonly sentimentPollMs: number;
  private readonly ttl: OptionsTtls;
  private readonly rate: number;
  private readonly dividendYield: (symbol: string) => number;
  private readonly spot: ((symbol: string) => number | undefined) | undefined;
  private readonly unusualThreshold: number;
  private readonly newsLimit: number;
  private readonly now: () => number;
  private readonly marketNow: (() => number) | undefined;
  private readonly tickMs: number;
  private readonly timers: OptionsServiceTimers;
  private readonly log: OptionsLog | undefined;
  private readonly nextChainAt = new Map<string, number>();
  private readonly nextSentimentAt = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private abort = new AbortController();
  private timer: unknown;
  private started = false;
  private readonly m: Omit<OptionsServiceMetrics, 'calls' | 'throttles' | 'client'> = {
    errors: 0,
    quarantined: 0,
    quarantinedByReason: {},
    chainsPublished: 0,
    chainFailures: 0,
    sentimentPublished: 0,
    sentimentFailures: 0,
    contractsPublished: 0,
    greeksRecomputed: 0,
    publishErrors: 0,
    onChainErrors: 0,
    lastChainAtMs: {},
  };

  private readonly serves?: (symbol: string) => boolean;

  constructor(opts: OptionsServiceOptions) {
    this.serves = opts.serves;
    for (const s of opts.symbols) if (!/^[A-Z][A-Z0-9.]{0,9}$/.test(s)) throw new Error(`OptionsService: bad symbol ${JSON.stringify(s)}`);
    this.client = opts.client;
    this.symbols = [...new Set(opts.symbols)];
    this.publishFn = opts.publish;
    this.onChain = opts.onChain;
    this.chainPollMs = opts.chainPollMs ?? 15_000;
    this.sentimentPollMs = opts.sentimentPollMs ?? 240_000;
    this.ttl = { ...DEFAULT_TTLS, ...opts.ttl };
    this.rate = opts.rate ?? DEFAULT_RATE;
    this.dividendYield = opts.dividendYield ?? (() => 0);
    this.spot = opts.spot;
    this.unusualThreshold = opts.unusualThreshold ?? 2;
    this.newsLimit = opts.newsLimit ?? 50;
    this.now = opts.now ?? Date.now;
    this.marketNow = opts.marketNow;
    this.tickMs = opts.tickMs ?? 1000;
    this.timers = opts.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    this.log = opts.log;
    if (!(this.chainPollMs > 0)) throw new Error('OptionsService: chainPollMs must be > 0');
    if (!(this.sentimentPollMs >= 0)) throw new Error('OptionsService: sentimentPollMs must be ≥ 0');
  }

  /** Starts every fetch that is due at `nowMs`; resolves when those fetches have been handled. */
  async tick(nowMs: number = this.now()): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const sym of this.symbols) {
      if (this.serves && !this.serves(sym)) continue; // another instance polls it (its quota, its keys)
      const chainKey = `chain:${sym}`;
      if (!this.inFlight.has(chainKey) && nowMs >= (this.nextChainAt.get(sym) ?? -Infinity)) {
        this.nextChainAt.set(sym, nowMs + this.chainPollMs);
        jobs.push(this.track(chainKey, () => this.refreshChain(sym)));
      }
      const newsKey = `sentiment:${sym}`;
      if (this.sentimentPollMs > 0 && !this.inFlight.has(newsKey) && nowMs >= (this.nextSentimentAt.get(sym) ?? -Infinity)) {
        this.nextSentimentAt.set(sym, nowMs + this.sentimentPollMs);
        jobs.push(this.track(newsKey, () => this.refreshSentiment(sym)));
      }
    }
    await Promise.all(jobs);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.abort = new AbortController();
    const loop = (): void => {
      if (!this.started) return;
      void this.tick(this.now());
      this.timer = this.timers.setTimeout(loop, this.tickMs);
    };
    loop();
  }

  /** Stops scheduling, aborts requests and back-offs in progress, and waits for them to settle. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  metrics(): OptionsServiceMetrics {
    const client = this.client.metrics?.();
    return {
      calls: client?.calls ?? 0,
      throttles: client?.throttles ?? 0,
      ...this.m,
      quarantinedByReason: { ...this.m.quarantinedByReason },
      lastChainAtMs: { ...this.m.lastChainAtMs },
      ...(client ? { client } : {}),
    };
  }

  private track(key: string, work: () => Promise<void>): Promise<void> {
    this.inFlight.add(key);
    const p = work()
      .catch((err: unknown) => {
        this.m.errors++;
        this.log?.error({ task: key, err: (err as Error).message }, 'options task failed');
      })
      .finally(() => {
        this.inFlight.delete(key);
        this.running.delete(p);
      });
    this.running.add(p);
    return p;
  }

  private publish(key: string, value: unknown, ttlMs: number): void {
    try {
      this.publishFn(key, value, ttlMs);
    } catch (err) {
      this.m.publishErrors++;
      this.log?.error({ key, err: (err as Error).message }, 'publish failed');
    }
  }

  private async refreshChain(sym: string): Promise<void> {
    const res = await this.client.realtimeOptions(sym, { requireGreeks: true, signal: this.abort.signal });
    if (!res.ok) {
      this.m.errors++;
      this.m.chainFailures++;
      return;
    }
    // Time to expiry from the engine's market clock (the session clock when simulated), not the wall.
    const chain = validateChain(res.value, this.marketNow?.() ?? res.fetchedAtMs, {
      rate: this.rate,
      dividendYield: this.dividendYield(sym),
      spot: this.spot?.(sym),
      symbol: sym,
    });
    this.m.quarantined += chain.counts.quarantined;
    for (const [reason, n] of Object.entries(chain.counts.byReason) as [QuarantineReason, number][]) {
      this.m.quarantinedByReason[reason] = (this.m.quarantinedByReason[reason] ?? 0) + n;
    }
    this.m.greeksRecomputed += chain.counts.greeksRecomputed;
    if (chain.counts.quarantined > 0) {
      const first = chain.quarantined[0]!;
      this.log?.warn({ symbol: sym, quarantined: chain.counts.quarantined, byReason: chain.counts.byReason, example: first.detail }, 'contracts quarantined');
    }
    const fetchedAtMs = res.fetchedAtMs;
    const spot = chain.spot === null ? null : round(chain.spot, 4);
    const c = chain.good;
    this.publish(
      `options:{${sym}}:chain`,
      {
        symbol: sym,
        fetchedAtMs,
        spot,
        spotSource: chain.spotSource,
        count: c.length,
        quarantined: chain.counts.quarantined,
        contracts: c.map((x) => ({
          id: x.contractId,
          expiration: x.expiration,
          strike: x.strike,
          type: x.type,
          bid: x.bid,
          ask: x.ask,
          bidSize: x.bidSize,
          askSize: x.askSize,
          mark: x.mark,
          last: x.last,
          volume: x.volume,
          oi: x.openInterest,
          iv: round(x.iv, 6),
          T: round(x.T, 8),
        })),
      },
      this.ttl.chain,
    );
    this.publish(
      `options:{${sym}}:greeks`,
      {
        symbol: sym,
        fetchedAtMs,
        spot,
        count: c.length,
        recomputed: chain.counts.greeksRecomputed,
        mismatched: chain.counts.greeksMismatched,
        units: { theta: 'per calendar day', vega: 'per vol point', rho: 'per 1% rate' },
        contracts: c.map((x) => ({
          id: x.contractId,
          delta: round(x.greeks.delta, 6),
          gamma: round(x.greeks.gamma, 6),
          theta: round(x.greeks.theta, 6),
          vega: round(x.greeks.vega, 6),
          rho: round(x.greeks.rho, 6),
          source: x.greeksSource,
        })),
      },
      this.ttl.greeks,
    );
    const unusual = unusualActivity(c, this.unusualThreshold);
    this.publish(
      `options:{${sym}}:unusual`,
      {
        symbol: sym,
        fetchedAtMs,
        threshold: this.unusualThreshold,
        count: unusual.length,
        contracts: unusual.map(({ contract: x, ratio }) => ({
          id: x.contractId,
          expiration: x.expiration,
          strike: x.strike,
          type: x.type,
          volume: x.volume,
          oi: x.openInterest,
          ratio: round(ratio, 4),
        })),
      },
      this.ttl.unusual,
    );
    this.m.chainsPublished++;
    this.m.contractsPublished += c.length;
    this.m.lastChainAtMs[sym] = fetchedAtMs;
    if (this.onChain) {
      try {
        this.onChain(sym, c);
      } catch (err) {
        this.m.onChainErrors++;
        this.log?.error({ symbol: sym, err: (err as Error).message }, 'onChain callback failed');
      }
    }
  }

  private async refreshSentiment(sym: string): Promise<void> {
    const res = await this.client.newsSentiment([sym], { limit: this.newsLimit, sort: 'LATEST', signal: this.abort.signal });
    if (!res.ok) {
      this.m.errors++;
      this.m.sentimentFailures++;
      return;
    }
    const s = summariseSentiment(res.value, sym);
    this.publish(
      `sentiment:{${sym}}`,
      {
        symbol: sym,
        fetchedAtMs: res.fetchedAtMs,
        score: s.score === null ? null : round(s.score, 6),
        label: s.label,
        relevanceWeighted: s.relevanceWeighted === null ? null : round(s.relevanceWeighted, 6),
        relevanceWeightedLabel: s.relevanceWeightedLabel,
        articles: s.articles,
      },
      this.ttl.sentiment,
    );
    this.m.sentimentPublished++;
  }
}
