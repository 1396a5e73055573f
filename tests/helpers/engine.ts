import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonLines } from '../../engine/log/jsonLines.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'alphatrader.js');

/** The real engine as a child process (`alphatrader start`), its JSON log lines collected. */
export class EngineProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly child: ChildProcess) {
    readJsonLines([child.stdout, child.stderr], (raw, obj) => {
      this.raw.push(raw);
      if (obj) this.lines.push(obj);
    });
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  }

  static start(env: Record<string, string>, args: string[] = []): EngineProcess {
    const dataDir = mkdtempSync(join(tmpdir(), 'at-engine-'));
    const child = spawn(process.execPath, [BIN, 'start', ...args], {
      cwd: ROOT,
      // several engines run at once in the tests: an ephemeral dashboard port each, never the fixed default
      env: { ...process.env, ALPHATRADER_ENGINE_DATA_DIR: dataDir, ALPHATRADER_LOGGING_PRETTY: 'never', ALPHATRADER_DASHBOARD_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new EngineProcess(child);
  }

  has(msg: RegExp): boolean {
    return this.lines.some((l) => typeof l.msg === 'string' && msg.test(l.msg));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The exit, or a failure naming what was awaited and the engine's last log lines. */
  exitWithin(ms: number, what: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`engine did not exit within ${ms} ms (${what}); last log lines:\n${this.raw.slice(-40).join('\n')}`)), ms);
    });
    return Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill('SIGTERM');
    const r = await this.exited;
    // A failed shutdown is only diagnosable from the engine's own last words: print them.
    if (r.code !== 0) console.error(`engine exited ${JSON.stringify(r)}; last log lines:\n${this.raw.slice(-40).join('\n')}`);
    return r;
  }
}

/** Runs the CLI to completion. */
export function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
