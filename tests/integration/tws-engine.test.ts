import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { EngineProcess } from '../helpers/engine.js';
import { TestRedis, waitFor } from '../helpers/redis.js';

/**
 * The real engine (child process) reading Level 2 through the real @stoqey/ib client from the TWS
 * simulator, which runs here so the test can inject faults and compare books with the model's own.
 */
const { config } = loadConfig({ env: {} });
const L2 = config.symbols.filter((s) => s.level2).map((s) => s.symbol);

describe('engine ← TWS simulator over the socket', () => {
  let redis: TestRedis;
  let r: Redis;
  let model: MarketModel;
  let sim: TwsSimulator;
  let port: number;
  let engine: EngineProcess;

  const newSim = () => new TwsSimulator({ model, host: '127.0.0.1', port, realTimeBarMs: 500 });
  const get = async (k: string) => {
    const v = await r.get(k);
    return v === null ? null : JSON.parse(v);
  };
  const metrics = async () => (await get('monitoring:ibkr:metrics')) as Record<string, number> | null;

  /** Pauses the feed and waits until the published book of every L2 symbol equals the simulator's. */
  async function booksConverge(): Promise<void> {
    sim.pauseFeed(true);
    try {
      await waitFor(async () => {
        for (const sym of L2) {
          const b = await get(`market:{${sym}}:book`);
          const want = model.snapshot(model.indexOf(sym));
          if (!b || JSON.stringify([b.bids, b.asks]) !== JSON.stringify([want.bids, want.asks])) return false;
        }
        return true;
      }, 15_000, 'published books to equal the simulator books');
    } finally {
      sim.pauseFeed(false);
    }
  }

  beforeAll(async () => {
    redis = await TestRedis.start();
    r = redis.client();
    await r.connect();
    model = new MarketModel({
      seed: 7,
      symbols: config.symbols.map((s) => ({ symbol: s.symbol, basePrice: s.basePrice, numRows: s.numRows, level2: s.level2 })),
      startMs: Date.now(),
      eventsPerSecond: 300,
    });
    sim = new TwsSimulator({ model, host: '127.0.0.1', port: 0, realTimeBarMs: 500 });
    port = (await sim.start()).port;
    engine = EngineProcess.start({ REDIS_URL: redis.url, ALPHATRADER_VENUES_TWS_PORT: String(port) });
    await waitFor(async () => (await r.get('ibkr:connected')) === '1', 30_000, 'ibkr:connected = 1');
  });
  afterAll(async () => {
    await engine?.stop();
    await sim?.stop();
    r?.disconnect();
    await redis?.stop();
  });

  it('publishes the Level 2 book of every L2 symbol equal to the simulator book, with ≥ 10 rows a side and PTTL ≤ 1000', async () => {
    await waitFor(async () => (await r.exists(...L2.map((s) => `market:{${s}}:book`))) === L2.length, 15_000, 'books');
    for (const s of L2) {
      const b = await get(`market:{${s}}:book`);
      expect(b.bids.length).toBeGreaterThanOrEqual(10);
      expect(b.asks.length).toBeGreaterThanOrEqual(10);
      const pttl = await r.pttl(`market:{${s}}:book`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(1000);
    }
    await booksConverge();
    // the engine started no TWS simulator of its own
    expect(engine.has(/embedded venue simulators started/) && engine.lines.some((l) => l.twsPort)).toBe(false);
  });

  it('trades and 5-second bars arrive through tick-by-tick and real-time bars', async () => {
    await waitFor(async () => ((await get('market:{SPY}:trades')) ?? []).length > 5, 15_000, 'trades');
    await waitFor(async () => ((await get('market:{SPY}:bars')) ?? []).length > 0, 15_000, 'bars');
    const bar = (await get('market:{SPY}:bars'))[0];
    expect(bar.h).toBeGreaterThanOrEqual(bar.l);
    expect(bar.v).toBeGreaterThan(0);
    const last = await get('market:{SPY}:last');
    expect(['buy', 'sell', 'unknown']).toContain(last.side);
  });

  it('317 clears the book, which is rebuilt from the fresh inserts', async () => {
    const before = (await metrics())?.bookResets ?? 0;
    expect(sim.sendDepthReset('SPY')).toBeGreaterThan(0);
    await waitFor(async () => ((await metrics())?.bookResets ?? 0) > before, 10_000, 'the reset to be counted');
    await booksConverge();
  });

  it('1100 marks the venue disconnected; 1101 clears and resubscribes, and the books come back right', async () => {
    sim.connectivityLost();
    await waitFor(async () => (await r.get('ibkr:connected')) === '0', 10_000, 'ibkr:connected = 0');
    sim.connectivityRestored(true);
    await waitFor(async () => (await r.get('ibkr:connected')) === '1', 10_000, 'ibkr:connected = 1');
    await booksConverge();
  });

  it('a malformed frame is counted and the connection is kept', async () => {
    const m0 = (await metrics())!;
    expect(sim.sendMalformedFrame()).toBeGreaterThan(0);
    await waitFor(async () => ((await metrics())?.decodeErrors ?? 0) > m0.decodeErrors, 10_000, 'the decode error to be counted');
    const m1 = (await metrics())!;
    expect(m1.reconnects).toBe(m0.reconnects);
    expect(await r.get('ibkr:connected')).toBe('1');
  });

  it('the gateway going away flips ibkr:connected to 0 and the books expire; when it is back, so are they', async () => {
    await sim.stop();
    await waitFor(async () => (await r.get('ibkr:connected')) === '0', 10_000, 'ibkr:connected = 0');
    await waitFor(async () => (await r.exists('market:{SPY}:book')) === 0, 10_000, 'the SPY book to expire');
    expect(engine.alive).toBe(true);
    sim = newSim();
    await sim.start();
    await waitFor(async () => (await r.get('ibkr:connected')) === '1', 30_000, 'reconnection');
    await booksConverge();
    expect((await metrics())!.reconnects).toBeGreaterThanOrEqual(1);
  });
});
