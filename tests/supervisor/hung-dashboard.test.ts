/**
 * A thread holding uWebSockets.js sockets cannot be terminated (libuv aborts the whole process on its open
 * poll handle). A hung dashboard must therefore be reported and left alone: the engine keeps running, and
 * when the dashboard's thread comes back it is handled like any other failure.
 */
import { afterEach, expect, it } from 'vitest';
import type { Supervisor } from '../../engine/supervisor/Supervisor.js';
import { waitFor } from '../helpers/redis.js';
import { startSupervisor, supervisorTestConfig } from '../helpers/supervisor.js';

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.shutdown();
  sup = undefined;
});

it('a hung dashboard is reported, not terminated; the engine lives on and the dashboard comes back', async () => {
  const s = (sup = await startSupervisor(supervisorTestConfig({
    ALPHATRADER_SUPERVISOR_HEARTBEAT_TIMEOUT_MS: '1000',
    ALPHATRADER_DASHBOARD_TOKEN: 'hung-dashboard-test-token',
  })));
  const dash = () => s.status().actors.find((a) => a.name === 'dashboard')!;
  const silent = new Promise<string>((r) => s.once('silent', r));
  const restarted = new Promise<string>((r) => s.once('restart', (name: string) => r(name)));
  s.injectFault('dashboard', 'hang', 8000); // well past the 1 s heartbeat timeout, even on a loaded host
  expect(await silent).toBe('dashboard');
  // Silent, yet its thread is still there (generation 1), and the rest of the engine keeps working.
  expect(dash().generation).toBe(1);
  const before = s.status().rings.find((r) => r.name === 'market-data')!.published;
  await waitFor(() => s.status().rings.find((r) => r.name === 'market-data')!.published > before, 5000, 'market data to keep flowing');
  // The hang ends with the fault's error: an ordinary failure, restarted.
  expect(await restarted).toBe('dashboard');
  await waitFor(() => dash().generation === 2 && dash().alive, 15_000, 'dashboard back');
}, 40_000);
