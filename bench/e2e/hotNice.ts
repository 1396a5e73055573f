import type { EngineConfig } from '../../engine/config/schema.js';
import { groupNice } from '../../engine/runtime/ThreadNice.js';

/**
 * The scheduling priority the engine's configuration gives its hot path (market-depth, analytics, signals:
 * the most urgent nice among them). The baselines run their pipeline threads at the same nice, so no
 * pipeline is compared, with priority, against one without (decision 140).
 */
export function hotNice(cfg: EngineConfig): number {
  return groupNice(cfg.actors.filter((a) => a.kind === 'market-depth' || a.kind === 'analytics' || a.kind === 'signals'));
}
