/**
 * Client-side rate limiter for Alpha Vantage's per-minute plans.
 *
 * Guarantee: in ANY 60-second window no more than `perMinute` tokens are taken. The bucket holds at
 * most `burst` tokens and refills `perMinute − burst` tokens per minute, so a window can spend at most
 * what it started with (≤ burst) plus what flowed in during it (≤ perMinute − burst). Accounting is in
 * integers (1 token = 60 000 units, refill = (perMinute − burst) units per whole millisecond), so no
 * floating-point drift can ever mint a fraction of a call. Whole milliseconds are credited as the
 * clock passes them; a fractional clock only ever delays refill, never advances it.
 */

export const ALPHA_VANTAGE_PLANS = [75, 150, 300, 600, 1200] as const;
export type AlphaVantagePlan = (typeof ALPHA_VANTAGE_PLANS)[number];

const UNITS_PER_TOKEN = 60_000; // ms per minute: one token's worth of refill at 1 token/min per ms

export interface TokenBucketOptions {
  /** Most calls allowed in any 60 s window. */
  perMinute: number;
  /** Calls that may go back to back after a quiet spell (the bucket's capacity). Default max(1, ⌊perMinute/60⌋). */
  burst?: number;
  /** Milliseconds, monotonic; a clock that steps back is ignored until it catches up. */
  now: () => number;
}

export interface PlanOptions {
  /** Calls per minute kept in reserve. Default 10 (590 of 600). */
  safetyMargin?: number;
  burst?: number;
  now: () => number;
}

export class TokenBucket {
  readonly perMinute: number;
  readonly burst: number;
  private readonly refillPerMs: number;
  private readonly capacity: number;
  private readonly now: () => number;
  private units: number;
  private last: number;

  /** A bucket for a plan of 75/150/300/600/1200 calls per minute, less the safety margin. */
  static forPlan(plan: number, opts: PlanOptions): TokenBucket {
    if (!(ALPHA_VANTAGE_PLANS as readonly number[]).includes(plan)) {
      throw new Error(`Alpha Vantage plan must be one of ${ALPHA_VANTAGE_PLANS.join('/')} calls per minute, got ${plan}`);
    }
    const margin = opts.safetyMargin ?? 10;
    if (!Number.isInteger(margin) || margin < 0 || margin > plan - 2) {
      throw new Error(`safetyMargin must be an integer in [0, ${plan - 2}], got ${margin}`);
    }
    return new TokenBucket({ perMinute: plan - margin, burst: opts.burst, now: opts.now });
  }

  constructor(opts: TokenBucketOptions) {
    const perMinute = opts.perMinute;
    if (!Number.isInteger(perMinute) || perMinute < 2) throw new Error(`perMinute must be an integer ≥ 2, got ${perMinute}`);
    const burst = opts.burst ?? Math.max(1, Math.floor(perMinute / 60));
    if (!Number.isInteger(burst) || burst < 1 || burst >= perMinute) {
      throw new Error(`burst must be an integer in [1, ${perMinute - 1}], got ${burst}`);
    }
    this.perMinute = perMinute;
    this.burst = burst;
    this.refillPerMs = perMinute - burst;
    this.capacity = burst * UNITS_PER_TOKEN;
    this.now = opts.now;
    this.units = this.capacity;
    this.last = opts.now();
  }

  /** Takes one token if one is available now. */
  tryTake(): boolean {
    this.refill();
    if (this.units < UNITS_PER_TOKEN) return false;
    this.units -= UNITS_PER_TOKEN;
    return true;
  }

  /** Milliseconds until `tryTake` can succeed: 0 when it can now, else at least 1. */
  waitTime(): number {
    this.refill();
    if (this.units >= UNITS_PER_TOKEN) return 0;
    return Math.ceil((UNITS_PER_TOKEN - this.units) / this.refillPerMs);
  }

  /** Whole tokens available now. */
  available(): number {
    this.refill();
    return Math.floor(this.units / UNITS_PER_TOKEN);
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.floor(t - this.last);
    if (!(elapsed > 0)) return; // same millisecond, a clock step back, or NaN: credit nothing
    if (elapsed >= Math.ceil(this.capacity / this.refillPerMs)) {
      this.units = this.capacity;
    } else {
      this.units = Math.min(this.capacity, this.units + elapsed * this.refillPerMs);
    }
    this.last += elapsed;
  }
}
