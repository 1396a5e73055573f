/**
 * TWS V100+ framing: a 4-byte big-endian length, then NUL-terminated UTF-8 fields
 * (the last one too). The client opens with `API\0` + length + `v<min>..<max>`.
 */
import { MAX_FRAME_BYTES } from './protocol.js';

const API_PREFIX = Buffer.from('API\0', 'latin1');

/**
 * Appends frames to one growable buffer; `take()` hands the batch to the socket.
 * Batching a whole timer tick into one write keeps syscalls (and allocations) per tick, not per message.
 */
export class FrameWriter {
  private buf: Buffer;
  private off = 0;
  private start = -1;
  frames = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get pendingBytes(): number {
    return this.off;
  }

  begin(): this {
    this.ensure(4);
    this.start = this.off;
    this.off += 4;
    return this;
  }

  /** One field. undefined/null/NaN become an empty field; booleans 1/0. */
  f(v: string | number | boolean | undefined | null): this {
    let s: string;
    if (v === undefined || v === null) s = '';
    else if (typeof v === 'string') s = v;
    else if (typeof v === 'boolean') s = v ? '1' : '0';
    else s = Number.isFinite(v) ? String(v) : '';
    this.ensure(Buffer.byteLength(s) + 1);
    this.off += this.buf.write(s, this.off, 'utf8');
    this.buf[this.off++] = 0;
    return this;
  }

  end(): void {
    if (this.start < 0) throw new Error('FrameWriter.end() without begin()');
    this.buf.writeUInt32BE(this.off - this.start - 4, this.start);
    this.start = -1;
    this.frames++;
  }

  /** Raw bytes (for the handshake reply is not needed: it is a normal frame; used for fault injection). */
  raw(bytes: Buffer): void {
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.off);
    this.off += bytes.length;
  }

  /** The finished frames as a fresh Buffer (or null when empty); the writer is then empty. */
  take(): Buffer | null {
    if (this.start >= 0) throw new Error('FrameWriter.take() inside an open frame');
    if (this.off === 0) return null;
    const out = Buffer.allocUnsafe(this.off);
    this.buf.copy(out, 0, 0, this.off);
    this.off = 0;
    return out;
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }
}

export type FrameError = 'badHandshake' | 'frameTooLarge' | 'badFrame';

export interface FrameSink {
  onHandshake(versionRange: string): void;
  onMessage(tokens: string[]): void;
}

/** Reassembles the client's byte stream (partial reads, several frames per read) into messages. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private handshakeDone = false;

  /** Feeds bytes; returns an error reason when the stream is garbage (the caller closes the connection). */
  push(chunk: Buffer, sink: FrameSink): FrameError | null {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    const b = this.buf;
    if (!this.handshakeDone) {
      const have = Math.min(b.length, 4);
      if (b.subarray(0, have).compare(API_PREFIX, 0, have) !== 0) return 'badHandshake';
      if (b.length < 8) return this.keep(off);
      const len = b.readUInt32BE(4);
      if (len === 0 || len > 256) return 'badHandshake';
      if (b.length < 8 + len) return this.keep(off);
      this.handshakeDone = true;
      sink.onHandshake(b.toString('latin1', 8, 8 + len));
      off = 8 + len;
    }
    while (b.length - off >= 4) {
      const len = b.readUInt32BE(off);
      if (len > MAX_FRAME_BYTES) return 'frameTooLarge';
      if (len === 0) return 'badFrame';
      if (b.length - off - 4 < len) break;
      const bodyStart = off + 4;
      const bodyEnd = bodyStart + len;
      if (b[bodyEnd - 1] !== 0) return 'badFrame';
      off = bodyEnd;
      sink.onMessage(b.toString('utf8', bodyStart, bodyEnd - 1).split('\0'));
    }
    return this.keep(off);
  }

  private keep(off: number): null {
    this.buf = off >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
    return null;
  }
}

/** Parses `v100..193` (or `v176`) into [min, max]; null when malformed. */
export function parseVersionRange(s: string): [number, number] | null {
  const m = /^v(\d+)(?:\.\.(\d+))?/.exec(s);
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : lo;
  return lo <= hi ? [lo, hi] : null;
}
