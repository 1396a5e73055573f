import type { ServedSymbols } from '../../engine/cluster/ServedSymbols.js';
import { mgetAll } from '../../engine/redis/SlotGroups.js';
import type { RedisLike } from '../../engine/redis/RedisClient.js';

/** The per-symbol keys execution reads for a symbol another instance serves: its book (marks, paper fills) and VPIN (alerts). */
export const REMOTE_MARKET_KEYS = (sym: string): string[] => [`market:{${sym}}:book`, `analytics:{${sym}}:vpin`];

/**
 * Cluster mode (issue 15): the execution owner trades every configured symbol, but its own market-depth
 * only sees the symbols its instance serves (the others' venue lines are held by their owners). Their book
 * snapshots and VPIN are read from Redis, where the owners' publishers write them, and handed to the same
 * path a local publish takes. A key is handed on only when its value changed since the last read: an
 * owner that stopped writing must leave the mark to age (stale marks, no exits on old prices), not renew it.
 */
export class RemoteMarket {
  polls = 0;
  failures = 0;
  badValues = 0;
  /** values handed on */
  applied = 0;
  private readonly last = new Map<string, string>();
  private busy = false;

  constructor(
    private readonly redis: RedisLike,
    private readonly served: ServedSymbols,
    private readonly onValue: (key: string, value: unknown) => void,
  ) {}

  /** The symbols read from Redis now (configured, not served here). */
  remote(): string[] {
    return this.served.names.filter((s) => !this.served.has(s));
  }

  async poll(): Promise<void> {
    const syms = this.remote();
    if (this.busy || syms.length === 0 || this.redis.status !== 'ready') return;
    this.busy = true;
    try {
      const keys = syms.flatMap(REMOTE_MARKET_KEYS);
      const values = await mgetAll(this.redis, keys);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const raw = values[i];
        if (typeof raw !== 'string' || this.last.get(key) === raw) continue;
        this.last.set(key, raw);
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch {
          this.badValues++;
          continue;
        }
        this.applied++;
        this.onValue(key, value);
      }
      this.polls++;
    } catch {
      this.failures++;
    } finally {
      this.busy = false;
    }
  }
}
