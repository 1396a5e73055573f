/**
 * `npm run bench -- ring [--quick] [--json FILE] [--reps N] [--size BYTES]`: one hop between two threads,
 * six ways, in one run:
 *   engine-ring-spin    RingBuffer/RingProducer/RingReader between two workers, readers spinning (never
 *                       parking; `--spin-polls N` parks after N empty polls: the engine's spin-park strategy)
 *   engine-ring-park    the same, readers parking on their Doorbell (Atomics.wait) whenever a poll is empty
 *   post-message        worker.postMessage / parentPort.postMessage between the main thread and a worker
 *   message-channel     a MessageChannel whose two ports live in two workers
 *   native-spsc         the C++ ring of native-bench/ (same design), two std::threads
 *   native-spsc-seq-cst the same with every publish and cursor store sequentially consistent (and the
 *                       parked-flag load after it): the engine's protocol under JavaScript's Atomics, which
 *                       have no release store. Tells the cost of the memory order from the rest.
 *   atomics-wait-floor  a bare Atomics.wait/notify ping-pong on one Int32: the OS wake-up floor
 *
 * Latency (p50/p99/p999_ns) is one-way hop latency estimated as half of each ping-pong round trip, timed in
 * the pinging thread. Throughput (msgs_per_s) is streaming: a producer sends `messages` messages as fast
 * as the channel takes them and the consumer checks and sums them; for atomics-wait-floor, which carries no
 * payload, it is the ping-pong's hops per second. Every case runs `reps` times, interleaved, and each figure
 * is the median over the repetitions. Nothing here asserts a speed: targets are reported as ratios.
 */
import { availableParallelism, cpus } from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import { distPath } from '../engine/config/projectRoot.js';
import { Doorbell, RingBuffer } from '../engine/ring/index.js';
import { LINE_INTS } from '../engine/ring/RingLayout.js';
import { runNativeSpsc } from './native.js';
import { pingOver, type PingResult } from './pingPong.js';
import type { RingWorkerData } from './ringWorker.js';

export const RING_BENCH_NAMES = [
  'engine-ring-spin', 'engine-ring-park', 'post-message', 'message-channel', 'native-spsc', 'native-spsc-seq-cst', 'atomics-wait-floor',
] as const;
export type RingBenchName = (typeof RING_BENCH_NAMES)[number];

interface Settings {
  quick: boolean;
  reps: number;
  size: number;
  capacity: number;
  batch: number;
  spinPolls: number; // engine-ring-spin: empty polls before the reader parks (Infinity: never)
  fastMessages: number; // streamed through rings (spin) and native, at most
  parkMessages: number; // streamed through the parked ring, at most
  postMessages: number; // streamed through postMessage / MessageChannel, at most
  streamMs: number; // stream time cap per case
  roundTrips: number; // ping-pong cap
  pingMs: number; // ping-pong time cap per case
  caseTimeoutMs: number;
}

/** One repetition of one case. */
interface Sample {
  p50_ns: number;
  p99_ns: number;
  p999_ns: number;
  rtt_p50_ns: number;
  rtt_p99_ns: number;
  rtt_p999_ns: number;
  rtt_max_ns: number;
  msgs_per_s: number;
  round_trips: number;
  messages: number;
}

export interface RingBenchRow extends Sample {
  name: RingBenchName;
  p50_vs_native: number;
  p99_vs_native: number;
  msgs_per_s_vs_native: number;
  throughput: 'streaming' | 'ping-pong hops';
  runs: Sample[];
}

const WORKER = (): string => distPath('bench', 'ringWorker.js');

function parseArgs(args: string[]): Settings {
  const quick = args.includes('--quick');
  const num = (flag: string, def: number): number => {
    const i = args.indexOf(flag);
    if (i < 0) return def;
    const v = Number(args[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${flag} needs a positive number, got ${args[i + 1]}`);
    return v;
  };
  const size = num('--size', 64); // the message size; --size 128 for the engine's slot size
  if (size % 8 !== 0 || size < 16 || size > 4096) throw new Error(`--size must be a multiple of 8 between 16 and 4096, got ${size}`);
  // engine-ring-spin spins without ever parking unless --spin-polls N asks for the engine's spin-park strategy.
  const sp = args.indexOf('--spin-polls');
  const spinPolls = sp >= 0 && Number(args[sp + 1]) === 0 ? Infinity : num('--spin-polls', Infinity);
  return quick
    ? { quick, reps: num('--reps', 1), size, capacity: 1024, batch: 64, spinPolls, fastMessages: 20_000, parkMessages: 20_000, postMessages: 5_000, streamMs: 500, roundTrips: 2_000, pingMs: 300, caseTimeoutMs: 20_000 }
    : { quick, reps: num('--reps', 3), size, capacity: 1024, batch: 64, spinPolls, fastMessages: 3_000_000, parkMessages: 1_000_000, postMessages: 100_000, streamMs: 1_500, roundTrips: 1_000_000, pingMs: 120_000, caseTimeoutMs: 180_000 };
}

// ---------------------------------------------------------------- worker plumbing

interface Spawned {
  w: Worker;
  ready: Promise<void>;
  result: Promise<Record<string, unknown>>;
}

function spawn(data: RingWorkerData, transfer: MessageChannel['port1'][] = []): Spawned {
  const w = new Worker(WORKER(), { workerData: data, transferList: transfer });
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const result = new Promise<Record<string, unknown>>((resolve, reject) => {
    w.on('message', (m: { type?: string }) => {
      if (m && m.type === 'ready') onReady();
      else if (m && m.type === 'result') resolve(m as Record<string, unknown>);
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`ring bench worker ${data.role} exited (code ${code}) before reporting`)));
  });
  result.catch(() => onReady()); // a worker that dies before 'ready' must not leave the case waiting forever
  return { w, ready, result };
}

/** Runs a case's workers to completion; terminates them whatever happens, and gives up after `ms`. */
async function withWorkers<T>(workers: Spawned[], ms: number, body: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`ring bench case took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([body(), timeout, ...workers.map((s) => s.result.then(() => new Promise<never>(() => {})))]);
  } finally {
    clearTimeout(timer);
    await Promise.all(workers.map((s) => s.w.terminate()));
  }
}

function go(ctl: Int32Array): void {
  Atomics.store(ctl, 0, 1);
  Atomics.notify(ctl, 0);
}

function newCtl(): { sab: SharedArrayBuffer; arr: Int32Array } {
  const sab = new SharedArrayBuffer(4);
  return { sab, arr: new Int32Array(sab) };
}

/** Every message sent arrived once, intact: count, sum of message numbers, last-word check. */
function checkStream(what: string, sent: unknown, c: Record<string, unknown>): number {
  const n = sent as number;
  const expected = (n * (n - 1)) / 2;
  if (c.received !== n || c.sum !== expected || c.bad !== 0) {
    throw new Error(`${what}: messages lost or corrupted (sent ${n}, received ${c.received}, sum ${c.sum}, expected ${expected}, bad ${c.bad})`);
  }
  return n;
}

interface Stream { msgs_per_s: number; messages: number }

function fromPing(p: PingResult): Pick<Sample, 'p50_ns' | 'p99_ns' | 'p999_ns' | 'rtt_p50_ns' | 'rtt_p99_ns' | 'rtt_p999_ns' | 'rtt_max_ns' | 'round_trips'> {
  if (p.bad !== 0) throw new Error(`ping-pong echoed ${p.bad} wrong messages`);
  if (p.round_trips === 0) throw new Error('ping-pong completed no round trip');
  return {
    p50_ns: p.rtt_p50_ns / 2, p99_ns: p.rtt_p99_ns / 2, p999_ns: p.rtt_p999_ns / 2,
    rtt_p50_ns: p.rtt_p50_ns, rtt_p99_ns: p.rtt_p99_ns, rtt_p999_ns: p.rtt_p999_ns, rtt_max_ns: p.rtt_max_ns, round_trips: p.round_trips,
  };
}

function stream(messages: number, start: unknown, end: unknown): Stream {
  const ns = Number((end as bigint) - (start as bigint));
  return { msgs_per_s: ns > 0 ? (messages / ns) * 1e9 : 0, messages };
}

// ---------------------------------------------------------------- the cases

async function engineRingStream(s: Settings, wait: 'spin' | 'park'): Promise<Stream> {
  const total = wait === 'spin' ? s.fastMessages : s.parkMessages;
  const ring = RingBuffer.create({ capacity: s.capacity, slotSize: s.size, readers: [{ mode: 'lossless', doorbell: 0 }] });
  const bells = Doorbell.createArray(1);
  const ctl = newCtl();
  const base = { size: s.size, ctl: ctl.sab, wait, spinPolls: s.spinPolls, sabA: ring.sab, bells: bells.buffer as SharedArrayBuffer, total, maxMs: s.streamMs };
  const consumer = spawn({ ...base, role: 'ring-stream-consumer', bellIndex: 0 });
  const producer = spawn({ ...base, role: 'ring-stream-producer', batch: s.batch });
  return withWorkers([consumer, producer], s.caseTimeoutMs, async () => {
    await Promise.all([consumer.ready, producer.ready]);
    go(ctl.arr);
    const [p, c] = await Promise.all([producer.result, consumer.result]);
    return stream(checkStream(`engine-ring-${wait} stream`, p.sent, c), p.start, c.end);
  });
}

/** Both ends of a ping-pong ready, then go together; the pinger reports the round trips. */
function pingPong(s: Settings, ctl: Int32Array, pong: Spawned, ping: Spawned): Promise<PingResult> {
  return withWorkers([pong, ping], s.caseTimeoutMs, async () => {
    await Promise.all([pong.ready, ping.ready]);
    go(ctl);
    const [r] = await Promise.all([ping.result, pong.result]);
    return r as unknown as PingResult;
  });
}

async function engineRingPing(s: Settings, wait: 'spin' | 'park'): Promise<PingResult> {
  // Ring A: pinger → ponger (ponger's doorbell on line 1); ring B: ponger → pinger (pinger's on line 0).
  const a = RingBuffer.create({ capacity: s.capacity, slotSize: s.size, readers: [{ mode: 'lossless', doorbell: LINE_INTS }] });
  const b = RingBuffer.create({ capacity: s.capacity, slotSize: s.size, readers: [{ mode: 'lossless', doorbell: 0 }] });
  const bells = Doorbell.createArray(2).buffer as SharedArrayBuffer;
  const ctl = newCtl();
  const base = { size: s.size, ctl: ctl.sab, wait, spinPolls: s.spinPolls, sabA: a.sab, sabB: b.sab, bells };
  const pong = spawn({ ...base, role: 'ring-pong', bellIndex: LINE_INTS });
  const ping = spawn({ ...base, role: 'ring-ping', bellIndex: 0, roundTrips: s.roundTrips, maxMs: s.pingMs });
  return pingPong(s, ctl.arr, pong, ping);
}

async function postMessageStream(s: Settings): Promise<Stream> {
  const total = s.postMessages;
  const peer = spawn({ role: 'pm-peer', size: s.size, ctl: newCtl().sab, stream: true });
  return withWorkers([peer], s.caseTimeoutMs, async () => {
    await peer.ready;
    const payload = new Float64Array(s.size / 8);
    const start = process.hrtime.bigint();
    const deadline = performance.now() + s.streamMs;
    let sent = total;
    for (let i = 0; i < total; i++) {
      if ((i & 1023) === 0 && i > 0 && performance.now() > deadline) {
        sent = i;
        break;
      }
      for (let w = 0; w < payload.length; w++) payload[w] = i + w;
      peer.w.postMessage(payload);
    }
    peer.w.postMessage(null); // end of stream
    const c = await peer.result;
    return stream(checkStream('post-message stream', sent, c), start, c.end);
  });
}

async function postMessagePing(s: Settings): Promise<PingResult> {
  const peer = spawn({ role: 'pm-peer', size: s.size, ctl: newCtl().sab });
  return withWorkers([peer], s.caseTimeoutMs, async () => {
    await peer.ready;
    return pingOver(peer.w, s.size / 8, s.roundTrips, s.pingMs);
  });
}

async function messageChannelStream(s: Settings): Promise<Stream> {
  const total = s.postMessages;
  const { port1, port2 } = new MessageChannel();
  const ctl = newCtl();
  const consumer = spawn({ role: 'mc-consumer', size: s.size, ctl: ctl.sab, port: port2 }, [port2]);
  const producer = spawn({ role: 'mc-producer', size: s.size, ctl: ctl.sab, total, maxMs: s.streamMs, port: port1 }, [port1]);
  return withWorkers([consumer, producer], s.caseTimeoutMs, async () => {
    await Promise.all([consumer.ready, producer.ready]);
    go(ctl.arr);
    const [p, c] = await Promise.all([producer.result, consumer.result]);
    return stream(checkStream('message-channel stream', p.sent, c), p.start, c.end);
  });
}

async function messageChannelPing(s: Settings): Promise<PingResult> {
  const { port1, port2 } = new MessageChannel();
  const ctl = newCtl();
  const pong = spawn({ role: 'mc-pong', size: s.size, ctl: ctl.sab, port: port2 }, [port2]);
  const ping = spawn({ role: 'mc-ping', size: s.size, ctl: ctl.sab, port: port1, roundTrips: s.roundTrips, maxMs: s.pingMs }, [port1]);
  return pingPong(s, ctl.arr, pong, ping);
}

async function waitFloorPing(s: Settings): Promise<PingResult> {
  const word = new SharedArrayBuffer(128); // the Int32 alone on its own 128-byte block
  const ctl = newCtl();
  const pong = spawn({ role: 'wait-pong', size: s.size, ctl: ctl.sab, word });
  const ping = spawn({ role: 'wait-ping', size: s.size, ctl: ctl.sab, word, roundTrips: s.roundTrips, maxMs: s.pingMs });
  return pingPong(s, ctl.arr, pong, ping);
}

async function runCase(name: RingBenchName, s: Settings): Promise<Sample> {
  switch (name) {
    case 'engine-ring-spin':
    case 'engine-ring-park': {
      const wait = name === 'engine-ring-spin' ? 'spin' : 'park';
      const st = await engineRingStream(s, wait);
      return { ...fromPing(await engineRingPing(s, wait)), ...st };
    }
    case 'post-message': {
      const st = await postMessageStream(s);
      return { ...fromPing(await postMessagePing(s)), ...st };
    }
    case 'message-channel': {
      const st = await messageChannelStream(s);
      return { ...fromPing(await messageChannelPing(s)), ...st };
    }
    case 'native-spsc':
    case 'native-spsc-seq-cst': {
      const order = name === 'native-spsc' ? 'release' : 'seq-cst';
      const r = runNativeSpsc({ messages: s.fastMessages, roundTrips: s.roundTrips, maxSeconds: s.pingMs / 1000, maxStreamSeconds: s.streamMs / 1000, size: s.size, capacity: s.capacity, batch: s.batch, order });
      return {
        p50_ns: r.p50_ns, p99_ns: r.p99_ns, p999_ns: r.p999_ns, rtt_p50_ns: r.rtt_p50_ns, rtt_p99_ns: r.rtt_p99_ns, rtt_p999_ns: r.rtt_p999_ns,
        rtt_max_ns: r.rtt_max_ns, round_trips: r.round_trips, msgs_per_s: r.msgs_per_s, messages: r.messages,
      };
    }
    case 'atomics-wait-floor': {
      const p = await waitFloorPing(s);
      const f = fromPing(p);
      return { ...f, msgs_per_s: (2 * p.round_trips) / p.seconds, messages: 2 * p.round_trips };
    }
  }
}

// ---------------------------------------------------------------- aggregation and report

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const s = parseArgs(args);
  const runs = new Map<RingBenchName, Sample[]>(RING_BENCH_NAMES.map((n) => [n, []]));
  // Repetitions outermost: a burst of load from elsewhere on this shared machine then spreads over every
  // case instead of landing on one.
  for (let rep = 0; rep < s.reps; rep++) {
    for (const name of RING_BENCH_NAMES) runs.get(name)!.push(await runCase(name, s));
  }
  const med = (name: RingBenchName): Sample => {
    const rs = runs.get(name)!;
    const keys = Object.keys(rs[0]) as (keyof Sample)[];
    return Object.fromEntries(keys.map((k) => [k, median(rs.map((r) => r[k]))])) as unknown as Sample;
  };
  const native = med('native-spsc');
  const results: RingBenchRow[] = RING_BENCH_NAMES.map((name) => {
    const m = med(name);
    return {
      name,
      ...m,
      p50_ns: round(m.p50_ns, 1), p99_ns: round(m.p99_ns, 1), p999_ns: round(m.p999_ns, 1), msgs_per_s: Math.round(m.msgs_per_s),
      p50_vs_native: round(m.p50_ns / native.p50_ns), p99_vs_native: round(m.p99_ns / native.p99_ns),
      msgs_per_s_vs_native: round(m.msgs_per_s / native.msgs_per_s, 6),
      throughput: name === 'atomics-wait-floor' ? 'ping-pong hops' : 'streaming',
      runs: runs.get(name)!,
    };
  });
  const row = (n: RingBenchName): RingBenchRow => results.find((r) => r.name === n)!;
  const ratios = {
    engine_spin_p50_vs_native_p50: round(row('engine-ring-spin').p50_ns / native.p50_ns), // target ≤ 1.5
    engine_spin_p50_vs_native_seq_cst_p50: round(row('engine-ring-spin').p50_ns / row('native-spsc-seq-cst').p50_ns), // no target: the fences' share
    engine_stream_vs_native_stream: round(row('engine-ring-spin').msgs_per_s / native.msgs_per_s, 4), // target ≥ 0.30
    engine_park_p50_vs_wait_floor_p50: round(row('engine-ring-park').p50_ns / row('atomics-wait-floor').p50_ns), // target ≤ 1.5
    post_message_p50_vs_engine_spin_p50: round(row('post-message').p50_ns / row('engine-ring-spin').p50_ns, 1), // target ≥ 100
  };
  const targets = { engine_spin_p50_vs_native_p50: 1.5, engine_stream_vs_native_stream: 0.3, engine_park_p50_vs_wait_floor_p50: 1.5, post_message_p50_vs_engine_spin_p50: 100 };
  return {
    suite: 'ring',
    machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', node: process.version },
    quick: s.quick,
    repetitions: s.reps,
    message_bytes: s.size,
    ring: {
      capacity: s.capacity, slot_bytes: s.size, producer_batch: s.batch, reader_batch: 1024,
      spin_reader: s.spinPolls === Infinity ? 'spins, never parks' : `spin-park after ${s.spinPolls} empty polls`,
      park_reader: 'parks on its Doorbell (Atomics.wait) whenever a poll is empty',
      native: 'spins 4096 empty polls, then sched_yield per poll',
    },
    latency: 'one-way hop = half of each ping-pong round trip; median over repetitions of each percentile',
    results,
    ratios,
    targets,
    met: {
      engine_spin_p50_vs_native_p50: ratios.engine_spin_p50_vs_native_p50 <= targets.engine_spin_p50_vs_native_p50,
      engine_stream_vs_native_stream: ratios.engine_stream_vs_native_stream >= targets.engine_stream_vs_native_stream,
      engine_park_p50_vs_wait_floor_p50: ratios.engine_park_p50_vs_wait_floor_p50 <= targets.engine_park_p50_vs_wait_floor_p50,
      post_message_p50_vs_engine_spin_p50: ratios.post_message_p50_vs_engine_spin_p50 >= targets.post_message_p50_vs_engine_spin_p50,
    },
  };
}

const fmtNs = (ns: number): string => (ns >= 100_000 ? `${(ns / 1000).toFixed(0)} µs` : ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`);
const fmtRate = (r: number): string => (r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : `${(r / 1e3).toFixed(1)} k/s`);

/** The readable table the dispatcher prints. */
export function format(r: Record<string, unknown>): string {
  const rows = r.results as RingBenchRow[];
  const head = ['name', 'p50', 'p99', 'p99.9', 'msgs/s', 'p50 ×native', 'msgs/s ×native', 'round trips'];
  const body = rows.map((x) => [
    x.name, fmtNs(x.p50_ns), fmtNs(x.p99_ns), fmtNs(x.p999_ns), fmtRate(x.msgs_per_s) + (x.throughput === 'ping-pong hops' ? '*' : ''),
    x.p50_vs_native.toFixed(2), x.msgs_per_s_vs_native.toFixed(3), String(Math.round(x.round_trips)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const ratios = r.ratios as Record<string, number>;
  const targets = r.targets as Record<string, number>;
  const met = r.met as Record<string, boolean>;
  return [
    `ring: ${r.message_bytes}-byte messages, median of ${r.repetitions} run(s); latency = one-way (half the ping-pong round trip)`,
    line(head),
    ...body.map(line),
    '* atomics-wait-floor carries no payload: its msgs/s is ping-pong hops per second',
    'ratios (target):',
    ...Object.entries(ratios).map(([k, v]) => (targets[k] === undefined ? `  ${k} = ${v} (no target)` : `  ${k} = ${v} (${k.startsWith('post_message') || k.startsWith('engine_stream') ? '≥' : '≤'} ${targets[k]}) ${met[k] ? 'met' : 'missed'}`)),
  ].join('\n');
}
