/**
 * This instance's record in the cluster registry (ClusterKeys): written every ttl/3 on the supervisor's
 * status tick (with the largest ring backlog of that status), removed at a clean shutdown. Cluster mode
 * only; what the instance serves comes from `describe` (the symbols whose leases it holds, SymbolServing,
 * and whether it owns execution: its id is on `{execution}:lease`).
 */
import { hostname } from 'node:os';
import type { EngineStatus } from '../supervisor/Supervisor.js';
import type { RedisOptions } from 'ioredis';
import { clusterNodesFromEnv, createRedisClient, type RedisLike } from '../redis/RedisClient.js';
import { executionLeaseKeys, INSTANCE_TTL_MS, instanceIdFromEnv, removeInstance, writeInstance, type InstanceRecord } from './ClusterKeys.js';

export interface Serving {
  symbols: string[];
  execution: boolean;
}

/** The largest backlog (messages not yet read) over every reader of every ring. */
export function maxRingLag(st: Pick<EngineStatus, 'rings'>): number {
  let lag = 0;
  for (const r of st.rings) for (const rd of r.readers) lag = Math.max(lag, rd.lag);
  return lag;
}

export class InstanceHeartbeat {
  private timer?: NodeJS.Timeout;
  private ringLag?: number;
  private writing = false;
  failures = 0;
  readonly startedAt = Date.now();

  constructor(
    private readonly redis: RedisLike,
    readonly id: string,
    private readonly describe: () => Serving,
    private readonly o: { leaseTtlMs: number; ttlMs?: number; dashboard?: () => string | undefined },
  ) {}

  get ttlMs(): number {
    return this.o.ttlMs ?? INSTANCE_TTL_MS;
  }

  record(now = Date.now()): InstanceRecord {
    const s = this.describe();
    const dashboard = this.o.dashboard?.();
    return {
      id: this.id, host: hostname(), pid: process.pid, symbols: [...s.symbols], execution: s.execution,
      startedAt: this.startedAt, heartbeatAt: now, leaseTtlMs: this.o.leaseTtlMs, ttlMs: this.ttlMs,
      ...(this.ringLag !== undefined ? { ringLag: this.ringLag } : {}), ...(dashboard ? { dashboard } : {}),
    };
  }

  onStatus(st: Pick<EngineStatus, 'rings'>): void {
    this.ringLag = maxRingLag(st);
  }

  start(): void {
    const beat = () => {
      if (this.writing) return;
      this.writing = true;
      writeInstance(this.redis, this.record()).catch(() => this.failures++).finally(() => (this.writing = false));
    };
    beat();
    this.timer = setInterval(beat, Math.max(100, Math.floor(this.ttlMs / 3)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await removeInstance(this.redis, this.id).catch(() => {});
  }
}

/**
 * In cluster mode (REDIS_CLUSTER_NODES), registers this engine process for `alphatrader status --cluster`
 * and the other instances' dashboards; null on a single host (nothing changes there). `statusSource`
 * is the supervisor ('status' events carry the rings and the actors).
 */
export function startClusterHeartbeat(
  symbols: readonly string[] | (() => string[]),
  redisOptions: RedisOptions,
  statusSource: { on(ev: 'status', f: (st: EngineStatus) => void): unknown },
  leaseTtlMs = INSTANCE_TTL_MS,
  env: NodeJS.ProcessEnv = process.env,
): InstanceHeartbeat | null {
  if (!clusterNodesFromEnv(env)) return null;
  const redis = createRedisClient({ ...redisOptions, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectionName: 'alphatrader-cluster-heartbeat' }, env);
  redis.on('error', () => {});
  let execution = false;
  const hb = new InstanceHeartbeat(redis, instanceIdFromEnv(env), () => ({ symbols: typeof symbols === 'function' ? symbols() : [...symbols], execution }), { leaseTtlMs });
  statusSource.on('status', (st) => {
    const alive = st.actors.some((a) => a.name === 'execution' && a.alive);
    hb.onStatus(st);
    // every instance runs an execution actor; the one whose id is on the execution lease is the owner
    void redis.get(executionLeaseKeys().lease).then((v) => {
      execution = alive && v !== null && v.slice(0, v.lastIndexOf(':')) === hb.id;
    }, () => {});
  });
  redis.once('ready', () => hb.start());
  const stop = hb.stop.bind(hb);
  hb.stop = async () => {
    await stop();
    redis.disconnect();
  };
  return hb;
}
