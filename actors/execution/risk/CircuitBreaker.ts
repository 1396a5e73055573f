export type BreakerState = 'closed' | 'tripped';

export interface BreakerSnapshot { state: BreakerState; reason: string | null; ts: number; approved: boolean; quietUntilMs: number }

/**
 * The circuit breaker. Trips on drawdown, on the broker's reject/error rate, on stale data, by the kill
 * switch or by hand; while tripped, new entries are blocked and risk-reducing exits allowed. It closes
 * only when BOTH a quiet period has passed since the last trip cause AND an operator approved it; any
 * new trip cause restarts the quiet period and withdraws the approval. `reset` is the operator's
 * explicit override (closes at once, audited by the caller).
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  reason: string | null = null;
  ts = 0;
  approved = false;
  private quietUntil = 0;
  private readonly answers: boolean[] = []; // true = reject/error, last 20 broker answers

  constructor(private readonly quietMs: number, private readonly rejectRateTrip: number, private readonly onChange: (s: BreakerSnapshot) => void = () => {}) {}

  get isOpen(): boolean {
    return this.state === 'tripped';
  }

  snapshot(): BreakerSnapshot {
    return { state: this.state, reason: this.reason, ts: this.ts, approved: this.approved, quietUntilMs: this.quietUntil };
  }

  /**
   * State read back at start: a tripped breaker stays tripped with its reason and quiet period (an approval
   * given before the restart is kept, it still needs the quiet period); a restart never closes it.
   */
  restore(s: BreakerSnapshot): void {
    if (s.state !== 'tripped') return;
    this.state = 'tripped';
    this.reason = s.reason;
    this.ts = s.ts;
    this.approved = s.approved;
    this.quietUntil = s.quietUntilMs;
  }

  trip(reason: string, nowMs: number): void {
    const wasOpen = this.isOpen;
    this.quietUntil = nowMs + this.quietMs;
    this.approved = false;
    if (wasOpen && this.reason === reason) return;
    this.state = 'tripped';
    this.reason = reason;
    this.ts = nowMs;
    this.onChange(this.snapshot());
  }

  /** Manual approval: the breaker closes once the quiet period is over (now or at a later tick). */
  approve(nowMs: number): BreakerSnapshot {
    if (this.isOpen) {
      this.approved = true;
      this.tick(nowMs);
    }
    return this.snapshot();
  }

  reset(nowMs: number): void {
    this.state = 'closed';
    this.reason = null;
    this.ts = nowMs;
    this.approved = false;
    this.answers.length = 0;
    this.onChange(this.snapshot());
  }

  /** Periodic: close if approved and quiet. */
  tick(nowMs: number): void {
    if (this.isOpen && this.approved && nowMs >= this.quietUntil) {
      this.state = 'closed';
      this.reason = null;
      this.ts = nowMs;
      this.approved = false;
      this.answers.length = 0;
      this.onChange(this.snapshot());
    }
  }

  /**
   * Records one order's outcome (the caller counts each order once: its first definitive answer, a reject,
   * or a broker error); trips when the reject/error share of the last 20 orders reaches the limit.
   */
  brokerAnswer(rejectedOrError: boolean, nowMs: number): void {
    this.answers.push(rejectedOrError);
    if (this.answers.length > 20) this.answers.shift();
    if (this.answers.length >= 5) {
      const bad = this.answers.filter(Boolean).length / this.answers.length;
      if (bad >= this.rejectRateTrip) this.trip(`broker reject/error rate ${(bad * 100).toFixed(0)}% over the last ${this.answers.length} answers`, nowMs);
    }
  }
}
