import { addDays, parseDate } from '../../../analytics/calendar.js';
import type { EngineConfig } from '../../../engine/config/schema.js';
import { clamp01, type Proposal, type StrategyInput } from './types.js';

export type FourteenDteConfig = EngineConfig['signals']['fourteenDte'];

const dayNumber = (d: string): number => {
  const { y, m, d: dd } = parseDate(d);
  return Date.UTC(y, m - 1, dd) / 86_400_000;
};

/**
 * 14DTE: unusual options activity plus sentiment. Unusual contracts (volume > threshold × open interest)
 * expiring within [minDte, maxDte] calendar days, weighted w = volume · (volume/OI ratio); call skew
 * k = (Σ w_call − Σ w_put) / Σ w in [−1, 1], needing |k| ≥ minFlowSkew; direction = sign(k).
 * Sentiment s (news score): |s| < neutralBand is neutral; a non-neutral s against the direction vetoes.
 * confidence = 0.6·|k| + 0.4·support, support = min(1, |s| / sentimentFull) when s confirms, else 0.
 */
export function fourteenDte(x: StrategyInput, c: FourteenDteConfig): Proposal | null {
  if (!(x.spot > 0) || !x.unusual || x.unusual.length === 0) return null;
  const today = dayNumber(x.date);
  let call = 0;
  let put = 0;
  let n = 0;
  for (const u of x.unusual) {
    let dte: number;
    try {
      dte = dayNumber(u.expiration) - today;
    } catch {
      continue; // a malformed date is not evidence
    }
    if (dte < c.minDte || dte > c.maxDte || !(u.volume > 0) || !(u.ratio > 0)) continue;
    const w = u.volume * u.ratio;
    if (u.type === 'call') call += w;
    else if (u.type === 'put') put += w;
    else continue;
    n++;
  }
  const total = call + put;
  if (!(total > 0)) return null;
  const k = (call - put) / total;
  if (Math.abs(k) < c.minFlowSkew || k === 0) return null;
  const direction: 1 | -1 = k > 0 ? 1 : -1;
  const s = x.sentiment;
  let support = 0;
  if (s !== null && Number.isFinite(s) && Math.abs(s) >= c.neutralBand) {
    if (Math.sign(s) !== direction) return null;
    support = clamp01(Math.abs(s) / c.sentimentFull);
  }
  const confidence = clamp01(0.6 * Math.abs(k) + 0.4 * support);
  return {
    direction, confidence, target: NaN, stop: NaN,
    inputs: { spot: x.spot, callSkew: k, contracts: n, horizon: `${addDays(x.date, c.minDte)}..${addDays(x.date, c.maxDte)}`, sentiment: s, sentimentSupport: support },
  };
}
