/**
 * `npm run bench -- cluster [--quick] [--seconds S] [--warmup S]`: updates/s published and tick → Redis latency
 * with 1, 2 and 3 engine instances, against a single redis-server and against a local 3-master Redis Cluster
 * (LocalCluster), in one run. Each instance is the real engine (bench/clusterInstance.ts → `alphatrader start`,
 * simulated venues, default configuration) on a disjoint subset of the configured symbols: symbol ownership
 * by lease is not part of this branch, so the split is static (config), and the figures are about the Redis
 * side and the host, not about balancing.
 *
 * - updates/s: SET + XADD calls Redis executed in the measured window (INFO commandstats, summed over the
 *   masters), over the window's length; the per-instance share is that over N.
 * - tick → Redis: for every `market:{SYM}:timestamp` write a keyspace notification arrives (one subscriber per
 *   master: notifications are per node), the value is read back: it is the wall ms the engine received the
 *   tick at (the book's receive stamp, not the session clock), and the figure is now − that. The GET's round
 *   trip is included (as in the e2e suite), so the figure is an upper bound; same host, same wall clock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { loadConfig } from '../engine/config/loadConfig.js';
import { distPath } from '../engine/config/projectRoot.js';
import { startLocalCluster, stopLocalCluster } from '../engine/redis/LocalCluster.js';
import { freePort } from './freePort.js';
import { pct } from './pingPong.js';

const PASSWORD = 'bench-cluster-secret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Target = { kind: 'single' | 'cluster'; env: Record<string, string>; nodes: { host: string; port: number }[] };

interface Row {
  target: 'single' | 'cluster';
  instances: number;
  updatesPerS: number;
  perInstancePerS: number;
  latencyMs: { p50: number; p99: number; max: number; samples: number };
  /** load average (1 min) at the end of the window: how busy the shared host was */
  load1: number;
  startS: number;
}

/** The configured symbols split into `n` disjoint subsets, each with at least one options underlying. */
export function splitSymbols(n: number): { rows: Record<string, unknown>[]; underlyings: string[] }[] {
  const cfg = loadConfig({ env: {} }).config;
  const und = new Set(cfg.options.symbols);
  const u = cfg.symbols.filter((s) => und.has(s.symbol));
  const rest = cfg.symbols.filter((s) => !und.has(s.symbol));
  if (u.length < n) throw new Error(`only ${u.length} options underlyings for ${n} instances`);
  const parts = Array.from({ length: n }, () => ({ rows: [] as Record<string, unknown>[], underlyings: [] as string[] }));
  u.forEach((s, i) => {
    parts[i % n]!.rows.push({ ...s });
    parts[i % n]!.underlyings.push(s.symbol);
  });
  rest.forEach((s, i) => parts[i % n]!.rows.push({ ...s }));
  return parts;
}

async function startSingle(): Promise<{ target: Target; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'at-bench-redis-'));
  // AOF on, as on the cluster's nodes (LocalCluster): the same durability on both sides of the comparison
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', PASSWORD, '--save', '', '--appendonly', 'yes', '--dir', dir], { stdio: 'ignore' });
  const c = new Redis({ port, password: PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  c.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      await c.connect();
      await c.ping();
      break;
    } catch {
      c.disconnect();
      if (i > 100) throw new Error('redis-server did not start (is it installed?)');
      await sleep(100);
    }
  }
  c.disconnect();
  return {
    target: { kind: 'single', env: { REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}` }, nodes: [{ host: '127.0.0.1', port }] },
    stop: async () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startCluster(): Promise<{ target: Target; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'at-bench-cluster-'));
  const basePort = 20000 + Math.floor(Math.random() * 15000);
  const info = await startLocalCluster({ dir, basePort, password: PASSWORD });
  return {
    target: { kind: 'cluster', env: { REDIS_CLUSTER_NODES: info.nodes, ALPHATRADER_REDIS_PASSWORD: PASSWORD, REDIS_URL: '' }, nodes: info.ports.map((port) => ({ host: '127.0.0.1', port })) },
    stop: async () => {
      await stopLocalCluster(dir, PASSWORD);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One connection per node (masters only: the bench's cluster has no replicas). */
function nodeClients(t: Target): Redis[] {
  return t.nodes.map((n) => {
    const r = new Redis({ ...n, password: PASSWORD, maxRetriesPerRequest: 1 });
    r.on('error', () => {});
    return r;
  });
}

async function writeCalls(nodes: Redis[]): Promise<number> {
  let n = 0;
  for (const r of nodes) {
    const info = await r.info('commandstats');
    for (const m of info.matchAll(/^cmdstat_(set|xadd):calls=(\d+)/gm)) n += Number(m[2]);
  }
  return n;
}

/** The instance's log (JSON lines), for the error when it exits early. */
const logOf = new WeakMap<ChildProcess, string>();

function startInstance(t: Target, i: number, part: ReturnType<typeof splitSymbols>[number], engineStartMs: number): ChildProcess {
  const dataDir = mkdtempSync(join(tmpdir(), 'at-bench-inst-'));
  const logFile = join(dataDir, 'engine.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [distPath('bench', 'clusterInstance.js')], {
    env: {
      ...process.env, ...t.env,
      ALPHATRADER_ENGINE_DATA_DIR: dataDir, ALPHATRADER_LOGGING_PRETTY: 'never', ALPHATRADER_DASHBOARD_PORT: '0',
      ALPHATRADER_INSTANCE_ID: `bench-${i}`, MALLOC_ARENA_MAX: '2',
      BENCH_SYMBOL_ROWS: JSON.stringify(part.rows), BENCH_UNDERLYINGS: part.underlyings.join(','), BENCH_ENGINE_START_MS: String(engineStartMs),
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  logOf.set(child, logFile);
  return child;
}

const lastLines = (k: ChildProcess) => readFileSync(logOf.get(k)!, 'utf8').trim().split('\n').slice(-8).join('\n');

async function measure(t: Target, n: number, warmupS: number, seconds: number, log: (s: string) => void): Promise<Row> {
  const engineStartMs = Date.now();
  const nodes = nodeClients(t);
  await Promise.all(nodes.map((r) => r.config('SET', 'notify-keyspace-events', 'K$')));
  const reader: Redis | Cluster = t.kind === 'cluster'
    ? new Cluster([t.nodes[0]!], { redisOptions: { password: PASSWORD } })
    : new Redis({ ...t.nodes[0]!, password: PASSWORD });
  reader.on('error', () => {});
  const subs = nodes.map((r) => r.duplicate());
  let measuring = false;
  const lat: number[] = [];
  let ready = 0;
  const symbols = new Set<string>();
  for (const s of subs) {
    s.on('error', () => {});
    await s.psubscribe('__keyspace@0__:market:*:timestamp');
    s.on('pmessage', (_p: string, ch: string, ev: string) => {
      if (ev !== 'set') return;
      const key = ch.slice('__keyspace@0__:'.length);
      symbols.add(key);
      if (!measuring) return;
      void reader.get(key).then((v) => {
        const ms = Number(v);
        if (measuring && Number.isFinite(ms)) lat.push(Date.now() - ms);
      }, () => {});
    });
  }
  // On the cluster every instance is configured with every symbol and the symbol leases split them (decision
  // 97); on a single Redis there are no leases, so the bench hands each instance a disjoint subset.
  const parts = t.kind === 'cluster' ? Array.from({ length: n }, () => splitSymbols(1)[0]!) : splitSymbols(n);
  const total = t.kind === 'cluster' ? parts[0]!.rows.length : parts.reduce((a, p) => a + p.rows.length, 0);
  const kids = parts.map((p, i) => startInstance(t, i, p, engineStartMs));
  try {
    const t0 = Date.now();
    // up: every configured symbol's timestamp key is being written
    while (symbols.size < total) {
      const dead = kids.find((k) => k.exitCode !== null);
      if (dead) throw new Error(`an engine instance exited ${dead.exitCode} (${t.kind}, ${n} instances):\n${lastLines(dead)}`);
      if (Date.now() - t0 > 180_000) throw new Error(`only ${symbols.size}/${total} symbols published within 180 s`);
      await sleep(200);
    }
    const startS = (Date.now() - t0) / 1000;
    await sleep(warmupS * 1000);
    ready = await writeCalls(nodes);
    const w0 = performance.now();
    measuring = true;
    await sleep(seconds * 1000);
    measuring = false;
    const elapsedS = (performance.now() - w0) / 1000;
    const updates = (await writeCalls(nodes)) - ready;
    lat.sort((a, b) => a - b);
    const { loadavg } = await import('node:os');
    const row: Row = {
      target: t.kind, instances: n, updatesPerS: Math.round(updates / elapsedS), perInstancePerS: Math.round(updates / elapsedS / n),
      latencyMs: { p50: round(pct(lat, 50)), p99: round(pct(lat, 99)), max: round(lat.at(-1) ?? 0), samples: lat.length },
      load1: Math.round(loadavg()[0]! * 10) / 10, startS: Math.round(startS),
    };
    log(`${t.kind} × ${n}: ${row.updatesPerS} updates/s, tick→Redis p50 ${row.latencyMs.p50} ms p99 ${row.latencyMs.p99} ms (${lat.length} samples, load ${row.load1})`);
    return row;
  } finally {
    await Promise.all(kids.map((k) => new Promise<void>((res) => {
      if (k.exitCode !== null) return res();
      const kill = setTimeout(() => k.kill('SIGKILL'), 8000);
      k.once('exit', () => (clearTimeout(kill), res()));
      k.kill('SIGTERM');
    })));
    for (const s of subs) s.disconnect();
    reader.disconnect();
    // the next configuration starts from an empty keyspace
    await Promise.all(nodes.map((r) => r.flushall().catch(() => {})));
    for (const r of nodes) r.disconnect();
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const num = (name: string, d: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const seconds = num('--seconds', quick ? 3 : 20);
  const warmupS = num('--warmup', quick ? 1 : 10);
  const counts = quick ? [1, 2] : [1, 2, 3];
  const log = (s: string) => console.error(`bench cluster: ${s}`);
  const rows: Row[] = [];
  for (const start of [startSingle, startCluster]) {
    const { target, stop } = await start();
    try {
      for (const n of counts) rows.push(await measure(target, n, warmupS, seconds, log));
    } finally {
      await stop();
    }
  }
  return { seconds, warmupS, cpus: (await import('node:os')).cpus().length, split: 'single Redis: static shares (config); cluster: every instance on every symbol, split by the symbol leases', rows };
}

export function format(r: Record<string, unknown>): string {
  const rows = r.rows as Row[];
  const lines = [
    `cluster bench: ${r.seconds} s measured after ${r.warmupS} s warm-up per configuration, ${r.cpus} CPUs; symbols split ${r.split}`,
    'target   instances  updates/s  per instance  tick→Redis p50 / p99 / max (ms)  samples  load1  start (s)',
  ];
  for (const x of rows) {
    lines.push(`${x.target.padEnd(8)} ${String(x.instances).padStart(9)}  ${String(x.updatesPerS).padStart(9)}  ${String(x.perInstancePerS).padStart(12)}  ${`${x.latencyMs.p50} / ${x.latencyMs.p99} / ${x.latencyMs.max}`.padStart(31)}  ${String(x.latencyMs.samples).padStart(7)}  ${String(x.load1).padStart(5)}  ${String(x.startS).padStart(9)}`);
  }
  return lines.join('\n');
}
