import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './freePort.js';

export interface DefaultRun {
  child: ChildProcess;
  /** the run's own Redis (embedded, on a free port), not connected yet */
  redis: Redis;
  /** the fresh data directory (embedded Redis, reports, dashboard token) */
  dir: string;
  /** performance.now() just before the process was spawned */
  t0: number;
  /** `--limit S` from the suite's arguments (default `defaultLimitS`) */
  limitS: number;
}

/**
 * The default run (`alphatrader start`) as a user starts it, from a fresh data directory, on its own Redis
 * port and an ephemeral dashboard port, for `limitS + 10` seconds: what the measuring suites time from.
 */
export async function startDefaultRun(args: string[], prefix: string, defaultLimitS: number): Promise<DefaultRun> {
  const i = args.indexOf('--limit');
  const limitS = i >= 0 ? Number(args[i + 1]) : defaultLimitS;
  if (!(limitS > 0)) throw new Error('--limit takes a number of seconds');
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['bin/alphatrader.js', 'start', '--duration', String(limitS + 10)], {
    env: {
      ...process.env, REDIS_URL: `redis://127.0.0.1:${port}`, ALPHATRADER_REDIS_PASSWORD: password,
      ALPHATRADER_ENGINE_DATA_DIR: dir, ALPHATRADER_LOGGING_LEVEL: 'warn', ALPHATRADER_DASHBOARD_PORT: '0',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const redis = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  redis.on('error', () => {});
  return { child, redis, dir, t0, limitS };
}
