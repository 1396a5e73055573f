/**
 * `npm run bench -- e2e [--json FILE] [--report DIR] [--quick] [--runs N] [--seconds S] [--only a,b] [--set path=value]`:
 * end-to-end latency of the engine (one worker per actor, and market-depth + analytics + signals co-located)
 * driven through its real TWS input at 10k, 50k, 100k depth updates/s and the maximum sustainable rate, next
 * to the native C++ pipeline and a postMessage pipeline of the same shape, and Redis' own SET … PX rate.
 * Every latency is measured from the tick's intended send time. Writes e2e.json, e2e.md and e2e-latency.svg
 * into the report directory (default bench/report/); figures are medians of --runs runs.
 */
import { availableParallelism, cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../engine/config/projectRoot.js';
import { medianSummary, type StageSummary } from './e2e/LatencyHistogram.js';
import { runEnginePipeline, type EngineRate } from './e2e/enginePipeline.js';
import { runPostMessagePipeline } from './e2e/postMessagePipeline.js';
import { redisBaseline } from './e2e/redisBaseline.js';
import { renderMarkdown, writeReport, type E2eReport, type Pipeline, type RunResult, type Stage } from './e2e/report.js';

const RATES: EngineRate[] = [
  { label: '10k', rate: 10_000 },
  { label: '50k', rate: 50_000 },
  { label: '100k', rate: 100_000 },
  { label: 'max', rate: 0 },
];

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * `--set redis.flushMs=5` (repeatable): a configuration override for the engine runs, recorded in the
 * report, so a setting can be compared in the same conditions without editing the default configuration.
 */
function overridesFrom(args: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  args.forEach((a, i) => {
    if (a !== '--set') return;
    const m = /^([a-zA-Z0-9_.]+)=(.*)$/.exec(args[i + 1] ?? '');
    if (!m) throw new Error(`--set needs path=value, got ${JSON.stringify(args[i + 1])}`);
    let value: unknown = m[2];
    try {
      value = JSON.parse(m[2]);
    } catch {
      /* a plain string */
    }
    const path = m[1].split('.');
    let o = out;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[path.at(-1)!] = value;
  });
  return out;
}

const log = (l: string) => console.error(`[e2e ${new Date().toISOString().slice(11, 19)}] ${l}`);

/** The median of several runs of one pipeline at one rate, stage by stage. */
export function combine(runs: RunResult[]): RunResult {
  if (runs.length === 1) return { ...runs[0], runs: 1 };
  const first = runs[0];
  const stages: Partial<Record<Stage, StageSummary>> = {};
  const keys = new Set(runs.flatMap((r) => Object.keys(r.stages))) as Set<Stage>;
  for (const k of keys) {
    const xs = runs.map((r) => r.stages[k]).filter((x): x is StageSummary => !!x && x.count > 0);
    if (xs.length) stages[k] = medianSummary(xs);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const cpu: Record<string, number> = {};
  for (const k of new Set(runs.flatMap((r) => Object.keys(r.cpu ?? {})))) cpu[k] = med(runs.map((r) => r.cpu?.[k] ?? 0));
  return {
    pipeline: first.pipeline,
    rate: med(runs.map((r) => r.rate)),
    stages,
    dropped: runs.reduce((a, r) => a + r.dropped, 0),
    rate_label: first.rate_label,
    throughput_per_s: med(runs.map((r) => r.throughput_per_s ?? 0)),
    overruns: runs.reduce((a, r) => a + (r.overruns ?? 0), 0),
    runs: runs.length,
    cpu: Object.keys(cpu).length ? cpu : undefined,
    notes: [...new Set(runs.flatMap((r) => r.notes ?? []).filter((n) => !n.startsWith('feeder lateness')))].concat(runs.flatMap((r) => r.notes ?? []).filter((n) => n.startsWith('feeder lateness')).slice(0, 1)),
  };
}

async function postMessageRuns(rates: EngineRate[], seconds: number, warmup: number): Promise<RunResult[]> {
  const out: RunResult[] = [];
  for (const r of rates) {
    let rate = r.rate;
    const notes: string[] = [];
    if (rate === 0) {
      const probe = await runPostMessagePipeline({ rate: 0, seconds: 0.5, warmupSeconds: 0 });
      rate = Math.max(1000, Math.round((probe.throughputPerS * 0.9) / 1000) * 1000);
      notes.push(`maximum sustainable rate: 90 % of the ${Math.round(probe.throughputPerS)}/s a flat-out probe delivered`);
    }
    const x = await runPostMessagePipeline({ rate, seconds, warmupSeconds: warmup });
    out.push({ ...x.result, rate, rate_label: r.label, notes: [...notes, ...(x.result.notes ?? []), `generator lateness max ${(x.generatorLateMaxNs / 1e6).toFixed(2)} ms (included)`] });
    log(`postmessage ${r.label}: signal p50 ${((x.result.stages.tick_to_signal?.p50_ns ?? 0) / 1e3).toFixed(1)} µs p99 ${((x.result.stages.tick_to_signal?.p99_ns ?? 0) / 1e3).toFixed(1)} µs`);
  }
  return out;
}

async function nativeRuns(rates: EngineRate[], seconds: number): Promise<RunResult[] | string> {
  let mod: typeof import('./native.js');
  try {
    mod = await import('./native.js');
    mod.buildNative();
  } catch (e) {
    return `native pipeline unavailable: ${(e as Error).message}`;
  }
  const out: RunResult[] = [];
  for (const r of rates) {
    try {
      const x = mod.runNativePipeline({ rate: r.rate, seconds });
      out.push({ pipeline: 'native', rate: r.rate || Math.round(x.achieved_rate), stages: x.stages, dropped: x.dropped, rate_label: r.label, throughput_per_s: Math.round(x.achieved_rate), notes: r.rate === 0 ? ['max: --rate 0, as fast as the rings accept (each message timed from when it could be sent)'] : [] });
      log(`native ${r.label}: signal p50 ${(x.stages.tick_to_signal.p50_ns / 1e3).toFixed(1)} µs p99 ${(x.stages.tick_to_signal.p99_ns / 1e3).toFixed(1)} µs`);
    } catch (e) {
      return `native pipeline failed: ${(e as Error).message}`;
    }
  }
  return out;
}

export async function run(args: string[]): Promise<E2eReport> {
  const quick = args.includes('--quick');
  const runsN = Number(opt(args, '--runs') ?? (quick ? 1 : 3));
  const seconds = Number(opt(args, '--seconds') ?? (quick ? 1 : 2));
  const warmup = quick ? 0.3 : 0.5;
  const only = new Set((opt(args, '--only') ?? 'engine,engine-colocated,native,postmessage,redis').split(','));
  const dir = opt(args, '--report') ?? join(projectRoot(), 'bench', 'report');
  const jsonFile = opt(args, '--json');
  const overrides = overridesFrom(args);
  const rates = RATES;
  const all = new Map<string, RunResult[]>();
  const add = (r: RunResult) => {
    const k = `${r.pipeline}|${r.rate_label}`;
    all.set(k, [...(all.get(k) ?? []), r]);
  };
  const meta: Record<string, unknown> = {
    generatedAt: new Date().toISOString(), host: hostname(), cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version,
    command: `npm run bench -- e2e ${args.join(' ')}`.trim(), runs: runsN, secondsPerRate: seconds, warmupSeconds: warmup,
    input: 'TWS API socket (bench/e2e/twsFeeder.ts) → the engine\'s TwsSource (@stoqey/ib) → market-depth → …',
    overrides,
    notes: [] as string[],
  };
  for (let i = 0; i < runsN; i++) {
    log(`run ${i + 1}/${runsN}`);
    for (const p of ['engine', 'engine-colocated'] as const) {
      if (!only.has(p)) continue;
      try {
        for (const r of await runEnginePipeline({ pipeline: p, rates, seconds, warmupSeconds: warmup, log, overrides })) add(r);
      } catch (e) {
        (meta.notes as string[]).push(`${p} run ${i + 1} failed: ${(e as Error).message}`);
        log(`${p} failed: ${(e as Error).stack}`);
      }
    }
    if (only.has('native')) {
      const n = await nativeRuns(rates, seconds);
      if (typeof n === 'string') (meta.notes as string[]).push(n);
      else n.forEach(add);
    }
    if (only.has('postmessage')) (await postMessageRuns(rates, seconds, warmup)).forEach(add);
  }
  const order: Pipeline[] = ['engine', 'engine-colocated', 'native', 'postmessage'];
  const runs: RunResult[] = [];
  for (const r of rates) for (const p of order) {
    const xs = all.get(`${p}|${r.label}`);
    if (xs?.length) runs.push(combine(xs));
  }
  const report: E2eReport = { runs, meta };
  if (only.has('redis')) report.redis = await redisBaseline(quick ? 50_000 : 200_000);
  const files = writeReport(report, dir, jsonFile);
  log(`wrote ${files.json}, ${files.md}, ${files.svg}`);
  return report;
}

export function format(r: Record<string, unknown>): string {
  return renderMarkdown(r as unknown as E2eReport);
}
