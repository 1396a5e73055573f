import { Packr } from 'msgpackr';

/**
 * Cold-path messages (commands, configuration, snapshots, keys for the publisher) travel between threads
 * through the supervisor as msgpack bytes: the supervisor routes on `to`/`topic` without decoding `data`.
 */
export interface ColdEnvelope {
  t: 'cold';
  from: string;
  to: string; // actor name, or 'supervisor'
  topic: string;
  data: Uint8Array;
  /** set by the supervisor on messages to a worker shared by several actors: the one actor it is for */
  actor?: string;
  /** a publish's keys, so the supervisor mirrors it only to the actors that read one of them (without decoding `data`) */
  keys?: string[];
}

/** Control messages from the supervisor to a worker (plain structured clone: tiny and rare). */
export type SupervisorCommand = ({ t: 'stop'; deadlineMs: number } | { t: 'fault'; kind: 'crash' | 'hang' | 'throw-async'; ms?: number }) & { actor?: string };

/** What a worker tells the supervisor outside the rings. */
export type WorkerReport = { t: 'ready' } | { t: 'stopped' } | ColdEnvelope;

// Records: an object's keys are written once per shape and message, not once per object. A chain of 3,600
// contracts decodes in ~1 ms instead of ~3 ms and is 40 % smaller (decision 128); each message still carries
// its own record definitions, so any decoder reads it alone. `mapsAsObjects`: a msgpack map (an older
// recording, a JS Map) still decodes to a plain object, as it did before records (msgpackr's default with
// records on is a Map).
export const COLD_PACK_OPTIONS = { useRecords: true, mapsAsObjects: true, moreTypes: true } as const;
const packr = new Packr(COLD_PACK_OPTIONS);
// Records cost more than they save on a small message of one-off shapes: a signal's record (~550 bytes, four
// nested shapes) packed in 26–52 µs on the hot thread with them and 14–22 µs without (decision 147). The same
// unpacker reads both (a plain msgpack map decodes to an object).
const plainPackr = new Packr({ ...COLD_PACK_OPTIONS, useRecords: false });
/**
 * The message's own bytes. msgpackr packs into a shared buffer it reuses (8 KB, growing to the largest message
 * packed, 128 KB+ after a chain) and returns a view into it; postMessage clones a view's whole ArrayBuffer, so a
 * 7-byte message crossed each thread boundary (sender → supervisor → target) as that whole buffer: three
 * allocations and copies of it per cold message. Copying the bytes out costs one small copy.
 */
export const packCold = (v: unknown, records = true): Uint8Array => {
  const b = (records ? packr : plainPackr).pack(v);
  return b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b);
};
export const unpackCold = (b: Uint8Array): unknown => packr.unpack(b);

/** Publisher request carried on the cold path: one key with its JSON value and TTL. */
export interface PublishRequest {
  key: string;
  value: unknown; // JSON-serialisable; strings are stored as they are
  ttlMs: number; // 0 = no expiry
}

/** Publisher request: append one entry to a Redis Stream (durable records: signals, orders, fills, audit). */
export interface StreamAppend {
  stream: string;
  fields: Record<string, string | number>;
  maxLen?: number; // approximate cap (XADD MAXLEN ~)
}
