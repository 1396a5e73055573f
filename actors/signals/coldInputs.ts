import { contractsOf } from '../../analytics/optionMarket.js';
import type { UnusualContract } from './strategies/types.js';

/** A cold figure the strategies use, parsed from a key another actor published (mirrored by the supervisor). */
export type ColdInput =
  | { kind: 'unusual'; symbol: string; contracts: UnusualContract[] }
  | { kind: 'sentiment'; symbol: string; score: number | null }
  | { kind: 'bad'; key: string; why: string }
  | null; // a key the strategies do not use

const UNUSUAL = /^options:\{([^}]+)\}:unusual$/;
const SENTIMENT = /^sentiment:\{([^}]+)\}$/;

/** Whether `parseColdInput` reads this key at all. */
export const isColdInputKey = (key: string): boolean => UNUSUAL.test(key) || SENTIMENT.test(key);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const parse = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
};

/**
 * options:{SYM}:unusual (actors/options: contracts trading above threshold × open interest) and
 * sentiment:{SYM} (NEWS_SENTIMENT summary). Malformed contracts are skipped; a malformed value is 'bad'.
 */
export function parseColdInput(key: string, value: unknown): ColdInput {
  let m = UNUSUAL.exec(key);
  if (m) {
    const all = contractsOf(value); // the same reading as a chain key's
    if (!Array.isArray(all)) return { kind: 'bad', key, why: all.bad };
    const contracts: UnusualContract[] = [];
    for (const c of all) {
      if (!isObj(c)) continue;
      const { expiration, type, volume, ratio } = c;
      if (typeof expiration !== 'string' || (type !== 'call' && type !== 'put') || typeof volume !== 'number' || typeof ratio !== 'number') continue;
      if (!Number.isFinite(volume) || !Number.isFinite(ratio)) continue;
      contracts.push({ expiration, type, volume, ratio });
    }
    return { kind: 'unusual', symbol: m[1], contracts };
  }
  m = SENTIMENT.exec(key);
  if (m) {
    const v = parse(value);
    if (!isObj(v)) return { kind: 'bad', key, why: 'not an object' };
    const pick = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= -1 && x <= 1 ? x : null);
    return { kind: 'sentiment', symbol: m[1], score: pick(v.relevanceWeighted) ?? pick(v.score) };
  }
  return null;
}
