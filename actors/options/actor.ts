import type { ActorFactory } from '../../engine/runtime/Actor.js';

/**
 * Options actor: Alpha Vantage chains and news sentiment (options-and-analytics issue). Until the client
 * layer is wired in it only keeps its heartbeat, so the topology is whole.
 */
const create: ActorFactory = () => ({});

export default create;
