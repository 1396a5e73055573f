import { RingBuffer } from '../../engine/ring/RingBuffer.js';
import { ACTOR_STATE_NAMES, ActorState, CONTROL, ControlFlags, HEALTH_FIELDS, HealthTable } from '../../engine/runtime/HealthTable.js';
import type { SharedTopology } from '../../engine/runtime/Topology.js';

export interface ActorSample {
  name: string;
  kind: string;
  state: string;
  alive: boolean;
  heartbeatAgeMs: number | null;
  restarts: number;
  generation: number;
  msgsIn: number;
  msgsOut: number;
  inPerSec: number;
  outPerSec: number;
  errors: number;
  inputErrors: number;
  degraded: boolean;
}

export interface RingReaderSample {
  actor: string;
  mode: string;
  lag: number;
  fill: number;
  overruns: number;
}

export interface RingSample {
  name: string;
  producer: string;
  capacity: number;
  published: number;
  publishedPerSec: number;
  fullEvents: number;
  dropped: number;
  readers: RingReaderSample[];
}

export interface EngineSample {
  ts: number;
  redisUp: boolean;
  escalated: boolean;
  tradingHalted: boolean;
  shuttingDown: boolean;
  actors: ActorSample[];
  rings: RingSample[];
}

/**
 * The engine's health read straight from shared memory (the health table, the control flags and each
 * ring's header): what the supervisor's status shows, without waiting for its once-a-second publish and
 * without a message. Rates are per sampling interval (the caller samples about once a second).
 */
export class EngineView {
  private readonly health: HealthTable;
  private readonly control: ControlFlags;
  private readonly rings: RingBuffer[];
  private prevTs = 0;
  private prevIn: Float64Array;
  private prevOut: Float64Array;
  private prevPublished: Float64Array;
  private latest: EngineSample | undefined;

  constructor(private readonly topology: SharedTopology, private readonly heartbeatTimeoutMs: number) {
    this.health = new HealthTable(topology.health);
    this.control = new ControlFlags(topology.control);
    this.rings = topology.rings.map((r) => new RingBuffer(r.sab));
    this.prevIn = new Float64Array(topology.actors.length);
    this.prevOut = new Float64Array(topology.actors.length);
    this.prevPublished = new Float64Array(topology.rings.length);
  }

  get redisUp(): boolean {
    return this.control.get(CONTROL.redisUp) === 1;
  }

  get tradingHalted(): boolean {
    return this.control.get(CONTROL.tradingHalted) === 1;
  }

  get escalated(): boolean {
    return this.control.get(CONTROL.escalated) === 1;
  }

  /** The last sample, taking one if none was taken yet. */
  current(nowMs = Date.now()): EngineSample {
    return this.latest ?? this.sample(nowMs);
  }

  sample(nowMs = Date.now()): EngineSample {
    const h = this.health;
    const dt = this.prevTs > 0 ? Math.max(1, nowMs - this.prevTs) / 1000 : 0;
    const names = this.topology.actors.map((a) => a.name);
    const actors: ActorSample[] = this.topology.actors.map((a, i) => {
      const hb = h.get(i, HEALTH_FIELDS.heartbeatMs);
      const age = hb > 0 ? Math.max(0, nowMs - hb) : null;
      const state = h.get(i, HEALTH_FIELDS.state);
      const msgsIn = h.get(i, HEALTH_FIELDS.msgsIn);
      const msgsOut = h.get(i, HEALTH_FIELDS.msgsOut);
      const inPerSec = dt > 0 ? Math.max(0, msgsIn - this.prevIn[i]) / dt : 0;
      const outPerSec = dt > 0 ? Math.max(0, msgsOut - this.prevOut[i]) / dt : 0;
      this.prevIn[i] = msgsIn;
      this.prevOut[i] = msgsOut;
      return {
        name: a.name,
        kind: a.kind,
        state: ACTOR_STATE_NAMES[state] ?? 'unknown',
        alive: state === ActorState.Running && age !== null && age <= this.heartbeatTimeoutMs,
        heartbeatAgeMs: age,
        restarts: h.get(i, HEALTH_FIELDS.restarts),
        generation: h.get(i, HEALTH_FIELDS.generation),
        msgsIn,
        msgsOut,
        inPerSec,
        outPerSec,
        errors: h.get(i, HEALTH_FIELDS.errors),
        inputErrors: h.get(i, HEALTH_FIELDS.inputErrors),
        degraded: h.get(i, HEALTH_FIELDS.degraded) === 1,
      };
    });
    const rings: RingSample[] = this.rings.map((r, i) => {
      const t = this.topology.rings[i];
      const st = r.stats();
      // `published` is a 32-bit sequence difference: it wraps, so the delta is taken modulo 2^32.
      const publishedPerSec = dt > 0 ? ((st.published - this.prevPublished[i]) >>> 0) / dt : 0;
      this.prevPublished[i] = st.published;
      return {
        name: t.name,
        producer: names[t.producer],
        capacity: st.capacity,
        published: st.published,
        publishedPerSec,
        fullEvents: st.fullEvents,
        dropped: st.dropped,
        readers: st.readers.map((rd, j) => ({ actor: names[t.readers[j]], mode: rd.mode, lag: rd.lag, fill: rd.fill, overruns: rd.overruns })),
      };
    });
    this.prevTs = nowMs;
    this.latest = {
      ts: nowMs,
      redisUp: this.redisUp,
      escalated: this.escalated,
      tradingHalted: this.tradingHalted,
      shuttingDown: this.control.get(CONTROL.shuttingDown) === 1,
      actors,
      rings,
    };
    return this.latest;
  }
}
