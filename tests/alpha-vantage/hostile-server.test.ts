import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AlphaVantageClient } from '../../actors/options/AlphaVantageClient.js';

/** A fake Alpha Vantage that answers as a broken or hostile server would; the mode is the `symbol` asked for. */
let server: Server;
let baseUrl: string;
const written: Record<string, number> = {};

function endless(res: ServerResponse, mode: string, headers: Record<string, string | number>): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.write('{"endpoint":"Realtime Options","data":[');
  const chunk = Buffer.from(`${'{"contractID":"X","strike":"1.00"},'.repeat(2000)}`);
  written[mode] = 0;
  const pump = () => {
    // write until the socket pushes back, resume on drain; stop when the client goes away
    while (!res.destroyed && res.write(chunk)) written[mode] += chunk.length;
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const mode = new URL(req.url ?? '/', 'http://x').searchParams.get('symbol') ?? '';
    if (mode === 'ENDLESS') return endless(res, mode, {});
    if (mode === 'DECLARED') return endless(res, mode, { 'content-length': 10_000_000_000 });
    if (mode === 'BIGCHAIN') {
      const rows = Array.from({ length: 100_000 }, (_, i) => `{"contractID":"C${i}"}`).join(',');
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(`{"endpoint":"Realtime Options","data":[${rows}]}`);
    }
    if (mode === 'DRIP') {
      // headers at once, then one byte a second: only the timeout ends it
      res.writeHead(200, { 'content-type': 'application/json' });
      const t = setInterval(() => res.write(' '), 1000);
      res.on('close', () => clearInterval(t));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"endpoint":"Realtime Options","data":[{"contractID":"OK"}]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const client = (over: { timeoutMs?: number } = {}) =>
  new AlphaVantageClient({ baseUrl, apiKey: 'k', maxBodyBytes: 1024 * 1024, maxContracts: 50_000, timeoutMs: 60_000, maxTransportRetries: 2, sleep: async () => {}, ...over });

describe('Alpha Vantage client against a hostile server', () => {
  test('an endless body is cut at the byte cap: the read is aborted, not retried, and counted', async () => {
    const c = client();
    const res = await c.realtimeOptions('ENDLESS');
    expect(res).toMatchObject({ ok: false, failure: 'tooLarge', attempts: 1 });
    expect(c.metrics().guard.oversizeBodies).toBe(1);
    // The server could only push what the client read before giving up, plus socket buffers.
    expect(written.ENDLESS).toBeLessThan(64 * 1024 * 1024);
  });

  test('a declared Content-Length over the cap is refused before the body is read', async () => {
    const c = client();
    const res = await c.realtimeOptions('DECLARED');
    expect(res).toMatchObject({ ok: false, failure: 'tooLarge' });
    if (!res.ok) expect(res.message).toMatch(/of 10000000000 bytes/);
  });

  test('a chain of 100k contracts is refused whole and counted', async () => {
    const c = new AlphaVantageClient({ baseUrl, apiKey: 'k', maxContracts: 30_000, sleep: async () => {} });
    const res = await c.realtimeOptions('BIGCHAIN');
    expect(res).toMatchObject({ ok: false, failure: 'tooLarge', attempts: 1 });
    if (!res.ok) expect(res.message).toMatch(/100000 contracts over the 30000 cap/);
    expect(c.metrics().guard.oversizeChains).toBe(1);
    const ok = await c.realtimeOptions('SPY');
    expect(ok.ok).toBe(true);
  });

  test('a body that drips forever ends at the timeout, counted', async () => {
    const c = client({ timeoutMs: 300 });
    const res = await c.realtimeOptions('DRIP');
    expect(res).toMatchObject({ ok: false, failure: 'network', attempts: 3 });
    expect(c.metrics().guard.timeouts).toBe(3);
  });
});
