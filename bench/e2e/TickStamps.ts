import { LatencyHistogram, type StageSummary } from './LatencyHistogram.js';

/**
 * Per-tick stage times, the same for every pipeline: five slots per depth ordinal (the feeder's order of
 * depth updates), preallocated in shared memory, so timing every tick costs a few stores and no allocation.
 * A slot holds the engine clock (ns since the MonoClock origin) at which the tick passed that point; 0 = not
 * reached. The intended send time ("wire") is the feeder's. `tickStages` turns them into the issue's
 * per-segment percentiles.
 */
export const STAMP_RECEIPT = 0; // the socket read that carried the tick
export const STAMP_DECODED = 1; // its frame decoded
export const STAMP_BOOK = 2; // the book applied it
export const STAMP_ANALYTICS = 3; // analytics updated with it
export const STAMP_DECISION = 4; // the strategy evaluated the state that includes it
export const STAMP_WIDTH = 5;

/** The per-tick segments, in the names. */
export const TICK_STAGES = ['wire_to_receipt', 'receipt_to_decoded', 'decoded_to_book', 'book_to_analytics', 'analytics_to_decision', 'receipt_to_decision', 'wire_to_decision'] as const;
export type TickStage = (typeof TICK_STAGES)[number];

const SEGMENTS: Record<TickStage, [number, number]> = {
  wire_to_receipt: [-1, STAMP_RECEIPT],
  receipt_to_decoded: [STAMP_RECEIPT, STAMP_DECODED],
  decoded_to_book: [STAMP_DECODED, STAMP_BOOK],
  book_to_analytics: [STAMP_BOOK, STAMP_ANALYTICS],
  analytics_to_decision: [STAMP_ANALYTICS, STAMP_DECISION],
  receipt_to_decision: [STAMP_RECEIPT, STAMP_DECISION],
  wire_to_decision: [-1, STAMP_DECISION],
};

export function newTickStamps(ticks: number): SharedArrayBuffer {
  return new SharedArrayBuffer(ticks * STAMP_WIDTH * 8);
}

export interface TickStageResult {
  stages: Record<TickStage, StageSummary>;
  /** measured ticks of the run */
  ticks: number;
  /** measured ticks that never reached a decision (no stamp: dropped, or the pipeline stopped first) */
  incomplete: number;
}

/**
 * Percentiles of every segment over the ticks of run `runId` (runIdOf[d] === runId). A segment is recorded
 * for each tick that has both its ends, so with nothing lost every count equals the ticks of the run.
 */
export function tickStages(intendedNs: Float64Array, runIdOf: Uint8Array, stamps: Float64Array, runId: number, limit = runIdOf.length): TickStageResult {
  const hs = Object.fromEntries(TICK_STAGES.map((s) => [s, new LatencyHistogram()])) as Record<TickStage, LatencyHistogram>;
  const pairs = TICK_STAGES.map((s) => [hs[s], SEGMENTS[s][0], SEGMENTS[s][1]] as const);
  let ticks = 0;
  let incomplete = 0;
  const end = Math.min(limit, runIdOf.length, stamps.length / STAMP_WIDTH);
  for (let d = 0; d < end; d++) {
    if (runIdOf[d] !== runId) continue;
    ticks++;
    const o = d * STAMP_WIDTH;
    if (!(stamps[o + STAMP_DECISION] > 0)) incomplete++;
    for (const [h, from, to] of pairs) {
      const b = stamps[o + to];
      const a = from < 0 ? intendedNs[d] : stamps[o + from];
      if (a > 0 && b > 0) h.record(b - a);
    }
  }
  const stages = Object.fromEntries(TICK_STAGES.map((s) => [s, hs[s].summary()])) as Record<TickStage, StageSummary>;
  return { stages, ticks, incomplete };
}
