import type { ServedSymbols } from '../../engine/cluster/ServedSymbols.js';
import { pipelineAll, type Cmd } from '../../engine/redis/SlotGroups.js';
import type { RedisLike } from '../../engine/redis/RedisClient.js';
import type { ColdStore } from './ColdStore.js';
import type { HotState } from './HotState.js';

/** The per-symbol keys a dashboard shows for a symbol another instance serves (besides its ticker). */
export const REMOTE_KEYS = (sym: string): string[] => [
  `market:{${sym}}:book`, `market:{${sym}}:spread`, `market:{${sym}}:imbalance`, `analytics:{${sym}}:vpin`, `signals:{${sym}}:latest`,
];

/**
 * Cluster mode (issue 15 item 4): every instance's dashboard shows every symbol. The ones this instance
 * serves come from its rings; the others are read from Redis, where their owner's publisher writes them:
 * each poll GETs the unserved symbols' tickers (folded into the hot state as if from a ring) and their book,
 * analytics and signal keys (into the cold store, as a publish would). One pipeline per master, read-only.
 */
export class RemoteSymbols {
  polls = 0;
  failures = 0;
  badValues = 0;
  private busy = false;

  constructor(private readonly redis: RedisLike, private readonly served: ServedSymbols, private readonly hot: HotState, private readonly cold: ColdStore) {}

  /** The symbols read from Redis now (configured, not served here). */
  remote(): string[] {
    return this.served.names.filter((s) => !this.served.has(s));
  }

  async poll(nowMs = Date.now()): Promise<void> {
    const syms = this.remote();
    if (this.busy || syms.length === 0 || this.redis.status !== 'ready') return;
    this.busy = true;
    try {
      const keys = syms.flatMap((s) => [`market:{${s}}:ticker`, ...REMOTE_KEYS(s)]);
      const res = await pipelineAll(this.redis, keys.flatMap((k): Cmd[] => [['get', k], ['pttl', k]]));
      for (let i = 0; i < keys.length; i++) {
        const [err, value] = res[2 * i] ?? [];
        const [, pttl] = res[2 * i + 1] ?? [];
        if (err || typeof value !== 'string') continue;
        const key = keys[i]!;
        if (key.endsWith(':ticker')) {
          const id = this.served.names.indexOf(key.slice(8, key.indexOf('}')));
          let parsed: unknown;
          try {
            parsed = JSON.parse(value);
          } catch {
            parsed = null;
          }
          if (!this.hot.applyTicker(id, parsed)) this.badValues++;
        } else this.cold.set(key, value, typeof pttl === 'number' && pttl > 0 ? pttl : 0, nowMs);
      }
      this.polls++;
    } catch {
      this.failures++;
    } finally {
      this.busy = false;
    }
  }
}
