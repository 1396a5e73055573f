/**
 * The measuring side of the engine run, in its own thread so nothing it does sits on the engine's threads:
 *  - taps the hot rings passively (RingTap) and matches each DepthUpdate, in order, to the depth operation the
 *    feeder sent (checked by price), giving every tick its intended time;
 *  - every tick's stamp slots (TickStamps): receipt = the DepthUpdate's ingestNs (its socket read), decoded =
 *    its dequeueNs (the update handed to the book), book = its enqueueNs (applied); analytics = the first
 *    AnalyticsSnapshot of its symbol from its read or a later one; decision = the signals actor's evaluation
 *    of such a snapshot (DecisionProbe), whether or not a strategy fired;
 *  - tick → signal: each Signal, from the oldest tick of its read and symbol (the earliest tick it reflects);
 *  - tick → order sent: the first event of each order (the broker's acknowledgement), whose header carries
 *    the ingestNs of the tick behind its signal (execution copies it), from the oldest tick of that read;
 *  - tick → Redis visible: a keyspace notification for market:{SYM}:timestamp on a second Redis client, then
 *    a GET of it, timed on its reply; the value is the arrival ms of the newest tick it reflects, and every
 *    tick up to it is visible from then (VisibilityTracker: the wait for the next conflated flush is part
 *    of every tick's figure);
 *  - tick → dashboard: a WebSocket client on /ws subscribed to price:SYM; each frame's quote ts, the same way.
 * Every engine-side time is an enqueueNs the actors stamp anyway; Redis and dashboard times are taken here on
 * receipt (the same MonoClock origin).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { msgDequeueNs, msgEnqueueNs, msgIngestNs, msgEventNs, msgSymbol, msgType } from '../../engine/codec/Header.js';
import { DepthUpdate, OrderEvent } from '../../engine/codec/Messages.js';
import { DecisionProbe } from '../../engine/runtime/DecisionProbe.js';
import { STAMP_ANALYTICS, STAMP_BOOK, STAMP_DECISION, STAMP_DECODED, STAMP_RECEIPT, STAMP_WIDTH } from './TickStamps.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import { MonoClock } from '../../engine/runtime/MonoClock.js';
import { WIRE_OPTIONS } from '../../actors/dashboard/wire.js';
import { LatencyHistogram } from './LatencyHistogram.js';
import { RingTap } from './RingTap.js';
import { VisibilityTracker } from './VisibilityTracker.js';
import type { FeederShared } from './twsFeeder.js';
import { threadCpuMs } from './threadCpu.js';

export interface ObserverData {
  clockOrigin: string;
  rings: { name: string; sab: SharedArrayBuffer }[];
  shared: FeederShared;
  symbols: string[];
  redis: { host: string; port: number; password?: string };
  dashboard?: { port: number; token: string };
  /** per-tick stamp slots (TickStamps) this observer fills, the signals actor's DecisionProbe, Int32[0] = ticks decided */
  stamps: SharedArrayBuffer;
  decisionProbe: SharedArrayBuffer;
  decided: SharedArrayBuffer;
}

export type ObserverCommand = { t: 'collect'; runId: number } | { t: 'stop' };

export const OBS_STAGES = ['signal', 'order', 'toExecution', 'inExecution', 'redis', 'dashboard'] as const;
type ObsStage = (typeof OBS_STAGES)[number];

export interface ObserverCollect {
  t: 'collected';
  runId: number;
  hist: Record<ObsStage, string>;
  counters: ObserverCounters;
}

export interface ObserverCounters {
  depthSeen: number;
  priceMismatches: number;
  tapLost: Record<string, number>;
  unmatched: Record<string, number>;
  /** decision probe entries lost (the tap fell a whole probe ring behind) */
  probeLost: number;
  redisNotifications: number;
  dashboardFrames: number;
  /** per frame: receipt wall ms − the newest tick's ms it shows (how stale a frame's content is on arrival) */
  dashboardFrameAgeMs: number[];
  /** per frame: ms since the previous frame of the same symbol that showed a newer tick */
  dashboardFrameGapMs: number[];
  cpuMs: number;
  dashboardError?: string;
}

const wd = workerData as ObserverData;
const clock = new MonoClock(BigInt(wd.clockOrigin));
const intendedNs = new Float64Array(wd.shared.intendedNs);
const runIdOf = new Uint8Array(wd.shared.runId);
const symOf = new Uint8Array(wd.shared.symbol);
const priceOf = new Float64Array(wd.shared.price);
const progress = new Int32Array(wd.shared.progress);
const stamps = new Float64Array(wd.stamps);
const decided = new Int32Array(wd.decided);
const probe = DecisionProbe.of(wd.decisionProbe)!;
// per symbol: the lowest depth ordinal not yet reached by analytics / a decision (ticks arrive in order)
const analyticsFrom = new Float64Array(wd.symbols.length);
const decisionFrom = new Float64Array(wd.symbols.length);
const taps = new Map(wd.rings.map((r) => [r.name, new RingTap(r.sab)]));
const symIndex = new Map(wd.symbols.map((s, i) => [s, i]));

const runs = new Map<number, Record<ObsStage, LatencyHistogram>>();
const histFor = (run: number) => {
  let h = runs.get(run);
  if (!h) {
    h = { signal: new LatencyHistogram(), order: new LatencyHistogram(), toExecution: new LatencyHistogram(), inExecution: new LatencyHistogram(), redis: new LatencyHistogram(), dashboard: new LatencyHistogram() };
    runs.set(run, h);
  }
  return h;
};
const counters: ObserverCounters = { depthSeen: 0, priceMismatches: 0, tapLost: {}, unmatched: { analytics: 0, decision: 0, signal: 0, order: 0, redis: 0, dashboard: 0 }, probeLost: 0, redisNotifications: 0, dashboardFrames: 0, dashboardFrameAgeMs: [], dashboardFrameGapMs: [], cpuMs: 0 };

/** Bounded maps (insertion order = age): old reads are forgotten once far behind. */
function bounded<K, V>(m: Map<K, V>, max: number): void {
  if (m.size <= max) return;
  let drop = m.size - max + (max >> 3);
  for (const k of m.keys()) {
    if (drop-- <= 0) break;
    m.delete(k);
  }
}

// ingestNs of a socket read → the depth ordinals it carried
const reads = new Map<number, { first: number; last: number }>();
// every measured tick, until Redis / the dashboard shows a value at least as new
const redisVisible = new VisibilityTracker(wd.symbols.length, (run, ns) => histFor(run).redis.record(ns));
const dashboardVisible = new VisibilityTracker(wd.symbols.length, (run, ns) => histFor(run).dashboard.record(ns));
let nextDepth = 0;

/** Oldest measured tick of `sym` in the read `ingestNs`: [intended, run] or undefined. */
function oldestOf(sym: number, ingestNs: number): [number, number] | undefined {
  const r = reads.get(ingestNs);
  if (!r) return undefined;
  for (let d = r.first; d <= r.last; d++) if (symOf[d] === sym && runIdOf[d] > 0) return [intendedNs[d], runIdOf[d]];
  return undefined;
}

function onMarketData(v: DataView): void {
  const type = msgType(v, 0);
  if (type === MessageType.DepthUpdate) {
    let d = nextDepth++;
    counters.depthSeen++;
    const price = DepthUpdate.price(v, 0);
    if (d >= priceOf.length || price !== priceOf[d] || symOf[d] !== msgSymbol(v, 0)) {
      // Out of step (the tap was lapped on a starved host): find this update further on in the feed. A false
      // match on a repeated price is corrected by the next mismatch; both are counted.
      counters.priceMismatches++;
      const sym = msgSymbol(v, 0);
      const end = Math.min(priceOf.length, Atomics.load(progress, 0), d + 200_000);
      let found = -1;
      for (let x = d + 1; x < end; x++) if (priceOf[x] === price && symOf[x] === sym) { found = x; break; }
      if (found < 0) return;
      d = found;
      nextDepth = found + 1;
    }
    const ing = msgIngestNs(v, 0);
    const r = reads.get(ing);
    if (r) r.last = d;
    else reads.set(ing, { first: d, last: d });
    const o = d * STAMP_WIDTH;
    stamps[o + STAMP_RECEIPT] = ing; // the socket read that carried it
    stamps[o + STAMP_DECODED] = msgDequeueNs(v, 0); // handed to the book, decoded
    stamps[o + STAMP_BOOK] = msgEnqueueNs(v, 0); // the book applied it
    const run = runIdOf[d];
    if (run > 0) {
      // the published values carry their newest tick's arrival ms, rounded as here
      const ms = Math.round(msgEventNs(v, 0) / 1e6);
      redisVisible.tick(symOf[d], ms, intendedNs[d], run);
      dashboardVisible.tick(symOf[d], ms, intendedNs[d], run);
    }
  }
}

interface Captured { type: number; sym: number; ingestNs: number; enqueueNs: number; status: number; dequeueNs: number }
const capture = (name: string, into: Captured[], want: number) => {
  taps.get(name)?.poll((v) => {
    const type = msgType(v, 0);
    if (type !== want) return;
    into.push({ type, sym: msgSymbol(v, 0), ingestNs: msgIngestNs(v, 0), enqueueNs: msgEnqueueNs(v, 0), status: type === MessageType.OrderEvent ? OrderEvent.status(v, 0) : 0, dequeueNs: msgDequeueNs(v, 0) });
  });
};

let deferred: { c: Captured; kind: 'analytics' | 'decision' | 'signal'; tries: number }[] = [];

/**
 * Stamps `slot` on the ticks of `sym` a snapshot (or the decision on it) reflects: those booked before
 * analytics took the book top it answers (`reflectsNs`, the snapshot's dequeueNs), up to the last tick of
 * its read. Ticks arrive in order, so `from[sym]` is the first one not stamped yet. A tick the tap never
 * saw (no book stamp) is skipped. False while the read's DepthUpdates are unseen.
 */
function reach(sym: number, ingestNs: number, reflectsNs: number, slot: number, at: number, from: Float64Array, onStamp?: () => void): boolean {
  const r = reads.get(ingestNs);
  if (!r) return false;
  let d = from[sym];
  for (; d <= r.last; d++) {
    if (symOf[d] !== sym) continue;
    const o = d * STAMP_WIDTH;
    const booked = stamps[o + STAMP_BOOK];
    if (booked > reflectsNs) break; // booked after this snapshot's book top: the next one reflects it
    if (booked === 0 || stamps[o + slot] > 0) continue;
    stamps[o + slot] = at;
    onStamp?.();
  }
  if (d > from[sym]) from[sym] = d;
  return true;
}

const countDecided = () => Atomics.add(decided, 0, 1);
const onAnalytics = (c: Captured): boolean => reach(c.sym, c.ingestNs, c.dequeueNs, STAMP_ANALYTICS, c.enqueueNs, analyticsFrom);
const onDecision = (c: Captured): boolean => reach(c.sym, c.ingestNs, c.dequeueNs, STAMP_DECISION, c.enqueueNs, decisionFrom, countDecided);

/** when each signal was published, by symbol and tick: an order's wait for execution is measured from it */
const signalSent = new Map<string, number>();

function onSignal(c: Captured): boolean {
  if (!reads.has(c.ingestNs)) return false;
  const o = oldestOf(c.sym, c.ingestNs);
  if (!o) return true; // a signal from an unmeasured (warm-up) tick
  histFor(o[1]).signal.record(c.enqueueNs - o[0]);
  signalSent.set(`${c.sym}:${c.ingestNs}`, c.enqueueNs);
  bounded(signalSent, 10_000);
  return true;
}

// Execution stamps an order's events with the ingestNs of the tick behind its signal: the first event of
// each order (the broker's acknowledgement of the order sent) is matched to that tick exactly.
const ordersSeen = new Set<string>();
function onOrder(c: Captured): void {
  const key = `${c.sym}:${c.ingestNs}`;
  if (ordersSeen.has(key)) return;
  if (reads.has(c.ingestNs)) {
    ordersSeen.add(key);
    const o = oldestOf(c.sym, c.ingestNs);
    if (o) {
      const h = histFor(o[1]);
      h.order.record(c.enqueueNs - o[0]);
      // the order event's dequeueNs: when execution read the signal (signal → there, then there → broker call)
      const sent = signalSent.get(key);
      if (sent !== undefined) h.toExecution.record(c.dequeueNs - sent);
      h.inExecution.record(c.enqueueNs - c.dequeueNs);
    }
    if (ordersSeen.size > 100_000) ordersSeen.clear();
  }
  // Otherwise not from a measured tick (a synthetic exit, a manual order): not a tick → order sample.
}

function round(): void {
  // Downstream rings first: whatever they hold was caused by market data already published, which the
  // market-data poll right after is then sure to see.
  const orders: Captured[] = [];
  const signals: Captured[] = [];
  const analytics: Captured[] = [];
  capture('orders-out', orders, MessageType.OrderEvent);
  capture('signals-out', signals, MessageType.Signal);
  capture('analytics-out', analytics, MessageType.AnalyticsSnapshot);
  const decisions: Captured[] = [];
  probe.poll((ingestNs, sym, reflectsNs, decisionNs) => decisions.push({ type: 0, sym, ingestNs, enqueueNs: decisionNs, status: 0, dequeueNs: reflectsNs }));
  taps.get('market-data')!.poll(onMarketData);
  const retry = deferred;
  deferred = [];
  for (const x of retry) {
    const ok = x.kind === 'analytics' ? onAnalytics(x.c) : x.kind === 'decision' ? onDecision(x.c) : onSignal(x.c);
    if (!ok && ++x.tries < 50) deferred.push(x);
    else if (!ok) counters.unmatched[x.kind]++;
  }
  for (const c of analytics) if (!onAnalytics(c)) deferred.push({ c, kind: 'analytics', tries: 0 });
  for (const c of decisions) if (!onDecision(c)) deferred.push({ c, kind: 'decision', tries: 0 });
  for (const c of signals) if (!onSignal(c)) deferred.push({ c, kind: 'signal', tries: 0 });
  for (const c of orders) onOrder(c);
  bounded(reads, 400_000);
  redisVisible.settleAll();
  dashboardVisible.settleAll();
}

// ---- Redis: a subscriber for keyspace events and a second connection to read the value
const redisOpts = { host: wd.redis.host, port: wd.redis.port, password: wd.redis.password, lazyConnect: false, maxRetriesPerRequest: 2 };
const sub = new Redis(redisOpts);
const getter = new Redis(redisOpts);
sub.on('error', () => {});
getter.on('error', () => {});
const PREFIX = '__keyspace@0__:';
void sub.psubscribe(`${PREFIX}market:*:timestamp`);
sub.on('pmessage', (_p: string, channel: string, event: string) => {
  if (event !== 'set') return;
  counters.redisNotifications++;
  const key = channel.slice(PREFIX.length);
  const m = /^market:\{?([^}:]+)\}?:timestamp$/.exec(key);
  const sym = m ? symIndex.get(m[1]) : undefined;
  if (sym === undefined) return;
  getter.get(key).then((val) => {
    // Timed when the value is read back: the GET may return a newer value than the one notified, and
    // timing that at the notification would credit it too early. (This adds the GET's round trip instead.)
    const t = clock.nowNs();
    const ms = Number(val);
    if (Number.isFinite(ms)) redisVisible.seen(sym, ms, t);
  }, () => {});
});

// ---- Dashboard: a page's WebSocket, subscribed to every symbol's price panel
let ws: WebSocket | undefined;
if (wd.dashboard) {
  const unpackr = new Unpackr(WIRE_OPTIONS);
  const lastTs = new Map<string, number>();
  const lastWall = new Map<string, number>();
  ws = new WebSocket(`ws://127.0.0.1:${wd.dashboard.port}/ws?token=${encodeURIComponent(wd.dashboard.token)}`);
  ws.binaryType = 'nodebuffer';
  ws.on('open', () => ws!.send(JSON.stringify({ op: 'sub', topics: wd.symbols.map((s) => `price:${s}`) })));
  ws.on('error', (e) => (counters.dashboardError = e.message));
  ws.on('message', (data: Buffer) => {
    const t = clock.nowNs();
    let frame: unknown;
    try {
      frame = unpackr.unpack(data);
    } catch {
      return;
    }
    if (!Array.isArray(frame) || typeof frame[0] !== 'string' || !frame[0].startsWith('price:')) return;
    counters.dashboardFrames++;
    const symName = frame[0].slice(6);
    const ts = (frame[2] as { q?: { ts?: number } })?.q?.ts;
    const sym = symIndex.get(symName);
    if (sym === undefined || typeof ts !== 'number' || ts <= 0 || lastTs.get(symName) === ts) return;
    lastTs.set(symName, ts);
    const wall = Date.now();
    if (counters.dashboardFrameAgeMs.length < 100_000) counters.dashboardFrameAgeMs.push(wall - ts);
    const prev = lastWall.get(symName);
    if (prev !== undefined && counters.dashboardFrameGapMs.length < 100_000) counters.dashboardFrameGapMs.push(wall - prev);
    lastWall.set(symName, wall);
    dashboardVisible.seen(sym, ts, t);
  });
}

const cpu0 = threadCpuMs();
// Poll every millisecond; when a round found a lot, go again at once so a busy ring never laps the tap.
let timer: NodeJS.Timeout | undefined;
let stopped = false;
const loop = () => {
  if (stopped) return;
  const before = taps.get('market-data')!.seen;
  round();
  const busy = taps.get('market-data')!.seen - before > 256;
  if (busy) setImmediate(loop);
  else timer = setTimeout(loop, 1);
};
loop();

parentPort!.on('message', (c: ObserverCommand) => {
  if (c.t === 'collect') {
    round();
    // ticks of the run never shown (the bench waited three frames and two flushes after its last tick)
    counters.unmatched.redis += redisVisible.dropRun(c.runId);
    counters.unmatched.dashboard += dashboardVisible.dropRun(c.runId);
    const h = histFor(c.runId);
    runs.delete(c.runId);
    for (const [name, tap] of taps) counters.tapLost[name] = tap.lost;
    counters.probeLost = probe.lost;
    counters.cpuMs = threadCpuMs() - cpu0;
    const hist = Object.fromEntries(OBS_STAGES.map((s) => [s, h[s].encode()])) as Record<ObsStage, string>;
    const r: ObserverCollect = { t: 'collected', runId: c.runId, hist, counters: structuredClone(counters) };
    counters.dashboardFrameAgeMs = []; // per run
    counters.dashboardFrameGapMs = [];
    parentPort!.postMessage(r);
  } else if (c.t === 'stop') {
    stopped = true;
    clearTimeout(timer);
    ws?.terminate();
    sub.disconnect();
    getter.disconnect();
    parentPort!.close();
  }
});
parentPort!.postMessage({ t: 'ready' });
