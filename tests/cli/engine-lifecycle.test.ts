/**
 * One real engine (`alphatrader start`, default engine.mode, a test Redis): a --duration past what one
 * timer holds does not stop it at once, `status --watch` on a pipe prints successive snapshots and ends
 * with 0 on Ctrl-C, SIGTERM stops the engine with 0, and the dashboard token is in no log line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, EngineProcess, ROOT } from '../helpers/engine.js';
import { TestRedis, waitFor } from '../helpers/redis.js';

describe('alphatrader start: --duration, signals, the dashboard line; status --watch', () => {
  let redis: TestRedis;
  let engine: EngineProcess;
  const dataDir = mkdtempSync(join(tmpdir(), 'at-cli-engine-'));

  beforeAll(async () => {
    redis = await TestRedis.start();
    // 3,000,000 s is past 2^31-1 ms: a plain setTimeout would fire at once and stop the engine.
    engine = EngineProcess.start({ REDIS_URL: redis.url, ALPHATRADER_ENGINE_DATA_DIR: dataDir }, ['--duration', '3000000']);
    await waitFor(() => engine.has(/^AlphaTrader running/) || !engine.alive, 90_000, 'the engine to come up');
  }, 120_000);
  afterAll(async () => {
    if (engine?.alive) await engine.stop();
    await redis?.stop();
  });

  it('status --watch on a pipe: successive snapshots without escape codes, Ctrl-C ends it with 0', async () => {
    expect(engine.alive, engine.raw.slice(-20).join('\n')).toBe(true);
    const child = spawn(process.execPath, [BIN, 'status', '--watch', '--interval', '0.2'], {
      cwd: ROOT, env: { ...process.env, REDIS_URL: redis.url }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const snapshots = () => stdout.split('\n').filter((l) => l.startsWith('--- ')).length;
    await waitFor(() => snapshots() >= 3 || child.exitCode !== null, 60_000, 'three snapshots');
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
    expect(snapshots()).toBeGreaterThanOrEqual(3);
    expect(stdout).not.toContain('\x1b');
    const frames = stdout.split(/^--- .*$/m).filter((f) => f.trim());
    for (const f of frames) expect(f).toMatch(/^\nengine pid \d+, mode simulated/);
    expect(stdout).toMatch(/^publisher\s+yes\s+running/m);
  });

  it('SIGTERM while --duration runs: an ordered stop with exit status 0', async () => {
    expect(engine.alive).toBe(true);
    // the duration never elapsed: the stop below is the signal's
    expect(engine.lines.some((l) => l.msg === 'shutting down')).toBe(false);
    engine.child.kill('SIGTERM');
    const r = await engine.exitWithin(60_000, 'SIGTERM with --duration');
    expect(r).toEqual({ code: 0, signal: null });
    expect(engine.lines.find((l) => l.msg === 'shutting down')?.why).toBe('SIGTERM');
    expect(engine.has(/^stopped$/)).toBe(true);
  });

  it('the dashboard line: the fixed URL form, where the token is kept, and the token in no log line', () => {
    const token = readFileSync(join(dataDir, 'dashboard', 'token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(16);
    const line = engine.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('Dashboard: '));
    expect(line?.msg).toMatch(new RegExp(`^Dashboard: http://127\\.0\\.0\\.1:\\d+/ \\(open it with \\?token=TOKEN; the token is in ${join(dataDir, 'dashboard', 'token')}\\)$`));
    expect(engine.raw.filter((l) => l.includes(token))).toEqual([]);
  });
});
