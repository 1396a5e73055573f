import type { FeederHandle, SegmentDone } from './FeederHandle.js';
import { probeMax } from './FeederHandle.js';
import type { Pipeline, RunResult } from './report.js';
import { tickStages } from './TickStamps.js';

export interface RatePlan {
  label: string;
  rate: number; // 0 = find the maximum sustainable rate first
}

/** One measured segment: its run id (the feeder's per-tick tag), the rate it ran at, what the feeder said. */
export interface MeasuredSegment {
  label: string;
  rate: number;
  runId: number;
  seg: SegmentDone;
  windowS: number;
  notes: string[];
}

export interface ScheduleOptions {
  feeder: FeederHandle;
  rates: RatePlan[];
  seconds: number;
  warmupSeconds: number;
  /** ticks decided so far (every depth update the pipeline has finished, since its session began) */
  decided: () => number;
  /** around each measured segment (the engine reads its counters there) */
  before?: () => void;
  after?: (m: MeasuredSegment) => Promise<void> | void;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every tick the feeder sent is decided, or nothing moved for 1 s (a lost tick), at most 15 s;
 * returns the time waited. Above the sustainable rate a backlog sits in the socket when the feed ends: its
 * ticks are then timed, not miscounted.
 */
export async function drain(feeder: FeederHandle, decided: () => number, maxMs = 15_000): Promise<number> {
  const t0 = performance.now();
  let last = decided();
  let lastMove = t0;
  while (performance.now() - t0 < maxMs) {
    const n = decided();
    if (n >= feeder.sent) break;
    if (n !== last) {
      last = n;
      lastMove = performance.now();
    } else if (performance.now() - lastMove > 1000) break;
    await sleep(5);
  }
  return performance.now() - t0;
}

/**
 * The schedule every pipeline is fed, the same for each: the books first (5 000 updates at 5k/s), then per
 * rate a warm-up segment (not measured) and a measured one (its ticks tagged with a fresh run id), each
 * drained before the next. "max" first probes the highest rate that leaves no backlog at the decision.
 */
export async function runSchedule(o: ScheduleOptions): Promise<MeasuredSegment[]> {
  const { feeder } = o;
  const feed = (rate: number, n: number, runId: number) => feeder.feed(rate, n, runId);
  await feed(5_000, 5_000, 0);
  await drain(feeder, o.decided);
  await sleep(300);
  const out: MeasuredSegment[] = [];
  let runId = 0;
  for (const r of o.rates) {
    let rate = r.rate;
    const notes: string[] = [];
    if (rate === 0) {
      const tryS = Math.min(1, o.warmupSeconds + o.seconds);
      const m = await probeMax(feed, o.decided, tryS);
      rate = m.rate;
      notes.push(`maximum sustainable rate: ${rate}/s, the highest rate that left no backlog at the decision after ${tryS} s (a 400k/s burst was absorbed at ${m.absorbed}/s; tried ${m.tried.join(', ')})`);
      await drain(feeder, o.decided);
    }
    runId++;
    await feed(rate, Math.max(1, Math.round(rate * o.warmupSeconds)), 0);
    await drain(feeder, o.decided);
    o.before?.();
    const t0 = performance.now();
    const seg = await feed(rate, Math.max(1, Math.round(rate * o.seconds)), runId);
    const windowS = (performance.now() - t0) / 1000;
    const backlogMs = await drain(feeder, o.decided);
    if (backlogMs > 300) notes.push(`a backlog took ${(backlogMs / 1000).toFixed(1)} s to drain after the feed ended (its ticks are in the figures)`);
    if (seg.exhausted) notes.push('the pre-generated feed ran out before the segment ended');
    notes.push(`feeder lateness p50 ${(seg.lateP50Ns / 1e3).toFixed(0)} µs, p99 ${(seg.lateP99Ns / 1e3).toFixed(0)} µs, max ${(seg.lateMaxNs / 1e6).toFixed(2)} ms (included in the latencies: they run from the intended time)`);
    const m: MeasuredSegment = { label: r.label, rate, runId, seg, windowS, notes };
    await o.after?.(m);
    out.push(m);
  }
  return out;
}

/**
 * A measured segment's RunResult from the per-tick stamps: the seven per-tick segments, every tick of the
 * run counted (ticks without a decision are `dropped`), throughput = decided ticks per second of the window.
 */
export function stampedResult(pipeline: Pipeline, m: MeasuredSegment, feeder: FeederHandle, stamps: Float64Array): RunResult {
  const t = tickStages(feeder.intendedNs, feeder.runIdOf, stamps, m.runId);
  const notes = [...m.notes];
  if (t.ticks !== m.seg.sent) notes.push(`${m.seg.sent} ticks sent, ${t.ticks} tagged with the run`);
  return {
    pipeline, rate: m.rate, rate_label: m.label, stages: t.stages, dropped: t.incomplete + (m.seg.sent - t.ticks),
    throughput_per_s: Math.round((t.ticks - t.incomplete) / Math.max(m.windowS, 1e-9)), ticks: t.ticks, notes,
  };
}
