/**
 * Our own decoder for the four TWS messages that are the market-data hot path — MARKET_DEPTH (12),
 * MARKET_DEPTH_L2 (13), REAL_TIME_BARS (50) and TICK_BY_TICK (99) — straight from the frame's bytes to
 * typed handler calls. @stoqey/ib keeps the connection, the handshake, contracts, history, orders and every
 * other message: a frame this decoder does not take is handed to it unchanged.
 *
 * Why: per message the client library decodes the whole frame to a string, splits it into tokens, copies
 * its whole token queue (`concat`), shifts token by token, queues the event, and emits it three times
 * through an EventEmitter (the event, `result`, `all`) plus a `received` event with a token copy. That is
 * most of the cost of ingest. Here: one pass over the bytes, no string for a numeric field, no allocation
 * for a depth update without a market maker name.
 *
 * Exactness: the fast path only takes a frame it can decode to the very values @stoqey/ib would emit —
 * the field count the message has at this server version, integers as plain decimal digits (≤ 15), and
 * numbers as plain decimals (≤ 15 significant digits, ≤ 22 decimals: m / 10^k is then exact in both
 * operands and correctly rounded by IEEE division, which is what parseFloat returns). Anything else
 * (exponents, commas, spaces, empty numbers, an odd field count, an unknown tick type) goes to @stoqey/ib,
 * whose answer (NaN, an underrun error, …) stays the reference. tests/market-depth/tws-hot-decoder.test.ts
 * checks this on a million random valid and malformed frames.
 */

/** What the hot messages become: the @stoqey/ib event arguments, without the attribute objects (their bit masks instead). */
export interface HotHandlers {
  /** updateMktDepthL2 */
  depthL2(reqId: number, position: number, marketMaker: string, operation: number, side: number, price: number, size: number, isSmartDepth: boolean | undefined): void;
  /** updateMktDepth */
  depth(reqId: number, position: number, operation: number, side: number, price: number, size: number): void;
  /** tickByTickAllLast; `mask` bit 0 pastLimit, bit 1 unreported */
  allLast(reqId: number, tickType: number, time: string, price: number, size: number, mask: number, exchange: string, specialConditions: string): void;
  /** tickByTickBidAsk; `mask` bit 0 bidPastLow, bit 1 askPastHigh */
  bidAsk(reqId: number, time: string, bidPrice: number, askPrice: number, bidSize: number, askSize: number, mask: number): void;
  /** tickByTickMidPoint */
  midPoint(reqId: number, time: string, midPoint: number): void;
  /** realtimeBar */
  bar(reqId: number, time: number, open: number, high: number, low: number, close: number, volume: number, wap: number, count: number): void;
}

const MSG = { MARKET_DEPTH: 12, MARKET_DEPTH_L2: 13, REAL_TIME_BARS: 50, TICK_BY_TICK: 99 } as const;
/** MIN_SERVER_VER.SMART_DEPTH: from this version on, MARKET_DEPTH_L2 carries isSmartDepth. */
const SMART_DEPTH = 146;
const MAX_DIGITS = 15;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const NUL = 0;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const STR_CACHE_MASK = 255; // 256 text fields remembered, direct-mapped by an FNV-1a hash of their bytes
const STR_CACHE_MAX_LEN = 32; // longer texts are rare in hot frames: decoded each time

export interface HotDecoderCounters {
  /** Frames decoded here. */
  decoded: number;
  /** Hot-message frames handed to @stoqey/ib because they were not in the plain form (each one decoded there). */
  declined: number;
}

export const newHotDecoderCounters = (): HotDecoderCounters => ({ decoded: 0, declined: 0 });

export class TwsHotDecoder {
  // The cursor and the failure flag live on the instance, so field readers return plain numbers (no tuples).
  private b: Buffer = Buffer.alloc(0);
  private readonly strCache: (string | undefined)[] = new Array<string | undefined>(STR_CACHE_MASK + 1).fill(undefined);
  private p = 0;
  private e = 0; // end of the body in b: b is often a whole socket read
  private bad = false;

  constructor(
    private readonly h: HotHandlers,
    /** The negotiated server version (read per frame: it is known only after the handshake). */
    private readonly serverVersion: () => number,
    readonly counters: HotDecoderCounters = newHotDecoderCounters(),
  ) {}

  /**
   * Decodes one frame body, `body[start, end)` (NUL-terminated fields, the guard has checked its framing;
   * nothing outside the range is read, so it may be a whole socket read), and calls the handler.
   * Returns false, having called nothing, when the frame is not a hot message in the plain form: the caller
   * then gives it to @stoqey/ib.
   */
  decode(body: Buffer, start = 0, end = body.length): boolean {
    this.b = body;
    this.p = start;
    this.e = end;
    this.bad = false;
    const id = this.int();
    if (this.bad) return false;
    let ok = false;
    switch (id) {
      case MSG.MARKET_DEPTH_L2: ok = this.depthL2(); break;
      case MSG.MARKET_DEPTH: ok = this.depth(); break;
      case MSG.TICK_BY_TICK: ok = this.tickByTick(); break;
      case MSG.REAL_TIME_BARS: ok = this.bar(); break;
      default: return false;
    }
    if (ok) this.counters.decoded++;
    else this.counters.declined++;
    return ok;
  }

  private depthL2(): boolean {
    this.skip(); // version
    const reqId = this.int();
    const position = this.int();
    const mm = this.str();
    const operation = this.int();
    const side = this.int();
    const price = this.dec();
    const size = this.dec();
    const smart = this.serverVersion() >= SMART_DEPTH ? this.int() !== 0 : undefined;
    if (!this.complete()) return false;
    this.h.depthL2(reqId, position, mm, operation, side, price, size, smart);
    return true;
  }

  private depth(): boolean {
    this.skip(); // version
    const reqId = this.int();
    const position = this.int();
    const operation = this.int();
    const side = this.int();
    const price = this.dec();
    const size = this.dec();
    if (!this.complete()) return false;
    this.h.depth(reqId, position, operation, side, price, size);
    return true;
  }

  private tickByTick(): boolean {
    const reqId = this.int();
    const tickType = this.int();
    const time = this.str();
    if (this.bad) return false;
    if (tickType === 1 || tickType === 2) {
      const price = this.dec();
      const size = this.dec();
      const mask = this.int();
      const exchange = this.str();
      const special = this.str();
      if (!this.complete()) return false;
      this.h.allLast(reqId, tickType, time, price, size, mask, exchange, special);
      return true;
    }
    if (tickType === 3) {
      const bid = this.dec();
      const ask = this.dec();
      const bidSize = this.dec();
      const askSize = this.dec();
      const mask = this.int();
      if (!this.complete()) return false;
      this.h.bidAsk(reqId, time, bid, ask, bidSize, askSize, mask);
      return true;
    }
    if (tickType === 4) {
      const mid = this.dec();
      if (!this.complete()) return false;
      this.h.midPoint(reqId, time, mid);
      return true;
    }
    return false; // tick type 0 emits nothing, others are unknown: @stoqey/ib decides
  }

  private bar(): boolean {
    this.skip(); // version
    const reqId = this.int();
    const time = this.int();
    const open = this.dec();
    const high = this.dec();
    const low = this.dec();
    const close = this.dec();
    const volume = this.dec();
    const wap = this.dec();
    const count = this.int();
    if (!this.complete()) return false;
    this.h.bar(reqId, time, open, high, low, close, volume, wap, count);
    return true;
  }

  /** All fields read, nothing failed, and the body ends exactly here (no extra fields). */
  private complete(): boolean {
    return !this.bad && this.p === this.e;
  }

  /** Any field, ignored (the message version). */
  private skip(): void {
    const b = this.b;
    const e = this.e;
    let i = this.p;
    while (i < e && b[i] !== NUL) i++;
    if (i >= e) this.bad = true;
    this.p = i + 1;
  }

  /** parseInt(field, 10) for a field of 1–15 decimal digits, optionally negative; anything else fails. */
  private int(): number {
    const b = this.b;
    const e = this.e;
    let i = this.p;
    const neg = i < e && b[i] === MINUS;
    if (neg) i++;
    const start = i;
    let v = 0;
    for (; i < e; i++) {
      const c = b[i]!;
      if (c < ZERO || c > NINE) break;
      v = v * 10 + (c - ZERO);
    }
    if (i >= e || b[i] !== NUL || i === start || i - start > MAX_DIGITS) {
      this.bad = true;
      return 0;
    }
    this.p = i + 1;
    return neg ? -v : v; // "-0" is -0, as parseInt says
  }

  /** parseFloat(field) for a plain decimal (digits, one optional point, optional minus, ≤ 15 digits, ≤ 22 decimals). */
  private dec(): number {
    const b = this.b;
    const e = this.e;
    let i = this.p;
    const neg = i < e && b[i] === MINUS;
    if (neg) i++;
    let m = 0;
    let digits = 0;
    let frac = -1; // digits after the point; -1 while no point seen
    for (; i < e; ) {
      const c = b[i]!;
      if (c >= ZERO && c <= NINE) {
        m = m * 10 + (c - ZERO);
        digits++;
        if (frac >= 0) frac++;
      } else if (c === DOT && frac < 0) {
        frac = 0;
      } else break;
      i++;
    }
    if (i >= e || b[i] !== NUL || digits === 0 || digits > MAX_DIGITS || frac > 22) {
      this.bad = true;
      return 0;
    }
    this.p = i + 1;
    const v = frac > 0 ? m / POW10[frac]! : m;
    return neg ? -v : v;
  }

  /** A text field, as the whole-frame UTF-8 decoding would give it (NUL never occurs inside a UTF-8 sequence). */
  private str(): string {
    const b = this.b;
    const e = this.e;
    const start = this.p;
    let i = start;
    let ascii = true;
    let hash = 0x811c9dc5;
    for (; i < e; i++) {
      const c = b[i]!;
      if (c === NUL) break;
      if (c >= 0x80) ascii = false;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    if (i >= e) {
      this.bad = true;
      return '';
    }
    this.p = i + 1;
    const len = i - start;
    if (len === 0) return '';
    if (!ascii) return b.toString('utf8', start, i);
    if (len === 1) return String.fromCharCode(b[start]!);
    if (len > STR_CACHE_MAX_LEN) return b.toString('latin1', start, i);
    // The text fields of hot frames repeat (market makers, the second of a tick's time): served from the
    // cache when the bytes match, no string allocated per frame.
    const slot = (hash >>> 0) & STR_CACHE_MASK;
    const hit = this.strCache[slot];
    if (hit !== undefined && hit.length === len) {
      let k = 0;
      while (k < len && hit.charCodeAt(k) === b[start + k]) k++;
      if (k === len) return hit;
    }
    const text = b.toString('latin1', start, i);
    this.strCache[slot] = text;
    return text;
  }
}
