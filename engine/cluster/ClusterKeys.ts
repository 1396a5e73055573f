/**
 * The key layout the engine instances of one cluster share (issue 15), agreed between the ownership work
 * (writes: registry, leases, signal stream) and the operator views (reads: `status --cluster`, dashboards,
 * /metrics). Every key name used by more than one instance is built here and nowhere else.
 *
 * - Instance registry: `{cluster}:instance:<id>` holds the instance's JSON record with a PX TTL (Redis's
 *   clock decides liveness, not the hosts' wall clocks); `{cluster}:instances` is the set of ids ever
 *   registered. Both share the hash tag `{cluster}`, so one SMEMBERS + one MGET (same slot) lists every
 *   live instance on a cluster without SCANning every master; readers SREM ids whose record expired.
 * - Symbol leases: `Lease` (engine/redis/Lease.ts) named by the symbol → `{SYM}:lease` (value
 *   `<instanceId>:<token>`) and `{SYM}:epoch`; the hash tag is the symbol's, the same slot as its
 *   `market:{SYM}:*` keys, so a script can fence the symbol's writes.
 * - Execution lease: `Lease` named `execution` → `{execution}:lease` / `{execution}:epoch`, a slot apart from
 *   the symbol leases; a fenced append (Lease.append) must target a stream tagged `{execution}`, so the
 *   signal stream to the execution owner lives there too.
 * - Order journal fence: the journal stays `orders:journal` (no hash tag: slot 4526, every reader keeps its
 *   name); its fence is the hash `{orders:journal}:fence` (same slot) holding the newest execution token
 *   seen, so the fenced append (StreamFence) is one script on the journal's node.
 */
import { hostname } from 'node:os';
import type { Cluster, Redis } from 'ioredis';
import { leaseKeys } from '../redis/Lease.js';

type Client = Redis | Cluster;

export const INSTANCES_KEY = '{cluster}:instances';
/** The registry record's PX (the 3 s): an instance that stops refreshing drops out within it. */
export const INSTANCE_TTL_MS = 3000;
export const instanceKey = (id: string): string => `{cluster}:instance:${id}`;

/** Lease names (pass to `new Lease(redis, name, instanceId, …)`). */
export const EXECUTION_LEASE = 'execution';
export const symbolLeaseKeys = (symbol: string) => leaseKeys(symbol);
export const executionLeaseKeys = () => leaseKeys(EXECUTION_LEASE);

/** The order journal's fence (StreamFence): `{orders:journal}` hashes exactly like `orders:journal`. */
export const JOURNAL_FENCE_KEY = '{orders:journal}:fence';

/** Signals from every instance to the execution owner: a stream in the execution lease's slot, one group. */
export const SIGNALS_STREAM = '{execution}:signals';
export const SIGNALS_GROUP = 'execution';

/** What each instance publishes about itself (JSON in `instanceKey(id)`), refreshed every ttl/3. */
export interface InstanceRecord {
  id: string;
  host: string;
  pid: number;
  /** the symbols it serves now (it holds their leases) */
  symbols: string[];
  /** whether it holds the execution lease */
  execution: boolean;
  /** wall ms */
  startedAt: number;
  /** wall ms of this write */
  heartbeatAt: number;
  /** the PX its leases are granted with (readers turn a lease's PTTL into an age) */
  leaseTtlMs: number;
  /** the registry record's own PX */
  ttlMs: number;
  /** largest ring backlog (messages) over its actors' input rings, when known */
  ringLag?: number;
  /** its dashboard's address (http://host:port), when it serves one */
  dashboard?: string;
}

const ID_RE = /^[^:\s{}]{1,128}$/;

/** `ALPHATRADER_INSTANCE_ID`, else `<hostname>-<pid>`; no ':' (a lease value is `<id>:<token>`), spaces or braces. */
export function instanceIdFromEnv(env: NodeJS.ProcessEnv = process.env, pid = process.pid): string {
  const given = env.ALPHATRADER_INSTANCE_ID?.trim();
  if (given) {
    if (!ID_RE.test(given)) throw new Error(`ALPHATRADER_INSTANCE_ID: 1-128 characters without ':', spaces or braces; got ${JSON.stringify(given)}`);
    return given;
  }
  return `${hostname().replace(/[:\s{}]/g, '_').slice(0, 100)}-${pid}`;
}

/** Registers or refreshes `rec` (one slot: MULTI is safe on a cluster). */
export async function writeInstance(redis: Client, rec: InstanceRecord): Promise<void> {
  await redis.multi().sadd(INSTANCES_KEY, rec.id).set(instanceKey(rec.id), JSON.stringify(rec), 'PX', rec.ttlMs).exec();
}

/** Removes the record at a clean shutdown (others see the instance gone at once, not after the TTL). */
export async function removeInstance(redis: Client, id: string): Promise<void> {
  await redis.multi().srem(INSTANCES_KEY, id).del(instanceKey(id)).exec();
}

/** Every live instance (record present), id order; ids whose record expired are dropped from the set. */
export async function readInstances(redis: Client): Promise<InstanceRecord[]> {
  const ids = (await redis.smembers(INSTANCES_KEY)).sort();
  if (ids.length === 0) return [];
  const raws = await redis.mget(ids.map(instanceKey));
  const live: InstanceRecord[] = [];
  const gone: string[] = [];
  raws.forEach((raw, i) => {
    const rec = raw ? parseInstance(raw) : null;
    if (rec) live.push(rec);
    else if (!raw) gone.push(ids[i]!);
  });
  if (gone.length) await redis.srem(INSTANCES_KEY, ...gone);
  return live;
}

/** A record as stored, or null when it is not one (a reader never throws on another instance's bad write). */
export function parseInstance(raw: string): InstanceRecord | null {
  try {
    const r = JSON.parse(raw) as Partial<InstanceRecord>;
    if (typeof r.id !== 'string' || !Array.isArray(r.symbols) || typeof r.execution !== 'boolean' || typeof r.heartbeatAt !== 'number') return null;
    return r as InstanceRecord;
  } catch {
    return null;
  }
}
