import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AlphaVantageClient } from '../../actors/options/AlphaVantageClient.js';
import { OptionsService, type OptionsServiceOptions } from '../../actors/options/OptionsService.js';
import type { OptionContract } from '../../actors/options/types.js';
import { AlphaVantageSimulator } from '../../sim/alpha-vantage/AlphaVantageSimulator.js';

const NOW = Date.UTC(2025, 2, 12, 18, 0); // Wed 14:00 New York
const SPOTS: Record<string, number> = { SPY: 590, AAPL: 230, MSFT: 430 };
const KEY = 'svc-key';

interface Published {
  key: string;
  value: any;
  ttlMs: number;
}

let sim: AlphaVantageSimulator;
let baseUrl: string;
const simClock = { t: NOW };

beforeAll(async () => {
  sim = new AlphaVantageSimulator({ spot: (s) => SPOTS[s], nowMs: () => simClock.t, validKeys: [KEY] });
  baseUrl = (await sim.start()).baseUrl;
});
afterAll(async () => {
  await sim.stop();
});

function harness(over: Partial<OptionsServiceOptions> = {}, clientOver: { maxTransportRetries?: number; maxThrottleRetries?: number } = {}) {
  const published: Published[] = [];
  const chains: { symbol: string; contracts: readonly OptionContract[] }[] = [];
  const client = new AlphaVantageClient({
    baseUrl,
    apiKey: KEY,
    now: () => simClock.t,
    sleep: async () => {},
    random: () => 0.5,
    ...clientOver,
  });
  const service = new OptionsService({
    client,
    symbols: ['SPY', 'AAPL'],
    publish: (key, value, ttlMs) => published.push({ key, value: JSON.parse(JSON.stringify(value)), ttlMs }),
    onChain: (symbol, contracts) => chains.push({ symbol, contracts }),
    chainPollMs: 5_000,
    sentimentPollMs: 60_000,
    ...over,
  });
  return { published, chains, client, service };
}

describe('OptionsService end to end against the simulator', () => {
  test('one tick publishes chain, greeks, unusual (10 s) and sentiment (300 s) per symbol, and feeds onChain', async () => {
    const { published, chains, service } = harness();
    await service.tick(NOW);
    const keys = published.map((p) => p.key).sort();
    expect(keys).toEqual(
      ['options:{AAPL}:chain', 'options:{AAPL}:greeks', 'options:{AAPL}:unusual', 'options:{SPY}:chain', 'options:{SPY}:greeks', 'options:{SPY}:unusual', 'sentiment:{AAPL}', 'sentiment:{SPY}'].sort(),
    );
    const ttl = Object.fromEntries(published.map((p) => [p.key, p.ttlMs]));
    expect(ttl['options:{SPY}:chain']).toBe(10_000);
    expect(ttl['options:{SPY}:greeks']).toBe(10_000);
    expect(ttl['options:{SPY}:unusual']).toBe(10_000);
    expect(ttl['sentiment:{SPY}']).toBe(300_000);

    const byKey = Object.fromEntries(published.map((p) => [p.key, p.value]));
    const chain = byKey['options:{SPY}:chain'];
    expect(chain).toMatchObject({ symbol: 'SPY', fetchedAtMs: NOW, spotSource: 'parity', quarantined: 0 });
    expect(Math.abs(chain.spot - 590)).toBeLessThan(0.05);
    expect(chain.count).toBe(chain.contracts.length);
    expect(chain.count).toBeGreaterThan(500);
    const first = chain.contracts[0];
    expect(Object.keys(first)).toEqual(['id', 'expiration', 'strike', 'type', 'bid', 'ask', 'bidSize', 'askSize', 'mark', 'last', 'volume', 'oi', 'iv', 'T']);
    expect(first.T).toBeGreaterThan(0);

    const greeks = byKey['options:{SPY}:greeks'];
    expect(greeks.count).toBe(chain.count);
    expect(greeks.recomputed).toBe(0);
    expect(greeks.mismatched).toBe(0);
    expect(greeks.contracts.every((g: any) => g.source === 'api')).toBe(true);
    expect(greeks.contracts.map((g: any) => g.id)).toEqual(chain.contracts.map((c: any) => c.id));

    const unusual = byKey['options:{SPY}:unusual'];
    expect(unusual.threshold).toBe(2);
    expect(unusual.count).toBeGreaterThan(0);
    for (let i = 0; i < unusual.contracts.length; i++) {
      const u = unusual.contracts[i];
      expect(u.volume / u.oi).toBeGreaterThan(2);
      if (i > 0) expect(u.ratio).toBeLessThanOrEqual(unusual.contracts[i - 1].ratio);
    }
    // Every contract over the threshold is listed.
    expect(unusual.count).toBe(chain.contracts.filter((c: any) => c.oi > 0 && c.volume > 2 * c.oi).length);

    const s = byKey['sentiment:{SPY}'];
    expect(s).toMatchObject({ symbol: 'SPY', fetchedAtMs: NOW });
    expect(s.articles).toBeGreaterThan(0);
    expect(typeof s.score).toBe('number');
    expect(['Bearish', 'Somewhat-Bearish', 'Neutral', 'Somewhat-Bullish', 'Bullish']).toContain(s.label);

    expect(chains.map((c) => c.symbol).sort()).toEqual(['AAPL', 'SPY']);
    expect(chains.find((c) => c.symbol === 'SPY')!.contracts.length).toBe(chain.count);

    const m = service.metrics();
    expect(m).toMatchObject({ calls: 4, throttles: 0, errors: 0, quarantined: 0, chainsPublished: 2, sentimentPublished: 2 });
    expect(m.lastChainAtMs).toEqual({ SPY: NOW, AAPL: NOW });
  });

  test('schedule: chains every chainPollMs, sentiment every sentimentPollMs, nothing in between', async () => {
    const { published, service } = harness();
    await service.tick(NOW);
    const n0 = published.length;
    await service.tick(NOW + 4_999);
    expect(published.length).toBe(n0);
    await service.tick(NOW + 5_000);
    expect(published.slice(n0).map((p) => p.key).every((k) => k.startsWith('options:'))).toBe(true);
    expect(published.length - n0).toBe(6);
    await service.tick(NOW + 60_000);
    expect(published.filter((p) => p.key.startsWith('sentiment:')).length).toBe(4);
  });

  test('a failed fetch publishes nothing for that symbol (the old keys just expire); the other symbol is unaffected', async () => {
    const { published, service, chains } = harness({ symbols: ['SPY'], sentimentPollMs: 0 }, { maxTransportRetries: 1 });
    sim.forceNext('http500');
    sim.forceNext('http500');
    await service.tick(NOW);
    expect(published).toEqual([]);
    expect(chains).toEqual([]);
    expect(service.metrics()).toMatchObject({ errors: 1, chainFailures: 1, chainsPublished: 0, calls: 2 });
    // Next poll recovers.
    await service.tick(NOW + 5_000);
    expect(published.map((p) => p.key)).toEqual(['options:{SPY}:chain', 'options:{SPY}:greeks', 'options:{SPY}:unusual']);
  });

  test('throttling beyond the retry budget and fatal errors publish nothing and are counted', async () => {
    const { published, service } = harness({ symbols: ['SPY'], sentimentPollMs: 0 }, { maxThrottleRetries: 1 });
    sim.forceNext('note');
    sim.forceNext('information');
    await service.tick(NOW);
    sim.forceNext('error');
    await service.tick(NOW + 5_000);
    expect(published).toEqual([]);
    const m = service.metrics();
    expect(m).toMatchObject({ throttles: 2, errors: 2, chainFailures: 2 });
    expect(m.client!.fatal).toBe(1);
  });

  test('bad contracts are quarantined and counted, good ones still published', async () => {
    const client = {
      realtimeOptions: async () => ({
        ok: true as const,
        fetchedAtMs: NOW,
        attempts: 1,
        value: {
          data: [
            { contractID: 'SPY250321C00590000', symbol: 'SPY', expiration: '2025-03-21', strike: '590.00', type: 'call', last: '9.00', mark: '9.00', bid: '8.95', bid_size: '1', ask: '9.05', ask_size: '1', volume: '900', open_interest: '100', date: '2025-03-12', implied_volatility: '0.15' },
            { contractID: 'SPY250321P00590000', symbol: 'SPY', expiration: '2025-03-21', strike: '590.00', type: 'put', last: '9.00', mark: '9.00', bid: '9.50', bid_size: '1', ask: '9.05', ask_size: '1', volume: '1', open_interest: '1', date: '2025-03-12' },
            { contractID: 'SPY250311C00590000', symbol: 'SPY', expiration: '2025-03-11', strike: '590.00', type: 'call', last: '1', mark: '1', bid: '1', bid_size: '1', ask: '1', ask_size: '1', volume: '1', open_interest: '1', date: '2025-03-12' },
          ],
        },
      }),
      newsSentiment: async () => ({ ok: false as const, failure: 'fatal' as const, message: 'x', attempts: 1 }),
    };
    const published: Published[] = [];
    const service = new OptionsService({ client, symbols: ['SPY'], spot: () => 590, publish: (key, value, ttlMs) => published.push({ key, value, ttlMs }) });
    await service.tick(NOW);
    const chain = published.find((p) => p.key === 'options:{SPY}:chain')!.value;
    expect(chain.count).toBe(1);
    expect(chain.quarantined).toBe(2);
    expect(chain.spotSource).toBe('given');
    expect(published.find((p) => p.key === 'options:{SPY}:greeks')!.value.contracts[0].source).toBe('local');
    expect(published.find((p) => p.key === 'options:{SPY}:unusual')!.value.contracts.map((c: any) => c.ratio)).toEqual([9]);
    expect(published.some((p) => p.key.startsWith('sentiment:'))).toBe(false);
    const m = service.metrics();
    expect(m.quarantined).toBe(2);
    expect(m.quarantinedByReason).toEqual({ crossed_quote: 1, expired: 1 });
    expect(m.sentimentFailures).toBe(1);
    expect(m.calls).toBe(0); // a data source without metrics reports none
  });

  test('serves: a symbol another instance owns is not polled; served again, it is polled at once', async () => {
    let spy = false;
    const { chains, service } = harness({ sentimentPollMs: 0, serves: (s) => s !== 'SPY' || spy });
    await service.tick(NOW);
    expect(chains.map((c) => c.symbol)).toEqual(['AAPL']);
    spy = true;
    await service.tick(NOW + 1);
    expect(chains.map((c) => c.symbol)).toEqual(['AAPL', 'SPY']); // AAPL not due yet, SPY never polled: due
  });

  test('a throwing publish or onChain is counted, not fatal', async () => {
    const { service } = harness({
      symbols: ['SPY'],
      sentimentPollMs: 0,
      publish: () => {
        throw new Error('redis down');
      },
      onChain: () => {
        throw new Error('ring full');
      },
    });
    await service.tick(NOW);
    expect(service.metrics()).toMatchObject({ publishErrors: 3, onChainErrors: 1, chainsPublished: 1 });
  });

  test('start/stop with injected timers: ticks on schedule, no overlap per symbol, stop aborts back-offs', async () => {
    const pending: { fn: () => void; ms: number }[] = [];
    const timers = {
      setTimeout: (fn: () => void, ms: number) => {
        const h = { fn, ms };
        pending.push(h);
        return h;
      },
      clearTimeout: (h: unknown) => {
        const i = pending.indexOf(h as { fn: () => void; ms: number });
        if (i >= 0) pending.splice(i, 1);
      },
    };
    let now = NOW;
    const published: Published[] = [];
    let releaseSleep: (() => void) | undefined;
    const client = new AlphaVantageClient({
      baseUrl,
      apiKey: KEY,
      now: () => now,
      // A back-off that only ends when aborted, so stop() must cut it short.
      sleep: (_ms, signal) =>
        new Promise<void>((resolve, reject) => {
          releaseSleep = resolve;
          signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        }),
    });
    const service = new OptionsService({
      client,
      symbols: ['MSFT'],
      sentimentPollMs: 0,
      chainPollMs: 2_000,
      tickMs: 1_000,
      now: () => now,
      timers,
      publish: (key, value, ttlMs) => published.push({ key, value, ttlMs }),
    });
    sim.forceNext('information'); // the first fetch hits a throttle and parks in the back-off
    service.start();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.ms).toBe(1_000);
    await waitFor(() => releaseSleep !== undefined);
    // While MSFT's fetch is parked, further ticks must not start a second one.
    for (let i = 0; i < 3; i++) {
      now += 1_000;
      pending.shift()!.fn();
    }
    // A new fetch would count its call synchronously after one microtask hop; let the loop run, then look.
    await new Promise((r) => setImmediate(r));
    expect(client.metrics().calls).toBe(1);
    expect(client.metrics().throttles).toBe(1);
    await service.stop();
    expect(pending).toHaveLength(0);
    expect(published).toEqual([]);
    expect(service.metrics().chainFailures).toBe(1);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
