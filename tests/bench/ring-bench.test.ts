// `npm run bench -- ring --quick --json FILE` through the real dispatcher (dist/, built by `npm test`):
// the seven rows exist with finite positive figures. Behaviour only: no figure is compared with a target.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../engine/config/projectRoot.js';

const cli = join(projectRoot(), 'dist', 'bench', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'at-ring-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NAMES = ['engine-ring-spin', 'engine-ring-park', 'post-message', 'message-channel', 'native-spsc', 'native-spsc-seq-cst', 'atomics-wait-floor'];

describe('bench dispatcher and ring suite', () => {
  it('ring --quick --json writes the seven rows with finite positive figures and prints a table', () => {
    const file = join(dir, 'ring.json');
    const r = spawnSync(process.execPath, [cli, 'ring', '--quick', '--json', file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(file, 'utf8'));
    expect(out.suite).toBe('ring');
    expect(out.results.map((x: { name: string }) => x.name).sort()).toEqual([...NAMES].sort());
    for (const row of out.results) {
      for (const k of ['p50_ns', 'p99_ns', 'p999_ns', 'msgs_per_s', 'p50_vs_native', 'msgs_per_s_vs_native', 'round_trips']) {
        expect(Number.isFinite(row[k]) && row[k] > 0, `${row.name}.${k} = ${row[k]}`).toBe(true);
      }
      expect(row.p50_ns).toBeLessThanOrEqual(row.p99_ns);
      expect(row.p99_ns).toBeLessThanOrEqual(row.p999_ns);
    }
    expect(out.results.find((x: { name: string }) => x.name === 'native-spsc').p50_vs_native).toBe(1);
    for (const k of Object.keys(out.targets)) expect(Number.isFinite(out.ratios[k]), k).toBe(true);
    for (const n of NAMES) expect(r.stdout).toContain(n);
  });

  it('an unknown suite prints the usage and exits 2', () => {
    const r = spawnSync(process.execPath, [cli, 'no-such-suite'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown bench suite "no-such-suite"');
    for (const s of ['ring', 'ingest', 'analytics', 'execution', 'dashboard', 'e2e', 'all']) expect(r.stderr).toContain(s);
  });
});
