/**
 * Every hot message starts with this 48-byte header (little-endian, fixed offsets):
 *
 *   0 u8  type          4 u16 symbolId        16 f64 eventNs   (epoch ns of the market event; ~256 ns precision)
 *   1 u8  version       6 u16 reserved        24 f64 ingestNs  (engine clock: when the originating bytes arrived)
 *   2 u8  source actor  8 u32 sequence        32 f64 dequeueNs (engine clock: when the producer dequeued its input)
 *   3 u8  flags        12 u32 reserved        40 f64 enqueueNs (engine clock: when this message was enqueued)
 *
 * ingestNs is copied unchanged along the pipeline, so any stage can measure tick-to-here latency, and the
 * dequeue/enqueue pair gives the time spent inside each actor without changing the code under test.
 */
export const H_TYPE = 0;
export const H_VERSION = 1;
export const H_SOURCE = 2;
export const H_FLAGS = 3;
export const H_SYMBOL = 4;
export const H_SEQ = 8;
export const H_EVENT_NS = 16;
export const H_INGEST_NS = 24;
export const H_DEQUEUE_NS = 32;
export const H_ENQUEUE_NS = 40;
export const HEADER_SIZE = 48;

/** Mutable header fields a producer reuses for every message it writes (no allocation per message). */
export class HeaderFields {
  source = 0;
  symbolId = 0;
  flags = 0;
  seq = 0;
  eventNs = 0;
  ingestNs = 0;
  dequeueNs = 0;
  enqueueNs = 0;
}

export function writeHeader(dv: DataView, off: number, type: number, version: number, h: HeaderFields): void {
  dv.setUint8(off + H_TYPE, type);
  dv.setUint8(off + H_VERSION, version);
  dv.setUint8(off + H_SOURCE, h.source);
  dv.setUint8(off + H_FLAGS, h.flags);
  dv.setUint16(off + H_SYMBOL, h.symbolId, true);
  dv.setUint16(off + 6, 0, true);
  dv.setUint32(off + H_SEQ, h.seq >>> 0, true);
  dv.setUint32(off + 12, 0, true);
  dv.setFloat64(off + H_EVENT_NS, h.eventNs, true);
  dv.setFloat64(off + H_INGEST_NS, h.ingestNs, true);
  dv.setFloat64(off + H_DEQUEUE_NS, h.dequeueNs, true);
  dv.setFloat64(off + H_ENQUEUE_NS, h.enqueueNs, true);
}

export function readHeader(dv: DataView, off: number, out: HeaderFields): number {
  out.source = dv.getUint8(off + H_SOURCE);
  out.flags = dv.getUint8(off + H_FLAGS);
  out.symbolId = dv.getUint16(off + H_SYMBOL, true);
  out.seq = dv.getUint32(off + H_SEQ, true);
  out.eventNs = dv.getFloat64(off + H_EVENT_NS, true);
  out.ingestNs = dv.getFloat64(off + H_INGEST_NS, true);
  out.dequeueNs = dv.getFloat64(off + H_DEQUEUE_NS, true);
  out.enqueueNs = dv.getFloat64(off + H_ENQUEUE_NS, true);
  return dv.getUint8(off + H_TYPE);
}

export const msgType = (dv: DataView, off: number): number => dv.getUint8(off + H_TYPE);
export const msgVersion = (dv: DataView, off: number): number => dv.getUint8(off + H_VERSION);
export const msgSymbol = (dv: DataView, off: number): number => dv.getUint16(off + H_SYMBOL, true);
export const msgFlags = (dv: DataView, off: number): number => dv.getUint8(off + H_FLAGS);
export const msgIngestNs = (dv: DataView, off: number): number => dv.getFloat64(off + H_INGEST_NS, true);
export const msgEventNs = (dv: DataView, off: number): number => dv.getFloat64(off + H_EVENT_NS, true);
export const msgEnqueueNs = (dv: DataView, off: number): number => dv.getFloat64(off + H_ENQUEUE_NS, true);
export const msgDequeueNs = (dv: DataView, off: number): number => dv.getFloat64(off + H_DEQUEUE_NS, true);
