import { FLOAT32_OPTIONS, Packr } from 'msgpackr';

/**
 * The feed's encoding: every server frame is one binary WebSocket message holding a msgpack array
 * `[topic, kind, data]`. msgpack rather than a hand-made binary layout because the panels' data is
 * heterogeneous and changes shape as the engine grows (book ladders, GEX profiles, health tables,
 * whatever a strategy publishes as positions), and rather than JSON because it is about a quarter smaller
 * on these frames and needs no text decoding. Floats go as 32-bit when all their significant digits fit
 * (msgpackr's DECIMAL_FIT; the page decodes with the same option), so a price costs 5 bytes, not 9, and
 * still reads back exactly. The page decodes with msgpackr's own unpacker, served from node_modules.
 *
 * Client → server messages are small JSON texts: `{"op":"sub","topics":[...]}` / `{"op":"unsub",...}`.
 */
export const FrameKind = {
  /** the whole state of a topic: on subscribe, and after a client was skipped for being slow */
  Full: 0,
  /** what changed since the previous delta of that topic (histories: only the new points) */
  Delta: 1,
  /** sent once when the socket opens: symbols, topics, rate, mode */
  Hello: 2,
} as const;

export const WIRE_OPTIONS = { useRecords: false, useFloat32: FLOAT32_OPTIONS.DECIMAL_FIT } as const;

const packr = new Packr(WIRE_OPTIONS);

/** One frame (msgpackr packs into fresh regions of its buffer, so an earlier frame stays intact and may be cached). */
export function encodeFrame(topic: string, kind: number, data: unknown): Uint8Array {
  return packr.pack([topic, kind, data]);
}

/** Most topics a client may hold at once (every panel of every symbol is far fewer in the default). */
export const MAX_TOPICS_PER_CLIENT = 256;
/** Largest client message accepted; uWS closes a socket that sends more. */
export const MAX_CLIENT_MESSAGE = 8 * 1024;
