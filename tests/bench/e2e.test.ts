import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPostMessagePipeline } from '../../bench/e2e/postMessagePipeline.js';
import { STAGES, writeReport, type E2eReport } from '../../bench/e2e/report.js';
import { LatencyHistogram } from '../../bench/e2e/LatencyHistogram.js';

const KEYS = ['p50_ns', 'p90_ns', 'p99_ns', 'p999_ns', 'max_ns', 'count'];

describe('e2e harness: postMessage pipeline and report writer (tiny rate, no speed assertions)', () => {
  it('times every message through the three stages from its intended send time and writes JSON, Markdown and SVG', async () => {
    // 2 000 msg/s for 0.5 s after a 0.1 s warm-up: 1 000 measured messages per stage.
    const out = await runPostMessagePipeline({ rate: 2000, seconds: 0.5, warmupSeconds: 0.1 });
    expect(out.received).toBe(out.sent);
    const run = out.result;
    expect(run.pipeline).toBe('postmessage');
    expect(run.dropped).toBe(0);
    const measured = out.sent - 200; // the warm-up messages are sent but not measured
    for (const stage of ['tick_to_book', 'tick_to_analytics', 'tick_to_signal'] as const) {
      const s = run.stages[stage]!;
      expect(Object.keys(s).sort()).toEqual([...KEYS].sort());
      expect(s.count).toBe(measured);
      expect(s.p50_ns).toBeGreaterThan(0);
      expect(s.p50_ns).toBeLessThanOrEqual(s.p90_ns);
      expect(s.p90_ns).toBeLessThanOrEqual(s.p99_ns);
      expect(s.p99_ns).toBeLessThanOrEqual(s.p999_ns);
      expect(s.p999_ns).toBeLessThanOrEqual(s.max_ns);
    }
    // A later stage is stamped after an earlier one for each message.
    expect(run.stages.tick_to_signal!.max_ns).toBeGreaterThanOrEqual(run.stages.tick_to_book!.p50_ns);

    const h = new LatencyHistogram();
    [1000, 2000, 3000, 50_000].forEach((v) => h.record(v));
    const report: E2eReport = {
      runs: [
        { ...run, rate_label: '2k' },
        { pipeline: 'engine', rate: 2000, rate_label: '2k', dropped: 0, stages: Object.fromEntries(STAGES.map((s) => [s, h.summary()])) },
      ],
      meta: { generatedAt: 'test' },
    };
    const dir = mkdtempSync(join(tmpdir(), 'at-e2e-report-'));
    const files = writeReport(report, dir, join(dir, 'out', 'given.json'));
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as E2eReport;
    expect(Array.isArray(json.runs)).toBe(true);
    for (const r of json.runs) {
      expect(['engine', 'engine-colocated', 'native', 'postmessage']).toContain(r.pipeline);
      expect(typeof r.rate).toBe('number');
      expect(typeof r.dropped).toBe('number');
      for (const [k, s] of Object.entries(r.stages)) {
        expect(STAGES).toContain(k);
        expect(Object.keys(s!).sort()).toEqual([...KEYS].sort());
      }
    }
    expect(JSON.parse(readFileSync(join(dir, 'e2e.json'), 'utf8'))).toEqual(json);
    const md = readFileSync(files.md, 'utf8');
    expect(md).toContain('| postmessage | 2k');
    expect(md).toContain('tick_to_signal');
    const svg = readFileSync(files.svg, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    // Well-formed enough for a browser: every element opened is closed (self-closing ones aside).
    const opened = (svg.match(/<(g|text|title|svg)\b/g) ?? []).length;
    const closed = (svg.match(/<\/(g|text|title|svg)>/g) ?? []).length;
    expect(closed).toBe(opened);
    expect(svg).not.toMatch(/NaN|undefined/);
    for (const s of STAGES) expect(svg).toContain(s);
  });

  it('LatencyHistogram keeps every sample: negatives (clock calibration noise) count as 0', () => {
    const h = new LatencyHistogram();
    h.record(-50);
    h.record(10);
    expect(h.count).toBe(2);
    expect(h.negatives).toBe(1);
    const back = LatencyHistogram.decode(h.encode());
    expect(back.summary().count).toBe(2);
  });
});
