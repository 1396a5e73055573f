import type { EngineConfig } from '../../../engine/config/schema.js';
import { clamp01, known, orNull, type Proposal, type StrategyInput } from './types.js';

export type MocConfig = EngineConfig['signals']['moc'];

/**
 * MOC: the closing-auction window before the entry cutoff. Pin = the gamma wall nearest the spot (call or
 * put wall). pinTerm = sign(pin − spot) · min(1, |pin − spot| / spot / pinFullPct) · g, g = 1 with positive
 * dealer gamma (pinning), ½ otherwise; imbTerm = book imbalance in [−1, 1] (0 when unknown).
 * score = 0.6·pinTerm + 0.4·imbTerm; direction = sign(score) when |score| ≥ minScore;
 * confidence = min(1, |score|). Execution sends strategy 4 as a market-on-close order.
 */
export function moc(x: StrategyInput, c: MocConfig): Proposal | null {
  if (!(x.spot > 0)) return null;
  const walls = [x.callWall, x.putWall].filter(known);
  let pin = NaN;
  for (const w of walls) if (!known(pin) || Math.abs(w - x.spot) < Math.abs(pin - x.spot)) pin = w;
  const g = known(x.netGex) && x.netGex > 0 ? 1 : 0.5;
  const pinTerm = known(pin) ? Math.sign(pin - x.spot) * clamp01(Math.abs(pin - x.spot) / x.spot / c.pinFullPct) * g : 0;
  const imbTerm = known(x.imbalance) ? Math.max(-1, Math.min(1, x.imbalance)) : 0;
  const score = 0.6 * pinTerm + 0.4 * imbTerm;
  if (!(Math.abs(score) >= c.minScore) || score === 0) return null;
  return {
    direction: score > 0 ? 1 : -1, confidence: clamp01(Math.abs(score)), target: pin, stop: NaN,
    inputs: { spot: x.spot, pin: orNull(pin), pinTerm, imbalance: orNull(x.imbalance), netGex: orNull(x.netGex), score },
  };
}
