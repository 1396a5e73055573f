/**
 * Cluster mode's served set (issue 15): the supervisor's `serveSymbols` resolves only once every running actor
 * with per-symbol output applied the set (each runner answers `served-ack` after its handler) or is gone, so
 * SymbolOwnership gives a lease away only after nothing of this instance can still write the symbol. Real
 * worker-thread actors; a hung actor holds the answer until the watchdog has terminated it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Supervisor } from '../../engine/supervisor/Supervisor.js';
import { waitFor } from '../helpers/redis.js';
import { startSupervisor, supervisorTestConfig } from '../helpers/supervisor.js';

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.shutdown();
  sup = undefined;
});

describe('Supervisor.serveSymbols waits for the actors to apply the served set', () => {
  it('resolves when every actor answered; an actor that hangs holds it until it is terminated', async () => {
    sup = await startSupervisor(supervisorTestConfig({ ALPHATRADER_SUPERVISOR_HEARTBEAT_TIMEOUT_MS: '5000' })); // seconds of margin between the check and the watchdog
    const s = sup;
    await s.serveSymbols(['SPY', 'QQQ']); // every actor answers (a lost answer would hang here: the test's timeout)

    const restarted = new Promise<string>((r) => s.once('restart', (name: string) => r(name)));
    s.injectFault('execution', 'hang'); // blocked: it cannot apply the next set
    const exec = () => s.status().actors.find((a) => a.name === 'execution')!;
    await waitFor(() => (exec().heartbeatAgeMs ?? 0) > 500, 10_000, 'execution blocked (no heartbeat)');
    let applied = false;
    const change = s.serveSymbols(['SPY']).then(() => (applied = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(applied).toBe(false); // execution has not answered, and it is not gone yet
    expect(await restarted).toBe('execution'); // the watchdog terminates it: a dead actor serves nothing
    await change;
    expect(applied).toBe(true);
  }, 60_000);
});
