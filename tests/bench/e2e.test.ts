import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPostMessagePipeline } from '../../bench/e2e/postMessagePipeline.js';
import { runNativeSocketPipeline } from '../../bench/e2e/nativeSocketPipeline.js';
import { ENGINE_STAGES, STAGES, targetRows, writeReport, type E2eReport, type RunResult } from '../../bench/e2e/report.js';
import { LatencyHistogram } from '../../bench/e2e/LatencyHistogram.js';
import { TICK_STAGES } from '../../bench/e2e/TickStamps.js';

const KEYS = ['p50_ns', 'p90_ns', 'p99_ns', 'p999_ns', 'max_ns', 'count'];
// 2 000 depth updates/s for 0.5 s after a 0.1 s warm-up: 1 000 measured ticks.
const RATES = [{ label: '2k', rate: 2000 }];
const MEASURED = 1000;

/** Every measured tick went through every segment, in the names, with ordered percentiles. */
function expectEveryTickTimed(r: RunResult): void {
  expect(r.ticks).toBe(MEASURED);
  expect(r.dropped).toBe(0);
  for (const stage of TICK_STAGES) {
    const s = r.stages[stage]!;
    expect(Object.keys(s).sort()).toEqual([...KEYS].sort());
    expect(s.count).toBe(MEASURED);
    expect(s.p50_ns).toBeLessThanOrEqual(s.p90_ns);
    expect(s.p90_ns).toBeLessThanOrEqual(s.p99_ns);
    expect(s.p99_ns).toBeLessThanOrEqual(s.p999_ns);
    expect(s.p999_ns).toBeLessThanOrEqual(s.max_ns);
  }
  // The segments add up: each tick's receipt → decision is at least its wire → ... minus the wire part.
  expect(r.stages.wire_to_decision!.max_ns).toBeGreaterThanOrEqual(r.stages.receipt_to_decision!.p50_ns);
}

describe('e2e harness: every pipeline reads the feeder socket and times every tick (tiny rate, no speed assertions)', () => {
  it('postMessage (decode → book → analytics → decision over MessagePorts, TwsSource on the socket)', async () => {
    const [run] = await runPostMessagePipeline({ rates: RATES, seconds: 0.5, warmupSeconds: 0.1 });
    expect(run.pipeline).toBe('postmessage');
    expectEveryTickTimed(run);
  }, 120_000);

  for (const wait of ['epoll', 'busy'] as const) {
    it(`native C++ (${wait}) parses the same TWS frames from the socket: every depth frame sent, the tick-by-tick ones too`, async () => {
      const { results, summary } = await runNativeSocketPipeline({ wait, rates: RATES, seconds: 0.5, warmupSeconds: 0.1 });
      const [run] = results;
      expect(run.pipeline).toBe(wait === 'busy' ? 'native-busy' : 'native');
      expectEveryTickTimed(run);
      // The books (5 000), the warm-up (200) and the measured segment: every MARKET_DEPTH_L2 frame parsed and decided.
      expect(summary.depth).toBe(5000 + 200 + MEASURED);
      expect(summary.decided).toBe(summary.depth);
      expect(summary.tick_by_tick).toBeGreaterThan(0); // the model's trades and quotes ride along, parsed and counted
      expect(summary.threads).toBe(wait === 'busy' ? 1 : 3);
    }, 120_000);
  }

  it('writes JSON, Markdown and SVG with the stage names, ratios only between equal quantities, and the targets', () => {
    const h = new LatencyHistogram();
    [1000, 2000, 3000, 50_000].forEach((v) => h.record(v));
    const all = Object.fromEntries(STAGES.map((s) => [s, h.summary()]));
    const tickOnly = Object.fromEntries(TICK_STAGES.map((s) => [s, h.summary()]));
    const report: E2eReport = {
      runs: (['engine', 'engine-colocated', 'native', 'native-busy', 'postmessage'] as const).map((pipeline) => ({
        pipeline, rate: 10_000, rate_label: '10k', dropped: 0, stages: pipeline.startsWith('engine') ? all : tickOnly,
      })),
      meta: { generatedAt: 'test' },
    };
    const dir = mkdtempSync(join(tmpdir(), 'at-e2e-report-'));
    const files = writeReport(report, dir, join(dir, 'out', 'given.json'));
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as E2eReport;
    for (const r of json.runs) {
      for (const [k, s] of Object.entries(r.stages)) {
        expect(STAGES).toContain(k);
        expect(Object.keys(s!).sort()).toEqual([...KEYS].sort());
      }
      if (!r.pipeline.startsWith('engine')) for (const k of ENGINE_STAGES) expect(r.stages[k]).toBeUndefined();
    }
    expect(JSON.parse(readFileSync(join(dir, 'e2e.json'), 'utf8'))).toEqual(json);
    const md = readFileSync(files.md, 'utf8');
    for (const s of TICK_STAGES) expect(md).toContain(`| engine-colocated | 10k | ${s} | 1.0× | 1.0× | 1.0× | 1.0× |`);
    expect(md).not.toMatch(/\| engine \| 10k \| tick_to_redis \| [0-9.]+×/); // no ratio across unlike rows
    expect(md).toContain('## Targets');
    const targets = targetRows(report);
    expect(targets.find((t) => t.figure === 'engine-colocated receipt → decision p50 / p99 at 10k')?.met).toBe(true);
    expect(targets.find((t) => t.figure.startsWith('engine maximum'))?.met).toBeNull(); // no max run: not measured
    const svg = readFileSync(files.svg, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const opened = (svg.match(/<(g|text|title|svg)\b/g) ?? []).length;
    const closed = (svg.match(/<\/(g|text|title|svg)>/g) ?? []).length;
    expect(closed).toBe(opened);
    expect(svg).not.toMatch(/NaN|undefined/);
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
