/**
 * `npm run bench -- order-path [--seconds S] [--rates 10000,50000] [--placement colocated|threads] [--quick]`:
 * the e2e harness's engine pipeline (bench/e2e/enginePipeline.ts, used as it is) at a few rates, reporting
 * only issue 12's item-3 rows: tick → order (journal append acknowledged, broker call, its acknowledgement),
 * tick → Redis visible, tick → dashboard, and the dashboard's content age on arrival. A few minutes instead
 * of the whole e2e suite, so each change to the order or publishing path can be measured on its own.
 * Targets (reported, never asserted): tick → order p50 ≤ 250 µs / p99 ≤ 2 ms at 10k/s; tick → Redis
 * p50 ≤ 3 ms / p99 ≤ 20 ms at 50k/s; dashboard content age p90 ≤ 150 ms.
 */
import { runEnginePipeline } from './e2e/enginePipeline.js';
import type { RunResult } from './e2e/report.js';

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export interface OrderPathResult {
  placement: string;
  seconds: number;
  runs: { rate: number; stages: Record<string, { p50_ns: number; p90_ns?: number; p99_ns: number; count: number }>; dashboardAge?: string; cpu?: Record<string, number>; notes: string[] }[];
}

export async function run(args: string[]): Promise<OrderPathResult> {
  const quick = args.includes('--quick');
  const seconds = Number(opt(args, '--seconds') ?? (quick ? 1 : 10));
  const rates = (opt(args, '--rates') ?? (quick ? '2000' : '10000,50000')).split(',').map(Number);
  const placement = opt(args, '--placement') ?? 'colocated';
  if (!(seconds > 0) || rates.some((r) => !(r > 0)) || !['colocated', 'threads'].includes(placement)) {
    throw new Error('--seconds and --rates take positive numbers, --placement colocated|threads');
  }
  const results: RunResult[] = await runEnginePipeline({
    pipeline: placement === 'colocated' ? 'engine-colocated' : 'engine',
    rates: rates.map((rate) => ({ label: `${rate / 1000}k`, rate })),
    seconds,
    warmupSeconds: quick ? 0.5 : 2,
    log: (l) => console.error(`[order-path] ${l}`),
  });
  const keep = ['tick_to_signal', 'tick_to_order', 'signal_to_execution', 'execution_to_order', 'tick_to_redis', 'tick_to_dashboard'];
  return {
    placement,
    seconds,
    runs: results.map((r) => ({
      rate: r.rate,
      stages: Object.fromEntries(Object.entries(r.stages).filter(([k]) => keep.includes(k))) as OrderPathResult['runs'][0]['stages'],
      dashboardAge: r.notes?.find((n) => n.startsWith('dashboard frames')),
      cpu: r.cpu,
      notes: (r.notes ?? []).filter((n) => !n.startsWith('dashboard frames')),
    })),
  };
}

const fmt = (ns: number | undefined) => (ns === undefined ? '–' : ns < 1e6 ? `${(ns / 1e3).toFixed(0)} µs` : `${(ns / 1e6).toFixed(2)} ms`);

export function format(r: Record<string, unknown>): string {
  const o = r as unknown as OrderPathResult;
  const lines = [`order-path: engine (${o.placement}), ${o.seconds} s per rate`];
  for (const run of o.runs) {
    lines.push(`  ${run.rate}/s`);
    for (const [k, s] of Object.entries(run.stages)) lines.push(`    ${k.padEnd(18)} p50 ${fmt(s.p50_ns).padStart(9)}  p99 ${fmt(s.p99_ns).padStart(9)}  n=${s.count}`);
    if (run.dashboardAge) lines.push(`    ${run.dashboardAge}`);
    if (run.cpu) lines.push(`    CPU % of a core: ${Object.entries(run.cpu).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return lines.join('\n');
}
