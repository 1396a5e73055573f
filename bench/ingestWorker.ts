/** Consumer thread of the ingest benchmark's ring path: applies DepthUpdate messages to an OrderBook. */
import { parentPort, workerData } from 'node:worker_threads';
import { OrderBook } from '../analytics/order-book.js';
import { DepthUpdate } from '../engine/codec/Messages.js';
import { Doorbell, RingBuffer, RingReader, WaitStrategy } from '../engine/ring/index.js';

const { sab, bells, total, numRows } = workerData as { sab: SharedArrayBuffer; bells: SharedArrayBuffer; total: number; numRows: number };
const reader = new RingReader(new RingBuffer(sab), 0);
const wait = new WaitStrategy({ kind: 'spin-park', spinPolls: 20_000, parkTimeoutMs: 5 }, new Doorbell(new Int32Array(bells), 0), [reader]);
const book = new OrderBook(numRows);
let n = 0;
const handler = (v: DataView, off: number) => {
  book.apply(DepthUpdate.position(v, off), DepthUpdate.operation(v, off), DepthUpdate.side(v, off), DepthUpdate.price(v, off), DepthUpdate.size(v, off));
};
parentPort!.postMessage('ready');
const t0 = performance.now();
while (n < total) {
  const got = reader.poll(handler, 4096);
  n += got;
  wait.idleSync(got);
}
parentPort!.postMessage({ ms: performance.now() - t0, applied: book.applied, bid: book.length(1) ? book.price(1, 0) : null });
