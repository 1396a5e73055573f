import { formatAlert, type Alert, type ChannelTarget } from './channels.js';

export interface NotifierOptions {
  channels: ChannelTarget[];
  engine: string;
  /** the same rule and key again within this window is the same episode: not sent twice */
  dedupeMs: number;
  /** per channel; above it alerts are dropped (counted) rather than queued without bound */
  perMinute: number;
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  log: { warn(o: object, m?: string): void; error(o: object, m?: string): void };
  /** the HTTP call (fetch by default) */
  post?: (url: string, body: string, timeoutMs: number) => Promise<number>;
}

export interface NotifierStats {
  raised: number;
  deduplicated: number;
  sent: number;
  failed: number;
  retries: number;
  rateLimited: number;
}

const defaultPost = async (url: string, body: string, timeoutMs: number): Promise<number> => {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
  await r.arrayBuffer().catch(() => undefined);
  return r.status;
};

/**
 * Delivers alerts to people: every configured channel gets each alert once per episode, with retries and
 * back-off, within a per-channel rate. It never blocks or fails its caller (trading): `raise` returns at once
 * and every failure is counted and logged (without the channel's URL, which may carry a secret).
 */
export class Notifier {
  readonly stats: NotifierStats = { raised: 0, deduplicated: 0, sent: 0, failed: 0, retries: 0, rateLimited: 0 };
  private readonly seen = new Map<string, number>();
  private readonly buckets: { tokens: number; at: number }[];
  private readonly post: NonNullable<NotifierOptions['post']>;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly o: NotifierOptions) {
    this.post = o.post ?? defaultPost;
    this.buckets = o.channels.map(() => ({ tokens: o.perMinute, at: Date.now() }));
  }

  get enabled(): boolean {
    return this.o.channels.length > 0;
  }

  /** A rule fired. Returns whether it goes out (false: a repeat within its episode, or no channel). */
  raise(a: Omit<Alert, 'ts'> & { ts?: number }): boolean {
    const alert: Alert = { ...a, ts: a.ts ?? Date.now() };
    this.stats.raised++;
    const id = `${alert.rule}|${alert.key ?? ''}`;
    const last = this.seen.get(id);
    if (last !== undefined && alert.ts - last < this.o.dedupeMs) {
      this.stats.deduplicated++;
      return false;
    }
    this.seen.set(id, alert.ts);
    if (this.seen.size > 5000) for (const k of [...this.seen.keys()].slice(0, 1000)) this.seen.delete(k);
    this.o.channels.forEach((c, i) => {
      if (!this.take(i, Date.now())) {
        this.stats.rateLimited++;
        this.o.log.warn({ channel: c.kind, rule: alert.rule }, 'alert dropped: channel rate limit');
        return;
      }
      const p = this.deliver(c, alert).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    });
    return this.o.channels.length > 0;
  }

  /** A recovery ends an episode: the next trip of the same rule and key is news again. */
  endEpisode(rule: string, key = ''): void {
    this.seen.delete(`${rule}|${key}`);
  }

  /** Resolves when every delivery started so far has finished (a clean stop waits for it, bounded). */
  async drain(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  private take(i: number, now: number): boolean {
    const b = this.buckets[i];
    b.tokens = Math.min(this.o.perMinute, b.tokens + ((now - b.at) / 60_000) * this.o.perMinute);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async deliver(c: ChannelTarget, a: Alert): Promise<void> {
    const req = formatAlert(a, c, this.o.engine);
    let why = '';
    for (let attempt = 0; attempt < this.o.attempts; attempt++) {
      if (attempt > 0) {
        this.stats.retries++;
        await new Promise((r) => setTimeout(r, this.o.backoffMs * 2 ** (attempt - 1)));
      }
      try {
        const status = await this.post(req.url, req.body, this.o.timeoutMs);
        if (status >= 200 && status < 300) {
          this.stats.sent++;
          return;
        }
        why = `HTTP ${status}`;
        if (status >= 400 && status < 500 && status !== 429 && status !== 408) break; // the request itself is wrong: retrying repeats it
      } catch (e) {
        why = (e as Error).name === 'TimeoutError' ? 'timeout' : (e as Error).message;
      }
    }
    this.stats.failed++;
    this.o.log.error({ channel: c.kind, rule: a.rule, why }, 'alert not delivered');
  }
}
