import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Doorbell, RingBuffer } from '../../engine/ring/index.js';
import { LINE_INTS } from '../../engine/ring/RingLayout.js';

const WORKER = new URL('../fixtures/ring-worker.mjs', import.meta.url);

function run(data: Record<string, unknown>): { worker: Worker; result: Promise<any> } {
  const worker = new Worker(WORKER, { workerData: data });
  const result = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, result };
}

describe('ring across real worker threads', () => {
  it('lossless: 10 M messages to two readers in other threads, none lost, duplicated, reordered or torn', async () => {
    const count = 10_000_000;
    const ring = RingBuffer.create({
      capacity: 4096, slotSize: 64, initialSequence: 2 ** 31 - 1_000_000, // crosses the wrap mid-run
      readers: [{ mode: 'lossless', doorbell: 0 }, { mode: 'lossless', doorbell: LINE_INTS }],
    });
    const bells = Doorbell.createArray(2).buffer;
    const readers = [0, 1].map((i) => run({ role: 'reader', sab: ring.sab, bells, readerIndex: i, count, doorbell: i * LINE_INTS }));
    const producer = run({ role: 'producer', sab: ring.sab, bells, count });
    await producer.result;
    const results = await Promise.all(readers.map((r) => r.result));
    for (const res of results) {
      expect(res).toMatchObject({ received: count, gaps: 0, torn: 0, outOfOrder: 0, duplicates: 0, lost: 0, last: count - 1 });
    }
  });

  it('lossy: a slow reader is overrun, detects it, counts the gap exactly, and never sees a torn slot', async () => {
    const count = 2_000_000;
    const seed = 20261124;
    console.log(`lossy stress seed ${seed}`);
    const ring = RingBuffer.create({
      capacity: 256, slotSize: 128,
      readers: [{ mode: 'lossless', doorbell: 0 }, { mode: 'lossy', doorbell: LINE_INTS }],
    });
    const bells = Doorbell.createArray(2).buffer;
    const producerDone = new Int32Array(new SharedArrayBuffer(4));
    const fast = run({ role: 'reader', sab: ring.sab, bells, readerIndex: 0, count, doorbell: 0 });
    const slow = run({ role: 'reader', sab: ring.sab, bells, readerIndex: 1, count, doorbell: LINE_INTS, slowEvery: 50, seed, producerDone });
    const producer = run({ role: 'producer', sab: ring.sab, bells, count });
    await producer.result;
    Atomics.store(producerDone, 0, 1);
    const [f, s] = await Promise.all([fast.result, slow.result]);
    expect(f).toMatchObject({ received: count, gaps: 0, torn: 0, lost: 0 });
    expect(s.torn).toBe(0);
    expect(s.outOfOrder).toBe(0);
    expect(s.duplicates).toBe(0);
    expect(s.lost).toBeGreaterThan(0); // it really was overrun
    expect(s.gaps).toBe(s.lost); // every missing message is accounted for
    expect(s.received + s.lost).toBe(s.last + 1);
    expect(ring.stats().readers[1].overruns).toBe(s.lost);
  });
});
