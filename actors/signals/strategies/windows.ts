import { EARLY_CLOSE, EARLY_CLOSE_SHIFT_MS, etTime, type DateStr, type MarketCalendar } from '../../../analytics/calendar.js';
import type { EngineConfig } from '../../../engine/config/schema.js';
import { STRATEGY } from './types.js';

export interface Window {
  fromMs: number;
  toMs: number;
}

/**
 * A strategy's window on a date, or null when the market is closed or the window is empty. Windows are
 * configured for a regular day; on an early-close day (13:00) every boundary at or after 13:00 moves 3 h
 * earlier, as the MOC cutoff does, and nothing extends past the close.
 */
export function windowOn(cal: MarketCalendar, date: DateStr, from: string, to: string): Window | null {
  const s = cal.sessionOpenClose(date);
  if (!s) return null;
  const at = (t: string) => etTime(date, t) - (s.earlyClose && t >= EARLY_CLOSE ? EARLY_CLOSE_SHIFT_MS : 0);
  const fromMs = at(from);
  const toMs = Math.min(at(to), s.closeMs);
  return toMs > fromMs ? { fromMs, toMs } : null;
}

/** The MOC window: the `windowMinutes` before the entry cutoff (calendar.mocCutoff: 3 h earlier on early closes). */
export function mocWindowOn(cal: MarketCalendar, date: DateStr, cutoff: string, windowMinutes: number): Window | null {
  const c = cal.mocCutoff(date, cutoff);
  return c === null ? null : { fromMs: c - windowMinutes * 60_000, toMs: c };
}

/** Every strategy's window on a date, indexed by strategy number (null: none that day). */
export function windowsOn(cal: MarketCalendar, date: DateStr, cfg: EngineConfig['signals']): Record<number, Window | null> {
  return {
    [STRATEGY.zeroDte]: windowOn(cal, date, cfg.zeroDte.from, cfg.zeroDte.to),
    [STRATEGY.oneDte]: windowOn(cal, date, cfg.oneDte.from, cfg.oneDte.to),
    [STRATEGY.fourteenDte]: windowOn(cal, date, cfg.fourteenDte.from, cfg.fourteenDte.to),
    [STRATEGY.moc]: mocWindowOn(cal, date, cfg.moc.cutoff, cfg.moc.windowMinutes),
  };
}
