/**
 * The load generator for the engine: a TCP server speaking enough of the TWS API (handshake, START_API,
 * market depth and tick-by-tick subscriptions) for the engine's real TwsSource (@stoqey/ib) to connect and
 * subscribe, then a paced feed of MARKET_DEPTH_L2 (+ the model's trades and quotes) frames.
 *
 * Timing: depth operation d of a segment is *intended* at t0 + d / rate on the engine clock (MonoClock with
 * the supervisor's origin). That intended time, not the moment the bytes left, is what latency is measured
 * from, so a late feeder or a back-pressured socket shows up in the figures instead of hiding (no coordinated
 * omission). Every depth operation's intended time, run id, symbol and price go into shared arrays the
 * observer reads to match the engine's DepthUpdates (same order: one socket, one decoder, one ring).
 *
 * Runs in its own worker thread: it parks (Atomics.wait) until 100 µs before a send and spins the rest, and
 * yields to its event loop every 2 ms so the socket drains.
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { MonoClock } from '../../engine/runtime/MonoClock.js';
import { FrameWriter } from '../../sim/tws/codec.js';
import * as msg from '../../sim/tws/messages.js';
import { CONTRACT_FIELDS, ERR, formatEasternTime, OUT, readContract } from '../../sim/tws/protocol.js';
import { Session } from '../../sim/tws/Session.js';
import { generateOps, OP_DEPTH, OP_TRADE } from './MarketOps.js';
import { threadCpuMs } from './threadCpu.js';

export interface FeederData {
  symbols: { symbol: string; basePrice: number; numRows: number; level2: boolean }[];
  depthOps: number;
  shared: FeederShared;
}

/** Per depth-operation facts shared with the observer (index = depth ordinal since the feed began). */
export interface FeederShared {
  intendedNs: SharedArrayBuffer; // Float64
  runId: SharedArrayBuffer; // Uint8: 0 = not measured (warm-up, probe)
  symbol: SharedArrayBuffer; // Uint8: model index = config index of the level-2 symbol
  price: SharedArrayBuffer; // Float64: to check the match with the engine's DepthUpdate
  progress: SharedArrayBuffer; // Int32[0] = depth ordinals sent so far
}

export type FeederCommand =
  | { t: 'clock'; origin: string } // the engine's MonoClock origin, before the first segment
  | { t: 'segment'; rate: number; depthOps: number; runId: number }
  | { t: 'stop' };

export type FeederReport =
  | { t: 'listening'; port: number }
  | { t: 'subscribed' }
  | { t: 'segment-done'; sent: number; firstIntendedNs: number; lastIntendedNs: number; lateMaxNs: number; lateP50Ns: number; lateP99Ns: number; cpuMs: number; exhausted: boolean }
  | { t: 'error'; message: string };

const wd = workerData as FeederData;
let clock = MonoClock.start();
const ops = generateOps(wd.symbols, wd.depthOps);
const intendedNs = new Float64Array(wd.shared.intendedNs);
const runIdOf = new Uint8Array(wd.shared.runId);
const symOf = new Uint8Array(wd.shared.symbol);
const priceOf = new Float64Array(wd.shared.price);
const progress = new Int32Array(wd.shared.progress);
const post = (r: FeederReport) => parentPort!.postMessage(r);

let session: Session | undefined;
const depthReq = new Map<number, number>(); // model symbol → reqId
const tradeReq = new Map<number, number>();
const quoteReq = new Map<number, number>();
let cursor = 0; // next event index
let depthSent = 0;
const symIndex = new Map(wd.symbols.map((s, i) => [s.symbol, i]));

function onMessage(s: Session, t: string[]): void {
  const id = Number(t[0]);
  if (s.state !== 'ready') {
    if (id !== OUT.START_API) return;
    s.clientId = Number(t[2] || 0);
    s.state = 'ready';
    msg.managedAccounts(s.w, 'DU000001');
    msg.nextValidId(s.w, 1);
    s.error(-1, ERR.MARKET_DATA_FARM_OK, 'Market data farm connection is OK:usfarm');
    s.error(-1, ERR.HMDS_FARM_OK, 'HMDS data farm connection is OK:ushmds');
    return;
  }
  if (id === OUT.REQ_MKT_DEPTH) {
    const si = symIndex.get(readContract(t, 3).symbol);
    if (si !== undefined) depthReq.set(si, Number(t[2]));
    if (depthReq.size === wd.symbols.length) post({ t: 'subscribed' });
  } else if (id === OUT.REQ_TICK_BY_TICK_DATA) {
    const si = symIndex.get(readContract(t, 2).symbol);
    const type = t[2 + CONTRACT_FIELDS];
    if (si !== undefined && type === 'AllLast') tradeReq.set(si, Number(t[1]));
    if (si !== undefined && type === 'BidAsk') quoteReq.set(si, Number(t[1]));
  }
  // Everything else (bars, market data, account requests) is accepted silently: this feeder serves depth.
}

const server = net.createServer((socket) => {
  if (session) {
    socket.destroy(); // one engine, one session
    return;
  }
  socket.setNoDelay(true);
  const s = new Session(1, socket);
  session = s;
  socket.on('data', (chunk: Buffer) => {
    const err = s.reader.push(chunk, {
      onHandshake: () => {
        s.serverVersion = 193;
        s.state = 'awaitStart';
        s.w.begin().f(193).f(formatEasternTime(Date.now())).end();
      },
      onMessage: (tokens) => onMessage(s, tokens),
    });
    if (err) post({ t: 'error', message: `engine sent garbage: ${err}` });
    s.flush();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (session === s) session = undefined;
  });
});
server.listen(0, '127.0.0.1', () => post({ t: 'listening', port: (server.address() as net.AddressInfo).port }));

/** Appends event i to the session's frame batch. */
function writeEvent(s: Session, i: number): void {
  const si = ops.sym[i];
  const kind = ops.kind[i];
  if (kind === OP_DEPTH) {
    msg.marketDepthL2(s.w, s.serverVersion, depthReq.get(si) ?? -1, ops.pos[i], ops.mm[i], ops.op[i], ops.side[i], ops.price[i], ops.size[i], true);
  } else if (kind === OP_TRADE) {
    const req = tradeReq.get(si);
    if (req !== undefined) msg.tickByTickLast(s.w, req, 2, Math.floor(Date.now() / 1000), ops.price[i], ops.size[i], 0, 'ARCA', '');
  } else {
    const req = quoteReq.get(si);
    if (req !== undefined) msg.tickByTickBidAsk(s.w, req, Math.floor(Date.now() / 1000), ops.price[i], ops.price2[i], ops.size[i], ops.size2[i], 0);
  }
}

const cell = new Int32Array(new SharedArrayBuffer(4));

function segment(rate: number, count: number, runId: number): Promise<FeederReport> {
  const s = session;
  if (!s) return Promise.resolve({ t: 'error', message: 'no engine session' });
  const cpu0 = threadCpuMs();
  const period = 1e9 / rate;
  const t0 = clock.nowNs() + 1e6;
  const first = depthSent;
  const end = Math.min(first + count, ops.depthCount);
  const lates: number[] = [];
  let lateMax = 0;
  return new Promise((resolve) => {
    const chunk = () => {
      const chunkEnd = clock.nowNs() + 2e6;
      while (depthSent < end) {
        const d = depthSent;
        const intended = t0 + (d - first) * period;
        let now = clock.nowNs();
        if (now < intended) {
          if (intended > chunkEnd) break; // yield first, then come back for it
          const left = intended - now;
          // Sleep through most of the gap: a feeder spinning a whole core would take it from the engine on a
          // small host (its lateness, if the wake-up overshoots, is counted: times run from the intended send).
          if (left > 60_000) Atomics.wait(cell, 0, 0, (left - 40_000) / 1e6);
          while ((now = clock.nowNs()) < intended) { /* last stretch */ }
        }
        // Everything due by now goes in one write: the depth ops and the trades/quotes between them.
        let last = d;
        while (cursor < ops.n) {
          const di = ops.depthIndex[cursor];
          if (di >= 0) {
            if (di >= end) break;
            const it = t0 + (di - first) * period;
            if (it > now) break;
            intendedNs[di] = it;
            runIdOf[di] = runId;
            symOf[di] = ops.sym[cursor];
            priceOf[di] = ops.price[cursor];
            last = di;
          }
          writeEvent(s, cursor);
          cursor++;
        }
        depthSent = last + 1;
        Atomics.store(progress, 0, depthSent);
        const late = now - intended;
        if (late > lateMax) lateMax = late;
        if (lates.length < 200_000) lates.push(late);
        s.flush();
      }
      if (depthSent < end) {
        setImmediate(chunk);
        return;
      }
      lates.sort((a, b) => a - b);
      resolve({
        t: 'segment-done', sent: depthSent - first, firstIntendedNs: t0, lastIntendedNs: t0 + (end - 1 - first) * period,
        lateMaxNs: lateMax, lateP50Ns: lates[Math.floor(lates.length * 0.5)] ?? 0, lateP99Ns: lates[Math.floor(lates.length * 0.99)] ?? 0, cpuMs: threadCpuMs() - cpu0, exhausted: end < first + count,
      });
    };
    chunk();
  });
}

parentPort!.on('message', (c: FeederCommand) => {
  if (c.t === 'clock') clock = new MonoClock(BigInt(c.origin));
  else if (c.t === 'segment') void segment(c.rate, c.depthOps, c.runId).then(post);
  else if (c.t === 'stop') {
    session?.socket.destroy();
    server.close();
    parentPort!.close();
  }
});
