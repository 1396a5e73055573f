import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { EngineProcess, cli } from '../helpers/engine.js';
import { TestRedis, freePort, waitFor } from '../helpers/redis.js';

const SYMBOLS = loadConfig({ env: {} }).config.symbols.map((s) => s.symbol);
const MARKET_KEYS = ['book', 'ticker', 'spread', 'imbalance', 'last', 'trades', 'bars', 'timestamp'];

describe('engine with a real Redis (REDIS_URL)', () => {
  let redis: TestRedis;
  let engine: EngineProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await TestRedis.start();
    env = { REDIS_URL: redis.url };
    engine = EngineProcess.start(env);
  });
  afterAll(async () => {
    await engine?.stop();
    await redis?.stop();
  });

  it('publishes every market key of every symbol with a TTL, and heartbeats of every actor', async () => {
    const c = redis.client();
    await c.connect();
    try {
      await waitFor(async () => {
        const keys = await c.keys('market:*');
        return SYMBOLS.every((s) => MARKET_KEYS.every((k) => keys.includes(`market:{${s}}:${k}`)));
      }, 30_000, 'market keys for every symbol');
      for (const s of SYMBOLS) {
        for (const k of MARKET_KEYS) {
          const pttl = await c.pttl(`market:{${s}}:${k}`);
          // -2 = expired between KEYS and PTTL (1 s TTLs): re-published within the flush cadence
          expect(pttl === -2 || pttl > 0, `market:{${s}}:${k} PTTL ${pttl}`).toBe(true);
        }
      }
      expect(await c.pttl('market:{SPY}:book')).toBeLessThanOrEqual(1000);
      const book = JSON.parse((await c.get('market:{SPY}:book'))!);
      expect(book.bids.length).toBeGreaterThanOrEqual(10);
      expect(book.asks.length).toBeGreaterThanOrEqual(10);
      expect(book.bids[0][0]).toBeLessThan(book.asks[0][0]);
      const ticker = JSON.parse((await c.get('market:{SPY}:ticker'))!);
      expect(ticker).toMatchObject({ symbol: 'SPY', quality: 'ok' });
      expect(ticker.bid).toBeLessThan(ticker.ask);

      await waitFor(async () => (await c.keys('module:heartbeat:*')).length >= 7, 15_000, 'heartbeats');
      for (const k of await c.keys('module:heartbeat:*')) expect(await c.pttl(k)).toBeGreaterThan(0);
    } finally {
      c.disconnect();
    }
    // It used the Redis it was given and started none of its own.
    expect(engine.has(/using the Redis that answered/)).toBe(true);
    expect(engine.has(/started embedded redis-server/)).toBe(false);
  });

  it('`alphatrader status --json` reports every actor alive', async () => {
    let r = await cli(['status', '--json'], env);
    // The first status may predate the last actor's first heartbeat key: retry briefly.
    for (let i = 0; i < 20 && r.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 250));
      r = await cli(['status', '--json'], env);
    }
    expect(r.code, r.stderr).toBe(0);
    const st = JSON.parse(r.stdout);
    expect(st.actors.length).toBeGreaterThanOrEqual(6);
    for (const a of st.actors) expect(a, a.name).toMatchObject({ alive: true, state: 'running', heartbeatKey: true });
    expect(st.redisUp).toBe(true);
    expect(st.rings.find((x: { name: string }) => x.name === 'market-data').published).toBeGreaterThan(0);
  });

  it('survives Redis going away and coming back: no process lost, keys return', async () => {
    await redis.stop();
    await waitFor(async () => {
      const r = await cli(['status', '--json'], env);
      return r.code === 3; // Redis unreachable from the CLI too
    }, 10_000, 'Redis to be gone');
    // the engine keeps running for a while without Redis
    await new Promise((r) => setTimeout(r, 1500));
    expect(engine.alive).toBe(true);
    await redis.start();
    const c = redis.client();
    await c.connect();
    try {
      await waitFor(async () => (await c.exists('market:{SPY}:book', 'market:{QQQ}:ticker', 'engine:status')) === 3, 20_000, 'keys to come back');
    } finally {
      c.disconnect();
    }
    const st = JSON.parse((await cli(['status', '--json'], env)).stdout);
    const restarted = st.actors.filter((a: { restarts: number }) => a.restarts > 0);
    expect(restarted, JSON.stringify(restarted)).toEqual([]);
    expect(engine.has(/Redis unavailable/)).toBe(true);
  });

  it('SIGTERM → exit code 0', async () => {
    const { code } = await engine.stop();
    expect(code).toBe(0);
    expect(engine.has(/all actors stopped/)).toBe(true);
  });
});

describe('engine with its embedded Redis', () => {
  it('starts redis-server from redis.conf when none answers, and leaves no orphan after SIGTERM', async () => {
    const port = await freePort();
    const engine = EngineProcess.start({ REDIS_URL: '', ALPHATRADER_REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      await waitFor(() => engine.has(/AlphaTrader running/), 30_000, 'engine up');
      expect(engine.has(/started embedded redis-server/)).toBe(true);
      const started = engine.lines.find((l) => l.msg === 'started embedded redis-server from redis.conf')!;
      const dir = started.dir as string;
      const pw = readFileSync(join(dir, 'password'), 'utf8').trim();
      expect(pw.length).toBeGreaterThanOrEqual(16);
      // the password never appears in the log
      expect(engine.raw.some((l) => l.includes(pw))).toBe(false);
      const redisPid = started.redisPid as number;
      expect(isAlive(redisPid)).toBe(true);
      const { code } = await engine.stop();
      expect(code).toBe(0);
      await waitFor(() => !isAlive(redisPid), 5000, 'redis-server to exit');
      expect(existsSync(join(dir, 'appendonlydir')) || existsSync(join(dir, 'alphatrader.rdb'))).toBe(true);
    } finally {
      await engine.stop();
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a signal while the actors are still starting', () => {
  it('exits 0 (nothing keeps the process alive once the ordered shutdown is done)', async () => {
    const redis = await TestRedis.start();
    const engine = EngineProcess.start({ REDIS_URL: redis.url });
    try {
      // The supervisor is up, the workers are still loading their modules.
      await waitFor(() => engine.has(/supervisor started/), 30_000, 'supervisor started');
      const { code } = await engine.stop();
      expect(code).toBe(0);
      expect(engine.has(/AlphaTrader running/)).toBe(false);
      expect(engine.has(/shutdown exceeded/)).toBe(false);
    } finally {
      await engine.stop();
      await redis.stop();
    }
  }, 30_000);
});

describe("discovery's correlation matrix", () => {
  it('reaches the risk engine of execution from discovery:correlation', async () => {
    const redis = await TestRedis.start();
    const c = redis.client();
    await c.connect();
    await c.set('discovery:correlation', JSON.stringify({ bySymbol: { SPY: { QQQ: 0.93 }, QQQ: { SPY: 0.93 } } }));
    c.disconnect();
    const engine = EngineProcess.start({ REDIS_URL: redis.url });
    try {
      await waitFor(() => engine.has(/correlation cap uses discovery:correlation/), 30_000, 'execution to load the matrix');
      expect(engine.lines.find((l) => l.msg === 'correlation cap uses discovery:correlation')!.symbols).toBe(2);
      expect((await engine.stop()).code).toBe(0);
    } finally {
      await engine.stop();
      await redis.stop();
    }
  }, 40_000);
});
