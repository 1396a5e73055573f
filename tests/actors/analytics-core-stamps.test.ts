import { describe, expect, it } from 'vitest';
import { AnalyticsCore } from '../../actors/analytics/AnalyticsCore.js';
import { msgDequeueNs, msgEnqueueNs, msgIngestNs, msgType } from '../../engine/codec/Header.js';
import { BookTop, Trade } from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import { Doorbell, RingBuffer, RingProducer, RingReader } from '../../engine/ring/index.js';
import { MonoClock } from '../../engine/runtime/MonoClock.js';
import { OutputPort } from '../../engine/runtime/OutputPort.js';
import { supervisorTestConfig } from '../helpers/supervisor.js';

const ring = () => {
  const r = RingBuffer.create({ capacity: 64, slotSize: 128, readers: [{ mode: 'lossless' }] });
  return { reader: new RingReader(r, 0), producer: new RingProducer(r, Doorbell.createArray(1)) };
};

/**
 * The analytics core reads the dequeue time itself, for the messages that write a snapshot (a double passed
 * into every call was a heap allocation per message): a snapshot's header still orders ingest ≤ dequeue ≤
 * enqueue on the engine clock, and a trade (no snapshot) leaves nothing on the ring.
 */
describe('AnalyticsCore stamps its snapshots', () => {
  it('dequeue is read when the book top is taken, between its ingest and the snapshot', () => {
    const cfg = supervisorTestConfig();
    const names = cfg.symbols.map((s) => s.symbol);
    const mono = MonoClock.start();
    const input = ring();
    const output = ring();
    const inPort = new OutputPort('market-data', input.producer, 0, mono);
    const core = new AnalyticsCore(cfg, names, new OutputPort('analytics-out', output.producer, 1, mono));
    const ingest = mono.nowNs();
    let off = inPort.claim();
    Trade.write(inPort.view, off, inPort.stamp(0, 1e15, ingest, ingest), 100, 10, 1, 0);
    off = inPort.claim();
    BookTop.write(inPort.view, off, inPort.stamp(0, 1e15, ingest, ingest), 99.9, 100.1, 5, 7, 100, 0.1, 100, 10);
    inPort.publish();
    let before = 0;
    let after = 0;
    input.reader.poll((v, o) => {
      if (msgType(v, o) === MessageType.BookTop) before = mono.nowNs();
      expect(core.onMessage(v, o)).toBe(true);
      if (msgType(v, o) === MessageType.BookTop) after = mono.nowNs();
    });
    core.flush();
    const got: { type: number; ingest: number; dequeue: number; enqueue: number }[] = [];
    output.reader.poll((v, o) => void got.push({ type: msgType(v, o), ingest: msgIngestNs(v, o), dequeue: msgDequeueNs(v, o), enqueue: msgEnqueueNs(v, o) }));
    expect(got.map((g) => g.type)).toEqual([MessageType.AnalyticsSnapshot]); // the trade wrote none
    const s = got[0]!;
    expect(s.ingest).toBe(ingest);
    expect(s.dequeue).toBeGreaterThanOrEqual(before);
    expect(s.dequeue).toBeLessThanOrEqual(s.enqueue);
    expect(s.enqueue).toBeLessThanOrEqual(after);
  });
});
