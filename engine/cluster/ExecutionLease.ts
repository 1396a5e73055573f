/**
 * The execution owner's lease (issue 15 item 3), Redis side: the shared `Lease` named `execution`
 * (`{execution}:lease` / `{execution}:epoch`, ClusterKeys) driven by the pure LeaseHolderCore, plus the
 * order journal's fence (StreamFence on `{orders:journal}:fence`, the journal's slot).
 *
 * On a grant the fence is raised to the new token BEFORE `onLead` runs, so the new owner's journal read
 * (reconciliation) sees every entry an older owner managed to add, and every later one of theirs is
 * refused. `append` is the journal's only way in while fenced: refused locally once the holder's own
 * monotonic clock says the lease may have lapsed, refused by Redis once a newer token raised the fence;
 * either refusal is counted, and a Redis refusal steps the holder down (`onStepDown('fenced')`).
 */
import type { Cluster, Redis } from 'ioredis';
import { FencedError, Lease, StreamFence } from '../redis/Lease.js';
import { EXECUTION_LEASE } from './ClusterKeys.js';
import { LeaseHolderCore, type Effect, type StepDownReason } from './LeaseHolder.js';

export interface ExecutionLeaseOptions {
  me: string;
  ttlMs: number;
  marginMs?: number;
  renewEveryMs?: number;
  /** the fenced stream (default `orders:journal`) */
  journal?: string;
  /** monotonic ms clock (default performance.now); tests freeze it to play a paused process */
  now?: () => number;
  /** granted with `token`, fence raised: reconcile, then act (not awaited: renewals go on meanwhile) */
  onLead?: (token: number) => void;
  /** stop acting now (before this returns nothing may be sent or appended under `token`) */
  onStepDown?: (reason: StepDownReason, token: number) => void;
}

export class ExecutionLease {
  readonly core: LeaseHolderCore;
  readonly lease: Lease;
  readonly fence: StreamFence;
  readonly counters = { grants: 0, stepDowns: 0, fencedAppends: 0, redisErrors: 0 };
  private timer?: NodeJS.Timeout;
  private stepping: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(redis: Redis | Cluster, private readonly o: ExecutionLeaseOptions) {
    const marginMs = o.marginMs ?? Math.min(500, Math.floor(o.ttlMs / 5));
    this.now = o.now ?? (() => performance.now());
    this.core = new LeaseHolderCore({ ttlMs: o.ttlMs, marginMs, renewEveryMs: o.renewEveryMs });
    this.lease = new Lease(redis, EXECUTION_LEASE, o.me, { ttlMs: o.ttlMs, marginMs, now: this.now });
    this.fence = new StreamFence(redis, o.journal ?? 'orders:journal');
  }

  /** The token this holder may act under right now, or null. */
  get token(): number | null {
    return this.core.mayAct(this.now()) ? this.core.token : null;
  }

  /** Steps on a timer: followers poll for the lease, the leader renews every renewEveryMs. */
  start(): void {
    const every = Math.max(25, Math.floor(this.core.renewEveryMs / 2));
    void this.step();
    this.timer = setInterval(() => void this.step(), every);
  }

  /** One round (one at a time): clock check, then the acquire or renewal the core asks for. */
  step(): Promise<void> {
    this.stepping ??= this.round().finally(() => (this.stepping = null));
    return this.stepping;
  }

  /** XADD to the journal under the current token (flat field, value, …); FencedError when not the owner. */
  async append(fields: readonly string[]): Promise<string> {
    const now = this.now();
    this.apply(this.core.check(now));
    const token = this.core.token;
    if (token === null || !this.core.mayAct(now)) {
      this.counters.fencedAppends++;
      throw new FencedError(`${this.fence.stream}: ${this.o.me} does not hold the execution lease (append refused)`);
    }
    try {
      return await this.fence.append(token, this.o.me, fields);
    } catch (e) {
      if (e instanceof FencedError) {
        this.counters.fencedAppends++;
        this.apply(this.core.fenced(token));
      }
      throw e;
    }
  }

  /** Clean shutdown: stop acting, then release so another instance need not wait for the TTL. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.stepping;
    const { effects, release } = this.core.shutdown();
    this.apply(effects, false);
    if (release) await this.lease.release().catch(() => this.counters.redisErrors++);
  }

  private async round(): Promise<void> {
    try {
      this.apply(this.core.check(this.now()));
      const action = this.core.next(this.now());
      if (action === 'acquire') {
        const sent = this.now();
        const token = await this.lease.acquire();
        if (token === null) return;
        // Raise the journal's fence before anyone learns of the grant: an older owner is refused from here on.
        try {
          await this.fence.raise(token, this.o.me);
        } catch (e) {
          await this.lease.release().catch(() => {});
          throw e;
        }
        this.apply(this.core.acquired(token, sent));
      } else if (action === 'renew') {
        const token = this.core.token!;
        const sent = this.now();
        this.core.renewSent(sent);
        const ok = await this.lease.renew();
        this.apply(this.core.renewed(token, ok, sent));
      }
    } catch {
      this.counters.redisErrors++; // Redis unreachable: the clock check steps the leader down in time
    }
  }

  private apply(effects: Effect[], releaseOnExpiry = true): void {
    for (const e of effects) {
      if (e.kind === 'lead') {
        this.counters.grants++;
        this.o.onLead?.(e.token);
      } else {
        this.counters.stepDowns++;
        // expired by our clock: our value may still be in Redis; compare-and-delete it (only if still ours)
        if (releaseOnExpiry && e.reason === 'expired') void this.lease.release().catch(() => {});
        this.o.onStepDown?.(e.reason, e.token);
      }
    }
  }
}
