import { Worker } from 'node:worker_threads';
import { distPath } from '../../engine/config/projectRoot.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { FeederCommand, FeederData, FeederReport, FeederShared } from './twsFeeder.js';

export type SegmentDone = Extract<FeederReport, { t: 'segment-done' }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The next message of type `t` from a worker (rejects on its `error` report or after `timeoutMs`). */
export function once<T extends { t: string }>(w: Worker, t: string, timeoutMs: number): Promise<T> {
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

/**
 * The TWS feeder (twsFeeder.ts) in its thread, with the shared per-tick arrays it fills: one per pipeline
 * run, so every pipeline reads the same frames over the same kind of loopback socket and its depth
 * ordinals start at 0 with its session.
 */
export class FeederHandle {
  readonly shared: FeederShared;
  readonly intendedNs: Float64Array;
  readonly runIdOf: Uint8Array;
  private readonly progress: Int32Array;
  private readonly worker: Worker;
  readonly subscribed: Promise<unknown>;

  private constructor(readonly port: number, worker: Worker, shared: FeederShared) {
    this.worker = worker;
    this.shared = shared;
    this.intendedNs = new Float64Array(shared.intendedNs);
    this.runIdOf = new Uint8Array(shared.runId);
    this.progress = new Int32Array(shared.progress);
    this.subscribed = once(worker, 'subscribed', 120_000);
    this.subscribed.catch(() => {});
  }

  /** Starts a feeder for `symbols` with room for `depthCap` depth updates; resolves once it listens. */
  static async start(symbols: FeederData['symbols'], depthCap: number): Promise<FeederHandle> {
    const shared: FeederShared = {
      intendedNs: new SharedArrayBuffer(depthCap * 8), runId: new SharedArrayBuffer(depthCap), symbol: new SharedArrayBuffer(depthCap),
      price: new SharedArrayBuffer(depthCap * 8), progress: new SharedArrayBuffer(4),
    };
    const worker = new Worker(distPath('bench', 'e2e', 'twsFeeder.js'), { name: 'e2e-feeder', workerData: { symbols, depthOps: depthCap, shared } satisfies FeederData });
    const listening = once<{ t: string; port: number }>(worker, 'listening', 60_000);
    const h = new FeederHandle(0, worker, shared);
    const { port } = await listening;
    (h as { port: number }).port = port;
    return h;
  }

  /** Puts the feeder on the pipeline's clock (MonoClock origin, `process.hrtime.bigint()` units). */
  setClock(origin: bigint): void {
    this.worker.postMessage({ t: 'clock', origin: origin.toString() } satisfies FeederCommand);
  }

  /** Depth updates sent since the session began. */
  get sent(): number {
    return Atomics.load(this.progress, 0);
  }

  /** Feeds `depthOps` depth updates at `rate`/s, intended times t0 + d/rate; runId 0 = not measured. */
  feed(rate: number, depthOps: number, runId: number): Promise<SegmentDone> {
    const done = once<SegmentDone>(this.worker, 'segment-done', (depthOps / rate) * 1000 * 5 + 30_000);
    this.worker.postMessage({ t: 'segment', rate, depthOps, runId } satisfies FeederCommand);
    return done;
  }

  async stop(): Promise<void> {
    this.worker.postMessage({ t: 'stop' } satisfies FeederCommand);
    await sleep(50);
    await this.worker.terminate();
  }
}

/** Depth updates the feeder needs room for: every segment of every rate, the books, the max probe. */
export function depthCapacity(rates: number[], seconds: number, warmupSeconds: number, initial: number): number {
  const est = rates.reduce((a, r) => a + (r || 400_000) * (seconds + warmupSeconds), 0) + 200_000 + 400_000 * 4.4 + initial;
  return Math.ceil(est * 1.1);
}

/**
 * The maximum sustainable rate. First 400k depth updates/s are offered for half a second, timing how fast
 * the pipeline absorbs them (A). Absorbing a burst is not sustaining a rate, so rates from 0.9·A down are
 * then fed for `tryS` seconds each; the first whose last tick is through within 50 ms of the feed's end (no
 * backlog built up) is the answer. `seen()` counts the ticks through the stage that defines "absorbed".
 */
export async function probeMax(
  feed: (rate: number, n: number, runId: number) => Promise<SegmentDone>,
  seen: () => Promise<number> | number,
  tryS: number,
): Promise<{ rate: number; absorbed: number; tried: string[] }> {
  /** ms from the feed's end until `n` more ticks than `before` are through (Infinity: 2 s). */
  const lagAfter = async (before: number, n: number): Promise<number> => {
    const tEnd = performance.now();
    for (let i = 0; i < 200; i++) {
      if ((await seen()) - before >= n) return performance.now() - tEnd;
      await sleep(10);
    }
    return Infinity;
  };
  let before = await seen();
  const t0 = performance.now();
  const probe = await feed(400_000, 200_000, 0);
  await lagAfter(before, probe.sent);
  const absorbed = ((await seen()) - before) / ((performance.now() - t0) / 1000);
  await sleep(500);
  const tried: string[] = [];
  let rate = 1000;
  for (const f of [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]) {
    rate = Math.max(1000, Math.round((absorbed * f) / 1000) * 1000);
    before = await seen();
    const seg = await feed(rate, Math.round(rate * tryS), 0);
    const lag = await lagAfter(before, seg.sent);
    tried.push(`${rate}/s: ${Number.isFinite(lag) ? `${lag.toFixed(0)} ms` : 'over 2 s'} behind at the end`);
    await sleep(300);
    if (lag <= 50) break;
  }
  return { rate, absorbed: Math.round(absorbed), tried };
}

/** The feeder's symbols: the configuration's level-2 ones, in configuration order. */
export function feederSymbols(cfg: EngineConfig): FeederData['symbols'] {
  return cfg.symbols.filter((s) => s.level2).map((s) => ({ symbol: s.symbol, basePrice: s.basePrice, numRows: s.numRows, level2: true }));
}
