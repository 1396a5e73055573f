/**
 * `npm run bench -- session-close [--limit S]`: the default run (`alphatrader start`, simulated session at the
 * configured speed) from a fresh data directory, timed from the process start: when the first session's
 * pre-open checklist is in `session:preopen`, when `reports:daily:<date>` appears after its close, and what
 * `<dataDir>/reports/<date>/` then holds (report, blotter, SVG) with the report's headline figures.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startDefaultRun } from './defaultRun.js';

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const i = args.indexOf('--limit');
  const limitS = i >= 0 ? Number(args[i + 1]) : 300;
  if (!(limitS > 0)) throw new Error('--limit takes a number of seconds');
  const { redis, dir, t0, stop } = await startDefaultRun('session-close', limitS + 10);
  const secs = () => Math.round((performance.now() - t0) / 100) / 10;
  let preopenAtS: number | null = null;
  let preopen: Record<string, unknown> | null = null;
  let reportAtS: number | null = null;
  let reportKey: string | null = null;
  let report: Record<string, any> | null = null;
  let files: Record<string, number> = {};
  let blotterRows: number | null = null;
  let date: string | null = null;
  try {
    while (secs() < limitS && reportAtS === null) {
      await new Promise((r) => setTimeout(r, 500));
      if (preopenAtS === null) {
        const raw = await redis.get('session:preopen').catch(() => null);
        if (raw) [preopenAtS, preopen] = [secs(), JSON.parse(raw) as Record<string, unknown>];
      }
      const [, keys] = await redis.scan('0', 'MATCH', 'reports:daily:*', 'COUNT', 1000).catch(() => ['0', [] as string[]] as const);
      if (keys.length) {
        reportAtS = secs();
        reportKey = [...keys].sort()[0]!;
        report = JSON.parse((await redis.get(reportKey)) ?? 'null') as Record<string, any>;
      }
    }
    // the checklist as it stands now (a first run while the books were still arriving is re-run until it passes)
    const raw = await redis.get('session:preopen').catch(() => null);
    if (raw) preopen = JSON.parse(raw) as Record<string, unknown>;
    // the files, before stop() removes the data directory
    date = reportKey?.slice('reports:daily:'.length) ?? null;
    const reportDir = date ? join(dir, 'reports', date) : null;
    if (reportDir && existsSync(reportDir)) files = Object.fromEntries(readdirSync(reportDir).map((f) => [f, statSync(join(reportDir, f)).size]));
    if (reportDir && existsSync(join(reportDir, 'blotter.csv'))) blotterRows = readFileSync(join(reportDir, 'blotter.csv'), 'utf8').trim().split('\n').length - 1;
  } finally {
    await stop();
  }
  const t = report?.total;
  return {
    limitS, preopenAtS, preopenOk: preopen?.ok ?? null, preopenChecks: (preopen?.checks as { name: string; ok: boolean; skipped: boolean }[] | undefined)?.map((c) => `${c.name}:${c.skipped ? 'skipped' : c.ok ? 'ok' : 'fail'}`).join(' ') ?? null,
    reportKey, reportAtS, date, files, blotterRows,
    trades: t?.trades ?? null, fills: t?.fills ?? null, netPnl: t?.netPnl ?? null, fees: t?.fees ?? null, strategies: report ? Object.keys(report.strategies) : null,
  };
}

export function format(r: Record<string, unknown>): string {
  return [
    'default run, fresh data directory, seconds from process start',
    `  session:preopen first written   ${r.preopenAtS ?? `not within ${r.limitS} s`} s  (now ok=${r.preopenOk}: ${r.preopenChecks})`,
    `  ${r.reportKey ?? 'reports:daily:*'} exists   ${r.reportAtS ?? `not within ${r.limitS} s`} s`,
    `  files in reports/${r.date}/: ${JSON.stringify(r.files)}; blotter rows ${r.blotterRows}`,
    `  report: ${r.trades} round trips, ${r.fills} executions, net ${r.netPnl}, fees ${r.fees}, strategies ${JSON.stringify(r.strategies)}`,
  ].join('\n');
}
