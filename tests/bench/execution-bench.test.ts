// `npm run bench -- execution --quick` through the real dispatcher (dist/, built by `npm test`): every signal
// of each signal → order row became an order (the suite throws on one that did not: it once did, silently,
// when option contracts became the strategies' default and its signals carried none), with finite figures.
// Behaviour only: no figure is compared with a target.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../engine/config/projectRoot.js';

const cli = join(projectRoot(), 'dist', 'bench', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'at-exec-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('execution bench suite', () => {
  it('execution --quick: option and share signals all become orders', () => {
    const file = join(dir, 'execution.json');
    const r = spawnSync(process.execPath, [cli, 'execution', '--quick', '--json', file], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(file, 'utf8')) as { results: { name: string; p50_us?: number; p99_us?: number; signals?: number; note?: string }[] };
    const rows = out.results.filter((x) => x.name.startsWith('signal-to-order-sent'));
    expect(rows.map((x) => x.name).sort()).toEqual(['signal-to-order-sent journalSync=off', 'signal-to-order-sent journalSync=wait', 'signal-to-order-sent shares journalSync=off']);
    for (const row of rows) {
      expect(row.signals, row.name).toBe(2000);
      expect(Number.isFinite(row.p50_us) && row.p50_us! > 0 && row.p50_us! <= row.p99_us!, row.name).toBe(true);
    }
    expect(rows.find((x) => x.name.includes('shares'))!.note).toContain('MOC');
  });
});
