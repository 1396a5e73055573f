import { describe, expect, it } from 'vitest';
import { Doorbell, RingBuffer, RingProducer, RingReader, seqDiff } from '../../engine/ring/index.js';

function setup(capacity: number, modes: ('lossless' | 'lossy')[], initialSequence = 0) {
  const ring = RingBuffer.create({ capacity, slotSize: 64, readers: modes.map((mode) => ({ mode })), initialSequence });
  const bells = Doorbell.createArray(8);
  const p = new RingProducer(ring, bells);
  const readers = modes.map((_, i) => new RingReader(ring, i));
  return { ring, p, readers, bells };
}

function write(p: RingProducer, value: number): boolean {
  const off = p.tryClaim();
  if (off < 0) return false;
  p.view.setFloat64(off, value, true);
  p.view.setFloat64(off + 56, -value, true);
  return true;
}

function readAll(r: RingReader, max = 1 << 20): number[] {
  const got: number[] = [];
  r.poll((v, off) => {
    const a = v.getFloat64(off, true);
    if (v.getFloat64(off + 56, true) !== -a) throw new Error('torn slot');
    got.push(a);
  }, max);
  return got;
}

describe('RingBuffer geometry', () => {
  it('rejects a capacity that is not a power of two and a bad slot size', () => {
    expect(() => RingBuffer.create({ capacity: 6, slotSize: 64, readers: [{ mode: 'lossless' }] })).toThrow(/power of two/);
    expect(() => RingBuffer.create({ capacity: 8, slotSize: 60, readers: [{ mode: 'lossless' }] })).toThrow(/multiple of 8/);
    expect(() => RingBuffer.create({ capacity: 8, slotSize: 64, readers: [] })).toThrow(/readers/);
  });
});

describe('lossless ring', () => {
  it('is empty at start, then full after capacity claims, and frees slots as the reader advances', () => {
    const { p, readers } = setup(8, ['lossless']);
    expect(readers[0].available()).toBe(0);
    expect(readAll(readers[0])).toEqual([]);
    for (let i = 0; i < 8; i++) expect(write(p, i)).toBe(true);
    expect(write(p, 99)).toBe(false); // full: the reader has not read anything
    p.publish();
    expect(readers[0].available()).toBe(8);
    expect(readAll(readers[0], 3)).toEqual([0, 1, 2]);
    for (let i = 8; i < 11; i++) expect(write(p, i)).toBe(true);
    expect(write(p, 99)).toBe(false);
    p.publish();
    expect(readAll(readers[0])).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(readers[0].available()).toBe(0);
  });

  it('claimed slots are invisible until publish', () => {
    const { p, readers } = setup(8, ['lossless']);
    write(p, 1);
    write(p, 2);
    expect(readers[0].available()).toBe(0);
    expect(p.pending).toBe(2);
    p.publish();
    expect(readAll(readers[0])).toEqual([1, 2]);
  });

  it('the slowest lossless reader gates the producer; a lossy reader does not', () => {
    const { p, readers } = setup(4, ['lossless', 'lossless', 'lossy']);
    for (let i = 0; i < 4; i++) write(p, i);
    p.publish();
    readAll(readers[0]);
    expect(write(p, 4)).toBe(false); // reader 1 still holds every slot
    readAll(readers[1]);
    expect(write(p, 4)).toBe(true);
    p.publish();
    // the lossy reader never held the producer back, so it was lapped by one message
    expect(readAll(readers[2])).toEqual([1, 2, 3, 4]);
    expect(readers[2].lost).toBe(1);
  });

  it('crosses the int32 sequence wrap without losing order', () => {
    const start = 2 ** 31 - 5; // wraps to negative after 5 messages
    const { p, readers, ring } = setup(8, ['lossless', 'lossy'], start | 0);
    const all: number[] = [];
    const allLossy: number[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 5; i++) expect(write(p, round * 5 + i)).toBe(true);
      p.publish();
      all.push(...readAll(readers[0]));
      allLossy.push(...readAll(readers[1]));
    }
    expect(all).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(allLossy).toEqual(all);
    expect(seqDiff(ring.header[0], start | 0)).toBe(50);
    expect(ring.header[0]).toBeLessThan(0); // really wrapped
  });
});

describe('lossy ring', () => {
  it('a lapped reader skips to the oldest intact slot and counts exactly what it lost', () => {
    const { p, readers } = setup(8, ['lossy']);
    for (let i = 0; i < 20; i++) expect(write(p, i)).toBe(true); // never blocks: no lossless reader
    p.publish();
    expect(readers[0].available()).toBe(20);
    expect(readAll(readers[0])).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    expect(readers[0].lost).toBe(12);
    expect(readers[0].ring.stats().readers[0].overruns).toBe(12);
  });

  it('a slot overwritten between publish and read is counted, never delivered', () => {
    const { p, readers } = setup(4, ['lossy']);
    for (let i = 0; i < 4; i++) write(p, i);
    p.publish();
    // Claim (but do not publish) two more: their stamps change, so slots 0 and 1 are no longer intact.
    write(p, 4);
    write(p, 5);
    expect(readAll(readers[0])).toEqual([2, 3]);
    expect(readers[0].lost).toBe(2);
  });
});

describe('promises a ring keeps across a reader that dies and a full ring', () => {
  it('a lossless reader that dies mid-batch is followed by one that starts at the first unhandled message', () => {
    const { ring, p } = setup(16, ['lossless']);
    for (let i = 0; i < 10; i++) write(p, i);
    p.publish();
    const first = new RingReader(ring, 0);
    const handled: number[] = [];
    // the thread "dies" inside the handler of message 4: nothing after it runs
    expect(() => first.poll((v, off) => {
      const x = v.getFloat64(off, true);
      if (x === 4) throw new Error('worker terminated');
      handled.push(x);
    })).toThrow('worker terminated');
    expect(handled).toEqual([0, 1, 2, 3]);
    const restarted = new RingReader(ring, 0);
    expect(readAll(restarted)).toEqual([4, 5, 6, 7, 8, 9]); // 0–3 are never delivered twice
  });

  it('whenFull block: the producer waits for the lossless reader, then drops and counts after the timeout', async () => {
    const { OutputPort } = await import('../../engine/runtime/OutputPort.js');
    const { MonoClock } = await import('../../engine/runtime/MonoClock.js');
    const { ring, p, readers } = setup(4, ['lossless']);
    const port = new OutputPort('t', p, 0, MonoClock.start(), { policy: 'block', timeoutMs: 20 });
    for (let i = 0; i < 4; i++) expect(port.claim()).toBeGreaterThanOrEqual(0);
    port.publish();
    // full: nobody reads, so the blocking claim gives up after its timeout, counted as a drop
    expect(port.claim()).toBe(-1);
    expect([port.dropped, ring.stats().dropped]).toEqual([1, 1]);
    readers[0].poll(() => {}, 1);
    expect(port.claim()).toBeGreaterThanOrEqual(0); // one slot freed: claimed without dropping
    expect(port.dropped).toBe(1);
    const drop = new OutputPort('d', new RingProducer(RingBuffer.create({ capacity: 4, slotSize: 64, readers: [{ mode: 'lossless' }] }), Doorbell.createArray(1)), 0, MonoClock.start());
    for (let i = 0; i < 4; i++) drop.claim();
    drop.publish();
    expect(drop.claim()).toBe(-1); // the default policy drops at once
    expect(drop.dropped).toBe(1);
  });

  it('a blocking ring whose lossless reader shares the producer\'s thread drops instead (it could only time out)', async () => {
    const { buildTopology } = await import('../../engine/runtime/Topology.js');
    const { loadConfig } = await import('../../engine/config/loadConfig.js');
    const { config } = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } });
    const apart = buildTopology(config, 8);
    expect(apart.rings.find((r) => r.name === 'signals-out')!.whenFull).toEqual({ policy: 'block', timeoutMs: 250 });
    const together = { ...config, actors: config.actors.map((a) => (a.name === 'execution' || a.name === 'signals' ? { ...a, worker: 'one' } : a)) };
    expect(buildTopology(together, 8).rings.find((r) => r.name === 'signals-out')!.whenFull.policy).toBe('drop');
  });
});
