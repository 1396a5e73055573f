/**
 * LOBSTER orderbook file, one row at a time: for each level 1..L `ask price, ask size, bid price,
 * bid size` (prices × 10000). Dummy levels (ask 9999999999 / bid -9999999999, size 0) mean "no
 * level"; they must come after every real level of their side, since a position-indexed book
 * cannot hold a hole. Each side of the current row is exposed as raw typed arrays plus a length.
 */

import { NumericCsvReader } from './csv-reader.js';

export const ASK_DUMMY_PRICE = 9_999_999_999;
export const BID_DUMMY_PRICE = -9_999_999_999;

export interface OrderbookReaderOptions {
  /** Levels to read (≤ the file's levels); default: all of the file's levels (its columns / 4). */
  levels?: number;
}

export class LobsterOrderbookReader {
  /** 0-based index of the current row (-1 before the first `next()`). */
  row = -1;
  /** Levels in the file (columns / 4), known after the first row. */
  fileLevels = 0;
  /** Levels exposed, known after the first row. */
  levels = 0;
  askLen = 0;
  bidLen = 0;
  askPx: Float64Array = new Float64Array(0);
  askSz: Float64Array = new Float64Array(0);
  bidPx: Float64Array = new Float64Array(0);
  bidSz: Float64Array = new Float64Array(0);

  private readonly csv: NumericCsvReader;
  private readonly wantLevels: number | undefined;
  /** peekLevels() read the first row ahead; next() serves it. */
  private pending = false;
  private hasPending = false;

  constructor(
    readonly file: string,
    opts: OrderbookReaderOptions = {},
  ) {
    if (opts.levels !== undefined && !(Number.isInteger(opts.levels) && opts.levels >= 1)) {
      throw new RangeError(`levels must be a positive integer, got ${String(opts.levels)}`);
    }
    this.wantLevels = opts.levels;
    this.csv = new NumericCsvReader(file, 0);
  }

  get line(): number {
    return this.csv.line;
  }

  /**
   * Reads the first row now (if not read yet) and returns the levels exposed, so a caller can size
   * its buffers before stepping; the row is then served by the next `next()`.
   */
  peekLevels(): number {
    if (this.row === -1 && !this.pending) {
      this.pending = true;
      this.hasPending = this.advance();
      if (!this.hasPending) {
        throw new RangeError(`${this.file}: no rows`);
      }
    }
    return this.levels;
  }

  /** Advances to the next row; false at the end of the file. Throws LobsterFormatError on a bad row. */
  next(): boolean {
    if (this.pending) {
      this.pending = false;
      if (!this.hasPending) return false;
      this.row++;
      return true;
    }
    if (!this.advance()) return false;
    this.row++;
    return true;
  }

  close(): void {
    this.csv.close();
  }

  private advance(): boolean {
    const c = this.csv;
    if (!c.next()) return false;
    if (this.fileLevels === 0) this.setup(c);
    const expect = this.fileLevels * 4;
    if (c.fields !== expect) {
      c.fail(c.fields < expect ? c.fields : expect, `expected ${expect} columns (${this.fileLevels} levels × ask price, ask size, bid price, bid size), found ${c.fields}`);
    }
    this.askLen = readSide(c, 0, this.levels, ASK_DUMMY_PRICE, this.askPx, this.askSz, 'ask');
    this.bidLen = readSide(c, 2, this.levels, BID_DUMMY_PRICE, this.bidPx, this.bidSz, 'bid');
    return true;
  }

  private setup(c: NumericCsvReader): void {
    if (c.fields % 4 !== 0) {
      c.fail(c.fields - 1, `expected a multiple of 4 columns (ask price, ask size, bid price, bid size per level), found ${c.fields}`);
    }
    this.fileLevels = c.fields / 4;
    const want = this.wantLevels ?? this.fileLevels;
    if (want > this.fileLevels) {
      c.fail(c.fields - 1, `${want} levels requested but the file has ${this.fileLevels}`);
    }
    this.levels = want;
    this.askPx = new Float64Array(want);
    this.askSz = new Float64Array(want);
    this.bidPx = new Float64Array(want);
    this.bidSz = new Float64Array(want);
  }
}

/** Fills one side from columns `first + 4·level` (price) and `+1` (size); returns its length. */
function readSide(
  c: NumericCsvReader,
  first: number,
  levels: number,
  dummy: number,
  px: Float64Array,
  sz: Float64Array,
  name: string,
): number {
  const otherDummy = -dummy;
  let len = 0;
  let emptyAt = -1;
  for (let l = 0; l < levels; l++) {
    const pc = first + 4 * l;
    // Field names are built only on failure: this loop runs 4·L times per row.
    if (c.hasFrac[pc] === 1) c.integer(pc, `${name} price ${l + 1}`);
    if (c.hasFrac[pc + 1] === 1) c.integer(pc + 1, `${name} size ${l + 1}`);
    const price = c.int[pc]!;
    const size = c.int[pc + 1]!;
    if (price === dummy) {
      if (size !== 0) c.fail(pc + 1, `${name} size ${l + 1}: an empty level (price ${dummy}) must have size 0, found ${size}`);
      if (emptyAt < 0) emptyAt = l;
      continue;
    }
    if (emptyAt >= 0) {
      c.fail(pc, `${name} price ${l + 1}: a real level after the empty level ${emptyAt + 1}`);
    }
    if (price === otherDummy) c.fail(pc, `${name} price ${l + 1}: ${price} is the other side's empty-level value`);
    if (price <= 0) c.fail(pc, `${name} price ${l + 1}: expected a positive integer (dollars × 10000), found ${price}`);
    if (size < 0) c.fail(pc + 1, `${name} size ${l + 1}: expected ≥ 0, found ${size}`);
    px[len] = price;
    sz[len] = size;
    len++;
  }
  return len;
}
