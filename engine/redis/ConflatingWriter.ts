import type { RedisLike } from './RedisClient.js';
import { isCluster, nodeOf, run, type Cmd } from './SlotGroups.js';

interface Pending { value: string; ttlMs: number }

export interface WriterStats {
  flushes: number;
  keysWritten: number;
  errors: number;
  conflated: number; // writes replaced by a newer value before reaching Redis
  droppedKeys: number; // new keys refused while the pending map was at its bound (Redis down)
  pending: number;
  lastFlushMs: number;
  lastFlushDurationMs: number;
}

/**
 * Latest-value-wins buffer in front of Redis: writers call `set` as often as they like, and `flush` sends
 * one pipelined `SET key value PX ttl` per distinct key (one pipeline per master on a cluster, each master on
 * its own: see flush). While Redis is down nothing is sent and the map
 * keeps only the newest value per key, so memory stays bounded by the number of keys (capped by
 * `maxKeys`; past it new keys are dropped and counted, existing ones still update).
 */
export class ConflatingWriter {
  private pending = new Map<string, Pending>();
  /** nodes with a pipeline not answered yet ('' on a single Redis) */
  private readonly inFlight = new Set<string>();
  private readonly failedTags = new Set<string>();
  readonly stats: WriterStats = {
    flushes: 0, keysWritten: 0, errors: 0, conflated: 0, droppedKeys: 0, pending: 0, lastFlushMs: 0, lastFlushDurationMs: 0,
  };

  constructor(private readonly maxKeys: number) {}

  set(key: string, value: string, ttlMs: number): void {
    const p = this.pending.get(key);
    if (p) {
      p.value = value;
      p.ttlMs = ttlMs;
      this.stats.conflated++;
      return;
    }
    if (this.pending.size >= this.maxKeys) {
      this.stats.droppedKeys++;
      return;
    }
    this.pending.set(key, { value, ttlMs });
  }

  /** Forgets pending values whose key matches (a symbol this instance stopped serving: not written late). */
  dropWhere(match: (key: string) => boolean): number {
    let n = 0;
    for (const k of this.pending.keys()) if (match(k)) n += +this.pending.delete(k);
    return n;
  }

  get size(): number {
    return this.pending.size;
  }

  /** No pipeline in flight. */
  get idle(): boolean {
    return this.inFlight.size === 0;
  }

  private idleWaiters: (() => void)[] = [];

  /** Resolves when no pipeline is in flight (every value sent so far has been answered). */
  settled(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Sends what is pending: one pipeline per node (the whole map on a single Redis), at most one in flight per
   * node. A node whose pipeline has not answered yet (a master that died: ioredis holds its commands until a
   * replica is promoted) keeps its keys here, conflating, while every other node's keys go out: one dead
   * master no longer stalls the symbols the others serve. Keys that could not be written go back (unless a
   * newer value arrived) and their hash tags are `unavailable` until one of their writes succeeds.
   * Resolves once the pipelines started by this call have answered: true when none failed.
   */
  async flush(redis: RedisLike): Promise<boolean> {
    if (this.pending.size === 0) return true;
    if (redis.status !== 'ready') return false;
    const node = isCluster(redis) ? nodeOf(redis) : () => '';
    const groups = new Map<string, [string, Pending][]>();
    for (const e of this.pending) {
      const n = node(e[0]);
      if (this.inFlight.has(n)) continue;
      const g = groups.get(n);
      if (g) g.push(e);
      else groups.set(n, [e]);
    }
    if (groups.size === 0) return true;
    const t0 = performance.now();
    const results = await Promise.all([...groups].map(([n, batch]) => this.send(redis, n, batch)));
    this.stats.flushes++;
    this.stats.lastFlushMs = Date.now();
    this.stats.lastFlushDurationMs = performance.now() - t0;
    this.stats.pending = this.pending.size;
    return results.every(Boolean);
  }

  /** Hash tags (symbols) whose last write failed: their master is unreachable; empty when all is written. */
  unavailable(): string[] {
    return [...this.failedTags].sort();
  }

  private async send(redis: RedisLike, n: string, batch: [string, Pending][]): Promise<boolean> {
    this.inFlight.add(n);
    for (const [k] of batch) this.pending.delete(k);
    const cmds: Cmd[] = batch.map(([k, p]) => (p.ttlMs > 0 ? ['set', k, p.value, 'PX', p.ttlMs] : ['set', k, p.value]));
    let failed = 0;
    try {
      const res = await run(redis, cmds, false);
      res.forEach(([err], i) => (err ? this.back(batch[i]!) : this.written(batch[i]![0])));
      failed = res.filter(([err]) => err).length;
    } catch {
      for (const e of batch) this.back(e);
      failed = batch.length;
    } finally {
      this.inFlight.delete(n);
      if (this.inFlight.size === 0 && this.idleWaiters.length) for (const r of this.idleWaiters.splice(0)) r();
    }
    this.stats.keysWritten += batch.length - failed;
    this.stats.errors += failed;
    return failed === 0;
  }

  /**
   * Whether a value that failed may wait for the next flush (the publisher: only keys of symbols this instance
   * still serves, so a pipeline in flight when a symbol moved cannot bring it back after dropWhere).
   */
  keep: (key: string) => boolean = () => true;

  /** A key not written: its value waits for the next flush unless a newer one arrived meanwhile. */
  private back([k, p]: [string, Pending]): void {
    if (!this.keep(k)) return;
    if (!this.pending.has(k)) this.pending.set(k, p);
    this.failedTags.add(tagOf(k));
  }

  private written(k: string): void {
    if (this.failedTags.size) this.failedTags.delete(tagOf(k));
  }
}

/** A key's hash tag (the symbol in `market:{SPY}:…`), or `*` for keys without one. */
function tagOf(key: string): string {
  const o = key.indexOf('{');
  const c = o >= 0 ? key.indexOf('}', o + 1) : -1;
  return c > o + 1 ? key.slice(o + 1, c) : '*';
}
