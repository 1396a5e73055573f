/**
 * Entry point of every actor worker thread: rebuilds each actor's context from workerData, loads the actor's
 * module from dist/actors/<kind>/actor.js, and hands it to a runner. A thread usually holds one actor; a
 * placement group (`worker:` in the configuration) puts several in one thread, each with its own rings,
 * cursors, health record and runner. Co-located actors must share the event loop, so their waits are the
 * event-loop kinds ('async', 'sleep', or 'inline' for those fed only by their group, which run inline): a
 * blocking park would starve the others.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { workerData } from 'node:worker_threads';
import type { EngineConfig } from '../config/schema.js';
import { createLogger } from '../log/logger.js';
import type { ActorFactory } from './Actor.js';
import { ActorContext, type RuntimeInfo } from './ActorContext.js';
import { ActorRunner, coLocatedWait } from './ActorRunner.js';
import { ActorState, HEALTH_FIELDS, HealthTable } from './HealthTable.js';
import { groupNice, setThreadNice } from './ThreadNice.js';
import { threadCpu } from './ThreadStat.js';
import type { SharedTopology } from './Topology.js';

export interface ActorWorkerData {
  config: EngineConfig;
  topology: SharedTopology;
  actorIndex: number;
  /** every actor of this thread (placement group); absent = just actorIndex */
  actorIndices?: number[];
  clockOrigin: string;
  runtime: RuntimeInfo;
  generation: number;
}

const wd = workerData as ActorWorkerData;
const members = wd.actorIndices?.length ? wd.actorIndices : [wd.actorIndex];
if (members.length > 1) for (const i of members) wd.topology.actors[i].wait = coLocatedWait(wd.topology.actors[i].wait);

const health = new HealthTable(wd.topology.health);
// The thread's scheduling priority (actors[].nice): set before any actor runs, refused with the reason
// (logged and counted in the members' errors), never fatal.
const nice = groupNice(members.map((i) => wd.config.actors.find((a) => a.name === wd.topology.actors[i].name) ?? {}));
const niceRefused = nice !== 0 ? setThreadNice(nice) : undefined;
// Event-loop delay of this thread (libuv timer histogram: no extra timers of ours), reported as the p99 of each second.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let lastLoopSampleMs = Date.now();
const sampleCpu = () => {
  const c = threadCpu();
  const now = Date.now();
  const heap = now - lastLoopSampleMs >= 1000 ? getHeapStatistics() : undefined;
  for (const i of members) {
    if (c) {
      health.set(i, HEALTH_FIELDS.cpuUserMs, c[0]);
      health.set(i, HEALTH_FIELDS.cpuSystemMs, c[1]);
    }
    if (heap) {
      health.set(i, HEALTH_FIELDS.heapUsedMb, heap.used_heap_size / 1048576);
      health.set(i, HEALTH_FIELDS.heapTotalMb, heap.total_heap_size / 1048576);
      health.set(i, HEALTH_FIELDS.externalMb, heap.external_memory / 1048576);
      health.set(i, HEALTH_FIELDS.loopLagMs, loopDelay.count > 0 ? loopDelay.percentile(99) / 1e6 : 0);
    }
  }
  if (heap) {
    loopDelay.reset();
    lastLoopSampleMs = now;
  }
};
sampleCpu();
setInterval(sampleCpu, 250).unref();

const group = await Promise.all(members.map(async (index) => {
  const me = wd.topology.actors[index];
  const log = createLogger(wd.config.logging, { actor: me.name, gen: wd.generation });
  const ctx = new ActorContext(wd.config, wd.topology, index, BigInt(wd.clockOrigin), wd.runtime, log);
  const mod = (await import(`../../actors/${me.kind}/actor.js`)) as { default: ActorFactory };
  if (niceRefused) {
    log.warn({ nice, reason: niceRefused }, 'thread priority not applied');
    ctx.countError();
  }
  return { index, ctx, runner: new ActorRunner(ctx, mod.default) };
}));
if (group.length > 1) {
  // Co-located actors run downstream of each other inline: a member's publish runs the members reading that
  // ring at once (ActorRunner.pump). A member fed only by its group needs no doorbell: its own loop polls
  // every 20 ms as a safety net ('inline'), so its producers never notify it.
  for (const a of group) {
    for (const [ring, port] of a.ctx.outputs) {
      for (const b of group) if (b !== a && b.ctx.inputs.some((i) => i.ring === ring)) port.addDownstream(() => b.runner.pump());
    }
  }
  for (const b of group) {
    const fedByGroup = b.ctx.inputs.length > 0 && b.ctx.inputs.every((i) => group.some((a) => a !== b && a.ctx.outputs.has(i.ring)));
    if (fedByGroup) wd.topology.actors[b.index].wait = 'inline';
  }
}
await Promise.all(group.map(({ index, runner }) =>
  runner.run().catch((err: unknown) => {
    // Marks which actor of a shared thread failed (the thread's error does not say), before the thread dies.
    health.set(index, HEALTH_FIELDS.state, ActorState.Failed);
    throw err;
  })));
process.exit(0);
