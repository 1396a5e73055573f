/**
 * `npm run bench -- dashboard [--quick] [--json FILE]`: messages per second delivered to 50 and 200 local
 * WebSocket clients by
 *   (a) a bare uWebSockets.js publish loop (one topic, pre-encoded payload),
 *   (b) the dashboard's publish path: a key published into the model, a feed tick (sample, encode, uWS
 *       publish, the per-client back-pressure pass) — the real DashboardServer,
 *   (c) a `ws` server sending the same payload to every client (skipping a client above the same buffer limit),
 * in one run, each server in its own worker thread, the clients in the main thread as raw sockets that
 * parse frame headers only (so the client side costs as little as possible). Same payload bytes for all.
 * Target: (b) ≥ 65 % of (a), reported, never asserted.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { DashboardModel } from '../actors/dashboard/DashboardModel.js';
import { DashboardServer } from '../actors/dashboard/DashboardServer.js';
import { DashboardMetrics } from '../actors/dashboard/Metrics.js';
import { StaticAssets } from '../actors/dashboard/StaticAssets.js';
import { encodeFrame, FrameKind } from '../actors/dashboard/wire.js';

type Kind = 'bare-uws' | 'dashboard' | 'ws';
interface WorkerArgs { dashboardBench: true; kind: Kind; maxBuffered: number; batch: number }
const TOKEN = 'bench-token-0123456789abcdef';
const TOPIC = 'book:SPY';
const MAX_BUFFERED = 1 << 20;
const BATCH = 8; // publishes per event-loop turn: the loop must yield for uWS and ws to write

/** A Level 2 book as market-depth publishes it: 20 rows a side with market makers. */
function bookValue(seq: number): unknown {
  const mm = ['ARCA', 'BATS', 'NSDQ', 'EDGX', 'IEX', 'NYSE', 'MEMX', 'BYX'];
  const bids = Array.from({ length: 20 }, (_, i) => [590.1 - i * 0.01, 100 * (1 + ((seq + i) % 9)), mm[i % 8]]);
  const asks = Array.from({ length: 20 }, (_, i) => [590.12 + i * 0.01, 100 * (1 + ((seq + 3 * i) % 9)), mm[(i + 3) % 8]]);
  return { symbol: 'SPY', bids, asks, quality: 'ok', ts: 1_700_000_000_000 + seq };
}

function newModel(): DashboardModel {
  return new DashboardModel({ symbols: [{ symbol: 'SPY', level2: true }], rateHz: 10, historySeconds: 60, marketSource: 'sim', mode: 'simulated' });
}

/** The frame the dashboard sends for the book topic: what the other servers send too. */
function referencePayload(): Uint8Array {
  const m = newModel();
  m.onPublish('publish', { key: 'market:{SPY}:book', value: bookValue(0), ttlMs: 0 }, 0);
  return Uint8Array.from(encodeFrame(TOPIC, FrameKind.Delta, m.topics.get(TOPIC)!.delta(0)));
}

// ---- worker side: one server, publishing as fast as its clients take it ---------------------------------

async function serverWorker(a: WorkerArgs): Promise<void> {
  const port = parentPort!;
  const payload = referencePayload();
  let running = false;
  let sent = 0;
  let loop: () => void = () => {};
  let close: () => void = () => {};
  let listenPort = 0;

  if (a.kind === 'dashboard') {
    const model = newModel();
    const server = new DashboardServer({
      host: '127.0.0.1', port: 0, token: TOKEN, rateHz: 10, maxBufferedBytes: a.maxBuffered, maxBehindTicks: 1_000_000, metricsAuth: false,
      model, metrics: new DashboardMetrics(model, [], () => 0), assets: new StaticAssets(), onKill: () => ({ state: 'failed' as const, error: 'benchmark: no engine' }), autoTick: false,
    });
    listenPort = (await server.listen()).port;
    let seq = 0;
    loop = () => {
      if (!running) return;
      for (let i = 0; i < a.batch; i++) {
        model.onPublish('publish', { key: 'market:{SPY}:book', value: bookValue(++seq), ttlMs: 0 }, Date.now());
        sent += server.feed.tick();
      }
      setImmediate(loop);
    };
    close = () => server.close();
  } else if (a.kind === 'bare-uws') {
    const { default: uWS } = await import('uWebSockets.js');
    const app = uWS.App();
    app.ws('/ws', { maxBackpressure: a.maxBuffered, closeOnBackpressureLimit: 0, open: (ws) => void ws.subscribe(TOPIC) });
    const ls = await new Promise<unknown>((r) => app.listen('127.0.0.1', 0, r));
    listenPort = uWS.us_socket_local_port(ls as never);
    loop = () => {
      if (!running) return;
      for (let i = 0; i < a.batch; i++) {
        app.publish(TOPIC, payload, true);
        sent++;
      }
      setImmediate(loop);
    };
    // Every socket, not only the listener: a uWS socket left open when a worker thread ends aborts the process.
    close = () => (app as unknown as { close(): void }).close();
  } else {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise((r) => wss.once('listening', r));
    listenPort = (wss.address() as { port: number }).port;
    const buf = Buffer.from(payload);
    loop = () => {
      if (!running) return;
      for (let i = 0; i < a.batch; i++) {
        for (const c of wss.clients) if (c.bufferedAmount <= a.maxBuffered) c.send(buf, { binary: true });
        sent++;
      }
      setImmediate(loop);
    };
    close = () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    };
  }
  port.on('message', (m: string) => {
    if (m === 'start') {
      running = true;
      setImmediate(loop);
    } else if (m === 'mark') {
      port.postMessage({ sent });
    } else if (m === 'stop') {
      running = false;
      port.postMessage({ sent });
    } else if (m === 'close') {
      close();
      port.postMessage('closed');
      setTimeout(() => process.exit(0), 50);
    }
  });
  port.postMessage({ port: listenPort });
}

if (!isMainThread && (workerData as WorkerArgs | undefined)?.dashboardBench) void serverWorker(workerData as WorkerArgs);

// ---- main side: clients that count frames -------------------------------------------------------------

/** A WebSocket client over a raw socket: handshake, one masked subscribe text, then counts binary frames. */
class CountingClient {
  frames = 0;
  bytes = 0;
  private sock: Socket;
  private upgraded = false;
  private head: Buffer = Buffer.alloc(0); // handshake bytes, then a partial frame header
  private skip = 0; // payload bytes of the current frame still to skip
  readonly ready: Promise<void>;

  constructor(port: number, subscribe: boolean) {
    this.sock = connect(port, '127.0.0.1');
    this.sock.setNoDelay(true);
    let ok!: () => void;
    let fail!: (e: Error) => void;
    this.ready = new Promise((res, rej) => ((ok = res), (fail = rej)));
    this.sock.once('error', (e) => fail(e));
    this.sock.on('connect', () => {
      this.sock.write(`GET /ws?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.sock.on('data', (chunk: Buffer) => {
      if (!this.upgraded) {
        this.head = Buffer.concat([this.head, chunk]);
        const end = this.head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!this.head.subarray(0, 12).toString().includes('101')) return fail(new Error(`upgrade refused: ${this.head.subarray(0, 40)}`));
        this.upgraded = true;
        const rest = this.head.subarray(end + 4);
        this.head = EMPTY;
        if (subscribe) this.sock.write(maskedText(JSON.stringify({ op: 'sub', topics: [TOPIC] })));
        ok();
        if (rest.length) this.consume(rest);
        return;
      }
      this.consume(chunk);
    });
  }

  /** Skips payloads, reads only frame headers; a header split across reads is kept until the rest arrives. */
  private consume(chunk: Buffer): void {
    let buf = chunk;
    if (this.head.length) {
      buf = Buffer.concat([this.head, chunk]);
      this.head = EMPTY;
    }
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i);
        this.skip -= k;
        i += k;
        continue;
      }
      if (n - i < 2) break;
      const len7 = buf[i + 1] & 0x7f;
      const hl = len7 === 126 ? 4 : len7 === 127 ? 10 : 2; // server frames are unmasked
      if (n - i < hl) break;
      const len = len7 === 126 ? buf.readUInt16BE(i + 2) : len7 === 127 ? Number(buf.readBigUInt64BE(i + 2)) : len7;
      if ((buf[i] & 0x0f) === 2) {
        this.frames++;
        this.bytes += len;
      }
      i += hl;
      this.skip = len;
    }
    if (i < n) this.head = Buffer.from(buf.subarray(i));
  }

  close(): void {
    this.sock.destroy();
  }
}

function maskedText(s: string): Buffer {
  const p = Buffer.from(s);
  if (p.length >= 126) throw new Error('bench subscribe message too long');
  const key = randomBytes(4);
  const out = Buffer.alloc(6 + p.length);
  out[0] = 0x81;
  out[1] = 0x80 | p.length;
  key.copy(out, 2);
  for (let i = 0; i < p.length; i++) out[6 + i] = p[i] ^ key[i & 3];
  return out;
}

const EMPTY = Buffer.alloc(0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CaseResult { name: Kind; clients: number; msgs_per_s: number; mib_per_s: number; published_per_s: number; delivered_ratio: number }

async function runCase(kind: Kind, clients: number, warmMs: number, measureMs: number): Promise<CaseResult> {
  const w = new Worker(new URL(import.meta.url), { workerData: { dashboardBench: true, kind, maxBuffered: MAX_BUFFERED, batch: BATCH } satisfies WorkerArgs });
  const next = () => new Promise<unknown>((r) => w.once('message', r));
  const { port } = (await next()) as { port: number };
  const cs: CountingClient[] = [];
  for (let i = 0; i < clients; i++) cs.push(new CountingClient(port, kind === 'dashboard'));
  await Promise.all(cs.map((c) => c.ready));
  await sleep(200); // subscriptions settle
  const mark = async () => {
    const r = next();
    w.postMessage('mark');
    return ((await r) as { sent: number }).sent;
  };
  w.postMessage('start');
  await sleep(warmMs);
  const s0 = await mark();
  const f0 = cs.reduce((a, c) => a + c.frames, 0);
  const b0 = cs.reduce((a, c) => a + c.bytes, 0);
  const t0 = performance.now();
  await sleep(measureMs);
  const s1 = await mark();
  const f1 = cs.reduce((a, c) => a + c.frames, 0);
  const b1 = cs.reduce((a, c) => a + c.bytes, 0);
  const secs = (performance.now() - t0) / 1000;
  const stopped = next();
  w.postMessage('stop');
  await stopped;
  const closed = next();
  w.postMessage('close');
  await closed;
  for (const c of cs) c.close();
  await w.terminate().catch(() => 0);
  const msgs = (f1 - f0) / secs;
  const published = (s1 - s0) / secs;
  return {
    name: kind, clients, msgs_per_s: Math.round(msgs), mib_per_s: Math.round(((b1 - b0) / secs / 2 ** 20) * 10) / 10,
    // Frames published per second and the share of (published × clients) that reached the clients: below 1,
    // clients fell behind and the server skipped them (uWS maxBackpressure, or the ws server's equivalent check).
    published_per_s: Math.round(published), delivered_ratio: Math.round((msgs / Math.max(1, published * clients)) * 1000) / 1000,
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const warmMs = quick ? 300 : 700;
  const measureMs = quick ? 1000 : 2500;
  const payload = referencePayload();
  const results: CaseResult[] = [];
  for (const clients of [50, 200]) {
    for (const kind of ['bare-uws', 'dashboard', 'ws'] as Kind[]) results.push(await runCase(kind, clients, warmMs, measureMs));
  }
  const rate = (kind: Kind, n: number) => results.find((r) => r.name === kind && r.clients === n)!.msgs_per_s;
  const ratios: Record<string, number> = {};
  for (const n of [50, 200]) {
    ratios[`dashboard_vs_bare_uws_${n}`] = Math.round((rate('dashboard', n) / rate('bare-uws', n)) * 1000) / 1000;
    ratios[`ws_vs_bare_uws_${n}`] = Math.round((rate('ws', n) / rate('bare-uws', n)) * 1000) / 1000;
  }
  return {
    suite: 'dashboard', payload_bytes: payload.length, batch_per_loop_turn: BATCH, max_buffered_bytes: MAX_BUFFERED, measure_ms: measureMs,
    results, ratios, targets: { dashboard_vs_bare_uws_50: 0.65, dashboard_vs_bare_uws_200: 0.65 },
  };
}

// `node dist/bench/dashboard.js [--quick]` runs it alone until the bench dispatcher lands.
if (isMainThread && process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const argv = process.argv.slice(2);
  const jsonAt = argv.indexOf('--json');
  run(argv).then(async (r) => {
    const text = JSON.stringify(r, null, 2);
    if (jsonAt >= 0 && argv[jsonAt + 1]) (await import('node:fs')).writeFileSync(argv[jsonAt + 1], text + '\n');
    console.log(text);
  }, (e) => {
    console.error(e);
    process.exit(1);
  });
}
