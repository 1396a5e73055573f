import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StageSummary } from './LatencyHistogram.js';
import { renderSvg } from './svg.js';
import { TICK_STAGES } from './TickStamps.js';

/** Engine-only rows: samples of emitted signals and orders (with their counts), Redis and dashboard visibility. */
export const ENGINE_STAGES = ['tick_to_signal', 'tick_to_order', 'signal_to_execution', 'execution_to_order', 'tick_to_redis', 'tick_to_dashboard', 'dashboard_age'] as const;
/** Every pipeline's per-tick segments first (the same names for all), then the engine's own rows. */
export const STAGES = [...TICK_STAGES, ...ENGINE_STAGES] as const;
export type Stage = (typeof STAGES)[number];
export const PIPELINES = ['engine', 'engine-colocated', 'native', 'native-busy', 'postmessage'] as const;
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
  ticks?: number; // depth updates of the measured segment (every one is timed through every segment)
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
  if (typeof r.meta?.threadNice === 'number' && r.meta.threadNice !== 0) {
    lines.push(`The engine's hot path runs at nice ${r.meta.threadNice} (its configuration); the native and postMessage pipelines' threads run at the same nice.`, '');
  }
  lines.push('Every pipeline reads the same TWS frames from the feeder over a loopback socket and times every tick through the same segments: wire (the intended send time: no coordinated omission) → socket receipt → decoded → book applied → analytics updated → decision (the strategy evaluated, whether or not it fired). tick_to_signal / tick_to_order are emitted signals and orders only (their counts); for orders, signal_to_execution runs from the publish of the signal until execution read it off its ring, and execution_to_order from there to the broker call (risk, the journal append, the call). Medians of the runs shown; the host is shared and noisy.', '');
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
      '| engine pipeline | rate | segment | engine p50 / native (epoll) p50 | engine p50 / native-busy p50 | postMessage p50 / engine p50 | postMessage p99 / engine p99 |', '|---|---|---|---|---|---|---|');
    lines.push(...ratios);
  }
  const targets = targetRows(r);
  if (targets.some((t) => t.met !== null)) {
    lines.push('', '## Targets (issue 12, rings and scheduling side)', '', '| figure | target | measured | |', '|---|---|---|---|');
    for (const t of targets) lines.push(`| ${t.figure} | ${t.target} | ${t.measured} | ${t.met === null ? '' : t.met ? 'met' : 'missed'} |`);
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

const runOf = (r: E2eReport, p: Pipeline, label: string) => r.runs.find((x) => x.pipeline === p && (x.rate_label ?? String(x.rate)) === label);
const fmtRatio = (a?: number, b?: number) => (a && b ? (a / b).toFixed(1) + '×' : 'n/a');

/** Ratios between equal quantities only: the same per-tick segment and percentile of two pipelines, one rate. */
function ratioRows(r: E2eReport): string[] {
  const rows: string[] = [];
  const labels = [...new Set(r.runs.map((x) => x.rate_label ?? String(x.rate)))];
  for (const label of labels) {
    const nat = runOf(r, 'native', label);
    const busy = runOf(r, 'native-busy', label);
    const pm = runOf(r, 'postmessage', label);
    for (const pipeline of ['engine', 'engine-colocated'] as const) {
      const eng = runOf(r, pipeline, label);
      for (const s of TICK_STAGES) {
        const e = eng?.stages[s];
        if (!e || !e.count) continue;
        const n = nat?.stages[s];
        const b = busy?.stages[s];
        const p = pm?.stages[s];
        rows.push(`| ${pipeline} | ${label} | ${s} | ${fmtRatio(e.p50_ns, n?.count ? n.p50_ns : undefined)} | ${fmtRatio(e.p50_ns, b?.count ? b.p50_ns : undefined)} | ${fmtRatio(p?.count ? p.p50_ns : undefined, e.p50_ns)} | ${fmtRatio(p?.count ? p.p99_ns : undefined, e.p99_ns)} |`);
      }
    }
  }
  return rows;
}

export interface TargetRow {
  figure: string;
  target: string;
  measured: string;
  met: boolean | null; // null: not measured in this report
}

/** The issue's targets this harness measures (rings/scheduling side), from the runs of this report. */
export function targetRows(r: E2eReport): TargetRow[] {
  const rows: TargetRow[] = [];
  const p50 = (p: Pipeline, label: string, s: Stage) => runOf(r, p, label)?.stages[s]?.p50_ns;
  const p99 = (p: Pipeline, label: string, s: Stage) => runOf(r, p, label)?.stages[s]?.p99_ns;
  const add = (figure: string, target: string, values: (number | undefined)[], measured: string, ok: (v: number[]) => boolean) => {
    const ready = values.every((v) => v !== undefined && v > 0);
    rows.push({ figure, target, measured: ready ? measured : 'not measured', met: ready ? ok(values as number[]) : null });
  };
  for (const eng of ['engine', 'engine-colocated'] as const) {
    for (const label of ['10k', '50k']) {
      const a = p50(eng, label, 'receipt_to_decision');
      const b = p99(eng, label, 'receipt_to_decision');
      add(`${eng} receipt → decision p50 / p99 at ${label}`, '≤ 10 µs / ≤ 100 µs', [a, b], `${us(a)} / ${us(b)}`, ([x, y]) => x <= 10_000 && y <= 100_000);
      const pa = p50('postmessage', label, 'receipt_to_decision');
      const pb = p99('postmessage', label, 'receipt_to_decision');
      add(`postMessage / ${eng} receipt → decision at ${label}`, '≥ 10× at p50, ≥ 5× at p99', [pa, a, pb, b], `${fmtRatio(pa, a)} / ${fmtRatio(pb, b)}`, ([w, x, y, z]) => w / x >= 10 && y / z >= 5);
    }
    for (const label of ['10k', '50k', '100k', 'max']) {
      const e = p50(eng, label, 'wire_to_decision');
      const n = p50('native', label, 'wire_to_decision');
      add(`${eng} wire → decision p50 / native (epoll) at ${label}`, '≤ 2×', [e, n], `${us(e)} / ${us(n)} = ${fmtRatio(e, n)}`, ([x, y]) => x / y <= 2);
      const pa = p50('postmessage', label, 'wire_to_decision');
      const pb = p99('postmessage', label, 'wire_to_decision');
      const eb = p99(eng, label, 'wire_to_decision');
      add(`postMessage wire → decision slower than ${eng} at ${label}`, 'p50 and p99', [pa, e, pb, eb], `p50 ${fmtRatio(pa, e)}, p99 ${fmtRatio(pb, eb)}`, ([w, x, y, z]) => w > x && y > z);
    }
    const max = runOf(r, eng, 'max')?.rate;
    add(`${eng} maximum sustainable rate`, '≥ 250k depth updates/s', [max], `${max}/s`, ([x]) => x >= 250_000);
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
