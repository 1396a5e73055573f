/**
 * `npm run bench -- soak [--minutes N] [--every S] [--quick] [--out|--report DIR] [--config FILE]`: the default run (fresh data
 * directory, embedded venues and Redis) for N minutes (default 30), sampled every S seconds from
 * `engine:status`: the process's RSS, each worker's V8 heap and event-loop delay (p99 of the last second),
 * and every ring reader's lag. Reports steady RSS (median of the second half), its slope (least squares
 * after the first fifth, in MB per 10 minutes), the peaks, and writes `soak.json` + `soak.svg` (a plot of
 * RSS and heap per thread over time) into --out (default bench/report). `--quick` is a 30-second run for CI;
 * `--config FILE` runs with an overlay (another placement, pool size) to compare.
 * Issue 12's targets: steady RSS ≤ 300 MB, slope ≤ 1 MB per 10 min.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDefaultRun } from './defaultRun.js';

export interface SoakSample {
  /** seconds since the engine process started */
  t: number;
  rssMb: number;
  heapMb: Record<string, number>;
  /** what each thread's V8 heap holds (young generation included): the part of RSS that is the JS heaps */
  heapTotalMb: Record<string, number>;
  /** each thread's memory outside its V8 heap (ArrayBuffers, external strings), freed only when a collection finds their wrappers */
  externalMb: Record<string, number>;
  loopLagMs: Record<string, number>;
  /** the largest lag of any reader, per ring */
  ringLag: Record<string, number>;
  restarts: number;
}

export interface SoakReport {
  minutes: number;
  everyS: number;
  samples: SoakSample[];
  steadyRssMb: number | null;
  slopeMbPer10Min: number | null;
  maxRssMb: number | null;
  heapMaxMb: Record<string, number>;
  /** the largest heap each thread held (V8 heapTotal; co-located actors share one) */
  heapHeldMaxMb: Record<string, number>;
  externalMaxMb: Record<string, number>;
  loopLagMaxMs: Record<string, number>;
  ringLagMax: Record<string, number>;
  restarts: number;
  targets: { steadyRss300: boolean | null; slope1Per10: boolean | null };
  files: { json: string; svg: string };
}

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Least-squares slope of y over t (per second), or null with fewer than 3 points. */
export function slope(t: number[], y: number[]): number | null {
  const n = t.length;
  if (n < 3) return null;
  const mt = t.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (t[i]! - mt) * (y[i]! - my);
    den += (t[i]! - mt) ** 2;
  }
  return den > 0 ? num / den : null;
}

export const OPTIONS = ['--minutes', '--every', '--out', '--report', '--config'];

export async function run(args: string[]): Promise<SoakReport> {
  const quick = args.includes('--quick');
  const minutes = Number(opt(args, '--minutes') ?? (quick ? 0.5 : 30));
  const everyS = Number(opt(args, '--every') ?? (quick ? 2 : 10));
  if (!(minutes > 0) || !(everyS > 0)) throw new Error('--minutes and --every take positive numbers');
  const out = resolve(opt(args, '--out') ?? opt(args, '--report') ?? 'bench/report'); // --report as e2e names it
  mkdirSync(out, { recursive: true });
  const { redis, t0, stop } = await startDefaultRun('soak', minutes * 60 + 30, opt(args, '--config'));
  const samples: SoakSample[] = [];
  try {
    let next = everyS;
    while ((performance.now() - t0) / 1000 < minutes * 60) {
      const wait = next * 1000 - (performance.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += everyS;
      const raw = await redis.get('engine:status').catch(() => null);
      if (!raw) continue;
      const st = JSON.parse(raw) as {
        process?: { rssMb: number; mainHeapUsedMb?: number; mainHeapTotalMb?: number; externalMb?: number };
        actors: { name: string; heapUsedMb: number; heapTotalMb?: number; externalMb?: number; loopLagMs: number; restarts: number }[];
        rings: { name: string; readers: { lag: number }[] }[];
      };
      if (!st.process) continue;
      samples.push({
        t: Math.round((performance.now() - t0) / 100) / 10,
        rssMb: st.process.rssMb,
        // the supervisor's thread too: it runs the embedded venues on a small host
        heapMb: { ...Object.fromEntries(st.actors.map((a) => [a.name, a.heapUsedMb])), supervisor: st.process.mainHeapUsedMb ?? 0 },
        heapTotalMb: { ...Object.fromEntries(st.actors.map((a) => [a.name, a.heapTotalMb ?? 0])), supervisor: st.process.mainHeapTotalMb ?? 0 },
        externalMb: { ...Object.fromEntries(st.actors.map((a) => [a.name, a.externalMb ?? 0])), supervisor: st.process.externalMb ?? 0 },
        loopLagMs: Object.fromEntries(st.actors.map((a) => [a.name, a.loopLagMs])),
        ringLag: Object.fromEntries(st.rings.map((r) => [r.name, Math.max(0, ...r.readers.map((x) => x.lag))])),
        restarts: st.actors.reduce((n, a) => n + a.restarts, 0),
      });
    }
  } finally {
    await stop();
  }
  const half = samples.slice(Math.floor(samples.length / 2));
  const settled = samples.slice(Math.floor(samples.length / 5));
  const perSec = slope(settled.map((s) => s.t), settled.map((s) => s.rssMb));
  const maxOf = (pick: (s: SoakSample) => Record<string, number>) => {
    const m: Record<string, number> = {};
    for (const s of samples) for (const [k, v] of Object.entries(pick(s))) m[k] = Math.max(m[k] ?? 0, v);
    return m;
  };
  const steady = median(half.map((s) => s.rssMb));
  const slopeMb = perSec === null ? null : Math.round(perSec * 600 * 100) / 100;
  const report: SoakReport = {
    minutes, everyS, samples,
    steadyRssMb: steady, slopeMbPer10Min: slopeMb,
    maxRssMb: samples.length ? Math.max(...samples.map((s) => s.rssMb)) : null,
    heapMaxMb: maxOf((s) => s.heapMb), heapHeldMaxMb: maxOf((s) => s.heapTotalMb), externalMaxMb: maxOf((s) => s.externalMb), loopLagMaxMs: maxOf((s) => s.loopLagMs), ringLagMax: maxOf((s) => s.ringLag),
    restarts: samples.at(-1)?.restarts ?? 0,
    targets: { steadyRss300: steady === null ? null : steady <= 300, slope1Per10: slopeMb === null ? null : slopeMb <= 1 },
    files: { json: join(out, 'soak.json'), svg: join(out, 'soak.svg') },
  };
  writeFileSync(report.files.json, JSON.stringify(report, null, 1));
  writeFileSync(report.files.svg, renderSoakSvg(report));
  return report;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

/** RSS and each worker's heap over time, hand-written SVG (no plotting dependency). */
export function renderSoakSvg(r: SoakReport): string {
  const W = 900;
  const H = 420;
  const L = 60;
  const T = 40;
  const PW = W - L - 190;
  const PH = H - T - 50;
  const series: { name: string; pts: [number, number][] }[] = [{ name: 'process RSS', pts: r.samples.map((s) => [s.t, s.rssMb]) }];
  for (const name of Object.keys(r.heapMaxMb)) series.push({ name: `heap ${name}`, pts: r.samples.map((s) => [s.t, s.heapMb[name] ?? 0]) });
  const tMax = Math.max(1, ...r.samples.map((s) => s.t));
  const yMax = Math.max(10, ...series.flatMap((s) => s.pts.map((p) => p[1]))) * 1.1;
  const x = (t: number) => L + (t / tMax) * PW;
  const y = (v: number) => T + PH - (v / yMax) * PH;
  const lines = series.map((s, i) => `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="${i === 0 ? 2.5 : 1.2}" points="${s.pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
  const legend = series.map((s, i) => `<text x="${L + PW + 15}" y="${T + 14 + i * 16}" font-size="11" fill="${COLORS[i % COLORS.length]}">${s.name}</text>`);
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${L - 6}" y="${y(f * yMax) + 4}" font-size="10" text-anchor="end">${Math.round(f * yMax)}</text><line x1="${L}" x2="${L + PW}" y1="${y(f * yMax)}" y2="${y(f * yMax)}" stroke="#eee"/>`);
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${x(f * tMax)}" y="${T + PH + 16}" font-size="10" text-anchor="middle">${(f * tMax / 60).toFixed(1)} min</text>`);
  const title = `AlphaTrader default run, ${r.minutes} min: steady RSS ${r.steadyRssMb ?? '–'} MB, slope ${r.slopeMbPer10Min ?? '–'} MB/10 min`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${L}" y="22" font-size="14">${title}</text>
${yTicks.join('\n')}
${xTicks.join('\n')}
<text x="14" y="${T + PH / 2}" font-size="11" transform="rotate(-90 14 ${T + PH / 2})">MB</text>
${lines.join('\n')}
${legend.join('\n')}
</svg>
`;
}

export function format(r: Record<string, unknown>): string {
  const s = r as unknown as SoakReport;
  const kv = (m: Record<string, number>, unit: string) => Object.entries(m).map(([k, v]) => `${k} ${Math.round(v * 10) / 10}${unit}`).join(', ');
  return [
    `soak: default run, ${s.minutes} min, a sample every ${s.everyS} s (${s.samples.length} samples)`,
    `  RSS: steady ${s.steadyRssMb} MB (median of the second half), max ${s.maxRssMb} MB, slope ${s.slopeMbPer10Min} MB per 10 min (after the first fifth)`,
    `  heap max per thread (used): ${kv(s.heapMaxMb, ' MB')}`,
    `  heap max per thread (held): ${kv(s.heapHeldMaxMb, ' MB')}`,
    `  outside the heap max per thread (ArrayBuffers, external strings): ${kv(s.externalMaxMb ?? {}, ' MB')}`,
    `  event-loop delay p99 max: ${kv(s.loopLagMaxMs, ' ms')}`,
    `  ring lag max: ${kv(s.ringLagMax, '')}`,
    `  actor restarts: ${s.restarts}`,
    `  targets: steady RSS ≤ 300 MB ${s.targets.steadyRss300 ? 'met' : 'missed'}; slope ≤ 1 MB/10 min ${s.targets.slope1Per10 ? 'met' : 'missed'}`,
    `  files: ${s.files.json}, ${s.files.svg}`,
  ].join('\n');
}
