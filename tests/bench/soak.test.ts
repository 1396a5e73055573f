/**
 * The soak suite's quick form (`npm run bench -- soak --quick`): the default run sampled from engine:status —
 * every sample has the process RSS, every actor's worker heap and event-loop delay, every ring's lag — and
 * the JSON and the plot are written. Behaviour only: no figure is asserted against a target here.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, slope, type SoakReport } from '../../bench/soak.js';

const ACTORS = ['market-depth', 'options', 'analytics', 'signals', 'execution', 'publisher', 'dashboard'];

describe('bench soak --quick', () => {
  it('slope is the least-squares fit', () => {
    expect(slope([0, 1, 2, 3], [10, 12, 14, 16])).toBe(2);
    expect(slope([0, 1], [1, 2])).toBeNull();
  });

  it('samples RSS, heap (used and held, per actor and the supervisor) and loop delay per worker and ring lag; writes soak.json and soak.svg', async () => {
    const out = mkdtempSync(join(tmpdir(), 'at-soak-'));
    const r = await run(['--quick', '--out', out]);
    expect(r.samples.length).toBeGreaterThanOrEqual(3);
    for (const s of r.samples) {
      expect(s.rssMb).toBeGreaterThan(0);
      // every actor's thread and the supervisor's (it runs the embedded venues on a small host), used and held
      expect(Object.keys(s.heapMb).sort()).toEqual([...ACTORS, 'supervisor'].sort());
      expect(Object.keys(s.heapTotalMb).sort()).toEqual([...ACTORS, 'supervisor'].sort());
      for (const k of Object.keys(s.heapMb)) expect(s.heapTotalMb[k]).toBeGreaterThanOrEqual(s.heapMb[k]);
      expect(Object.keys(s.externalMb).sort()).toEqual([...ACTORS, 'supervisor'].sort());
      expect(Object.values(s.loopLagMs).every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      expect(Object.keys(s.ringLag)).toContain('market-data');
    }
    // heaps are reported once the workers ran a second (the first sample may precede that)
    expect(Object.values(r.samples.at(-1)!.heapMb).every((v) => v > 0)).toBe(true);
    // every thread holds some memory outside its heap (its buffers; the supervisor the rings), sampled like the heap
    expect(r.samples.at(-1)!.externalMb, JSON.stringify(r.samples.at(-1)!.externalMb)).toSatisfy((m: Record<string, number>) => Object.values(m).every((v) => v > 0));
    expect(r.steadyRssMb).toBeGreaterThan(0);
    expect(typeof r.slopeMbPer10Min).toBe('number');
    const saved = JSON.parse(readFileSync(join(out, 'soak.json'), 'utf8')) as SoakReport;
    expect(saved.samples.length).toBe(r.samples.length);
    const svg = readFileSync(join(out, 'soak.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect((svg.match(/<polyline/g) ?? []).length).toBe(1 + ACTORS.length + 1);
  }, 120_000);
});
