import { wallSpanMs, type Clock } from '../../engine/clock/index.js';
import type { Inputs } from './strategies/types.js';
import type { EmittedSignal } from './SignalEngine.js';
import type { ContractChoice } from './contractChoice.js';

/**
 * The Redis form of a signal (signals:{SYM}:latest and signals:stream), sent by the signals actor to the
 * publisher on the cold path: it carries the inputs, which do not fit the fixed hot layout, and the cold
 * path never drops it while the hot Signal ring's publisher reader is lossy.
 */
export interface SignalRecord {
  strategy: string;
  strategyId: number;
  symbol: string;
  direction: 'long' | 'short';
  confidence: number;
  price: number;
  target: number | null;
  stop: number | null;
  inputs: Inputs;
  /** Session-time expiry (epoch ms, engine clock) and the same instant on the wall (for the key's TTL). */
  expiry: number;
  expiresAtWallMs: number;
  signalId: number;
  slot: number;
  sessionDate: string;
  /** Session time of the signal (engine clock) and the wall time it was made. */
  ts: number;
  wallTs: number;
  /** Option strategies: the contract chosen (occ, expiry, right, strike, delta, bid/ask and where they came from) or why none (reason, detail). */
  contract?: ContractChoice | null;
}

const n = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function toRecord(s: EmittedSignal, wallMs: number, clock: Clock): SignalRecord {
  return {
    strategy: s.name, strategyId: s.strategy, symbol: s.symbol, direction: s.direction > 0 ? 'long' : 'short', confidence: s.confidence,
    price: s.price, target: n(s.target), stop: n(s.stop), inputs: s.inputs, expiry: s.expiresMs,
    expiresAtWallMs: Math.round(wallMs + wallSpanMs(clock, s.expiresMs - s.nowMs)), signalId: s.signalId, slot: s.slot, sessionDate: s.date,
    ts: s.nowMs, wallTs: wallMs, ...(s.contract ? { contract: s.contract } : {}),
  };
}
