import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError, deepMerge, loadConfig, validateConfig } from '../engine/config/loadConfig.js';
import { createLogger, redactUrl } from '../engine/log/logger.js';
import { RedisUnavailableError, resolveRedis } from '../engine/redis/RedisLauncher.js';
import type { RuntimeInfo } from '../engine/runtime/ActorContext.js';
import { Supervisor } from '../engine/supervisor/Supervisor.js';
import { startEmbeddedVenues, type EmbeddedVenueInfo } from '../engine/venues/EmbeddedVenues.js';

export const START_USAGE = 'usage: alphatrader start [--config FILE] [--duration SECONDS]';

/** `alphatrader start`: config → Redis → supervisor → actors; SIGINT/SIGTERM → ordered shutdown, exit 0. */
export interface StartOptions {
  /** merged over the loaded configuration (and validated with it): used by record/replay */
  overrides?: Record<string, unknown>;
  /** exit once the replay source has delivered every event and the publisher has flushed */
  exitOnReplayDone?: boolean;
}

export async function runStart(argv: string[], opts: StartOptions = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, duration: { type: 'string', short: 'd' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(START_USAGE);
    return 0;
  }
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) {
    console.error(`--duration: expected a positive number of seconds, got ${JSON.stringify(values.duration)}`);
    return 2;
  }
  let loaded;
  try {
    loaded = loadConfig({ file: values.config });
    if (opts.overrides) loaded.config = validateConfig(deepMerge(loaded.config, opts.overrides));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const { config } = loaded;
  const log = createLogger(config.logging, { component: 'supervisor' });
  for (const w of loaded.warnings) log.warn(w);

  let redis;
  try {
    redis = await resolveRedis(config, log);
  } catch (e) {
    if (e instanceof RedisUnavailableError) {
      log.error(e.message);
      return 3;
    }
    throw e;
  }
  // The dashboard token: from the environment; in the simulated default a random one, printed with the URL.
  let dashboardToken = process.env.ALPHATRADER_DASHBOARD_TOKEN;
  if (!dashboardToken) {
    if (config.engine.mode === 'live') {
      log.error('ALPHATRADER_DASHBOARD_TOKEN must be set in live mode');
      await redis.embedded?.stop();
      return 2;
    }
    dashboardToken = randomBytes(16).toString('hex');
  }
  // every actor (and the embedded venues) derives the session clock from this one instant (see engine/clock)
  const engineStartMs = Date.now();
  let venues: EmbeddedVenueInfo;
  try {
    venues = await startEmbeddedVenues(config, log, engineStartMs);
  } catch (e) {
    log.error({ err: e }, 'cannot start the embedded venue simulators');
    await redis.embedded?.stop();
    return 1;
  }
  const runtime: RuntimeInfo = {
    engineStartMs,
    dashboardToken,
    twsPort: venues.twsPort,
    alphaVantageUrl: venues.alphaVantageUrl || config.venues.alphaVantage.baseUrl || undefined,
    alphaVantageKey: venues.alphaVantageKey ?? process.env.ALPHATRADER_ALPHAVANTAGE_API_KEY,
    alpacaUrl: venues.alpacaUrl,
    alpacaKeyId: venues.alpacaKeyId,
    alpacaSecret: venues.alpacaSecret,
    redisUrl: `redis://${redis.host.includes(':') ? `[${redis.host}]` : redis.host}:${redis.port}`,
    redisPassword: redis.password,
    redisUsername: redis.username,
  };
  const sup = new Supervisor(config, log, runtime);

  let stopping: Promise<number> | undefined;
  const shutdown = (why: string): Promise<number> => {
    if (stopping) return stopping;
    log.info({ why }, 'shutting down');
    // Whatever happens, the process is gone within 5 s of the signal.
    setTimeout(() => {
      log.error('shutdown exceeded 5 s: exiting');
      process.exit(1);
    }, 4900).unref();
    stopping = (async () => {
      await sup.shutdown();
      await venues.stop();
      if (redis.embedded) await redis.embedded.stop(1000);
      log.info('stopped');
      return 0;
    })();
    return stopping;
  };
  let signalled: (code: number) => void = () => {};
  const done = new Promise<number>((r) => (signalled = r));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void shutdown(sig).then(signalled));
  // Never leave an orphaned redis-server behind, whatever path the process exits by.
  process.on('exit', () => redis.embedded?.child.kill('SIGTERM'));

  if (opts.exitOnReplayDone) {
    sup.on('cold', (m: { topic: string }) => {
      if (m.topic !== 'replay-done') return;
      // Let the last book snapshots and the publisher's flush go out before stopping.
      const settle = config.market.bookSnapshotMs * 2 + config.redis.flushMs * 2 + 200;
      setTimeout(() => void shutdown('replay finished').then(signalled), settle);
    });
  }
  sup.start();
  try {
    await sup.waitReady();
  } catch (e) {
    log.error({ err: e }, 'engine did not come up');
    await shutdown('start-up failure');
    return 1;
  }
  if (stopping) return done; // signalled while starting: the ordered shutdown is already under way
  log.info({
    redis: redactUrl(runtime.redisUrl),
    embeddedRedis: !!redis.embedded,
    inspect: `alphatrader redis-cli --scan --pattern 'market:*'`,
    status: 'alphatrader status',
  }, `AlphaTrader running: ${config.symbols.length} symbols, ${config.actors.length} actors`);
  if (duration !== undefined) setTimeout(() => void shutdown(`--duration ${duration}s elapsed`).then(signalled), duration * 1000);
  return done;
}
