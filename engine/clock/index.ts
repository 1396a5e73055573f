import type { EngineConfig } from '../config/schema.js';
import type { Clock } from './Clock.js';
import { SimulatedSessionClock } from './SimulatedSessionClock.js';
import { WallClock } from './WallClock.js';

export type { Clock } from './Clock.js';
export { wallSpanMs } from './Clock.js';
export { SimulatedSessionClock } from './SimulatedSessionClock.js';
export { WallClock } from './WallClock.js';

/**
 * The engine's one session clock, derived only from configuration and the engine's start instant
 * (`ctx.runtime.engineStartMs`, set once by `alphatrader start` and passed to every worker): live venues
 * run on the wall clock, simulated venues on the simulated session (`engine.clock`).
 */
export function clockFor(cfg: EngineConfig, engineStartMs: number | undefined, wallNow: () => number = Date.now): Clock {
  if (cfg.engine.mode === 'live') return new WallClock(wallNow);
  return new SimulatedSessionClock({
    engineStartMs: engineStartMs ?? wallNow(),
    start: cfg.engine.clock.start,
    speed: cfg.engine.clock.speed,
    wallNow,
  });
}
