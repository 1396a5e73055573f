import { describe, expect, it } from 'vitest';
import { Doorbell, RingBuffer, RingProducer, RingReader } from '../../engine/ring/index.js';
import { WaitStrategy, type WaitStrategySpec } from '../../engine/ring/WaitStrategy.js';
import { coLocatedWait, waitSpecFor } from '../../engine/runtime/ActorRunner.js';

/**
 * A conflating reader (`sleep`) must cost the producer nothing: it never flags itself parked, so the
 * producer never rings its doorbell, and it still reads every message. A parking reader, for contrast, is
 * rung — which is what shows the check can fail.
 */
async function run(spec: WaitStrategySpec): Promise<{ rings: number; got: number[] }> {
  const ring = RingBuffer.create({ capacity: 1024, slotSize: 64, readers: [{ mode: 'lossy' }] });
  const bells = Doorbell.createArray(1);
  const producer = new RingProducer(ring, bells);
  const reader = new RingReader(ring, 0);
  const bell = new Doorbell(bells, ring.doorbellOf(0));
  const wait = new WaitStrategy(spec, bell, [reader]);
  const before = Atomics.load(bells, bell.index);
  const got: number[] = [];
  // Ten batches, each published while the reader is idle in its strategy.
  for (let batch = 0; batch < 10; batch++) {
    const idle = wait.idleAsync(0);
    expect(idle).toBeInstanceOf(Promise);
    for (let i = 0; i < 5; i++) {
      const off = producer.tryClaim();
      producer.view.setFloat64(off, batch * 5 + i, true);
    }
    producer.publish();
    await idle;
    reader.poll((v, off) => void got.push(v.getFloat64(off, true)), 1 << 10);
  }
  return { rings: Atomics.load(bells, bell.index) - before, got };
}

describe('WaitStrategy', () => {
  it('sleep: the producer never rings a sleeping reader, and it reads every message', async () => {
    const { rings, got } = await run({ kind: 'sleep', spinPolls: 0, parkTimeoutMs: 1 });
    expect(rings).toBe(0);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('co-located (a placement group), a sleep reader still sleeps: the producer never rings it (decision 131)', async () => {
    expect(coLocatedWait('sleep')).toBe('sleep');
    const { rings, got } = await run(waitSpecFor(coLocatedWait('sleep')));
    expect(rings).toBe(0);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('co-located, no wait blocks the shared thread: spin-park and park become the event-loop wait', () => {
    for (const w of ['spin-park', 'park', 'async', 'sleep']) expect(waitSpecFor(coLocatedWait(w)).blocking, w).toBe(false);
    expect(coLocatedWait('spin-park')).toBe('async');
    expect(coLocatedWait('park')).toBe('async');
  });

  it('park: a parked reader is rung by the producer (the contrast that makes the check above mean something)', async () => {
    const { rings, got } = await run({ kind: 'park', spinPolls: 0, parkTimeoutMs: 1000 });
    expect(rings).toBeGreaterThan(0);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('sleep is for event-loop actors only: the blocking form refuses it', () => {
    const ring = RingBuffer.create({ capacity: 8, slotSize: 64, readers: [{ mode: 'lossy' }] });
    const bells = Doorbell.createArray(1);
    const w = new WaitStrategy({ kind: 'sleep', spinPolls: 0, parkTimeoutMs: 1 }, new Doorbell(bells, 0), [new RingReader(ring, 0)]);
    expect(() => w.idleSync(0)).toThrow(/event loop/);
  });
});
