/**
 * `npm run bench -- cluster-failover [--runs N] [--replicas 0|1] [--down-ms MS]`: a Redis master dies under a
 * running engine (issue 15: "keys flow again within the cluster's failover time plus 2 s"). One real engine
 * (`alphatrader start`, simulated venues, default configuration) on a local 3-master cluster; each run picks a
 * symbol, SIGKILLs the master serving its `{SYM}` slot and measures, from the kill:
 *   - failover: until `CLUSTER NODES` (asked of a surviving node every 20 ms) shows a live master for the slot;
 *   - flowing: until `market:{SYM}:timestamp` changes again (the engine's publisher wrote it after the kill);
 *   - after failover: flowing − failover (the engine's part: ioredis' slot refresh and the publisher's retry);
 *   - others' longest gap: the longest time a symbol served by another master went without a new value
 *     between the kill and the killed symbol flowing again (do healthy masters' symbols keep flowing?).
 * With `--replicas 0` nothing can fail over: the killed master is started again after `--down-ms` (default
 * 3000) and `flowing` is measured from that restart instead. The killed node is started again after every run
 * (as a replica when one was promoted). `logged`: whether the engine's publisher named the symbols it could not
 * write and their return. Figures, not assertions; the engine must stay up throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { loadConfig } from '../engine/config/loadConfig.js';
import { masterOfSlot, nodePid, restartNode, startLocalCluster, stopLocalCluster } from '../engine/redis/LocalCluster.js';
import { startInstance, until, type Instance } from './executionTakeover.js';

const PASSWORD = 'bench-failover-secret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

interface Row { run: number; symbol: string; killedPort: number; failoverMs: number | null; flowingMs: number; afterFailoverMs: number | null; othersMaxGapMs: number; baselineGapMs: number; reported: string }

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = Math.max(1, Number(opt(args, '--runs') ?? (args.includes('--quick') ? 1 : 3)) || 3);
  const replicas = Number(opt(args, '--replicas') ?? 1);
  const downMs = Number(opt(args, '--down-ms') ?? 3000);
  if (![0, 1].includes(replicas) || !(downMs >= 0)) throw new Error('--replicas 0|1, --down-ms a number of ms');
  const dir = mkdtempSync(join(tmpdir(), 'at-bench-failover-'));
  // a random port range may be taken (other work on the host): a few tries
  let info: Awaited<ReturnType<typeof startLocalCluster>> | undefined;
  for (let attempt = 1; !info; attempt++) {
    try {
      info = await startLocalCluster({ dir, basePort: 20000 + Math.floor(Math.random() * 15000), password: PASSWORD, replicas });
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
  const env = { REDIS_CLUSTER_NODES: info.nodes, ALPHATRADER_REDIS_PASSWORD: PASSWORD, REDIS_URL: '' };
  const redis = new Cluster([{ host: '127.0.0.1', port: info.ports[0]! }], { redisOptions: { password: PASSWORD }, slotsRefreshInterval: 200 });
  redis.on('error', () => {});
  const symbols = loadConfig({ env: {} }).config.symbols.map((s) => s.symbol);
  // Reads go straight to the master serving the key's slot now (a fresh connection each time, bounded): a
  // cluster client's reads of the dead master's keys would hang and stall the sampling, and whether our
  // own client finds the restarted node is not what is measured; undefined = no live master answered.
  const slotOf = new Map<string, number>();
  const read = async (k: string): Promise<string | null | undefined> => {
    const slot = slotOf.get(k) ?? Number(await redis.call('CLUSTER', 'KEYSLOT', k));
    slotOf.set(k, slot);
    const port = await masterFor(slot, -1);
    if (port === null) return undefined;
    const c = new Redis({ port, host: '127.0.0.1', password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 250, commandTimeout: 250 });
    c.on('error', () => {});
    try {
      await c.connect();
      return await c.get(k);
    } catch {
      return undefined;
    } finally {
      c.disconnect();
    }
  };
  const key = (s: string) => `market:{${s}}:timestamp`;
  const rows: Row[] = [];
  let inst: Instance | undefined;
  /** a node's own view of the cluster, through a short-lived connection to any node but the dead one */
  const masterFor = async (slot: number, dead: number): Promise<number | null> => {
    for (const port of info.ports) {
      if (port === dead) continue;
      const c = new Redis({ port, host: '127.0.0.1', password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {});
      try {
        await c.connect();
        return masterOfSlot(String(await c.call('CLUSTER', 'NODES')), slot);
      } catch {
        // that node is down too (a previous run's node still restarting): ask the next one
      } finally {
        c.disconnect();
      }
    }
    return null;
  };
  try {
    inst = startInstance('failover-a', env);
    await until(() => inst!.msgs.some((m) => /^AlphaTrader running/.test(m)) || inst!.child.exitCode !== null, 240_000, 'the engine running', 200);
    const flowing = async (s: string, since: string | null) => {
      const v = await read(key(s));
      return v !== null && v !== undefined && v !== since;
    };
    for (const s of symbols) {
      const v0 = await redis.get(key(s));
      await until(() => flowing(s, v0), 120_000, `${s} keys flowing`, 100);
    }
    for (let r = 1; r <= runs; r++) {
      const symbol = symbols[(r - 1) % symbols.length]!;
      const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key(symbol)));
      const port = (await masterFor(slot, -1))!;
      const pid = await nodePid(port, PASSWORD);
      const before = await redis.get(key(symbol));
      // the other symbols' keys, sampled while waiting: their longest gap without a new value
      const others: string[] = [];
      for (const o of symbols) {
        if (o !== symbol && (await masterFor(Number(await redis.call('CLUSTER', 'KEYSLOT', key(o))), -1)) !== port) others.push(o);
      }
      const last = new Map<string, { v: string | null; at: number }>();
      let othersMaxGapMs = 0; // symbols on the healthy masters only
      const sampleOthers = async () => {
        const now = performance.now();
        await Promise.all(others.map(async (o) => {
          const v = await read(key(o));
          const l = last.get(o)!;
          if (v !== undefined && v !== null && v !== l.v) {
            othersMaxGapMs = Math.max(othersMaxGapMs, now - l.at);
            last.set(o, { v, at: now });
          }
        }));
      };
      for (const o of others) last.set(o, { v: await redis.get(key(o)), at: performance.now() });
      // the same gap measured over 4 s before the kill: how often these keys change anyway (trades-only symbols
      // change every second or two)
      const tb = performance.now();
      await until(async () => {
        await sampleOthers();
        return performance.now() - tb > 4000;
      }, 10_000, 'the baseline window');
      for (const l of last.values()) othersMaxGapMs = Math.max(othersMaxGapMs, performance.now() - l.at);
      const baselineGapMs = othersMaxGapMs;
      othersMaxGapMs = 0;
      for (const l of last.values()) l.at = performance.now();
      const logged = inst.msgs.length;
      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      let failoverMs: number | null = null;
      let from = t0;
      if (replicas > 0) {
        await until(async () => {
          await sampleOthers();
          const m = await masterFor(slot, port);
          return m !== null && m !== port;
        }, 60_000, 'a replica promoted');
        failoverMs = performance.now() - t0;
      } else {
        await until(async () => {
          await sampleOthers();
          return performance.now() - t0 >= downMs;
        }, downMs + 10_000, 'the down time');
        from = performance.now();
        restartNode(dir, port);
      }
      await until(async () => {
        await sampleOthers();
        return flowing(symbol, before);
      }, 60_000, `${symbol} keys flowing again`);
      const flowingMs = performance.now() - from;
      const end = performance.now();
      // what the engine said meanwhile: the symbols it could not write, and their return
      await sleep(1500);
      const said = inst.msgs.slice(logged);
      const reported = said.some((m) => /^Redis unavailable for these symbols/.test(m)) ? (said.some((m) => /^Redis available again/.test(m)) ? 'down+back' : 'down') : 'no';
      for (const l of last.values()) othersMaxGapMs = Math.max(othersMaxGapMs, end - l.at);
      if (inst.child.exitCode !== null) throw new Error('the engine exited during the failover');
      rows.push({ run: r, symbol, killedPort: port, failoverMs: failoverMs === null ? null : Math.round(failoverMs), flowingMs: Math.round(flowingMs), afterFailoverMs: failoverMs === null ? null : Math.round(flowingMs - failoverMs), othersMaxGapMs: Math.round(othersMaxGapMs), baselineGapMs: Math.round(baselineGapMs), reported });
      if (replicas > 0) restartNode(dir, port); // back as a replica of the promoted node, for the next run
      await until(async () => (await masterFor(slot, -1)) !== null && (await Promise.all(info.ports.map((p) => nodePid(p, PASSWORD).then(() => true, () => false)))).every(Boolean), 60_000, 'every node up again', 200);
      await sleep(2000); // the restarted node resynchronised before the next kill
    }
  } finally {
    inst?.child.kill('SIGKILL');
    redis.disconnect();
    await stopLocalCluster(dir, PASSWORD).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null);
  return {
    replicas, downMs: replicas ? null : downMs, nodeTimeoutMs: 2000, runs: rows,
    medianFailoverMs: med(rows.flatMap((x) => (x.failoverMs === null ? [] : [x.failoverMs]))),
    medianFlowingMs: med(rows.map((x) => x.flowingMs)),
    medianAfterFailoverMs: med(rows.flatMap((x) => (x.afterFailoverMs === null ? [] : [x.afterFailoverMs]))),
  };
}

export function format(r: Record<string, unknown>): string {
  const rows = r.runs as Row[];
  const head = r.replicas
    ? `Redis master killed under a running engine (local cluster, 3 masters × 1 replica, cluster-node-timeout ${r.nodeTimeoutMs} ms): ms from the kill`
    : `Redis master killed, no replica (local cluster, 3 masters): down ${r.downMs} ms, then started again; flowing = ms from its restart`;
  return [
    head,
    'run  symbol  killed   failover (ms)  flowing (ms)  flowing − failover (ms)  others\' longest gap (ms), during / before  logged',
    ...rows.map((x) => `${String(x.run).padEnd(4)} ${x.symbol.padEnd(7)} ${String(x.killedPort).padEnd(8)} ${String(x.failoverMs ?? '—').padStart(13)}  ${String(x.flowingMs).padStart(12)}  ${String(x.afterFailoverMs ?? '—').padStart(23)}  ${String(x.othersMaxGapMs).padStart(15)} / ${String(x.baselineGapMs).padEnd(6)}  ${x.reported}`),
    `median: failover ${r.medianFailoverMs ?? '—'} ms, flowing ${r.medianFlowingMs} ms, flowing − failover ${r.medianAfterFailoverMs ?? '—'} ms (target ≤ 2000)`,
  ].join('\n');
}
