import { parentPort } from 'node:worker_threads';
import type { EngineConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { Doorbell } from '../ring/Doorbell.js';
import { RingBuffer } from '../ring/RingBuffer.js';
import { RingProducer } from '../ring/RingProducer.js';
import { RingReader } from '../ring/RingReader.js';
import { packCold, type ColdEnvelope, type PublishRequest, type StreamAppend } from './ColdMessage.js';
import { ControlFlags, HEALTH_FIELDS, HealthTable } from './HealthTable.js';
import { MonoClock } from './MonoClock.js';
import { OutputPort } from './OutputPort.js';
import { SymbolTable } from './SymbolTable.js';
import { doorbellIndex, type SharedTopology } from './Topology.js';

/** Facts the supervisor learned at start-up that actors need (ports of embedded venues, Redis URL). */
export interface RuntimeInfo {
  redisUrl: string;
  redisPassword?: string;
  twsPort?: number;
  alphaVantageUrl?: string;
  alpacaUrl?: string;
  dashboardToken?: string;
  /** read-only dashboard token (ALPHATRADER_DASHBOARD_VIEW_TOKEN), if any */
  dashboardViewToken?: string;
  /** where an operator finds the dashboard token (a file or an environment variable): logged instead of it */
  dashboardTokenSource?: string;
  [k: string]: unknown;
}

export interface InputPort {
  ring: string;
  reader: RingReader;
  producerName: string;
}

/** Everything an actor may touch: its rings, the shared tables, the cold path, config and logging. */
export class ActorContext {
  readonly index: number;
  readonly name: string;
  readonly kind: string;
  readonly symbols: SymbolTable;
  readonly clock: MonoClock;
  readonly health: HealthTable;
  readonly control: ControlFlags;
  readonly doorbell: Doorbell;
  readonly inputs: InputPort[] = [];
  readonly outputs = new Map<string, OutputPort>();
  readonly actorNames: string[];
  stopping = false;

  constructor(
    readonly config: EngineConfig,
    readonly topology: SharedTopology,
    actorIndex: number,
    clockOrigin: bigint,
    readonly runtime: RuntimeInfo,
    readonly log: Logger,
  ) {
    this.index = actorIndex;
    const me = topology.actors[actorIndex];
    this.name = me.name;
    this.kind = me.kind;
    this.actorNames = topology.actors.map((a) => a.name);
    this.symbols = new SymbolTable(config.symbols.map((s) => s.symbol));
    this.clock = new MonoClock(clockOrigin);
    this.health = new HealthTable(topology.health);
    this.control = new ControlFlags(topology.control);
    const bells = new Int32Array(topology.doorbells);
    this.doorbell = new Doorbell(bells, doorbellIndex(actorIndex));
    for (const r of topology.rings) {
      const ring = new RingBuffer(r.sab);
      if (r.producer === actorIndex) {
        this.outputs.set(r.name, new OutputPort(r.name, new RingProducer(ring, bells), actorIndex, this.clock, r.whenFull));
      }
      const ri = r.readers.indexOf(actorIndex);
      if (ri >= 0) this.inputs.push({ ring: r.name, reader: new RingReader(ring, ri), producerName: topology.actors[r.producer].name });
    }
  }

  /** The output ring of that name (throws when the topology gives this actor no such ring). */
  output(name: string): OutputPort {
    const o = this.outputs.get(name);
    if (!o) throw new Error(`${this.name} produces no ring named ${name} (it produces: ${[...this.outputs.keys()].join(', ') || 'none'})`);
    return o;
  }

  /** The first output ring, for actors with one. */
  get out(): OutputPort | undefined {
    return this.outputs.values().next().value;
  }

  /**
   * Sends a cold-path message to another actor (or 'supervisor'), routed by the supervisor. `keys`: the Redis
   * keys a publish carries (the supervisor mirrors by them); `records: false`: a small message of one-off
   * shapes, packed without msgpackr's records (cheaper there: see packCold).
   */
  send(to: string, topic: string, payload: unknown, opts?: { keys?: string[]; records?: boolean }): void {
    const env: ColdEnvelope = { t: 'cold', from: this.name, to, topic, data: packCold(payload, opts?.records ?? true) };
    if (opts?.keys) env.keys = opts.keys;
    parentPort?.postMessage(env);
  }

  /** Asks the publisher to SET one key (JSON value, PX ttl). Cold path: snapshots, lists, status. */
  publish(key: string, value: unknown, ttlMs: number): void {
    const req: PublishRequest = { key, value, ttlMs };
    this.send('publisher', 'publish', req, { keys: [key] });
  }

  /** Several keys in one message (one postMessage for a whole snapshot cycle). */
  publishMany(reqs: PublishRequest[]): void {
    if (reqs.length) this.send('publisher', 'publish-many', reqs, { keys: reqs.map((r) => r.key) });
  }

  /** Appends to a Redis Stream through the publisher (durable records; never conflated, never dropped while queued). */
  appendStream(stream: string, fields: Record<string, string | number>, maxLen = 100_000): void {
    const req: StreamAppend = { stream, fields, maxLen };
    this.send('publisher', 'xadd', req);
  }

  countError(n = 1): void {
    this.health.add(this.index, HEALTH_FIELDS.errors, n);
  }

  countInputError(n = 1): void {
    this.health.add(this.index, HEALTH_FIELDS.inputErrors, n);
  }

  setDegraded(degraded: boolean): void {
    this.health.set(this.index, HEALTH_FIELDS.degraded, degraded ? 1 : 0);
  }

  countOut(n = 1): void {
    this.health.add(this.index, HEALTH_FIELDS.msgsOut, n);
  }
}
