/**
 * Session time shared by every actor. Strategies, market hours and client order ids read it; latencies and
 * ages of data never do (they stay on the wall/monotonic clocks).
 */
export interface Clock {
  /** Session time, epoch ms (America/New_York wall times via analytics/calendar). */
  nowMs(): number;
  /**
   * Session time at a wall instant: what `nowMs()` said (or will say) then. The strategies run on the event
   * time of their input (`at(eventMs)`), so a replay of the same events tells the same session time.
   */
  at(wallMs: number): number;
  /** True when the session is simulated (simulated venues), false on the wall clock (live venues). */
  readonly simulated: boolean;
  /** Session ms per wall ms (1 on the wall clock). */
  readonly speed: number;
  /**
   * Identifies this run of session time: 0 on the wall clock (a restart lives in the same session); on a
   * simulated clock the engine's start instant (a restarted engine replays a fresh simulated day, which must
   * not collide with the ids of the previous run's day).
   */
  readonly epoch: number;
}

/** How long a span of session time lasts on the wall (TTLs of keys that expire with a session-time expiry). */
export function wallSpanMs(clock: Clock, sessionSpanMs: number): number {
  return sessionSpanMs / clock.speed;
}
