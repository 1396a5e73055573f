/**
 * Pure core of a single-role lease holder (issue 15 item 3: the execution owner): what one instance does
 * about the lease on each step, and when it must stop acting. No I/O: the driver (ExecutionLease) sends the
 * acquire/renew/release that `next()` asks for through the shared `Lease` and reports the answers back.
 *
 * Phases: `follower` (no lease; asks to acquire) → `leader` (token t; asks to renew every renewEveryMs) →
 * back to `follower` on a step-down, which happens when
 *   - Redis refuses a renewal (the lease moved on: `lost`),
 *   - the local monotonic clock passes the last good grant/renewal's send time + TTL − margin (`expired`,
 *     mayServe: checked before every action, so a holder whose renewals stall stops before Redis can
 *     hand the lease to someone else),
 *   - a fenced write is refused (`fenced`: a newer token exists, so this one is stale whatever the clock says).
 * A step-down drops the token for good: leading again needs a new grant (a higher token) and the driver
 * reconciles again before acting. `stopped` is terminal (clean shutdown: release if leading).
 */
import { mayServe } from './SymbolAssignment.js';

export type StepDownReason = 'lost' | 'expired' | 'fenced' | 'shutdown';
export type Effect = { kind: 'lead'; token: number } | { kind: 'stepDown'; reason: StepDownReason; token: number };
export type Action = 'acquire' | 'renew' | 'release' | 'none';

export interface LeaseHolderOptions {
  ttlMs: number;
  marginMs: number;
  /** renew this often while leading (default ttl/3) */
  renewEveryMs?: number;
}

export class LeaseHolderCore {
  phase: 'follower' | 'leader' | 'stopped' = 'follower';
  token: number | null = null;
  /** send time (local monotonic ms) of the last grant or renewal Redis accepted */
  private validFrom = -Infinity;
  private lastRenewSent = -Infinity;
  readonly renewEveryMs: number;

  constructor(private readonly o: LeaseHolderOptions) {
    if (!(o.ttlMs > 0) || !(o.marginMs >= 0) || o.marginMs >= o.ttlMs) throw new Error('lease holder: need ttlMs > marginMs ≥ 0');
    this.renewEveryMs = o.renewEveryMs ?? Math.floor(o.ttlMs / 3);
    if (this.renewEveryMs >= o.ttlMs - o.marginMs) throw new Error('lease holder: renewEveryMs must be below ttlMs − marginMs');
  }

  /** Whether this holder may act under its token at `now` (leader and inside the safety margin). */
  mayAct(now: number): boolean {
    return this.phase === 'leader' && mayServe(this.validFrom, now, this.o.ttlMs, this.o.marginMs);
  }

  /** Clock check: steps down when the margin has passed without a good renewal. */
  check(now: number): Effect[] {
    if (this.phase === 'leader' && !this.mayAct(now)) return this.stepDown('expired');
    return [];
  }

  /** What to send to Redis now (after `check`). */
  next(now: number): Action {
    if (this.phase === 'stopped') return 'none';
    if (this.phase === 'follower') return 'acquire';
    return now - this.lastRenewSent >= this.renewEveryMs ? 'renew' : 'none';
  }

  /** The acquire sent at `sentAt` answered: a token (granted) or null (someone else holds it). */
  acquired(token: number | null, sentAt: number): Effect[] {
    if (this.phase !== 'follower' || token === null) return [];
    this.phase = 'leader';
    this.token = token;
    this.validFrom = sentAt;
    this.lastRenewSent = sentAt;
    return [{ kind: 'lead', token }];
  }

  /** A renewal is being sent at `sentAt` (so a slow reply does not trigger a second one). */
  renewSent(sentAt: number): void {
    this.lastRenewSent = sentAt;
  }

  /** The renewal sent at `sentAt` for `token` answered ok (true) or refused (false: the lease moved on). */
  renewed(token: number, ok: boolean, sentAt: number): Effect[] {
    if (this.phase !== 'leader' || this.token !== token) return []; // an answer for a token already given up
    if (!ok) return this.stepDown('lost');
    // Validity runs from when the request left, never from when the (possibly late) answer came back.
    this.validFrom = Math.max(this.validFrom, sentAt);
    return [];
  }

  /** A fenced write under `token` was refused by Redis: a newer holder exists. */
  fenced(token: number): Effect[] {
    if (this.phase !== 'leader' || this.token !== token) return [];
    return this.stepDown('fenced');
  }

  /** Clean shutdown: stop acting; `release` tells the driver to compare-and-delete the lease. */
  shutdown(): { effects: Effect[]; release: boolean } {
    const leading = this.phase === 'leader';
    const effects = leading ? this.stepDown('shutdown') : [];
    this.phase = 'stopped';
    return { effects, release: leading };
  }

  private stepDown(reason: StepDownReason): Effect[] {
    const token = this.token!;
    this.phase = 'follower';
    this.token = null;
    this.validFrom = -Infinity;
    this.lastRenewSent = -Infinity;
    return [{ kind: 'stepDown', reason, token }];
  }
}
