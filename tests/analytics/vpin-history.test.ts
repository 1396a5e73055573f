/**
 * VPIN's warm start from the venue's minute bars (SymbolAnalytics.onHistoryBar / onHistoryEnd): the bucket
 * volume measured on history, VPIN and its CDF ready before the first live print, equal to what the same
 * bars poured as live prints give; a stronger bucket volume (configured, discovered, history) is kept and
 * only the minutes it lacks are poured.
 */
import { describe, expect, it } from 'vitest';
import { SymbolAnalytics } from '../../actors/analytics/SymbolAnalytics.js';
import { LiveVpin } from '../../analytics/vpin.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { mulberry32 } from '../helpers/prng.js';

const MIN = 60_000;
const T0 = 29_000_000 * MIN;

function config(bucketVolume: Record<string, number> = {}) {
  const { config } = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } });
  config.analytics.vpin = { ...config.analytics.vpin, bucketVolume };
  return config;
}

/** `n` minutes of a random walk with random volumes, seeded. */
function minutes(n: number, seed: number, from = T0): { start: number; close: number; volume: number }[] {
  const next = mulberry32(seed);
  let px = 500;
  return Array.from({ length: n }, (_, i) => {
    px = Math.round((px + (next() - 0.5) * 0.4) * 100) / 100;
    return { start: from + i * MIN, close: px, volume: 200_000 + Math.floor(next() * 400_000) };
  });
}

const pour = (a: SymbolAnalytics, bars: ReturnType<typeof minutes>) => {
  for (const b of bars) a.onHistoryBar(b.start, b.close, b.volume);
  return a.onHistoryEnd();
};

describe('VPIN warm start from history', () => {
  it('two sessions give the bucket volume, a live VPIN and its CDF before the first live print', () => {
    const cfg = config();
    const a = new SymbolAnalytics('SPY', cfg);
    const bars = minutes(780, 11);
    expect(pour(a, bars)).toBe(780);
    const total = bars.reduce((s, b) => s + b.volume, 0);
    const V = Math.round(((total / 780) * 390) / cfg.analytics.vpin.bucketsPerDay);
    const key = a.vpinJson(0);
    expect(key).toMatchObject({ bucketVolume: V, bucketVolumeSource: 'history', status: 'live', historyBars: 780 });
    expect(typeof key.vpin).toBe('number');
    expect(typeof key.cdf).toBe('number');
    // The same bars as live prints into a VPIN of that bucket volume give the same figures.
    const v = cfg.analytics.vpin;
    const ref = new LiveVpin({ bucketVolume: V, n: v.n, barSeconds: v.barSeconds, sigmaWindow: v.sigmaWindow, toxicThreshold: v.toxicThreshold, minHistory: v.minHistory });
    for (const b of bars) ref.onTrade(b.start, b.close, b.volume);
    expect(key.vpin).toBe(ref.value);
    expect(key.cdf).toBe(ref.cdf);
    expect(a.vpinCdf).toBe(ref.cdf);
  });

  it('a configured bucket volume is kept; the bars are poured into it', () => {
    const a = new SymbolAnalytics('SPY', config({ SPY: 1_000_000 }));
    pour(a, minutes(100, 12));
    expect(a.vpinJson(0)).toMatchObject({ bucketVolume: 1_000_000, bucketVolumeSource: 'config', historyBars: 100 });
  });

  it('a session of history re-measures a bucket volume measured on history; a shorter one (a reconnect) only fills the gap', () => {
    const cfg = config();
    const first = new SymbolAnalytics('SPY', cfg);
    const bars = minutes(800, 13);
    pour(first, bars.slice(0, 400));
    const saved = first.vpinToSave(1)!;
    const remeasured = new SymbolAnalytics('SPY', cfg);
    remeasured.restoreVpin(JSON.parse(JSON.stringify(saved)));
    expect(pour(remeasured, bars.slice(400))).toBe(400);
    const fresh = new SymbolAnalytics('SPY', cfg);
    pour(fresh, bars.slice(400));
    expect(remeasured.vpin!.state()).toEqual(fresh.vpin!.state());
    expect(saved.origin).toBe('history');
    const again = new SymbolAnalytics('SPY', cfg);
    expect(again.restoreVpin(JSON.parse(JSON.stringify(saved)))).toBeNull();
    // the venue sends the last 200 minutes: 100 overlap what the state holds
    expect(pour(again, bars.slice(300, 500))).toBe(100);
    expect(again.bucketVolume).toBe(first.bucketVolume);
    const whole = new SymbolAnalytics('SPY', cfg);
    whole.restoreVpin(JSON.parse(JSON.stringify(saved)));
    for (const b of bars.slice(400, 500)) whole.vpin!.onTrade(b.start, b.close, b.volume);
    expect(again.vpin!.state()).toEqual(whole.vpin!.state());
  });

  it('a bucket volume guessed from one live minute gives way to history', () => {
    const cfg = config();
    const a = new SymbolAnalytics('SPY', cfg);
    // one full live minute after a partial one: the one-minute estimate starts VPIN
    for (let s = 0; s < 3; s++) for (let k = 0; k < 5; k++) a.onTrade(T0 + 1000 * MIN + s * MIN + k * 1000, 500, 9_000_000, 1);
    expect(a.bucketVolumeSource).toBe('estimated');
    const bars = minutes(400, 14);
    pour(a, bars);
    expect(a.bucketVolumeSource).toBe('history');
    expect(a.vpin!.history).toBeGreaterThan(0);
  });

  it('out-of-order, non-finite and oversized bars are refused and counted; too short a history sets no bucket volume', () => {
    const a = new SymbolAnalytics('SPY', config());
    a.onHistoryBar(T0 + MIN, 500, 100);
    a.onHistoryBar(T0, 500, 100); // earlier than the last
    a.onHistoryBar(T0 + 2 * MIN, NaN, 100);
    a.onHistoryBar(T0 + 3 * MIN, 500, 1e300);
    expect(a.historyRefused).toBe(3);
    expect(a.onHistoryEnd()).toBe(0); // one bar: no VPIN to pour into
    expect(a.vpinJson(0)).toMatchObject({ status: 'estimating-bucket-size', bucketVolume: null });
  });
});
