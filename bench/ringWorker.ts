/**
 * Worker side of `npm run bench -- ring`. One file, one role per worker (workerData.role). Messages are
 * `size` bytes of 8-byte words: word 0 = message number, word w = number + w, so a reader can check the
 * last word and sum the numbers (checksum); the native spsc_bench writes the same words.
 *
 * Protocol with the main thread: post {type:'ready'} once set up, wait for the shared go flag when the
 * role starts a measurement, post {type:'result', …} at the end.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Doorbell, RingBuffer, RingProducer, RingReader, WaitStrategy } from '../engine/ring/index.js';
import { fillPayload, pingOver, pingResult, warmup } from './pingPong.js';

export type RingWorkerRole =
  | 'ring-stream-producer' | 'ring-stream-consumer' | 'ring-ping' | 'ring-pong'
  | 'pm-peer' | 'mc-producer' | 'mc-consumer' | 'mc-ping' | 'mc-pong' | 'wait-ping' | 'wait-pong';

export interface RingWorkerData {
  role: RingWorkerRole;
  size: number; // message bytes
  ctl: SharedArrayBuffer; // Int32 go flag at index 0
  wait?: 'spin' | 'park';
  spinPolls?: number; // 'spin': empty polls before parking (the engine's spin-park strategy); 0 = never park
  sabA?: SharedArrayBuffer; // ring main → peer (or the only ring)
  sabB?: SharedArrayBuffer; // ring peer → back
  bells?: SharedArrayBuffer; // doorbell words: line 0 = the pinger / consumer, line 1 = the ponger
  bellIndex?: number;
  total?: number; // streamed messages at most
  stream?: boolean; // pm-peer: count a stream (else echo)
  batch?: number; // producer publishes every `batch` messages
  roundTrips?: number; // at most
  maxMs?: number; // time cap of a ping-pong or a stream
  port?: MessagePort;
  word?: SharedArrayBuffer; // atomics-wait-floor
}

const STOP = -1;
const PARK_MS = 100;
const d = workerData as RingWorkerData;
const port = parentPort!;
const words = d.size / 8;
const ctl = new Int32Array(d.ctl);

function waitForGo(): void {
  while (Atomics.load(ctl, 0) === 0) Atomics.wait(ctl, 0, 0, 1000);
}

/**
 * Times `roundTrip(i)` (one blocking ping and its echo) `d.roundTrips` times after the warm-up, or until
 * `d.maxMs` has passed after it: the samples in ns and the timed span in ms.
 */
function timedRoundTrips(roundTrip: (i: number) => void): { samples: Float64Array; n: number; ms: number } {
  const rts = d.roundTrips!;
  const warm = warmup(rts);
  const samples = new Float64Array(rts);
  let n = 0;
  let t = 0;
  let deadline = Infinity;
  for (let i = 0; n < rts; i++) {
    if (i === warm) {
      t = performance.now();
      deadline = t + d.maxMs!;
    }
    const t0 = performance.now();
    roundTrip(i);
    const t1 = performance.now();
    if (i >= warm) {
      samples[n++] = (t1 - t0) * 1e6;
      if (t1 > deadline) break;
    }
  }
  return { samples, n, ms: performance.now() - t };
}

/**
 * The reader's wait, through the engine's own WaitStrategy: 'spin' polls `spinPolls` times before parking
 * (Infinity: never parks), 'park' parks on the doorbell as soon as a poll comes back empty.
 */
function waitFor(bell: Doorbell, readers: RingReader[]): WaitStrategy {
  return d.wait === 'park'
    ? new WaitStrategy({ kind: 'park', spinPolls: 0, parkTimeoutMs: PARK_MS }, bell, readers)
    : new WaitStrategy({ kind: 'spin-park', spinPolls: d.spinPolls ?? Infinity, parkTimeoutMs: PARK_MS }, bell, readers);
}

function hr(): bigint {
  return process.hrtime.bigint();
}

function writeMsg(v: DataView, off: number, n: number): void {
  for (let w = 0; w < words; w++) v.setFloat64(off + 8 * w, n + w, true);
}

// ---------------------------------------------------------------- engine ring, streaming

function ringStreamProducer(): void {
  const ring = new RingBuffer(d.sabA!);
  const p = new RingProducer(ring, new Int32Array(d.bells!));
  const v = p.view;
  const total = d.total!;
  const batch = d.batch!;
  port.postMessage({ type: 'ready' });
  waitForGo();
  const start = hr();
  const deadline = performance.now() + d.maxMs!;
  let pending = 0;
  let sent = total;
  for (let i = 0; i < total; i++) {
    if ((i & 4095) === 0 && i > 0 && performance.now() > deadline) {
      sent = i;
      break;
    }
    let off = p.tryClaim();
    if (off < 0) {
      // Full: spin a while, then park until the reader moves (RingProducer.claim).
      off = p.claim(10_000);
      if (off < 0) throw new Error('ring bench producer: reader stuck for 10 s');
    }
    writeMsg(v, off, i);
    if (++pending === batch) {
      p.publish();
      pending = 0;
    }
  }
  let off = p.tryClaim();
  if (off < 0) off = p.claim(10_000);
  if (off < 0) throw new Error('ring bench producer: reader stuck for 10 s');
  v.setFloat64(off, STOP, true); // end of stream
  p.publish();
  port.postMessage({ type: 'result', start, sent });
}

function ringStreamConsumer(): void {
  const ring = new RingBuffer(d.sabA!);
  const r = new RingReader(ring, 0);
  const wait = waitFor(new Doorbell(new Int32Array(d.bells!), d.bellIndex!), [r]);
  const last = (words - 1) * 8;
  let sum = 0;
  let bad = 0;
  let received = 0;
  let stopped = false;
  const handler = (v: DataView, off: number): void => {
    const n = v.getFloat64(off, true);
    if (n === STOP) {
      stopped = true;
      return;
    }
    received++;
    sum += n;
    if (v.getFloat64(off + last, true) !== n + words - 1) bad++;
  };
  port.postMessage({ type: 'ready' });
  while (!stopped) wait.idleSync(r.poll(handler, 1024));
  const end = hr();
  port.postMessage({ type: 'result', end, sum, bad, received });
}

// ---------------------------------------------------------------- engine ring, ping-pong

function ringPing(): void {
  const pa = new RingProducer(new RingBuffer(d.sabA!), new Int32Array(d.bells!));
  const rb = new RingReader(new RingBuffer(d.sabB!), 0);
  const wait = waitFor(new Doorbell(new Int32Array(d.bells!), d.bellIndex!), [rb]);
  const v = pa.view;
  const last = (words - 1) * 8;
  let echoed = -2;
  let bad = 0;
  const onEcho = (ev: DataView, off: number): void => {
    echoed = ev.getFloat64(off, true);
    if (ev.getFloat64(off + last, true) !== echoed + words - 1) bad++;
  };
  port.postMessage({ type: 'ready' });
  waitForGo();
  const { samples, n, ms } = timedRoundTrips((i) => {
    let off: number;
    while ((off = pa.tryClaim()) < 0) { /* the echo side is a ring behind: cannot happen in ping-pong */ }
    writeMsg(v, off, i);
    pa.publish();
    while (rb.poll(onEcho, 1) === 0) wait.idleSync(0);
    wait.idleSync(1);
    if (echoed !== i) bad++;
  });
  let off: number;
  while ((off = pa.tryClaim()) < 0) { /* spin */ }
  v.setFloat64(off, STOP, true);
  pa.publish();
  port.postMessage(pingResult(samples, n, ms, bad));
}

function ringPong(): void {
  const ra = new RingReader(new RingBuffer(d.sabA!), 0);
  const pb = new RingProducer(new RingBuffer(d.sabB!), new Int32Array(d.bells!));
  const wait = waitFor(new Doorbell(new Int32Array(d.bells!), d.bellIndex!), [ra]);
  const out = pb.view;
  let stop = false;
  const echo = (v: DataView, off: number): void => {
    let dst: number;
    while ((dst = pb.tryClaim()) < 0) { /* the pinger reads every echo before it sends again */ }
    for (let w = 0; w < words; w++) out.setFloat64(dst + 8 * w, v.getFloat64(off + 8 * w, true), true);
    if (v.getFloat64(off, true) === STOP) stop = true;
  };
  port.postMessage({ type: 'ready' });
  while (!stop) {
    const got = ra.poll(echo, 1024);
    if (got > 0) pb.publish();
    wait.idleSync(got);
  }
  port.postMessage({ type: 'result' });
}

// ---------------------------------------------------------------- postMessage (main thread ↔ this worker)

/** What a message-stream consumer counts: messages, the sum of their numbers, payloads not intact. */
function streamTally() {
  const t = { received: 0, sum: 0, bad: 0 };
  return {
    add(m: Float64Array): void {
      t.received++;
      t.sum += m[0];
      if (m[words - 1] !== m[0] + words - 1) t.bad++;
    },
    result: () => ({ type: 'result', end: hr(), ...t }),
  };
}

function pmPeer(): void {
  // Streaming: count and sum until the null that ends the stream, then report. Ping-pong: echo everything.
  const tally = streamTally();
  port.on('message', (m: Float64Array | null) => {
    if (!d.stream) port.postMessage(m);
    else if (m === null) port.postMessage(tally.result());
    else tally.add(m);
  });
  port.postMessage({ type: 'ready' });
}

// ---------------------------------------------------------------- MessageChannel between two workers

function mcProducer(): void {
  const p = d.port!;
  const total = d.total!;
  const payload = new Float64Array(words);
  port.postMessage({ type: 'ready' });
  waitForGo();
  const start = hr();
  const deadline = performance.now() + d.maxMs!;
  let sent = total;
  for (let i = 0; i < total; i++) {
    if ((i & 1023) === 0 && i > 0 && performance.now() > deadline) {
      sent = i;
      break;
    }
    fillPayload(payload, i);
    p.postMessage(payload); // structured clone: the payload is copied per message, as in a typical design
  }
  p.postMessage(null); // end of stream
  port.postMessage({ type: 'result', start, sent });
}

function mcConsumer(): void {
  const p = d.port!;
  const tally = streamTally();
  p.on('message', (m: Float64Array | null) => {
    if (m === null) {
      port.postMessage(tally.result());
      p.close();
      return;
    }
    tally.add(m);
  });
  port.postMessage({ type: 'ready' });
}

function mcPing(): void {
  const p = d.port!;
  port.postMessage({ type: 'ready' });
  waitForGo();
  void pingOver(p, words, d.roundTrips!, d.maxMs!).then((r) => {
    p.postMessage(null); // stop
    p.close();
    port.postMessage(r);
  });
}

function mcPong(): void {
  const p = d.port!;
  p.on('message', (m: Float64Array | null) => {
    if (m === null) {
      p.close();
      port.postMessage({ type: 'result' });
      return;
    }
    p.postMessage(m);
  });
  port.postMessage({ type: 'ready' });
}

// ---------------------------------------------------------------- bare Atomics.wait / notify on one Int32

function waitPing(): void {
  const a = new Int32Array(d.word!);
  port.postMessage({ type: 'ready' });
  waitForGo();
  const { samples, n, ms } = timedRoundTrips(() => {
    Atomics.store(a, 0, 1);
    Atomics.notify(a, 0, 1);
    while (Atomics.load(a, 0) === 1) Atomics.wait(a, 0, 1, PARK_MS);
  });
  Atomics.store(a, 0, 2);
  Atomics.notify(a, 0, 1);
  port.postMessage(pingResult(samples, n, ms, 0));
}

function waitPong(): void {
  const a = new Int32Array(d.word!);
  port.postMessage({ type: 'ready' });
  for (;;) {
    Atomics.wait(a, 0, 0, PARK_MS);
    const v = Atomics.load(a, 0);
    if (v === 2) break;
    if (v === 1) {
      Atomics.store(a, 0, 0);
      Atomics.notify(a, 0, 1);
    }
  }
  port.postMessage({ type: 'result' });
}

const roles: Record<RingWorkerRole, () => void> = {
  'ring-stream-producer': ringStreamProducer,
  'ring-stream-consumer': ringStreamConsumer,
  'ring-ping': ringPing,
  'ring-pong': ringPong,
  'pm-peer': pmPeer,
  'mc-producer': mcProducer,
  'mc-consumer': mcConsumer,
  'mc-ping': mcPing,
  'mc-pong': mcPong,
  'wait-ping': waitPing,
  'wait-pong': waitPong,
};
roles[d.role]();
