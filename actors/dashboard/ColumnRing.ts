/**
 * A fixed-capacity ring of rows stored as columns (one Float64Array per column), oldest overwritten.
 * Columnar because the page's charts (uPlot) take columns, and because a push allocates nothing.
 * Rows carry a running sequence number so a reader can ask for "everything after the last one I sent".
 */
export class ColumnRing {
  readonly cols: Float64Array[];
  private head = 0; // next slot to write
  private count = 0;
  /** sequence of the newest row (rows are numbered from 1; 0 = empty) */
  seq = 0;

  constructor(readonly capacity: number, readonly width: number) {
    if (!(capacity >= 1) || !(width >= 1)) throw new RangeError('ColumnRing: capacity and width must be ≥ 1');
    this.cols = Array.from({ length: width }, () => new Float64Array(capacity));
  }

  get length(): number {
    return this.count;
  }

  /** Starts a new row and returns its slot: the caller writes `cols[c][slot]` for every column. */
  claim(): number {
    const i = this.head;
    this.head = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.seq++;
    return i;
  }

  /** Appends a row; values beyond `width` are ignored, missing ones become NaN. */
  push(a: number, b = NaN, c = NaN, d = NaN, e = NaN, f = NaN, g = NaN): void {
    const i = this.claim();
    const cols = this.cols;
    cols[0][i] = a;
    if (this.width > 1) cols[1][i] = b;
    if (this.width > 2) cols[2][i] = c;
    if (this.width > 3) cols[3][i] = d;
    if (this.width > 4) cols[4][i] = e;
    if (this.width > 5) cols[5][i] = f;
    if (this.width > 6) cols[6][i] = g;
  }

  /** Overwrites the newest row's column `col` (a bar still forming, a point refined). */
  setLast(col: number, v: number): void {
    if (this.count === 0) return;
    this.cols[col][(this.head - 1 + this.capacity) % this.capacity] = v;
  }

  last(col: number): number {
    if (this.count === 0) return NaN;
    return this.cols[col][(this.head - 1 + this.capacity) % this.capacity];
  }

  /**
   * Rows with sequence > `afterSeq`, oldest first, as plain arrays per column (NaN → null, which the
   * page's charts draw as a gap). `afterSeq` 0 returns everything kept.
   */
  columnsSince(afterSeq: number, round?: readonly ((x: number) => number)[]): (number | null)[][] {
    const n = Math.min(this.count, Math.max(0, this.seq - afterSeq));
    const out: (number | null)[][] = [];
    for (let c = 0; c < this.width; c++) {
      const col = this.cols[c];
      const r = round?.[c];
      const arr: (number | null)[] = new Array(n);
      for (let k = 0; k < n; k++) {
        const x = col[(this.head - n + k + this.capacity) % this.capacity];
        arr[k] = Number.isFinite(x) ? (r ? r(x) : x) : null;
      }
      out.push(arr);
    }
    return out;
  }

  /** Up to `max` rows, newest first, each as an array of its columns (NaN → null). */
  rowsNewestFirst(max: number): (number | null)[][] {
    const n = Math.min(this.count, max);
    const out: (number | null)[][] = new Array(n);
    for (let k = 0; k < n; k++) {
      const i = (this.head - 1 - k + 2 * this.capacity) % this.capacity;
      const row: (number | null)[] = new Array(this.width);
      for (let c = 0; c < this.width; c++) {
        const x = this.cols[c][i];
        row[c] = Number.isFinite(x) ? x : null;
      }
      out[k] = row;
    }
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
