import type { EngineConfig } from '../../../engine/config/schema.js';
import { clamp01, known, orNull, type Proposal, type StrategyInput } from './types.js';

export type ZeroDteConfig = EngineConfig['signals']['zeroDte'] & { toxicThreshold: number };

/**
 * 0DTE, gamma-driven. Dealer regime r: sign(spot − zeroGamma) when the flip is known, else sign(netGex)
 * (no gamma data: nothing). Flow f = min(1, |imbalance| / imbalanceFull), needing |imbalance| ≥ minImbalance.
 *  - r < 0 (dealers short gamma, they amplify moves): follow the flow, direction = sign(imbalance).
 *  - r > 0 (dealers long gamma, they dampen): fade the flow only at the wall it pushes into (spot within
 *    wallBandPct of the call wall with buying → short; of the put wall with selling → long).
 * confidence = f · (½ + ½·certainty) · [r > 0: (½ + ½·wallProximity)] · tox, where
 *   certainty = min(1, |spot − zeroGamma| / spot / zeroGammaBandPct), ½ when only netGex is known;
 *   wallProximity = 1 − min(1, |spot − wall| / spot / wallBandPct) (1 at or beyond the wall);
 *   tox (VPIN filter) = 1 − ½·vpinCdf; VPIN CDF ≥ the toxicity threshold: nothing (toxic flow, no entry);
 *   VPIN unknown (warming up: the first buckets of the day) = vpinUnknownFactor (0 = wait for VPIN).
 * Only on days the symbol has an expiry (a 0DTE underlying).
 */
export function zeroDte(x: StrategyInput, c: ZeroDteConfig): Proposal | null {
  if (!x.expiryToday || !(x.spot > 0) || !known(x.imbalance)) return null;
  const zgKnown = known(x.zeroGamma);
  const r = zgKnown ? Math.sign(x.spot - x.zeroGamma) : known(x.netGex) ? Math.sign(x.netGex) : 0;
  if (r === 0) return null;
  const ai = Math.abs(x.imbalance);
  if (ai < c.minImbalance || ai === 0) return null;
  let tox: number;
  if (known(x.vpinCdf)) {
    if (x.vpinCdf >= c.toxicThreshold) return null;
    tox = 1 - 0.5 * x.vpinCdf;
  } else tox = c.vpinUnknownFactor;
  if (!(tox > 0)) return null;
  const flow = clamp01(ai / c.imbalanceFull);
  const certainty = zgKnown ? clamp01(Math.abs(x.spot - x.zeroGamma) / x.spot / c.zeroGammaBandPct) : 0.5;
  const flowDir = x.imbalance > 0 ? 1 : -1;
  let direction: 1 | -1;
  let proximity = NaN;
  let target = NaN;
  if (r < 0) {
    direction = flowDir;
    const wall = direction > 0 ? x.callWall : x.putWall;
    if (known(wall) && (direction > 0 ? wall > x.spot : wall < x.spot)) target = wall;
  } else {
    const wall = flowDir > 0 ? x.callWall : x.putWall;
    if (!known(wall)) return null;
    const dist = flowDir > 0 ? (wall - x.spot) / x.spot : (x.spot - wall) / x.spot; // ≤ 0 at or beyond the wall
    if (dist > c.wallBandPct) return null;
    proximity = 1 - clamp01(dist / c.wallBandPct);
    direction = flowDir > 0 ? -1 : 1;
    target = zgKnown ? x.zeroGamma : NaN;
  }
  const confidence = clamp01(flow * (0.5 + 0.5 * certainty) * (r > 0 ? 0.5 + 0.5 * proximity : 1) * tox);
  return {
    direction, confidence, target, stop: NaN,
    inputs: {
      spot: x.spot, imbalance: x.imbalance, netGex: orNull(x.netGex), zeroGamma: orNull(x.zeroGamma), callWall: orNull(x.callWall),
      putWall: orNull(x.putWall), vpin: orNull(x.vpin), vpinCdf: orNull(x.vpinCdf), regime: r > 0 ? 'long-gamma' : 'short-gamma',
      certainty, toxFactor: tox, wallProximity: orNull(proximity),
    },
  };
}
