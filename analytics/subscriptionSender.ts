/**
 * When an owner (signals, execution) sends market-depth its whole set of wanted option contracts (topic
 * `option-subscriptions`): at once when the set changes, and again every `refreshMs` even when it has not.
 * Market-depth keeps the sets in memory only, so a restarted market-depth learns them again within one
 * refresh; a set replaces the owner's previous one, so a repeat costs nothing there.
 */
export class SubscriptionSender {
  private last: string | null = null; // nothing sent yet: the first set is a change, even when empty
  private lastMs = -Infinity;
  resent = 0;

  constructor(private readonly refreshMs = 10_000) {}

  /** The set to send now, or null when nothing is due. */
  due(occs: readonly string[], nowMs: number): string[] | null {
    const key = occs.join(',');
    const changed = key !== this.last;
    if (!changed && nowMs - this.lastMs < this.refreshMs) return null;
    if (!changed) this.resent++;
    this.last = key;
    this.lastMs = nowMs;
    return [...occs];
  }
}
