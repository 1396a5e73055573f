import { getEventListeners } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AlphaVantageClient, type AlphaVantageClientOptions, type FatalReport, type OptionsLog } from '../../actors/options/AlphaVantageClient.js';
import { classifyResponse } from '../../actors/options/classifyResponse.js';
import { TokenBucket } from '../../actors/options/TokenBucket.js';
import { AlphaVantageSimulator } from '../../sim/alpha-vantage/AlphaVantageSimulator.js';
import { mulberry32 } from '../../sim/alpha-vantage/random.js';

const NOW = Date.UTC(2025, 2, 12, 18, 0); // Wed 14:00 New York
const SPOTS: Record<string, number> = { SPY: 590, AAPL: 230 };
const SECRET = 'sk-test-4f9a1c';
const SEED = 1234;

let sim: AlphaVantageSimulator;
let baseUrl: string;
const simClock = { t: NOW };
const logLines: { level: string; obj: object; msg: string }[] = [];
const log: OptionsLog = {
  warn: (obj, msg) => logLines.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logLines.push({ level: 'error', obj, msg }),
};

/** A client whose back-off sleeps are recorded and skipped, with seeded jitter. */
function makeClient(over: Partial<AlphaVantageClientOptions> = {}): { client: AlphaVantageClient; sleeps: number[]; fatals: FatalReport[] } {
  const sleeps: number[] = [];
  const fatals: FatalReport[] = [];
  const client = new AlphaVantageClient({
    baseUrl,
    apiKey: SECRET,
    now: () => 42_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: mulberry32(SEED),
    throttleBackoffMs: 1000,
    transportBackoffMs: 100,
    log,
    onFatal: (r) => fatals.push(r),
    ...over,
  });
  return { client, sleeps, fatals };
}

beforeAll(async () => {
  console.log(`client jitter seed ${SEED}`);
  sim = new AlphaVantageSimulator({ spot: (s) => SPOTS[s], nowMs: () => simClock.t, validKeys: [SECRET, 'other-key'], perMinuteLimit: 100_000 });
  baseUrl = (await sim.start()).baseUrl;
});
afterAll(async () => {
  await sim.stop();
  // The key never reaches a log line.
  expect(JSON.stringify(logLines)).not.toContain(SECRET);
});

describe('AlphaVantageClient against the simulator', () => {
  test('ok: data, fetchedAtMs from the injected clock, one call', async () => {
    const { client } = makeClient();
    const res = await client.realtimeOptions('SPY', { contract: 'SPY250321C00590000' });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.fetchedAtMs).toBe(42_000);
    expect(res.attempts).toBe(1);
    expect(res.value.data).toHaveLength(1);
    expect(Object.keys(res.value.data[0] as object)).toContain('delta'); // greeks requested by default
    const news = await client.newsSentiment(['SPY'], { limit: 3 });
    expect(news.ok && news.value.feed.length).toBe(3);
    const hist = await client.historicalOptions('AAPL', '2025-03-10');
    expect(hist.ok && (hist.value.data[0] as Record<string, string>).date).toBe('2025-03-10');
    expect(client.metrics()).toMatchObject({ calls: 3, ok: 3, throttles: 0, retries: 0, failures: 0 });
  });

  test('Error Message (unknown symbol): fatal, not retried, reported once however often it recurs', async () => {
    const { client, sleeps, fatals } = makeClient();
    const before = sim.stats().requests;
    const errorsLogged = (): number => logLines.filter((l) => l.level === 'error' && (l.obj as FatalReport).subject === 'ZZZZ').length;
    for (let i = 0; i < 3; i++) {
      const res = await client.realtimeOptions('ZZZZ');
      expect(res).toMatchObject({ ok: false, failure: 'fatal', attempts: 1 });
      if (!res.ok) expect(res.message).toMatch(/Invalid API call/);
    }
    expect(sim.stats().requests - before).toBe(3);
    expect(sleeps).toEqual([]);
    expect(client.metrics()).toMatchObject({ fatal: 3, retries: 0, failures: 3 });
    expect(fatals).toHaveLength(1);
    expect(fatals[0]).toMatchObject({ function: 'REALTIME_OPTIONS', subject: 'ZZZZ', variant: 'error' });
    expect(client.fatalErrors()).toHaveLength(1);
    expect(errorsLogged()).toBe(1);
  });

  test('Error Message (bad key): fatal, and the key appears in no message', async () => {
    const { client, fatals } = makeClient({ apiKey: 'wrong-key-9d8e7f' });
    const res = await client.realtimeOptions('SPY');
    expect(res).toMatchObject({ ok: false, failure: 'fatal' });
    expect(fatals[0]!.message).toMatch(/apikey is invalid/);
    expect(JSON.stringify([res, fatals, logLines])).not.toContain('wrong-key-9d8e7f');
  });

  test('forced Error Message for any function is fatal', async () => {
    const { client } = makeClient();
    sim.forceNext('error');
    expect(await client.newsSentiment('SPY')).toMatchObject({ ok: false, failure: 'fatal', attempts: 1 });
  });

  test.each([
    ['information', 'burst'],
    ['note', 'note'],
    ['daily', 'daily'],
  ] as const)('%s: throttled, retried with exponential back-off and jitter, then served', async (kind, variant) => {
    const { client, sleeps } = makeClient();
    sim.forceNext(kind);
    sim.forceNext(kind);
    const res = await client.realtimeOptions('SPY', { contract: 'SPY250321P00590000' });
    expect(res.ok).toBe(true);
    expect(res.attempts).toBe(3);
    const m = client.metrics();
    expect(m.throttles).toBe(2);
    expect(m.throttlesByVariant[variant]).toBe(2);
    expect(m.retries).toBe(2);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(500); // 1000 × [0.5, 1)
    expect(sleeps[0]).toBeLessThanOrEqual(1000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(1000); // 2000 × [0.5, 1)
    expect(sleeps[1]).toBeLessThanOrEqual(2000);
  });

  test('throttling that does not stop: bounded retries, then a throttled failure and no data', async () => {
    const { client, sleeps } = makeClient({ maxThrottleRetries: 3 });
    for (let i = 0; i < 4; i++) sim.forceNext('information');
    const res = await client.realtimeOptions('SPY');
    expect(res).toMatchObject({ ok: false, failure: 'throttled', attempts: 4 });
    expect(sleeps).toHaveLength(3);
    expect(sleeps[2]).toBeGreaterThanOrEqual(2000);
    expect(client.metrics()).toMatchObject({ throttles: 4, failures: 1, ok: 0 });
    expect(logLines.some((l) => l.level === 'warn' && /still throttling/.test(l.msg))).toBe(true);
  });

  test.each([
    ['premium', 'premium'],
    ['demo', 'demo'],
  ] as const)('Information %s variant is a configuration error: fatal, not retried', async (kind, variant) => {
    const { client, sleeps, fatals } = makeClient();
    sim.forceNext(kind);
    expect(await client.historicalOptions('SPY')).toMatchObject({ ok: false, failure: 'fatal', attempts: 1 });
    expect(sleeps).toEqual([]);
    expect(fatals[0]!.variant).toBe(variant);
  });

  test('the demo key itself gets the demo notice', async () => {
    const { client, fatals } = makeClient({ apiKey: 'demo' });
    expect(await client.realtimeOptions('SPY')).toMatchObject({ ok: false, failure: 'fatal' });
    expect(fatals[0]!.variant).toBe('demo');
  });

  test('HTTP 500 and invalid JSON are retried (bounded), then succeed', async () => {
    const { client, sleeps } = makeClient();
    sim.forceNext('http500');
    sim.forceNext('badJson');
    const res = await client.realtimeOptions('SPY', { contract: 'SPY250321C00600000' });
    expect(res.ok).toBe(true);
    expect(res.attempts).toBe(3);
    expect(client.metrics()).toMatchObject({ httpErrors: 1, jsonErrors: 1, retries: 2, throttles: 0 });
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  test('HTTP 500 every time: fails after the retry budget with failure "http"', async () => {
    const { client } = makeClient({ maxTransportRetries: 2 });
    for (let i = 0; i < 3; i++) sim.forceNext('http500');
    expect(await client.realtimeOptions('SPY')).toMatchObject({ ok: false, failure: 'http', attempts: 3 });
  });

  test('invalid JSON every time: fails with failure "json"', async () => {
    const { client } = makeClient({ maxTransportRetries: 1 });
    sim.forceNext('badJson');
    sim.forceNext('badJson');
    expect(await client.newsSentiment('SPY')).toMatchObject({ ok: false, failure: 'json', attempts: 2 });
  });

  test('connection refused: network failure after retries, key scrubbed', async () => {
    const dead = new AlphaVantageSimulator({ spot: () => 1 });
    const { baseUrl: deadUrl } = await dead.start();
    await dead.stop();
    const { client } = makeClient({ baseUrl: deadUrl, maxTransportRetries: 1 });
    const res = await client.realtimeOptions('SPY');
    expect(res).toMatchObject({ ok: false, failure: 'network', attempts: 2 });
    expect(client.metrics().networkErrors).toBe(2);
    expect(JSON.stringify(res)).not.toContain(SECRET);
  });

  test('a server that never answers: per-request timeout, retried, then a network failure', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((sock) => sockets.push(sock)); // accepts, never replies
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const { client } = makeClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 100, maxTransportRetries: 1 });
      const res = await client.realtimeOptions('SPY');
      expect(res).toMatchObject({ ok: false, failure: 'network', attempts: 2 });
      if (!res.ok) expect(res.message).toMatch(/timed out after 100 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test('a long-lived caller signal collects no listeners across many requests', async () => {
    const { client } = makeClient();
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) {
      if (i % 5 === 0) sim.forceNext('http500');
      await client.newsSentiment('SPY', { limit: 1, signal: ac.signal });
    }
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  test('bad input is refused before any HTTP request', async () => {
    const { client } = makeClient();
    const before = sim.stats().requests;
    expect(await client.realtimeOptions('spy; drop')).toMatchObject({ ok: false, failure: 'invalid', attempts: 0 });
    expect(await client.historicalOptions('SPY', '12/03/2025')).toMatchObject({ ok: false, failure: 'invalid' });
    expect(await client.newsSentiment([])).toMatchObject({ ok: false, failure: 'invalid' });
    expect(await client.newsSentiment('SPY', { limit: 5000 })).toMatchObject({ ok: false, failure: 'invalid' });
    expect(sim.stats().requests).toBe(before);
    expect(client.metrics().invalidRequests).toBe(4);
  });

  test('abort during back-off ends the request as "aborted"', async () => {
    const ac = new AbortController();
    const { client } = makeClient({
      sleep: async () => {
        ac.abort();
        throw new Error('aborted');
      },
    });
    sim.forceNext('information');
    expect(await client.realtimeOptions('SPY', { signal: ac.signal })).toMatchObject({ ok: false, failure: 'aborted' });
  });
});

describe('rate limiting end to end (virtual time shared by the limiter and the simulator)', () => {
  test('the simulator’s per-minute limit is answered with Information; waiting it out succeeds', async () => {
    const clock = { t: NOW };
    const limited = new AlphaVantageSimulator({ spot: (s) => SPOTS[s], nowMs: () => clock.t, validKeys: [SECRET], perMinuteLimit: 3 });
    const { baseUrl: url } = await limited.start();
    try {
      const { client } = makeClient({
        baseUrl: url,
        sleep: async (ms) => {
          clock.t += ms;
        },
        // Any jitter: 3 retries sleep at least 20 + 30 + 30 s, past the 60 s window.
        throttleBackoffMs: 40_000,
        backoffMaxMs: 60_000,
      });
      for (let i = 0; i < 3; i++) expect((await client.newsSentiment('SPY', { limit: 1 })).ok).toBe(true);
      const res = await client.newsSentiment('SPY', { limit: 1 });
      expect(res.ok).toBe(true);
      expect(client.metrics().throttlesByVariant.burst).toBeGreaterThanOrEqual(1);
      expect(limited.stats().rateLimited).toBe(client.metrics().throttles);
    } finally {
      await limited.stop();
    }
  });

  test('with a TokenBucket for the plan the simulator never throttles; without one it does', async () => {
    const clock = { t: NOW };
    const plan = 75;
    const limited = new AlphaVantageSimulator({ spot: (s) => SPOTS[s], nowMs: () => clock.t, validKeys: [SECRET], perMinuteLimit: plan });
    const { baseUrl: url } = await limited.start();
    try {
      const bucket = TokenBucket.forPlan(plan, { safetyMargin: 10, now: () => clock.t });
      const sleep = async (ms: number): Promise<void> => {
        clock.t += ms;
      };
      const { client } = makeClient({ baseUrl: url, limiter: bucket, sleep });
      for (let i = 0; i < 200; i++) expect((await client.newsSentiment('AAPL', { limit: 1 })).ok).toBe(true);
      expect(limited.stats().rateLimited).toBe(0);
      expect(client.metrics()).toMatchObject({ calls: 200, throttles: 0 });
      expect(client.metrics().limiterWaits).toBeGreaterThan(0);
      // 200 calls at 65/min (burst 1, 64/min refill): a bit over three virtual minutes.
      expect(clock.t - NOW).toBeGreaterThanOrEqual(((200 - 1) / 64) * 60_000 - 1);

      const { client: unlimited } = makeClient({ baseUrl: url, sleep, maxThrottleRetries: 0 });
      let throttled = 0;
      for (let i = 0; i < 100; i++) if (!(await unlimited.newsSentiment('AAPL', { limit: 1 })).ok) throttled++;
      expect(throttled).toBeGreaterThan(0);
      expect(limited.stats().rateLimited).toBe(throttled);
    } finally {
      await limited.stop();
    }
  });
});

describe('classifyResponse', () => {
  test('maps each body shape', () => {
    expect(classifyResponse({ data: [] })).toEqual({ kind: 'ok' });
    expect(classifyResponse({ 'Error Message': 'x' })).toMatchObject({ kind: 'fatal', variant: 'error' });
    expect(classifyResponse({ Note: 'Thank you … 5 calls per minute' })).toMatchObject({ kind: 'throttled', variant: 'note' });
    expect(classifyResponse({ Information: 'Our standard API rate limit is 25 requests per day.' })).toMatchObject({ variant: 'daily' });
    expect(classifyResponse({ Information: 'something new' })).toMatchObject({ kind: 'throttled', variant: 'information' });
  });
});
