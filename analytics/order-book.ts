/**
 * Interactive Brokers position-indexed market depth (reqMktDepth / updateMktDepthL2).
 *
 * IB addresses rows by position, not by price, so the book applies operations
 * literally as list operations (insert shifts rows down, delete shifts them up).
 * Each side lives in pre-allocated typed arrays so `apply` never allocates: it runs
 * once per depth message on the hot path.
 */

export type IgnoreReason =
  | 'badOperation'
  | 'badSide'
  | 'badPosition'
  | 'badPrice'
  | 'badSize'
  | 'deleteOnEmpty'
  | 'positionOutOfRange';

export const SIDE_ASK = 0;
export const SIDE_BID = 1;

export const OP_INSERT = 0;
export const OP_UPDATE = 1;
export const OP_DELETE = 2;

export const IGNORE_REASONS: readonly IgnoreReason[] = [
  'badOperation',
  'badSide',
  'badPosition',
  'badPrice',
  'badSize',
  'deleteOnEmpty',
  'positionOutOfRange',
];

export interface BookMetrics {
  bestBid: number | null;
  bestBidSize: number | null;
  bestAsk: number | null;
  bestAskSize: number | null;
  spread: number | null;
  mid: number | null;
  microprice: number | null;
  imbalanceTop5: number | null;
}

export function emptyMetrics(): BookMetrics {
  return {
    bestBid: null,
    bestBidSize: null,
    bestAsk: null,
    bestAskSize: null,
    spread: null,
    mid: null,
    microprice: null,
    imbalanceTop5: null,
  };
}

const IMBALANCE_ROWS = 5;

class BookSide {
  readonly prices: Float64Array;
  readonly sizes: Float64Array;
  readonly makers: string[];
  length = 0;

  constructor(capacity: number) {
    this.prices = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
    this.makers = new Array<string>(capacity).fill('');
  }

  /** Inserts at p (0 ≤ p ≤ length); returns the number of rows pushed off the bottom (0 or 1). */
  insert(p: number, price: number, size: number, maker: string): number {
    const cap = this.prices.length;
    let dropped = 0;
    let newLen = this.length + 1;
    if (newLen > cap) {
      newLen = cap;
      dropped = 1;
    }
    if (p >= cap) return dropped; // inserted below the last kept row: it is itself the truncated row
    // Shift rows p..newLen-2 down by one (the row at cap-1, if full, falls off).
    this.prices.copyWithin(p + 1, p, newLen - 1);
    this.sizes.copyWithin(p + 1, p, newLen - 1);
    const mk = this.makers;
    for (let i = newLen - 1; i > p; i--) mk[i] = mk[i - 1]!;
    this.prices[p] = price;
    this.sizes[p] = size;
    mk[p] = maker;
    this.length = newLen;
    return dropped;
  }

  update(p: number, price: number, size: number, maker: string): void {
    this.prices[p] = price;
    this.sizes[p] = size;
    this.makers[p] = maker;
  }

  remove(p: number): void {
    const len = this.length;
    this.prices.copyWithin(p, p + 1, len);
    this.sizes.copyWithin(p, p + 1, len);
    const mk = this.makers;
    for (let i = p; i < len - 1; i++) mk[i] = mk[i + 1]!;
    mk[len - 1] = '';
    this.length = len - 1;
  }

  clear(): void {
    this.length = 0;
    this.makers.fill('');
  }

  /** Sum of sizes over the top `rows` rows. */
  topSize(rows: number): number {
    const n = rows < this.length ? rows : this.length;
    let s = 0;
    for (let i = 0; i < n; i++) s += this.sizes[i]!;
    return s;
  }
}

export class OrderBook {
  readonly numRows: number;
  applied = 0;
  ignored = 0;
  /** Rows pushed off the bottom of a side by inserts into a full side. */
  truncatedRows = 0;
  readonly ignoredByReason: Record<IgnoreReason, number> = {
    badOperation: 0,
    badSide: 0,
    badPosition: 0,
    badPrice: 0,
    badSize: 0,
    deleteOnEmpty: 0,
    positionOutOfRange: 0,
  };
  private readonly ask: BookSide;
  private readonly bid: BookSide;

  constructor(numRows: number) {
    if (!Number.isInteger(numRows) || numRows < 1) {
      throw new RangeError(`OrderBook numRows must be a positive integer, got ${String(numRows)}`);
    }
    this.numRows = numRows;
    this.ask = new BookSide(numRows);
    this.bid = new BookSide(numRows);
  }

  /**
   * Applies one IB depth operation. Returns null when applied, else the reason it was
   * ignored (the book is then unchanged). Checks run in the order the conventions fix.
   */
  apply(
    position: number,
    operation: number,
    side: number,
    price: number,
    size: number,
    marketMaker = '',
  ): IgnoreReason | null {
    let reason: IgnoreReason | null = null;
    if (operation !== OP_INSERT && operation !== OP_UPDATE && operation !== OP_DELETE) {
      reason = 'badOperation';
    } else if (side !== SIDE_ASK && side !== SIDE_BID) {
      reason = 'badSide';
    } else if (!Number.isInteger(position) || position < 0) {
      reason = 'badPosition';
    } else if (operation !== OP_DELETE && !(Number.isFinite(price) && price > 0)) {
      reason = 'badPrice';
    } else if (operation !== OP_DELETE && !(Number.isFinite(size) && size >= 0)) {
      reason = 'badSize';
    } else {
      const s = side === SIDE_ASK ? this.ask : this.bid;
      if (operation === OP_DELETE && s.length === 0) {
        reason = 'deleteOnEmpty';
      } else if (operation === OP_INSERT ? position > s.length : position >= s.length) {
        reason = 'positionOutOfRange';
      } else if (operation === OP_INSERT) {
        this.truncatedRows += s.insert(position, price, size, marketMaker);
      } else if (operation === OP_UPDATE) {
        s.update(position, price, size, marketMaker);
      } else {
        s.remove(position);
      }
    }
    if (reason === null) {
      this.applied++;
    } else {
      this.ignored++;
      this.ignoredByReason[reason]++;
    }
    return reason;
  }

  /** IB error 317: depth was reset; both sides start over, the subscription stays live. */
  clear(): void {
    this.ask.clear();
    this.bid.clear();
  }

  length(side: number): number {
    return this.sideOf(side).length;
  }

  price(side: number, row: number): number {
    const s = this.sideOf(side);
    return row >= 0 && row < s.length ? s.prices[row]! : NaN;
  }

  size(side: number, row: number): number {
    const s = this.sideOf(side);
    return row >= 0 && row < s.length ? s.sizes[row]! : NaN;
  }

  marketMaker(side: number, row: number): string {
    const s = this.sideOf(side);
    return row >= 0 && row < s.length ? s.makers[row]! : '';
  }

  /** Fills `out` (allocation-free when given) with top-of-book metrics; null where undefined. */
  metrics(out: BookMetrics = emptyMetrics()): BookMetrics {
    const a = this.ask;
    const b = this.bid;
    const hasAsk = a.length > 0;
    const hasBid = b.length > 0;
    const bid = hasBid ? b.prices[0]! : 0;
    const bidSize = hasBid ? b.sizes[0]! : 0;
    const ask = hasAsk ? a.prices[0]! : 0;
    const askSize = hasAsk ? a.sizes[0]! : 0;
    out.bestBid = hasBid ? bid : null;
    out.bestBidSize = hasBid ? bidSize : null;
    out.bestAsk = hasAsk ? ask : null;
    out.bestAskSize = hasAsk ? askSize : null;
    if (hasBid && hasAsk) {
      out.spread = ask - bid;
      out.mid = (bid + ask) / 2;
      const tot = bidSize + askSize;
      out.microprice = tot > 0 ? (bid * askSize + ask * bidSize) / tot : null;
      const bs = b.topSize(IMBALANCE_ROWS);
      const as = a.topSize(IMBALANCE_ROWS);
      const t5 = bs + as;
      out.imbalanceTop5 = t5 > 0 ? (bs - as) / t5 : null;
    } else {
      out.spread = null;
      out.mid = null;
      out.microprice = null;
      // One side empty: all the visible interest is on the other side.
      out.imbalanceTop5 = hasBid ? 1 : hasAsk ? -1 : null;
    }
    return out;
  }

  toJSON(): { bids: [number, number][]; asks: [number, number][] } {
    return { bids: rows2(this.bid), asks: rows2(this.ask) };
  }

  sides(): { bids: [number, number, string][]; asks: [number, number, string][] } {
    return { bids: rows3(this.bid), asks: rows3(this.ask) };
  }

  private sideOf(side: number): BookSide {
    if (side === SIDE_ASK) return this.ask;
    if (side === SIDE_BID) return this.bid;
    throw new RangeError(`side must be 0 (ask) or 1 (bid), got ${String(side)}`);
  }
}

function rows2(s: BookSide): [number, number][] {
  const out: [number, number][] = new Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = [s.prices[i]!, s.sizes[i]!];
  return out;
}

function rows3(s: BookSide): [number, number, string][] {
  const out: [number, number, string][] = new Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = [s.prices[i]!, s.sizes[i]!, s.makers[i]!];
  return out;
}
