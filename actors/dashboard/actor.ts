import type { ActorFactory } from '../../engine/runtime/Actor.js';

/**
 * Dashboard actor: a lossy reader of every output ring. The uWebSockets.js server and the page arrive with
 * the dashboard issue; until then it keeps its cursors current so its ring-fill figures are meaningful.
 */
const create: ActorFactory = () => ({
  onMessage() {},
});

export default create;
