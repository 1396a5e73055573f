import type { DateStr } from '../../../analytics/calendar.js';

/** Strategy numbers execution expects (STRATEGY_NAMES in actors/execution/ExecutionCore.ts). */
export const STRATEGY = { zeroDte: 1, oneDte: 2, fourteenDte: 3, moc: 4 } as const;
export const STRATEGY_LABEL: Record<number, string> = { 1: '0DTE', 2: '1DTE', 3: '14DTE', 4: 'MOC' };

/** The latest analytics figures of a symbol (AnalyticsSnapshot; NaN = unknown). */
export interface Snapshot {
  spot: number;
  vpin: number;
  vpinCdf: number;
  imbalance: number;
  microprice: number;
  netGex: number;
  zeroGamma: number;
  callWall: number;
  putWall: number;
}

/** One unusual-activity contract (options:{SYM}:unusual). */
export interface UnusualContract {
  expiration: DateStr;
  type: 'call' | 'put';
  volume: number;
  ratio: number;
}

/**
 * Everything a strategy may look at, at one instant. Market figures are the latest AnalyticsSnapshot
 * (NaN = unknown); cold inputs are null when absent or older than signals.maxInputAgeMs.
 */
export interface StrategyInput extends Snapshot {
  symbol: string;
  /** Session time (engine clock), epoch ms, and its New York date. */
  nowMs: number;
  date: DateStr;
  /** The first spot of this session seen by the actor (NaN before one). */
  sessionOpenSpot: number;
  /** Whether the symbol lists an expiry today / on the next trading day (calendar). */
  expiryToday: boolean;
  expiryNextSession: boolean;
  unusual: UnusualContract[] | null;
  /** News sentiment score in [−1, 1] (relevance-weighted when available). */
  sentiment: number | null;
}

export type Inputs = Record<string, number | string | null>;

/** What a strategy proposes; the gate (window, cooldown, id, expiry) decides whether it is emitted. */
export interface Proposal {
  direction: 1 | -1;
  /** In [0, 1]; formula documented per strategy. */
  confidence: number;
  target: number;
  stop: number;
  /** The figures that produced it (NaN → null), published with the signal. */
  inputs: Inputs;
}

export const known = (x: number): boolean => Number.isFinite(x);
export const clamp01 = (x: number): number => (x <= 0 || Number.isNaN(x) ? 0 : x >= 1 ? 1 : x);
export const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
