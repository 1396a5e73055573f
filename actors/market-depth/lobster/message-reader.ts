/**
 * LOBSTER message file, one row at a time: time (s after midnight, ns decimals), type, order id,
 * size, price ×10000, direction, then optionally the attribution (an MPID such as `UBSS`, or
 * `null`); later columns are ignored. The current row lives in plain fields; nothing is allocated
 * per row except the attribution string of a row that has one.
 *
 * Every event type of the format is accepted: 1 submit, 2 partial cancel, 3 delete, 4 execution,
 * 5 hidden execution, 6 cross (an auction trade: order id -1, no aggressor), 7 halt indicator
 * (price -1 halt, 0 quote resumption, 1 trade resumption). A type outside 1..7 is not an error:
 * the row is read, `known` is false, and `unknownTypes` counts it, so one odd row in a day of
 * millions does not stop the day.
 */

import { NumericCsvReader } from './csv-reader.js';
import { DST_SWITCH_NS, EasternClock, lobsterDateFromName } from './file-name.js';

export const MSG_SUBMIT = 1;
export const MSG_CANCEL = 2;
export const MSG_DELETE = 3;
export const MSG_EXECUTE = 4;
export const MSG_EXECUTE_HIDDEN = 5;
export const MSG_CROSS = 6;
export const MSG_HALT = 7;

export const PRICE_SCALE = 10_000;
const NS_PER_DAY = 86_400 * 1e9;
const MESSAGE_COLUMNS = 6;
/** Halt indicator states (type 7, price column). */
export const HALT_HALTED = -1;
export const HALT_QUOTING = 0;
export const HALT_TRADING = 1;
/** MPIDs are 4 letters; anything much longer is not an attribution. */
const MAX_ATTRIBUTION = 16;
/** Distinct unknown types remembered for the report (the count covers all). */
const UNKNOWN_TYPES_KEPT = 16;

export interface MessageReaderOptions {
  /** Trading date 'YYYY-MM-DD'; default: the date in the file name. Without either, `tsMs` is NaN. */
  date?: string;
}

export class LobsterMessageReader {
  /** 0-based index of the current row (-1 before the first `next()`). */
  row = -1;
  /** Nanoseconds after midnight, Eastern wall clock, exact. */
  tsNs = 0;
  /** Epoch milliseconds (floored), NaN when the date is unknown. */
  tsMs = NaN;
  type = 0;
  orderId = 0;
  size = 0;
  /** Price × 10000 as in the file (an integer). */
  priceRaw = 0;
  /** Side of the resting limit order: -1 sell (ask), 1 buy (bid). */
  direction = 0;
  /** Columns in the current row (≥ 6). */
  columns = 0;
  /** The row's type is one of the format's 1..7. */
  known = true;
  /** Rows of a type outside 1..7, and the first distinct such types. */
  unknownTypes = 0;
  readonly unknownTypeValues: number[] = [];

  readonly date: string | null;
  // EasternClock's constants, copied so the per-row conversion is inline arithmetic: a call
  // returning a double would box it (one heap number per message).
  private readonly midnightWallMs: number;
  private readonly offsetEarlyMs: number;
  private readonly offsetLateMs: number;
  private readonly csv: NumericCsvReader;

  constructor(
    readonly file: string,
    opts: MessageReaderOptions = {},
  ) {
    this.date = opts.date ?? lobsterDateFromName(file);
    const clock = this.date === null ? null : new EasternClock(this.date);
    this.midnightWallMs = clock ? clock.midnightWallMs : NaN;
    this.offsetEarlyMs = clock ? clock.offsetEarlyMs : NaN;
    this.offsetLateMs = clock ? clock.offsetLateMs : NaN;
    this.csv = new NumericCsvReader(file, MESSAGE_COLUMNS);
  }

  /** 1-based line number of the current row. */
  get line(): number {
    return this.csv.line;
  }

  /** Seconds after midnight (a double; `tsNs` is the exact value). */
  get seconds(): number {
    return this.tsNs / 1e9;
  }

  /** Price in dollars. */
  get price(): number {
    return this.priceRaw / PRICE_SCALE;
  }

  /** Advances to the next message; false at the end of the file. Throws LobsterFormatError on a bad row. */
  next(): boolean {
    const c = this.csv;
    if (!c.next()) return false;
    this.row++;
    if (c.fields < MESSAGE_COLUMNS) c.fail(c.fields, `expected at least ${MESSAGE_COLUMNS} columns (time,type,order id,size,price,direction), found ${c.fields}`);

    const sec = c.int[0]!;
    const ns = sec * 1e9 + c.fracNs[0]!;
    if (!(sec >= 0 && ns < NS_PER_DAY) || Object.is(sec, -0)) c.fail(0, `time: expected seconds after midnight in [0, 86400), found ${c.value(0)}`);
    const type = c.integer(1, 'type');
    const known = type >= MSG_SUBMIT && type <= MSG_HALT;
    const id = c.integer(2, 'order id');
    const size = c.integer(3, 'size');
    const price = c.integer(4, 'price');
    const dir = c.integer(5, 'direction');
    if (known) {
      // Crosses carry order id -1 (no resting order); halts carry no order either.
      if (id < 0 && !(id === -1 && (type === MSG_CROSS || type === MSG_HALT))) c.fail(2, `order id: expected ≥ 0 (or -1 for a cross), found ${id}`);
      if (size < 0) c.fail(3, `size: expected ≥ 0, found ${size}`);
      if (type === MSG_HALT) {
        if (price !== HALT_HALTED && price !== HALT_QUOTING && price !== HALT_TRADING) c.fail(4, `price: a halt (type 7) carries -1 (halt), 0 (quote resumption) or 1 (trade resumption), found ${price}`);
      } else if (price <= 0) c.fail(4, `price: expected a positive integer (dollars × 10000), found ${price}`);
      // A halt's direction means nothing; every other type names the side of its order.
      if (type !== MSG_HALT && dir !== 1 && dir !== -1) c.fail(5, `direction: expected -1 or 1, found ${dir}`);
    } else {
      this.unknownTypes++;
      const seen = this.unknownTypeValues;
      if (seen.length < UNKNOWN_TYPES_KEPT && !seen.includes(type)) seen.push(type);
    }

    // Checked here, not only when the attribution is read, so every reader refuses the same rows.
    if (c.textLength() > MAX_ATTRIBUTION) c.fail(MESSAGE_COLUMNS, `attribution: expected an MPID of at most ${MAX_ATTRIBUTION} characters, found ${c.textLength()}`);

    this.tsNs = ns;
    // Same arithmetic as EasternClock.epochMs; NaN when the date is unknown.
    this.tsMs = this.midnightWallMs + Math.floor(ns / 1e6) - (ns < DST_SWITCH_NS ? this.offsetEarlyMs : this.offsetLateMs);
    this.type = type;
    this.orderId = id;
    this.size = size;
    this.priceRaw = price;
    this.direction = dir;
    this.columns = c.fields;
    this.known = known;
    return true;
  }

  /**
   * The attribution column (an MPID) of the current row; null when the row has no seventh column,
   * it is empty, or it says `null`.
   */
  attribution(): string | null {
    if (this.columns <= MESSAGE_COLUMNS) return null;
    const t = this.csv.text();
    return t === null || t.length === 0 || t === 'null' ? null : t;
  }

  /** A one-line summary of the unknown types seen, or null when there were none. */
  unknownSummary(): string | null {
    if (this.unknownTypes === 0) return null;
    return `${this.unknownTypes} message(s) of unknown type (${this.unknownTypeValues.join(', ')}${this.unknownTypeValues.length === UNKNOWN_TYPES_KEPT ? ', …' : ''}) skipped`;
  }

  close(): void {
    this.csv.close();
  }
}

/** Type 7's price column as a phase name. */
export function haltPhase(price: number): 'halted' | 'quoting' | 'trading' {
  return price === HALT_HALTED ? 'halted' : price === HALT_QUOTING ? 'quoting' : 'trading';
}

/** Types 4 and 5: an execution against a resting (visible or hidden) limit order. */
export function isExecution(type: number): boolean {
  return type === MSG_EXECUTE || type === MSG_EXECUTE_HIDDEN;
}

/**
 * The aggressor of an execution from the resting order's direction: a hit sell limit order (-1)
 * means a buyer crossed the spread (+1), and vice versa.
 */
export function aggressorOf(direction: number): 1 | -1 {
  return direction === -1 ? 1 : -1;
}
