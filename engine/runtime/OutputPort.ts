import { HeaderFields } from '../codec/Header.js';
import { RingProducer } from '../ring/RingProducer.js';
import type { MonoClock } from './MonoClock.js';

/**
 * An actor's end of one output ring plus the header it stamps on every message. Writing a message:
 *   const off = port.claim(); if (off < 0) return;      // full: counted as dropped
 *   port.stamp(ingestNs, dequeueNs, eventNs, symbolId);  // fills port.header, clock read included
 *   Trade.write(port.view, off, port.header, ...);
 *   ...more messages...; port.publish();                  // once per batch
 */
export class OutputPort {
  readonly view: DataView;
  readonly header = new HeaderFields();
  private seq = 0;
  dropped = 0;

  /** Messages stamped through this port (wraps at 2^32 like the header sequence). */
  get count(): number {
    return this.seq;
  }

  constructor(
    readonly name: string,
    readonly producer: RingProducer,
    source: number,
    readonly clock: MonoClock,
    /** The ring's configured policy when a lossless reader is a whole ring behind (rings[].whenFull). */
    private readonly whenFull: { policy: 'drop' | 'block'; timeoutMs: number } = { policy: 'drop', timeoutMs: 0 },
  ) {
    this.view = producer.view;
    this.header.source = source;
  }

  /**
   * A slot offset, or -1 (counted as dropped) when a lossless reader is a whole ring behind: at once under
   * the 'drop' policy, after waiting up to timeoutMs under 'block'.
   */
  claim(): number {
    if (this.whenFull.policy === 'block') return this.claimBlocking(this.whenFull.timeoutMs);
    const off = this.producer.tryClaim();
    if (off < 0) {
      this.dropped++;
      this.producer.countDropped();
    }
    return off;
  }

  /** Like claim, but waits up to `timeoutMs` for a lossless reader (orders, fills: never dropped silently). */
  claimBlocking(timeoutMs: number): number {
    const off = this.producer.claim(timeoutMs);
    if (off < 0) {
      this.dropped++;
      this.producer.countDropped();
    }
    return off;
  }

  /** Fills the reusable header: sequence, symbol, and the timestamps of this hop. */
  stamp(symbolId: number, eventNs: number, ingestNs: number, dequeueNs: number, flags = 0): HeaderFields {
    const h = this.header;
    h.seq = ++this.seq >>> 0;
    h.symbolId = symbolId;
    h.flags = flags;
    h.eventNs = eventNs;
    h.ingestNs = ingestNs;
    h.dequeueNs = dequeueNs;
    h.enqueueNs = this.clock.nowNs();
    return h;
  }

  private readonly downstream: (() => void)[] = [];

  /** A reader in this thread to run right after each publish (co-located actors: see ActorRunner.pump). */
  addDownstream(run: () => void): void {
    this.downstream.push(run);
  }

  publish(): void {
    this.producer.publish();
    for (let i = 0; i < this.downstream.length; i++) this.downstream[i]();
  }
}
