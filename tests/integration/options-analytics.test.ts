/**
 * The real engine (child process) with a real redis-server:
 * 1. the default run, with its embedded Alpha Vantage simulator, publishes the option chain, the gamma map,
 *    VPIN and sentiment;
 * 2. against an Alpha Vantage simulator this test controls, forced throttles and errors never stop the
 *    engine, and a chain is never republished as fresh while fetches fail: its key expires, and
 *    `fetchedAtMs` does not move until good answers return.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlphaVantageSimulator, type ForcedKind } from '../../sim/alpha-vantage/index.js';
import { EngineProcess } from '../helpers/engine.js';
import { TestRedis, waitFor } from '../helpers/redis.js';

type Json = Record<string, unknown>;

describe('options and analytics, end to end', () => {
  let redis: TestRedis;
  let engine: EngineProcess | undefined;
  let sim: AlphaVantageSimulator | undefined;

  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
    await sim?.stop();
    sim = undefined;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const getJson = async (c: ReturnType<TestRedis['client']>, key: string): Promise<Json | null> => {
    const raw = await c.get(key);
    return raw === null ? null : (JSON.parse(raw) as Json);
  };

  it('the default run publishes the chain (PTTL ≤ 10 s), the gamma map with a flip and walls, VPIN and sentiment', async () => {
    engine = EngineProcess.start({ REDIS_URL: redis.url });
    const c = redis.client();
    await c.connect();
    try {
      const keys = ['options:{SPY}:chain', 'analytics:{SPY}:gex', 'analytics:{SPY}:vpin', 'sentiment:{SPY}'];
      await waitFor(async () => (await c.exists(...keys)) === keys.length, 40_000, `${keys.join(', ')}`, 250);

      const pttl = await c.pttl('options:{SPY}:chain');
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(10_000);
      const chain = (await getJson(c, 'options:{SPY}:chain'))!;
      expect(chain.symbol).toBe('SPY');
      expect(chain.count as number).toBeGreaterThan(100);
      expect(typeof chain.fetchedAtMs).toBe('number');

      const gex = (await getJson(c, 'analytics:{SPY}:gex'))!;
      expect(Array.isArray(gex.zeroGammaAll), JSON.stringify(gex).slice(0, 300)).toBe(true);
      const all = gex.zeroGammaAll as number[];
      if (gex.zeroGamma === null) expect(all).toEqual([]);
      else {
        expect(typeof gex.zeroGamma).toBe('number');
        expect(all).toContain(gex.zeroGamma);
        // On the conventions' grid: within ±10 % of spot.
        expect(Math.abs((gex.zeroGamma as number) / (gex.spot as number) - 1)).toBeLessThanOrEqual(0.1 + 1e-12);
      }
      expect(typeof gex.callWall).toBe('number');
      expect(typeof gex.putWall).toBe('number');
      const profile = gex.profile as Json[];
      expect(profile.length).toBeGreaterThan(10);
      for (let i = 1; i < profile.length; i++) expect(profile[i]!.strike as number).toBeGreaterThan(profile[i - 1]!.strike as number);
      expect(profile.map((r) => r.strike)).toContain(gex.callWall);
      expect(profile.map((r) => r.strike)).toContain(gex.putWall);
      for (const r of profile) expect(r.putGex as number).toBeLessThanOrEqual(0);
      expect(await c.pttl('analytics:{SPY}:gex')).toBeLessThanOrEqual(10_000);

      console.log(JSON.stringify({ zeroGamma: gex.zeroGamma, zeroGammaAll: all, callWall: gex.callWall, putWall: gex.putWall, spot: gex.spot, strikes: profile.length }));
      const vpin = (await getJson(c, 'analytics:{SPY}:vpin'))!;
      expect(vpin.symbol).toBe('SPY');
      expect(['live', 'warming-up', 'estimating-bucket-size']).toContain(vpin.status);
      expect(await c.pttl('analytics:{SPY}:vpin')).toBeGreaterThan(0);

      const sentiment = (await getJson(c, 'sentiment:{SPY}'))!;
      expect(sentiment.symbol).toBe('SPY');
      expect(typeof sentiment.label).toBe('string');
      const spttl = await c.pttl('sentiment:{SPY}');
      expect(spttl).toBeGreaterThan(0);
      expect(spttl).toBeLessThanOrEqual(300_000);
    } finally {
      c.disconnect();
    }
    expect(engine.alive).toBe(true);
    expect((await engine.stop()).code).toBe(0);
  }, 60_000);

  it('throttled and failing Alpha Vantage answers never stop the engine nor publish stale data as fresh', async () => {
    const KEY = 'it-options-key';
    const spots: Record<string, number> = { SPY: 590, QQQ: 510, IWM: 225 };
    sim = new AlphaVantageSimulator({ validKeys: [KEY], spot: (s) => spots[s], seed: 42 });
    const { baseUrl } = await sim.start();
    engine = EngineProcess.start({
      REDIS_URL: redis.url,
      ALPHATRADER_VENUES_ALPHA_VANTAGE_BASE_URL: baseUrl,
      ALPHATRADER_ALPHAVANTAGE_API_KEY: KEY,
      // A short chain TTL and poll, so expiry is seen in seconds; the in-process market keeps the load down.
      ALPHATRADER_TTL_OPTIONS: '3000',
      ALPHATRADER_VENUES_ALPHA_VANTAGE_POLL_MS: '1000',
      ALPHATRADER_MARKET_SOURCE: 'sim',
    });
    const c = redis.client();
    await c.connect();
    let topUp: NodeJS.Timeout | undefined;
    try {
      // Nothing left over from the first test's engine: every key seen here is this engine's.
      await c.flushall();
      await waitFor(async () => (await c.exists('options:{SPY}:chain')) === 1, 40_000, 'a first good chain', 100);
      const good = (await getJson(c, 'options:{SPY}:chain'))!;
      expect(good.fetchedAtMs).toBeGreaterThan(0);
      expect(sim.stats().byFunction.REALTIME_OPTIONS).toBeGreaterThan(0);

      // Failing period: every answer from now on is a forced failure (the queue is never allowed to empty).
      const kinds: ForcedKind[] = ['information', 'note', 'error', 'http500', 'badJson'];
      let queued = 0;
      const fill = () => {
        while (queued - sim!.stats().forced < 6) sim!.forceNext(kinds[queued++ % kinds.length]!);
      };
      fill();
      topUp = setInterval(fill, 10);
      const okAtStart = sim.stats().ok;
      const failStartMs = Date.now();

      // Sample the chain and the gamma map until the chain key has expired.
      const seenFetched = new Set<number>();
      const seenGexChain = new Set<number>();
      const sample = async () => {
        const ch = await getJson(c, 'options:{SPY}:chain');
        if (ch) seenFetched.add(ch.fetchedAtMs as number);
        const g = await getJson(c, 'analytics:{SPY}:gex');
        if (g) seenGexChain.add(g.chainFetchedAtMs as number);
        return ch;
      };
      await waitFor(async () => (await sample()) === null, 20_000, 'the chain key to expire while fetches fail', 100);
      // Still failing for a while: the key stays gone, the engine keeps running and its market data keeps flowing.
      const until = Date.now() + 2500;
      while (Date.now() < until) {
        expect(await sample(), 'a chain was published while every answer failed').toBeNull();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(engine.alive).toBe(true);
      expect(await c.exists('market:{SPY}:ticker')).toBe(1);
      const metrics = (await getJson(c, 'monitoring:options:metrics'))!;
      expect(metrics.chainFailures as number).toBeGreaterThan(0);
      expect((metrics.throttles as number) + ((metrics.client as Json | undefined)?.fatal as number ?? 0)).toBeGreaterThan(0);

      clearInterval(topUp);
      topUp = undefined;
      const failEndMs = Date.now();
      // Every answer in the failing period was a forced failure: nothing fresh could have been published.
      expect(sim.stats().ok).toBe(okAtStart);
      // fetchedAtMs never moved past the good answers that were already on their way when failing began.
      for (const f of seenFetched) expect(f).toBeLessThan(failStartMs + 1000);
      for (const f of seenGexChain) expect(f).toBeLessThan(failStartMs + 1000);
      expect(seenFetched.size).toBeLessThanOrEqual(2);

      // Good answers again: a fresh chain comes back (after the queued failures drain and back-offs end).
      await waitFor(async () => {
        const ch = await getJson(c, 'options:{SPY}:chain');
        return !!ch && (ch.fetchedAtMs as number) > failEndMs;
      }, 40_000, 'a fresh chain after recovery', 200);
      const pttl = await c.pttl('options:{SPY}:chain');
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(3000);

      // `Error Message` answers are reported once per request kind, not once per failure.
      const fatal = engine.lines.filter((l) => l.msg === 'Alpha Vantage rejected the request; not retrying (reported once)');
      const distinct = new Set(fatal.map((l) => `${l.function}|${l.subject}|${l.message}`));
      expect(fatal.length).toBe(distinct.size);
      const st = sim.stats();
      if (st.errorMessages > 0) expect(fatal.length).toBeGreaterThan(0);
      console.log(JSON.stringify({ sim: st, fatalReported: fatal.length, failingMs: failEndMs - failStartMs, chainFetchedSeenWhileFailing: [...seenFetched] }));
    } finally {
      if (topUp) clearInterval(topUp);
      c.disconnect();
    }
    expect(engine.alive).toBe(true);
    expect((await engine.stop()).code).toBe(0);
  }, 90_000);
});
