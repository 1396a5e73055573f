/** /metrics in cluster mode: every series carries instance="<id>"; on a single host no series does. */
import { describe, expect, it } from 'vitest';
import { DashboardModel } from '../../actors/dashboard/DashboardModel.js';
import { DashboardMetrics } from '../../actors/dashboard/Metrics.js';

const model = () => new DashboardModel({ symbols: [{ symbol: 'SPY', level2: true }], rateHz: 20, historySeconds: 60, marketSource: 'sim', mode: 'simulated' });
const series = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

describe('/metrics instance label', () => {
  it('cluster mode: every series is labelled with the instance', async () => {
    const lines = series(await new DashboardMetrics(model(), ['market-data'], () => 0, 'host-a').text());
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) expect(l).toMatch(/[{,]instance="host-a"[,}]/);
  });
  it('single host: no instance label (unchanged)', async () => {
    for (const l of series(await new DashboardMetrics(model(), ['market-data'], () => 0).text())) expect(l).not.toContain('instance=');
  });
});
