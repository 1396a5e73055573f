import { LINE_INTS } from './RingLayout.js';
import { RingReader } from './RingReader.js';

/**
 * Where a reader actor sleeps. Each actor has one doorbell word (on its own cache line) shared by all the
 * rings it reads; a producer rings it only when the reader has flagged itself parked, so an awake reader
 * costs the producer one load and no syscall.
 *
 * Lost wake-ups are impossible: the reader stores its parked flag and then re-checks every ring, the
 * producer stores its cursor and then loads the flag (both sequentially consistent), so at least one of
 * them sees the other; and the reader waits on the doorbell value it read before re-checking, so a ring
 * in between makes the wait return at once.
 */
export class Doorbell {
  readonly bells: Int32Array;
  readonly index: number;

  static createArray(slots: number): Int32Array {
    return new Int32Array(new SharedArrayBuffer(Math.max(1, slots) * LINE_INTS * 4));
  }

  constructor(bells: Int32Array, index: number) {
    this.bells = bells;
    this.index = index;
  }

  private anyAvailable(readers: readonly RingReader[]): boolean {
    for (let i = 0; i < readers.length; i++) if (readers[i].available() > 0) return true;
    return false;
  }

  private setParked(readers: readonly RingReader[], parked: boolean): void {
    for (let i = 0; i < readers.length; i++) readers[i].setParked(parked);
  }

  /** Blocks the thread (event loop included) until a producer rings or `timeoutMs` passes. */
  park(readers: readonly RingReader[], timeoutMs: number): void {
    const v = Atomics.load(this.bells, this.index);
    this.setParked(readers, true);
    if (!this.anyAvailable(readers)) Atomics.wait(this.bells, this.index, v, timeoutMs);
    this.setParked(readers, false);
  }

  /** Event-loop friendly park for actors that own sockets: resolves on a ring or after `timeoutMs`. */
  async parkAsync(readers: readonly RingReader[], timeoutMs: number): Promise<void> {
    const v = Atomics.load(this.bells, this.index);
    this.setParked(readers, true);
    if (!this.anyAvailable(readers)) {
      const res = Atomics.waitAsync(this.bells, this.index, v, timeoutMs);
      if (res.async) await res.value;
    }
    this.setParked(readers, false);
  }

  /** Wakes the actor from outside the rings (a cold-path command, shutdown). */
  ring(): void {
    Atomics.add(this.bells, this.index, 1);
    Atomics.notify(this.bells, this.index);
  }
}
