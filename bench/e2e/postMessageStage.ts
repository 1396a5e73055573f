/**
 * One thread of the postMessage comparison pipeline (generator → book → analytics → signal), the way a
 * typical Node design connects workers: MessagePorts, one structured-clone copy of a 128-byte message per
 * hop, an event per message. Same message size and the same stamping as the ring pipeline: the generator
 * writes each tick's *intended* send time, every stage stamps when it finished, the signal stage records.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { OrderBook } from '../../analytics/order-book.js';
import { MonoClock } from '../../engine/runtime/MonoClock.js';
import { LatencyHistogram } from './LatencyHistogram.js';
import { generateOps, OP_DEPTH } from './MarketOps.js';

export const MSG_BYTES = 128;
// layout: 0 u8 flags (1 = measured), 4 u16 symbol, 8 u32 seq, 16 f64 intendedNs, 24 f64 bookNs, 32 f64 analyticsNs,
// 40 f64 signalNs, 48 u16 position, 50 u8 op, 51 u8 side, 56 f64 price, 64 f64 size, 80 f64 bid, 88 f64 ask,
// 96 f64 bidSize, 104 f64 askSize, 112 f64 microprice, 120 f64 imbalance
const F_INTENDED = 16, F_BOOK = 24, F_ANALYTICS = 32, F_SIGNAL = 40;

export interface StageData {
  role: 'gen' | 'book' | 'analytics' | 'signal';
  clockOrigin: string;
  input?: MessagePort;
  output?: MessagePort;
}

export interface RunCommand {
  t: 'run';
  rate: number; // messages per second; 0 = as fast as possible (capacity probe)
  total: number;
  warmup: number; // first messages not measured
}

const wd = workerData as StageData;
const clock = new MonoClock(BigInt(wd.clockOrigin));
const out = wd.output;
const symbols = [{ symbol: 'SPY', basePrice: 590, numRows: 20, level2: true }];

function sleepUntil(ns: number, cell: Int32Array): void {
  let left = ns - clock.nowNs();
  // Park the thread for all but the last 100 µs, then spin: the send happens on time without burning a core.
  if (left > 200_000) Atomics.wait(cell, 0, 0, (left - 100_000) / 1e6);
  while (clock.nowNs() < ns) { /* spin the last stretch */ }
}

function generate(cmd: RunCommand): { sent: number; lateMaxNs: number } {
  const ops = generateOps(symbols, cmd.total);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const period = cmd.rate > 0 ? 1e9 / cmd.rate : 0;
  const t0 = clock.nowNs() + 2e6;
  let k = 0;
  let lateMax = 0;
  for (let i = 0; i < ops.n && k < cmd.total; i++) {
    if (ops.kind[i] !== OP_DEPTH) continue;
    let intended: number;
    if (period > 0) {
      intended = t0 + k * period;
      sleepUntil(intended, cell);
      const late = clock.nowNs() - intended;
      if (late > lateMax) lateMax = late;
    } else intended = clock.nowNs();
    const m = new Uint8Array(MSG_BYTES);
    const v = new DataView(m.buffer);
    v.setUint8(0, k >= cmd.warmup ? 1 : 0);
    v.setUint16(4, ops.sym[i], true);
    v.setUint32(8, k, true);
    v.setFloat64(F_INTENDED, intended, true);
    v.setUint16(48, ops.pos[i], true);
    v.setUint8(50, ops.op[i]);
    v.setUint8(51, ops.side[i]);
    v.setFloat64(56, ops.price[i], true);
    v.setFloat64(64, ops.size[i], true);
    out!.postMessage(m);
    k++;
  }
  return { sent: k, lateMaxNs: lateMax };
}

/** Each stage copies the message it received into a fresh one, does its work, stamps and forwards. */
function forward(src: Uint8Array): { m: Uint8Array; v: DataView } {
  const m = new Uint8Array(MSG_BYTES);
  m.set(src);
  return { m, v: new DataView(m.buffer) };
}

if (wd.role === 'gen') {
  parentPort!.on('message', (cmd: RunCommand) => {
    const r = generate(cmd);
    parentPort!.postMessage({ t: 'sent', ...r });
  });
} else if (wd.role === 'book') {
  const books = symbols.map((s) => new OrderBook(s.numRows));
  wd.input!.on('message', (src: Uint8Array) => {
    const { m, v } = forward(src);
    const b = books[v.getUint16(4, true)];
    b.apply(v.getUint16(48, true), v.getUint8(50), v.getUint8(51), v.getFloat64(56, true), v.getFloat64(64, true));
    v.setFloat64(80, b.length(1) ? b.price(1, 0) : NaN, true);
    v.setFloat64(88, b.length(0) ? b.price(0, 0) : NaN, true);
    v.setFloat64(96, b.length(1) ? b.size(1, 0) : NaN, true);
    v.setFloat64(104, b.length(0) ? b.size(0, 0) : NaN, true);
    v.setFloat64(F_BOOK, clock.nowNs(), true);
    out!.postMessage(m);
  });
} else if (wd.role === 'analytics') {
  wd.input!.on('message', (src: Uint8Array) => {
    const { m, v } = forward(src);
    const bid = v.getFloat64(80, true), ask = v.getFloat64(88, true), bs = v.getFloat64(96, true), as = v.getFloat64(104, true);
    const tot = bs + as;
    v.setFloat64(112, tot > 0 ? (bid * as + ask * bs) / tot : NaN, true);
    v.setFloat64(120, tot > 0 ? (bs - as) / tot : NaN, true);
    v.setFloat64(F_ANALYTICS, clock.nowNs(), true);
    out!.postMessage(m);
  });
} else {
  const hs = { book: new LatencyHistogram(), analytics: new LatencyHistogram(), signal: new LatencyHistogram() };
  let expected = -1;
  let received = 0;
  let signals = 0;
  let firstNs = 0;
  let lastNs = 0;
  const finishIfDone = () => {
    if (expected < 0 || received < expected) return;
    parentPort!.postMessage({ t: 'done', received, signals, firstNs, lastNs, book: hs.book.encode(), analytics: hs.analytics.encode(), signal: hs.signal.encode() });
  };
  parentPort!.on('message', (cmd: RunCommand) => {
    expected = cmd.total;
    received = 0;
    finishIfDone();
  });
  wd.input!.on('message', (src: Uint8Array) => {
    const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const imb = v.getFloat64(120, true);
    if (Math.abs(imb) > 0.6) signals++; // the decision; every message is timed whether or not it fires
    const now = clock.nowNs();
    v.setFloat64(F_SIGNAL, now, true);
    if (received === 0) firstNs = v.getFloat64(F_INTENDED, true);
    lastNs = now;
    if (v.getUint8(0) === 1) {
      const t = v.getFloat64(F_INTENDED, true);
      hs.book.record(v.getFloat64(F_BOOK, true) - t);
      hs.analytics.record(v.getFloat64(F_ANALYTICS, true) - t);
      hs.signal.record(now - t);
    }
    received++;
    finishIfDone();
  });
}
