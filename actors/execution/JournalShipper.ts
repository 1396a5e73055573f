import type { RedisLike } from '../../engine/redis/RedisClient.js';
import type { JournalWal, WalEntry } from './JournalWal.js';

/**
 * Appends one entry to the journal stream only if it is the next in sequence: `lsn` one past the watermark
 * (`<stream>:wal`, moved in the same script). A retry of an entry Redis already holds (a timeout whose
 * command ran after all) answers 0 and adds nothing; an entry past a gap (the one before it failed in the
 * same pipeline) answers -1 and is sent again after it. So the stream holds every entry once, in order.
 */
const SHIP = `local w = tonumber(redis.call('GET', KEYS[2]) or '0')
local lsn = tonumber(ARGV[1])
if lsn <= w then return 0 end
if lsn ~= w + 1 then return -1 end
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[2], ARGV[1])
return 1`;

export interface ShipperOptions {
  /** the journal Redis stopped (false, why) or started again (true) taking entries */
  onHealth?: (ok: boolean, reason?: string) => void;
  /** wait before a failed entry is sent again */
  retryMs?: number;
  /** entries per pipeline */
  maxBatch?: number;
  /**
   * the local file is emptied when everything is shipped and it is larger than this (default 0: at once, so
   * the file holds only what Redis may not have; after a Redis data loss the journal is rebuilt from the
   * broker by the reconciliation, not from an old local copy)
   */
  truncateBytes?: number;
  /** crash tests: called with an entry's fields once it is in the file, before it is shipped */
  afterLocalWrite?: (fields: string[]) => void;
}

/**
 * Ships the local write-ahead journal (JournalWal) to the Redis stream, in order, exactly once (decision
 * 113). `append` is synchronous: the entry is in the local file when it returns, which is what the order
 * path waits for; the stream follows within a round trip. While Redis does not take entries the shipper
 * says so (`failing`, onHealth), retries, and keeps everything in the file; `recover` ships what a crash
 * left in the file before the journal is replayed.
 */
export class JournalShipper {
  private lsn = 0;
  private readonly waiting: WalEntry[] = [];
  private pumping = false;
  private retryTimer?: NodeJS.Timeout;
  private syncTimer?: NodeJS.Timeout;
  private idle: (() => void)[] = [];
  private recovered = false;
  private closed = false;
  failing = false;
  readonly counters = { appended: 0, shipped: 0, duplicates: 0, retries: 0, recovered: 0, torn: 0, rebased: 0 };

  constructor(
    private readonly redis: RedisLike,
    readonly stream: string,
    private readonly wal: JournalWal,
    private readonly opts: ShipperOptions = {},
  ) {}

  /** the newest lsn in the stream */
  get watermarkKey(): string {
    return `${this.stream}:wal`;
  }

  /** entries in the local file that Redis does not hold yet */
  get behind(): number {
    return this.waiting.length;
  }

  /**
   * Start-up, before the journal is replayed: ships the entries a crash left in the local file (those past
   * the stream's watermark), then empties the file. Throws when Redis does not take them (start is retried).
   */
  async recover(): Promise<number> {
    if (this.recovered) {
      // a start run again (the last one failed half-way): the entries in memory are the file's; ship them
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      void this.pump();
      if (!(await this.drained(5000))) throw new Error(`journal Redis did not take ${this.waiting.length} entries of the local journal`);
      return 0;
    }
    const { entries, torn } = this.wal.read();
    this.counters.torn += torn;
    const w = Number((await this.redis.get(this.watermarkKey)) ?? 0) || 0;
    const pending = entries.filter((e) => e.lsn > w);
    if (pending.length > 0 && pending[0]!.lsn !== w + 1) {
      // The stream lost entries the file no longer has (Redis restored from an older state): the
      // reconciliation with the broker covers those; the file's own entries still go in, in order.
      await this.redis.set(this.watermarkKey, String(pending[0]!.lsn - 1));
      this.counters.rebased++;
    }
    this.lsn = Math.max(w, entries.length ? entries[entries.length - 1]!.lsn : 0);
    this.waiting.length = 0;
    this.waiting.push(...pending);
    if (pending.length > 0) {
      await this.pump();
      if (this.waiting.length > 0) throw new Error(`journal Redis did not take ${this.waiting.length} entries of the local journal`);
    }
    this.counters.recovered += pending.length;
    this.recovered = true;
    this.wal.truncate();
    this.syncTimer ??= setInterval(() => void this.wal.sync(), 1000);
    this.syncTimer.unref?.();
    return pending.length;
  }

  /** Writes the entry to the local file (throws when it cannot: then nothing was journaled) and ships it. */
  append(fields: string[]): void {
    if (this.closed) throw new Error('local journal closed');
    const e: WalEntry = { lsn: this.lsn + 1, fields };
    this.wal.append(e);
    this.lsn = e.lsn;
    this.waiting.push(e);
    this.counters.appended++;
    this.opts.afterLocalWrite?.(fields);
    // Shipped on the next turn of the loop, not here: building and writing the command costs ~0.1-0.2 ms
    // of this thread, which the order path (the broker call right after this append) should not wait for.
    if (!this.retryTimer && !this.kicked) {
      this.kicked = true;
      setImmediate(this.kick);
    }
  }

  private kicked = false;
  private readonly kick = () => {
    this.kicked = false;
    if (!this.retryTimer) void this.pump();
  };

  /** Resolves true once Redis holds every entry appended so far, false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.waiting.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.idle = this.idle.filter((f) => f !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.idle.push(done);
    });
  }

  /** Stops retrying and syncing; what was not shipped stays in the file for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.syncTimer);
    this.retryTimer = undefined;
    this.syncTimer = undefined;
    await this.wal.sync();
    this.wal.close();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.slice(0, this.opts.maxBatch ?? 64);
        // one pipeline, in order: a connection keeps the order of its commands
        const results = await Promise.allSettled(batch.map((e) => this.redis.eval(SHIP, 2, this.stream, this.watermarkKey, String(e.lsn), ...e.fields)));
        if (this.closed) return; // what is not known shipped stays in the file for the next start
        let acked = 0;
        let why = '';
        for (const r of results) {
          if (r.status === 'fulfilled' && (r.value === 1 || r.value === 0)) {
            if (r.value === 0) this.counters.duplicates++;
            acked++;
            continue;
          }
          why = r.status === 'rejected'
            ? String((r.reason as Error)?.message ?? r.reason).split('\n')[0]!
            : `entry ${batch[acked]!.lsn} is out of sequence with the stream's watermark (${this.watermarkKey})`;
          break;
        }
        this.waiting.splice(0, acked);
        this.counters.shipped += acked;
        if (acked < batch.length) {
          this.health(false, why);
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.counters.retries++;
            void this.pump();
          }, this.opts.retryMs ?? 200);
          this.retryTimer.unref?.();
          return;
        }
      }
      this.health(true);
      // Everything appended is in Redis (checked after the last await: no append in between).
      if (this.wal.size > (this.opts.truncateBytes ?? 0)) this.wal.truncate();
      const idle = this.idle;
      this.idle = [];
      for (const f of idle) f();
    } finally {
      this.pumping = false;
    }
  }

  private health(ok: boolean, reason?: string): void {
    if (ok === !this.failing) return;
    this.failing = !ok;
    this.opts.onHealth?.(ok, reason);
  }
}
