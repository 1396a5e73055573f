import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { buildNative } from '../native.js';
import { depthCapacity, FeederHandle, feederSymbols } from './FeederHandle.js';
import { runSchedule, stampedResult, type RatePlan } from './RateSchedule.js';
import type { RunResult } from './report.js';
import { STAMP_WIDTH } from './TickStamps.js';
import { hotNice } from './hotNice.js';

export interface NativeSocketOptions {
  /** epoll: waits in epoll_wait, three threads (the engine's default placement); busy: one thread busy-polling */
  wait: 'epoll' | 'busy';
  rates: RatePlan[];
  seconds: number;
  warmupSeconds: number;
  log?: (line: string) => void;
}

/** What pipeline3 prints as its last line in socket mode. */
export interface NativeSocketSummary {
  pipeline: string;
  depth: number;
  decided: number;
  tick_by_tick: number;
  other_frames: number;
  reads: number;
  beyond_capacity: number;
  signals: number;
  dropped: number;
  stamps: number;
  threads: number;
}

/**
 * The native C++ pipeline on the feeder's socket (native-bench/pipeline3 --tws-port): the same frames, the
 * same schedule and the same per-tick segments as the engine; its stamps (ns on the engine clock) come
 * back in a file when the feeder closes the socket.
 */
export async function runNativeSocketPipeline(o: NativeSocketOptions): Promise<{ results: RunResult[]; summary: NativeSocketSummary }> {
  const bin = join(buildNative(), 'pipeline3');
  const base = loadConfig({ env: {} }).config;
  const symbols = feederSymbols(base);
  const feeder = await FeederHandle.start(symbols, depthCapacity(o.rates.map((r) => r.rate), o.seconds, o.warmupSeconds, 10_000));
  const origin = process.hrtime.bigint();
  feeder.setClock(origin);
  const dir = mkdtempSync(join(tmpdir(), 'at-e2e-native-'));
  const stampsFile = join(dir, 'stamps.f64');
  const ticks = feeder.runIdOf.length;
  // At the engine's hot-path nice (through nice(1): every thread of the process inherits it), as the other pipelines.
  const nice = hotNice(base);
  const argv = ['--tws-port', String(feeder.port), '--socket-wait', o.wait, '--clock-origin', origin.toString(), '--ticks', String(ticks), '--stamps', stampsFile, '--symbols', symbols.map((s) => s.symbol).join(',')];
  const child = nice === 0 ? spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('nice', ['-n', String(nice), bin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let decided = 0;
  let summary: NativeSocketSummary | undefined;
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const j = JSON.parse(line) as { decided: number; pipeline?: string };
      decided = j.decided;
      if (j.pipeline) summary = j as NativeSocketSummary;
    } catch {
      /* not a progress line */
    }
  });
  const exited = new Promise<number>((res) => child.on('exit', (code) => res(code ?? -1)));
  const name = o.wait === 'busy' ? 'native-busy' : 'native';
  try {
    await Promise.race([feeder.subscribed, exited.then((c) => Promise.reject(new Error(`pipeline3 exited (${c}) before subscribing: ${stderr.trim()}`)))]);
    const measured = await runSchedule({ feeder, rates: o.rates, seconds: o.seconds, warmupSeconds: o.warmupSeconds, decided: () => decided, log: o.log });
    await feeder.stop(); // closes the socket: pipeline3 sees EOF, writes its stamps and exits
    const code = await Promise.race([exited, new Promise<number>((res) => setTimeout(() => res(-2), 30_000))]);
    if (code !== 0 || !summary) throw new Error(`pipeline3 --tws-port failed (exit ${code}): ${stderr.trim()}`);
    const raw = readFileSync(stampsFile);
    const stamps = new Float64Array(ticks * STAMP_WIDTH);
    stamps.set(new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8));
    const results = measured.map((m) => {
      const r = stampedResult(name, m, feeder, stamps);
      o.log?.(`${name} ${m.label}: receipt→decision p50 ${((r.stages.receipt_to_decision?.p50_ns ?? 0) / 1e3).toFixed(1)} µs, wire→decision p50 ${((r.stages.wire_to_decision?.p50_ns ?? 0) / 1e3).toFixed(1)} µs, dropped ${r.dropped}`);
      return r;
    });
    return { results, summary };
  } finally {
    child.kill('SIGKILL');
    await feeder.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
