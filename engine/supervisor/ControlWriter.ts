import { transaction } from '../redis/SlotGroups.js';
import { createRedisClient, type RedisLike } from '../redis/RedisClient.js';
import { redisEndpoint } from '../redis/redisOptions.js';
import type { Logger } from '../log/logger.js';
import { COMMAND_WAIT_MS, sendOperatorCommand } from '../redis/operatorCommands.js';

/** Where the supervisor's own Redis connection points (the runtime's Redis). */
export interface ControlTarget {
  url: string;
  password?: string;
  username?: string;
}

/**
 * The supervisor's own Redis connection, for the few writes that must not depend on another actor: the
 * breaker trip and the halt record on an escalation or a kill request (the publisher or execution may be
 * the actor that is down), and the kill command it hands to execution (whose answer it waits for). Every
 * call is bounded by a command timeout and never throws: a failure is logged and reported.
 */
export class ControlWriter {
  /** A connection of its own (the supervisor's), or the caller's (the CLI's). */
  constructor(private readonly redis: RedisLike, private readonly log: Pick<Logger, 'error'>) {}

  static connect(target: ControlTarget, log: Logger): ControlWriter {
    const redis = createRedisClient({
      ...redisEndpoint(target.url, target.password, target.username),
      connectionName: 'alphatrader-supervisor', maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 2000,
      retryStrategy: (t: number) => Math.min(100 * t, 2000),
    });
    redis.on('error', () => {});
    return new ControlWriter(redis, log);
  }

  /** cb:* tripped with the reason (and the detail execution restores), plus the escalation or halt record. */
  async trip(reason: string, record: { key: 'engine:escalation' | 'engine:halted'; value: Record<string, unknown> }): Promise<boolean> {
    const ts = Date.now();
    try {
      // One MULTI (on a cluster, one per key in this order: the trip lands before its detail and record).
      await transaction(this.redis, [
        ['set', 'cb:state', 'tripped'], ['set', 'cb:reason', reason], ['set', 'cb:ts', String(ts)],
        ['set', 'cb:detail', JSON.stringify({ state: 'tripped', reason, ts, approved: false, quietUntilMs: 0 })],
        // A kill episode already under way keeps its first record (execution sizes its legs by it).
        record.key === 'engine:halted' ? ['set', record.key, JSON.stringify({ ...record.value, ts }), 'NX'] : ['set', record.key, JSON.stringify({ ...record.value, ts })],
      ]);
      return true;
    } catch (e) {
      this.log.error({ err: (e as Error).message, reason }, 'could not write the breaker trip to Redis (the shared halt flag holds in this process)');
      return false;
    }
  }

  /**
   * Hands a kill to execution through the operator command stream and waits for its answer, as the CLI does:
   * the command survives an execution restart inside the wait, and its answer names the stream entry.
   */
  async kill(id: string, reason: string, source: string, waitMs = COMMAND_WAIT_MS): Promise<Record<string, unknown>> {
    try {
      const ans = await sendOperatorCommand(this.redis, { id, action: 'kill', reason, source }, waitMs);
      if (ans) return ans;
    } catch (e) {
      return { ok: false, state: 'failed', error: `Redis unavailable: ${(e as Error).message}` };
    }
    return { ok: false, state: 'failed', error: `execution unavailable: no answer within ${waitMs / 1000} s (trading is halted and the breaker tripped; execution flattens when it is back)` };
  }

  close(): void {
    this.redis.disconnect();
  }
}
