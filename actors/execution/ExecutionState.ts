import { mgetAll, transaction } from '../../engine/redis/SlotGroups.js';
import type { RedisLike } from '../../engine/redis/RedisClient.js';
import type { BreakerSnapshot } from './risk/CircuitBreaker.js';

/** The day's reference points for the daily loss limit and the drawdown rule, per New York trading date. */
export interface DayState {
  date: string; // YYYY-MM-DD (New York) of the session they belong to
  startEquity: number;
  peakEquity: number;
}

/** A kill-switch episode: trading stays halted and positions are flattened until an operator resets it. */
export interface HaltRecord {
  reason: string;
  ts: number;
  source?: string;
}

/** What an exit plan needs that the journal does not hold: the best mark since entry (the trailing stop's anchor). */
export interface ExitAnchor {
  entryCid: string;
  best: number;
}

export const BREAKER_KEYS = { state: 'cb:state', reason: 'cb:reason', ts: 'cb:ts', detail: 'cb:detail' } as const;
export const DAY_KEY = 'execution:day';
export const EXITS_KEY = 'execution:exits';
export const HALT_KEY = 'engine:halted';
export const ESCALATION_KEY = 'engine:escalation';

/**
 * Execution's durable state besides the journal, written by execution itself on its own connection (never
 * through the conflating publisher, which may be the actor that is down): the breaker, the day's equity
 * reference, the trailing-stop anchors and the kill-switch halt. Read back at every start, so a restart never
 * reopens trading, never widens a limit and never leaves a position unprotected.
 */
export class ExecutionState {
  constructor(private readonly redis: RedisLike) {}

  async saveBreaker(s: BreakerSnapshot): Promise<void> {
    // one MULTI; on a cluster one per key in this order (loadBreaker lets a newer cb:state trip win, so a torn write reads as tripped)
    await transaction(this.redis, [
      ['set', BREAKER_KEYS.state, s.state], ['set', BREAKER_KEYS.reason, s.reason ?? ''],
      ['set', BREAKER_KEYS.ts, String(s.ts)], ['set', BREAKER_KEYS.detail, JSON.stringify(s)],
    ]);
  }

  /**
   * The breaker as last written by anyone: execution's own snapshot, or a trip the supervisor or the CLI wrote
   * to `cb:state`/`cb:reason` directly (escalation, kill while execution was down), which wins when newer.
   */
  async loadBreaker(): Promise<BreakerSnapshot | null> {
    const [state, reason, ts, detail] = await mgetAll(this.redis, [BREAKER_KEYS.state, BREAKER_KEYS.reason, BREAKER_KEYS.ts, BREAKER_KEYS.detail]);
    let d: BreakerSnapshot | null = null;
    try {
      d = detail ? (JSON.parse(detail) as BreakerSnapshot) : null;
    } catch {
      d = null;
    }
    const tsN = Number(ts) || 0;
    if (state === 'tripped' && (!d || d.state !== 'tripped' || tsN > d.ts)) {
      return { state: 'tripped', reason: reason || 'tripped (reason not recorded)', ts: tsN, approved: false, quietUntilMs: 0 };
    }
    return d;
  }

  async saveDay(d: DayState): Promise<void> {
    await this.redis.set(DAY_KEY, JSON.stringify(d));
  }

  async loadDay(): Promise<DayState | null> {
    const raw = await this.redis.get(DAY_KEY);
    if (!raw) return null;
    try {
      const d = JSON.parse(raw) as DayState;
      return typeof d.date === 'string' && Number.isFinite(d.startEquity) && Number.isFinite(d.peakEquity) ? d : null;
    } catch {
      return null;
    }
  }

  async saveAnchor(symbol: string, a: ExitAnchor | null): Promise<void> {
    if (a) await this.redis.hset(EXITS_KEY, symbol, JSON.stringify(a));
    else await this.redis.hdel(EXITS_KEY, symbol);
  }

  async loadAnchors(): Promise<Map<string, ExitAnchor>> {
    const all = await this.redis.hgetall(EXITS_KEY);
    const m = new Map<string, ExitAnchor>();
    for (const [sym, raw] of Object.entries(all)) {
      try {
        const a = JSON.parse(raw) as ExitAnchor;
        if (typeof a.entryCid === 'string' && Number.isFinite(a.best)) m.set(sym, a);
      } catch {
        /* a bad anchor is dropped: the plan falls back to the entry price, which never loosens a stop */
      }
    }
    return m;
  }

  async saveHalt(h: HaltRecord | null): Promise<void> {
    if (h) await this.redis.set(HALT_KEY, JSON.stringify(h));
    else await this.redis.del(HALT_KEY);
  }

  async loadHalt(): Promise<HaltRecord | null> {
    const raw = await this.redis.get(HALT_KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as HaltRecord;
    } catch {
      return { reason: 'halted (record unreadable)', ts: 0 };
    }
  }

  async loadEscalation(): Promise<{ reason: string; ts: number } | null> {
    const raw = await this.redis.get(ESCALATION_KEY);
    if (!raw) return null;
    try {
      const e = JSON.parse(raw) as { escalated?: boolean; reason?: string; ts?: number };
      return e.escalated ? { reason: e.reason ?? '', ts: e.ts ?? 0 } : null;
    } catch {
      return null;
    }
  }

  async clearEscalation(): Promise<void> {
    await this.redis.del(ESCALATION_KEY);
  }
}
