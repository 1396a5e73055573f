/**
 * The engine under load: a redis-server of its own (keyspace notifications on), the embedded venue
 * simulators the configuration asks for (Alpha Vantage for options), the TWS feeder as the market venue,
 * and the real Supervisor with every actor in worker threads, in this process (so the observer can map the
 * rings). Then, per rate, a warm-up segment and a measured segment fed at the intended times; the observer's
 * histograms, the rings' drop/overrun counters and each worker's CPU are collected per run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { deepMerge, loadConfig, validateConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { distPath } from '../../engine/config/projectRoot.js';
import { createLogger } from '../../engine/log/logger.js';
import type { RuntimeInfo } from '../../engine/runtime/ActorContext.js';
import { unpackCold, type ColdEnvelope } from '../../engine/runtime/ColdMessage.js';
import { HEALTH_FIELDS } from '../../engine/runtime/HealthTable.js';
import { Supervisor } from '../../engine/supervisor/Supervisor.js';
import { startEmbeddedVenues, type EmbeddedVenueInfo } from '../../engine/venues/EmbeddedVenues.js';
import { freePort } from '../freePort.js';
import { LatencyHistogram } from './LatencyHistogram.js';
import type { ObserverCollect, ObserverData, OBS_STAGES } from './observer.js';
import type { RunResult, Stage } from './report.js';
import { DecisionProbe } from '../../engine/runtime/DecisionProbe.js';
import { depthCapacity, FeederHandle, feederSymbols, once } from './FeederHandle.js';
import { runSchedule, stampedResult, type RatePlan } from './RateSchedule.js';
import { newTickStamps } from './TickStamps.js';
import { pct } from '../pingPong.js';

type ObsStage = (typeof OBS_STAGES)[number];

export type EngineRate = RatePlan;

export interface EngineRunOptions {
  pipeline: 'engine' | 'engine-colocated';
  rates: EngineRate[];
  seconds: number;
  warmupSeconds: number;
  /** config overlay (merged over config/default.yaml): the bench's own knobs */
  overrides?: Record<string, unknown>;
  log?: (line: string) => void;
}

const HOT_GROUP = ['market-depth', 'analytics', 'signals'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startRedis(): Promise<{ child: ChildProcess; port: number; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'at-e2e-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--notify-keyspace-events', 'K$'], { stdio: 'ignore' });
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  for (let i = 0; i < 100; i++) {
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      return { child, port, dir };
    } catch {
      c.disconnect();
      await sleep(50);
    }
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start (is it installed?)');
}

/** The bench configuration: the default one, the feeder as TWS, its own Redis, and the placement asked for. */
export function benchConfig(pipeline: EngineRunOptions['pipeline'], twsPort: number, redisPort: number, dataDir: string, overrides: Record<string, unknown> = {}): EngineConfig {
  const base = loadConfig({ env: {} }).config;
  const cfg = validateConfig(deepMerge(deepMerge(base, {
    engine: { dataDir },
    market: { source: 'tws', record: '' },
    venues: { tws: { host: '127.0.0.1', port: twsPort } },
    redis: { url: `redis://127.0.0.1:${redisPort}`, embedded: 'never' },
    dashboard: { host: '127.0.0.1', port: 0 },
    logging: { level: 'error', pretty: 'never' },
    // The real 0DTE strategy, firing often enough to sample tick → signal and tick → order: no imbalance floor,
    // its window from the simulated open (09:30, the bench's first second), a cooldown of 12 session seconds
    // (0.1 s wall at the default speed 120: ~30 signals/s over 3 symbols). Every snapshot with no cooldown
    // flooded execution (journal write per signal, 100 orders/s limit) and measured its queue, not its path.
    signals: { minConfidence: 0, zeroDte: { cooldownMs: 12_000, minImbalance: 0, from: '09:30' } },
  }), overrides));
  // Placement is the one thing the two engine pipelines differ in: everything else is the default config.
  // engine-colocated is the default placement of a small host whatever host runs the bench (every 'auto:NAME'
  // group taken: the hot path in one thread, options and the publisher in another); engine gives every actor
  // its own thread (the default on a host with more cores).
  const actors = cfg.actors.map((a) => {
    const { worker: w, ...rest } = a;
    if (pipeline !== 'engine-colocated') return rest;
    return w ? { ...rest, worker: w.replace(/^auto:/, '') } : HOT_GROUP.includes(a.kind) ? { ...rest, worker: 'hot' } : rest;
  });
  return validateConfig({ ...cfg, actors });
}

/** Execution's own timing of its journal appends (monitoring:execution:metrics), the segment inside tick → order. */
async function journalIntentUs(port: number): Promise<{ count: number; p50: number; p99: number } | null> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await c.connect();
    const raw = await c.get('monitoring:execution:metrics');
    const j = raw ? (JSON.parse(raw) as { journalIntentUs?: { count: number; p50: number | null; p99: number | null } }).journalIntentUs : undefined;
    return j && j.count && j.p50 !== null && j.p99 !== null ? { count: j.count, p50: j.p50, p99: j.p99 } : null;
  } catch {
    return null;
  } finally {
    c.disconnect();
  }
}

/** Runs the engine once with the given placement through every rate; one RunResult per rate. */
export async function runEnginePipeline(o: EngineRunOptions): Promise<RunResult[]> {
  const log = o.log ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'at-e2e-engine-'));
  const redis = await startRedis();
  const base = loadConfig({ env: {} }).config;
  const symbolsFed = feederSymbols(base);
  const feeder = await FeederHandle.start(symbolsFed, depthCapacity(o.rates.map((r) => r.rate), o.seconds, o.warmupSeconds, 20_000 + 10 * symbolsFed.length * 40));
  const stampsSab = newTickStamps(feeder.runIdOf.length);
  const decidedSab = new SharedArrayBuffer(4);
  const decided = new Int32Array(decidedSab);
  const decisionProbe = DecisionProbe.create();
  let sup: Supervisor | undefined;
  let venues: EmbeddedVenueInfo | undefined;
  let observer: Worker | undefined;
  try {
    const cfg = benchConfig(o.pipeline, feeder.port, redis.port, dataDir, o.overrides);
    const slog = createLogger(cfg.logging, { component: 'supervisor' });
    venues = await startEmbeddedVenues(cfg, slog);
    const token = randomBytes(16).toString('hex');
    const runtime: RuntimeInfo = {
      engineStartMs: Date.now(), dashboardToken: token, alphaVantageUrl: venues.alphaVantageUrl, alphaVantageKey: venues.alphaVantageKey,
      alpacaUrl: venues.alpacaUrl, alpacaKeyId: venues.alpacaKeyId, alpacaSecret: venues.alpacaSecret, redisUrl: `redis://127.0.0.1:${redis.port}`,
      decisionProbe, // the signals actor records every evaluation's time here (the "decision" of each tick)
    };
    sup = new Supervisor(cfg, slog, runtime);
    // The engine's clock origin for the feeder and the observer: every timestamp is on one MonoClock.
    const clockOrigin = sup.clockOrigin;
    feeder.setClock(clockOrigin);
    const dashPort = new Promise<number>((res) => sup!.on('cold', (m: ColdEnvelope) => {
      if (m.topic === 'dashboard-listening') res((unpackCold(m.data) as { port: number }).port);
    }));
    sup.start();
    await sup.waitReady(180_000); // generous: start-up on a host loaded by other work takes long
    await feeder.subscribed;
    const port = await Promise.race([dashPort, sleep(10_000).then(() => 0)]);
    const symbols = cfg.symbols.map((s) => s.symbol);
    observer = new Worker(distPath('bench', 'e2e', 'observer.js'), {
      name: 'e2e-observer',
      workerData: {
        clockOrigin: clockOrigin.toString(), rings: sup.topology.rings.map((r) => ({ name: r.name, sab: r.sab })), shared: feeder.shared,
        symbols, redis: { host: '127.0.0.1', port: redis.port }, dashboard: port ? { port, token } : undefined,
        stamps: stampsSab, decisionProbe, decided: decidedSab,
      } satisfies ObserverData,
    });
    await once(observer, 'ready', 30_000);
    log(`${o.pipeline}: engine up (${sup.topology.actors.map((a) => `${a.name}@${a.worker}`).join(', ')}), dashboard port ${port}`);

    const collect = async (runId: number) => {
      const r = once<ObserverCollect>(observer!, 'collected', 30_000);
      observer!.postMessage({ t: 'collect', runId });
      return r;
    };
    const stamps = new Float64Array(stampsSab);
    const results: RunResult[] = [];
    let statusBefore = sup.status();
    let cpuBefore = cpuByWorker(sup);
    await runSchedule({
      feeder, rates: o.rates, seconds: o.seconds, warmupSeconds: o.warmupSeconds, decided: () => Atomics.load(decided, 0), log,
      before: () => {
        statusBefore = sup!.status();
        cpuBefore = cpuByWorker(sup!);
      },
      after: async (m) => {
        const cpuAfter = cpuByWorker(sup!);
        // Let the slow consumers (publisher flush, 10 Hz dashboard) catch up with the last ticks.
        await sleep(Math.max(400, 3 * (1000 / cfg.dashboard.rateHz) + 2 * cfg.redis.flushMs));
        const statusAfter = sup!.status();
        const got = await collect(m.runId);
        const r = stampedResult(o.pipeline, m, feeder, stamps);
        const notes = r.notes ?? [];
        const names: Record<ObsStage, Stage> = { signal: 'tick_to_signal', order: 'tick_to_order', toExecution: 'signal_to_execution', inExecution: 'execution_to_order', redis: 'tick_to_redis', dashboard: 'tick_to_dashboard' };
        for (const [k, stage] of Object.entries(names)) {
          const x = LatencyHistogram.decode(got.hist[k as ObsStage]).summary();
          if (x.count > 0) r.stages[stage] = x;
        }
        const ages = got.counters.dashboardFrameAgeMs.sort((x, y) => x - y);
        const gaps = got.counters.dashboardFrameGapMs.sort((x, y) => x - y);
        if (ages.length) {
          const h = new LatencyHistogram();
          for (const a of ages) h.record(a * 1e6);
          r.stages.dashboard_age = h.summary();
          notes.push(`dashboard frames: ${ages.length}; dashboard_age = content age on arrival (receipt − newest tick shown, ms resolution) p50 ${pct(ages, 50)} ms, p90 ${pct(ages, 90)} ms; gap between a symbol's frames p50 ${pct(gaps, 50)} ms, p90 ${pct(gaps, 90)} ms, ${gaps.filter((g) => g > 1500 / cfg.dashboard.rateHz).length} of ${gaps.length} over 1.5 feed periods (${Math.round(1000 / cfg.dashboard.rateHz)} ms)`);
        }
        if (got.counters.priceMismatches) notes.push(`${got.counters.priceMismatches} DepthUpdates out of step with the feed since start (the tap re-synchronised by price and symbol)`);
        const lost = Object.values(got.counters.tapLost).reduce((a, b) => a + b, 0) + got.counters.probeLost;
        if (lost) notes.push(`the observer's ring tap or decision probe was lapped: ${lost} messages unseen`);
        if (!r.stages.tick_to_signal) notes.push('no signals during the window (the strategies did not fire): tick_to_signal / tick_to_order have no samples');
        const ringDelta = ringCounters(statusAfter, statusBefore);
        r.dropped += ringDelta.dropped;
        r.overruns = ringDelta.overruns;
        r.cpu = cpuPercent(cpuBefore, cpuAfter, m.windowS, { feeder: m.seg.cpuMs });
        r.notes = notes;
        results.push(r);
        const us = (s: Stage) => ((r.stages[s]?.p50_ns ?? 0) / 1e3).toFixed(1);
        const ju = await journalIntentUs(redis.port);
        if (ju) notes.push(`execution's journal intent append acknowledged (cumulative since start): p50 ${ju.p50} µs, p99 ${ju.p99} µs over ${ju.count}`);
        log(`${o.pipeline} ${m.label}: journal p50 ${ju?.p50} µs p99 ${ju?.p99} µs; receipt→decision p50 ${us('receipt_to_decision')} µs, wire→decision p50 ${us('wire_to_decision')} µs, signals ${r.stages.tick_to_signal?.count ?? 0}, redis p50 ${((r.stages.tick_to_redis?.p50_ns ?? 0) / 1e6).toFixed(1)} ms, dropped ${r.dropped}, overruns ${ringDelta.overruns}`);
      },
    });
    return results;
  } finally {
    observer?.postMessage({ t: 'stop' });
    await sup?.shutdown().catch(() => {});
    await venues?.stop().catch(() => {});
    await feeder.stop().catch(() => {});
    await observer?.terminate();
    redis.child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(redis.dir, { recursive: true, force: true });
  }
}

type Status = ReturnType<Supervisor['status']>;
function ringCounters(after: Status, before: Status): { dropped: number; overruns: number } {
  let dropped = 0;
  let overruns = 0;
  after.rings.forEach((r, i) => {
    const b = before.rings[i];
    dropped += r.dropped - b.dropped;
    r.readers.forEach((rd, j) => (overruns += rd.overruns - b.readers[j].overruns));
  });
  return { dropped, overruns };
}

/** CPU ms per worker thread (co-located actors share one figure), from the health table. */
function cpuByWorker(sup: Supervisor): Map<string, number> {
  const m = new Map<string, number>();
  sup.topology.actors.forEach((a, i) => {
    const v = sup.health.get(i, HEALTH_FIELDS.cpuUserMs) + sup.health.get(i, HEALTH_FIELDS.cpuSystemMs);
    m.set(a.worker, v);
  });
  return m;
}

function cpuPercent(before: Map<string, number>, after: Map<string, number>, windowS: number, extra: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) out[k] = Math.round(((v - (before.get(k) ?? 0)) / (windowS * 1000)) * 1000) / 10;
  for (const [k, v] of Object.entries(extra)) if (Number.isFinite(v)) out[k] = Math.round((v / (windowS * 1000)) * 1000) / 10;
  return out;
}
