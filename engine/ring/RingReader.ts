import { RingBuffer } from './RingBuffer.js';
import {
  P_WAITING, PRODUCER_CLAIM, PRODUCER_CURSOR, R_CURSOR, R_MODE, R_OVERRUN_EVENTS, R_OVERRUNS, R_PARKED, R_TORN, readerBase,
} from './RingLayout.js';
import { seqDiff } from './Sequence.js';

/** Called once per message; `view`/`offset` are only valid during the call. */
export type MessageHandler = (view: DataView, offset: number, seq: number) => void;

/**
 * One reader of a ring, with its own cursor. `poll` reads everything published up to a batch limit and
 * publishes its cursor once per batch.
 *
 * Lossless readers hand the handler the slot itself. Lossy readers may be lapped by the producer, so they
 * first copy the slot into a private scratch buffer, checking the producer's claim announcement before and
 * after the copy: a claim a lap past the slot means it may be overwritten (before: lost; during: torn), and
 * the message is counted as lost instead of delivered.
 */
export class RingReader {
  readonly ring: RingBuffer;
  readonly index: number;
  readonly lossless: boolean;
  private readonly h: Int32Array;
  private readonly view: DataView;
  private readonly words: Int32Array; // the slots as int32 words, for the lossy copy
  private readonly scratchWords: Int32Array;
  private readonly scratchView: DataView;
  private readonly base: number;
  private readonly mask: number;
  private readonly capacity: number;
  private readonly slotSize: number;
  private readonly slotsOff: number;
  private cursor: number;
  /** messages lost to overrun since this reader object was created (the shared counter sums across restarts) */
  lost = 0;

  constructor(ring: RingBuffer, index: number) {
    if (index < 0 || index >= ring.readerCount) throw new RangeError(`reader ${index} does not exist on this ring`);
    this.ring = ring;
    this.index = index;
    this.h = ring.header;
    this.view = ring.view;
    this.base = readerBase(index);
    this.lossless = this.h[this.base + R_MODE] === 1;
    this.mask = ring.mask;
    this.capacity = ring.capacity;
    this.slotSize = ring.slotSize;
    this.slotsOff = ring.slotsOffset;
    this.words = new Int32Array(ring.sab, this.slotsOff, (ring.capacity * ring.slotSize) / 4);
    const scratch = new ArrayBuffer(ring.slotSize);
    this.scratchWords = new Int32Array(scratch);
    this.scratchView = new DataView(scratch);
    // A restarted reader resumes where its predecessor stopped (lossless: nothing is lost across a restart).
    this.cursor = Atomics.load(this.h, this.base + R_CURSOR);
  }

  /** Messages published but not yet read by this reader (may exceed capacity for a lapped lossy reader). */
  available(): number {
    return seqDiff(Atomics.load(this.h, PRODUCER_CURSOR), this.cursor);
  }

  /** Marks this reader parked (the producer will ring its doorbell) or awake. */
  setParked(parked: boolean): void {
    Atomics.store(this.h, this.base + R_PARKED, parked ? 1 : 0);
  }

  /** Reads up to `maxBatch` messages. Returns how many were delivered. */
  poll(handler: MessageHandler, maxBatch = 1024): number {
    return this.lossless ? this.pollLossless(handler, maxBatch) : this.pollLossy(handler, maxBatch);
  }

  /**
   * The cursor moves past each message as soon as its handler returns (one store to this reader's own line),
   * so a reader whose thread dies mid-batch is followed by one that starts at the first message not yet
   * handled: a partly handled batch is never delivered twice. The producer is woken once per batch.
   */
  private pollLossless(handler: MessageHandler, maxBatch: number): number {
    const start = this.cursor;
    let n = seqDiff(Atomics.load(this.h, PRODUCER_CURSOR), start);
    if (n <= 0) return 0;
    if (n > maxBatch) n = maxBatch;
    const { mask, slotSize, slotsOff, view, h } = this;
    const at = this.base + R_CURSOR;
    for (let i = 0; i < n; i++) {
      const seq = (start + i) | 0;
      handler(view, slotsOff + (seq & mask) * slotSize, seq);
      this.cursor = (seq + 1) | 0;
      Atomics.store(h, at, this.cursor);
    }
    // The cursor is stored already (per message): only the producer's wake-up is left, not a second store.
    this.wakeProducer();
    return n;
  }

  private pollLossy(handler: MessageHandler, maxBatch: number): number {
    let seq = this.cursor;
    const h = this.h;
    const prod = Atomics.load(h, PRODUCER_CURSOR);
    let n = seqDiff(prod, seq);
    if (n <= 0) return 0;
    const { capacity, mask, slotSize, words, scratchWords } = this;
    const behind = seqDiff(Atomics.load(h, PRODUCER_CLAIM), seq) - capacity;
    if (behind > 0) {
      // Lapped: slots older than one ring before the producer's claims may be overwritten. Skip them.
      const skip = Math.min(behind, n);
      this.countLost(skip);
      seq = (seq + skip) | 0;
      n -= skip;
    }
    if (n > maxBatch) n = maxBatch;
    const wordsPerSlot = slotSize >> 2;
    let delivered = 0;
    for (let i = 0; i < n; i++, seq = (seq + 1) | 0) {
      if (seqDiff(Atomics.load(h, PRODUCER_CLAIM), seq) > capacity) {
        this.countLost(1);
        continue;
      }
      const w0 = (seq & mask) * wordsPerSlot;
      // Atomic loads: each is ordered before the claim check that follows (plain reads could be moved after
      // it under the JavaScript memory model, and a torn copy would pass the check).
      for (let w = 0; w < wordsPerSlot; w++) scratchWords[w] = Atomics.load(words, w0 + w);
      if (seqDiff(Atomics.load(h, PRODUCER_CLAIM), seq) > capacity) {
        Atomics.add(this.h, this.base + R_TORN, 1);
        this.countLost(1);
        continue;
      }
      handler(this.scratchView, 0, seq);
      delivered++;
    }
    this.advance(seq);
    return delivered;
  }

  private countLost(n: number): void {
    this.lost += n;
    Atomics.add(this.h, this.base + R_OVERRUNS, n);
    Atomics.add(this.h, this.base + R_OVERRUN_EVENTS, 1);
  }

  private advance(to: number): void {
    this.cursor = to;
    Atomics.store(this.h, this.base + R_CURSOR, to);
  }

  /** Wakes a producer waiting for room (a lossless reader's: only those gate it). */
  private wakeProducer(): void {
    if (Atomics.load(this.h, P_WAITING) !== 0) {
      Atomics.store(this.h, P_WAITING, 0);
      Atomics.notify(this.h, P_WAITING);
    }
  }
}
