import { parentPort } from 'node:worker_threads';
import { WaitStrategy, type WaitStrategySpec } from '../ring/WaitStrategy.js';
import type { MessageHandler } from '../ring/RingReader.js';
import type { Actor, ActorFactory } from './Actor.js';
import type { ActorContext } from './ActorContext.js';
import { unpackCold, type ColdEnvelope, type SupervisorCommand } from './ColdMessage.js';
import { ActorState, HEALTH_FIELDS } from './HealthTable.js';
import { SERVED_ACK_TOPIC, SERVED_SYMBOLS_TOPIC } from '../cluster/ServedSymbols.js';

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Wait strategy per configured `wait`: compute actors may block the thread; socket owners must not. */
export function waitSpecFor(wait: string): WaitStrategySpec & { blocking: boolean } {
  switch (wait) {
    case 'spin-park':
      return { kind: 'spin-park', spinPolls: 20_000, parkTimeoutMs: 20, blocking: true };
    case 'park':
      return { kind: 'park', spinPolls: 0, parkTimeoutMs: 20, blocking: true };
    case 'sleep':
      return { kind: 'sleep', spinPolls: 0, parkTimeoutMs: 1, blocking: false };
    case 'inline':
      // A co-located member fed only by its group runs on its producers' publishes (ActorRunner.pump); its own
      // loop is a safety net for what arrived before it ran. Every 20 ms, not 1: a 1 ms timer per member was
      // 2,000 wake-ups (timer, promise, microtask) a second on the hot thread and its largest allocator (decision 127).
      return { kind: 'sleep', spinPolls: 0, parkTimeoutMs: 20, blocking: false };
    default:
      return { kind: 'spin-park', spinPolls: 200, parkTimeoutMs: 50, blocking: false };
  }
}

/**
 * The wait of an actor that shares its thread (a placement group): a blocking one (spin-park, park) would
 * starve the other members, so it becomes 'async'; the event-loop kinds stay. A 'sleep' reader (the
 * publisher, a conflating timer poll) made 'async' parked on its doorbell, and the hot thread paid an
 * `Atomics.notify` (~8 µs) after every market-data batch to wake it, in front of its own analytics (decision 131).
 */
export function coLocatedWait(wait: string): string {
  return waitSpecFor(wait).blocking ? 'async' : wait;
}

/**
 * Drives one actor inside its worker thread: the poll/park loop over its input rings, heartbeats into the
 * health table, cold-path routing, faults for tests, and the ordered shutdown (stop producing, drain, close).
 */
export class ActorRunner {
  private actor!: Actor;
  private stopRequested = false;
  private stopDeadline = 0;
  private msgsIn = 0;
  private lastOut = 0;
  private handlerErrors = 0;
  private lastErrorLog = 0;
  private heartbeat?: NodeJS.Timeout;
  private pendingFault: SupervisorCommand | undefined;
  /** true while this actor's handlers are on the stack (its own poll or an inline pump): no re-entry */
  private polling = false;
  private running = false;
  private pumpError: unknown;
  private msgHandlers: MessageHandler[] = [];

  constructor(private readonly ctx: ActorContext, private readonly factory: ActorFactory) {}

  async run(): Promise<void> {
    const { ctx } = this;
    const h = ctx.health;
    h.set(ctx.index, HEALTH_FIELDS.state, ActorState.Starting);
    h.set(ctx.index, HEALTH_FIELDS.startedAtMs, Date.now());
    this.beat();
    this.heartbeat = setInterval(() => this.beat(), ctx.config.supervisor.heartbeatMs);
    parentPort?.on('message', (m: SupervisorCommand | ColdEnvelope) => this.onParentMessage(m));

    this.actor = await this.factory(ctx);
    await this.actor.start?.();
    this.msgHandlers = this.actor.onMessage ? this.handlers() : [];
    this.running = true;
    h.set(ctx.index, HEALTH_FIELDS.state, ActorState.Running);
    parentPort?.postMessage({ t: 'ready' });

    await this.loop();
    this.running = false;

    h.set(ctx.index, HEALTH_FIELDS.state, ActorState.Stopping);
    await this.actor.stop?.();
    this.drain();
    await this.actor.close?.();
    this.beat();
    h.set(ctx.index, HEALTH_FIELDS.state, ActorState.Stopped);
    clearInterval(this.heartbeat);
    parentPort?.postMessage({ t: 'stopped' });
  }

  private beat(): void {
    const { ctx } = this;
    ctx.health.set(ctx.index, HEALTH_FIELDS.heartbeatMs, Date.now());
    ctx.health.add(ctx.index, HEALTH_FIELDS.msgsIn, this.msgsIn);
    this.msgsIn = 0;
    // Ring output is counted from the ports' own sequences: no per-message bookkeeping in actors.
    let out = 0;
    for (const p of ctx.outputs.values()) out += p.count;
    ctx.health.add(ctx.index, HEALTH_FIELDS.msgsOut, out - this.lastOut);
    this.lastOut = out;
  }

  private handlers(): MessageHandler[] {
    return this.ctx.inputs.map((_, i) => (view: DataView, off: number) => {
      try {
        this.actor.onMessage!(view, off, i);
      } catch (e) {
        // A message the actor cannot handle is skipped and counted, never re-read in a crash loop.
        this.handlerErrors++;
        this.ctx.countError();
        const now = Date.now();
        if (now - this.lastErrorLog > 1000) {
          this.lastErrorLog = now;
          this.ctx.log.error({ err: e, ring: this.ctx.inputs[i].ring, errors: this.handlerErrors }, 'message handler failed; message skipped');
        }
      }
    });
  }

  private async loop(): Promise<void> {
    const { ctx } = this;
    const readers = ctx.inputs.map((i) => i.reader);
    const spec = waitSpecFor(ctx.topology.actors[ctx.index].wait);
    const wait = new WaitStrategy(spec, ctx.doorbell, readers);
    const handlers = this.msgHandlers;
    const batchEnd = this.actor.onBatchEnd?.bind(this.actor);
    const n = this.actor.onMessage ? readers.length : 0;
    let lastYield = performance.now();
    while (!this.stopRequested) {
      if (this.pendingFault) this.applyFault();
      if (this.pumpError !== undefined) throw this.pumpError;
      let work = 0;
      this.polling = true;
      try {
        for (let i = 0; i < n; i++) work += readers[i].poll(handlers[i], 1024);
        if (work > 0) {
          this.msgsIn += work;
          batchEnd?.();
        }
      } finally {
        this.polling = false;
      }
      if (n === 0) {
        // No inputs: the actor lives on its event loop (sockets, timers); just wake up for commands.
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (spec.blocking) {
        wait.idleSync(work);
      } else {
        const p = wait.idleAsync(work);
        if (p) {
          await p;
          lastYield = performance.now();
          continue;
        }
        if (work > 0) {
          // What the batch started runs before the spin: a handler's promise chain (execution's order after
          // its broker call: the order event, the next job of its queue) would otherwise wait for every empty
          // poll of the spin and the park's set-up (~15-20 µs of tick → order, decision 150).
          await yieldToLoop();
          lastYield = performance.now();
          continue;
        }
      }
      // Let timers, sockets and cold messages run even under a constant stream.
      const now = performance.now();
      if (now - lastYield >= 2) {
        await yieldToLoop();
        lastYield = performance.now();
      }
    }
  }

  /**
   * Runs this actor over whatever its inputs hold, now, on the caller's stack: a co-located producer calls
   * it right after publishing (see worker-main), so a pipeline sharing one thread runs to its end within the
   * producer's turn — no wake-up task per hop, and a producer can never outrun its consumer by a whole ring
   * (they share one event loop; the consumer's own loop could be starved by the producer's socket reads).
   * Not re-entrant, not before start or after a stop request. A failing batch end is rethrown by the loop.
   */
  pump(): void {
    if (!this.running || this.polling || this.stopRequested || !this.actor.onMessage) return;
    const readers = this.ctx.inputs;
    this.polling = true;
    try {
      let work = 0;
      for (let i = 0; i < readers.length; i++) work += readers[i].reader.poll(this.msgHandlers[i], 1 << 16);
      if (work > 0) {
        this.msgsIn += work;
        this.actor.onBatchEnd?.();
      }
    } catch (e) {
      this.pumpError ??= e;
      this.ctx.doorbell.ring();
    } finally {
      this.polling = false;
    }
  }

  /** The ordered shutdown: the loop ends, then stop (no more output), drain until `deadlineMs`, close. */
  requestStop(deadlineMs: number): void {
    this.stopRequested = true;
    this.ctx.stopping = true;
    this.stopDeadline = deadlineMs;
    this.ctx.doorbell.ring();
  }

  /** Reads what is left in the inputs after producers stopped, bounded by the stop deadline. */
  private drain(): void {
    if (!this.actor.onMessage) return;
    const readers = this.ctx.inputs.map((i) => i.reader);
    const handlers = this.handlers();
    for (;;) {
      let work = 0;
      for (let i = 0; i < readers.length; i++) work += readers[i].poll(handlers[i], 4096);
      if (work === 0 || Date.now() > this.stopDeadline) break;
      this.msgsIn += work;
      this.actor.onBatchEnd?.();
    }
  }

  private onParentMessage(m: SupervisorCommand | ColdEnvelope): void {
    // A worker shared by co-located actors hears everyone's messages: each actor takes only its own.
    if (m.actor !== undefined && m.actor !== this.ctx.name) return;
    if (m.t === 'stop') {
      this.requestStop(m.deadlineMs);
    } else if (m.t === 'fault') {
      this.pendingFault = m;
      if (m.kind === 'throw-async') setImmediate(() => this.applyFault());
    } else if (m.t === 'cold') {
      let payload: unknown;
      try {
        payload = unpackCold(m.data);
      } catch (e) {
        this.ctx.countInputError();
        this.ctx.log.warn({ err: e, topic: m.topic, from: m.from }, 'undecodable cold message dropped');
        return;
      }
      const handled = Promise.resolve().then(() => this.actor?.onCommand?.(m.topic, payload, m.from));
      // the served set applied (pending writes of lost symbols dropped, in-flight ones answered): said so. Only
      // that topic gets the extra step: publish messages arrive hundreds of times a second.
      const version = m.topic === SERVED_SYMBOLS_TOPIC ? (payload as { version?: unknown } | null)?.version : undefined;
      const done = typeof version === 'number' ? handled.then(() => void (this.actor && this.ctx.send('supervisor', SERVED_ACK_TOPIC, { version }))) : handled;
      done
        .catch((e) => {
          this.ctx.countError();
          this.ctx.log.error({ err: e, topic: m.topic }, 'command handler failed');
        });
    }
  }

  /** Test faults: a crash, a silent hang (blocked, not spinning), an uncaught async error. */
  private applyFault(): void {
    const f = this.pendingFault;
    this.pendingFault = undefined;
    if (!f || f.t !== 'fault') return;
    if (f.kind === 'hang') {
      clearInterval(this.heartbeat);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, f.ms ?? 3_600_000);
    }
    throw new Error(`injected fault: ${f.kind}`);
  }
}
