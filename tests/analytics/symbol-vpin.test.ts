/** The analytics actor's per-symbol VPIN: phases in the key, CDF and toxic only after minHistory, oversized trades refused. */
import { describe, expect, it } from 'vitest';
import { SymbolAnalytics } from '../../actors/analytics/SymbolAnalytics.js';
import { loadConfig } from '../../engine/config/loadConfig.js';

const BASE = 28_333_333 * 60_000;

function analytics(minHistory: number) {
  const { config } = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } });
  config.analytics.vpin = { ...config.analytics.vpin, n: 2, minHistory, bucketVolume: { SPY: 10 } };
  return new SymbolAnalytics('SPY', config);
}

describe('SymbolAnalytics VPIN', () => {
  it('the default configuration waits for 50 VPIN values', () => {
    expect(loadConfig({ env: {} }).config.analytics.vpin.minHistory).toBe(50);
  });

  it('publishes VPIN at once but CDF and toxic only from minHistory values; the key names the phase', () => {
    const a = analytics(3);
    const json = () => a.vpinJson(0) as { vpin: number | null; cdf: number | null; toxic: boolean; status: string; history: number; minHistory: number };
    expect(json()).toMatchObject({ vpin: null, cdf: null, toxic: false, status: 'warming-up', history: 0, minHistory: 3 });
    let px = 100;
    for (let i = 0; i < 4; i++) a.onTrade(BASE + i * 60_000, (px += 1), 10, 1);
    // Bars 0..2 closed: 3 buckets, n = 2 → 2 VPIN values, both with an expanding CDF of 1.
    expect(json()).toMatchObject({ cdf: null, toxic: false, status: 'building-history', history: 2 });
    expect(json().vpin).toBe(0); // numeric (steady moves: σ = 0, p = 0.5, no imbalance)
    expect(a.vpinCdf).toBeNaN(); // what the hot snapshot carries: unknown to the strategies
    expect(a.toxic).toBe(false);
    a.onTrade(BASE + 4 * 60_000, (px += 1), 10, 1);
    expect(json()).toMatchObject({ cdf: 1, toxic: true, status: 'live', history: 3 });
    expect(a.vpinCdf).toBe(1);
  });

  it('a trade of 1e300 shares is refused and counted, and touches nothing', () => {
    const a = analytics(1);
    a.onTrade(BASE, 100, 10, 1);
    expect(a.onTrade(BASE + 1, 250, 1e300, 1)).toBe(false);
    expect(a.onTrade(BASE + 2, 250, Infinity, 1)).toBe(false);
    expect(a.oversizedTrades).toBe(2);
    expect(a.lastPrice).toBe(100);
    expect(a.vpin!.trades).toBe(1);
    expect((a.vpinJson(0) as { oversizedTrades: number }).oversizedTrades).toBe(2);
  });

  it('before a bucket size exists, an oversized trade does not reach the estimate', () => {
    const { config } = loadConfig({ env: {} });
    const a = new SymbolAnalytics('SPY', config); // no configured bucket volume: estimated from the first full minute
    a.onTrade(BASE + 30_000, 100, 10, 1);
    a.onTrade(BASE + 60_000, 100, 100, 1);
    a.onTrade(BASE + 90_000, 100, 1e300, 1);
    a.onTrade(BASE + 120_000, 100, 100, 1);
    // the first full minute (from BASE + 60 s) holds 100 shares; the refused print is not among them
    expect(a.bucketVolumeSource).toBe('estimated');
    expect(a.bucketVolume).toBe(Math.round((100 * 390) / config.analytics.vpin.bucketsPerDay));
  });
});
