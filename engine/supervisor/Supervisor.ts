import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { EngineConfig } from '../config/schema.js';
import { distPath } from '../config/projectRoot.js';
import type { Logger } from '../log/logger.js';
import { Doorbell } from '../ring/Doorbell.js';
import { RingBuffer, type RingStats } from '../ring/RingBuffer.js';
import type { RuntimeInfo } from '../runtime/ActorContext.js';
import type { Notifier } from '../alerts/Notifier.js';
import { deliverActorAlert } from '../alerts/actorAlert.js';
import { ControlWriter } from './ControlWriter.js';
import { mirrorsPublish, signalsCopy } from './ColdMirror.js';
import { packCold, unpackCold, type ColdEnvelope, type PublishRequest, type SupervisorCommand, type WorkerReport } from '../runtime/ColdMessage.js';
import { ACTOR_STATE_NAMES, ActorState, CONTROL, ControlFlags, HEALTH_FIELDS, HealthTable } from '../runtime/HealthTable.js';
import { buildTopology, doorbellIndex, type SharedTopology } from '../runtime/Topology.js';
import type { ActorWorkerData } from '../runtime/worker-main.js';
import { RestartPolicy } from './RestartPolicy.js';
import { workerResourceLimits } from '../runtime/workerHeap.js';
import { SERVED_ACK_TOPIC, SERVED_SYMBOL_KINDS, SERVED_SYMBOLS_TOPIC } from '../cluster/ServedSymbols.js';

/**
 * Actor kinds whose thread owns uWebSockets.js sockets. Worker.terminate() (or process.exit) on such a thread
 * aborts the whole process (libuv asserts on the open poll handle), so the supervisor never terminates it.
 */
const HOLDS_UWS_SOCKETS: ReadonlySet<string> = new Set(['dashboard']);

interface ActorSlot {
  index: number;
  name: string;
  kind: string;
  /** the placement group: slots with the same group share one worker thread */
  group: string;
  shared: boolean;
  worker?: Worker;
  generation: number;
  restarts: number;
  restartTimer?: NodeJS.Timeout;
  spawnedAtMs: number;
  exitedAtMs: number;
  lastExit?: string;
  /** a silence already reported for a worker that must not be terminated */
  silentReported?: boolean;
}

export interface ActorStatus {
  name: string;
  kind: string;
  alive: boolean;
  state: string;
  heartbeatAgeMs: number | null;
  restarts: number;
  generation: number;
  msgsIn: number;
  msgsOut: number;
  errors: number;
  inputErrors: number;
  degraded: boolean;
  /** The actor's worker: V8 heap in use and reserved, memory outside the heap (MB), event-loop delay p99 over the last second (ms). */
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  loopLagMs: number;
  lastExit?: string;
}

export interface EngineStatus {
  ts: number;
  pid: number;
  startedAtMs: number;
  uptimeMs: number;
  mode: string;
  escalated: boolean;
  tradingHalted: boolean;
  redisUp: boolean;
  actors: ActorStatus[];
  rings: (RingStats & { name: string; producer: string; readerNames: string[] })[];
  /** The whole process (every thread): resident set and the main thread's heap, MB. */
  process: { rssMb: number; mainHeapUsedMb: number; mainHeapTotalMb: number; externalMb: number; arrayBuffersMb: number };
}

/**
 * The main thread: owns the topology's shared memory, spawns each actor in a worker thread, restarts
 * failed or silent ones (OTP intensity/period with back-off), escalates to a safe state (trading halted,
 * data still flowing), routes cold-path messages, publishes heartbeats and status, and shuts down in
 * data-flow order so every ring is drained before its reader exits.
 */
export class Supervisor extends EventEmitter {
  readonly topology: SharedTopology;
  readonly health: HealthTable;
  readonly control: ControlFlags;
  private readonly slots: ActorSlot[];
  private readonly policy: RestartPolicy;
  private readonly rings: RingBuffer[];
  private readonly bells: Int32Array;
  private healthTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private shuttingDown = false;
  /** cluster mode: the symbols this instance's leases allow (undefined on a single host: actors serve all) */
  private served?: string[];
  /** cluster mode: versions of the served set sent, and the running actors that have not applied each yet */
  private servedVersion = 0;
  private servedWaits: { version: number; waiting: Set<string>; done: () => void }[] = [];
  private readonly startedAtMs = Date.now();
  readonly clockOrigin = process.hrtime.bigint();

  constructor(
    readonly config: EngineConfig,
    private readonly log: Logger,
    readonly runtime: RuntimeInfo,
    private readonly workerFile = distPath('engine', 'runtime', 'worker-main.js'),
    /** the supervisor's own Redis writes (escalation trip, kill requests); none in tests without Redis */
    private readonly control_?: ControlWriter,
    /** alerts to people: actors raise them (cold topic `alert`), the supervisor delivers them */
    readonly notifier?: Notifier,
  ) {
    super();
    this.topology = buildTopology(config);
    this.health = new HealthTable(this.topology.health);
    this.control = new ControlFlags(this.topology.control);
    this.bells = new Int32Array(this.topology.doorbells);
    this.rings = this.topology.rings.map((r) => new RingBuffer(r.sab));
    this.policy = new RestartPolicy(config.supervisor.restart);
    const groupSize = new Map<string, number>();
    for (const a of this.topology.actors) groupSize.set(a.worker, (groupSize.get(a.worker) ?? 0) + 1);
    this.slots = this.topology.actors.map((a, index) => ({
      index, name: a.name, kind: a.kind, group: a.worker, shared: groupSize.get(a.worker)! > 1, generation: 0, restarts: 0, spawnedAtMs: 0, exitedAtMs: 0,
    }));
  }

  start(): void {
    for (const s of this.slots) if (!s.worker) this.spawn(s);
    this.healthTimer = setInterval(() => this.checkHealth(), this.config.supervisor.healthCheckMs);
    this.statusTimer = setInterval(() => this.publishStatus(), 1000);
    this.log.info({ actors: this.slots.map((s) => s.name), rings: this.topology.rings.map((r) => r.name) }, 'supervisor started');
  }

  /** Resolves when every actor reported ready (or rejects after timeoutMs). */
  waitReady(timeoutMs = this.config.supervisor.startTimeoutMs + 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      const poll = () => {
        // A signal during start-up: nothing left to wait for, and a pending poll would keep the process alive.
        if (this.shuttingDown) return resolve();
        if (this.slots.every((s) => this.health.get(s.index, HEALTH_FIELDS.state) === ActorState.Running)) return resolve();
        if (Date.now() - t0 > timeoutMs) {
          const notReady = this.slots.filter((s) => this.health.get(s.index, HEALTH_FIELDS.state) !== ActorState.Running).map((s) => s.name);
          return reject(new Error(`actors not ready after ${timeoutMs} ms: ${notReady.join(', ')}`));
        }
        setTimeout(poll, 20);
      };
      poll();
    });
  }

  /** Spawns the worker of s's placement group: s alone, or every actor co-located with it (restarted together). */
  private spawn(s: ActorSlot): void {
    const members = s.shared ? this.slots.filter((x) => x.group === s.group) : [s];
    for (const m of members) {
      m.generation++;
      m.spawnedAtMs = Date.now();
      this.health.set(m.index, HEALTH_FIELDS.generation, m.generation);
      this.health.set(m.index, HEALTH_FIELDS.state, ActorState.Starting);
      // A fresh heartbeat so start-up time is not mistaken for silence.
      this.health.set(m.index, HEALTH_FIELDS.heartbeatMs, Date.now());
    }
    const data: ActorWorkerData = {
      config: this.config,
      topology: this.topology,
      actorIndex: s.index,
      actorIndices: s.shared ? members.map((m) => m.index) : undefined,
      clockOrigin: this.clockOrigin.toString(),
      runtime: this.runtime,
      generation: s.generation,
    };
    const w = new Worker(this.workerFile, { workerData: data, name: s.shared ? s.group : s.name, resourceLimits: workerResourceLimits(this.config) });
    for (const m of members) m.worker = w;
    const gen = s.generation;
    w.on('message', (m: WorkerReport) => this.onWorkerMessage(s, m));
    w.on('error', (err) => {
      this.log.error({ actor: s.shared ? members.map((m) => m.name).join('+') : s.name, gen, err }, 'actor failed');
      for (const m of members) m.lastExit = `error: ${err.message}`;
    });
    w.on('exit', (code) => {
      const mine = members.filter((m) => m.worker === w);
      if (!mine.length) return; // an old generation we already replaced
      // The member that failed marked itself in the health table; the restart is reported under its name.
      const blamed = mine.find((m) => this.health.get(m.index, HEALTH_FIELDS.state) === ActorState.Failed) ?? mine[0];
      for (const m of mine) {
        m.worker = undefined;
        this.servedApplied(m.name); // a dead actor writes nothing, and a restarted one starts serving nothing
        m.exitedAtMs = Date.now();
        this.health.set(m.index, HEALTH_FIELDS.state, this.shuttingDown ? ActorState.Stopped : ActorState.Failed);
        m.lastExit = m.lastExit?.startsWith('error') || m.lastExit?.startsWith('silent') ? m.lastExit : `exit code ${code}`;
      }
      if (this.shuttingDown) return;
      // One failure of the thread, one restart (of the whole group); every member counts it.
      for (const m of mine) if (m !== blamed) this.health.set(m.index, HEALTH_FIELDS.restarts, ++m.restarts);
      this.scheduleRestart(blamed, blamed.lastExit!);
    });
  }

  /** Posts to the actor's worker; a shared worker is told which of its actors the message is for. */
  private post(s: ActorSlot, m: ColdEnvelope | SupervisorCommand): void {
    s.worker?.postMessage(s.shared ? { ...m, actor: s.name } : m);
  }

  private scheduleRestart(s: ActorSlot, reason: string): void {
    const d = this.policy.onFailure(s.name, Date.now());
    s.restarts++;
    this.health.set(s.index, HEALTH_FIELDS.restarts, s.restarts);
    this.log.warn({ actor: s.name, reason, delayMs: d.delayMs, restartsInPeriod: d.restartsInPeriod }, 'restarting actor');
    this.emit('restart', s.name, reason);
    if (d.escalate) this.escalate(`${d.restartsInPeriod} restarts within ${this.config.supervisor.restart.periodMs} ms (last: ${s.name}, ${reason})`);
    clearTimeout(s.restartTimer);
    s.restartTimer = setTimeout(() => {
      s.lastExit = undefined;
      if (!this.shuttingDown) this.spawn(s);
    }, d.delayMs);
  }

  /** The safe state: no new trading, data keeps flowing, and everyone who looks can see it. */
  escalate(reason: string): void {
    this.control.set(CONTROL.escalated, 1);
    this.control.set(CONTROL.tradingHalted, 1);
    this.log.error({ reason }, 'restart intensity exceeded: escalated, trading halted, data keeps flowing');
    this.emit('escalated', reason);
    const ts = Date.now();
    this.notifier?.raise({ rule: 'escalation', severity: 'critical', title: 'Supervisor escalation: trading halted', text: reason, key: 'escalation', fields: { mode: this.config.engine.mode } });
    // Written by the supervisor itself: the publisher may be the actor whose restarts caused this.
    void this.control_?.trip(`supervisor escalation: ${reason}`, { key: 'engine:escalation', value: { escalated: true, reason } });
    this.publish([
      { key: 'engine:escalation', value: { escalated: true, reason, ts }, ttlMs: 0 },
      { key: 'cb:state', value: 'tripped', ttlMs: 0 },
      { key: 'cb:reason', value: `supervisor escalation: ${reason}`, ttlMs: 0 },
      { key: 'cb:ts', value: String(ts), ttlMs: 0 },
    ]);
  }

  private checkHealth(): void {
    if (this.shuttingDown) return;
    const now = Date.now();
    const { heartbeatTimeoutMs, startTimeoutMs } = this.config.supervisor;
    for (const s of this.slots) {
      if (!s.worker) continue;
      // A worker loading its modules cannot heartbeat yet; on a loaded host that takes seconds, and killing it
      // then only starts the same slow load again.
      const starting = this.health.get(s.index, HEALTH_FIELDS.state) === ActorState.Starting;
      const timeout = starting ? Math.max(heartbeatTimeoutMs, startTimeoutMs) : heartbeatTimeoutMs;
      const age = now - this.health.get(s.index, HEALTH_FIELDS.heartbeatMs);
      if (age <= timeout) s.silentReported = false;
      else if (!this.terminable(s)) {
        // Terminating a thread that holds uWebSockets.js sockets aborts the whole process (libuv asserts on
        // the open poll handle), and so would exiting with it: a hung dashboard is reported, never killed.
        // It comes back by itself if it resumes; otherwise the service restarts it (systemd).
        if (!s.silentReported) {
          s.silentReported = true;
          this.log.error({ actor: s.name, heartbeatAgeMs: age }, 'actor silent and not terminable (uWebSockets.js): left running, reported; trading and data continue');
          this.emit('silent', s.name);
        }
      } else {
        this.log.warn({ actor: s.name, heartbeatAgeMs: age }, 'actor silent: terminating it');
        s.lastExit = `silent for ${age} ms`;
        void s.worker.terminate();
        // the exit handler schedules the restart
      }
    }
  }

  private onWorkerMessage(s: ActorSlot, m: WorkerReport): void {
    if (m.t === 'cold') this.route(m);
    // A (re)started actor begins serving no symbol in cluster mode: it hears the current set at once.
    else if (m.t === 'ready' && this.served) {
      for (const x of this.slots) if (x.worker === s.worker && SERVED_SYMBOL_KINDS.has(x.kind)) this.sendCommand(x.name, SERVED_SYMBOLS_TOPIC, { symbols: this.served, version: this.servedVersion });
    }
  }

  /**
   * Cluster mode: the symbols this instance serves now (its symbol leases). Every actor producing per-symbol
   * output hears it (cold path); one that is down hears it when it is ready again. Resolves once every actor
   * running now has applied it (SERVED_ACK_TOPIC) or gone: the caller may then give a lost symbol's lease away.
   */
  serveSymbols(symbols: readonly string[]): Promise<void> {
    const before = this.served ?? [];
    const gained = symbols.filter((x) => !before.includes(x));
    const lost = before.filter((x) => !symbols.includes(x));
    // a symbol lost without another instance taking it over is a lease that could not be renewed (its master
    // unreachable, or this host paused): said here, once per change
    if (gained.length || lost.length) this.log.info({ served: [...symbols], gained, lost }, 'symbols served by this instance changed (symbol leases)');
    this.served = [...symbols];
    const version = ++this.servedVersion;
    const waiting = new Set<string>();
    for (const x of this.slots) {
      if (!SERVED_SYMBOL_KINDS.has(x.kind)) continue;
      this.sendCommand(x.name, SERVED_SYMBOLS_TOPIC, { symbols: this.served, version });
      // an actor not running now serves nothing until it is ready and hears the set then: nothing to wait for
      if (x.worker && this.health.get(x.index, HEALTH_FIELDS.state) === ActorState.Running) waiting.add(x.name);
    }
    return new Promise<void>((done) => {
      this.servedWaits.push({ version, waiting, done });
      this.settleServed();
    });
  }

  /** An actor applied the served set `version` (and so every earlier one), or it is gone (it serves nothing). */
  private servedApplied(actor: string, version = Infinity): void {
    for (const w of this.servedWaits) if (w.version <= version) w.waiting.delete(actor);
    this.settleServed();
  }

  private onServedAck(m: ColdEnvelope): void {
    let v: unknown;
    try {
      v = (unpackCold(m.data) as { version?: unknown } | null)?.version;
    } catch {
      v = undefined;
    }
    if (typeof v === 'number') this.servedApplied(m.from, v);
  }

  private settleServed(): void {
    const open = this.servedWaits.filter((w) => w.waiting.size > 0);
    for (const w of this.servedWaits) if (w.waiting.size === 0) w.done();
    this.servedWaits = open;
  }

  /** Forwards a cold message to its target actor without decoding it. */
  private route(m: ColdEnvelope): void {
    if (m.to === 'supervisor') {
      if (m.topic === 'kill') void this.killRequest(m);
      else if (m.topic === 'alert') this.onAlert(m);
      else if (m.topic === SERVED_ACK_TOPIC) this.onServedAck(m);
      this.emit('cold', m);
      return;
    }
    const target = this.slots.find((s) => s.name === m.to);
    if (target?.worker) this.post(target, m); // target down: cold messages are best-effort (snapshots are periodic)
    // The dashboard mirrors the key space the publisher writes; the signals actor reads the cold figures
    // (chains, unusual options activity, sentiment) and execution the book snapshots (paper fills, marks)
    // from it: published keys also reach them (signals only those it reads: see mirrorsPublish).
    if (m.to === 'publisher' && (m.topic === 'publish' || m.topic === 'publish-many')) {
      for (const s of this.slots) if (s.worker && s.name !== m.from && mirrorsPublish(s.kind, m.keys)) this.post(s, s.kind === 'signals' ? signalsCopy(m) : m);
    }
  }

  /** An actor's alert (execution's breaker, kill, drift, stale data, journal): delivered from here, off the hot path. */
  private onAlert(m: ColdEnvelope): void {
    deliverActorAlert(this.notifier, unpackCold(m.data), m.from);
  }

  /**
   * A kill request (the dashboard's): the supervisor halts trading and trips the breaker itself — shared flag
   * and Redis — then hands the kill to execution and answers the requester with execution's outcome, or
   * `failed: execution unavailable` when execution does not answer within the wait.
   */
  private async killRequest(m: ColdEnvelope): Promise<void> {
    const p = unpackCold(m.data) as { id?: string; reason?: string; source?: string };
    const id = String(p?.id ?? `kill-${Date.now()}`);
    const reason = String(p?.reason ?? '');
    this.control.set(CONTROL.tradingHalted, 1);
    this.log.warn({ reason, source: p?.source, from: m.from }, 'KILL SWITCH: trading halted, breaker tripped; execution cancels and flattens');
    let answer: Record<string, unknown>;
    if (!this.control_) answer = { ok: false, state: 'failed', error: 'no Redis connection for the kill command' };
    else {
      await this.control_.trip(`kill switch: ${reason}`, { key: 'engine:halted', value: { reason, source: p?.source ?? m.from } });
      answer = await this.control_.kill(id, reason, String(p?.source ?? m.from));
    }
    this.sendCommand(m.from, 'kill-answer', { id, ...answer });
  }

  /** Sends keys to the publisher actor (cold path). */
  publish(reqs: PublishRequest[]): void {
    this.route({ t: 'cold', from: 'supervisor', to: 'publisher', topic: 'publish-many', data: packCold(reqs), keys: reqs.map((r) => r.key) });
  }

  sendCommand(actor: string, topic: string, payload: unknown): void {
    this.route({ t: 'cold', from: 'supervisor', to: actor, topic, data: packCold(payload) });
  }

  injectFault(actor: string, kind: 'crash' | 'hang' | 'throw-async', ms?: number): void {
    const s = this.slots.find((x) => x.name === actor);
    if (!s?.worker) throw new Error(`no running actor named ${actor}`);
    const cmd: SupervisorCommand = { t: 'fault', kind, ms };
    this.post(s, cmd);
    Atomics.add(this.bells, doorbellIndex(s.index), 1);
    Atomics.notify(this.bells, doorbellIndex(s.index));
  }

  status(): EngineStatus {
    const now = Date.now();
    const h = this.health;
    const names = this.slots.map((s) => s.name);
    return {
      ts: now,
      pid: process.pid,
      startedAtMs: this.startedAtMs,
      uptimeMs: now - this.startedAtMs,
      mode: this.config.engine.mode,
      escalated: this.control.get(CONTROL.escalated) === 1,
      tradingHalted: this.control.get(CONTROL.tradingHalted) === 1,
      redisUp: this.control.get(CONTROL.redisUp) === 1,
      actors: this.slots.map((s) => {
        const hb = h.get(s.index, HEALTH_FIELDS.heartbeatMs);
        const age = hb > 0 ? now - hb : null;
        const state = h.get(s.index, HEALTH_FIELDS.state);
        return {
          name: s.name,
          kind: s.kind,
          alive: !!s.worker && state === ActorState.Running && age !== null && age <= this.config.supervisor.heartbeatTimeoutMs,
          state: ACTOR_STATE_NAMES[state] ?? 'unknown',
          heartbeatAgeMs: age,
          restarts: s.restarts,
          generation: s.generation,
          msgsIn: h.get(s.index, HEALTH_FIELDS.msgsIn),
          msgsOut: h.get(s.index, HEALTH_FIELDS.msgsOut),
          errors: h.get(s.index, HEALTH_FIELDS.errors),
          inputErrors: h.get(s.index, HEALTH_FIELDS.inputErrors),
          degraded: h.get(s.index, HEALTH_FIELDS.degraded) === 1,
          heapUsedMb: Math.round(h.get(s.index, HEALTH_FIELDS.heapUsedMb) * 10) / 10,
          heapTotalMb: Math.round(h.get(s.index, HEALTH_FIELDS.heapTotalMb) * 10) / 10,
          externalMb: Math.round(h.get(s.index, HEALTH_FIELDS.externalMb) * 10) / 10,
          loopLagMs: Math.round(h.get(s.index, HEALTH_FIELDS.loopLagMs) * 100) / 100,
          lastExit: s.lastExit,
        };
      }),
      rings: this.rings.map((r, i) => ({
        name: this.topology.rings[i].name,
        producer: names[this.topology.rings[i].producer],
        readerNames: this.topology.rings[i].readers.map((x) => names[x]),
        ...r.stats(),
      })),
      process: processMemory(),
    };
  }

  private publishStatus(): void {
    if (this.shuttingDown) return;
    const st = this.status();
    const ttl = this.config.ttl;
    const reqs: PublishRequest[] = [{ key: 'engine:status', value: st, ttlMs: ttl.monitoring }];
    // the notifier's counters (raised, sent, failed, retried, rate-limited): /metrics exports them
    if (this.notifier) reqs.push({ key: 'monitoring:alerts:metrics', value: { ...this.notifier.stats, channels: this.notifier.enabled, ts: st.ts }, ttlMs: ttl.monitoring });
    // A heartbeat key only for a live actor: a dead one's key simply expires.
    for (const a of st.actors) {
      if (a.alive) {
        reqs.push({ key: `module:heartbeat:${a.name}`, value: { ts: st.ts, gen: a.generation, state: a.state, restarts: a.restarts }, ttlMs: ttl.heartbeat });
      }
    }
    this.publish(reqs);
    this.emit('status', st);
  }

  /**
   * Ordered shutdown: producers of market data first, then each downstream stage once its inputs are
   * drained, the publisher and dashboard last (they flush what everyone sent). Bounded by shutdownTimeoutMs;
   * a stage that does not exit in time is terminated.
   */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.control.set(CONTROL.shuttingDown, 1);
    clearInterval(this.healthTimer);
    clearInterval(this.statusTimer);
    for (const s of this.slots) clearTimeout(s.restartTimer);
    const deadline = Date.now() + this.config.engine.shutdownTimeoutMs;
    const order = [['market-depth', 'options'], ['analytics'], ['signals'], ['execution'], ['publisher', 'dashboard']];
    const phases = order.map((kinds) => this.slots.filter((s) => kinds.includes(s.kind)));
    const rest = this.slots.filter((s) => !order.flat().includes(s.kind));
    if (rest.length) phases.splice(phases.length - 1, 0, rest);
    for (let p = 0; p < phases.length; p++) {
      // Leave the last phase (publisher) a fair share of the time to flush.
      const left = deadline - Date.now();
      const phaseDeadline = Date.now() + Math.max(50, p === phases.length - 1 ? left : left / 2);
      await Promise.all(phases[p].map((s) => this.stopActor(s, phaseDeadline)));
    }
    this.control_?.close();
    await Promise.race([this.notifier?.drain(), new Promise((r) => setTimeout(r, 500))]); // alerts under way, bounded
    this.log.info('all actors stopped');
  }

  /** A worker is terminable unless one of its actors holds uWebSockets.js sockets: see checkHealth. */
  private terminable(s: ActorSlot): boolean {
    return !this.slots.some((m) => m.worker === s.worker && HOLDS_UWS_SOCKETS.has(m.kind));
  }

  private stopActor(s: ActorSlot, deadlineMs: number): Promise<void> {
    const w = s.worker;
    if (!w) return Promise.resolve();
    return new Promise((resolve) => {
      let poll: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        clearTimeout(poll);
        w.off('exit', done);
        resolve();
      };
      const timer = setTimeout(() => {
        if (!this.terminable(s)) {
          this.log.error({ actor: s.name }, 'actor did not stop in time and cannot be terminated (uWebSockets.js): left behind');
          done();
          return;
        }
        this.log.warn({ actor: s.name }, 'actor did not stop in time: terminated');
        void w.terminate();
      }, Math.max(0, deadlineMs - Date.now()));
      w.once('exit', done);
      // A co-located actor is done when its runner says so; its thread lives on until the last one stops.
      if (s.shared) {
        const check = () => (this.health.get(s.index, HEALTH_FIELDS.state) === ActorState.Stopped ? done() : (poll = setTimeout(check, 10)));
        poll = setTimeout(check, 10);
      }
      const cmd: SupervisorCommand = { t: 'stop', deadlineMs };
      this.post(s, cmd);
      Atomics.add(this.bells, doorbellIndex(s.index), 1);
      Atomics.notify(this.bells, doorbellIndex(s.index));
    });
  }
}

function processMemory(): EngineStatus['process'] {
  const m = process.memoryUsage();
  const mb = (x: number) => Math.round((x / 1048576) * 10) / 10;
  // heapTotal: what the main isolate holds (its young generation included), which heapUsed does not show
  return { rssMb: mb(m.rss), mainHeapUsedMb: mb(m.heapUsed), mainHeapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
}
