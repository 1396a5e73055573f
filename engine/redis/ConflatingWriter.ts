import type { RedisLike } from './RedisClient.js';
import { pipelineAll, type Cmd } from './SlotGroups.js';

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
 * one pipelined `SET key value PX ttl` per distinct key (one pipeline per master on a cluster). While Redis is down nothing is sent and the map
 * keeps only the newest value per key, so memory stays bounded by the number of keys (capped by
 * `maxKeys`; past it new keys are dropped and counted, existing ones still update).
 */
export class ConflatingWriter {
  private pending = new Map<string, Pending>();
  private flushing = false;
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

  /** Sends everything pending in one pipeline; on failure the values go back (unless newer ones arrived). */
  async flush(redis: RedisLike): Promise<boolean> {
    if (this.flushing || this.pending.size === 0) return true;
    if (redis.status !== 'ready') return false;
    this.flushing = true;
    const batch = this.pending;
    this.pending = new Map();
    const t0 = performance.now();
    try {
      const cmds: Cmd[] = [];
      for (const [k, p] of batch) cmds.push(p.ttlMs > 0 ? ['set', k, p.value, 'PX', p.ttlMs] : ['set', k, p.value]);
      const res = await pipelineAll(redis, cmds); // one pipeline, or one per master on a cluster
      let failed = 0;
      if (res) for (const [err] of res) if (err) failed++;
      this.stats.flushes++;
      this.stats.keysWritten += batch.size - failed;
      this.stats.errors += failed;
      this.stats.lastFlushMs = Date.now();
      this.stats.lastFlushDurationMs = performance.now() - t0;
      return failed === 0;
    } catch {
      this.stats.errors++;
      for (const [k, p] of batch) if (!this.pending.has(k)) this.pending.set(k, p);
      return false;
    } finally {
      this.flushing = false;
      this.stats.pending = this.pending.size;
    }
  }
}
