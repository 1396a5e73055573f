import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL } from '../../engine/runtime/HealthTable.js';
import type { Supervisor } from '../../engine/supervisor/Supervisor.js';
import { waitFor } from '../helpers/redis.js';
import { startSupervisor, supervisorTestConfig } from '../helpers/supervisor.js';

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.shutdown();
  sup = undefined;
});

function startEngine(env: Record<string, string> = {}): Promise<Supervisor> {
  return startSupervisor(supervisorTestConfig(env));
}

const actor = (s: Supervisor, name: string) => s.status().actors.find((a) => a.name === name)!;

describe('Supervisor with real worker-thread actors', () => {
  it('runs at least 6 actors on worker threads (placement by core count), exchanging messages over the rings', async () => {
    sup = await startEngine();
    const s = sup;
    expect(s.status().actors.length).toBeGreaterThanOrEqual(6);
    await waitFor(() => s.status().rings.every((r) => r.name !== 'analytics-out' || r.published > 0), 10_000, 'analytics output');
    const st = s.status();
    expect(st.actors.every((a) => a.alive)).toBe(true);
    expect(st.rings.find((r) => r.name === 'market-data')!.published).toBeGreaterThan(0);
    await waitFor(() => actor(s, 'signals').msgsIn > 0, 10_000, 'signals to read analytics');
  });

  it('restarts a crashed actor, which comes back alive', async () => {
    sup = await startEngine();
    const s = sup;
    const restarted = new Promise<string>((r) => s.once('restart', (name: string, reason: string) => r(`${name}: ${reason}`)));
    s.injectFault('signals', 'crash');
    expect(await restarted).toMatch(/^signals: error: injected fault: crash/);
    await waitFor(() => actor(s, 'signals').generation === 2 && actor(s, 'signals').alive, 10_000, 'signals back');
    expect(actor(s, 'signals').restarts).toBe(1);
    expect(s.control.get(CONTROL.tradingHalted)).toBe(0);
  });

  it('detects a silent actor (blocked, no heartbeat), terminates and restarts it', async () => {
    sup = await startEngine();
    const s = sup;
    const restarted = new Promise<string>((r) => s.once('restart', (name: string, reason: string) => r(`${name}: ${reason}`)));
    s.injectFault('execution', 'hang');
    expect(await restarted).toMatch(/^execution: silent for \d+ ms/);
    await waitFor(() => actor(s, 'execution').alive && actor(s, 'execution').generation === 2, 10_000, 'execution back');
  });

  it('escalates after the restart intensity: trading halted, data keeps flowing', async () => {
    sup = await startEngine({ ALPHATRADER_SUPERVISOR_RESTART_INTENSITY: '2' });
    const s = sup;
    const escalated = new Promise<string>((r) => s.once('escalated', r));
    for (let i = 0; i < 3; i++) {
      await waitFor(() => actor(s, 'options').alive, 10_000, 'options alive');
      const gen = actor(s, 'options').generation;
      s.injectFault('options', 'crash');
      await waitFor(() => actor(s, 'options').generation > gen, 10_000, 'options respawned');
    }
    expect(await escalated).toMatch(/3 restarts within/);
    expect(s.control.get(CONTROL.tradingHalted)).toBe(1);
    expect(s.status().escalated).toBe(true);
    const before = s.status().rings.find((r) => r.name === 'market-data')!.published;
    await waitFor(() => s.status().rings.find((r) => r.name === 'market-data')!.published > before + 100, 10_000, 'data to keep flowing');
  });

  it('shuts down in order and every worker exits', async () => {
    const s = await startEngine();
    await s.shutdown();
    expect(s.status().actors.every((a) => a.state === 'stopped')).toBe(true);
  });
});
