import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id.js';

/** Limits the guard enforces on every TWS frame (venues.tws.guard in the config). */
export interface FrameLimits {
  /** Largest frame body accepted; a larger declared length drops the connection. */
  maxFrameBytes: number;
  /** Most fields one frame may hold; more drops the frame (the decoder's cost grows with the field count). */
  maxFields: number;
  /** Longest field in bytes; longer fields are truncated before the client library sees them. */
  maxFieldBytes: number;
  /** This many well-framed but unusable frames in a row (unknown id, no NUL) means the stream lost its framing. */
  desyncAfterBadFrames: number;
}

export interface FrameGuardCounters {
  frames: number;
  oversizeFrames: number;
  desyncs: number;
  unterminatedFrames: number;
  unknownIdFrames: number;
  tooManyFieldsFrames: number;
  truncatedFields: number;
}

/** What one chunk of socket bytes turned into: whole frames as NUL-joined field text, or a fatal fault. */
export interface GuardResult {
  messages: string[];
  /** Set when the connection must be dropped: the stream cannot be trusted to be framed any more. */
  fatal?: string;
}

type OnFrame = (buf: Buffer, start: number, end: number, longest: number) => void;
const EMPTY = Buffer.alloc(0);
/** A partial-frame buffer larger than this is dropped once empty (one large frame is not held for good). */
const KEEP_CARRY_BYTES = 64 * 1024;

const KNOWN_IDS = new Set<number>(Object.values(IN_MSG_ID).filter((v): v is number => typeof v === 'number' && v > 0));

export const newFrameGuardCounters = (): FrameGuardCounters => ({
  frames: 0, oversizeFrames: 0, desyncs: 0, unterminatedFrames: 0, unknownIdFrames: 0, tooManyFieldsFrames: 0, truncatedFields: 0,
});

/**
 * Our own TWS v100+ framing, in front of @stoqey/ib (whose reader trusts the length prefix: a length of
 * 0x80000000 or more loops forever, a frame without its NUL glues onto the next, and everything is
 * concatenated into one growing buffer). One guard per connection. Pure: bytes in, checked messages out.
 *
 * A frame is a 4-byte big-endian length and that many bytes of NUL-terminated UTF-8 fields. The guard never
 * holds more than one partial frame (≤ maxFrameBytes + 4). The first frame of a connection is the
 * handshake (server version, time), so only later frames must start with a known message id.
 */
export class TwsFrameGuard {
  /**
   * The partial frame at the end of the last read, copied: a read's bytes are only valid while it is
   * handled (the socket reads into one reused buffer). Grows to the largest partial frame seen (≤
   * maxFrameBytes + 4) and is kept, so a read that splits a frame allocates nothing.
   */
  private carry: Buffer = EMPTY;
  private carryLen = 0;
  private handshakeSeen = false;
  private badRun = 0;
  private dead = false;
  /** When the oldest incomplete frame's first bytes arrived (ms), or 0: a stalled partial frame is a desync. */
  partialSinceMs = 0;

  constructor(
    private readonly limits: FrameLimits,
    readonly counters: FrameGuardCounters = newFrameGuardCounters(),
  ) {}

  /** Bytes buffered while waiting for the rest of a frame (bounded by maxFrameBytes + 4). */
  get bufferedBytes(): number {
    return this.carryLen;
  }

  /** True once the stream was given up (fatal fault or close()): nothing more is decoded. */
  get closed(): boolean {
    return this.dead;
  }

  close(): void {
    this.dead = true;
    this.carry = EMPTY;
    this.carryLen = 0;
    this.partialSinceMs = 0;
  }

  push(chunk: Buffer, nowMs = 0): GuardResult {
    const messages: string[] = [];
    const fatal = this.pushFrames(chunk, nowMs, (buf, start, end, longest) => messages.push(this.text(buf.subarray(start, end), longest)));
    return fatal === undefined ? { messages } : { messages, fatal };
  }

  /**
   * The framing without the text: each accepted frame's body, as `buf[start, end)` (valid only until
   * `onFrame` returns; no Buffer object per frame), with its longest field's length, or an upper bound of it
   * that is ≤ maxFieldBytes when nothing needs cutting. Returns why the connection must be dropped, or undefined. The hot path uses this to decode
   * market data from the bytes (TwsHotDecoder) and turns only the other frames into text (`text`).
   * Only `chunk[0, len)` is read, and none of it is kept past the call.
   */
  pushFrames(chunk: Buffer, nowMs: number, onFrame: OnFrame, len = chunk.length): string | undefined {
    if (this.dead) return undefined;
    let off = 0;
    let completed = false;
    if (this.carryLen > 0) {
      // The partial frame first: its header, then the rest of its body.
      if (this.carryLen < 4) {
        off = this.append(chunk, 0, Math.min(4 - this.carryLen, len));
        if (this.carryLen < 4) return undefined;
      }
      const flen = this.carry.readUInt32BE(0);
      if (flen > this.limits.maxFrameBytes) return this.oversize(flen);
      const total = 4 + flen;
      off += this.append(chunk, off, Math.min(total - this.carryLen, len - off));
      if (this.carryLen < total) return undefined;
      this.carryLen = 0;
      const fatal = this.frame(this.carry, 4, total, onFrame);
      if (fatal !== undefined || this.dead) return fatal;
      completed = true;
    }
    while (len - off >= 4) {
      const flen = chunk.readUInt32BE(off);
      // Decided on the header alone: nothing of an oversized frame is ever buffered.
      if (flen > this.limits.maxFrameBytes) return this.oversize(flen);
      if (len - off - 4 < flen) break;
      const start = off + 4;
      off = start + flen;
      const fatal = this.frame(chunk, start, off, onFrame);
      if (fatal !== undefined || this.dead) return fatal; // dead: the connection was dropped while a frame was handled
      completed = true;
    }
    if (off < len) this.append(chunk, off, len - off);
    if (this.carryLen === 0) {
      this.partialSinceMs = 0;
      if (this.carry.length > KEEP_CARRY_BYTES) this.carry = EMPTY; // a rare large frame: not held for good
    } else if (completed || this.partialSinceMs === 0) this.partialSinceMs = nowMs;
    return undefined;
  }

  /** Copies `chunk[from, from + n)` after the partial frame; returns n. */
  private append(chunk: Buffer, from: number, n: number): number {
    const need = this.carryLen + n;
    if (need > this.carry.length) {
      const grown = Buffer.allocUnsafeSlow(Math.min(Math.max(need, 2 * this.carry.length, 256), this.limits.maxFrameBytes + 4));
      this.carry.copy(grown, 0, 0, this.carryLen);
      this.carry = grown;
    }
    chunk.copy(this.carry, this.carryLen, from, from + n);
    this.carryLen = need;
    return n;
  }

  /** One whole frame: checked, then handed on, or counted towards a desync. */
  private frame(buf: Buffer, start: number, end: number, onFrame: OnFrame): string | undefined {
    const longest = this.check(buf, start, end);
    if (longest >= 0) {
      this.badRun = 0;
      onFrame(buf, start, end, longest);
    } else if (++this.badRun >= this.limits.desyncAfterBadFrames) {
      return this.die(`${this.badRun} unusable frames in a row`);
    }
    return undefined;
  }

  private oversize(len: number): string {
    this.counters.oversizeFrames++;
    return this.die(`frame length ${len} over the ${this.limits.maxFrameBytes}-byte cap`);
  }

  private die(why: string): string {
    this.counters.desyncs++;
    this.close();
    return why;
  }

  /**
   * Whether a frame body is usable: NUL-terminated, not too many fields, a known message id first. Returns
   * -1 when it is dropped (counted), else the longest field's length — or the body's length, an upper bound
   * that needs no scan, when the body is shorter than both limits (every market-data frame is).
   */
  private check(buf: Buffer, start: number, end: number): number {
    this.counters.frames++;
    if (end === start || buf[end - 1] !== 0) {
      this.counters.unterminatedFrames++;
      return -1;
    }
    const { maxFields, maxFieldBytes } = this.limits;
    let longest = end - start;
    if (longest > maxFields || longest > maxFieldBytes) {
      const body = buf.subarray(start, end);
      // Count fields first, without decoding: a frame of 300k empty fields costs one scan, not 300k strings.
      let fields = 0;
      longest = 0;
      for (let p = body.indexOf(0), from = 0; p >= 0; from = p + 1, p = body.indexOf(0, from)) {
        if (p - from > longest) longest = p - from;
        if (++fields > maxFields) {
          this.counters.tooManyFieldsFrames++;
          return -1;
        }
      }
    }
    if (!this.handshakeSeen) {
      const first = buf.toString('latin1', start, Math.min(buf.indexOf(0, start), start + 12));
      if (!/^\d{1,6}$/.test(first)) {
        this.counters.unknownIdFrames++;
        return -1;
      }
      this.handshakeSeen = true;
      return longest;
    }
    // The message id: 1–4 digits, a known one (read from the bytes: no string per frame). The body ends with
    // a NUL, so the scan stays inside it.
    let id = 0;
    let i = start;
    for (; i < start + 4 && buf[i]! >= 0x30 && buf[i]! <= 0x39; i++) id = id * 10 + buf[i]! - 0x30;
    if (i === start || buf[i] !== 0 || !KNOWN_IDS.has(id)) {
      this.counters.unknownIdFrames++;
      return -1;
    }
    return longest;
  }

  /** An accepted frame body → the field text @stoqey/ib expects ("f1\0f2\0…fn\0"), fields over maxFieldBytes cut. */
  text(body: Buffer, longest: number): string {
    const { maxFieldBytes } = this.limits;
    // The common case: nothing to cut, one decode of the whole body (it ends with its NUL).
    if (longest <= maxFieldBytes) return body.toString('utf8');
    let out = '';
    let start = 0;
    for (let p = body.indexOf(0); p >= 0; p = body.indexOf(0, start)) {
      if (p - start > maxFieldBytes) {
        this.counters.truncatedFields++;
        out += body.toString('utf8', start, start + maxFieldBytes) + '\0';
      } else {
        out += body.toString('utf8', start, p) + '\0';
      }
      start = p + 1;
      if (start >= body.length) break;
    }
    return out;
  }
}
