import { Doorbell } from './Doorbell.js';
import { RingReader } from './RingReader.js';

/**
 * What a reader does when a poll found nothing: spin a while (cheap when the next message is ~100 ns
 * away), then park. On a 2-core host with 7+ threads pure spinning starves everyone, so every strategy
 * here eventually parks; `spinPolls` = 0 parks at once.
 */
export interface WaitStrategySpec {
  kind: 'spin-park' | 'park';
  spinPolls: number; // empty polls before parking
  parkTimeoutMs: number; // upper bound of one park, so heartbeats and commands are never starved
}

export class WaitStrategy {
  private idle = 0;
  constructor(
    private readonly spec: WaitStrategySpec,
    private readonly doorbell: Doorbell,
    private readonly readers: readonly RingReader[],
  ) {}

  /** Call after every poll round with the number of messages handled. Blocks the thread when idle long enough. */
  idleSync(work: number): void {
    if (work > 0) {
      this.idle = 0;
      return;
    }
    if (this.spec.kind === 'spin-park' && ++this.idle < this.spec.spinPolls) return;
    this.idle = 0;
    this.doorbell.park(this.readers, this.spec.parkTimeoutMs);
  }

  /** The event-loop version: returns a promise only when it decided to park (else undefined: poll again). */
  idleAsync(work: number): Promise<void> | undefined {
    if (work > 0) {
      this.idle = 0;
      return undefined;
    }
    if (this.spec.kind === 'spin-park' && ++this.idle < this.spec.spinPolls) return undefined;
    this.idle = 0;
    return this.doorbell.parkAsync(this.readers, this.spec.parkTimeoutMs);
  }
}
