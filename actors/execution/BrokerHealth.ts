/**
 * The broker's health as the engine sees it, and the two things it decides: **preservation mode** and the
 * **disconnected** episode. Pure (no I/O, no clock of its own): the execution actor feeds it the outcome of
 * every broker call it makes (account reads, placements, reconciliations) and, once a second, the adapter's
 * connection state; it answers with the transitions to act on (alerts, keys, the risk rule).
 *
 * - Preservation: `errorsToEnter` consecutive failures enter it (no new entries, exits allowed);
 *   `successesToLeave` consecutive successes leave it. A failure while in it restarts the count.
 * - Disconnected: the adapter says its connection is down (or, for an adapter with no connection of its own,
 *   the last call failed); once that has lasted `disconnectAlertMs` it is one `disconnected` event, and the
 *   first sign of life after it one `reconnected` (an episode that never reached the threshold is no news).
 */
export interface BrokerHealthOptions {
  errorsToEnter: number;
  successesToLeave: number;
  disconnectAlertMs: number;
}

export type BrokerHealthEvent =
  | { kind: 'preservation-enter'; at: number; reason: string; errors: number }
  | { kind: 'preservation-leave'; at: number; successes: number; sinceMs: number }
  | { kind: 'disconnected'; at: number; downSince: number; reason: string }
  | { kind: 'reconnected'; at: number; downMs: number };

export interface BrokerHealthSnapshot {
  preservation: boolean;
  /** when preservation mode was entered (epoch ms), null when not in it */
  since: number | null;
  /** why it was entered: the failure that made the count */
  reason: string | null;
  consecutiveErrors: number;
  consecutiveSuccesses: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastSuccessAt: number | null;
  /** since when the broker looks down (null: up) and whether that episode has been reported */
  downSince: number | null;
  disconnectReported: boolean;
  entered: number;
}

export class BrokerHealth {
  private preserving = false;
  private since: number | null = null;
  private reason: string | null = null;
  private errors = 0;
  private successes = 0;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private lastSuccessAt: number | null = null;
  private downSince: number | null = null;
  private reported = false;
  private entered = 0;
  /** the adapter reports a connection state: then only that state ends a down episode */
  private connectionKnown = false;

  constructor(private readonly o: BrokerHealthOptions) {
    if (!(Number.isInteger(o.errorsToEnter) && o.errorsToEnter >= 1)) throw new Error(`errorsToEnter must be an integer ≥ 1, got ${o.errorsToEnter}`);
    if (!(Number.isInteger(o.successesToLeave) && o.successesToLeave >= 1)) throw new Error(`successesToLeave must be an integer ≥ 1, got ${o.successesToLeave}`);
    if (!(o.disconnectAlertMs >= 0)) throw new Error(`disconnectAlertMs must be ≥ 0, got ${o.disconnectAlertMs}`);
  }

  get preservation(): boolean {
    return this.preserving;
  }

  /** The reason entries are refused while in preservation mode, null otherwise. */
  get refusal(): string | null {
    return this.preserving ? `preservation mode since ${new Date(this.since!).toISOString()}: ${this.reason}` : null;
  }

  /** A broker call answered. */
  success(now: number): BrokerHealthEvent[] {
    const out: BrokerHealthEvent[] = [];
    this.errors = 0;
    this.successes++;
    this.lastSuccessAt = now;
    if (this.preserving && this.successes >= this.o.successesToLeave) {
      out.push({ kind: 'preservation-leave', at: now, successes: this.successes, sinceMs: now - this.since! });
      this.preserving = false;
      this.since = null;
      this.reason = null;
    }
    if (!this.connectionKnown) this.up(now, out);
    return out;
  }

  /** A broker call failed (the venue did not answer, or refused: not our own bad input). */
  failure(now: number, why: string): BrokerHealthEvent[] {
    const out: BrokerHealthEvent[] = [];
    this.successes = 0;
    this.errors++;
    this.lastError = why;
    this.lastErrorAt = now;
    if (!this.preserving && this.errors >= this.o.errorsToEnter) {
      this.preserving = true;
      this.since = now;
      this.reason = `${this.errors} consecutive broker errors (last: ${why})`;
      this.entered++;
      out.push({ kind: 'preservation-enter', at: now, reason: this.reason, errors: this.errors });
    }
    return out;
  }

  /**
   * The adapter's connection state, sampled (undefined: the adapter holds no connection; then the last call's
   * outcome stands for it).
   */
  observe(now: number, connected: boolean | undefined): BrokerHealthEvent[] {
    const out: BrokerHealthEvent[] = [];
    this.connectionKnown = connected !== undefined;
    const down = connected === false || (connected === undefined && this.errors > 0);
    if (!down) {
      this.up(now, out);
      return out;
    }
    this.downSince ??= connected === undefined && this.lastErrorAt !== null ? Math.min(now, this.lastErrorAt) : now;
    if (!this.reported && now - this.downSince >= this.o.disconnectAlertMs) {
      this.reported = true;
      out.push({ kind: 'disconnected', at: now, downSince: this.downSince, reason: connected === false ? 'connection down' : (this.lastError ?? 'broker calls failing') });
    }
    return out;
  }

  private up(now: number, out: BrokerHealthEvent[]): void {
    if (this.downSince === null) return;
    if (this.reported) out.push({ kind: 'reconnected', at: now, downMs: now - this.downSince });
    this.downSince = null;
    this.reported = false;
  }

  snapshot(): BrokerHealthSnapshot {
    return {
      preservation: this.preserving, since: this.since, reason: this.reason, consecutiveErrors: this.errors, consecutiveSuccesses: this.successes,
      lastError: this.lastError, lastErrorAt: this.lastErrorAt, lastSuccessAt: this.lastSuccessAt, downSince: this.downSince,
      disconnectReported: this.reported, entered: this.entered,
    };
  }
}
