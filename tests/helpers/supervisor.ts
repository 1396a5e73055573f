import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { createLogger } from '../../engine/log/logger.js';
import { Supervisor } from '../../engine/supervisor/Supervisor.js';
import { freePort } from './redis.js';

/** The default configuration for in-process supervisor tests: fast failure detection, the simulated market. */
export function supervisorTestConfig(env: Record<string, string> = {}): EngineConfig {
  return loadConfig({
    env: {
      ALPHATRADER_SUPERVISOR_HEARTBEAT_TIMEOUT_MS: '1500',
      ALPHATRADER_SUPERVISOR_RESTART_BACKOFF_INITIAL_MS: '50',
      ALPHATRADER_LOGGING_LEVEL: 'silent',
      // the in-process simulated market: no venue sockets needed to test supervision
      ALPHATRADER_MARKET_SOURCE: 'sim',
      ALPHATRADER_DASHBOARD_PORT: '0', // engines run in parallel in the tests: never the fixed default port
      ...env,
    },
  }).config;
}

/**
 * A Supervisor with real worker-thread actors, up and ready. No Redis answers on its port: the publisher runs
 * degraded, which the supervisor must not mind.
 */
export async function startSupervisor(config: EngineConfig): Promise<Supervisor> {
  const s = new Supervisor(config, createLogger({ level: 'silent', pretty: 'never' }), { redisUrl: `redis://127.0.0.1:${await freePort()}` });
  s.start();
  await s.waitReady();
  return s;
}
