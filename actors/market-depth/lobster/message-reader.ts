/**
 * LOBSTER message file, one row at a time: time (s after midnight, ns decimals), type, order id,
 * size, price ×10000, direction, then any extra columns (e.g. a market participant id), which are
 * accepted and ignored. The current row lives in plain fields; nothing is allocated per row.
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
    if (type < MSG_SUBMIT || type > MSG_HALT) c.fail(1, `type: expected 1..7, found ${type}`);
    const id = c.integer(2, 'order id');
    if (id < 0) c.fail(2, `order id: expected ≥ 0, found ${id}`);
    const size = c.integer(3, 'size');
    if (size < 0) c.fail(3, `size: expected ≥ 0, found ${size}`);
    const price = c.integer(4, 'price');
    // Halts encode their state in the price column (-1, 0, 1); every other type carries a real price.
    if (type !== MSG_HALT && price <= 0) c.fail(4, `price: expected a positive integer (dollars × 10000), found ${price}`);
    const dir = c.integer(5, 'direction');
    if (dir !== 1 && dir !== -1) c.fail(5, `direction: expected -1 or 1, found ${dir}`);

    this.tsNs = ns;
    // Same arithmetic as EasternClock.epochMs; NaN when the date is unknown.
    this.tsMs = this.midnightWallMs + Math.floor(ns / 1e6) - (ns < DST_SWITCH_NS ? this.offsetEarlyMs : this.offsetLateMs);
    this.type = type;
    this.orderId = id;
    this.size = size;
    this.priceRaw = price;
    this.direction = dir;
    this.columns = c.fields;
    return true;
  }

  close(): void {
    this.csv.close();
  }
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
