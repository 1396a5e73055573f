import type { EngineConfig } from '../engine/config/schema.js';
import { embeddedPassword } from '../engine/redis/RedisLauncher.js';

/** The Redis an operator command talks to: the same rules as the engine, without starting anything. */
export function operatorRedis(config: EngineConfig, env = process.env): { host: string; port: number; password?: string; username?: string } {
  const u = new URL(env.REDIS_URL || config.redis.url);
  const password = u.password ? decodeURIComponent(u.password) : env.REDIS_URL ? env.ALPHATRADER_REDIS_PASSWORD : embeddedPassword(config, env);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 6379),
    password,
    username: u.username ? decodeURIComponent(u.username) : undefined,
  };
}
