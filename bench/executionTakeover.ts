/**
 * `npm run bench -- execution-takeover [--runs N]`: how long execution is unowned after a `kill -9` of its
 * owner (issue 15: "another instance owns execution within 5 s"). Two real engines (`alphatrader start`,
 * simulated venues, default configuration) on a local 3-master Redis Cluster; each run SIGKILLs the current
 * execution owner and measures, from the kill:
 *   - lease: until `{execution}:lease` names the survivor (polled every 20 ms);
 *   - reconciled: until the survivor logs `execution ready: journal reconciled` (it may trade from here);
 *   - symbols: until the survivor serves every configured symbol (each `market:{SYM}:timestamp` newer than the
 *     kill: the killed instance's symbols are taken over once their leases expire; polled every 20 ms).
 * Each run starts from a balanced split (both instances hold symbol leases).
 * The killed instance is then started again (a follower) for the next run. Figures, not assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { projectRoot } from '../engine/config/projectRoot.js';
import { startLocalCluster, stopLocalCluster } from '../engine/redis/LocalCluster.js';
import { readJsonLines } from '../engine/log/jsonLines.js';
import { executionLeaseKeys, INSTANCE_TTL_MS, symbolLeaseKeys } from '../engine/cluster/ClusterKeys.js';
import { loadConfig } from '../engine/config/loadConfig.js';

const PASSWORD = 'bench-takeover-secret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Instance {
  id: string;
  child: ChildProcess;
  /** messages logged so far (JSON lines' msg) */
  msgs: string[];
}

export function startInstance(id: string, env: Record<string, string>): Instance {
  const dataDir = mkdtempSync(join(tmpdir(), 'at-bench-takeover-'));
  const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'alphatrader.js'), 'start'], {
    env: { ...process.env, ...env, ALPHATRADER_ENGINE_DATA_DIR: dataDir, ALPHATRADER_LOGGING_PRETTY: 'never', ALPHATRADER_DASHBOARD_PORT: '0', ALPHATRADER_INSTANCE_ID: id, MALLOC_ARENA_MAX: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const inst: Instance = { id, child, msgs: [] };
  readJsonLines([child.stdout, child.stderr], (_, obj) => {
    if (typeof obj?.msg === 'string') inst.msgs.push(obj.msg);
  });
  return inst;
}

const count = (i: Instance, re: RegExp) => i.msgs.filter((m) => re.test(m)).length;
const READY = /^execution ready: journal reconciled/;

export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string, every = 20): Promise<void> {
  for (const end = Date.now() + ms; ; await sleep(every)) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const i = args.indexOf('--runs');
  const runs = i >= 0 ? Math.max(1, Number(args[i + 1]) || 3) : args.includes('--quick') ? 1 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'at-bench-takeover-cluster-'));
  const info = await startLocalCluster({ dir, basePort: 20000 + Math.floor(Math.random() * 15000), password: PASSWORD });
  const env = { REDIS_CLUSTER_NODES: info.nodes, ALPHATRADER_REDIS_PASSWORD: PASSWORD, REDIS_URL: '' };
  const redis = new Cluster([{ host: '127.0.0.1', port: info.ports[0]! }], { redisOptions: { password: PASSWORD } });
  redis.on('error', () => {});
  const lease = executionLeaseKeys().lease;
  const holder = async () => {
    const v = await redis.get(lease);
    return v ? v.slice(0, v.lastIndexOf(':')) : null;
  };
  const symbols = loadConfig().config.symbols.map((x) => x.symbol);
  const symbolOwners = async () => (await Promise.all(symbols.map((s) => redis.get(symbolLeaseKeys(s).lease)))).map((v) => (v ? v.slice(0, v.lastIndexOf(':')) : null));
  const split = async () => {
    const o = await symbolOwners();
    return [...insts.keys()].every((id) => o.includes(id)) && o.every((x) => x !== null);
  };
  const allFreshSince = async (wallMs: number) => (await Promise.all(symbols.map((s) => redis.get(`market:{${s}}:timestamp`)))).every((v) => Number(v ?? 0) > wallMs);
  const insts = new Map<string, Instance>();
  const rows: Row[] = [];
  try {
    for (const id of ['takeover-a', 'takeover-b']) insts.set(id, startInstance(id, env));
    await until(async () => (await holder()) !== null && [...insts.values()].some((x) => count(x, READY) > 0), 240_000, 'a first execution owner', 200);
    await until(() => [...insts.values()].every((x) => x.msgs.some((m) => /^AlphaTrader running/.test(m))), 240_000, 'both instances running', 200);
    for (let r = 1; r <= runs; r++) {
      const owner = (await holder())!;
      const survivor = [...insts.values()].find((x) => x.id !== owner)!;
      await until(split, 60_000, 'a split of the symbols between both instances', 100);
      const moved = (await symbolOwners()).filter((x) => x === owner).length;
      const readyBefore = count(survivor, READY);
      const t0 = performance.now();
      const wall0 = Date.now();
      insts.get(owner)!.child.kill('SIGKILL');
      let symbolsMs = 0;
      const symbolsDone = until(() => allFreshSince(wall0), 60_000, 'the survivor to serve every symbol').then(() => (symbolsMs = performance.now() - t0));
      await until(async () => (await holder()) === survivor.id, 60_000, 'the survivor to take the lease');
      const leaseMs = performance.now() - t0;
      await until(() => count(survivor, READY) > readyBefore, 60_000, 'the survivor to reconcile');
      const reconciledMs = performance.now() - t0;
      await symbolsDone;
      rows.push({ run: r, killed: owner, survivor: survivor.id, leaseMs: Math.round(leaseMs), reconciledMs: Math.round(reconciledMs), moved, symbolsMs: Math.round(symbolsMs) });
      if (r < runs) {
        const again = startInstance(owner, env); // back as a follower for the next run
        insts.set(owner, again);
        await until(() => again.msgs.some((m) => /^AlphaTrader running/.test(m)), 240_000, 'the restarted instance', 200);
      }
    }
  } finally {
    for (const x of insts.values()) x.child.kill('SIGKILL');
    redis.disconnect();
    await stopLocalCluster(dir, PASSWORD).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { leaseTtlMs: INSTANCE_TTL_MS, symbols: symbols.length, runs: rows, medianLeaseMs: med(rows.map((x) => x.leaseMs)), medianReconciledMs: med(rows.map((x) => x.reconciledMs)), medianSymbolsMs: med(rows.map((x) => x.symbolsMs)) };
}

interface Row {
  run: number;
  killed: string;
  survivor: string;
  leaseMs: number;
  reconciledMs: number;
  /** symbols the killed instance held */
  moved: number;
  symbolsMs: number;
}

export function format(r: Record<string, unknown>): string {
  const rows = r.runs as Row[];
  return [
    `execution takeover after kill -9 of the owner (lease TTL ${r.leaseTtlMs} ms, renew every ttl/3, 2 engines, local 3-master cluster, ${r.symbols} symbols)`,
    'run  killed       survivor     lease (ms)  reconciled (ms)  symbols moved  all symbols served (ms)',
    ...rows.map((x) => `${String(x.run).padEnd(4)} ${x.killed.padEnd(12)} ${x.survivor.padEnd(12)} ${String(x.leaseMs).padStart(10)}  ${String(x.reconciledMs).padStart(15)}  ${String(x.moved).padStart(13)}  ${String(x.symbolsMs).padStart(23)}`),
    `median: lease ${r.medianLeaseMs} ms, reconciled ${r.medianReconciledMs} ms, all symbols served ${r.medianSymbolsMs} ms`,
  ].join('\n');
}
