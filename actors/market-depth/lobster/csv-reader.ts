/**
 * Row-at-a-time reader for LOBSTER's numeric CSV files. It reads the file synchronously in
 * chunks (a full-day orderbook file is hundreds of MB, so it is never read whole) and parses
 * the fields straight from the bytes into typed arrays: no string or array per row.
 *
 * A field is `-?digits(.digits)?`. The integer part and the fraction are kept apart so a
 * LOBSTER time such as `34200.004241176` yields exact nanoseconds (a double would not).
 */

import { closeSync, openSync, readSync } from 'node:fs';
import { LobsterFormatError } from './errors.js';

const NL = 10;
const CR = 13;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

const FRAC_DIGITS = 9;
const MAX_INT_DIGITS = 15; // every 15-digit integer is exact in a double

export class NumericCsvReader {
  /** 1-based line number of the row last returned by `next()`. */
  line = 0;
  /** Number of fields (numeric and skipped) in the row last returned. */
  fields = 0;
  /** Integer part of each numeric field, signed. */
  int: Float64Array;
  /** Fraction of each numeric field in units of 1e-9 (digits past the 9th are dropped), signed. */
  fracNs: Float64Array;
  /** 1 when the field had a decimal point. */
  hasFrac: Uint8Array;
  // Byte range of the first field past the numeric ones (LOBSTER's attribution column), -1 when absent.
  private textFrom = -1;
  private textTo = -1;

  private readonly fd: number;
  private buf: Buffer;
  private start = 0;
  private end = 0;
  private eof = false;
  private closed = false;
  private blankLine = 0;

  /**
   * @param numeric how many leading fields to parse as numbers; later fields (e.g. a market
   *   participant id) are counted but not parsed. 0 means every field.
   */
  constructor(
    readonly file: string,
    private readonly numeric: number,
    chunkBytes = 1 << 16,
  ) {
    const cap = numeric > 0 ? numeric : 64;
    this.int = new Float64Array(cap);
    this.fracNs = new Float64Array(cap);
    this.hasFrac = new Uint8Array(cap);
    this.buf = Buffer.allocUnsafe(chunkBytes);
    this.fd = openSync(file, 'r');
  }

  /** Advances to the next row; false at the end of the file. Blank lines are allowed only at the end. */
  next(): boolean {
    for (;;) {
      const lineEnd = this.findLineEnd();
      if (lineEnd < 0) {
        return false;
      }
      this.line++;
      let stop = lineEnd;
      if (stop > this.start && this.buf[stop - 1] === CR) stop--;
      const from = this.start;
      this.start = lineEnd + 1;
      if (stop === from) {
        if (this.blankLine === 0) this.blankLine = this.line;
        continue;
      }
      if (this.blankLine !== 0) {
        throw new LobsterFormatError(this.file, this.blankLine, 0, 'empty line before the end of the file');
      }
      this.parseRow(from, stop);
      return true;
    }
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      closeSync(this.fd);
    }
  }

  /** Throws a format error for field `col` (0-based) of the current row. */
  fail(col: number, detail: string): never {
    throw new LobsterFormatError(this.file, this.line, col + 1, detail);
  }

  /** The value of numeric field `col` as a double. */
  value(col: number): number {
    return this.int[col]! + this.fracNs[col]! / 1e9;
  }

  /** Numeric field `col`, which must be an integer (no decimal point). */
  integer(col: number, what: string): number {
    if (this.hasFrac[col] === 1) this.fail(col, `${what}: expected an integer, found ${this.fieldText(col)}`);
    return this.int[col]!;
  }

  /**
   * The first field after the numeric ones, as text (latin1), or null when the row has none. Valid
   * until the next `next()`. Allocates a string, so call it only when the value is needed.
   */
  text(): string | null {
    return this.textFrom < 0 ? null : this.buf.toString('latin1', this.textFrom, this.textTo);
  }

  /** Bytes in that field (no allocation), -1 when the row has none. */
  textLength(): number {
    return this.textFrom < 0 ? -1 : this.textTo - this.textFrom;
  }

  /** Index just past the current line's last byte (the newline, or the end of data at EOF); -1 when no line is left. */
  private findLineEnd(): number {
    for (;;) {
      const idx = this.buf.indexOf(NL, this.start);
      if (idx >= 0 && idx < this.end) return idx;
      if (this.eof) {
        if (this.start < this.end) {
          // Last line without a trailing newline: make it look like one.
          this.ensureRoom(1);
          this.buf[this.end] = NL;
          return this.end++;
        }
        return -1;
      }
      this.fill();
    }
  }

  private fill(): void {
    // Keep the unfinished line, move it to the front, read more behind it.
    if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    this.ensureRoom(1);
    const n = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
    if (n === 0) this.eof = true;
    else this.end += n;
  }

  private ensureRoom(bytes: number): void {
    if (this.end + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.end + bytes));
    this.buf.copy(bigger, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
    this.buf = bigger;
  }

  private parseRow(from: number, stop: number): void {
    const b = this.buf;
    let col = 0;
    let i = from;
    this.textFrom = this.textTo = -1;
    for (;;) {
      if (this.numeric === 0 || col < this.numeric) {
        if (col >= this.int.length) this.grow();
        i = this.parseField(i, stop, col);
      } else {
        const f = i;
        while (i < stop && b[i] !== COMMA) i++;
        if (col === this.numeric) {
          this.textFrom = f;
          this.textTo = i;
        }
      }
      col++;
      if (i >= stop) break;
      // b[i] is a comma
      i++;
      if (i === stop && (this.numeric === 0 || col < this.numeric)) this.fail(col, 'empty field');
    }
    this.fields = col;
  }

  private parseField(i: number, stop: number, col: number): number {
    const b = this.buf;
    const fieldStart = i;
    let neg = false;
    if (i < stop && b[i] === MINUS) {
      neg = true;
      i++;
    }
    let int = 0;
    let digits = 0;
    while (i < stop) {
      const c = b[i]!;
      if (c < ZERO || c > NINE) break;
      int = int * 10 + (c - ZERO);
      digits++;
      i++;
    }
    let frac = 0;
    let fracDigits = 0;
    let dot = false;
    if (i < stop && b[i] === DOT) {
      dot = true;
      i++;
      while (i < stop) {
        const c = b[i]!;
        if (c < ZERO || c > NINE) break;
        if (fracDigits < FRAC_DIGITS) frac = frac * 10 + (c - ZERO);
        fracDigits++;
        i++;
      }
    }
    if (i < stop && b[i] !== COMMA) {
      while (i < stop && b[i] !== COMMA) i++;
      this.fail(col, `expected a number, found ${quote(b, fieldStart, i)}`);
    }
    if (digits === 0 && fracDigits === 0) {
      this.fail(col, i === fieldStart ? 'empty field' : `expected a number, found ${quote(b, fieldStart, i)}`);
    }
    if (digits > MAX_INT_DIGITS) this.fail(col, `number too large: ${quote(b, fieldStart, i)}`);
    for (let k = fracDigits; k < FRAC_DIGITS; k++) frac *= 10;
    this.int[col] = neg ? -int : int;
    this.fracNs[col] = neg ? -frac : frac;
    this.hasFrac[col] = dot ? 1 : 0;
    return i;
  }

  private fieldText(col: number): string {
    const v = this.value(col);
    return String(v);
  }

  private grow(): void {
    const n = this.int.length * 2;
    const int = new Float64Array(n);
    const frac = new Float64Array(n);
    const has = new Uint8Array(n);
    int.set(this.int);
    frac.set(this.fracNs);
    has.set(this.hasFrac);
    this.int = int;
    this.fracNs = frac;
    this.hasFrac = has;
  }
}

function quote(b: Buffer, from: number, to: number): string {
  const s = b.toString('latin1', from, Math.min(to, from + 40));
  return JSON.stringify(to - from > 40 ? `${s}...` : s);
}
