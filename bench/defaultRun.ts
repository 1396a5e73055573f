/**
 * The default run as a child process on a fresh data directory (no saved state), its embedded Redis on a
 * free port with a generated password, and a client to read its keys: what `first-minute` and `soak`
 * measure. `stop()` ends it with SIGTERM and removes the directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './freePort.js';

export interface DefaultRun {
  child: ChildProcess;
  redis: Redis;
  /** the run's data directory (removed by stop()) */
  dir: string;
  /** performance.now() when the process was spawned */
  t0: number;
  stop(): Promise<void>;
}

export async function startDefaultRun(name: string, seconds: number, overlay?: string): Promise<DefaultRun> {
  const dir = mkdtempSync(join(tmpdir(), `alphatrader-${name}-`));
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const t0 = performance.now();
  // as `npm start` and the systemd unit run it: the main thread's young generation like the workers' (decision 116)
  const child = spawn(process.execPath, ['--max-semi-space-size=2', 'bin/alphatrader.js', 'start', '--duration', String(Math.ceil(seconds)), ...(overlay ? ['--config', overlay] : [])], {
    env: {
      // as `npm start` and the systemd unit run it (two malloc arenas, docs/decisions.md); an operator's value wins
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
      ...process.env, REDIS_URL: `redis://127.0.0.1:${port}`, ALPHATRADER_REDIS_PASSWORD: password,
      ALPHATRADER_ENGINE_DATA_DIR: dir, ALPHATRADER_LOGGING_LEVEL: 'warn', ALPHATRADER_DASHBOARD_PORT: '0',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const redis = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  redis.on('error', () => {});
  await redis.connect().catch(() => {}); // the engine starts its Redis a moment later: the client retries
  return {
    child, redis, t0, dir,
    async stop() {
      redis.disconnect();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
