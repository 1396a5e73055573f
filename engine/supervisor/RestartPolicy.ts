/**
 * Erlang/OTP restart intensity: more than `intensity` restarts within `periodMs` (counted over all
 * children, as an OTP supervisor does) means restarting is not fixing the fault, and the supervisor
 * escalates. Each child also backs off exponentially while it keeps failing, so a crash loop cannot burn
 * the host's two cores.
 */
export interface RestartPolicySpec {
  intensity: number;
  periodMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export interface RestartDecision {
  delayMs: number;
  /** true only on the restart that first exceeds the intensity */
  escalate: boolean;
  restartsInPeriod: number;
}

export class RestartPolicy {
  private readonly times: number[] = [];
  private readonly streak = new Map<string, { count: number; lastMs: number }>();
  escalated = false;

  constructor(private readonly spec: RestartPolicySpec) {}

  onFailure(child: string, nowMs: number): RestartDecision {
    const { intensity, periodMs, backoffInitialMs, backoffMaxMs } = this.spec;
    this.times.push(nowMs);
    while (this.times.length && this.times[0] <= nowMs - periodMs) this.times.shift();

    const s = this.streak.get(child);
    // A child that stayed up for a whole period starts its back-off over.
    const count = s && nowMs - s.lastMs < periodMs ? s.count + 1 : 1;
    this.streak.set(child, { count, lastMs: nowMs });
    const delayMs = Math.min(backoffMaxMs, backoffInitialMs * 2 ** (count - 1));

    let escalate = false;
    if (this.times.length > intensity && !this.escalated) {
      this.escalated = true;
      escalate = true;
    }
    return { delayMs, escalate, restartsInPeriod: this.times.length };
  }
}
