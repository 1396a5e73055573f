/**
 * Signals between instances (issue 15): an instance that does not own execution hands the signals of the
 * symbols it serves to the owner through `{execution}:signals` (a stream in the execution lease's slot),
 * read by the owner in the consumer group `execution`. At-least-once: an entry is acknowledged after the
 * handler took it, and a new owner first claims what a dead owner left pending (XAUTOCLAIM); a signal seen
 * twice is dropped by its deterministic id (symbol, strategy, signal id), the same id that makes its client
 * order id, so a redelivery never trades twice.
 */
import type { Cluster, Redis } from 'ioredis';
import { SIGNALS_GROUP, SIGNALS_STREAM } from './ClusterKeys.js';

type Client = Redis | Cluster;

/** What crosses: the execution actor's SignalInput fields (JSON in field `s`). */
export interface RelayedSignal {
  symbol: string;
  strategy: number;
  signalId: number;
  [k: string]: unknown;
}

export const signalKey = (s: Pick<RelayedSignal, 'symbol' | 'strategy' | 'signalId'>): string => `${s.symbol}:${s.strategy}:${s.signalId}`;

export interface RelayCounters {
  sent: number;
  sendFailed: number;
  received: number;
  duplicates: number;
  bad: number;
  claimed: number;
}

export class SignalRelay {
  readonly counters: RelayCounters = { sent: 0, sendFailed: 0, received: 0, duplicates: 0, bad: 0, claimed: 0 };
  /** ids handled lately (bounded, oldest forgotten first): redeliveries arrive within seconds */
  private readonly seen = new Set<string>();
  private groupReady = false;

  constructor(private readonly redis: Client, private readonly o: { consumer: string; maxLen?: number; seenCap?: number } ) {}

  /** A non-owner's signal for the owner (never throws: a failure is counted, the signal is re-derived next slot). */
  async send(s: RelayedSignal): Promise<boolean> {
    try {
      await this.redis.xadd(SIGNALS_STREAM, 'MAXLEN', '~', this.o.maxLen ?? 10_000, '*', 's', JSON.stringify(s));
      this.counters.sent++;
      return true;
    } catch {
      this.counters.sendFailed++;
      return false;
    }
  }

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.redis.xgroup('CREATE', SIGNALS_STREAM, SIGNALS_GROUP, '$', 'MKSTREAM');
    } catch (e) {
      if (!/BUSYGROUP/.test(String((e as Error).message))) throw e;
    }
    this.groupReady = true;
  }

  /**
   * One read round as the owner: first entries left pending by any consumer for at least `claimIdleMs`
   * (a dead owner's), then new ones (blocking up to `blockMs`). Each new signal goes to `handle`, then is
   * acknowledged; duplicates are acknowledged without handling. Returns how many were handled.
   */
  async poll(handle: (s: RelayedSignal) => void, blockMs = 500, claimIdleMs = 1000): Promise<number> {
    await this.ensureGroup();
    const entries: [string, string[]][] = [];
    const claimed = (await this.redis.xautoclaim(SIGNALS_STREAM, SIGNALS_GROUP, this.o.consumer, claimIdleMs, '0-0', 'COUNT', 100)) as [string, [string, string[]][]];
    const got = claimed?.[1] ?? [];
    this.counters.claimed += got.length;
    entries.push(...got.filter((e) => e && e[1]));
    if (entries.length === 0) {
      const r = (await this.redis.xreadgroup('GROUP', SIGNALS_GROUP, this.o.consumer, 'COUNT', 100, 'BLOCK', blockMs, 'STREAMS', SIGNALS_STREAM, '>')) as [string, [string, string[]][]][] | null;
      for (const [, es] of r ?? []) entries.push(...es);
    }
    let handled = 0;
    for (const [id, fields] of entries) {
      const s = parse(fields);
      if (!s) this.counters.bad++;
      else if (this.seen.has(signalKey(s))) this.counters.duplicates++;
      else {
        this.remember(signalKey(s));
        this.counters.received++;
        handle(s);
        handled++;
      }
      await this.redis.xack(SIGNALS_STREAM, SIGNALS_GROUP, id);
    }
    return handled;
  }

  /** A signal handled locally (the owner's own) also counts as seen. */
  remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > (this.o.seenCap ?? 10_000)) this.seen.delete(this.seen.values().next().value as string);
  }
}

function parse(fields: string[]): RelayedSignal | null {
  const i = fields.indexOf('s');
  if (i < 0 || i + 1 >= fields.length) return null;
  try {
    const s = JSON.parse(fields[i + 1]!) as RelayedSignal;
    if (typeof s?.symbol !== 'string' || typeof s.strategy !== 'number' || typeof s.signalId !== 'number') return null;
    return s;
  } catch {
    return null;
  }
}
