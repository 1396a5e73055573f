import type { RedisLike } from '../redis/RedisClient.js';
import type { EngineConfig } from './schema.js';
import { isLoopback } from '../redis/redisOptions.js';

/**
 * Settings that contradict each other, refused before anything starts (exit 2), each naming the setting's
 * path and the fix:
 * - a venue that is certainly real (not on this host) in `engine.mode: simulated`, whose accelerated session
 *   clock would then drive real orders (market hours, day boundaries, expiries);
 * - Alpaca with a real endpoint and no keys under the names the client reads (APCA_API_KEY_ID/SECRET);
 * - a Redis on another host without TLS in live mode (orders and the journal would cross the network in clear).
 * A loopback venue may be a simulator or a local gateway: for those, market hours of a non-paper broker are
 * judged on the wall clock whatever the mode (execution), so the accelerated clock never opens a real market.
 */
export function coherenceErrors(cfg: EngineConfig, env: NodeJS.ProcessEnv, redisUrl: string): string[] {
  const errs: string[] = [];
  const host = (url: string) => {
    try {
      return new URL(url).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return '';
    }
  };
  if (cfg.engine.mode === 'simulated') {
    const remote = (what: string, path: string, value: string) =>
      errs.push(`${path}: ${JSON.stringify(value)} is a real ${what}, but engine.mode is simulated (an accelerated session clock): set engine.mode: live, or point ${path} at a simulator on this host`);
    if (cfg.venues.tws.port !== 0 && !isLoopback(cfg.venues.tws.host)) remote('TWS / IB Gateway', 'venues.tws.host', cfg.venues.tws.host);
    if (cfg.execution.alpacaBaseUrl && !isLoopback(host(cfg.execution.alpacaBaseUrl))) remote('Alpaca endpoint', 'execution.alpacaBaseUrl', cfg.execution.alpacaBaseUrl);
    if (cfg.venues.alphaVantage.baseUrl && !isLoopback(host(cfg.venues.alphaVantage.baseUrl))) remote('Alpha Vantage endpoint', 'venues.alphaVantage.baseUrl', cfg.venues.alphaVantage.baseUrl);
  }
  if (cfg.execution.broker === 'alpaca' && cfg.execution.alpacaBaseUrl && !(env.APCA_API_KEY_ID?.trim() && env.APCA_API_SECRET_KEY?.trim())) {
    const wrong = env.ALPHATRADER_ALPACA_KEY_ID || env.ALPHATRADER_ALPACA_SECRET ? ' (ALPHATRADER_ALPACA_KEY_ID/SECRET are not read: rename them)' : '';
    errs.push(`execution.broker: alpaca with execution.alpacaBaseUrl ${JSON.stringify(cfg.execution.alpacaBaseUrl)} needs APCA_API_KEY_ID and APCA_API_SECRET_KEY in the environment${wrong}`);
  }
  if (cfg.engine.mode === 'live' && redisUrl.startsWith('redis://') && !isLoopback(host(redisUrl))) {
    errs.push(`redis.url: ${host(redisUrl)} is another host and the URL is redis:// (clear text): in live mode use rediss:// (TLS)`);
  }
  return errs;
}

export interface Persistence {
  appendonly: boolean | null; // null: the server would not say (CONFIG disabled and no INFO)
  appendfsync: string | null;
  /** the server has WAITAOF (Redis ≥ 7.2): a write can be awaited until it is in the AOF */
  waitaof: boolean;
  version: string | null;
}

/** The journal Redis's persistence: CONFIG GET where allowed, else INFO persistence/server. */
export async function readPersistence(redis: RedisLike): Promise<Persistence> {
  const info = await redis.info('server').catch(() => '');
  const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? null;
  const [maj, min] = (version ?? '0.0').split('.').map(Number);
  const waitaof = maj > 7 || (maj === 7 && min >= 2);
  try {
    const a = (await redis.config('GET', 'appendonly')) as string[];
    const f = (await redis.config('GET', 'appendfsync')) as string[];
    return { appendonly: a[1] === 'yes', appendfsync: f[1] ?? null, waitaof, version };
  } catch {
    const p = await redis.info('persistence').catch(() => '');
    const m = /aof_enabled:(\d)/.exec(p);
    return { appendonly: m ? m[1] === '1' : null, appendfsync: null, waitaof, version };
  }
}

/**
 * The journal must survive a Redis restart whenever orders reach a real (or simulated external) broker:
 * an acknowledged intent lost with the Redis would let a retry send a second order. The paper broker lives
 * inside the engine and restarts with it, so there the journal may be volatile.
 */
export function journalDurabilityError(cfg: EngineConfig['execution'], p: Persistence): string | null {
  if (cfg.broker !== 'paper' && p.appendonly !== true && !cfg.allowVolatileJournal) {
    return `the order journal's Redis runs with appendonly ${p.appendonly === false ? 'no' : 'unknown'}: with execution.broker ${cfg.broker} an acknowledged order intent could be lost on a Redis restart and sent twice. Turn AOF on (redis-cli CONFIG SET appendonly yes, and appendonly yes in that server's redis.conf), or set execution.allowVolatileJournal: true to accept the risk`;
  }
  if (cfg.journalSync === 'wait' && !p.waitaof && p.appendfsync !== 'always') {
    return `execution.journalSync: wait needs WAITAOF (Redis ≥ 7.2; this server is ${p.version ?? 'unknown'}) or appendfsync always (it is ${p.appendfsync ?? 'unknown'}): set appendfsync always on the journal's Redis, or journalSync: off`;
  }
  return null;
}
