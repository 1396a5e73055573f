import { RingBuffer } from './RingBuffer.js';
import {
  P_DROPPED, P_FULL_EVENTS, P_WAITING, PRODUCER_CLAIM, PRODUCER_CURSOR, R_CURSOR, R_DOORBELL, R_MODE, R_PARKED, readerBase,
} from './RingLayout.js';
import { seqDiff } from './Sequence.js';

/**
 * The single writer of a ring. Usage per message: `off = tryClaim()`, write the message at `view[off..]`,
 * and after one or more claims `publish()` once: the cursor store and the wake-ups are paid per batch.
 *
 * Claims are announced a chunk ahead (PRODUCER_CLAIM) before any slot of the chunk is written, so a lossy
 * reader that copies a slot and then finds the announcement a lap past it knows the copy may be torn.
 */
export class RingProducer {
  readonly ring: RingBuffer;
  readonly view: DataView;
  private readonly h: Int32Array;
  private readonly claimChunk: number;
  private claimBound: number;
  private readonly doorbells: Int32Array;
  private readonly mask: number;
  private readonly capacity: number;
  private readonly slotSize: number;
  private readonly slotsOff: number;
  private readonly gating: Int32Array; // header indices of lossless readers' cursors
  private readonly parkedIdx: Int32Array; // header indices of every reader's parked flag
  private readonly doorbellIdx: Int32Array;
  private next: number;
  private cachedGate: number;

  constructor(ring: RingBuffer, doorbells: Int32Array) {
    this.ring = ring;
    this.view = ring.view;
    this.h = ring.header;
    this.claimChunk = Math.max(1, Math.min(64, ring.capacity >> 2));
    this.doorbells = doorbells;
    this.mask = ring.mask;
    this.capacity = ring.capacity;
    this.slotSize = ring.slotSize;
    this.slotsOff = ring.slotsOffset;
    const gating: number[] = [];
    const parked: number[] = [];
    const bells: number[] = [];
    for (let i = 0; i < ring.readerCount; i++) {
      const b = readerBase(i);
      if (this.h[b + R_MODE] === 1) gating.push(b + R_CURSOR);
      parked.push(b + R_PARKED);
      bells.push(this.h[b + R_DOORBELL]);
    }
    this.gating = Int32Array.from(gating);
    this.parkedIdx = Int32Array.from(parked);
    this.doorbellIdx = Int32Array.from(bells);
    // A restarted producer resumes from the published cursor; anything claimed but unpublished is gone.
    this.next = Atomics.load(this.h, PRODUCER_CURSOR);
    this.claimBound = Atomics.load(this.h, PRODUCER_CLAIM);
    if (seqDiff(this.claimBound, this.next) < 0) this.claimBound = this.next;
    this.cachedGate = this.minGating();
  }

  /** Lowest cursor among lossless readers (or the producer's own position when there are none). */
  private minGating(): number {
    let min = this.next;
    const g = this.gating;
    for (let i = 0; i < g.length; i++) {
      const c = Atomics.load(this.h, g[i]);
      if (seqDiff(c, min) < 0) min = c;
    }
    return min;
  }

  /** Byte offset of a claimed slot, or -1 when a lossless reader is a whole ring behind. Never blocks. */
  tryClaim(): number {
    const seq = this.next;
    if (seqDiff(seq, this.cachedGate) >= this.capacity) {
      this.cachedGate = this.minGating();
      if (seqDiff(seq, this.cachedGate) >= this.capacity) return -1;
    }
    if (seqDiff(seq, this.claimBound) >= 0) {
      this.claimBound = (seq + this.claimChunk) | 0;
      // A read-modify-write, not a store: the slot writes that follow (plain stores) cannot be moved before
      // it, so a lossy reader that sees a slot's new bytes also sees the claim that covers them.
      Atomics.exchange(this.h, PRODUCER_CLAIM, this.claimBound);
    }
    this.next = (seq + 1) | 0;
    return this.slotsOff + (seq & this.mask) * this.slotSize;
  }

  /**
   * Claims a slot, waiting for lossless readers when the ring is full: spin `spins` times, then park on the
   * ring's producer word (readers wake it after they move their cursors). Returns -1 after `timeoutMs`,
   * which the caller must treat as back-pressure it cannot absorb (and count).
   * Only for threads that may block (a pure compute actor or a benchmark); socket owners use tryClaim.
   */
  claim(timeoutMs = 1000, spins = 2000): number {
    let off = this.tryClaim();
    if (off >= 0) return off;
    Atomics.add(this.h, P_FULL_EVENTS, 1);
    // Publish what we have, or the readers we wait for could be waiting for it.
    this.publish();
    for (let i = 0; i < spins; i++) {
      off = this.tryClaim();
      if (off >= 0) return off;
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      Atomics.store(this.h, P_WAITING, 1);
      off = this.tryClaim();
      if (off >= 0) {
        Atomics.store(this.h, P_WAITING, 0);
        return off;
      }
      const left = deadline - Date.now();
      if (left <= 0) return -1;
      Atomics.wait(this.h, P_WAITING, 1, Math.min(left, 50));
    }
  }

  /** Counts a message the producer could not place (lossless reader stuck past the timeout). */
  countDropped(n = 1): void {
    Atomics.add(this.h, P_DROPPED, n);
  }

  /** Number of claimed but unpublished slots. */
  get pending(): number {
    return seqDiff(this.next, Atomics.load(this.h, PRODUCER_CURSOR));
  }

  /** Makes every claimed slot visible with one cursor store, and rings the doorbell of parked readers only. */
  publish(): void {
    const h = this.h;
    if (h[PRODUCER_CURSOR] === this.next) return;
    Atomics.store(h, PRODUCER_CURSOR, this.next);
    const p = this.parkedIdx;
    for (let i = 0; i < p.length; i++) {
      if (Atomics.load(h, p[i]) !== 0) {
        const bell = this.doorbellIdx[i];
        Atomics.add(this.doorbells, bell, 1);
        Atomics.notify(this.doorbells, bell);
      }
    }
  }
}
