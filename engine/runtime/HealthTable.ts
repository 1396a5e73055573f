/**
 * Shared-memory health of every actor: each actor writes its own record (heartbeat, counters), the
 * supervisor writes restarts, and anyone may read without a message or a lock. A record is 16 doubles on
 * its own 128-byte block so actors never share a cache line. Aligned 8-byte stores do not tear on the
 * hosts we run on; a reader may see a value one heartbeat old, which is all monitoring needs.
 */
export const HEALTH_FIELDS = {
  heartbeatMs: 0, // epoch ms of the actor's last heartbeat
  msgsIn: 1,
  msgsOut: 2,
  errors: 3,
  startedAtMs: 4,
  restarts: 5, // written by the supervisor
  state: 6, // ActorState
  generation: 7, // incremented by the supervisor at each spawn
  loopLagMs: 8, // the worker's event-loop delay, p99 over the last sampling period (ms)
  degraded: 9, // 1 when the actor runs without a dependency (Redis down, venue disconnected)
  cpuUserMs: 10,
  cpuSystemMs: 11,
  inputErrors: 12, // bad input counted and dropped (malformed frames, NaN prices, unknown symbols)
  heapUsedMb: 13, // the worker's V8 heap in use (one isolate per worker: co-located actors share it)
  heapTotalMb: 14, // the heap V8 has reserved for it
  externalMb: 15, // memory outside the V8 heap its isolate holds (ArrayBuffers, external strings): freed only when their wrappers are collected
} as const;
export const RECORD_DOUBLES = 16;

export const ActorState = { Stopped: 0, Starting: 1, Running: 2, Stopping: 3, Failed: 4 } as const;
export const ACTOR_STATE_NAMES = ['stopped', 'starting', 'running', 'stopping', 'failed'];

export class HealthTable {
  readonly f: Float64Array;
  constructor(readonly sab: SharedArrayBuffer) {
    this.f = new Float64Array(sab);
  }
  static create(actors: number): HealthTable {
    return new HealthTable(new SharedArrayBuffer(Math.max(1, actors) * RECORD_DOUBLES * 8));
  }
  get(actor: number, field: number): number {
    return this.f[actor * RECORD_DOUBLES + field];
  }
  set(actor: number, field: number, v: number): void {
    this.f[actor * RECORD_DOUBLES + field] = v;
  }
  add(actor: number, field: number, n: number): void {
    this.f[actor * RECORD_DOUBLES + field] += n;
  }
}

/** Engine-wide flags in shared memory (Int32 for Atomics): read on every order, so no message is needed. */
export const CONTROL = {
  tradingHalted: 0, // 1: no new entries (escalation, kill switch, breaker); exits still allowed
  shuttingDown: 1,
  escalated: 2,
  redisUp: 3,
} as const;

export class ControlFlags {
  readonly i: Int32Array;
  constructor(readonly sab: SharedArrayBuffer) {
    this.i = new Int32Array(sab);
  }
  static create(): ControlFlags {
    return new ControlFlags(new SharedArrayBuffer(64));
  }
  get(flag: number): number {
    return Atomics.load(this.i, flag);
  }
  set(flag: number, v: number): void {
    Atomics.store(this.i, flag, v);
  }
}
