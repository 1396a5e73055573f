import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { checkReplayInput, ReplayInputError } from '../actors/market-depth/replayInput.js';
import { freePort } from '../bench/freePort.js';
import { defaultOutDir, formatParity, runBacktest } from '../backtest/runBacktest.js';
import { ConfigError, deepMerge, loadConfig, validateConfig } from '../engine/config/loadConfig.js';
import { createLogger } from '../engine/log/logger.js';
import { launchRedis, RedisUnavailableError } from '../engine/redis/RedisLauncher.js';
import { parseCommand, text } from './args.js';
import { BACKTEST } from './commands.js';

/**
 * `alphatrader backtest FILE [--out DIR] [--config FILE]`: the recording through the deterministic replay
 * pipeline with the paper broker; a report per strategy (Markdown, JSON, SVG equity curve) in DIR. The
 * paper journal lives in a throwaway redis-server of its own (never the engine's Redis: a backtest's
 * orders, breaker and day keys must not touch a live engine's).
 */
export async function runBacktestCommand(argv: string[]): Promise<number> {
  const args = parseCommand(BACKTEST, argv);
  const file = resolve(args.positional(0, text));
  const out = resolve(args.option('out', text, defaultOutDir(file)));
  let cfg;
  try {
    const loaded = loadConfig({ file: args.string('config') });
    cfg = validateConfig(deepMerge(loaded.config, { market: { source: 'replay', replay: { file, speed: 'max', lobsterMessage: '', lobsterOrderbook: '', lobsterSymbol: '' } } }));
    checkReplayInput(cfg);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ReplayInputError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const log = createLogger({ level: 'warn', pretty: 'never' });
  const dir = mkdtempSync(join(tmpdir(), 'at-backtest-'));
  const password = randomBytes(16).toString('hex');
  let server;
  try {
    server = await launchRedis({ ...cfg, engine: { ...cfg.engine, dataDir: dir } }, await freePort(), password, log);
  } catch (e) {
    if (e instanceof RedisUnavailableError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const redis = new Redis({ host: '127.0.0.1', port: server.port, password, maxRetriesPerRequest: 1 });
  try {
    const run = await runBacktest(cfg, file, out, redis, log);
    const r = run.report;
    for (const s of [...r.strategies, r.total]) {
      console.log(`${s.strategy.padEnd(6)} orders ${String(s.orders).padStart(4)}  fills ${String(s.fills).padStart(4)}  P&L ${s.totalPnl.toFixed(2).padStart(10)}  Sharpe ${s.sharpe === null ? '—' : s.sharpe.toFixed(2)}  max drawdown ${s.maxDrawdown.toFixed(2)}`);
    }
    console.log(`${r.events} events in ${r.seconds.toFixed(2)} s (${r.eventsPerSec} events/s)`);
    if (run.parity) console.log(formatParity(run.parity));
    console.log(`report: ${run.paths.md}\n        ${run.paths.json}\n        ${run.paths.svg}`);
    return 0;
  } finally {
    redis.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
