/**
 * A Redis Cluster on loopback from Debian's redis-server and `redis-cli --cluster create`, for tests and
 * demos of the multi-host mode (scale-out.md §1): `masters` masters (≥ 3, the least that can fail over)
 * with `replicas` replicas each, ports base, base+1, …, one directory per node under `dir`, a password on
 * every node (requirepass + masterauth), AOF on. `stop` shuts every node down (the nodes files stay, so
 * `start` on the same directory makes a fresh cluster only after `stop` removed them: it does).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LocalClusterOptions {
  dir: string;
  basePort: number;
  masters?: number;
  replicas?: number;
  password: string;
  /** cluster-node-timeout (ms); 2000 fails a master over in ~4 s (scale-out.md). */
  nodeTimeoutMs?: number;
}

export interface LocalClusterInfo {
  dir: string;
  ports: number[];
  masters: number;
  replicas: number;
  /** `host:port,…` as REDIS_CLUSTER_NODES takes it */
  nodes: string;
}

const STATE_FILE = 'cluster.json';

function nodeConf(dir: string, port: number, o: LocalClusterOptions): string {
  return [
    `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'cluster-enabled yes', `cluster-config-file nodes-${port}.conf`,
    `cluster-node-timeout ${o.nodeTimeoutMs ?? 2000}`, `requirepass ${o.password}`, `masterauth ${o.password}`,
    'appendonly yes', 'daemonize no', 'save ""', `logfile ${join(dir, 'redis.log')}`, 'protected-mode yes',
    // a dead shard takes only its own slots down: the other masters keep serving their symbols (scale-out.md §1)
    'cluster-require-full-coverage no',
  ].join('\n') + '\n';
}

async function cli(port: number, password: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { env: { ...process.env, REDISCLI_AUTH: password }, timeout: 30_000 });
  return stdout;
}

async function waitFor(what: string, timeoutMs: number, ok: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`local cluster: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the nodes, creates the cluster and waits for `cluster_state:ok` on every node. */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalClusterInfo> {
  const masters = o.masters ?? 3;
  const replicas = o.replicas ?? 0;
  if (!Number.isInteger(masters) || masters < 3) throw new Error('a cluster needs at least 3 masters');
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 2) throw new Error('replicas per master: 0, 1 or 2');
  if (existsSync(join(o.dir, STATE_FILE))) throw new Error(`a local cluster is already recorded in ${o.dir} (stop it first)`);
  const ports = Array.from({ length: masters * (1 + replicas) }, (_, i) => o.basePort + i);
  for (const port of ports) {
    const d = join(o.dir, String(port));
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'redis.conf'), nodeConf(d, port, o), { mode: 0o600 });
    const child = spawn('redis-server', [join(d, 'redis.conf')], { detached: true, stdio: 'ignore' });
    child.unref();
  }
  const info: LocalClusterInfo = { dir: o.dir, ports, masters, replicas, nodes: ports.map((p) => `127.0.0.1:${p}`).join(',') };
  writeFileSync(join(o.dir, STATE_FILE), JSON.stringify(info));
  try {
    for (const port of ports) await waitFor(`node ${port} answering`, 10_000, async () => (await cli(port, o.password, 'ping')).trim() === 'PONG');
    await cli(ports[0]!, o.password, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes');
    for (const port of ports) {
      await waitFor(`cluster_state:ok on ${port}`, 30_000, async () => /cluster_state:ok/.test(await cli(port, o.password, 'cluster', 'info')));
    }
  } catch (e) {
    await stopLocalCluster(o.dir, o.password).catch(() => {});
    throw e;
  }
  return info;
}

/** Shuts every recorded node down and removes the cluster's state (node files included). */
export async function stopLocalCluster(dir: string, password: string): Promise<number> {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return 0;
  const info = JSON.parse(readFileSync(file, 'utf8')) as LocalClusterInfo;
  let stopped = 0;
  for (const port of info.ports) {
    try {
      await cli(port, password, 'shutdown', 'nosave');
    } catch {
      // `shutdown` closes the connection before answering: an error here is the normal outcome
    }
    stopped++;
  }
  for (const port of info.ports) rmSync(join(dir, String(port)), { recursive: true, force: true });
  rmSync(file, { force: true });
  return stopped;
}

/**
 * The port of the master serving `slot` in a `CLUSTER NODES` answer, skipping nodes flagged `fail`/`fail?`
 * (a killed master keeps its slots in the table until a replica is promoted); null while no live master has it.
 */
export function masterOfSlot(clusterNodes: string, slot: number): number | null {
  for (const line of clusterNodes.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 8 || !f[2]!.split(',').includes('master') || /(^|,)fail\??(,|$)/.test(f[2]!) || f[7] !== 'connected') continue;
    for (const r of f.slice(8)) {
      if (r.startsWith('[')) continue; // a slot being migrated
      const [a, b] = r.split('-').map(Number);
      if (slot >= a! && slot <= (b ?? a)!) return Number(f[1]!.split('@')[0]!.split(':').pop());
    }
  }
  return null;
}

/** The process id of the node on `port` (to SIGKILL it, as a crashed host would). */
export async function nodePid(port: number, password: string): Promise<number> {
  const m = /process_id:(\d+)/.exec(await cli(port, password, 'info', 'server'));
  if (!m) throw new Error(`local cluster: no process_id from node ${port}`);
  return Number(m[1]);
}

/** Starts a node of a recorded cluster again from its own directory (it rejoins with its nodes file). */
export function restartNode(dir: string, port: number): void {
  const child = spawn('redis-server', [join(dir, String(port), 'redis.conf')], { detached: true, stdio: 'ignore' });
  child.unref();
}
