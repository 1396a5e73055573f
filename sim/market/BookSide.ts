/**
 * One side of the simulated true book: rows in IB list order (row 0 = top),
 * prices in integer ticks, capacity fixed to the symbol's numRows.
 *
 * The model mutates its book only through these list operations, which are
 * exactly the operations it emits, so a subscriber applying the emitted ops
 * with IB list semantics reproduces this book row for row.
 */
export class BookSide {
  readonly ticks: Float64Array;
  readonly sizes: Float64Array;
  readonly makers: Uint8Array;
  length = 0;

  constructor(readonly capacity: number) {
    this.ticks = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
    this.makers = new Uint8Array(capacity);
  }

  /** List insert at p (0 ≤ p ≤ length); the bottom row falls off when full. */
  insert(p: number, ticks: number, size: number, maker: number): void {
    const last = this.length < this.capacity ? this.length : this.capacity - 1;
    for (let i = last; i > p; i--) {
      this.ticks[i] = this.ticks[i - 1];
      this.sizes[i] = this.sizes[i - 1];
      this.makers[i] = this.makers[i - 1];
    }
    this.ticks[p] = ticks;
    this.sizes[p] = size;
    this.makers[p] = maker;
    if (this.length < this.capacity) this.length++;
  }

  /** List delete at p (0 ≤ p < length); later rows shift up. */
  remove(p: number): void {
    for (let i = p + 1; i < this.length; i++) {
      this.ticks[i - 1] = this.ticks[i];
      this.sizes[i - 1] = this.sizes[i];
      this.makers[i - 1] = this.makers[i];
    }
    this.length--;
  }

  /** Sum of sizes of the rows at the top price (rows are price-sorted, ties allowed across venues). */
  topSize(): number {
    if (this.length === 0) return 0;
    const top = this.ticks[0];
    let s = 0;
    for (let i = 0; i < this.length && this.ticks[i] === top; i++) s += this.sizes[i];
    return s;
  }
}
