/**
 * One thread of the postMessage comparison pipeline (decode → book → analytics → decision), the way a
 * typical Node design connects workers: MessagePorts, one structured-clone copy of a 128-byte message per
 * hop, an event per message. The decode thread reads the same TWS frames from the same kind of loopback
 * socket as the engine, with the engine's own front-end (TwsSource: framing guard, decoder, ingest limits);
 * each stage stamps when it finished; the decision thread writes the tick's five stamps into the shared
 * per-tick slots (TickStamps) and counts it.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { OrderBook } from '../../analytics/order-book.js';
import type { MarketSink } from '../../actors/market-depth/MarketSource.js';
import { TwsSource } from '../../actors/market-depth/TwsSource.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { createLogger } from '../../engine/log/logger.js';
import { MonoClock } from '../../engine/runtime/MonoClock.js';
import { setThreadNice } from '../../engine/runtime/ThreadNice.js';
import { STAMP_ANALYTICS, STAMP_BOOK, STAMP_DECISION, STAMP_DECODED, STAMP_RECEIPT, STAMP_WIDTH } from './TickStamps.js';

export const MSG_WORDS = 16; // 128 bytes of f64
// word layout: 0 ordinal, 1 symbol, 2 position, 3 operation, 4 side, 5 price, 6 size, 7 receipt, 8 decoded,
// 9 book, 10 bid, 11 ask, 12 bid size, 13 ask size, 14 analytics, 15 imbalance
const W_ORD = 0, W_SYM = 1, W_POS = 2, W_OP = 3, W_SIDE = 4, W_PRICE = 5, W_SIZE = 6, W_RECEIPT = 7, W_DECODED = 8, W_BOOK = 9;
const W_BID = 10, W_ASK = 11, W_BSZ = 12, W_ASZ = 13, W_ANALYTICS = 14, W_IMB = 15;

export interface StageData {
  role: 'decode' | 'book' | 'analytics' | 'decision';
  clockOrigin: string;
  input?: MessagePort;
  output?: MessagePort;
  /** decode: the engine configuration pointed at the feeder (symbols, TWS port, limits) */
  config?: EngineConfig;
  /** decision: the per-tick stamp slots and the decided counter (Int32[0]) */
  stamps?: SharedArrayBuffer;
  decided?: SharedArrayBuffer;
  /** book: how many symbols (config order) and rows */
  numRows?: number[];
  /** the thread's nice: the engine's hot path's (hotNice), so both pipelines run at one priority */
  nice: number;
}

const wd = workerData as StageData;
if (wd.nice !== 0) setThreadNice(wd.nice); // refused (no CAP_SYS_NICE): the engine's threads are refused alike
const clock = new MonoClock(BigInt(wd.clockOrigin));
const out = wd.output;

if (wd.role === 'decode') {
  let ordinal = 0;
  const cfg = wd.config!;
  const sink: MarketSink = {
    depth(symbolId, _tsMs, position, operation, side, price, size, _mm, ingestNs) {
      const m = new Float64Array(MSG_WORDS);
      m[W_ORD] = ordinal++;
      m[W_SYM] = symbolId;
      m[W_POS] = position;
      m[W_OP] = operation;
      m[W_SIDE] = side;
      m[W_PRICE] = price;
      m[W_SIZE] = size;
      m[W_RECEIPT] = ingestNs;
      m[W_DECODED] = clock.nowNs();
      out!.postMessage(m);
    },
    trade() {},
    quote() {},
    reset() {},
    connection() {},
    endOfBatch() {},
  };
  const src = new TwsSource(cfg, cfg.venues.tws.host, cfg.venues.tws.port, clock, createLogger({ level: 'silent', pretty: 'never' }));
  void src.start(sink);
  parentPort!.on('message', (m: { t: string }) => {
    if (m.t === 'stop') void src.stop();
  });
} else if (wd.role === 'book') {
  const books = (wd.numRows ?? []).map((n) => new OrderBook(n));
  wd.input!.on('message', (m: Float64Array) => {
    const b = books[m[W_SYM]];
    if (b) {
      b.apply(m[W_POS], m[W_OP], m[W_SIDE], m[W_PRICE], m[W_SIZE]);
      m[W_BID] = b.length(1) ? b.price(1, 0) : NaN;
      m[W_ASK] = b.length(0) ? b.price(0, 0) : NaN;
      m[W_BSZ] = b.length(1) ? b.size(1, 0) : NaN;
      m[W_ASZ] = b.length(0) ? b.size(0, 0) : NaN;
    }
    m[W_BOOK] = clock.nowNs();
    out!.postMessage(m);
  });
} else if (wd.role === 'analytics') {
  wd.input!.on('message', (m: Float64Array) => {
    const bs = m[W_BSZ], as = m[W_ASZ];
    const tot = bs + as;
    m[W_IMB] = tot > 0 ? (bs - as) / tot : NaN;
    m[W_ANALYTICS] = clock.nowNs();
    out!.postMessage(m);
  });
} else {
  const stamps = new Float64Array(wd.stamps!);
  const decided = new Int32Array(wd.decided!);
  let signals = 0;
  wd.input!.on('message', (m: Float64Array) => {
    if (Math.abs(m[W_IMB]) > 0.6) signals++; // the decision; every tick is timed whether or not it fires
    const now = clock.nowNs();
    const o = m[W_ORD] * STAMP_WIDTH;
    if (o + STAMP_WIDTH <= stamps.length) {
      stamps[o + STAMP_RECEIPT] = m[W_RECEIPT];
      stamps[o + STAMP_DECODED] = m[W_DECODED];
      stamps[o + STAMP_BOOK] = m[W_BOOK];
      stamps[o + STAMP_ANALYTICS] = m[W_ANALYTICS];
      stamps[o + STAMP_DECISION] = now;
    }
    Atomics.add(decided, 0, 1);
  });
  parentPort!.on('message', (m: { t: string }) => {
    if (m.t === 'signals') parentPort!.postMessage({ t: 'signals', signals });
  });
}
