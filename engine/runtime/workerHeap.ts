import type { ResourceLimits } from 'node:worker_threads';
import type { EngineConfig } from '../config/schema.js';

/**
 * The V8 heap limits every engine thread starts with (`supervisor.workerHeap`): actors' workers, the
 * embedded venue simulators and the analytics pool. Without them each isolate grows its young generation
 * to V8's default of 3 × 16 MB semi-space and keeps it, whatever it allocates: ten threads hold several
 * hundred MB of mostly empty nursery. 0 leaves a figure to V8.
 */
export function workerResourceLimits(config: Pick<EngineConfig, 'supervisor'>): ResourceLimits {
  const { youngMb, oldMb } = config.supervisor.workerHeap;
  return {
    ...(youngMb > 0 ? { maxYoungGenerationSizeMb: youngMb } : {}),
    ...(oldMb > 0 ? { maxOldGenerationSizeMb: oldMb } : {}),
  };
}
