/**
 * The native C++ baseline (native-bench/), built on demand with the machine's g++ and make, and run as
 * child processes that print one JSON line. Used by `npm run bench -- ring` (native-spsc row) and by the
 * end-to-end harness (the native three-stage pipeline).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../engine/config/projectRoot.js';
import type { StageSummary } from './e2e/LatencyHistogram.js';

/** One stage's percentiles: the same shape the e2e report carries. */
export type StageLatency = StageSummary;

/** What `pipeline3` prints (issue 7's run shape, plus what it measured about itself). */
export interface NativePipelineResult {
  pipeline: 'native';
  rate: number;
  messages: number;
  seconds: number;
  achieved_rate: number;
  stages: { tick_to_book: StageLatency; tick_to_analytics: StageLatency; tick_to_signal: StageLatency };
  dropped: number;
  signals: number;
  size: number;
  capacity: number;
  threads: number;
  wait: string;
}

/** What `spsc_bench` prints. p*_ns are one-way hop estimates (half the round trip). */
export interface NativeSpscResult {
  name: 'native-spsc';
  messages: number;
  seconds: number;
  msgs_per_s: number;
  checksum: number;
  expected_checksum: number;
  bad_messages: number;
  checksum_ok: boolean;
  round_trips: number;
  ping_pong_seconds: number;
  rtt_p50_ns: number;
  rtt_p99_ns: number;
  rtt_p999_ns: number;
  rtt_max_ns: number;
  p50_ns: number;
  p99_ns: number;
  p999_ns: number;
  size: number;
  slot_size: number;
  capacity: number;
  batch: number;
  initial_seq: number;
  order: 'release' | 'seq-cst';
  wait: string;
}

export function nativeBenchDir(): string {
  return join(projectRoot(), 'native-bench');
}

function haveTool(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

let built = false;

/**
 * Runs `make -C native-bench` (incremental, so cheap when up to date) once per process and returns the
 * build directory. Throws a message that says what to install when g++ or make is missing.
 */
export function buildNative(): string {
  const dir = nativeBenchDir();
  const out = join(dir, 'build');
  if (built) return out;
  const missing = [haveTool('make') ? '' : 'make', haveTool(process.env.CXX || 'g++') ? '' : process.env.CXX || 'g++'].filter(Boolean);
  if (missing.length) {
    throw new Error(`native-bench needs ${missing.join(' and ')} to build the C++ baseline; install with: sudo apt-get install -y g++ make`);
  }
  const r = spawnSync('make', ['-s', '-C', dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`make -C native-bench failed (exit ${r.status ?? r.error?.message}):\n${r.stderr || ''}${r.stdout || ''}`);
  }
  built = true;
  return out;
}

function runJson<T>(program: string, args: string[], timeoutMs: number): T {
  const bin = join(buildNative(), program);
  if (!existsSync(bin)) throw new Error(`${bin} was not built`);
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 20 });
  if (r.error) throw new Error(`${program} ${args.join(' ')}: ${r.error.message}`);
  const line = (r.stdout || '').trim().split('\n').pop() || '';
  if (r.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || '').trim()} ${line}`.trim());
  }
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`${program} printed no JSON: ${JSON.stringify(r.stdout)} ${r.stderr}`);
  }
}

export interface NativeSpscOptions {
  messages?: number; // streamed messages (default 10 M)
  roundTrips?: number; // ping-pong round trips at most (default 1 M)
  maxSeconds?: number; // ping-pong time cap
  maxStreamSeconds?: number; // streaming time cap (the producer stops early and says how many it sent)
  size?: number; // message bytes, multiple of 8 (default 128, the engine's slot size)
  capacity?: number; // ring slots (default 1024)
  batch?: number; // producer publishes every `batch` messages when streaming (default 64)
  initialSeq?: number; // first 32-bit ring sequence (tests start near 2^32 to cross the wrap)
  /** 'seq-cst': every publish and cursor store sequentially consistent, as JavaScript's Atomics make them */
  order?: 'release' | 'seq-cst';
}

/** Streaming throughput and ping-pong latency of the native ring. Throws if a message was lost or torn. */
export function runNativeSpsc(o: NativeSpscOptions = {}): NativeSpscResult {
  const args: string[] = [];
  const add = (k: string, v: number | undefined) => v !== undefined && args.push(`--${k}`, String(v));
  add('messages', o.messages);
  add('round-trips', o.roundTrips);
  add('max-seconds', o.maxSeconds);
  add('max-stream-seconds', o.maxStreamSeconds);
  add('size', o.size);
  add('capacity', o.capacity);
  add('batch', o.batch);
  add('initial-seq', o.initialSeq);
  if (o.order) args.push('--order', o.order);
  const res = runJson<NativeSpscResult>('spsc_bench', args, ((o.maxSeconds ?? 10) + 60) * 1000);
  if (!res.checksum_ok) throw new Error(`native spsc_bench lost or corrupted messages: ${JSON.stringify(res)}`);
  return res;
}

export interface NativePipelineOptions {
  rate: number; // messages per second; 0 = as fast as the rings accept
  seconds?: number; // run length (count = rate × seconds), default 2
  count?: number; // exact message count instead of rate × seconds
  capacity?: number; // slots per ring (default 1024)
  spins?: number; // empty polls before a waiting thread starts to sched_yield (default 256)
  wait?: 'park' | 'yield'; // park on a futex after `yields` sched_yields (default), or only ever yield
  yields?: number; // sched_yields before parking (default 16)
}

/**
 * The native generator → book → analytics → signal pipeline at a fixed rate, timed from each message's
 * intended send time. Blocks until the child exits (it runs for about `seconds`).
 */
export function runNativePipeline(o: NativePipelineOptions): NativePipelineResult {
  if (!Number.isFinite(o.rate) || o.rate < 0) throw new RangeError(`rate must be a non-negative number, got ${o.rate}`);
  const seconds = o.seconds ?? 2;
  const args = ['--rate', String(Math.round(o.rate)), '--seconds', String(seconds)];
  if (o.count !== undefined) args.push('--count', String(o.count));
  if (o.capacity !== undefined) args.push('--capacity', String(o.capacity));
  if (o.spins !== undefined) args.push('--spins', String(o.spins));
  if (o.wait !== undefined) args.push('--wait', o.wait);
  if (o.yields !== undefined) args.push('--yields', String(o.yields));
  return runJson<NativePipelineResult>('pipeline3', args, (seconds + 60) * 1000);
}
