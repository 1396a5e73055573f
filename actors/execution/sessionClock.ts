import { etTime, NYSE } from '../../analytics/calendar.js';
import type { EngineConfig } from '../../engine/config/schema.js';

export interface SessionNow { nowMs(): number; simulated: boolean }

/**
 * Session time for execution (market hours, session date in client order ids). Simulated venues run a
 * simulated session from 09:30 New York of the next trading day, starting at the engine's start instant
 * (shared by every actor); live venues use the wall clock.
 */
export function sessionClockFor(cfg: EngineConfig, engineStartMs = Date.now()): SessionNow {
  if (cfg.engine.mode === 'live') return { nowMs: () => Date.now(), simulated: false };
  let day = new Date(engineStartMs).toISOString().slice(0, 10);
  if (!NYSE.isTradingDay(day)) day = NYSE.nextTradingDay(day);
  const open = etTime(day, '09:30');
  return { nowMs: () => open + (Date.now() - engineStartMs), simulated: true };
}
