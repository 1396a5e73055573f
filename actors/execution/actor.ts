import type { ActorFactory } from '../../engine/runtime/Actor.js';

/**
 * Execution actor: reads signals (lossless) and will own risk, the order journal and the brokers (signals
 * and execution issue). Until then it consumes its input and places nothing.
 */
const create: ActorFactory = () => ({
  onMessage() {},
});

export default create;
