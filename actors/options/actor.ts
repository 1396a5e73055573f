import { SERVED_SYMBOLS_TOPIC, ServedSymbols } from '../../engine/cluster/ServedSymbols.js';
import { clockFor } from '../../engine/clock/index.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';
import type { ChainMessage } from '../analytics/AnalyticsCore.js';
import { AlphaVantageClient } from './AlphaVantageClient.js';
import { OptionsService } from './OptionsService.js';
import { TokenBucket } from './TokenBucket.js';
import type { OptionContract } from './types.js';

/**
 * Options actor: Alpha Vantage chains (REALTIME_OPTIONS with greeks) and news sentiment on a schedule,
 * through a token bucket sized from the plan. Validated chains are published (options:{SYM}:*) and sent
 * to the analytics actor as struct-of-arrays for the gamma map. A failed fetch publishes nothing, so a
 * stale chain expires with its TTL instead of being refreshed as fresh.
 */
const create: ActorFactory = (ctx) => {
  const cfg = ctx.config;
  const av = cfg.venues.alphaVantage;
  const baseUrl = ctx.runtime.alphaVantageUrl as string | undefined;
  const apiKey = ctx.runtime.alphaVantageKey as string | undefined;
  let service: OptionsService | undefined;
  let client: AlphaVantageClient | undefined;
  const marketClock = clockFor(cfg, ctx.runtime.engineStartMs as number | undefined);
  let timer: NodeJS.Timeout | undefined;

  const toChainMessage = (symbol: string, contracts: readonly OptionContract[], spot: number): ChainMessage => {
    const n = contracts.length;
    const m: ChainMessage = {
      symbol, spot, fetchedAtMs: Date.now(), type: new Int8Array(n), strike: new Float64Array(n), T: new Float64Array(n),
      iv: new Float64Array(n), oi: new Float64Array(n),
    };
    contracts.forEach((c, i) => {
      m.type[i] = c.type === 'call' ? 1 : -1;
      m.strike[i] = c.strike;
      m.T[i] = c.T;
      m.iv[i] = c.iv;
      m.oi[i] = c.openInterest;
    });
    return m;
  };

  // Cluster mode: chains and sentiment only for the underlyings this instance serves (the quota is shared).
  const served = ServedSymbols.forEnv(ctx.symbols.names);

  return {
    onCommand(topic, payload) {
      // the only command it takes (it had none before: anything else is ignored, as then)
      if (topic === SERVED_SYMBOLS_TOPIC) return void (served.apply(payload) ?? ctx.countInputError());
    },
    start() {
      if (!baseUrl || !apiKey) {
        ctx.log.warn('no Alpha Vantage base URL or API key (ALPHATRADER_ALPHAVANTAGE_API_KEY): options and sentiment are off');
        return;
      }
      const log = { warn: (o: object, m: string) => ctx.log.warn(o, m), error: (o: object, m: string) => ctx.log.error(o, m) };
      client = new AlphaVantageClient({
        baseUrl, apiKey, limiter: TokenBucket.forPlan(av.plan, { safetyMargin: av.safetyMargin, now: Date.now }), log,
        timeoutMs: av.timeoutMs, maxBodyBytes: av.maxBodyBytes, maxContracts: av.maxContracts,
        onFatal: (r) => ctx.log.error({ report: r }, 'Alpha Vantage refused a request (not retried)'),
      });
      service = new OptionsService({
        client,
        symbols: cfg.options.symbols,
        serves: (sym) => served.allows(sym),
        publish: (key, value, ttlMs) => ctx.publish(key, value, ttlMs),
        onChain: (symbol, contracts) => {
          const spot = contracts.length ? estimateSpot(contracts) : NaN;
          ctx.send('analytics', 'chain', toChainMessage(symbol, contracts, spot));
        },
        chainPollMs: av.pollMs,
        ttl: { chain: cfg.ttl.options, greeks: cfg.ttl.options, unusual: cfg.ttl.options, sentiment: cfg.ttl.sentiment },
        rate: cfg.options.rate,
        dividendYield: () => cfg.options.dividendYield,
        marketNow: () => marketClock.nowMs(), // time to expiry on the engine's one session clock
        log,
      });
      service.start();
      timer = setInterval(() => {
        ctx.publish('monitoring:options:metrics', { ...service!.metrics(), ts: Date.now() }, cfg.ttl.monitoring);
      }, 1000);
    },
    async stop() {
      clearInterval(timer);
      await service?.stop();
    },
  };
};

/** Spot implied by the chain's at-the-money strikes (the analytics actor prefers the live book mid). */
function estimateSpot(contracts: readonly OptionContract[]): number {
  let best = Infinity;
  let spot = NaN;
  const byKey = new Map<string, OptionContract>();
  for (const c of contracts) byKey.set(`${c.expiration}|${c.strike}|${c.type}`, c);
  for (const c of contracts) {
    if (c.type !== 'call') continue;
    const p = byKey.get(`${c.expiration}|${c.strike}|put`);
    if (!p) continue;
    const diff = Math.abs(c.mark - p.mark);
    if (diff < best) {
      best = diff;
      spot = c.strike + c.mark - p.mark; // parity, ignoring carry over a short expiry
    }
  }
  return spot;
}

export default create;
