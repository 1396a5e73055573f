import type { EngineConfig } from '../engine/config/schema.js';
import { embeddedPassword } from '../engine/redis/RedisLauncher.js';
import { clusterNodesFromEnv } from '../engine/redis/RedisClient.js';
import { redisEndpoint, type RedisEndpoint } from '../engine/redis/redisOptions.js';

/**
 * The Redis an operator command talks to: the same rules as the engine, without starting anything. In
 * cluster mode (REDIS_CLUSTER_NODES) the first seed node with the cluster's password and TLS: clients made
 * from it by createRedisClient are cluster clients, and messages name a node the operator can check.
 */
export function operatorRedis(config: EngineConfig, env = process.env): RedisEndpoint {
  const nodes = clusterNodesFromEnv(env);
  if (nodes) {
    const n = nodes[0] as { host: string; port: number }; // parseClusterNodes makes objects
    return { host: n.host, port: n.port, password: env.ALPHATRADER_REDIS_PASSWORD || undefined, ...(env.ALPHATRADER_REDIS_TLS === '1' ? { tls: {} } : {}) };
  }
  const url = env.REDIS_URL || config.redis.url;
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : env.REDIS_URL ? env.ALPHATRADER_REDIS_PASSWORD : embeddedPassword(config, env);
  return redisEndpoint(url, password);
}

/**
 * redis-cli's argv for `alphatrader redis-cli ARGS…`: the target's host and port, `--user`, `--tls` for a
 * TLS target and `-c` in cluster mode (follow MOVED/ASK). The password travels in REDISCLI_AUTH, never argv.
 */
export function redisCliArgv(t: RedisEndpoint, args: readonly string[], env = process.env): string[] {
  return [
    '-h', t.host, '-p', String(t.port),
    ...(t.username ? ['--user', t.username] : []),
    ...(t.tls ? ['--tls'] : []),
    ...(clusterNodesFromEnv(env) ? ['-c'] : []),
    ...args,
  ];
}
