/** The seed alert keys: `market:{SYM}:sweep` (Level 2) and `market:{SYM}:unusual_volume` (Level 1), once per event / interval. */
import { describe, expect, it } from 'vitest';
import { SymbolAnalytics } from '../../actors/analytics/SymbolAnalytics.js';
import { loadConfig } from '../../engine/config/loadConfig.js';

const T0 = 28_333_333 * 60_000;
const make = (symbol: string) => {
  const { config } = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } });
  return new SymbolAnalytics(symbol, config);
};

describe('seed keys', () => {
  it('a buy sweep through three levels is reported once, with side, size, levels, price range and time', () => {
    const a = make('SPY');
    expect(a.newSweep()).toBeNull();
    a.onTrade(T0, 100.0, 200, 1);
    a.onTrade(T0 + 10, 100.01, 300, 1);
    a.onTrade(T0 + 20, 100.02, 400, 1); // the third level within the window: a sweep
    const s = a.newSweep();
    expect(s).toMatchObject({ symbol: 'SPY', side: 'buy', levels: 3, priceFrom: 100, priceTo: 100.02 });
    expect(s!.size).toBe(900);
    expect(a.newSweep()).toBeNull(); // the same sweep is not repeated
  });

  it('unusual volume: each closed interval once, with its norm, ratio and flag; the spike is flagged', () => {
    const a = make('AAPL');
    expect(a.newUnusualVolume(0)).toBeNull();
    // 25 quiet minutes (1,000 ± 50 shares), then a minute of 20,000
    for (let m = 0; m < 25; m++) a.onTrade(T0 + m * 60_000, 230, 1000 + (m % 2 ? 50 : -50), 1);
    a.onTrade(T0 + 25 * 60_000, 230, 20_000, 1);
    a.onTrade(T0 + 26 * 60_000, 230, 1000, 1); // closes the spike minute
    const u = a.newUnusualVolume(T0 + 26 * 60_000)!;
    expect(u).toMatchObject({ symbol: 'AAPL', volume: 20_000, flagged: true, intervalStart: T0 + 25 * 60_000, warmup: false });
    expect(u.ratio as number).toBeGreaterThan(15);
    expect(u.norm as number).toBeGreaterThan(900);
    expect(a.newUnusualVolume(T0 + 26 * 60_000)).toBeNull(); // once per interval
  });
});
