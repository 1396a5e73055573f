/**
 * A measuring point for benchmarks: the signals actor records, for every AnalyticsSnapshot it evaluated
 * (whether or not a strategy fired), the snapshot's ingestNs, its symbol, its dequeueNs (when analytics took
 * the book top it answers: every tick booked before that is reflected) and when the evaluation finished.
 * Nothing downstream carries that moment (only emitted signals travel on), so the e2e harness reads it here.
 * Off unless the runtime carries `decisionProbe` (a SharedArrayBuffer from `DecisionProbe.create`); on, it
 * costs four stores and one atomic store per snapshot, no allocation.
 *
 * Layout: Int32 [0] = entries written (wraps at 2^31 like a ring sequence); from byte 8, `capacity` entries of
 * four f64 (ingestNs, symbolId, reflectsNs, decisionNs). One writer; a reader that falls a whole ring behind counts the
 * entries it missed (it re-reads the counter after copying an entry to know it was not overwritten meanwhile).
 */
const W = 4; // f64 words per entry

export class DecisionProbe {
  private readonly count: Int32Array;
  private readonly entries: Float64Array;
  private readonly mask: number;

  private constructor(sab: SharedArrayBuffer) {
    this.count = new Int32Array(sab, 0, 1);
    this.entries = new Float64Array(sab, 8);
    this.mask = this.entries.length / W - 1;
  }

  /** Shared memory for `capacity` entries (a power of two). */
  static create(capacity = 1 << 16): SharedArrayBuffer {
    if (capacity & (capacity - 1)) throw new RangeError(`capacity must be a power of two, got ${capacity}`);
    return new SharedArrayBuffer(8 + capacity * W * 8);
  }

  /** The probe in `sab`, or undefined when the runtime carries none (the normal case). */
  static of(sab: unknown): DecisionProbe | undefined {
    return sab instanceof SharedArrayBuffer ? new DecisionProbe(sab) : undefined;
  }

  record(ingestNs: number, symbolId: number, reflectsNs: number, decisionNs: number): void {
    const n = this.count[0];
    const o = (n & this.mask) * W;
    this.entries[o] = ingestNs;
    this.entries[o + 1] = symbolId;
    this.entries[o + 2] = reflectsNs;
    this.entries[o + 3] = decisionNs;
    Atomics.store(this.count, 0, (n + 1) & 0x7fffffff); // publishes the entry
  }

  private cursor = 0;
  lost = 0;

  /** Reader side: every entry recorded since the last poll, oldest first. */
  poll(on: (ingestNs: number, symbolId: number, reflectsNs: number, decisionNs: number) => void): number {
    const end = Atomics.load(this.count, 0);
    const cap = this.mask + 1;
    let n = (end - this.cursor) & 0x7fffffff;
    if (n > cap) {
      this.lost += n - cap;
      this.cursor = (end - cap) & 0x7fffffff;
      n = cap;
    }
    for (let i = 0; i < n; i++) {
      const o = (this.cursor & this.mask) * W;
      const a = this.entries[o], s = this.entries[o + 1], r = this.entries[o + 2], d = this.entries[o + 3];
      // overwritten while copied: the writer is now more than a ring ahead of this entry
      if (((Atomics.load(this.count, 0) - this.cursor) & 0x7fffffff) > cap) this.lost++;
      else on(a, s, r, d);
      this.cursor = (this.cursor + 1) & 0x7fffffff;
    }
    return n;
  }
}
