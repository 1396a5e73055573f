/**
 * Tick → visible, for every tick: Redis and the dashboard show conflated latest values, so most ticks are
 * never published themselves — a newer value covers them. A tick counts as visible when a value at least as
 * new as it (its symbol's arrival ms or later) is first seen, so the figure includes the wait for the next
 * flush or frame: what a reader of Redis or of the page actually experiences. (Timing only the values that
 * were published would leave that wait out and flatter any conflation period.)
 *
 * Ticks wait per symbol in arrival order; a sighting newer than the newest tick tapped so far waits too, until
 * the ring tap has caught up, so a tick is never matched to a later sighting than the one that covered it.
 */
export class VisibilityTracker {
  private readonly ms: number[][];
  private readonly intended: number[][];
  private readonly run: number[][];
  private readonly head: number[];
  private readonly newestMs: number[];
  private readonly sightings: { ms: number; t: number }[][];

  constructor(symbols: number, private readonly record: (run: number, latencyNs: number) => void) {
    const per = <T>(f: () => T) => Array.from({ length: symbols }, f);
    this.ms = per(() => []);
    this.intended = per(() => []);
    this.run = per(() => []);
    this.head = per(() => 0);
    this.newestMs = per(() => -Infinity);
    this.sightings = per(() => []);
  }

  /** A measured tick of `sym`, arrived at `ms` (the ms its symbol's published values carry). */
  tick(sym: number, ms: number, intendedNs: number, run: number): void {
    this.ms[sym].push(ms);
    this.intended[sym].push(intendedNs);
    this.run[sym].push(run);
    if (ms > this.newestMs[sym]) this.newestMs[sym] = ms;
  }

  /** `sym`'s value as of arrival ms `ms` became visible at `tNs`. */
  seen(sym: number, ms: number, tNs: number): void {
    if (sym < 0 || sym >= this.sightings.length) return;
    this.sightings[sym].push({ ms, t: tNs });
    this.settle(sym);
  }

  /** Matches waiting sightings whose ticks the tap has now seen (call after every tap round). */
  settleAll(): void {
    for (let s = 0; s < this.sightings.length; s++) if (this.sightings[s].length) this.settle(s);
  }

  /** Ticks of `run` never seen visible (removed, so a finished run leaves nothing behind). */
  dropRun(run: number): number {
    let dropped = 0;
    for (let s = 0; s < this.ms.length; s++) {
      const keep = { ms: [] as number[], intended: [] as number[], run: [] as number[] };
      for (let i = this.head[s]; i < this.ms[s].length; i++) {
        if (this.run[s][i] === run) dropped++;
        else {
          keep.ms.push(this.ms[s][i]);
          keep.intended.push(this.intended[s][i]);
          keep.run.push(this.run[s][i]);
        }
      }
      this.ms[s] = keep.ms;
      this.intended[s] = keep.intended;
      this.run[s] = keep.run;
      this.head[s] = 0;
    }
    return dropped;
  }

  private settle(sym: number): void {
    const q = this.sightings[sym];
    while (q.length && q[0].ms <= this.newestMs[sym]) {
      const { ms, t } = q.shift()!;
      const msq = this.ms[sym];
      let h = this.head[sym];
      while (h < msq.length && msq[h] <= ms) {
        this.record(this.run[sym][h], t - this.intended[sym][h]);
        h++;
      }
      this.head[sym] = h;
      if (h > 4096 && h * 2 > msq.length) this.compact(sym);
    }
    // A sighting the tap never catches up with (a value from before the measured ticks) must not block.
    if (q.length > 1000) q.splice(0, q.length - 1000);
  }

  private compact(sym: number): void {
    const h = this.head[sym];
    this.ms[sym] = this.ms[sym].slice(h);
    this.intended[sym] = this.intended[sym].slice(h);
    this.run[sym] = this.run[sym].slice(h);
    this.head[sym] = 0;
  }
}
