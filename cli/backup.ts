/**
 * `alphatrader backup [--out FILE]` and `alphatrader restore FILE`: the engine's Redis data (the order journal
 * and its archives, the breaker and halt records, audit and signal streams, strategy switches, VPIN state…)
 * as one RDB file, and back.
 *
 * Backup: `redis-cli --rdb`, which asks the server for a replication snapshot (SYNC): the server forks and
 * streams a point-in-time RDB, so the copy is consistent while the engine keeps writing, and it works for a
 * remote Redis too (no access to the server's files). Written to FILE.partial, checked, then renamed.
 *
 * Restore: the file is loaded by a private redis-server (unix socket only, no persistence) and every key is
 * copied to the engine's Redis with DUMP / RESTORE … REPLACE and its remaining TTL, after a FLUSHALL, database
 * by database. It refuses while an engine is connected to that Redis (its named connections, or a fresh
 * engine:status). Keys whose TTL ran out in the file are not restored (the server drops them on load).
 *
 * Both use the engine's credentials (cli/redisTarget.ts); under the ACLs of deploy/README.md the engine's
 * user lacks SYNC, FLUSHALL and RESTORE (@dangerous): run them with an administrator's REDIS_URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../engine/config/loadConfig.js';
import type { EngineConfig } from '../engine/config/schema.js';
import { dataDir } from '../engine/redis/RedisLauncher.js';
import type { RedisEndpoint } from '../engine/redis/redisOptions.js';
import { parseCommand } from './args.js';
import { BACKUP, RESTORE } from './commands.js';
import { operatorRedis } from './redisTarget.js';

const RDB_MAGIC = 'REDIS';
/** Connection names of the engine's own clients; the CLI's are `alphatrader-cli-*`. */
const ENGINE_CLIENT = /^alphatrader-(?!cli)/;

function config(file: string | undefined): EngineConfig | number {
  try {
    return loadConfig({ file }).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
}

/** Whether the file starts as an RDB does ("REDIS" and a 4-digit version). */
export function isRdb(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const b = Buffer.alloc(9);
    return readSync(fd, b, 0, 9, 0) === 9 && b.subarray(0, 5).toString('latin1') === RDB_MAGIC && /^\d{4}$/.test(b.subarray(5).toString('latin1'));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; missing: boolean }> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', () => res({ code: 127, out, missing: true }));
    p.on('exit', (code) => res({ code, out, missing: false }));
  });
}

/** One snapshot is one node's data: a cluster's masters are backed up one by one (README, Run on several hosts). */
function clusterRefused(): number {
  console.error('backup/restore work on one Redis; REDIS_CLUSTER_NODES is set: back up each master with redis-cli -h HOST -p PORT --rdb FILE');
  return 1;
}

/** redis-cli's connection arguments and environment for the target (the password only in REDISCLI_AUTH, never in argv). */
function redisCliArgs(t: RedisEndpoint): { args: string[]; env: NodeJS.ProcessEnv } {
  const args = ['-h', t.host, '-p', String(t.port), ...(t.username ? ['--user', t.username] : []), ...(t.tls ? ['--tls'] : [])];
  const env = { ...process.env, ...(t.password ? { REDISCLI_AUTH: t.password } : {}) };
  return { args, env };
}

export async function runBackup(argv: string[]): Promise<number> {
  const args = parseCommand(BACKUP, argv);
  const cfg = config(args.string('config'));
  if (typeof cfg === 'number') return cfg;
  const out = resolve(args.string('out') ?? join(dataDir(cfg), 'backups', `redis-${stamp()}.rdb`));
  if (existsSync(out)) args.fail(`--out: ${out} exists (a backup is never overwritten)`);
  mkdirSync(dirname(out), { recursive: true });
  if (process.env.REDIS_CLUSTER_NODES) return clusterRefused();
  const t = operatorRedis(cfg);
  const partial = `${out}.partial`;
  const { args: conn, env } = redisCliArgs(t);
  const t0 = Date.now();
  const r = await run('redis-cli', [...conn, '--rdb', partial], env);
  if (r.missing) {
    console.error('redis-cli is not installed (Debian/Ubuntu: apt-get install -y redis-tools)');
    return 127;
  }
  if (r.code !== 0 || !isRdb(partial)) {
    rmSync(partial, { force: true });
    const why = r.out.trim().split('\n').filter(Boolean).pop() ?? `redis-cli exited ${r.code}`;
    const hint = /NOPERM|no permissions|unknown command|SYNC/i.test(r.out) ? ' (a backup needs a Redis user allowed SYNC: an administrator\'s REDIS_URL)' : '';
    console.error(`backup of ${t.host}:${t.port} failed: ${why}${hint}`);
    return 1;
  }
  renameSync(partial, out);
  console.log(JSON.stringify({ file: out, bytes: statSync(out).size, ms: Date.now() - t0, redis: `${t.host}:${t.port}` }));
  return 0;
}

/** The private server that reads the backup: a unix socket in its own directory, no persistence, gone after. */
async function loadRdb(file: string): Promise<{ client: Redis; child: ChildProcess; dir: string; log: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'at-restore-'));
  copyFileSync(file, join(dir, 'backup.rdb'));
  const sock = join(dir, 'redis.sock');
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', sock, '--unixsocketperm', '700', '--dir', dir, '--dbfilename', 'backup.rdb', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const spawned = await new Promise<boolean>((res) => {
    child.once('error', () => res(false));
    child.once('spawn', () => res(true));
  });
  if (!spawned) throw new Error('redis-server is not installed (Debian/Ubuntu: apt-get install -y redis-server): it reads the backup file');
  const client = new Redis({ path: sock, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the backup could not be loaded: ${log.trim().split('\n').pop() ?? 'redis-server exited'}`);
    try {
      if (client.status === 'wait' || client.status === 'end') await client.connect();
      if ((await client.ping()) === 'PONG') break;
    } catch {
      if (i > 600) throw new Error('redis-server did not load the backup within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { client, child, dir, log: () => log };
}

/** The engine's clients on the target (their connection names), or a fresh engine:status: a running engine. */
async function engineRunning(r: Redis): Promise<string | null> {
  try {
    const list = String(await r.client('LIST'));
    const names = [...new Set([...list.matchAll(/\bname=(\S+)/g)].map((m) => m[1]).filter((n) => ENGINE_CLIENT.test(n)))];
    if (names.length) return `connected clients ${names.join(', ')}`;
  } catch {
    /* CLIENT LIST not allowed: engine:status decides */
  }
  return (await r.exists('engine:status')) ? 'engine:status is fresh (it expires 10 s after the engine stops)' : null;
}

async function databases(r: Redis): Promise<number[]> {
  const info = await r.info('keyspace');
  return [...info.matchAll(/^db(\d+):keys=(\d+)/gm)].map((m) => Number(m[1]));
}

export async function runRestore(argv: string[]): Promise<number> {
  const args = parseCommand(RESTORE, argv);
  const file = resolve(args.positional(0, (raw) => raw));
  if (!existsSync(file)) args.fail(`FILE: ${file} does not exist`);
  if (!isRdb(file)) args.fail(`FILE: ${file} is not an RDB file (no REDIS header): give a file \`alphatrader backup\` wrote`);
  const cfg = config(args.string('config'));
  if (typeof cfg === 'number') return cfg;
  if (process.env.REDIS_CLUSTER_NODES) return clusterRefused();
  const t = operatorRedis(cfg);
  const target = new Redis({ ...t, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 2000, connectionName: 'alphatrader-cli-restore' });
  target.on('error', () => {});
  try {
    await target.connect();
  } catch (e) {
    console.error(`cannot reach Redis at ${t.host}:${t.port}: ${(e as Error).message}`);
    return 3;
  }
  let src: Awaited<ReturnType<typeof loadRdb>> | undefined;
  const t0 = Date.now();
  try {
    const running = await engineRunning(target);
    if (running) {
      console.error(`refusing to restore into ${t.host}:${t.port}: an engine is running against it (${running}). Stop it first.`);
      return 1;
    }
    src = await loadRdb(file);
    const dbs = await databases(src.client);
    await target.flushall();
    const restored: Record<string, number> = {};
    let expiredMeanwhile = 0;
    for (const db of dbs.length ? dbs : [0]) {
      await src.client.select(db);
      await target.select(db);
      let n = 0;
      let cursor = '0';
      do {
        const [next, keys] = await src.client.scan(cursor, 'COUNT', 500);
        cursor = next;
        if (!keys.length) continue;
        const read = src.client.pipeline();
        for (const k of keys) read.dumpBuffer(k).pttl(k);
        const got = (await read.exec()) ?? [];
        const write = target.pipeline();
        let writes = 0;
        keys.forEach((k, i) => {
          const payload = got[2 * i]?.[1] as Buffer | null;
          const ttl = Number(got[2 * i + 1]?.[1]);
          if (!payload || ttl === -2) return void expiredMeanwhile++;
          write.restore(k, ttl > 0 ? ttl : 0, payload, 'REPLACE');
          writes++;
        });
        if (writes) {
          for (const [err] of (await write.exec()) ?? []) if (err) throw err;
          n += writes;
        }
      } while (cursor !== '0');
      restored[`db${db}`] = n;
    }
    console.log(JSON.stringify({ file, redis: `${t.host}:${t.port}`, restored, expiredMeanwhile, ms: Date.now() - t0 }));
    return 0;
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    const hint = /NOPERM/i.test(msg) ? ' (a restore needs FLUSHALL and RESTORE: an administrator\'s REDIS_URL)' : '';
    console.error(`restore into ${t.host}:${t.port} failed: ${msg}${hint}`);
    return 1;
  } finally {
    target.disconnect();
    if (src) {
      src.client.disconnect();
      src.child.kill('SIGKILL');
      await new Promise((r) => (src!.child.exitCode !== null || src!.child.signalCode !== null ? r(undefined) : src!.child.once('exit', r)));
      rmSync(src.dir, { recursive: true, force: true });
    }
  }
}
