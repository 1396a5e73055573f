import type { ActorContext } from './ActorContext.js';

/**
 * What an actor module exports as default: a factory given its context. The runtime owns the loop:
 * it polls the input rings, calls `onMessage` per message, parks when idle, writes heartbeats, routes
 * cold-path commands to `onCommand`, and on shutdown calls `stop` (stop producing), drains the inputs,
 * then `close` (flush, disconnect).
 */
export interface Actor {
  start?(): void | Promise<void>;
  /** One hot message from input ring `input` (index into ctx.inputs). view/off are valid during the call only. */
  onMessage?(view: DataView, off: number, input: number): void;
  /** Called after each poll round that handled messages: publish output batches here. */
  onBatchEnd?(): void;
  onCommand?(topic: string, payload: unknown, from: string): void | Promise<void>;
  stop?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

export type ActorFactory = (ctx: ActorContext) => Actor | Promise<Actor>;
