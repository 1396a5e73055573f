import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { freePort } from '../../bench/freePort.js';

export { freePort };

/** A real redis-server for a test: loopback, a password, its own temp dir; no persistence unless `aof`. */
export class TestRedis {
  child?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'at-redis-'));
  constructor(readonly port: number, readonly password = 'test-pw-' + port, readonly aof = false) {}

  static async start(opts: { aof?: boolean } = {}): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), undefined, opts.aof ?? false);
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://:${this.password}@127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--requirepass', this.password, '--save', '', '--appendonly', this.aof ? 'yes' : 'no', '--appendfsync', 'everysec',
      '--dir', this.dir, '--daemonize', 'no',
    ], { stdio: 'ignore' });
    await waitFor(async () => {
      const c = this.client();
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        c.disconnect();
      }
    }, 10_000, 'redis-server to answer');
  }

  client(): Redis {
    const c = new Redis({ host: '127.0.0.1', port: this.port, password: this.password, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    c.on('error', () => {});
    return c;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
}

/** Polls `cond` until it holds; parked waits, bounded: never asserts a time, only that it eventually holds. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A real redis-server for the enclosing describe block: started before its tests, flushed before each, stopped
 * after them. `client()` is a connected client (valid inside tests and hooks).
 */
export function useTestRedis(): { server: () => TestRedis; client: () => Redis } {
  let server: TestRedis | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await TestRedis.start();
    client = server.client();
    await client.connect();
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    await client!.flushall();
  });
  return { server: () => server!, client: () => client! };
}
