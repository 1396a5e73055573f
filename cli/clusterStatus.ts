/**
 * `alphatrader status --cluster`: the instances of a cluster as they registered themselves (ClusterKeys),
 * the symbol and execution leases (who holds each, how long since its last grant or renewal), each
 * instance's ring backlog and the execution signal stream's consumer-group lag. Live instances only: a
 * registry record that expired is not shown (and is dropped from the id set by the read).
 */
import { EXECUTION_LEASE, INSTANCE_TTL_MS, SIGNALS_GROUP, SIGNALS_STREAM, instanceKey, readInstances, type InstanceRecord } from '../engine/cluster/ClusterKeys.js';
import { leaseKeys } from '../engine/redis/Lease.js';
import type { RedisLike } from '../engine/redis/RedisClient.js';
import { pipelineAll, type Cmd } from '../engine/redis/SlotGroups.js';

/** A lease as read: `holder` is `<instanceId>:<token>` (null: nobody), `pttlMs` its remaining time. */
export interface LeaseRead { holder: string | null; pttlMs: number }

export interface InstanceView {
  id: string;
  host: string;
  pid: number;
  symbols: string[];
  execution: boolean;
  /** ms since the least recently renewed of its leases was granted or renewed; null: it holds none */
  leaseAgeMs: number | null;
  /** ms since its registry record was written */
  heartbeatAgeMs: number;
  ringLag: number | null;
  startedAt: number;
  dashboard?: string;
}

export interface ClusterView {
  instances: InstanceView[];
  symbols: Record<string, { owner: string | null; leaseAgeMs: number | null; servedBy: string[] }>;
  execution: { owner: string | null; leaseAgeMs: number | null; token: number | null };
  streams: { name: string; group: string; length: number; lag: number | null; pending: number }[];
  /** what an operator must look at: symbols served twice or not at all, no or several execution owners */
  problems: string[];
}

const holderId = (h: string | null): string | null => (h ? h.slice(0, h.lastIndexOf(':')) : null);
const age = (ttlMs: number, pttlMs: number): number | null => (pttlMs >= 0 ? Math.max(0, ttlMs - pttlMs) : null);

/** Pure: the view from what was read (tested without Redis). */
export function clusterView(
  records: InstanceRecord[],
  recordPttl: ReadonlyMap<string, number>,
  symbolLeases: ReadonlyMap<string, LeaseRead>,
  execLease: LeaseRead,
  configured: readonly string[],
  streams: ClusterView['streams'] = [],
): ClusterView {
  const ttlOf = new Map(records.map((r) => [r.id, r.leaseTtlMs || INSTANCE_TTL_MS]));
  const all = [...new Set([...configured, ...records.flatMap((r) => r.symbols)])].sort();
  const symbols: ClusterView['symbols'] = {};
  const problems: string[] = [];
  const oldestLease = new Map<string, number>();
  const noteAge = (id: string, a: number | null) => {
    if (a !== null) oldestLease.set(id, Math.max(oldestLease.get(id) ?? 0, a));
  };
  for (const s of all) {
    const servedBy = records.filter((r) => r.symbols.includes(s)).map((r) => r.id);
    const l = symbolLeases.get(s);
    const leaseOwner = holderId(l?.holder ?? null);
    const leaseAgeMs = leaseOwner && l ? age(ttlOf.get(leaseOwner) ?? INSTANCE_TTL_MS, l.pttlMs) : null;
    if (leaseOwner) noteAge(leaseOwner, leaseAgeMs);
    const owner = leaseOwner ?? (servedBy.length === 1 ? servedBy[0]! : null);
    symbols[s] = { owner, leaseAgeMs, servedBy };
    if (servedBy.length > 1) problems.push(`${s} served by ${servedBy.length} instances: ${servedBy.join(', ')}`);
    else if (servedBy.length === 0 && !leaseOwner) problems.push(`${s} served by no instance`);
  }
  const execOwner = holderId(execLease.holder);
  const execAge = execOwner ? age(ttlOf.get(execOwner) ?? INSTANCE_TTL_MS, execLease.pttlMs) : null;
  if (execOwner) noteAge(execOwner, execAge);
  const claiming = records.filter((r) => r.execution).map((r) => r.id);
  if (!execOwner && claiming.length > 1) problems.push(`execution run by ${claiming.length} instances without an execution lease: ${claiming.join(', ')}`);
  if (!execOwner && claiming.length === 0 && records.length > 0) problems.push('no execution owner');
  const token = execLease.holder ? Number(execLease.holder.slice(execLease.holder.lastIndexOf(':') + 1)) : null;
  return {
    instances: records.map((r) => ({
      id: r.id, host: r.host, pid: r.pid, symbols: [...r.symbols].sort(),
      execution: execOwner ? execOwner === r.id : r.execution,
      leaseAgeMs: oldestLease.get(r.id) ?? null,
      heartbeatAgeMs: age(r.ttlMs || INSTANCE_TTL_MS, recordPttl.get(r.id) ?? -2) ?? 0,
      ringLag: r.ringLag ?? null,
      startedAt: r.startedAt,
      ...(r.dashboard ? { dashboard: r.dashboard } : {}),
    })),
    symbols,
    execution: { owner: execOwner ?? (claiming.length === 1 ? claiming[0]! : null), leaseAgeMs: execAge, token: Number.isFinite(token) ? token : null },
    streams,
    problems,
  };
}

/** Reads the registry, every lease of a configured or served symbol, the execution lease and the signal stream. */
export async function readClusterView(redis: RedisLike, configured: readonly string[]): Promise<ClusterView> {
  const records = await readInstances(redis);
  const names = [...new Set([...configured, ...records.flatMap((r) => r.symbols)])];
  const leaseCmds = (name: string): Cmd[] => [['get', leaseKeys(name).lease], ['pttl', leaseKeys(name).lease]];
  const res = await pipelineAll(redis, [
    ...records.map((r): Cmd => ['pttl', instanceKey(r.id)]),
    ...names.flatMap(leaseCmds),
    ...leaseCmds(EXECUTION_LEASE),
  ]);
  const val = (i: number) => (res[i]?.[0] ? null : res[i]?.[1]);
  const recordPttl = new Map(records.map((r, i) => [r.id, Number(val(i) ?? -2)]));
  const lease = (at: number): LeaseRead => ({ holder: (val(at) as string | null) ?? null, pttlMs: Number(val(at + 1) ?? -2) });
  const symbolLeases = new Map(names.map((s, i) => [s, lease(records.length + 2 * i)]));
  const execLease = lease(records.length + 2 * names.length);
  return clusterView(records, recordPttl, symbolLeases, execLease, configured, await signalStream(redis));
}

/** The execution signal stream's length and its group's lag/pending (absent stream or group: not listed). */
async function signalStream(redis: RedisLike): Promise<ClusterView['streams']> {
  try {
    const length = Number(await redis.xlen(SIGNALS_STREAM));
    const groups = (await redis.xinfo('GROUPS', SIGNALS_STREAM)) as unknown[][];
    return groups.map((g) => {
      const f = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
      const lag = f.get('lag');
      return { name: SIGNALS_STREAM, group: String(f.get('name') ?? SIGNALS_GROUP), length, lag: lag === null || lag === undefined ? null : Number(lag), pending: Number(f.get('pending') ?? 0) };
    });
  } catch {
    return []; // no such stream yet (ERR no such key)
  }
}

const ms = (x: number | null): string => (x === null ? '-' : x < 10_000 ? `${Math.round(x)} ms` : `${(x / 1000).toFixed(1)} s`);

/** The operator's text: one line per instance, the symbol map, execution, streams, then problems. */
export function clusterText(v: ClusterView): string {
  const out: string[] = [`cluster: ${v.instances.length} live instance${v.instances.length === 1 ? '' : 's'}`];
  for (const i of v.instances) {
    out.push(`  ${i.id}${i.execution ? ' [execution]' : ''}  ${i.host} pid ${i.pid}  symbols ${i.symbols.join(' ') || '-'}  lease age ${ms(i.leaseAgeMs)}  heartbeat ${ms(i.heartbeatAgeMs)} ago  ring lag ${i.ringLag ?? '-'}${i.dashboard ? `  ${i.dashboard}` : ''}`);
  }
  out.push('symbols:');
  for (const [s, x] of Object.entries(v.symbols)) out.push(`  ${s.padEnd(6)} ${x.owner ?? '(none)'}${x.leaseAgeMs !== null ? `  lease ${ms(x.leaseAgeMs)}` : x.owner ? '  (no lease)' : ''}`);
  out.push(`execution: ${v.execution.owner ?? '(none)'}${v.execution.token !== null ? ` token ${v.execution.token}` : ''}${v.execution.leaseAgeMs !== null ? `  lease ${ms(v.execution.leaseAgeMs)}` : ''}`);
  for (const s of v.streams) out.push(`stream ${s.name} group ${s.group}: length ${s.length}, lag ${s.lag ?? '-'}, pending ${s.pending}`);
  for (const p of v.problems) out.push(`! ${p}`);
  return out.join('\n');
}
