import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatParity, parity } from '../../backtest/parity.js';
import { ReplayPipeline } from '../../backtest/ReplayPipeline.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { BIN, ROOT } from '../helpers/engine.js';
import { TestRedis } from '../helpers/redis.js';
import { silentLog } from '../helpers/bookkeeper.js';

/**
 * Replay = backtest: the default simulated run (threads, TWS and Alpha Vantage simulators, paper broker)
 * recorded for 20 wall seconds (40 session minutes at 120×: the 0DTE window opens at 09:45, so a handful
 * of signals and orders), then replayed at full speed through the deterministic pipeline: every signal
 * (id, direction, confidence), every analytics check, every paper order and fill must be the recorded
 * run's, exactly. The parity report is printed.
 */
/**
 * Signals trade shares here (execution.optionOrders off): a replay of option orders is not yet exact (an
 * option exit can fire a signal earlier in the replay than in the recorded run; see decisions 74), and this
 * test guards the parity that holds.
 */
const SHARES = { ALPHATRADER_EXECUTION_OPTION_ORDERS_ENABLED: 'false' };

describe('record the default run, replay it: identical signals, analytics, orders and fills', () => {
  const dir = mkdtempSync(join(tmpdir(), 'at-parity-'));
  const file = join(dir, 'run.atrec');
  let live: TestRedis | undefined;
  let replay: TestRedis | undefined;
  afterAll(async () => {
    await live?.stop();
    await replay?.stop();
  });

  it('parity is exact', async () => {
    live = await TestRedis.start();
    const code = await new Promise<number | null>((res) => {
      const child = spawn(process.execPath, [BIN, 'record', file, '--duration', '20'], {
        cwd: ROOT, stdio: 'ignore',
        env: { ...process.env, ...SHARES, REDIS_URL: live!.url, ALPHATRADER_LOGGING_PRETTY: 'never', ALPHATRADER_DASHBOARD_PORT: '0', ALPHATRADER_ENGINE_DATA_DIR: join(dir, 'data') },
      });
      child.once('exit', (c) => res(c));
    });
    expect(code).toBe(0);
    replay = await TestRedis.start();
    const r = replay.client();
    await r.connect();
    try {
      const { config } = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent', ...SHARES } });
      const res = await new ReplayPipeline({ cfg: config, file, redis: r, log: silentLog() }).run();
      const p = parity(res.recorded, res.outputs);
      console.log(`${formatParity(p)}\n  ${res.events} events replayed in ${res.seconds.toFixed(2)} s`);
      expect(p.signals.recorded, 'the recorded run made signals').toBeGreaterThan(0);
      expect(p.orders.recorded, 'the recorded run made paper orders').toBeGreaterThan(0);
      expect(p.analytics.recorded).toBeGreaterThan(0);
      expect(p.decisions.recorded, 'the recorded run kept execution\'s decision on each signal').toBeGreaterThan(0);
      // only the checks after the live run closed its recording are left out of the comparison: a handful at most
      expect(p.analytics.beyond ?? 0, formatParity(p)).toBeLessThanOrEqual(5);
      // likewise the signals, execution's decisions, orders and fills after the close (decision 123): the last few
      for (const l of [p.signals, p.decisions, p.orders, p.fills]) expect(l.beyond ?? 0, formatParity(p)).toBeLessThanOrEqual(5);
      expect(p.ok, formatParity(p)).toBe(true);
    } finally {
      r.disconnect();
    }
  }, 180_000);
});
