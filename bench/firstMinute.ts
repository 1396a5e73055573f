/**
 * `npm run bench -- first-minute [--limit S]`: the default run on a fresh machine (a new data directory,
 * so no VPIN state or discovery to restore), timed from the process start: when `analytics:{SPY}:vpin`
 * first holds a numeric `vpin` (and a CDF), when `market:{SPY}:sweep` and `market:{AAPL}:unusual_volume`
 * first appear (with their TTLs). Issue 13's target: numeric VPIN for SPY within 60 s of `npm start`.
 */
import { startDefaultRun } from './defaultRun.js';

interface Seen { atS: number | null; ttlMs: number | null; value: unknown }

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const i = args.indexOf('--limit');
  const limitS = i >= 0 ? Number(args[i + 1]) : 90;
  if (!(limitS > 0)) throw new Error('--limit takes a number of seconds');
  const { redis, t0, stop } = await startDefaultRun('first-minute', limitS + 10);
  const keys = { vpin: 'analytics:{SPY}:vpin', sweep: 'market:{SPY}:sweep', unusual: 'market:{AAPL}:unusual_volume' } as const;
  const seen: Record<keyof typeof keys, Seen> = {
    vpin: { atS: null, ttlMs: null, value: null }, sweep: { atS: null, ttlMs: null, value: null }, unusual: { atS: null, ttlMs: null, value: null },
  };
  try {
    while ((performance.now() - t0) / 1000 < limitS && Object.values(seen).some((s) => s.atS === null)) {
      await new Promise((r) => setTimeout(r, 250));
      for (const [name, key] of Object.entries(keys) as [keyof typeof keys, string][]) {
        if (seen[name].atS !== null) continue;
        const [raw, ttl] = await Promise.all([redis.get(key), redis.pttl(key)]).catch(() => [null, -2] as const);
        if (raw === null) continue;
        const value = JSON.parse(raw) as Record<string, unknown>;
        if (name === 'vpin' && typeof value.vpin !== 'number') continue;
        seen[name] = { atS: Math.round((performance.now() - t0) / 100) / 10, ttlMs: ttl, value };
      }
    }
  } finally {
    await stop();
  }
  const v = seen.vpin.value as Record<string, unknown> | null;
  return {
    limitS,
    vpinNumericAtS: seen.vpin.atS, vpin: v?.vpin ?? null, cdf: v?.cdf ?? null, status: v?.status ?? null,
    bucketVolume: v?.bucketVolume ?? null, bucketVolumeSource: v?.bucketVolumeSource ?? null, historyBars: v?.historyBars ?? null,
    sweepAtS: seen.sweep.atS, sweepTtlMs: seen.sweep.ttlMs, unusualVolumeAtS: seen.unusual.atS, unusualVolumeTtlMs: seen.unusual.ttlMs,
    targetMet: seen.vpin.atS !== null && seen.vpin.atS <= 60,
  };
}

export function format(r: Record<string, unknown>): string {
  const s = (x: unknown) => (x === null || x === undefined ? `not within ${r.limitS} s` : `${x} s`);
  return [
    'default run from a fresh data directory, seconds from process start (target: numeric VPIN for SPY ≤ 60 s)',
    `  analytics:{SPY}:vpin numeric   ${s(r.vpinNumericAtS)}  vpin=${r.vpin} cdf=${r.cdf} status=${r.status} V=${r.bucketVolume} (${r.bucketVolumeSource}, ${r.historyBars} history bars)`,
    `  market:{SPY}:sweep             ${s(r.sweepAtS)}  TTL ${r.sweepTtlMs} ms`,
    `  market:{AAPL}:unusual_volume   ${s(r.unusualVolumeAtS)}  TTL ${r.unusualVolumeTtlMs} ms`,
    `  target ${r.targetMet ? 'met' : 'missed'}`,
  ].join('\n');
}
