/**
 * `npm run bench -- ingest`: depth updates per second through
 *   (a) @stoqey/ib's decoder alone on recorded frames (framing + tokenising + decoding + event, no socket),
 *   (a2) our own hot-message decoder alone on the same frames (framing guard + TwsHotDecoder, no handler work),
 *   (b) the engine's whole TWS path: the same frames → framing guard → our decoder (the library for anything
 *       else) → TwsSource → BookKeeper (own book) → ring,
 *   (c) the replay path into a book actor across a ring (producer thread → ring → consumer thread → OrderBook),
 *   (d) the same operations applied to an OrderBook in one thread with no ring,
 *   (e) the LOBSTER rebuild (ops generation + OrderBook) on the shared sample, when available,
 * all in one run. Targets: (b) ≥ 90 % of (a), ≥ 100 % with our own decoder; (c) ≥ 50 % of (d).
 */
import { Worker } from 'node:worker_threads';
import { EventName, IBApi } from '@stoqey/ib';
import { OrderBook } from '../analytics/order-book.js';
import { TwsSource } from '../actors/market-depth/TwsSource.js';
import { TwsFrameGuard } from '../actors/market-depth/TwsFrameGuard.js';
import { TwsHotDecoder } from '../actors/market-depth/TwsHotDecoder.js';
import { BookKeeper } from '../actors/market-depth/BookKeeper.js';
import { loadConfig } from '../engine/config/loadConfig.js';
import { DepthUpdate } from '../engine/codec/Messages.js';
import { HeaderFields } from '../engine/codec/Header.js';
import { createLogger } from '../engine/log/logger.js';
import { distPath } from '../engine/config/projectRoot.js';
import { Doorbell, RingBuffer, RingProducer } from '../engine/ring/index.js';
import { MonoClock } from '../engine/runtime/MonoClock.js';
import { OutputPort } from '../engine/runtime/OutputPort.js';
import { MarketModel } from '../sim/market/MarketModel.js';

interface Ops { n: number; pos: Int32Array; op: Int8Array; side: Int8Array; price: Float64Array; size: Float64Array; mm: string[] }

function recordOps(count: number): Ops {
  const model = new MarketModel({ seed: 99, symbols: [{ symbol: 'SPY', basePrice: 590, numRows: 20, level2: true }], startMs: 0, eventsPerSecond: 5000 });
  const o: Ops = { n: 0, pos: new Int32Array(count), op: new Int8Array(count), side: new Int8Array(count), price: new Float64Array(count), size: new Float64Array(count), mm: new Array(count) };
  const push = (_s: number, _t: number, p: number, op: number, side: number, price: number, size: number, mm: string) => {
    if (o.n >= count) return;
    o.pos[o.n] = p; o.op[o.n] = op; o.side[o.n] = side; o.price[o.n] = price; o.size[o.n] = size; o.mm[o.n] = mm; o.n++;
  };
  const listener = { onDepth: push, onTrade() {}, onQuote() {} };
  model.initialOps(0, listener);
  for (let t = 1; o.n < count; t += 10) model.advance(t, listener);
  return o;
}

/** The ops as TWS frames (MARKET_DEPTH_L2, server version 193), concatenated in socket-sized chunks. */
function encodeFrames(o: Ops): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: Buffer[] = [];
  let bytes = 0;
  for (let i = 0; i < o.n; i++) {
    const body = Buffer.from(`13\x001\x0010000\x00${o.pos[i]}\x00${o.mm[i]}\x00${o.op[i]}\x00${o.side[i]}\x00${o.price[i]}\x00${o.size[i]}\x001\x00`, 'latin1');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    parts.push(len, body);
    bytes += 4 + body.length;
    if (bytes >= 65536) {
      chunks.push(Buffer.concat(parts));
      parts = [];
      bytes = 0;
    }
  }
  if (parts.length) chunks.push(Buffer.concat(parts));
  return chunks;
}

/** The connection's first frame (server version, time): the guard expects it before any message id. */
function handshakeFrame(): Buffer {
  const body = Buffer.from('193\x0020261205 09:30:00 EST\x00', 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** An IBApi whose socket believes it completed the handshake at server version 193: we feed it bytes. */
function offlineClient(): { ib: IBApi; feed: (b: Buffer) => void } {
  const ib = new IBApi({ host: '127.0.0.1', port: 1, clientId: 0 });
  const sock = (ib as unknown as { controller: { socket: Record<string, unknown> & { onData(b: Buffer): void } } }).controller.socket;
  sock.neverReceived = false;
  sock._serverVersion = 193;
  sock.useV100Plus = true;
  return { ib, feed: (b) => sock.onData(b) };
}

function best<T extends { perSec: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.perSec > a.perSec ? b : a));
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const N = quick ? 50_000 : 1_000_000;
  const reps = quick ? 1 : 3;
  const ops = recordOps(N);
  const frames = encodeFrames(ops);
  const { config } = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } });
  const symCfg = { ...config, symbols: [{ symbol: 'SPY', level2: true, basePrice: 590, numRows: 20 }] };
  const results: { name: string; updates_per_s: number; note?: string }[] = [];

  // (a) decoder alone
  const a = best(Array.from({ length: reps }, () => {
    const { ib, feed } = offlineClient();
    let seen = 0;
    ib.on(EventName.updateMktDepthL2, () => void seen++);
    ib.on(EventName.error, () => {});
    const t0 = performance.now();
    for (const c of frames) feed(c);
    const ms = performance.now() - t0;
    if (seen !== ops.n) throw new Error(`decoder delivered ${seen} of ${ops.n} updates`);
    return { perSec: (ops.n / ms) * 1000 };
  }));
  results.push({ name: 'a-stoqey-decoder', updates_per_s: Math.round(a.perSec) });

  // (a2) our decoder alone, behind the same framing guard the engine uses
  const a2 = best(Array.from({ length: reps }, () => {
    let seen = 0;
    const count = () => void seen++;
    const hot = new TwsHotDecoder({ depthL2: count, depth: count, allLast: count, bidAsk: count, midPoint: count, bar: count }, () => 193);
    const guard = new TwsFrameGuard(config.venues.tws.frame);
    guard.push(handshakeFrame());
    const onFrame = (buf: Buffer, start: number, end: number): void => void hot.decode(buf, start, end);
    const t0 = performance.now();
    for (const c of frames) guard.pushFrames(c, 0, onFrame);
    const ms = performance.now() - t0;
    if (seen !== ops.n) throw new Error(`our decoder delivered ${seen} of ${ops.n} updates`);
    return { perSec: (ops.n / ms) * 1000 };
  }));
  results.push({ name: 'a2-own-decoder', updates_per_s: Math.round(a2.perSec) });

  // (b) the engine's TWS path: decoder → TwsSource handlers → BookKeeper → ring
  const b = best(Array.from({ length: reps }, () => {
    const ring = RingBuffer.create({ capacity: 1 << 16, slotSize: 128, readers: [{ mode: 'lossy' }] });
    const clock = MonoClock.start();
    const keeper = new BookKeeper(symCfg, new OutputPort('md', new RingProducer(ring, Doorbell.createArray(1)), 0, clock), clock);
    const src = new TwsSource(symCfg, '127.0.0.1', 1, clock, createLogger({ level: 'silent', pretty: 'never' }));
    const { ib, feed } = offlineClient();
    src.attach(ib, keeper);
    ib.on(EventName.error, () => {});
    const t0 = performance.now();
    for (const c of frames) feed(c);
    keeper.endOfBatch();
    const ms = performance.now() - t0;
    const seen = keeper.stats.depthOps + keeper.stats.ignoredOps;
    if (seen !== ops.n) throw new Error(`engine path saw ${seen} of ${ops.n} updates`);
    if (src.hotCounters.decoded !== ops.n) throw new Error(`our decoder took ${src.hotCounters.decoded} of ${ops.n} frames`);
    return { perSec: (ops.n / ms) * 1000 };
  }));
  results.push({ name: 'b-engine-tws-path', updates_per_s: Math.round(b.perSec) });

  // (d) OrderBook alone, one thread
  const d = best(Array.from({ length: reps * 3 }, () => {
    const book = new OrderBook(20);
    const t0 = performance.now();
    for (let i = 0; i < ops.n; i++) book.apply(ops.pos[i], ops.op[i], ops.side[i], ops.price[i], ops.size[i]);
    const ms = performance.now() - t0;
    return { perSec: (ops.n / ms) * 1000 };
  }));

  // (c) replay path across a ring into a book in another thread
  const c = best(await Promise.all(Array.from({ length: 1 }, async () => {
    const results2: { perSec: number }[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const ring = RingBuffer.create({ capacity: 1 << 14, slotSize: 128, readers: [{ mode: 'lossless', doorbell: 0 }] });
      const bells = Doorbell.createArray(1);
      const w = new Worker(distPath('bench', 'ingestWorker.js'), { workerData: { sab: ring.sab, bells: bells.buffer, total: ops.n, numRows: 20 } });
      await new Promise((r) => w.once('message', r));
      const p = new RingProducer(ring, bells);
      const h = new HeaderFields();
      const done = new Promise<{ ms: number }>((r) => w.once('message', r));
      const t0 = performance.now();
      let batch = 0;
      for (let i = 0; i < ops.n; i++) {
        let off = p.tryClaim();
        if (off < 0) off = p.claim(10_000);
        DepthUpdate.write(p.view, off, h, ops.pos[i], ops.op[i], ops.side[i], ops.price[i], ops.size[i], '', false);
        if (++batch === 64) {
          p.publish();
          batch = 0;
        }
      }
      p.publish();
      await done;
      const ms = performance.now() - t0;
      await w.terminate();
      results2.push({ perSec: (ops.n / ms) * 1000 });
    }
    return best(results2);
  })));
  results.push({ name: 'c-replay-across-ring', updates_per_s: Math.round(c.perSec) });
  results.push({ name: 'd-orderbook-one-thread', updates_per_s: Math.round(d.perSec) });

  // (e) LOBSTER rebuild, when the sample and the converter are present
  try {
    const lob = await import(new URL('./lobsterRate.js', import.meta.url).href);
    const e = await lob.lobsterRebuildRate(quick);
    if (e) results.push({ name: 'e-lobster-rebuild', updates_per_s: Math.round(e.messagesPerSec), note: 'LOBSTER messages/s (ops generation + OrderBook)' });
  } catch {
    /* converter or sample not available */
  }

  const ratios = {
    engine_tws_path_vs_decoder: b.perSec / a.perSec, // target ≥ 0.90 (≥ 1.0 with our own decoder)
    own_decoder_vs_stoqey_decoder: a2.perSec / a.perSec,
    replay_across_ring_vs_orderbook: c.perSec / d.perSec, // target ≥ 0.50
  };
  return { suite: 'ingest', updates: ops.n, repetitions: reps, results, ratios, targets: { engine_tws_path_vs_decoder: 1.0, replay_across_ring_vs_orderbook: 0.5 } };
}
