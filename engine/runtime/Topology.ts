import { availableParallelism } from 'node:os';
import { RingBuffer } from '../ring/RingBuffer.js';
import { Doorbell } from '../ring/Doorbell.js';
import { LINE_INTS } from '../ring/RingLayout.js';
import type { EngineConfig } from '../config/schema.js';
import { ControlFlags, HealthTable } from './HealthTable.js';

/** What every worker receives: the same shared memory, addressed by actor index and ring name. */
export interface SharedTopology {
  /** `worker`: the thread an actor runs in; actors sharing one run co-located (see placementOf). */
  actors: { name: string; kind: string; wait: string; worker: string }[];
  rings: { name: string; producer: number; sab: SharedArrayBuffer; readers: number[] }[];
  doorbells: SharedArrayBuffer;
  health: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** The doorbell word of actor `i` (one cache-line block each). */
export const doorbellIndex = (actor: number): number => actor * LINE_INTS;

/**
 * The worker thread each actor runs in. `worker: NAME` groups actors into one thread; `worker: auto:NAME`
 * does so only when the host has fewer cores than the engine has actors that busy-wait (spin-park), i.e.
 * when they cannot each have a core and would otherwise take turns through the OS scheduler. No `worker`:
 * a thread of its own.
 */
export function placementOf(actors: EngineConfig['actors'], cores = availableParallelism()): string[] {
  const spinners = actors.filter((a) => a.wait === 'spin-park').length;
  return actors.map((a) => {
    const w = a.worker;
    if (!w) return a.name;
    if (!w.startsWith('auto:')) return w;
    return cores < spinners + 1 ? w.slice(5) : a.name;
  });
}

/** Allocates every SharedArrayBuffer the configuration's topology needs. Called once, by the supervisor. */
export function buildTopology(config: EngineConfig, cores = availableParallelism()): SharedTopology {
  const workers = placementOf(config.actors, cores);
  const actors = config.actors.map((a, i) => ({ name: a.name, kind: a.kind, wait: a.wait, worker: workers[i] }));
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
