import { Doorbell } from './Doorbell.js';
import { RingReader } from './RingReader.js';

/**
 * What a reader does when a poll found nothing: spin a while (cheap when the next message is ~100 ns
 * away), then park. On a 2-core host with 7+ threads pure spinning starves everyone, so every strategy
 * here eventually parks; `spinPolls` = 0 parks at once.
 *
 * `sleep` is for readers that conflate (the Redis publisher, the dashboard): they poll on a short timer
 * and never park on the doorbell, so a producer never pays an `Atomics.notify` for them and they never
 * wake once per message (a wake per message cost the publisher ~30 µs of CPU each). Like the Disruptor's
 * SleepingWaitStrategy: latency traded for the hot path's and the host's CPU, where the reader only needs
 * the latest value every few milliseconds. The ring must hold one sleep's worth of messages.
 */
export interface WaitStrategySpec {
  kind: 'spin-park' | 'park' | 'sleep';
  spinPolls: number; // empty polls before parking
  parkTimeoutMs: number; // upper bound of one park (so heartbeats and commands are never starved); a sleep's length
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
    if (this.spec.kind === 'sleep') throw new Error('the sleep wait strategy runs on the event loop (idleAsync) only');
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
    if (this.spec.kind === 'sleep') return sleep(this.spec.parkTimeoutMs);
    if (this.spec.kind === 'spin-park' && ++this.idle < this.spec.spinPolls) return undefined;
    this.idle = 0;
    return this.doorbell.parkAsync(this.readers, this.spec.parkTimeoutMs);
  }
}
