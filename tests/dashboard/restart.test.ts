import { createServer } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { createLogger } from '../../engine/log/logger.js';
import { unpackCold, type ColdEnvelope } from '../../engine/runtime/ColdMessage.js';
import { Supervisor } from '../../engine/supervisor/Supervisor.js';
import { freePort, waitFor } from '../helpers/redis.js';

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.shutdown();
  sup = undefined;
});

/** The next `dashboard-listening` report: where the (re)started dashboard serves. */
function nextListening(s: Supervisor): Promise<{ host: string; port: number }> {
  return new Promise((resolve) => {
    const on = (m: ColdEnvelope) => {
      if (m.topic !== 'dashboard-listening') return;
      s.off('cold', on);
      resolve(unpackCold(m.data) as { host: string; port: number });
    };
    s.on('cold', on);
  });
}

function browserLike(port: number): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=restart-test-token`);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

/*
 * uWebSockets.js keeps native socket handles on the worker's event loop; a worker that ends with one still
 * open aborts the whole process (Node: "uv_loop_close() while having open handles"). These tests run the
 * engine's supervisor in this process, so an abort fails the file outright.
 */
describe('dashboard actor under the supervisor', () => {
  it('comes back serving after a crash with a browser connected, and shuts down cleanly with one connected', async () => {
    const { config } = loadConfig({
      env: { ALPHATRADER_SUPERVISOR_RESTART_BACKOFF_INITIAL_MS: '50', ALPHATRADER_LOGGING_LEVEL: 'silent', ALPHATRADER_MARKET_SOURCE: 'sim', ALPHATRADER_DASHBOARD_PORT: '0' },
    });
    const redisPort = await freePort(); // no Redis: the publisher runs degraded, the dashboard does not care
    const s = new Supervisor(config, createLogger({ level: 'silent', pretty: 'never' }), { redisUrl: `redis://127.0.0.1:${redisPort}`, dashboardToken: 'restart-test-token' });
    sup = s;
    let listening = nextListening(s);
    s.start();
    await s.waitReady();
    let at = await listening;
    const first = await browserLike(at.port);

    listening = nextListening(s);
    s.injectFault('dashboard', 'crash');
    at = await listening;
    expect(await first.closed).toBe(1006); // its socket was closed with the dying worker
    await waitFor(async () => (await fetch(`http://${at.host}:${at.port}/health`).catch(() => null))?.status === 200, 10_000, '/health after the crash');
    const r = await fetch(`http://${at.host}:${at.port}/api/symbols`, { headers: { Authorization: 'Bearer restart-test-token' } });
    expect(r.status).toBe(200);
    const d = s.status().actors.find((a) => a.name === 'dashboard')!;
    expect(d.restarts).toBe(1);
    expect(d.alive).toBe(true);

    const second = await browserLike(at.port);
    await s.shutdown();
    sup = undefined;
    expect(await second.closed).toBeGreaterThan(0); // closed by the ordered shutdown, and this process is still here
  });

  it('a dashboard port in use is no crash: the engine comes up, trading is not halted, and the page is served once the port is free', async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', () => r()));
    const { config } = loadConfig({
      env: { ALPHATRADER_SUPERVISOR_RESTART_BACKOFF_INITIAL_MS: '50', ALPHATRADER_LOGGING_LEVEL: 'silent', ALPHATRADER_MARKET_SOURCE: 'sim', ALPHATRADER_DASHBOARD_PORT: String(port) },
    });
    const s = new Supervisor(config, createLogger({ level: 'silent', pretty: 'never' }), { redisUrl: `redis://127.0.0.1:${await freePort()}`, dashboardToken: 'restart-test-token' });
    sup = s;
    const listening = nextListening(s);
    s.start();
    await s.waitReady();
    const dash = () => s.status().actors.find((a) => a.name === 'dashboard')!;
    expect(dash().alive).toBe(true);
    await new Promise<void>((r) => holder.close(() => r()));
    const at = await listening; // the retry found the port free
    expect(at.port).toBe(port);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(dash().restarts).toBe(0); // it waited for the port instead of crash-restarting
    expect(s.status().escalated).toBe(false);
  });
});
