import type { EngineConfig } from '../../../engine/config/schema.js';
import { clamp01, known, orNull, type Proposal, type StrategyInput } from './types.js';

export type OneDteConfig = EngineConfig['signals']['oneDte'];

/**
 * 1DTE: positioning into the close for the next session's expiry. Move m = spot / sessionOpenSpot − 1
 * (the session's first spot), needing |m| ≥ minMovePct and a known dealer gamma sign (netGex).
 *  - netGex < 0 (short gamma): trend days close near their extreme and carry over: direction = sign(m).
 *  - netGex > 0 (long gamma): the move is expected to revert toward the pin overnight: direction = −sign(m).
 * confidence = min(1, |m| / moveFullPct) · a, a = 1 when the book imbalance agrees with the direction,
 * 0.6 when it disagrees, 0.8 when unknown. Only for symbols with an expiry on the next trading day.
 */
export function oneDte(x: StrategyInput, c: OneDteConfig): Proposal | null {
  if (!x.expiryNextSession || !(x.spot > 0) || !(x.sessionOpenSpot > 0) || !known(x.netGex) || x.netGex === 0) return null;
  const m = x.spot / x.sessionOpenSpot - 1;
  if (!(Math.abs(m) >= c.minMovePct) || m === 0) return null;
  const direction: 1 | -1 = (x.netGex < 0 ? Math.sign(m) : -Math.sign(m)) > 0 ? 1 : -1;
  const agree = known(x.imbalance) && x.imbalance !== 0 ? (Math.sign(x.imbalance) === direction ? 1 : 0.6) : 0.8;
  const confidence = clamp01(Math.abs(m) / c.moveFullPct) * agree;
  return {
    direction, confidence, target: x.netGex > 0 ? x.sessionOpenSpot : NaN, stop: NaN,
    inputs: { spot: x.spot, sessionOpenSpot: x.sessionOpenSpot, move: m, netGex: x.netGex, imbalance: orNull(x.imbalance), agreement: agree },
  };
}
