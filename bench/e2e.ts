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
import { hotNice } from './e2e/hotNice.js';
import { loadConfig } from '../engine/config/loadConfig.js';

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
    ticks: runs.reduce((a, r) => a + (r.ticks ?? 0), 0),
    runs: runs.length,
    cpu: Object.keys(cpu).length ? cpu : undefined,
    notes: [...new Set(runs.flatMap((r) => r.notes ?? []).filter((n) => !n.startsWith('feeder lateness')))].concat(runs.flatMap((r) => r.notes ?? []).filter((n) => n.startsWith('feeder lateness')).slice(0, 1)),
  };
}

async function nativeRuns(wait: 'epoll' | 'busy', rates: EngineRate[], seconds: number, warmup: number): Promise<RunResult[] | string> {
  try {
    const { runNativeSocketPipeline } = await import('./e2e/nativeSocketPipeline.js');
    return (await runNativeSocketPipeline({ wait, rates, seconds, warmupSeconds: warmup, log })).results;
  } catch (e) {
    return `native pipeline (${wait}) failed: ${(e as Error).message}`;
  }
}

export async function run(args: string[]): Promise<E2eReport> {
  const quick = args.includes('--quick');
  const runsN = Number(opt(args, '--runs') ?? (quick ? 1 : 3));
  const seconds = Number(opt(args, '--seconds') ?? (quick ? 1 : 2));
  const warmup = quick ? 0.3 : 0.5;
  const only = new Set((opt(args, '--only') ?? 'engine,engine-colocated,native,native-busy,postmessage,redis').split(','));
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
    input: 'TWS API frames over a loopback socket from bench/e2e/twsFeeder.ts into every pipeline (engine: TwsSource; postMessage: TwsSource in its decode thread; native: its own parser)',
    overrides,
    // the engine's hot path runs at its configured nice; the baselines' pipeline threads at the same (hotNice)
    threadNice: hotNice(loadConfig({ env: {} }).config),
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
    for (const [name, wait] of [['native', 'epoll'], ['native-busy', 'busy']] as const) {
      if (!only.has(name)) continue;
      const n = await nativeRuns(wait, rates, seconds, warmup);
      if (typeof n === 'string') (meta.notes as string[]).push(n);
      else n.forEach(add);
    }
    if (only.has('postmessage')) {
      try {
        (await runPostMessagePipeline({ rates, seconds, warmupSeconds: warmup, log })).forEach(add);
      } catch (e) {
        (meta.notes as string[]).push(`postmessage run ${i + 1} failed: ${(e as Error).message}`);
      }
    }
  }
  const order: Pipeline[] = ['engine', 'engine-colocated', 'native', 'native-busy', 'postmessage'];
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
