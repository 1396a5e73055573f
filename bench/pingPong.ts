/**
 * Ping-pong arithmetic shared by the ring benchmark's threads: latency is timed in the pinging thread only
 * (one clock), the first round trips warm up and are not recorded, percentiles are nearest-rank.
 */

/** Ping-pong statistics, computed in the pinging thread (one clock, no cross-thread comparison). */
export interface PingResult {
  type: 'result';
  round_trips: number;
  seconds: number;
  rtt_p50_ns: number;
  rtt_p99_ns: number;
  rtt_p999_ns: number;
  rtt_max_ns: number;
  bad: number;
}

/** Nearest-rank percentile (p in %) of sorted samples; 0 for none. */
export function pct(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** Warm-up round trips (JIT, caches) that are run but not recorded. */
export function warmup(roundTrips: number): number {
  return Math.min(Math.floor(roundTrips / 10), 10_000);
}

export function pingResult(samples: Float64Array, n: number, ms: number, bad: number): PingResult {
  const s = samples.subarray(0, n).sort();
  return {
    type: 'result', round_trips: n, seconds: ms / 1000,
    rtt_p50_ns: pct(s, 50), rtt_p99_ns: pct(s, 99), rtt_p999_ns: pct(s, 99.9), rtt_max_ns: n ? s[n - 1] : 0, bad,
  };
}

/** Message i: word w holds i + w, so the receiver can check the whole payload arrived intact. */
export function fillPayload(a: Float64Array, n: number): void {
  for (let w = 0; w < a.length; w++) a[w] = n + w;
}

/** A Worker or a MessagePort: what a message ping-pong needs of either. */
export interface PingEndpoint {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (m: unknown) => void): unknown;
  off(event: 'message', listener: (m: unknown) => void): unknown;
}

/**
 * Ping-pong of `words`-word Float64Array payloads over a message endpoint whose far end echoes them, until
 * `roundTrips` are recorded or `maxMs` has passed after the warm-up.
 */
export function pingOver(ep: PingEndpoint, words: number, roundTrips: number, maxMs: number): Promise<PingResult> {
  const warm = warmup(roundTrips);
  const samples = new Float64Array(roundTrips);
  const payload = new Float64Array(words);
  let i = 0;
  let n = 0;
  let bad = 0;
  let t0 = 0;
  let t = performance.now();
  let deadline = warm === 0 ? t + maxMs : Infinity;
  return new Promise((resolve) => {
    const send = (): void => {
      fillPayload(payload, i);
      t0 = performance.now();
      ep.postMessage(payload);
    };
    const onEcho = (m: unknown): void => {
      if (!(m instanceof Float64Array)) return;
      const t1 = performance.now();
      if (m[0] !== i || m[words - 1] !== i + words - 1) bad++;
      if (i >= warm) samples[n++] = (t1 - t0) * 1e6;
      if (++i === warm) {
        t = performance.now();
        deadline = t + maxMs;
      }
      if (n >= roundTrips || t1 > deadline) {
        ep.off('message', onEcho);
        resolve(pingResult(samples, n, performance.now() - t, bad));
        return;
      }
      send();
    };
    ep.on('message', onEcho);
    send();
  });
}
