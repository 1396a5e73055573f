import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { clusterNodesFromEnv, createRedisClient } from './RedisClient.js';
import { redisEndpoint } from './redisOptions.js';
import type { EngineConfig } from '../config/schema.js';
import { keptSecret } from '../config/keptSecret.js';
import { projectRoot } from '../config/projectRoot.js';
import { redactUrl, type Logger } from '../log/logger.js';

export interface RedisTarget {
  url: string; // without credentials
  host: string;
  port: number;
  password?: string;
  username?: string;
  /** `rediss://`: every connection to it uses TLS */
  tls?: Record<string, never>;
  /** set when this process started redis-server and must stop it on exit */
  embedded?: EmbeddedRedis;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function dataDir(config: EngineConfig): string {
  const d = config.engine.dataDir;
  return isAbsolute(d) ? d : join(projectRoot(), d);
}

/** The embedded server's password: the environment's, else one generated once and kept in var/ (0600). */
export function embeddedPassword(config: EngineConfig, env = process.env): string {
  if (env.ALPHATRADER_REDIS_PASSWORD) return env.ALPHATRADER_REDIS_PASSWORD;
  return keptSecret(join(dataDir(config), 'redis', 'password'));
}

/** Answers PING within the timeout (auth included)? Returns the error text otherwise. */
export async function probeRedis(t: RedisTarget, timeoutMs = 1000, env = process.env): Promise<string | null> {
  const c = createRedisClient({
    host: t.host, port: t.port, password: t.password, username: t.username, ...(t.tls ? { tls: t.tls } : {}),
    lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false,
  }, env);
  c.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    // a cluster client retries its seeds by itself: bound the whole probe, not only one connection attempt
    await Promise.race([c.connect(), new Promise((_, no) => (timer = setTimeout(() => no(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs * 3)))]);
    await c.ping();
    return null;
  } catch (e) {
    return (e as Error).message || String(e);
  } finally {
    clearTimeout(timer);
    c.disconnect();
  }
}

export class EmbeddedRedis {
  private exited: Promise<void>;
  constructor(readonly child: ChildProcess, readonly port: number, private readonly log: Logger) {
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }
  /** SIGTERM makes redis-server write its AOF/RDB and exit; SIGKILL after the timeout. */
  async stop(timeoutMs = 2000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(t);
    this.log.info({ port: this.port }, 'embedded redis-server stopped');
  }
}

export class RedisUnavailableError extends Error {}

const parseUrl = (url: string) => redisEndpoint(url);

/**
 * Finds the Redis to use. REDIS_URL (or config redis.url) when it answers; otherwise, when it is on this
 * host and `redis.embedded` is auto, starts redis-server from redis.conf on that port and stops it on
 * exit. A Redis that answers but refuses our credentials is an error, not something to start over.
 */
export async function resolveRedis(config: EngineConfig, log: Logger, env = process.env): Promise<RedisTarget> {
  const nodes = clusterNodesFromEnv(env);
  if (nodes) return resolveCluster(nodes[0] as { host: string; port: number }, log, env);
  const url = env.REDIS_URL || config.redis.url;
  const p = parseUrl(url);
  const password = p.password ?? (env.REDIS_URL ? env.ALPHATRADER_REDIS_PASSWORD : embeddedPassword(config, env));
  const target: RedisTarget = { url: redactUrl(url), host: p.host, port: p.port, password, username: p.username, ...(p.tls ? { tls: p.tls } : {}) };
  const err = await probeRedis(target);
  if (err === null) {
    log.info({ redis: target.url }, 'using the Redis that answered');
    return target;
  }
  if (/NOAUTH|WRONGPASS|invalid password|ERR AUTH/i.test(err)) {
    throw new RedisUnavailableError(`Redis at ${target.url} refused our credentials (${err}). Set REDIS_URL with the right password, or ALPHATRADER_REDIS_PASSWORD.`);
  }
  if (!LOCAL_HOSTS.has(p.host) || config.redis.embedded === 'never') {
    log.warn({ redis: target.url, err }, 'Redis unreachable; the engine runs degraded and keeps reconnecting');
    return target;
  }
  // REDIS_URL without a password on a local port nothing answers: the embedded server gets the generated
  // password, and so must every connection the engine makes to it (they failed to authenticate before).
  target.password = password ?? embeddedPassword(config, env);
  target.embedded = await launchRedis(config, p.port, target.password, log);
  return target;
}

/**
 * Cluster mode (REDIS_CLUSTER_NODES): the target names the first seed node (every client made from it by
 * createRedisClient is a cluster client); nothing is ever started here, the cluster is the operator's.
 */
async function resolveCluster(seed: { host: string; port: number }, log: Logger, env: NodeJS.ProcessEnv): Promise<RedisTarget> {
  const tls = env.ALPHATRADER_REDIS_TLS === '1';
  const target: RedisTarget = { url: `${tls ? 'rediss' : 'redis'}://${seed.host}:${seed.port}`, host: seed.host, port: seed.port, password: env.ALPHATRADER_REDIS_PASSWORD || undefined, ...(tls ? { tls: {} } : {}) };
  const err = await probeRedis(target, 2000, env);
  if (err === null) log.info({ cluster: env.REDIS_CLUSTER_NODES }, 'using the Redis Cluster that answered');
  else if (/NOAUTH|WRONGPASS|invalid password|ERR AUTH/i.test(err)) throw new RedisUnavailableError(`the Redis Cluster refused our credentials (${err}). Set ALPHATRADER_REDIS_PASSWORD.`);
  else log.warn({ cluster: env.REDIS_CLUSTER_NODES, err }, 'Redis Cluster unreachable; the engine runs degraded and keeps reconnecting');
  return target;
}

export async function launchRedis(config: EngineConfig, port: number, password: string, log: Logger): Promise<EmbeddedRedis> {
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (which.error) {
    throw new RedisUnavailableError(
      'redis-server is not installed and no Redis is reachable. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server) or set REDIS_URL to a running Redis.',
    );
  }
  const dir = join(dataDir(config), 'redis');
  mkdirSync(dir, { recursive: true });
  const conf = isAbsolute(config.redis.conf) ? config.redis.conf : join(projectRoot(), config.redis.conf);
  if (!existsSync(conf)) throw new RedisUnavailableError(`redis.conf not found at ${conf}`);
  const runtimeConf = join(dir, 'runtime.conf');
  // The password goes into a 0600 file, never onto the command line where `ps` would show it.
  writeFileSync(runtimeConf, [
    `include ${conf}`,
    `port ${port}`,
    `dir ${dir}`,
    `requirepass ${password}`,
    `pidfile ${join(dir, 'redis.pid')}`,
    `logfile ${join(dir, 'redis.log')}`,
    '',
  ].join('\n'), { mode: 0o600 });
  chmodSync(runtimeConf, 0o600);
  const child = spawn('redis-server', [runtimeConf], { stdio: 'ignore', detached: false });
  const embedded = new EmbeddedRedis(child, port, log);
  let exitInfo = '';
  child.once('exit', (code, sig) => (exitInfo = `exited (code ${code}, signal ${sig}); see ${join(dir, 'redis.log')}`));
  const t0 = Date.now();
  for (;;) {
    if (exitInfo) throw new RedisUnavailableError(`redis-server ${exitInfo}`);
    if ((await probeRedis({ url: '', host: '127.0.0.1', port, password }, 500)) === null) break;
    if (Date.now() - t0 > 10_000) {
      await embedded.stop();
      throw new RedisUnavailableError(`redis-server did not answer on port ${port} within 10 s; see ${join(dir, 'redis.log')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  log.info({ port, dir, redisPid: child.pid }, 'started embedded redis-server from redis.conf');
  return embedded;
}
