import type { Redis } from 'ioredis';
import { etDate } from '../../analytics/calendar.js';
import { ExecutionCore } from '../../actors/execution/ExecutionCore.js';
import type { Broker } from '../../actors/execution/brokers/types.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { silentLog } from './bookkeeper.js';

/**
 * An ExecutionCore on a test clock with a real Redis journal and the given broker, started (journal replayed,
 * reconciled): market always open, no breaker or halt plumbing. `broker` may need the core (a paper book).
 */
export async function startCore<B extends Broker>(cfg: EngineConfig, broker: (core: () => ExecutionCore) => B, redis: Redis, nowMs: () => number): Promise<{ core: ExecutionCore; broker: B }> {
  let core!: ExecutionCore;
  const b = broker(() => core);
  core = new ExecutionCore(cfg, b, redis, {
    nowMs, sessionDate: (ms) => etDate(ms).replace(/-/g, ''), marketOpen: () => true,
    tradingHalted: () => false, setTradingHalted() {}, publishBreaker() {}, onOrderEvent() {}, fault() {},
  }, silentLog());
  await core.start();
  return { core, broker: b };
}

/** The engine stopped as a process would: nothing more runs from its queue, its venue connection closes. */
export async function stopCore(e: { core: ExecutionCore; broker: Broker }): Promise<void> {
  e.core.queue.pause();
  await e.broker.close();
}

/** The order journal's entries of one type (intent, fill, expiry …), as field maps, in order. */
export async function journalEntries(redis: Redis, type: string): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  for (const [, kv] of await redis.xrange('orders:journal', '-', '+')) {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]!] = kv[i + 1]!;
    if (f.type === type) out.push(f);
  }
  return out;
}
