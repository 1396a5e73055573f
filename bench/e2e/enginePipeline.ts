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
import type { ObserverCollect, ObserverCounters, ObserverData } from './observer.js';
import type { RunResult, Stage } from './report.js';
import type { FeederCommand, FeederData, FeederReport, FeederShared } from './twsFeeder.js';
import { pct } from '../pingPong.js';

export interface EngineRate {
  label: string;
  rate: number; // 0 = find the maximum sustainable rate first
}

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
  const actors = cfg.actors.map((a) => {
    const { worker: _w, ...rest } = a;
    return pipeline === 'engine-colocated' && HOT_GROUP.includes(a.kind) ? { ...rest, worker: 'hot' } : rest;
  });
  return validateConfig({ ...cfg, actors });
}

function once<T extends { t: string }>(w: Worker, t: string, timeoutMs: number): Promise<T> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      w.off('message', on);
      rej(new Error(`timed out waiting for ${t}`));
    }, timeoutMs);
    const on = (m: T) => {
      if (m.t === 'error') {
        clearTimeout(timer);
        w.off('message', on);
        rej(new Error((m as unknown as { message: string }).message));
      }
      if (m.t !== t) return;
      clearTimeout(timer);
      w.off('message', on);
      res(m);
    };
    w.on('message', on);
  });
}

/** Runs the engine once with the given placement through every rate; one RunResult per rate. */
export async function runEnginePipeline(o: EngineRunOptions): Promise<RunResult[]> {
  const log = o.log ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'at-e2e-engine-'));
  const redis = await startRedis();
  const base = loadConfig({ env: {} }).config;
  const l2 = base.symbols.filter((s) => s.level2);
  // Capacity of the shared per-tick arrays: every segment's depth operations (+ the initial books, and the
  // max probe: a 200k burst, then 1 s tries from 0.9× the burst rate down, 4.4 s of it in all).
  const est = o.rates.reduce((a, r) => a + (r.rate || 400_000) * (o.seconds + o.warmupSeconds), 0) + 200_000 + 400_000 * 4.4 + 20_000 + 10 * l2.length * 40;
  const depthCap = Math.ceil(est * 1.1);
  const shared: FeederShared = {
    intendedNs: new SharedArrayBuffer(depthCap * 8), runId: new SharedArrayBuffer(depthCap), symbol: new SharedArrayBuffer(depthCap),
    price: new SharedArrayBuffer(depthCap * 8), progress: new SharedArrayBuffer(4),
  };
  const feeder = new Worker(distPath('bench', 'e2e', 'twsFeeder.js'), {
    name: 'e2e-feeder',
    workerData: { symbols: l2.map((s) => ({ symbol: s.symbol, basePrice: s.basePrice, numRows: s.numRows, level2: true })), depthOps: depthCap, shared } satisfies FeederData,
  });
  let sup: Supervisor | undefined;
  let venues: EmbeddedVenueInfo | undefined;
  let observer: Worker | undefined;
  const results: RunResult[] = [];
  try {
    const { port: twsPort } = await once<{ t: string; port: number }>(feeder, 'listening', 60_000);
    const cfg = benchConfig(o.pipeline, twsPort, redis.port, dataDir, o.overrides);
    const slog = createLogger(cfg.logging, { component: 'supervisor' });
    venues = await startEmbeddedVenues(cfg, slog);
    const token = randomBytes(16).toString('hex');
    const runtime: RuntimeInfo = {
      engineStartMs: Date.now(), dashboardToken: token, alphaVantageUrl: venues.alphaVantageUrl, alphaVantageKey: venues.alphaVantageKey,
      alpacaUrl: venues.alpacaUrl, alpacaKeyId: venues.alpacaKeyId, alpacaSecret: venues.alpacaSecret, redisUrl: `redis://127.0.0.1:${redis.port}`,
    };
    sup = new Supervisor(cfg, slog, runtime);
    // The engine's clock origin for the feeder and the observer: every timestamp is on one MonoClock.
    const clockOrigin = sup.clockOrigin;
    feeder.postMessage({ t: 'clock', origin: clockOrigin.toString() } satisfies FeederCommand);
    const dashPort = new Promise<number>((res) => sup!.on('cold', (m: ColdEnvelope) => {
      if (m.topic === 'dashboard-listening') res((unpackCold(m.data) as { port: number }).port);
    }));
    const subscribed = once(feeder, 'subscribed', 60_000);
    sup.start();
    await sup.waitReady(60_000);
    await subscribed;
    const port = await Promise.race([dashPort, sleep(10_000).then(() => 0)]);
    const symbols = cfg.symbols.map((s) => s.symbol);
    observer = new Worker(distPath('bench', 'e2e', 'observer.js'), {
      name: 'e2e-observer',
      workerData: {
        clockOrigin: clockOrigin.toString(), rings: sup.topology.rings.map((r) => ({ name: r.name, sab: r.sab })), shared,
        symbols, redis: { host: '127.0.0.1', port: redis.port }, dashboard: port ? { port, token } : undefined,
      } satisfies ObserverData,
    });
    await once(observer, 'ready', 30_000);
    log(`${o.pipeline}: engine up (${sup.topology.actors.map((a) => `${a.name}@${a.worker}`).join(', ')}), dashboard port ${port}`);

    const feed = async (rate: number, depthOps: number, runId: number) => {
      const done = once<Extract<FeederReport, { t: 'segment-done' }>>(feeder, 'segment-done', (depthOps / rate) * 1000 * 5 + 30_000);
      feeder.postMessage({ t: 'segment', rate, depthOps, runId } satisfies FeederCommand);
      return done;
    };
    let collectSeq = 200;
    const collect = async (runId: number) => {
      const r = once<ObserverCollect>(observer!, 'collected', 30_000);
      observer!.postMessage({ t: 'collect', runId });
      return r;
    };
    // Books first (the model's initial rows), then a settling second.
    await feed(5_000, 5_000, 0);
    await sleep(500);

    let runId = 0;
    for (const r of o.rates) {
      let rate = r.rate;
      const notes: string[] = [];
      if (rate === 0) {
        const tryS = Math.min(1, o.warmupSeconds + o.seconds);
        const m = await probeMax(feed, () => collect(++collectSeq), tryS);
        rate = m.rate;
        notes.push(`maximum sustainable rate: ${rate}/s, the highest rate that left no backlog after ${tryS} s (a 400k/s burst was absorbed at ${m.absorbed}/s; tried ${m.tried.join(', ')})`);
      }
      runId++;
      await feed(rate, Math.round(rate * o.warmupSeconds), 0);
      const statusBefore = sup.status();
      const cpuBefore = cpuByWorker(sup);
      const t0 = performance.now();
      const seg = await feed(rate, Math.round(rate * o.seconds), runId);
      const windowS = (performance.now() - t0) / 1000;
      const cpuAfter = cpuByWorker(sup);
      // Above the sustainable rate a backlog sits in the socket when the feed ends: wait until the books stop
      // moving (bounded), so its ticks are timed, not miscounted as dropped. Then let the slow consumers
      // (publisher flush, 10 Hz dashboard) catch up with the last ticks.
      const backlogMs = await quiesce(sup, 'market-data', 300, 15_000);
      if (backlogMs > 300) notes.push(`a backlog took ${(backlogMs / 1000).toFixed(1)} s to drain after the feed ended (its ticks are in the figures)`);
      await sleep(Math.max(400, 3 * (1000 / cfg.dashboard.rateHz) + 2 * cfg.redis.flushMs));
      const statusAfter = sup.status();
      const got = await collect(runId);
      const stages: Partial<Record<Stage, ReturnType<LatencyHistogram['summary']>>> = {};
      const names: Record<string, Stage> = { book: 'tick_to_book', analytics: 'tick_to_analytics', signal: 'tick_to_signal', order: 'tick_to_order', redis: 'tick_to_redis', dashboard: 'tick_to_dashboard' };
      for (const [k, stage] of Object.entries(names)) {
        const s = LatencyHistogram.decode(got.hist[k as keyof typeof got.hist]).summary();
        if (s.count > 0) stages[stage] = s;
      }
      const ringDelta = ringCounters(statusAfter, statusBefore);
      const booked = stages.tick_to_book?.count ?? 0;
      const ages = got.counters.dashboardFrameAgeMs.sort((x, y) => x - y);
      const gaps = got.counters.dashboardFrameGapMs.sort((x, y) => x - y);
      if (ages.length) {
        notes.push(`dashboard frames: ${ages.length}; content age on arrival (receipt − newest tick shown) p50 ${pct(ages, 50)} ms, p90 ${pct(ages, 90)} ms; gap between a symbol's frames p50 ${pct(gaps, 50)} ms, p90 ${pct(gaps, 90)} ms, ${gaps.filter((g) => g > 1500 / cfg.dashboard.rateHz).length} of ${gaps.length} over 1.5 feed periods (${Math.round(1000 / cfg.dashboard.rateHz)} ms)`);
      }
      if (got.counters.priceMismatches) notes.push(`${got.counters.priceMismatches} DepthUpdates out of step with the feed since start (the tap re-synchronised by price and symbol)`);
      const lost = Object.values(got.counters.tapLost).reduce((a, b) => a + b, 0);
      if (lost) notes.push(`the observer's ring tap was lapped: ${lost} messages unseen`);
      if (seg.exhausted) notes.push('the pre-generated feed ran out before the segment ended');
      notes.push(`feeder lateness p50 ${(seg.lateP50Ns / 1e3).toFixed(0)} µs, p99 ${(seg.lateP99Ns / 1e3).toFixed(0)} µs, max ${(seg.lateMaxNs / 1e6).toFixed(2)} ms (included in the latencies: they run from the intended time)`);
      if (!stages.tick_to_signal) notes.push('no signals during the window (the strategies did not fire): tick_to_signal / tick_to_order have no samples');
      results.push({
        pipeline: o.pipeline,
        rate,
        stages,
        dropped: seg.sent - booked + ringDelta.dropped,
        rate_label: r.label,
        throughput_per_s: Math.round(booked / o.seconds),
        overruns: ringDelta.overruns,
        cpu: cpuPercent(cpuBefore, cpuAfter, windowS, { feeder: seg.cpuMs }),
        notes,
      });
      log(`${o.pipeline} ${r.label}: book p50 ${((stages.tick_to_book?.p50_ns ?? 0) / 1e3).toFixed(1)} µs, analytics p50 ${((stages.tick_to_analytics?.p50_ns ?? 0) / 1e3).toFixed(1)} µs, signal n=${stages.tick_to_signal?.count ?? 0}, redis p50 ${((stages.tick_to_redis?.p50_ns ?? 0) / 1e6).toFixed(1)} ms, dashboard p50 ${((stages.tick_to_dashboard?.p50_ns ?? 0) / 1e6).toFixed(1)} ms, dropped ${results.at(-1)!.dropped}, overruns ${ringDelta.overruns}`);
    }
    return results;
  } finally {
    observer?.postMessage({ t: 'stop' });
    await sup?.shutdown().catch(() => {});
    await venues?.stop().catch(() => {});
    feeder.postMessage({ t: 'stop' } satisfies FeederCommand);
    await Promise.all([observer?.terminate(), feeder.terminate()]);
    redis.child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(redis.dir, { recursive: true, force: true });
  }
}

/**
 * The maximum sustainable rate. First 400k depth updates/s are offered for half a second, timing how fast
 * the book stage absorbs them (A). Absorbing a burst is not sustaining a rate, so rates from 0.9·A down are
 * then fed for `tryS` seconds each (1 s: half a second let a slowly growing queue pass); the first whose last
 * tick reaches the book within 50 ms of the feed's end (no backlog built up) is the answer.
 */
async function probeMax(
  feed: (rate: number, n: number, runId: number) => Promise<Extract<FeederReport, { t: 'segment-done' }>>,
  counters: () => Promise<ObserverCollect>,
  tryS: number,
): Promise<{ rate: number; absorbed: number; tried: string[] }> {
  const depthSeen = async () => (await counters()).counters.depthSeen;
  /** ms from the feed's end until the book stage has seen `n` updates more than `before` (Infinity: 2 s). */
  const lagAfter = async (before: number, n: number): Promise<number> => {
    const tEnd = performance.now();
    for (let i = 0; i < 200; i++) {
      if ((await depthSeen()) - before >= n) return performance.now() - tEnd;
      await sleep(10);
    }
    return Infinity;
  };
  let before = await depthSeen();
  const t0 = performance.now();
  const probe = await feed(400_000, 200_000, 0);
  await lagAfter(before, probe.sent);
  const absorbed = ((await depthSeen()) - before) / ((performance.now() - t0) / 1000);
  await sleep(500);
  const tried: string[] = [];
  let rate = 1000;
  for (const f of [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]) {
    rate = Math.max(1000, Math.round((absorbed * f) / 1000) * 1000);
    before = await depthSeen();
    const seg = await feed(rate, Math.round(rate * tryS), 0);
    const lag = await lagAfter(before, seg.sent);
    tried.push(`${rate}/s: ${Number.isFinite(lag) ? `${lag.toFixed(0)} ms` : 'over 2 s'} behind at the end`);
    await sleep(300);
    if (lag <= 50) break;
  }
  return { rate, absorbed: Math.round(absorbed), tried };
}

/** Waits until ring `name` has published nothing for `quietMs` (at most `maxMs`); returns the time waited. */
async function quiesce(sup: Supervisor, name: string, quietMs: number, maxMs: number): Promise<number> {
  const t0 = performance.now();
  const published = () => sup.status().rings.find((r) => r.name === name)?.published ?? 0;
  let last = published();
  while (performance.now() - t0 < maxMs) {
    await sleep(quietMs);
    const now = published();
    if (now === last) break;
    last = now;
  }
  return performance.now() - t0;
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
