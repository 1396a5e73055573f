/**
 * Fixed binary bodies of the hot messages, after the 48-byte header. Each layout is a namespace of field
 * offsets, one `write` that fills a slot in place (no allocation), and per-field readers. `decode` builds a
 * plain object and is for tests, recordings and debugging only, never for the hot path.
 * All numbers are little-endian; prices and sizes are f64 (sizes are decimals at TWS server version ≥ 163).
 */
import { HEADER_SIZE, HeaderFields, readHeader, writeHeader } from './Header.js';
import { LAYOUT_VERSION, MessageType } from './MessageType.js';

const B = HEADER_SIZE;
const f64 = (dv: DataView, o: number): number => dv.getFloat64(o, true);

// Market-maker names come from a small set (exchanges, MPIDs): each is packed into two u32 words once,
// so writing one costs two stores instead of eight. The cache is bounded; names past it are packed inline.
const packedIndex = new Map<string, number>();
const packedWords: number[] = [];
const MAX_PACKED = 4096;

function writeAscii8(dv: DataView, off: number, s: string): void {
  const i = packedIndex.get(s);
  if (i !== undefined) {
    dv.setUint32(off, packedWords[i], true);
    dv.setUint32(off + 4, packedWords[i + 1], true);
    return;
  }
  const n = Math.min(8, s.length);
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k) & 0x7f;
    if (k < 4) lo |= c << (8 * k);
    else hi |= c << (8 * (k - 4));
  }
  if (packedIndex.size < MAX_PACKED) {
    packedIndex.set(s, packedWords.length);
    packedWords.push(lo >>> 0, hi >>> 0);
  }
  dv.setUint32(off, lo >>> 0, true);
  dv.setUint32(off + 4, hi >>> 0, true);
}

function readAscii8(dv: DataView, off: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) {
    const c = dv.getUint8(off + i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** IB depth operation (position-indexed): operation 0 insert, 1 update, 2 delete; side 0 ask, 1 bid. */
export const DepthUpdate = {
  TYPE: MessageType.DepthUpdate,
  POSITION: B, OPERATION: B + 2, SIDE: B + 3, SMART: B + 4, PRICE: B + 8, SIZE_: B + 16, MM: B + 24,
  SIZE: B + 32,
  write(dv: DataView, off: number, h: HeaderFields, position: number, operation: number, side: number,
    price: number, size: number, marketMaker: string, smart: boolean): void {
    writeHeader(dv, off, MessageType.DepthUpdate, LAYOUT_VERSION, h);
    dv.setUint16(off + B, position, true);
    dv.setUint8(off + B + 2, operation);
    dv.setUint8(off + B + 3, side);
    dv.setUint8(off + B + 4, smart ? 1 : 0);
    dv.setFloat64(off + B + 8, price, true);
    dv.setFloat64(off + B + 16, size, true);
    writeAscii8(dv, off + B + 24, marketMaker);
  },
  position: (dv: DataView, off: number) => dv.getUint16(off + B, true),
  operation: (dv: DataView, off: number) => dv.getUint8(off + B + 2),
  side: (dv: DataView, off: number) => dv.getUint8(off + B + 3),
  smart: (dv: DataView, off: number) => dv.getUint8(off + B + 4) === 1,
  price: (dv: DataView, off: number) => f64(dv, off + B + 8),
  size: (dv: DataView, off: number) => f64(dv, off + B + 16),
  marketMaker: (dv: DataView, off: number) => readAscii8(dv, off + B + 24),
};

/** A print. aggressor 1 = buyer-initiated, -1 = seller-initiated, 0 = unknown. */
export const Trade = {
  TYPE: MessageType.Trade,
  SIZE: B + 24,
  write(dv: DataView, off: number, h: HeaderFields, price: number, size: number, aggressor: number, levelsSwept: number): void {
    writeHeader(dv, off, MessageType.Trade, LAYOUT_VERSION, h);
    dv.setFloat64(off + B, price, true);
    dv.setFloat64(off + B + 8, size, true);
    dv.setInt8(off + B + 16, aggressor);
    dv.setUint8(off + B + 17, levelsSwept);
  },
  price: (dv: DataView, off: number) => f64(dv, off + B),
  size: (dv: DataView, off: number) => f64(dv, off + B + 8),
  aggressor: (dv: DataView, off: number) => dv.getInt8(off + B + 16),
  levelsSwept: (dv: DataView, off: number) => dv.getUint8(off + B + 17),
};

export const Quote = {
  TYPE: MessageType.Quote,
  SIZE: B + 32,
  write(dv: DataView, off: number, h: HeaderFields, bidPx: number, askPx: number, bidSz: number, askSz: number): void {
    writeHeader(dv, off, MessageType.Quote, LAYOUT_VERSION, h);
    dv.setFloat64(off + B, bidPx, true);
    dv.setFloat64(off + B + 8, askPx, true);
    dv.setFloat64(off + B + 16, bidSz, true);
    dv.setFloat64(off + B + 24, askSz, true);
  },
  bidPx: (dv: DataView, off: number) => f64(dv, off + B),
  askPx: (dv: DataView, off: number) => f64(dv, off + B + 8),
  bidSz: (dv: DataView, off: number) => f64(dv, off + B + 16),
  askSz: (dv: DataView, off: number) => f64(dv, off + B + 24),
};

/** OHLCV bar; startMs is the bar's start (epoch ms), seconds its length (5 for TWS real-time bars). */
export const Bar = {
  TYPE: MessageType.Bar,
  SIZE: B + 64,
  write(dv: DataView, off: number, h: HeaderFields, startMs: number, seconds: number, open: number, high: number,
    low: number, close: number, volume: number, vwap: number, count: number): void {
    writeHeader(dv, off, MessageType.Bar, LAYOUT_VERSION, h);
    dv.setFloat64(off + B, startMs, true);
    dv.setFloat64(off + B + 8, open, true);
    dv.setFloat64(off + B + 16, high, true);
    dv.setFloat64(off + B + 24, low, true);
    dv.setFloat64(off + B + 32, close, true);
    dv.setFloat64(off + B + 40, volume, true);
    dv.setFloat64(off + B + 48, vwap, true);
    dv.setUint32(off + B + 56, count >>> 0, true);
    dv.setUint16(off + B + 60, seconds, true);
  },
  startMs: (dv: DataView, off: number) => f64(dv, off + B),
  open: (dv: DataView, off: number) => f64(dv, off + B + 8),
  high: (dv: DataView, off: number) => f64(dv, off + B + 16),
  low: (dv: DataView, off: number) => f64(dv, off + B + 24),
  close: (dv: DataView, off: number) => f64(dv, off + B + 32),
  volume: (dv: DataView, off: number) => f64(dv, off + B + 40),
  vwap: (dv: DataView, off: number) => f64(dv, off + B + 48),
  count: (dv: DataView, off: number) => dv.getUint32(off + B + 56, true),
  seconds: (dv: DataView, off: number) => dv.getUint16(off + B + 60, true),
};

/**
 * Header flags of Bar: Historical marks a bar of the venue's history (asked before the live feed: VPIN's
 * warm start), never to be shown or published as live; HistoryEnd (no bar data, `count` = bars sent)
 * closes a symbol's history, so a reader knows what follows is live.
 */
export const BarFlags = { Historical: 1, HistoryEnd: 2 } as const;

/** Header flags of BookTop: data-quality marks (never publish a flagged book as good). */
/** Halted: the venue halted trading (LOBSTER type 7, until trade resumption); no marks from this book. */
export const BookFlags = { Crossed: 1, Locked: 2, Stale: 4, OneSided: 8, Reset: 16, Halted: 32 } as const;

/** Header flags of a Trade. Cross: an auction print (opening/closing cross), aggressor 0 by construction. */
export const TradeFlags = { Cross: 1 } as const;

/** Top of book and the figures derived from it. NaN = undefined (an empty side). */
export const BookTop = {
  TYPE: MessageType.BookTop,
  SIZE: B + 64,
  write(dv: DataView, off: number, h: HeaderFields, bestBid: number, bestAsk: number, bidSize: number, askSize: number,
    microprice: number, imbalance: number, vwap: number, volume: number): void {
    writeHeader(dv, off, MessageType.BookTop, LAYOUT_VERSION, h);
    dv.setFloat64(off + B, bestBid, true);
    dv.setFloat64(off + B + 8, bestAsk, true);
    dv.setFloat64(off + B + 16, bidSize, true);
    dv.setFloat64(off + B + 24, askSize, true);
    dv.setFloat64(off + B + 32, microprice, true);
    dv.setFloat64(off + B + 40, imbalance, true);
    dv.setFloat64(off + B + 48, vwap, true);
    dv.setFloat64(off + B + 56, volume, true);
  },
  bestBid: (dv: DataView, off: number) => f64(dv, off + B),
  bestAsk: (dv: DataView, off: number) => f64(dv, off + B + 8),
  bidSize: (dv: DataView, off: number) => f64(dv, off + B + 16),
  askSize: (dv: DataView, off: number) => f64(dv, off + B + 24),
  microprice: (dv: DataView, off: number) => f64(dv, off + B + 32),
  imbalance: (dv: DataView, off: number) => f64(dv, off + B + 40),
  vwap: (dv: DataView, off: number) => f64(dv, off + B + 48),
  volume: (dv: DataView, off: number) => f64(dv, off + B + 56),
};

/** Header flags of AnalyticsSnapshot. */
export const AnalyticsFlags = { ToxicityAlarm: 1, GexFresh: 2, SweepNow: 4, HiddenNow: 8 } as const;

/** The analytics actor's per-symbol figures; NaN = not yet known. */
export const AnalyticsSnapshot = {
  TYPE: MessageType.AnalyticsSnapshot,
  SIZE: B + 72,
  write(dv: DataView, off: number, h: HeaderFields, spot: number, vpin: number, vpinCdf: number, imbalance: number,
    microprice: number, netGex: number, zeroGamma: number, callWall: number, putWall: number): void {
    writeHeader(dv, off, MessageType.AnalyticsSnapshot, LAYOUT_VERSION, h);
    dv.setFloat64(off + B, spot, true);
    dv.setFloat64(off + B + 8, vpin, true);
    dv.setFloat64(off + B + 16, vpinCdf, true);
    dv.setFloat64(off + B + 24, imbalance, true);
    dv.setFloat64(off + B + 32, microprice, true);
    dv.setFloat64(off + B + 40, netGex, true);
    dv.setFloat64(off + B + 48, zeroGamma, true);
    dv.setFloat64(off + B + 56, callWall, true);
    dv.setFloat64(off + B + 64, putWall, true);
  },
  spot: (dv: DataView, off: number) => f64(dv, off + B),
  vpin: (dv: DataView, off: number) => f64(dv, off + B + 8),
  vpinCdf: (dv: DataView, off: number) => f64(dv, off + B + 16),
  imbalance: (dv: DataView, off: number) => f64(dv, off + B + 24),
  microprice: (dv: DataView, off: number) => f64(dv, off + B + 32),
  netGex: (dv: DataView, off: number) => f64(dv, off + B + 40),
  zeroGamma: (dv: DataView, off: number) => f64(dv, off + B + 48),
  callWall: (dv: DataView, off: number) => f64(dv, off + B + 56),
  putWall: (dv: DataView, off: number) => f64(dv, off + B + 64),
};

/**
 * A strategy's signal. direction 1 long, -1 short, 0 flat/exit. An option strategy's signal also names the
 * contract its selection chose (`writeContract`): strike, expiry (YYYYMMDD) and right (1 call, -1 put);
 * right 0 = no contract (shares, or none eligible: the reason is on `signals:{SYM}:latest`).
 */
export const Signal = {
  TYPE: MessageType.Signal,
  SIZE: B + 64,
  write(dv: DataView, off: number, h: HeaderFields, strategy: number, direction: number, signalId: number,
    confidence: number, price: number, target: number, stop: number, expiresMs: number): void {
    writeHeader(dv, off, MessageType.Signal, LAYOUT_VERSION, h);
    dv.setUint8(off + B, strategy);
    dv.setInt8(off + B + 1, direction);
    dv.setUint32(off + B + 4, signalId >>> 0, true);
    dv.setFloat64(off + B + 8, confidence, true);
    dv.setFloat64(off + B + 16, price, true);
    dv.setFloat64(off + B + 24, target, true);
    dv.setFloat64(off + B + 32, stop, true);
    dv.setFloat64(off + B + 40, expiresMs, true);
    dv.setFloat64(off + B + 48, 0, true);
    dv.setUint32(off + B + 56, 0, true);
    dv.setInt8(off + B + 60, 0);
  },
  /** The option contract the signal trades (after `write`, which clears it). */
  writeContract(dv: DataView, off: number, strike: number, expiryYmd: number, right: 1 | -1): void {
    dv.setFloat64(off + B + 48, strike, true);
    dv.setUint32(off + B + 56, expiryYmd >>> 0, true);
    dv.setInt8(off + B + 60, right);
  },
  strategy: (dv: DataView, off: number) => dv.getUint8(off + B),
  direction: (dv: DataView, off: number) => dv.getInt8(off + B + 1),
  strike: (dv: DataView, off: number) => f64(dv, off + B + 48),
  expiry: (dv: DataView, off: number) => dv.getUint32(off + B + 56, true),
  right: (dv: DataView, off: number) => dv.getInt8(off + B + 60),
  signalId: (dv: DataView, off: number) => dv.getUint32(off + B + 4, true),
  confidence: (dv: DataView, off: number) => f64(dv, off + B + 8),
  price: (dv: DataView, off: number) => f64(dv, off + B + 16),
  target: (dv: DataView, off: number) => f64(dv, off + B + 24),
  stop: (dv: DataView, off: number) => f64(dv, off + B + 32),
  expiresMs: (dv: DataView, off: number) => f64(dv, off + B + 40),
};

/**
 * An order the signals actor asks execution to place. (strategy, signalId, leg) determine the client order
 * id, so a re-sent intent maps to the same broker order and can never create a second one.
 * side 1 buy, -1 sell; orderType 0 MKT 1 LMT 2 STP 3 STP_LMT 4 MOC 5 LOC; tif 0 DAY 1 IOC 2 GTC 3 OPG 4 CLS.
 */
export const OrderIntent = {
  TYPE: MessageType.OrderIntent,
  SIZE: B + 48,
  write(dv: DataView, off: number, h: HeaderFields, strategy: number, signalId: number, leg: number, side: number,
    orderType: number, tif: number, reduceOnly: boolean, qty: number, limitPx: number, stopPx: number, refPx: number): void {
    writeHeader(dv, off, MessageType.OrderIntent, LAYOUT_VERSION, h);
    dv.setUint8(off + B, strategy);
    dv.setUint8(off + B + 1, leg);
    dv.setInt8(off + B + 2, side);
    dv.setUint8(off + B + 3, orderType);
    dv.setUint32(off + B + 4, signalId >>> 0, true);
    dv.setUint8(off + B + 8, tif);
    dv.setUint8(off + B + 9, reduceOnly ? 1 : 0);
    dv.setFloat64(off + B + 16, qty, true);
    dv.setFloat64(off + B + 24, limitPx, true);
    dv.setFloat64(off + B + 32, stopPx, true);
    dv.setFloat64(off + B + 40, refPx, true);
  },
  strategy: (dv: DataView, off: number) => dv.getUint8(off + B),
  leg: (dv: DataView, off: number) => dv.getUint8(off + B + 1),
  side: (dv: DataView, off: number) => dv.getInt8(off + B + 2),
  orderType: (dv: DataView, off: number) => dv.getUint8(off + B + 3),
  signalId: (dv: DataView, off: number) => dv.getUint32(off + B + 4, true),
  tif: (dv: DataView, off: number) => dv.getUint8(off + B + 8),
  reduceOnly: (dv: DataView, off: number) => dv.getUint8(off + B + 9) === 1,
  qty: (dv: DataView, off: number) => f64(dv, off + B + 16),
  limitPx: (dv: DataView, off: number) => f64(dv, off + B + 24),
  stopPx: (dv: DataView, off: number) => f64(dv, off + B + 32),
  refPx: (dv: DataView, off: number) => f64(dv, off + B + 40),
};

/** Order lifecycle states (OrderEvent.status). */
export const OrderStatus = {
  New: 0, Accepted: 1, PartiallyFilled: 2, Filled: 3, Cancelled: 4, Rejected: 5, Expired: 6, PendingCancel: 7,
} as const;

/** A broker event on an order: status change and, for fills, the fill itself. */
export const OrderEvent = {
  TYPE: MessageType.OrderEvent,
  SIZE: B + 56,
  write(dv: DataView, off: number, h: HeaderFields, strategy: number, signalId: number, leg: number, status: number,
    side: number, filledQty: number, remainingQty: number, lastFillPx: number, lastFillQty: number, avgPx: number,
    brokerTsMs: number): void {
    writeHeader(dv, off, MessageType.OrderEvent, LAYOUT_VERSION, h);
    dv.setUint8(off + B, strategy);
    dv.setUint8(off + B + 1, leg);
    dv.setUint8(off + B + 2, status);
    dv.setInt8(off + B + 3, side);
    dv.setUint32(off + B + 4, signalId >>> 0, true);
    dv.setFloat64(off + B + 8, filledQty, true);
    dv.setFloat64(off + B + 16, remainingQty, true);
    dv.setFloat64(off + B + 24, lastFillPx, true);
    dv.setFloat64(off + B + 32, lastFillQty, true);
    dv.setFloat64(off + B + 40, avgPx, true);
    dv.setFloat64(off + B + 48, brokerTsMs, true);
  },
  strategy: (dv: DataView, off: number) => dv.getUint8(off + B),
  leg: (dv: DataView, off: number) => dv.getUint8(off + B + 1),
  status: (dv: DataView, off: number) => dv.getUint8(off + B + 2),
  side: (dv: DataView, off: number) => dv.getInt8(off + B + 3),
  signalId: (dv: DataView, off: number) => dv.getUint32(off + B + 4, true),
  filledQty: (dv: DataView, off: number) => f64(dv, off + B + 8),
  remainingQty: (dv: DataView, off: number) => f64(dv, off + B + 16),
  lastFillPx: (dv: DataView, off: number) => f64(dv, off + B + 24),
  lastFillQty: (dv: DataView, off: number) => f64(dv, off + B + 32),
  avgPx: (dv: DataView, off: number) => f64(dv, off + B + 40),
  brokerTsMs: (dv: DataView, off: number) => f64(dv, off + B + 48),
};

/** An actor's liveness and counters, for readers that watch rings rather than the health table. */
export const Heartbeat = {
  TYPE: MessageType.Heartbeat,
  SIZE: B + 32,
  write(dv: DataView, off: number, h: HeaderFields, actor: number, state: number, msgsIn: number, msgsOut: number,
    errors: number): void {
    writeHeader(dv, off, MessageType.Heartbeat, LAYOUT_VERSION, h);
    dv.setUint8(off + B, actor);
    dv.setUint8(off + B + 1, state);
    dv.setFloat64(off + B + 8, msgsIn, true);
    dv.setFloat64(off + B + 16, msgsOut, true);
    dv.setFloat64(off + B + 24, errors, true);
  },
  actor: (dv: DataView, off: number) => dv.getUint8(off + B),
  state: (dv: DataView, off: number) => dv.getUint8(off + B + 1),
  msgsIn: (dv: DataView, off: number) => f64(dv, off + B + 8),
  msgsOut: (dv: DataView, off: number) => f64(dv, off + B + 16),
  errors: (dv: DataView, off: number) => f64(dv, off + B + 24),
};

export const MAX_MESSAGE_SIZE = Math.max(
  DepthUpdate.SIZE, Trade.SIZE, Quote.SIZE, Bar.SIZE, BookTop.SIZE, AnalyticsSnapshot.SIZE, Signal.SIZE,
  OrderIntent.SIZE, OrderEvent.SIZE, Heartbeat.SIZE,
);

type Reader = Record<string, unknown>;
const LAYOUTS: Record<number, { name: string; layout: Reader }> = {
  [MessageType.DepthUpdate]: { name: 'DepthUpdate', layout: DepthUpdate },
  [MessageType.Trade]: { name: 'Trade', layout: Trade },
  [MessageType.Quote]: { name: 'Quote', layout: Quote },
  [MessageType.Bar]: { name: 'Bar', layout: Bar },
  [MessageType.BookTop]: { name: 'BookTop', layout: BookTop },
  [MessageType.AnalyticsSnapshot]: { name: 'AnalyticsSnapshot', layout: AnalyticsSnapshot },
  [MessageType.Signal]: { name: 'Signal', layout: Signal },
  [MessageType.OrderIntent]: { name: 'OrderIntent', layout: OrderIntent },
  [MessageType.OrderEvent]: { name: 'OrderEvent', layout: OrderEvent },
  [MessageType.Heartbeat]: { name: 'Heartbeat', layout: Heartbeat },
};

export class CodecError extends Error {}

/** Decodes any hot message into a plain object (allocates: tests, recordings, debugging). */
export function decode(dv: DataView, off: number): Record<string, unknown> {
  const h = new HeaderFields();
  const type = readHeader(dv, off, h);
  const entry = LAYOUTS[type];
  if (!entry) throw new CodecError(`unknown message type ${type}`);
  const version = dv.getUint8(off + 1);
  if (version !== LAYOUT_VERSION) throw new CodecError(`${entry.name}: unsupported layout version ${version}`);
  const out: Record<string, unknown> = { type: entry.name, ...h };
  for (const [k, v] of Object.entries(entry.layout)) {
    if (typeof v === 'function' && k !== 'write') out[k] = (v as (d: DataView, o: number) => unknown)(dv, off);
  }
  return out;
}
