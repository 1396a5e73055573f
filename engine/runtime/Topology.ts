import { RingBuffer } from '../ring/RingBuffer.js';
import { Doorbell } from '../ring/Doorbell.js';
import { LINE_INTS } from '../ring/RingLayout.js';
import type { EngineConfig } from '../config/schema.js';
import { ControlFlags, HealthTable } from './HealthTable.js';

/** What every worker receives: the same shared memory, addressed by actor index and ring name. */
export interface SharedTopology {
  actors: { name: string; kind: string; wait: string }[];
  rings: { name: string; producer: number; sab: SharedArrayBuffer; readers: number[] }[];
  doorbells: SharedArrayBuffer;
  health: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** The doorbell word of actor `i` (one cache-line block each). */
export const doorbellIndex = (actor: number): number => actor * LINE_INTS;

/** Allocates every SharedArrayBuffer the configuration's topology needs. Called once, by the supervisor. */
export function buildTopology(config: EngineConfig): SharedTopology {
  const actors = config.actors.map((a) => ({ name: a.name, kind: a.kind, wait: a.wait }));
  const index = new Map(actors.map((a, i) => [a.name, i]));
  const doorbells = Doorbell.createArray(actors.length);
  const rings = config.rings.map((r) => {
    const readers = r.readers.map((rd) => index.get(rd.actor)!);
    const ring = RingBuffer.create({
      capacity: r.capacity,
      slotSize: r.slotSize,
      readers: r.readers.map((rd, j) => ({ mode: rd.mode, doorbell: doorbellIndex(readers[j]) })),
    });
    return { name: r.name, producer: index.get(r.producer)!, sab: ring.sab, readers };
  });
  return {
    actors,
    rings,
    doorbells: doorbells.buffer as SharedArrayBuffer,
    health: HealthTable.create(actors.length).sab,
    control: ControlFlags.create().sab,
  };
}
