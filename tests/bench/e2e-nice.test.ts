// The e2e baselines run at the engine's hot-path nice (decision 140): no pipeline is compared, with
// priority, against one without. hotNice reads it from the engine's configuration.
import { describe, expect, it } from 'vitest';
import { hotNice } from '../../bench/e2e/hotNice.js';
import { loadConfig } from '../../engine/config/loadConfig.js';

describe('e2e hotNice', () => {
  const base = loadConfig({ env: {} }).config;
  const withNice = (nice: Record<string, number>) => ({ ...base, actors: base.actors.map((a) => (a.name in nice ? { ...a, nice: nice[a.name] } : a)) });

  it('is the most urgent nice among market-depth, analytics and signals; other actors do not count', () => {
    expect(hotNice(base)).toBe(0);
    expect(hotNice(withNice({ analytics: -3 }))).toBe(-3);
    expect(hotNice(withNice({ 'market-depth': -10, signals: -4 }))).toBe(-10);
    expect(hotNice(withNice({ options: 5, publisher: 5 }))).toBe(0);
    expect(hotNice(withNice({ execution: -15 }))).toBe(0);
  });
});
