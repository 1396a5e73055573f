import { join } from 'node:path';
import { keptSecret } from '../engine/config/keptSecret.js';
import { ConfigError, deepMerge, loadConfig, validateConfig } from '../engine/config/loadConfig.js';
import { createLogger, redactUrl } from '../engine/log/logger.js';
import { dataDir, RedisUnavailableError, resolveRedis } from '../engine/redis/RedisLauncher.js';
import { ControlWriter } from '../engine/supervisor/ControlWriter.js';
import { coherenceErrors, journalDurabilityError, readPersistence } from '../engine/config/startupChecks.js';
import { createRedisClient, type RedisLike } from '../engine/redis/RedisClient.js';
import type { EngineConfig } from '../engine/config/schema.js';
import type { RedisTarget } from '../engine/redis/RedisLauncher.js';
import { notifierFor } from '../engine/alerts/fromConfig.js';
import type { RuntimeInfo } from '../engine/runtime/ActorContext.js';
import { Supervisor } from '../engine/supervisor/Supervisor.js';
import { startClusterHeartbeat } from '../engine/cluster/InstanceHeartbeat.js';
import { startSymbolServing } from '../engine/cluster/SymbolServing.js';
import { startEmbeddedVenues, type EmbeddedVenueInfo } from '../engine/venues/EmbeddedVenues.js';
import { checkReplayInput, ReplayInputError } from '../actors/market-depth/replayInput.js';
import { parseCommand, seconds } from './args.js';
import { START } from './commands.js';
import { longTimeout, type LongTimer } from './longTimeout.js';

/** `alphatrader start`: config → Redis → supervisor → actors; SIGINT/SIGTERM → ordered shutdown, exit 0. */
export interface StartOptions {
  /** merged over the loaded configuration (and validated with it): used by record/replay */
  overrides?: Record<string, unknown>;
  /** exit once the replay source has delivered every event and the publisher has flushed */
  exitOnReplayDone?: boolean;
  /** the session clock's start instant (a replay re-creates the recorded run's clock); default now */
  engineStartMs?: number;
}

export async function runStart(argv: string[], opts: StartOptions = {}): Promise<number> {
  const args = parseCommand(START, argv);
  const duration = args.option('duration', seconds());
  let loaded;
  try {
    loaded = loadConfig({ file: args.string('config') });
    if (opts.overrides) loaded.config = validateConfig(deepMerge(loaded.config, opts.overrides));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const { config } = loaded;
  const incoherent = coherenceErrors(config, process.env, process.env.REDIS_URL || config.redis.url);
  if (incoherent.length) {
    for (const e of incoherent) console.error(`alphatrader start: ${e}`);
    return 2;
  }
  try {
    // Before Redis and the actors: a bad replay file is one line, not a crash-looping market-depth actor.
    checkReplayInput(config);
  } catch (e) {
    if (e instanceof ReplayInputError) {
      console.error(`alphatrader: ${e.message}`);
      return 2;
    }
    throw e;
  }
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
  // The journal must be durable before any order can reach a broker outside the engine.
  const durability = await journalDurability(config, redis);
  if (durability) {
    log.error(durability);
    console.error(`alphatrader start: ${durability}`);
    await redis.embedded?.stop();
    return 2;
  }
  // The dashboard token: from the environment; in the simulated default one generated once and kept in a
  // 0600 file, so a bookmark survives a restart. It is never logged: the start-up line says where it is.
  let dashboardToken = process.env.ALPHATRADER_DASHBOARD_TOKEN;
  let dashboardTokenSource = 'the environment variable ALPHATRADER_DASHBOARD_TOKEN';
  if (!dashboardToken) {
    if (config.engine.mode === 'live') {
      log.error('ALPHATRADER_DASHBOARD_TOKEN must be set in live mode');
      await redis.embedded?.stop();
      return 2;
    }
    const file = join(dataDir(config), 'dashboard', 'token');
    dashboardToken = keptSecret(file);
    dashboardTokenSource = file;
  }
  // every actor (and the embedded venues) derives the session clock from this one instant (see engine/clock)
  const engineStartMs = opts.engineStartMs ?? Date.now();
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
    dashboardViewToken: process.env.ALPHATRADER_DASHBOARD_VIEW_TOKEN || undefined,
    dashboardTokenSource,
    twsPort: venues.twsPort,
    alphaVantageUrl: venues.alphaVantageUrl || config.venues.alphaVantage.baseUrl || undefined,
    alphaVantageKey: venues.alphaVantageKey ?? process.env.ALPHATRADER_ALPHAVANTAGE_API_KEY,
    alpacaUrl: venues.alpacaUrl,
    alpacaKeyId: venues.alpacaKeyId,
    alpacaSecret: venues.alpacaSecret,
    // the scheme is kept: a rediss:// Redis is reached over TLS by every actor too
    redisUrl: `${redis.tls ? 'rediss' : 'redis'}://${redis.host.includes(':') ? `[${redis.host}]` : redis.host}:${redis.port}`,
    redisPassword: redis.password,
    redisUsername: redis.username,
  };
  const notifier = notifierFor(config, process.env, log);
  const sup = new Supervisor(config, log, runtime, undefined, ControlWriter.connect({ url: runtime.redisUrl, password: runtime.redisPassword, username: runtime.redisUsername as string | undefined }, log), notifier);
  // cluster mode only: symbol ownership by lease (what the actors serve), and this instance in the registry
  // `status --cluster` and the dashboards read, with the symbols it serves
  const clusterRedis = { host: redis.host, port: redis.port, password: redis.password, username: redis.username, ...(redis.tls ? { tls: redis.tls } : {}) };
  const serving = startSymbolServing(config.symbols.map((x) => x.symbol), clusterRedis, sup);
  const heartbeat = startClusterHeartbeat(serving ? () => serving.served() : config.symbols.map((x) => x.symbol), clusterRedis, sup);

  let stopping: Promise<number> | undefined;
  let durationTimer: LongTimer | undefined;
  const shutdown = (why: string): Promise<number> => {
    if (stopping) return stopping;
    log.info({ why }, 'shutting down');
    // A pending --duration timer would keep the event loop alive after the ordered shutdown, until the
    // 5 s guard below exited with status 1: that was why every signalled run with --duration ended in 1.
    durationTimer?.cancel();
    // Whatever happens, the process is gone within 5 s of the signal.
    setTimeout(() => {
      log.error('shutdown exceeded 5 s: exiting');
      process.exit(1);
    }, 4900).unref();
    stopping = (async () => {
      await sup.shutdown();
      await serving?.stop(); // after the actors stopped: the symbols' leases go back for the others to take
      await heartbeat?.stop();
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
  // Re-armed in steps: a plain setTimeout longer than 2^31-1 ms fires at once.
  if (duration !== undefined) durationTimer = longTimeout(() => void shutdown(`--duration ${duration}s elapsed`).then(signalled), duration * 1000);
  return done;
}

/** The persistence check of the journal's Redis (null: fine, or Redis not reachable yet: execution checks again). */
async function journalDurability(config: EngineConfig, t: RedisTarget): Promise<string | null> {
  if (config.execution.broker === 'paper' && config.execution.journalSync === 'off') return null;
  const c = createRedisClient({ host: t.host, port: t.port, password: t.password, username: t.username, ...(t.tls ? { tls: t.tls } : {}), lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  c.on('error', () => {});
  try {
    await c.connect();
    return journalDurabilityError(config.execution, await readPersistence(c));
  } catch {
    return null;
  } finally {
    c.disconnect();
  }
}
