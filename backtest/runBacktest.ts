import { basename, extname, join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { EngineConfig } from '../engine/config/schema.js';
import type { Logger } from '../engine/log/logger.js';
import { projectRoot } from '../engine/config/projectRoot.js';
import { formatParity, parity, type ParityReport } from './parity.js';
import { buildReport, writeReport, type BacktestReport } from './report.js';
import { ReplayPipeline } from './ReplayPipeline.js';

export interface BacktestRun {
  report: BacktestReport;
  parity: ParityReport | null;
  paths: { md: string; json: string; svg: string };
}

/** Where a backtest of FILE writes by default: var/backtests/<file name without extension>/. */
export const defaultOutDir = (file: string): string => join(projectRoot(), 'var', 'backtests', basename(file, extname(file)));

/**
 * Replays FILE through the deterministic pipeline (the engine's classes, the paper broker, a journal in
 * `redis`), checks it against the recorded run's outputs when the recording has them, and writes the
 * per-strategy report.
 */
export async function runBacktest(cfg: EngineConfig, file: string, outDir: string, redis: Redis, log: Logger): Promise<BacktestRun> {
  const res = await new ReplayPipeline({ cfg, file: resolve(file), redis, log }).run();
  const p = res.recorded.length ? parity(res.recorded, res.outputs) : null;
  const report = buildReport(file, res.outputs, cfg.risk.startingEquity, {
    events: res.events, seconds: res.seconds, fromMs: res.firstSessionMs, toMs: res.lastSessionMs, parity: p,
  });
  return { report, parity: p, paths: writeReport(outDir, report) };
}

export { formatParity };
