import type { Clock } from './Clock.js';

/** Live venues: session time is the wall clock. */
export class WallClock implements Clock {
  readonly simulated = false;
  readonly speed = 1;
  readonly epoch = 0;
  constructor(private readonly wallNow: () => number = Date.now) {}
  nowMs(): number {
    return this.wallNow();
  }
  at(wallMs: number): number {
    return wallMs;
  }
}
