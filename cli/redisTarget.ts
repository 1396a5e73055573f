import type { EngineConfig } from '../engine/config/schema.js';
import { embeddedPassword } from '../engine/redis/RedisLauncher.js';
import { redisEndpoint, type RedisEndpoint } from '../engine/redis/redisOptions.js';

/** The Redis an operator command talks to: the same rules as the engine, without starting anything. */
export function operatorRedis(config: EngineConfig, env = process.env): RedisEndpoint {
  const url = env.REDIS_URL || config.redis.url;
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : env.REDIS_URL ? env.ALPHATRADER_REDIS_PASSWORD : embeddedPassword(config, env);
  return redisEndpoint(url, password);
}
