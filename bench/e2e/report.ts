import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StageSummary } from './LatencyHistogram.js';
import { renderSvg } from './svg.js';

export const STAGES = ['tick_to_book', 'tick_to_analytics', 'tick_to_signal', 'tick_to_order', 'tick_to_redis', 'tick_to_dashboard'] as const;
export type Stage = (typeof STAGES)[number];
export const PIPELINES = ['engine', 'engine-colocated', 'native', 'postmessage'] as const;
export type Pipeline = (typeof PIPELINES)[number];

/**
 * One pipeline at one rate. The issue's fields (`pipeline`, `rate`, `stages`, `dropped`) come first; the rest
 * are what the harness also measured (rate label, throughput, overruns, CPU, notes).
 */
export interface RunResult {
  pipeline: Pipeline;
  rate: number; // depth updates per second offered (the "max" run carries the rate it found)
  stages: Partial<Record<Stage, StageSummary>>;
  dropped: number;
  rate_label?: string; // '10k' | '50k' | '100k' | 'max'
  throughput_per_s?: number; // ticks that reached the book (or the last stage) per second of the measured window
  overruns?: number; // lossy hot-path readers overrun during the window
  runs?: number; // repetitions this entry is the median of
  cpu?: Record<string, number>; // CPU per worker thread, % of one core over the window
  notes?: string[];
}

export interface RedisComparison {
  tool: 'redis-benchmark';
  available: boolean;
  command?: string;
  set_px_per_s?: number; // redis-benchmark -P 16 -t set style, SET … PX
  note?: string;
}

export interface E2eReport {
  runs: RunResult[];
  redis?: RedisComparison;
  meta?: Record<string, unknown>;
}

const us = (ns: number | undefined) => (ns === undefined ? '' : ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`);

/** The Markdown table: one row per pipeline, rate and stage; the ratios the issue targets underneath. */
export function renderMarkdown(r: E2eReport): string {
  const lines: string[] = [];
  lines.push('# End-to-end latency (e2e)', '');
  if (r.meta) lines.push(`Generated ${String(r.meta.generatedAt ?? '')} on ${String(r.meta.host ?? '')} (${String(r.meta.cores ?? '?')} cores, node ${String(r.meta.node ?? '')}); command: \`${String(r.meta.command ?? '')}\`.`, '');
  lines.push('Latencies are measured from each tick\'s *intended* send time (no coordinated omission). Medians of the runs shown; the host is shared and noisy.', '');
  lines.push('| pipeline | rate | stage | p50 | p90 | p99 | p99.9 | max | count | dropped | overruns | throughput/s |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const run of r.runs) {
    const stages = STAGES.filter((s) => run.stages[s]);
    if (!stages.length) lines.push(`| ${run.pipeline} | ${run.rate_label ?? run.rate} (${run.rate}/s) | (no samples) | | | | | | 0 | ${run.dropped} | ${run.overruns ?? ''} | ${run.throughput_per_s ?? ''} |`);
    for (const s of stages) {
      const x = run.stages[s]!;
      lines.push(`| ${run.pipeline} | ${run.rate_label ?? run.rate} (${run.rate}/s) | ${s} | ${us(x.p50_ns)} | ${us(x.p90_ns)} | ${us(x.p99_ns)} | ${us(x.p999_ns)} | ${us(x.max_ns)} | ${x.count} | ${run.dropped} | ${run.overruns ?? ''} | ${run.throughput_per_s ?? ''} |`);
    }
  }
  const ratios = ratioRows(r);
  if (ratios.length) {
    lines.push('', '## Ratios (same run)', '', 'For each engine placement (`engine-colocated` is the default on hosts with fewer than 3 cores).', '',
      '| engine pipeline | rate | stage | engine p50 / native p50 | postMessage p50 / engine p50 | postMessage p99 / engine p99 |', '|---|---|---|---|---|---|');
    lines.push(...ratios);
  }
  const cpuRuns = r.runs.filter((x) => x.cpu && Object.keys(x.cpu).length);
  if (cpuRuns.length) {
    lines.push('', '## CPU per worker thread (% of one core)', '');
    for (const run of cpuRuns) lines.push(`- ${run.pipeline} ${run.rate_label ?? run.rate}: ${Object.entries(run.cpu!).map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(', ')}`);
  }
  if (r.redis) {
    lines.push('', '## Redis', '');
    lines.push(r.redis.available
      ? `- \`${r.redis.command}\`: ${Math.round(r.redis.set_px_per_s ?? 0)} SET … PX/s on this machine. The publisher conflates (one SET per changed key per \`redis.flushMs\` flush), so its load is keys × flushes, not ticks; every tick's tick → Redis above includes the wait for the next flush.`
      : `- redis-benchmark not available: ${r.redis.note ?? ''}`);
  }
  const notes = r.runs.flatMap((x) => (x.notes ?? []).map((n) => `- ${x.pipeline} ${x.rate_label ?? x.rate}: ${n}`));
  if (notes.length) lines.push('', '## Notes', '', ...notes);
  return lines.join('\n') + '\n';
}

function ratioRows(r: E2eReport): string[] {
  const rows: string[] = [];
  const labels = [...new Set(r.runs.map((x) => x.rate_label ?? String(x.rate)))];
  for (const label of labels) {
    const get = (p: Pipeline) => r.runs.find((x) => x.pipeline === p && (x.rate_label ?? String(x.rate)) === label);
    const nat = get('native');
    const pm = get('postmessage');
    for (const pipeline of ['engine', 'engine-colocated'] as const) {
      const eng = get(pipeline);
      for (const s of ['tick_to_book', 'tick_to_analytics', 'tick_to_signal'] as const) {
        const e = eng?.stages[s];
        if (!e || !e.count) continue;
        const n = nat?.stages[s];
        const p = pm?.stages[s];
        const f = (a?: number, b?: number) => (a && b ? (a / b).toFixed(1) + '×' : 'n/a');
        rows.push(`| ${pipeline} | ${label} | ${s} | ${f(e.p50_ns, n?.count ? n.p50_ns : undefined)} | ${f(p?.count ? p.p50_ns : undefined, e.p50_ns)} | ${f(p?.count ? p.p99_ns : undefined, e.p99_ns)} |`);
      }
    }
  }
  return rows;
}

/** Writes e2e.json, e2e.md and e2e-latency.svg into `dir` (and the JSON to `jsonFile` too); returns the paths. */
export function writeReport(r: E2eReport, dir: string, jsonFile?: string): { json: string; md: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'e2e.json');
  const text = JSON.stringify(r, null, 2) + '\n';
  writeFileSync(json, text);
  if (jsonFile) {
    mkdirSync(dirname(jsonFile), { recursive: true });
    writeFileSync(jsonFile, text);
  }
  const md = join(dir, 'e2e.md');
  writeFileSync(md, renderMarkdown(r));
  const svg = join(dir, 'e2e-latency.svg');
  writeFileSync(svg, renderSvg(r));
  return { json: jsonFile ?? json, md, svg };
}
