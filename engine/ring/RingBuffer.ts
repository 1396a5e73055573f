import {
  G_CAPACITY, G_INITIAL_SEQ, G_MAGIC, G_READERS, G_SLOT_SIZE, HEADER_INTS, LINE_INTS, MAGIC, MAX_READERS,
  PRODUCER_CURSOR, R_ACTIVE, R_CURSOR, R_DOORBELL, R_MODE, R_OVERRUNS, P_DROPPED, P_FULL_EVENTS,
  isPowerOfTwo, PRODUCER_CLAIM, readerBase, SLOTS_OFFSET, totalBytes,
} from './RingLayout.js';
import { seqDiff } from './Sequence.js';

export type DeliveryMode = 'lossless' | 'lossy';

export interface RingReaderSpec {
  /** lossless readers gate the producer (orders, fills); lossy readers may be overrun (market data to publisher, dashboard). */
  mode: DeliveryMode;
  /** index of the reader actor's doorbell word in the shared doorbell array (see Doorbell). */
  doorbell?: number;
}

export interface RingSpec {
  capacity: number; // slots, a power of two
  slotSize: number; // bytes per slot, a multiple of 8
  readers: RingReaderSpec[];
  /** first sequence; tests start near 2^31 to cross the int32 wrap */
  initialSequence?: number;
}

/**
 * A single-producer, multi-reader ring over one SharedArrayBuffer (LMAX Disruptor style). This class
 * only owns the memory and its geometry; `RingProducer` and `RingReader` are the two ends and can live
 * in different worker threads, each attaching to the same SharedArrayBuffer.
 */
export class RingBuffer {
  readonly sab: SharedArrayBuffer;
  readonly header: Int32Array;
  readonly view: DataView;
  readonly capacity: number;
  readonly mask: number;
  readonly slotSize: number;
  readonly slotsOffset: number;
  readonly readerCount: number;

  static create(spec: RingSpec): RingBuffer {
    if (!isPowerOfTwo(spec.capacity) || spec.capacity < 2 || spec.capacity > 1 << 30) {
      throw new RangeError(`ring capacity must be a power of two between 2 and 2^30, got ${spec.capacity}`);
    }
    if (!Number.isInteger(spec.slotSize) || spec.slotSize < 8 || spec.slotSize % 8 !== 0) {
      throw new RangeError(`ring slotSize must be a positive multiple of 8 bytes, got ${spec.slotSize}`);
    }
    if (spec.readers.length < 1 || spec.readers.length > MAX_READERS) {
      throw new RangeError(`a ring needs 1..${MAX_READERS} readers, got ${spec.readers.length}`);
    }
    const sab = new SharedArrayBuffer(totalBytes(spec.capacity, spec.slotSize));
    const h = new Int32Array(sab, 0, HEADER_INTS);
    const init = (spec.initialSequence ?? 0) | 0;
    h[G_MAGIC] = MAGIC;
    h[G_CAPACITY] = spec.capacity;
    h[G_SLOT_SIZE] = spec.slotSize;
    h[G_READERS] = spec.readers.length;
    h[G_INITIAL_SEQ] = init;
    h[PRODUCER_CURSOR] = init;
    spec.readers.forEach((r, i) => {
      const b = readerBase(i);
      h[b + R_CURSOR] = init;
      h[b + R_MODE] = r.mode === 'lossless' ? 1 : 0;
      h[b + R_DOORBELL] = r.doorbell ?? i * LINE_INTS;
      h[b + R_ACTIVE] = 1;
    });
    h[PRODUCER_CLAIM] = init;
    return new RingBuffer(sab);
  }

  /** Attaches to a ring created elsewhere (typically in another thread). */
  constructor(sab: SharedArrayBuffer) {
    const h = new Int32Array(sab, 0, HEADER_INTS);
    if (h[G_MAGIC] !== MAGIC) throw new Error('not a ring buffer (bad magic)');
    this.sab = sab;
    this.header = h;
    this.capacity = h[G_CAPACITY];
    this.mask = this.capacity - 1;
    this.slotSize = h[G_SLOT_SIZE];
    this.readerCount = h[G_READERS];
    this.slotsOffset = SLOTS_OFFSET;
    this.view = new DataView(sab);
  }

  isLossless(reader: number): boolean {
    return this.header[readerBase(reader) + R_MODE] === 1;
  }

  doorbellOf(reader: number): number {
    return this.header[readerBase(reader) + R_DOORBELL];
  }

  /** Snapshot for monitoring; cheap plain loads, may be a few messages stale. */
  stats(): RingStats {
    const h = this.header;
    const prod = Atomics.load(h, PRODUCER_CURSOR);
    const readers: RingReaderStats[] = [];
    for (let i = 0; i < this.readerCount; i++) {
      const b = readerBase(i);
      const lag = seqDiff(prod, Atomics.load(h, b + R_CURSOR));
      readers.push({
        mode: h[b + R_MODE] === 1 ? 'lossless' : 'lossy',
        lag,
        fill: Math.min(1, Math.max(0, lag / this.capacity)),
        overruns: Atomics.load(h, b + R_OVERRUNS),
      });
    }
    return {
      published: seqDiff(prod, h[G_INITIAL_SEQ]) >>> 0,
      capacity: this.capacity,
      fullEvents: Atomics.load(h, P_FULL_EVENTS),
      dropped: Atomics.load(h, P_DROPPED),
      readers,
    };
  }
}

export interface RingReaderStats { mode: DeliveryMode; lag: number; fill: number; overruns: number }
export interface RingStats { published: number; capacity: number; fullEvents: number; dropped: number; readers: RingReaderStats[] }
