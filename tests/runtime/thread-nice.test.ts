/**
 * actors[].nice: a thread's scheduling priority (decision 118). The kernel is asked, not our bookkeeping:
 * /proc/<pid>/task/<tid>/stat carries each thread's nice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { loadConfig, validateConfig } from '../../engine/config/loadConfig.js';
import { projectRoot } from '../../engine/config/projectRoot.js';
import { groupNice, threadNice } from '../../engine/runtime/ThreadNice.js';
import type { Supervisor } from '../../engine/supervisor/Supervisor.js';
import { startSupervisor, supervisorTestConfig } from '../helpers/supervisor.js';

const linux = process.platform === 'linux';
let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.shutdown();
  sup = undefined;
});

/** nice → number of this process's threads at it */
function processNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const nice = threadNice(`/proc/self/task/${tid}/stat`);
    if (nice !== undefined) out.set(nice, (out.get(nice) ?? 0) + 1); // undefined: the thread ended meanwhile
  }
  return out;
}

describe('thread nice', () => {
  it("a shared thread takes its most urgent member's nice; unset is 0", () => {
    expect(groupNice([{ nice: 5 }, { nice: 10 }])).toBe(5);
    expect(groupNice([{ nice: 5 }, {}])).toBe(0);
    expect(groupNice([{ nice: -3 }, {}])).toBe(-3);
    expect(groupNice([])).toBe(0);
  });

  it('config refuses a nice outside -20..19 and a fraction', () => {
    const cfg = loadConfig({ env: {} }).config;
    const withNice = (nice: number) => ({ ...cfg, actors: cfg.actors.map((a) => (a.name === 'dashboard' ? { ...a, nice } : a)) });
    expect(validateConfig(withNice(10)).actors.find((a) => a.name === 'dashboard')?.nice).toBe(10);
    expect(() => validateConfig(withNice(20))).toThrow(/nice/);
    expect(() => validateConfig(withNice(-21))).toThrow(/nice/);
    expect(() => validateConfig(withNice(2.5))).toThrow(/nice/);
  });

  it.skipIf(!linux)('setThreadNice changes the calling thread only', async () => {
    const mod = join(projectRoot(), 'dist', 'engine', 'runtime', 'ThreadNice.js');
    const w = new Worker(
      `import('${mod}').then((m) => { const refused = m.setThreadNice(7); require('node:worker_threads').parentPort.postMessage({ refused, nice: m.threadNice() }); });`,
      { eval: true },
    );
    const got = await new Promise<{ refused?: string; nice?: number }>((res, rej) => {
      w.once('message', res);
      w.once('error', rej);
    });
    await w.terminate();
    expect(got).toEqual({ nice: 7 });
    expect(threadNice()).toBe(0); // this thread kept its priority
  });

  it.skipIf(!linux)("an actor's worker runs at its configured nice, the others at 0", async () => {
    const before = processNices().get(11) ?? 0;
    const cfg = supervisorTestConfig();
    const actors = cfg.actors.map((a) => (a.name === 'dashboard' ? { ...a, nice: 11, worker: undefined } : a));
    sup = await startSupervisor(validateConfig({ ...cfg, actors }));
    expect((processNices().get(11) ?? 0) - before).toBe(1);
    expect(threadNice()).toBe(0);
  });
});
