import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { EngineProcess, cli } from '../helpers/engine.js';
import { TestRedis, waitFor } from '../helpers/redis.js';

type Fields = Record<string, string>;
const fields = (kv: string[]): Fields => {
  const f: Fields = {};
  for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]] = kv[i + 1];
  return f;
};

/**
 * The default configuration (simulated venues, simulated session clock from 09:30 at 120×, paper broker)
 * against a real redis-server: signals, paper orders and fills appear in the run's first minute (bounded
 * waits, no duration asserted), status shows positions and P&L, and the journal holds every order the
 * broker saw.
 */
describe('default simulated run: signals → paper orders → fills', () => {
  let redis: TestRedis;
  let r: Redis;
  let engine: EngineProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await TestRedis.start();
    r = redis.client();
    await r.connect();
    env = { REDIS_URL: redis.url };
    engine = EngineProcess.start(env);
    // the run's first minute counts from the engine being up (worker start-up on a loaded host is not the strategies')
    await waitFor(() => engine.has(/AlphaTrader running/) || !engine.alive, 60_000, 'engine up');
    expect(engine.alive).toBe(true);
  }, 90_000);
  afterAll(async () => {
    const res = await engine?.stop();
    r?.disconnect();
    await redis?.stop();
    expect(res?.code).toBe(0);
  });

  it('signals reach signals:stream and signals:{SYM}:latest (TTL until expiry)', async () => {
    await waitFor(async () => (await r.xlen('signals:stream')) > 0, 60_000, 'a signal in signals:stream');
    const [[, kv]] = await r.xrange('signals:stream', '-', '+', 'COUNT', 1);
    const f = fields(kv);
    expect(['0DTE', '1DTE', '14DTE', 'MOC']).toContain(f.strategy);
    const rec = JSON.parse(f.record);
    expect(rec.confidence).toBeGreaterThanOrEqual(0);
    expect(rec.confidence).toBeLessThanOrEqual(1);
    expect(rec.signalId).toBe(Number(f.signalId));
    expect(typeof rec.inputs).toBe('object');
    expect(rec.expiry).toBeGreaterThan(rec.ts);
    let pttl = -2;
    await waitFor(async () => {
      for (const k of await r.keys('signals:{*}:latest')) {
        pttl = await r.pttl(k);
        if (pttl > 0) return true;
      }
      return false;
    }, 60_000, 'a signals:{SYM}:latest key with a TTL');
    expect(pttl).toBeGreaterThan(0);
    const windows = JSON.parse((await r.get('signals:windows'))!);
    expect(windows).toMatchObject({ simulated: true, speed: 120 });
  }, 130_000);

  it('paper orders and fills, journaled', async () => {
    const journal = async () => (await r.xrange('orders:journal', '-', '+')).map(([, kv]) => fields(kv));
    await waitFor(async () => (await journal()).some((f) => f.type === 'event' && (f.kind === 'fill' || f.kind === 'partial_fill')), 60_000, 'a fill in orders:journal');
    const j = await journal();
    const intents = j.filter((f) => f.type === 'intent');
    expect(intents.some((f) => ['1', '2', '3', '4'].includes(f.strategy))).toBe(true); // from a strategy, not an operator
    // one intent per client order id
    expect(new Set(intents.map((f) => f.cid)).size).toBe(intents.length);
    // every order the broker reported on is in the journal
    const journaled = new Set(intents.map((f) => f.cid));
    await waitFor(async () => (await r.xlen('orders:events')) > 0, 20_000, 'broker events');
    const seen = new Set((await r.xrange('orders:events', '-', '+')).map(([, kv]) => fields(kv).cid));
    for (const cid of seen) expect(journaled.has(cid), `${cid} seen by the broker but not journaled`).toBe(true);
  }, 130_000);

  it('`alphatrader status --json` shows positions and P&L', async () => {
    let st: { positions: { symbol: string; qty: number; avgPrice: number; realizedPnl: number; unrealizedPnl: number }[]; pnl: Record<string, number>; openOrders: { clientOrderId: string }[] } | undefined;
    await waitFor(async () => {
      const res = await cli(['status', '--json'], env);
      if (res.code !== 0) return false;
      st = JSON.parse(res.stdout);
      return (st?.positions?.length ?? 0) > 0 && st?.pnl !== null && st?.pnl !== undefined;
    }, 30_000, 'status with positions and P&L');
    for (const p of st!.positions) {
      expect(p).toMatchObject({ symbol: expect.any(String), qty: expect.any(Number), avgPrice: expect.any(Number), realizedPnl: expect.any(Number), unrealizedPnl: expect.any(Number) });
    }
    expect(typeof st!.pnl.total).toBe('number');
    const journaled = new Set((await r.xrange('orders:journal', '-', '+')).map(([, kv]) => fields(kv)).filter((f) => f.type === 'intent').map((f) => f.cid));
    for (const o of st!.openOrders) expect(journaled.has(o.clientOrderId)).toBe(true);
  }, 60_000);
});
