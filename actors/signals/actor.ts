import type { ActorFactory } from '../../engine/runtime/Actor.js';

/**
 * Signals actor: reads the analytics stream. Strategies (0DTE, 1DTE, 14DTE, MOC) arrive with the signals
 * issue; until then it consumes its input (so its lossless ring never fills) and emits nothing, which is
 * exactly what a strategy outside its window does.
 */
const create: ActorFactory = () => ({
  onMessage() {},
});

export default create;
