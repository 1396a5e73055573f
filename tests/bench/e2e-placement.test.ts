import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../engine/config/loadConfig.js';
import { placementOf } from '../../engine/runtime/Topology.js';
import type { Supervisor } from '../../engine/supervisor/Supervisor.js';
import { waitFor } from '../helpers/redis.js';
import { startSupervisor, supervisorTestConfig } from '../helpers/supervisor.js';

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.shutdown();
  sup = undefined;
});

const HOT = ['market-depth', 'analytics', 'signals'];

function config(worker: string) {
  const config = supervisorTestConfig();
  return validateConfig({ ...config, actors: config.actors.map((a) => (HOT.includes(a.kind) ? { ...a, worker } : { ...a, worker: undefined })) });
}

describe('actor placement (worker groups)', () => {
  it("'auto:' co-locates only when the host has fewer cores than spinning actors + 1", () => {
    const actors = config('auto:hot').actors;
    const spinners = actors.filter((a) => a.wait === 'spin-park').length;
    const small = placementOf(actors, spinners);
    const big = placementOf(actors, spinners + 1);
    actors.forEach((a, i) => {
      expect(small[i]).toBe(HOT.includes(a.kind) ? 'hot' : a.name);
      expect(big[i]).toBe(a.name);
    });
  });

  it('runs co-located actors in one worker: data flows through their rings, a crash restarts the group, shutdown is ordered', async () => {
    const s = (sup = await startSupervisor(config('hot')));
    const actor = (n: string) => s.status().actors.find((a) => a.name === n)!;
    // market-depth → analytics → signals inside one thread, over the same rings as before.
    await waitFor(async () => actor('analytics').msgsIn > 100 && actor('signals').msgsIn > 10, 15_000, 'messages through the co-located actors');
    const ring = (n: string) => s.status().rings.find((r) => r.name === n)!;
    expect(ring('market-data').published).toBeGreaterThan(0);
    expect(ring('analytics-out').published).toBeGreaterThan(0);
    expect(s.topology.actors.filter((a) => a.worker === 'hot').map((a) => a.name).sort()).toEqual(['analytics', 'market-depth', 'signals']);

    // A crash in one co-located actor takes its thread down: every member comes back, generation + 1.
    const gen = actor('signals').generation;
    s.injectFault('analytics', 'crash');
    await waitFor(async () => HOT.every((n) => actor(n).generation > gen && actor(n).alive), 15_000, 'the group restarted');
    const before = actor('analytics').msgsIn;
    await waitFor(async () => actor('analytics').msgsIn > before, 10_000, 'data flowing again');

    await s.shutdown();
    expect(s.status().actors.every((a) => a.state === 'stopped')).toBe(true);
    sup = undefined;
  });
});
