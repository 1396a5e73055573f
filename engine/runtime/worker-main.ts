/**
 * Entry point of every actor's worker thread: rebuilds the context from workerData, loads the actor's
 * module from dist/actors/<kind>/actor.js, and hands it to the runner.
 */
import { workerData } from 'node:worker_threads';
import type { EngineConfig } from '../config/schema.js';
import { createLogger } from '../log/logger.js';
import type { ActorFactory } from './Actor.js';
import { ActorContext, type RuntimeInfo } from './ActorContext.js';
import { ActorRunner } from './ActorRunner.js';
import type { SharedTopology } from './Topology.js';

export interface ActorWorkerData {
  config: EngineConfig;
  topology: SharedTopology;
  actorIndex: number;
  clockOrigin: string;
  runtime: RuntimeInfo;
  generation: number;
}

const wd = workerData as ActorWorkerData;
const me = wd.topology.actors[wd.actorIndex];
const log = createLogger(wd.config.logging, { actor: me.name, gen: wd.generation });
const ctx = new ActorContext(wd.config, wd.topology, wd.actorIndex, BigInt(wd.clockOrigin), wd.runtime, log);
const mod = (await import(`../../actors/${me.kind}/actor.js`)) as { default: ActorFactory };
await new ActorRunner(ctx, mod.default).run();
process.exit(0);
