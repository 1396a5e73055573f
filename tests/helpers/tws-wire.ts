/** Minimal TWS wire helpers for tests: 4-byte big-endian length, NUL-terminated UTF-8 fields. */
export function frame(fields: (string | number)[]): Buffer {
  const body = Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

export function rawFrame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** A tiny seeded PRNG (mulberry32) so fuzz runs are reproducible from the printed seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
