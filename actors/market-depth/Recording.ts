import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { packCold, unpackCold } from '../../engine/runtime/ColdMessage.js';
import type { HaltPhase, MarketSink } from './MarketSource.js';

/**
 * Recording file: every inbound market event as a compact binary frame, in arrival order, plus (ATREC2)
 * what a replay needs to reproduce the run's analytics, signals and paper orders exactly: the batch
 * boundaries and stale marks the books were published with, and every cold-path input at the point an
 * actor consumed it (docs/decisions.md, "Replay = backtest").
 *
 *   "ATREC2\n"  u32 headerLen  JSON header {symbols, startedAtMs, source, clock?}
 *   frames: u8 kind, u16 symbolId, f64 tsMs (event time), f64 arrivalNs (engine clock at arrival), body:
 *     depth  u16 position, u8 operation, u8 side, f64 price, f64 size, u8 mmLen, mm ASCII
 *     trade  f64 price, f64 size, i8 aggressor
 *     quote  f64 bid, f64 ask, f64 bidSize, f64 askSize
 *     bar    f64 startMs, u16 seconds, f64 o, h, l, c, volume, wap, u32 count
 *     reset  (none)          connection  u8 up
 *     cross  f64 price, f64 size              halt  u8 phase (0 halted, 1 quoting, 2 trading)
 *     history bar  as bar (a bar of the venue's history, asked before the live feed)
 *     history end  (none)  the symbol's history is complete
 *     batch  (none; tsMs = the wall ms the batch was published at)     stale  (none; tsMs = the check's wall ms)
 *     record u32 len, msgpack {a: actor, k: kind, p: position[], d: payload}: a cold input an actor consumed
 *            (p = where in its hot input it did), or an output kept for the parity check (k starts "out:")
 * ATREC1 files (no batch, stale nor record frames) are still read; their replays batch as before.
 * Little-endian. Arrival times let a replay reproduce the original pacing (or run as fast as possible).
 */
export const MAGIC = 'ATREC2\n';
export const MAGIC_V1 = 'ATREC1\n';
export const Kind = { Depth: 1, Trade: 2, Quote: 3, Bar: 4, Reset: 5, Connection: 6, Cross: 7, Halt: 8, HistoryBar: 9, HistoryEnd: 10, Batch: 11, Stale: 12, Record: 13 } as const;
const HALT_PHASES: readonly HaltPhase[] = ['halted', 'quoting', 'trading'];

/** The session clock of the recorded run: a replay re-creates it, so signal ids and windows are the same. */
export interface RecordedClock { mode: 'simulated' | 'live'; engineStartMs: number; start: string; speed: number }
export interface RecordingHeader { symbols: string[]; startedAtMs: number; source: string; clock?: RecordedClock }

/**
 * One record frame: actor `a` consumed cold input `k` (payload `d`) when its hot-path position was `p`
 * (e.g. [market-data messages consumed]); kinds starting `out:` are the run's outputs, kept to check a
 * replay against. Extensible: a new kind needs no format change.
 */
export interface ReplayRecord { a: string; k: string; p: number[]; d: unknown }

const CHUNK = 1 << 16;

/** A MarketSink decorator: writes each event to the file, then forwards it. Flushes in 64 KiB chunks. */
export class RecordingSink implements MarketSink {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  events = 0;
  bytes = 0;

  constructor(file: string, header: RecordingHeader, private readonly inner: MarketSink) {
    this.fd = openSync(file, 'w');
    const h = Buffer.from(JSON.stringify(header));
    const pre = Buffer.alloc(MAGIC.length + 4);
    pre.write(MAGIC, 0, 'latin1');
    pre.writeUInt32LE(h.length, MAGIC.length);
    writeSync(this.fd, pre);
    writeSync(this.fd, h);
    this.bytes = pre.length + h.length;
  }

  private room(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  private head(kind: number, sym: number, tsMs: number, arrivalNs: number): void {
    const b = this.buf;
    b.writeUInt8(kind, this.pos);
    b.writeUInt16LE(sym & 0xffff, this.pos + 1);
    b.writeDoubleLE(tsMs, this.pos + 3);
    b.writeDoubleLE(arrivalNs, this.pos + 11);
    this.pos += 19;
    this.events++;
  }

  depth(sym: number, tsMs: number, position: number, operation: number, side: number, price: number, size: number, mm: string, ingestNs: number): void {
    const mmLen = Math.min(mm.length, 16);
    this.room(19 + 21 + mmLen);
    this.head(Kind.Depth, sym, tsMs, ingestNs);
    const b = this.buf;
    b.writeUInt16LE(position & 0xffff, this.pos);
    b.writeUInt8(operation & 0xff, this.pos + 2);
    b.writeUInt8(side & 0xff, this.pos + 3);
    b.writeDoubleLE(price, this.pos + 4);
    b.writeDoubleLE(size, this.pos + 12);
    b.writeUInt8(mmLen, this.pos + 20);
    b.write(mm.slice(0, mmLen), this.pos + 21, 'latin1');
    this.pos += 21 + mmLen;
    this.inner.depth(sym, tsMs, position, operation, side, price, size, mm, ingestNs);
  }

  trade(sym: number, tsMs: number, price: number, size: number, aggressor: number, ingestNs: number): void {
    this.room(19 + 17);
    this.head(Kind.Trade, sym, tsMs, ingestNs);
    this.buf.writeDoubleLE(price, this.pos);
    this.buf.writeDoubleLE(size, this.pos + 8);
    this.buf.writeInt8(Math.max(-1, Math.min(1, aggressor)), this.pos + 16);
    this.pos += 17;
    this.inner.trade(sym, tsMs, price, size, aggressor, ingestNs);
  }

  cross(sym: number, tsMs: number, price: number, size: number, ingestNs: number): void {
    this.room(19 + 16);
    this.head(Kind.Cross, sym, tsMs, ingestNs);
    this.buf.writeDoubleLE(price, this.pos);
    this.buf.writeDoubleLE(size, this.pos + 8);
    this.pos += 16;
    if (this.inner.cross) this.inner.cross(sym, tsMs, price, size, ingestNs);
    else this.inner.trade(sym, tsMs, price, size, 0, ingestNs);
  }

  halt(sym: number, tsMs: number, phase: HaltPhase, ingestNs: number): void {
    this.room(19 + 1);
    this.head(Kind.Halt, sym, tsMs, ingestNs);
    this.buf.writeUInt8(HALT_PHASES.indexOf(phase), this.pos);
    this.pos += 1;
    this.inner.halt?.(sym, tsMs, phase, ingestNs);
  }

  quote(sym: number, tsMs: number, bid: number, ask: number, bidSz: number, askSz: number, ingestNs: number): void {
    this.room(19 + 32);
    this.head(Kind.Quote, sym, tsMs, ingestNs);
    this.buf.writeDoubleLE(bid, this.pos);
    this.buf.writeDoubleLE(ask, this.pos + 8);
    this.buf.writeDoubleLE(bidSz, this.pos + 16);
    this.buf.writeDoubleLE(askSz, this.pos + 24);
    this.pos += 32;
    this.inner.quote(sym, tsMs, bid, ask, bidSz, askSz, ingestNs);
  }

  bar(sym: number, startMs: number, seconds: number, o: number, h: number, l: number, c: number, v: number, wap: number, count: number, ingestNs: number): void {
    this.barFrame(Kind.Bar, sym, startMs, seconds, o, h, l, c, v, wap, count, ingestNs);
    this.inner.bar?.(sym, startMs, seconds, o, h, l, c, v, wap, count, ingestNs);
  }

  historyBar(sym: number, startMs: number, seconds: number, o: number, h: number, l: number, c: number, v: number, wap: number, count: number, ingestNs: number): void {
    this.barFrame(Kind.HistoryBar, sym, startMs, seconds, o, h, l, c, v, wap, count, ingestNs);
    this.inner.historyBar?.(sym, startMs, seconds, o, h, l, c, v, wap, count, ingestNs);
  }

  historyEnd(sym: number, ingestNs: number): void {
    this.room(19);
    this.head(Kind.HistoryEnd, sym, Date.now(), ingestNs);
    this.inner.historyEnd?.(sym, ingestNs);
  }

  private barFrame(kind: number, sym: number, startMs: number, seconds: number, o: number, h: number, l: number, c: number, v: number, wap: number, count: number, ingestNs: number): void {
    this.room(19 + 66);
    this.head(kind, sym, startMs, ingestNs);
    const b = this.buf;
    b.writeDoubleLE(startMs, this.pos);
    b.writeUInt16LE(seconds, this.pos + 8);
    [o, h, l, c, v, wap].forEach((x, i) => b.writeDoubleLE(x, this.pos + 10 + i * 8));
    b.writeUInt32LE(count >>> 0, this.pos + 58);
    this.pos += 62;
  }

  reset(sym: number): void {
    this.room(19);
    this.head(Kind.Reset, sym, Date.now(), 0);
    this.inner.reset(sym);
  }

  connection(up: boolean, detail: string): void {
    this.room(20);
    this.head(Kind.Connection, 0, Date.now(), 0);
    this.buf.writeUInt8(up ? 1 : 0, this.pos);
    this.pos += 1;
    this.inner.connection(up, detail);
  }

  endOfBatch(nowMs = Date.now()): void {
    this.room(19);
    this.head(Kind.Batch, 0, nowMs, 0);
    this.inner.endOfBatch(nowMs);
  }

  /** The books' stale check marked a symbol at `nowMs`: a replay marks it at the same point of the stream. */
  stale(nowMs: number): void {
    this.room(19);
    this.head(Kind.Stale, 0, nowMs, 0);
  }

  /** A cold input or output of another actor (sent here on the cold path): written between market frames. */
  record(r: ReplayRecord): void {
    const body = packCold(r);
    this.room(19 + 4 + body.length);
    this.head(Kind.Record, 0, Date.now(), 0);
    this.buf.writeUInt32LE(body.length, this.pos);
    this.pos += 4;
    if (this.pos + body.length > this.buf.length) {
      // larger than a chunk (a big option chain): straight to the file
      this.flush();
      writeSync(this.fd, body);
      this.bytes += body.length;
    } else {
      this.buf.set(body, this.pos);
      this.pos += body.length;
    }
  }

  flush(): void {
    if (this.pos === 0) return;
    writeSync(this.fd, this.buf, 0, this.pos);
    this.bytes += this.pos;
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export class RecordingError extends Error {}

/** What a replay does with the frames that are not market events (ATREC2). */
export interface ReplayHooks {
  /** the books' stale check marked symbols at `nowMs` */
  stale?(nowMs: number): void;
  /** a cold input or an output of an actor */
  record?(r: ReplayRecord): void;
}

/** Reads a recording and feeds it to a sink; `onEvent` sees each event's arrival time first (for pacing). */
export class RecordingReader {
  readonly header: RecordingHeader;
  /** 2 for ATREC2 (batches, stale marks, cold inputs recorded), 1 for ATREC1 */
  readonly version: 1 | 2;
  private readonly buf: Buffer;
  private pos: number;
  private readonly dataStart: number;

  constructor(file: string) {
    this.buf = readFileSync(file);
    const magic = this.buf.toString('latin1', 0, MAGIC.length);
    if (magic !== MAGIC && magic !== MAGIC_V1) throw new RecordingError(`${file}: not an AlphaTrader recording (bad magic)`);
    this.version = magic === MAGIC ? 2 : 1;
    const hl = this.buf.readUInt32LE(MAGIC.length);
    const start = MAGIC.length + 4;
    try {
      this.header = JSON.parse(this.buf.toString('utf8', start, start + hl));
    } catch {
      throw new RecordingError(`${file}: corrupt header`);
    }
    this.dataStart = this.pos = start + hl;
  }

  rewind(): void {
    this.pos = this.dataStart;
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Arrival time (engine ns) of the next event, or NaN at the end. */
  peekArrivalNs(): number {
    return this.pos + 19 <= this.buf.length ? this.buf.readDoubleLE(this.pos + 11) : NaN;
  }

  /** Every record frame (cold inputs and outputs), in file order; the reader is rewound after. */
  records(): ReplayRecord[] {
    const out: ReplayRecord[] = [];
    const none: MarketSink = { depth() {}, trade() {}, quote() {}, reset() {}, connection() {}, endOfBatch() {} };
    const save = this.pos;
    this.pos = this.dataStart;
    while (this.next(none, 0, { record: (r) => out.push(r) }));
    this.pos = save;
    return out;
  }

  /**
   * Delivers the next event to the sink with the given ingest time. Returns false at the end of the file;
   * a truncated last frame (a recorder killed mid-write) ends the replay cleanly. Batch frames call the
   * sink's endOfBatch with the recorded wall time; stale marks and records go to `hooks`.
   */
  next(sink: MarketSink, ingestNs: number, hooks?: ReplayHooks): boolean {
    const b = this.buf;
    const p = this.pos;
    if (p + 19 > b.length) return false;
    const kind = b.readUInt8(p);
    const sym = b.readUInt16LE(p + 1);
    const ts = b.readDoubleLE(p + 3);
    let q = p + 19;
    const need = (n: number) => q + n <= b.length;
    switch (kind) {
      case Kind.Depth: {
        if (!need(21)) return this.end();
        const mmLen = b.readUInt8(q + 20);
        if (!need(21 + mmLen)) return this.end();
        sink.depth(sym, ts, b.readUInt16LE(q), b.readUInt8(q + 2), b.readUInt8(q + 3), b.readDoubleLE(q + 4), b.readDoubleLE(q + 12), b.toString('latin1', q + 21, q + 21 + mmLen), ingestNs);
        q += 21 + mmLen;
        break;
      }
      case Kind.Trade:
        if (!need(17)) return this.end();
        sink.trade(sym, ts, b.readDoubleLE(q), b.readDoubleLE(q + 8), b.readInt8(q + 16), ingestNs);
        q += 17;
        break;
      case Kind.Quote:
        if (!need(32)) return this.end();
        sink.quote(sym, ts, b.readDoubleLE(q), b.readDoubleLE(q + 8), b.readDoubleLE(q + 16), b.readDoubleLE(q + 24), ingestNs);
        q += 32;
        break;
      case Kind.Bar:
      case Kind.HistoryBar: {
        if (!need(62)) return this.end();
        const emit = kind === Kind.Bar ? sink.bar : sink.historyBar;
        emit?.call(sink, sym, b.readDoubleLE(q), b.readUInt16LE(q + 8), b.readDoubleLE(q + 10), b.readDoubleLE(q + 18), b.readDoubleLE(q + 26), b.readDoubleLE(q + 34), b.readDoubleLE(q + 42), b.readDoubleLE(q + 50), b.readUInt32LE(q + 58), ingestNs);
        q += 62;
        break;
      }
      case Kind.HistoryEnd:
        sink.historyEnd?.(sym, ingestNs);
        break;
      case Kind.Reset:
        sink.reset(sym);
        break;
      case Kind.Cross: {
        if (!need(16)) return this.end();
        const price = b.readDoubleLE(q);
        const size = b.readDoubleLE(q + 8);
        if (sink.cross) sink.cross(sym, ts, price, size, ingestNs);
        else sink.trade(sym, ts, price, size, 0, ingestNs);
        q += 16;
        break;
      }
      case Kind.Halt: {
        if (!need(1)) return this.end();
        const phase = HALT_PHASES[b.readUInt8(q)];
        if (phase === undefined) throw new RecordingError(`corrupt recording: halt phase ${b.readUInt8(q)} at byte ${p}`);
        sink.halt?.(sym, ts, phase, ingestNs);
        q += 1;
        break;
      }
      case Kind.Connection:
        if (!need(1)) return this.end();
        sink.connection(b.readUInt8(q) === 1, 'replay');
        q += 1;
        break;
      case Kind.Batch:
        sink.endOfBatch(ts);
        break;
      case Kind.Stale:
        hooks?.stale?.(ts);
        break;
      case Kind.Record: {
        if (!need(4)) return this.end();
        const len = b.readUInt32LE(q);
        if (!need(4 + len)) return this.end();
        if (hooks?.record) {
          let r: ReplayRecord;
          try {
            r = unpackCold(b.subarray(q + 4, q + 4 + len)) as ReplayRecord;
          } catch {
            throw new RecordingError(`corrupt recording: undecodable record at byte ${p}`);
          }
          if (!r || typeof r.a !== 'string' || typeof r.k !== 'string' || !Array.isArray(r.p)) throw new RecordingError(`corrupt recording: malformed record at byte ${p}`);
          hooks.record(r);
        }
        q += 4 + len;
        break;
      }
      default:
        throw new RecordingError(`corrupt recording: unknown frame kind ${kind} at byte ${p}`);
    }
    this.pos = q;
    return true;
  }

  private end(): boolean {
    this.pos = this.buf.length;
    return false;
  }
}
