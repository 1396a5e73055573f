import { describe, expect, it } from 'vitest';
import { IngestLimits, type ValueLimits } from '../../actors/market-depth/IngestLimits.js';
import { TwsFrameGuard, type FrameLimits } from '../../actors/market-depth/TwsFrameGuard.js';
import { mulberry32 as rng } from '../helpers/prng.js';
import { frame, rawFrame } from '../helpers/tws-wire.js';

const LIMITS: FrameLimits = { maxFrameBytes: 1024, maxFields: 32, maxFieldBytes: 40, desyncAfterBadFrames: 3 };
const handshake = frame([193, '20261124 10:00:00 US/Eastern']);

function guard(l: Partial<FrameLimits> = {}): TwsFrameGuard {
  const g = new TwsFrameGuard({ ...LIMITS, ...l });
  expect(g.push(handshake).messages).toEqual(['193\0' + '20261124 10:00:00 US/Eastern\0']);
  return g;
}

describe('TwsFrameGuard', () => {
  it('reassembles frames split at any byte and passes them on as NUL-joined fields', () => {
    const g = guard();
    const bytes = Buffer.concat([frame([13, 1, 10_000, 0, 'NSDQ', 0, 1, '590.01', 100, 1]), frame([9, 1, 7])]);
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...g.push(bytes.subarray(i, i + 1)).messages);
    expect(out).toEqual(['13\x001\x0010000\x000\0NSDQ\x000\x001\x00590.01\x00100\x001\0', '9\x001\x007\0']);
    expect(g.bufferedBytes).toBe(0);
  });

  it('drops the stream on a length over the cap, before buffering it (0x80000000 included)', () => {
    for (const len of [1025, 0x80000000, 0xffffffff]) {
      const g = guard();
      const head = Buffer.alloc(8);
      head.writeUInt32BE(len, 0);
      const r = g.push(Buffer.concat([frame([9, 1, 7]), head]));
      expect(r.messages).toEqual(['9\x001\x007\0']); // the good frame before the fault still counts
      expect(r.fatal).toMatch(/over the 1024-byte cap/);
      expect(g.counters.oversizeFrames).toBe(1);
      expect(g.bufferedBytes).toBe(0);
      expect(g.push(frame([9, 1, 8])).messages).toEqual([]); // a dead stream decodes nothing more
    }
  });

  it('drops frames without a NUL terminator or with an unknown message id; a run of them is a desync', () => {
    const g = guard({ desyncAfterBadFrames: 4 });
    expect(g.push(rawFrame(Buffer.from('9\x001\x007'))).messages).toEqual([]);
    expect(g.counters.unterminatedFrames).toBe(1);
    expect(g.push(frame([7777, 1])).messages).toEqual([]);
    expect(g.push(frame(['abc', 1])).messages).toEqual([]);
    expect(g.counters.unknownIdFrames).toBe(2);
    expect(g.push(frame([9, 1, 7])).messages).toHaveLength(1); // a good frame ends the run
    const r = g.push(Buffer.concat([frame([0]), frame([-4]), frame([99999]), rawFrame(Buffer.from('1'))]));
    expect(r.fatal).toMatch(/4 unusable frames in a row/);
    expect(g.counters.desyncs).toBe(1);
  });

  it('a truncated frame desynchronises the byte stream and is caught (length read from text)', () => {
    const g = guard();
    const good = frame([13, 1, 10_000, 0, 'NSDQ', 0, 1, '590.01', 100, 1]);
    const truncated = Buffer.concat([Buffer.from([0, 0, 0, 40]), Buffer.from('13\x001\x0010000\x00')]); // declares 40, has 12
    const r = g.push(Buffer.concat([truncated, good, good, good]));
    expect(r.fatal).toBeDefined();
    expect(g.counters.desyncs).toBe(1);
  });

  it('drops a frame with too many fields without decoding it, and truncates long fields', () => {
    const g = guard();
    expect(g.push(frame([4, ...Array.from({ length: 40 }, () => '')])).messages).toEqual([]);
    expect(g.counters.tooManyFieldsFrames).toBe(1);
    const [m] = g.push(frame([4, 2, -1, 2104, 'x'.repeat(100), ''])).messages;
    expect(m).toBe(`4\x002\x00-1\x002104\x00${'x'.repeat(40)}\0\0`);
    expect(g.counters.truncatedFields).toBe(1);
  });

  it('holds at most one partial frame and remembers since when it waits', () => {
    const g = guard();
    const f = frame([4, 2, -1, 2104, 'x'.repeat(10), '']);
    g.push(f.subarray(0, 10), 1000);
    expect(g.bufferedBytes).toBe(10);
    expect(g.partialSinceMs).toBe(1000);
    g.push(f.subarray(10), 2000);
    expect(g.partialSinceMs).toBe(0);
    expect(g.bufferedBytes).toBe(0);
  });

  it('keeps nothing of a read past the call: frames split anywhere through one reused read buffer (seed 0x6a4d)', () => {
    // The socket reads into one buffer and overwrites it on the next read (net's `onread`): the guard must
    // copy a partial frame, never hold the read. Each read is scribbled over once the guard returns.
    const seed = 0x6a4d;
    console.log(`frame-guard reuse seed ${seed}`);
    const r = rng(seed);
    const frames = Array.from({ length: 400 }, (_, i) => frame([9, 1, i, 'x'.repeat(Math.floor(r() * 40))]));
    frames.push(frame([4, 2, -1, 2104, 'y'.repeat(900), ''])); // larger than most reads: carried over several
    const bytes = Buffer.concat([handshake, ...frames]);
    const g = new TwsFrameGuard(LIMITS);
    const read = Buffer.alloc(97);
    const out: string[] = [];
    for (let off = 0; off < bytes.length; ) {
      const n = Math.min(1 + Math.floor(r() * read.length), bytes.length - off);
      bytes.copy(read, 0, off, off + n);
      off += n;
      expect(g.pushFrames(read, 0, (buf, start, end, longest) => out.push(g.text(buf.subarray(start, end), longest)), n)).toBeUndefined();
      read.fill(0x41);
    }
    expect(out.length).toBe(frames.length + 1);
    expect(out.slice(1)).toEqual(frames.map((f) => f.subarray(4).toString('utf8').replace('y'.repeat(900), 'y'.repeat(40))));
    expect(g.bufferedBytes).toBe(0);
  });

  it('rejects a handshake that is not a server version', () => {
    const g = new TwsFrameGuard({ ...LIMITS, desyncAfterBadFrames: 1 });
    expect(g.push(frame(['HTTP/1.1 400', 'x'])).fatal).toBeDefined();
  });
});

const VL: ValueLimits = { maxSize: 1e6, maxBarVolume: 1e8, maxPrice: 1e6, priceBand: 0.5, rebaseAfter: 3, maxMarketMakerChars: 8, maxTextChars: 32 };

describe('IngestLimits', () => {
  it('refuses non-finite, negative and oversized sizes', () => {
    const l = new IngestLimits(VL, 2);
    expect(l.size(100)).toBe(true);
    expect(l.size(1e300)).toBe(false);
    expect(l.size(Number.NaN)).toBe(false);
    expect(l.size(-1)).toBe(false);
    expect(l.barVolume(2e8)).toBe(false);
    expect(l.rejected).toMatchObject({ sizeCap: 2, nonFinite: 2 });
  });

  it('keeps prices within a band of the last good one, and follows a move that persists', () => {
    const l = new IngestLimits(VL, 2);
    expect(l.price(0, 100)).toBe(true);
    expect(l.price(0, 149)).toBe(true);
    expect(l.price(0, 1000)).toBe(false); // > 50 % from 149
    expect(l.price(1, 1000)).toBe(true); // another symbol has its own reference
    expect(l.price(0, Number.POSITIVE_INFINITY)).toBe(false);
    expect(l.price(0, 0)).toBe(false);
    expect(l.price(0, 2e6)).toBe(false);
    expect(l.rejected).toMatchObject({ priceBand: 1, nonFinite: 2, priceCap: 1 });
    // a real gap: the third out-of-band price in a row becomes the reference
    expect(l.price(0, 400)).toBe(false);
    expect(l.price(0, 401)).toBe(true);
    expect(l.price(0, 402)).toBe(true);
    expect(l.quotePrice(0, 0)).toBe(true); // "no bid" at TWS
  });

  it('truncates venue text and market makers, and counts it', () => {
    const l = new IngestLimits(VL, 1);
    expect(l.marketMaker('NSDQ')).toBe('NSDQ');
    expect(l.marketMaker('M'.repeat(1_000_000))).toBe('MMMMMMMM…[1000000 chars]');
    expect(l.text('e'.repeat(100)).startsWith('e'.repeat(32) + '…')).toBe(true);
    expect(l.rejected.truncatedText).toBe(2);
  });
});
