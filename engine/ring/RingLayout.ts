/**
 * Shared-memory layout of a ring. Everything is addressed through one Int32Array over the header
 * (`h`), one Int32Array of per-slot stamps and the slot bytes.
 *
 * Each cursor sits alone on a 128-byte block: x86 prefetches cache lines in adjacent pairs, so 64 bytes
 * is not enough to stop a producer and a reader from invalidating each other's line (false sharing).
 */
export const LINE_INTS = 32; // 128 bytes
export const MAGIC = 0x52494e47; // 'RING'
export const MAX_READERS = 8;

// Line 0: producer cursor and immutable geometry (read-mostly).
export const PRODUCER_CURSOR = 0; // next sequence to be published (everything before it is readable)
// Every sequence below it may have been claimed (and its slot written). Announced a chunk ahead, once per
// chunk of claims: a lossy reader that copied the slot of `seq` and then sees PRODUCER_CLAIM − seq ≤
// capacity knows no later lap touched it. One atomic store per chunk instead of a per-slot stamp (a
// seq-cst store per message, which cost 2.5× the streaming rate).
export const PRODUCER_CLAIM = 1;

// Line 1: immutable geometry, kept off the producer cursor's line so readers polling it never miss.
export const G = LINE_INTS;
export const G_MAGIC = G + 0;
export const G_CAPACITY = G + 1;
export const G_SLOT_SIZE = G + 2;
export const G_READERS = G + 3;
export const G_INITIAL_SEQ = G + 4;

// Line 2: the producer parks here when a lossless reader holds it back; readers wake it.
export const P = 2 * LINE_INTS;
export const P_WAITING = P + 0;
export const P_FULL_EVENTS = P + 1; // times the producer found the ring full (back-pressure events)
export const P_DROPPED = P + 2; // messages a producer gave up on after its full-ring timeout

// Two lines per reader from line 3: the first holds what the reader writes as it reads (its cursor and
// counters), the second what the producer reads on every publish (the parked flag). Sharing one line made
// every publish pull the line the reader had just written (measured: spinning round trip 1.69 → 1.30 µs).
export const R0 = 3 * LINE_INTS;
export const READER_INTS = 2 * LINE_INTS;
export const R_CURSOR = 0; // next sequence this reader will read
export const R_MODE = 1; // 1 lossless (gates the producer), 0 lossy (may be overrun)
export const R_PARKED = LINE_INTS; // 1 while the reader is parked: the producer must ring its doorbell (own line)
export const R_DOORBELL = 3; // index into the doorbell Int32Array of the reader's actor
export const R_OVERRUNS = 4; // messages this (lossy) reader lost to overrun, summed
export const R_OVERRUN_EVENTS = 5; // times an overrun was detected
export const R_ACTIVE = 6; // 1 when a reader is attached (an absent lossless reader would block forever)
export const R_TORN = 7; // slots the producer's claims lapped while being copied (counted inside overruns too)

export const HEADER_INTS = R0 + MAX_READERS * READER_INTS;
export const HEADER_BYTES = HEADER_INTS * 4;

export function readerBase(i: number): number {
  return R0 + i * READER_INTS;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** The slot area starts right after the header, on a 128-byte boundary. */
export const SLOTS_OFFSET = Math.ceil(HEADER_BYTES / 128) * 128;

export function totalBytes(capacity: number, slotSize: number): number {
  return SLOTS_OFFSET + capacity * slotSize;
}
