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
  /** whenFull: what the producer does when a lossless reader is a whole ring behind (see OutputPort.claim). */
  rings: { name: string; producer: number; sab: SharedArrayBuffer; readers: number[]; whenFull: { policy: 'drop' | 'block'; timeoutMs: number } }[];
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
  const small = smallHost(actors, cores);
  return actors.map((a) => {
    const w = a.worker;
    if (!w) return a.name;
    if (!w.startsWith('auto:')) return w;
    return small ? w.slice(5) : a.name;
  });
}

/** Fewer cores than busy-waiting actors plus one: `auto:` placements share threads (and isolates). */
export function smallHost(actors: EngineConfig['actors'], cores = availableParallelism()): boolean {
  return cores < actors.filter((a) => a.wait === 'spin-park').length + 1;
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
    // Blocking for a lossless reader on the producer's own thread could only time out (it cannot read while
    // the producer waits): such a ring drops instead, whatever placement made them neighbours.
    const producer = index.get(r.producer)!;
    const sameThread = r.readers.some((rd, j) => rd.mode === 'lossless' && actors[readers[j]!]!.worker === actors[producer]!.worker);
    const whenFull = r.whenFull && !(r.whenFull.policy === 'block' && sameThread) ? r.whenFull : { policy: 'drop' as const, timeoutMs: 0 };
    return { name: r.name, producer, sab: ring.sab, readers, whenFull };
  });
  return {
    actors,
    rings,
    doorbells: doorbells.buffer as SharedArrayBuffer,
    health: HealthTable.create(actors.length).sab,
    control: ControlFlags.create().sab,
  };
}
