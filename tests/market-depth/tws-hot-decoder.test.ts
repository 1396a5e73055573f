/**
 * Differential test of our hot-message decoder (TwsHotDecoder) against @stoqey/ib's own decoder: a million
 * random frames of the four hot messages — valid ones in every number form TWS uses, and malformed ones
 * (odd numbers, missing and extra fields, unknown tick types, non-ASCII and invalid UTF-8 text) — go
 * through both: our path (the hot decoder, and for a frame it declines, the client library) must emit
 * exactly the events, in the same order with the same values (NaN and -0 included), as the client library
 * alone. Seeds are fixed and printed.
 */
import { EventName, IBApi } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { TwsHotDecoder, type HotHandlers } from '../../actors/market-depth/TwsHotDecoder.js';
import { mulberry32 } from '../helpers/prng.js';

/** [seed, frames, malformed]: 800k frames with every kind of fault, 200k plain ones as TWS sends them. */
const RUNS: [number, number, boolean][] = [[20261205, 400_000, true], [77, 400_000, true], [4242, 200_000, false]];

/** One value as text, telling NaN, -0, undefined and strings apart (toEqual would blur some of them). */
function tag(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? 'n:-0' : `n:${v}`;
  if (typeof v === 'string') return `s:${JSON.stringify(v)}`;
  if (v instanceof Error) return `e:${v.message}`;
  if (v === undefined) return 'u';
  return `j:${JSON.stringify(v)}`;
}
const line = (name: string, args: unknown[]): string => `${name}(${args.map(tag).join(',')})`;

const HOT_EVENTS = [
  EventName.updateMktDepthL2, EventName.updateMktDepth, EventName.tickByTickAllLast,
  EventName.tickByTickBidAsk, EventName.tickByTickMidPoint, EventName.realtimeBar, EventName.error,
] as const;

/** An IBApi that believes it completed the handshake: frames are fed as the text @stoqey/ib's reader makes of them. */
function referenceClient(out: string[]): { feed: (text: string) => void; setServerVersion: (v: number) => void } {
  const ib = new IBApi({ host: '127.0.0.1', port: 1, clientId: 0 });
  const sock = (ib as unknown as { controller: { socket: Record<string, unknown> & { onMessage(m: string): void } } }).controller.socket;
  sock.neverReceived = false;
  sock.useV100Plus = true;
  for (const ev of HOT_EVENTS) ib.on(ev, (...args: unknown[]) => out.push(line(ev, args)));
  return { feed: (text) => sock.onMessage(text), setServerVersion: (v) => void (sock._serverVersion = v) };
}

/** Our handlers, recording what @stoqey/ib would have emitted for the same values. */
function recordingHandlers(out: string[]): HotHandlers {
  return {
    depthL2: (...a) => out.push(line(EventName.updateMktDepthL2, a)),
    depth: (...a) => out.push(line(EventName.updateMktDepth, a)),
    allLast: (reqId, tickType, time, price, size, mask, exchange, special) =>
      out.push(line(EventName.tickByTickAllLast, [reqId, tickType, time, price, size, { pastLimit: (mask & 1) !== 0, unreported: (mask & 2) !== 0 }, exchange, special])),
    bidAsk: (reqId, time, bid, ask, bidSize, askSize, mask) =>
      out.push(line(EventName.tickByTickBidAsk, [reqId, time, bid, ask, bidSize, askSize, { bidPastLow: (mask & 1) !== 0, askPastHigh: (mask & 2) !== 0 }])),
    midPoint: (...a) => out.push(line(EventName.tickByTickMidPoint, a)),
    bar: (...a) => out.push(line(EventName.realtimeBar, a)),
  };
}

type Field = string | Buffer;

/** Random frames: mostly well-formed hot messages, a good share malformed on purpose. */
function frameMaker(seed: number, malformed: boolean) {
  const r = mulberry32(seed);
  const bad = malformed ? 1 : 0;
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const BAD_NUMBERS = [
    '', ' 1', '1 ', '+1', '1e3', '1E-2', '2.5e+1', '1,000.5', '1,5', 'abc', 'NaN', 'Infinity', '-Infinity', '0x1A', '1.7976931348623157E308',
    '9999999999999999', '12345678901234567890', '1.2.3', '-', '.', '-.', '12abc', '\u0661\u0662', '1_000', '0.00000000000000000000001',
    '00000000000000001', '2147483647', '-0', '-0.0', '.5', '5.', '\u00a05', '\t7', '0b11', '1.0000000000000001', '123456789012345.6',
  ];
  const TEXTS: Field[] = [
    '', '', '', 'NSDQ', 'ARCA', 'ISLAND', 'Ä', '日本', '🚀', 'a b', '\\u0041',
    Buffer.from([0xc3]), Buffer.from([0xe2, 0x82]), Buffer.from([0xff, 0x41]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf0, 0x9f, 0x9a]),
  ];
  const plainInt = () => String(r() < 0.1 ? -int(0, 1e6) : r() < 0.05 ? `00${int(0, 99)}` : int(0, 2e9));
  const plainDec = () => {
    const v = r() < 0.5 ? 100 + r() * 900 : r() * 1e6;
    const s = r() < 0.1 * bad ? String(v) : v.toFixed(int(0, 6));
    return r() < 0.05 ? `-${s}` : s;
  };
  const num = (plain: () => string): Field => (r() < 0.06 * bad ? pick(BAD_NUMBERS) : plain());
  const text = (): Field => (malformed ? pick(TEXTS) : pick(['', 'NSDQ', 'ARCA', 'Ä', '日本']));
  const time = (): Field => (r() < 1 - 0.1 * bad ? String(int(1.7e9, 1.8e9)) : pick(TEXTS));

  return (): Buffer => {
    const k = r();
    let f: Field[];
    if (k < 0.4) f = ['13', num(plainInt), num(plainInt), num(plainInt), text(), num(() => String(int(0, 2))), num(() => String(int(0, 1))), num(plainDec), num(plainDec), num(() => String(int(0, 1)))];
    else if (k < 0.5) f = ['12', num(plainInt), num(plainInt), num(plainInt), num(() => String(int(0, 2))), num(() => String(int(0, 1))), num(plainDec), num(plainDec)];
    else if (k < 0.85) {
      const tt = r() < 1 - 0.1 * bad ? pick(['1', '2', '3', '4']) : pick(['0', '5', '-1', '', 'x', '03']);
      const head: Field[] = ['99', num(plainInt), tt, time()];
      const body: Field[] = tt === '3'
        ? [num(plainDec), num(plainDec), num(plainDec), num(plainDec), num(() => String(int(0, 3)))]
        : tt === '4' ? [num(plainDec)]
        : [num(plainDec), num(plainDec), num(() => String(int(0, 3))), text(), text()];
      f = [...head, ...body];
    } else f = ['50', num(plainInt), num(plainInt), num(plainInt), num(plainDec), num(plainDec), num(plainDec), num(plainDec), num(plainDec), num(plainDec), num(plainInt)];
    if (!malformed) return join(f);
    if (r() < 0.04) f.splice(int(1, f.length - 1), 1); // a field missing: underrun
    if (r() < 0.03) f.push(pick(['', 'extra', '1'])); // a field too many
    if (r() < 0.01) f[0] = pick(['012', '13', '99', '50', '12']); // id spelled with a leading zero, or another hot id
    return join(f);
  };
}

/** What may follow a frame body in a socket read: nothing, the next frame's length header, digits, fields. */
const SUFFIXES = [Buffer.alloc(0), Buffer.from([0, 0, 0, 9]), Buffer.from('12\0'), Buffer.from([0]), Buffer.from('ARCA\0' + '1.5\0')];

function join(f: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const x of f) parts.push(typeof x === 'string' ? Buffer.from(x, 'utf8') : x, Buffer.from([0]));
  return Buffer.concat(parts);
}

describe('TwsHotDecoder against @stoqey/ib', () => {
  for (const [seed, n, malformed] of RUNS) {
    it(`decodes ${n} random ${malformed ? 'valid and malformed' : 'plain'} frames exactly as the client library (seed ${seed})`, () => {
      console.log(`tws-hot-decoder seed ${seed}`);
      const ref: string[] = [];
      const ours: string[] = [];
      const reference = referenceClient(ref);
      const viaLibrary = referenceClient(ours); // the frames our decoder declines go here
      let serverVersion = 193;
      const hot = new TwsHotDecoder(recordingHandlers(ours), () => serverVersion);
      const next = frameMaker(seed, malformed);
      for (let i = 0; i < n; i++) {
        if (i % 50_000 === 0) {
          // Both server versions around SMART_DEPTH (146): MARKET_DEPTH_L2 has isSmartDepth from 146 on.
          serverVersion = i % 100_000 === 0 || !malformed ? 193 : 145;
          reference.setServerVersion(serverVersion);
          viaLibrary.setServerVersion(serverVersion);
        }
        const body = next();
        const text = body.toString('utf8');
        reference.feed(text);
        // Our decoder reads the body where it lies in a socket read, between other frames' bytes: a NUL or
        // digits right after the body must not be taken for a field of it.
        const before = i % 3, after = SUFFIXES[i % SUFFIXES.length]!;
        const read = Buffer.concat([Buffer.alloc(before, 0x31), body, after]);
        if (!hot.decode(read, before, before + body.length)) viaLibrary.feed(text);
        if (ref.length !== ours.length || ref.some((x, j) => x !== ours[j])) {
          expect.fail(`frame ${i} (seed ${seed}, server version ${serverVersion}) ${JSON.stringify(text)}\n  @stoqey/ib: ${ref.join(' ')}\n  ours:       ${ours.join(' ')}`);
        }
        ref.length = 0;
        ours.length = 0;
      }
      // The fast path carries every plain frame; only malformed or unusual ones are left to the library.
      if (malformed) expect(hot.counters.declined).toBeGreaterThan(n * 0.2);
      else expect(hot.counters.decoded).toBe(n);
      console.log(`seed ${seed}: ${hot.counters.decoded} decoded by ours, ${hot.counters.declined} declined to @stoqey/ib`);
    }, 600_000);
  }
});
