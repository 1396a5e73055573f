/**
 * Every engine thread starts with the V8 heap limits config says (`supervisor.workerHeap`), and the default
 * placement on a small host is the one config/default.yaml describes (issue 12, memory).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { loadConfig, validateConfig } from '../../engine/config/loadConfig.js';
import { placementOf } from '../../engine/runtime/Topology.js';
import { workerResourceLimits } from '../../engine/runtime/workerHeap.js';
import type { Supervisor } from '../../engine/supervisor/Supervisor.js';
import { startSupervisor, supervisorTestConfig } from '../helpers/supervisor.js';

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.shutdown();
  sup = undefined;
});

const defaults = () => loadConfig({ env: {} }).config;

describe('worker heap limits', () => {
  it('are the configured figures, and 0 leaves a figure to V8', () => {
    const cfg = defaults();
    const { youngMb, oldMb } = cfg.supervisor.workerHeap;
    expect(youngMb).toBeGreaterThan(0);
    expect(oldMb).toBeGreaterThan(0);
    expect(workerResourceLimits(cfg)).toEqual({ maxYoungGenerationSizeMb: youngMb, maxOldGenerationSizeMb: oldMb });
    const off = validateConfig({ ...cfg, supervisor: { ...cfg.supervisor, workerHeap: { youngMb: 0, oldMb: 0 } } });
    expect(workerResourceLimits(off)).toEqual({});
  });

  it('refuses an old generation too small to start a worker in', () => {
    const cfg = defaults();
    expect(() => validateConfig({ ...cfg, supervisor: { ...cfg.supervisor, workerHeap: { youngMb: 4, oldMb: 8 } } })).toThrow(/oldMb/);
  });

  it('take effect in V8: a thread started with them reports that heap limit', async () => {
    const limits = workerResourceLimits(defaults());
    const w = new Worker(
      "const { parentPort, resourceLimits } = require('node:worker_threads'); parentPort.postMessage({ resourceLimits, limit: require('node:v8').getHeapStatistics().heap_size_limit });",
      { eval: true, resourceLimits: limits },
    );
    const got = await new Promise<{ resourceLimits: Record<string, number>; limit: number }>((res, rej) => {
      w.once('message', res);
      w.once('error', rej);
    });
    await w.terminate();
    expect(got.resourceLimits.maxYoungGenerationSizeMb).toBe(limits.maxYoungGenerationSizeMb);
    expect(got.resourceLimits.maxOldGenerationSizeMb).toBe(limits.maxOldGenerationSizeMb);
    // V8's limit is old + young generation: well under its default of several GB
    expect(got.limit / 2 ** 20).toBeLessThanOrEqual(limits.maxOldGenerationSizeMb! + limits.maxYoungGenerationSizeMb! + 16);
  });

  it("every actor's worker runs with the configured limits", async () => {
    const cfg = supervisorTestConfig();
    const s = (sup = await startSupervisor(cfg));
    const workers = (s as unknown as { slots: { name: string; worker?: Worker }[] }).slots;
    expect(workers.length).toBe(cfg.actors.length);
    for (const slot of workers) {
      expect(slot.worker, slot.name).toBeDefined();
      expect(slot.worker!.resourceLimits?.maxYoungGenerationSizeMb, slot.name).toBe(cfg.supervisor.workerHeap.youngMb);
      expect(slot.worker!.resourceLimits?.maxOldGenerationSizeMb, slot.name).toBe(cfg.supervisor.workerHeap.oldMb);
    }
  });
});

describe('default placement', () => {
  it('is what config/default.yaml says: on a 2-core host the hot actors share one thread, every other actor has its own', () => {
    const cfg = defaults();
    const placed = placementOf(cfg.actors, 2);
    cfg.actors.forEach((a, i) => {
      const w = a.worker;
      expect(placed[i], a.name).toBe(w ? w.replace(/^auto:/, '') : a.name);
    });
    // with a core per spinning actor and one to spare, nothing is co-located
    const spinners = cfg.actors.filter((a) => a.wait === 'spin-park').length;
    expect(placementOf(cfg.actors, spinners + 1)).toEqual(cfg.actors.map((a) => (a.worker && !a.worker.startsWith('auto:') ? a.worker : a.name)));
  });
});
