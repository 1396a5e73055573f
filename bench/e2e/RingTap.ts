import { RingBuffer } from '../../engine/ring/RingBuffer.js';
import { G_INITIAL_SEQ, PRODUCER_CLAIM, PRODUCER_CURSOR } from '../../engine/ring/RingLayout.js';
import { seqDiff } from '../../engine/ring/Sequence.js';

/**
 * A passive observer of a ring: it follows the producer cursor and copies published slots, checking the
 * producer's claim announcement before and after each copy (as a lossy reader does), but it is not one of the ring's readers:
 * no cursor in shared memory, nothing the producer waits for or rings. The engine under test runs exactly as
 * configured. If it falls a whole ring behind, what it missed is counted in `lost`.
 */
export class RingTap {
  readonly ring: RingBuffer;
  private cursor: number;
  private readonly words: Int32Array;
  private readonly scratch: Int32Array;
  readonly view: DataView;
  lost = 0;
  seen = 0;

  constructor(sab: SharedArrayBuffer, fromStart = true) {
    this.ring = new RingBuffer(sab);
    const h = this.ring.header;
    this.cursor = fromStart ? h[G_INITIAL_SEQ] : Atomics.load(h, PRODUCER_CURSOR);
    this.words = new Int32Array(sab, this.ring.slotsOffset, (this.ring.capacity * this.ring.slotSize) / 4);
    const buf = new ArrayBuffer(this.ring.slotSize);
    this.scratch = new Int32Array(buf);
    this.view = new DataView(buf);
  }

  /** Delivers every message published since the last poll (the view is valid during the call only). */
  poll(handler: (view: DataView) => void, max = 1 << 20): number {
    const r = this.ring;
    const prod = Atomics.load(r.header, PRODUCER_CURSOR);
    let n = seqDiff(prod, this.cursor);
    if (n <= 0) return 0;
    let seq = this.cursor;
    const h = r.header;
    const behind = seqDiff(Atomics.load(h, PRODUCER_CLAIM), seq) - r.capacity;
    if (behind > 0) {
      const skip = Math.min(behind, n);
      this.lost += skip;
      seq = (seq + skip) | 0;
      n -= skip;
    }
    if (n > max) n = max;
    const wps = r.slotSize >> 2;
    let delivered = 0;
    for (let i = 0; i < n; i++, seq = (seq + 1) | 0) {
      if (seqDiff(Atomics.load(h, PRODUCER_CLAIM), seq) > r.capacity) {
        this.lost++;
        continue;
      }
      const w0 = (seq & r.mask) * wps;
      for (let w = 0; w < wps; w++) this.scratch[w] = this.words[w0 + w];
      if (seqDiff(Atomics.load(h, PRODUCER_CLAIM), seq) > r.capacity) {
        this.lost++;
        continue;
      }
      handler(this.view);
      delivered++;
    }
    this.cursor = seq;
    this.seen += delivered;
    return delivered;
  }
}
