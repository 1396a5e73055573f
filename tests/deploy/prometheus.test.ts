/**
 * The shipped Prometheus rules and Grafana dashboard: promtool checks and unit-tests the rules (skipped
 * where promtool is not installed, except in CI, where its absence fails: .ci/run installs it), and every
 * series they name is one /metrics exports.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const RULES = join(root, 'deploy', 'prometheus', 'alerts.yml');
const RULE_TESTS = join(root, 'deploy', 'prometheus', 'alerts.test.yml');
const GRAFANA = join(root, 'deploy', 'grafana', 'alphatrader.json');
const hasPromtool = !spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error;
const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** Every metric name /metrics registers (from the source: the registry is built from these literals). */
function exported(): Set<string> {
  const src = ['actors/dashboard/Metrics.ts'].map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
  const names = new Set<string>(['up']);
  for (const m of src.matchAll(/'(alphatrader_[a-z0-9_]+)'/g)) names.add(m[1]);
  for (const n of [...names]) for (const suffix of ['_bucket', '_sum', '_count']) names.add(n + suffix);
  return names;
}

function referenced(text: string): string[] {
  return [...new Set([...text.matchAll(/\b(alphatrader_[a-z0-9_]+)/g)].map((m) => m[1]))];
}

describe('deploy/prometheus and deploy/grafana', () => {
  it('promtool is installed where CI runs', () => {
    if (inCi) expect(hasPromtool, 'promtool missing in CI (.ci/run installs the prometheus package)').toBe(true);
  });

  it.skipIf(!hasPromtool)('promtool check rules deploy/prometheus/alerts.yml passes', () => {
    const r = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    console.log((r.stdout + r.stderr).trim());
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.skipIf(!hasPromtool)('promtool test rules: the rules fire on synthetic series as intended', () => {
    const r = spawnSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8', cwd: join(root, 'deploy', 'prometheus') });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('every series the rules and the dashboard name is exported by /metrics', () => {
    const names = exported();
    const rules = referenced(readFileSync(RULES, 'utf8'));
    const grafana = referenced(readFileSync(GRAFANA, 'utf8'));
    expect(rules.length).toBeGreaterThan(10);
    expect(grafana.length).toBeGreaterThan(10);
    expect([...rules, ...grafana].filter((n) => !names.has(n))).toEqual([]);
  });

  it('the Grafana dashboard is importable JSON with a Prometheus datasource input and panels', () => {
    const d = JSON.parse(readFileSync(GRAFANA, 'utf8')) as { title: string; panels: { title: string; targets?: { expr: string }[] }[]; __inputs?: { type: string; pluginId: string }[] };
    expect(d.title).toBe('AlphaTrader');
    expect(d.__inputs?.some((i) => i.type === 'datasource' && i.pluginId === 'prometheus')).toBe(true);
    const exprs = d.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    for (const must of ['alphatrader_equity', 'alphatrader_pnl', 'alphatrader_order_fill_latency_seconds_bucket', 'alphatrader_preservation_mode']) {
      expect(exprs.some((e) => e.includes(must)), must).toBe(true);
    }
  });
});
