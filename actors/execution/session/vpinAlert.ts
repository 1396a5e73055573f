import type { Episodes } from '../../../engine/alerts/Episodes.js';
import type { RoutineAlert } from './SessionRoutines.js';

/**
 * The `vpin-toxic` rule: a published `analytics:{SYM}:vpin` toxic while the engine holds SYM opens an episode
 * (one warning); VPIN clearing or the position closing ends it, silently (`quiet`: nothing to tell a person,
 * but the next toxic spell is news again). Null while nothing changes.
 */
export function vpinToxicAlert(episodes: Episodes, symbol: string, v: { toxic?: unknown; vpin?: unknown; cdf?: unknown }, position: number): RoutineAlert | null {
  const ep = episodes.update(symbol, v.toxic === true && position !== 0);
  if (ep === 'start') {
    return {
      rule: 'vpin-toxic', severity: 'warning', title: `VPIN toxic on ${symbol} with a position open`, key: symbol,
      text: `VPIN ${Number(v.vpin).toFixed(3)} (CDF ${Number(v.cdf).toFixed(3)}) at or above the toxicity threshold while the engine holds ${position} ${symbol}`,
      fields: { symbol, position, vpin: Number(v.vpin), cdf: Number(v.cdf) },
    };
  }
  if (ep === 'end') return { rule: 'vpin-toxic', severity: 'info', title: '', text: '', key: symbol, endEpisode: 'vpin-toxic', quiet: true };
  return null;
}
