/**
 * The order-lifecycle scenarios of issue 10 through the real adapters against the protocol simulators, with
 * acknowledgement and fill latency switched on (150 ms ack, fills in 3 slices 20 ms apart): IbkrBroker
 * (@stoqey/ib) against the TWS simulator, AlpacaBroker against the Alpaca simulator, a real Redis journal.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { etDate } from '../../analytics/calendar.js';
import { AlpacaBroker } from '../../actors/execution/brokers/AlpacaBroker.js';
import { IbkrBroker } from '../../actors/execution/brokers/IbkrBroker.js';
import type { Broker } from '../../actors/execution/brokers/types.js';
import { ExecutionCore } from '../../actors/execution/ExecutionCore.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { AlpacaSimulator } from '../../sim/alpaca/index.js';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { KEY, SECRET } from '../brokers/helpers.js';
import { silentLog } from '../helpers/bookkeeper.js';
import { TestRedis, waitFor } from '../helpers/redis.js';

const LATENCY = { ackMs: 150, fillMs: 20, fillSlices: 3 };
const SESSION = Date.parse('2026-12-07T16:00:00Z');

interface Venue {
  broker(): Broker;
  /** our orders at the venue: [client id, side, qty] */
  orders(): { cid: string; side: string; qty: number }[];
  position(): Promise<number>;
  stop(): Promise<void>;
}

const venues: Record<string, () => Promise<Venue>> = {
  ibkr: async () => {
    const model = new MarketModel({ seed: 77, symbols: [{ symbol: 'SPY', basePrice: 500, numRows: 10, level2: true }], startMs: Date.UTC(2025, 0, 2, 14, 30), eventsPerSecond: 200 });
    const sim = new TwsSimulator({ model, port: 0, tickMs: 5, account: 'DU111111', ...LATENCY });
    const { port } = await sim.start();
    let clientId = 60;
    let last: IbkrBroker | undefined;
    return {
      broker: () => (last = new IbkrBroker({ host: '127.0.0.1', port, clientId: ++clientId, connectTimeoutMs: 5_000, requestTimeoutMs: 5_000, reconnect: false })),
      orders: () => [...sim.orders.orders.values()].filter((o) => String(o.orderRef).startsWith('AT-')).map((o) => ({ cid: String(o.orderRef), side: String(o.action).toLowerCase(), qty: Number(o.totalQuantity) })),
      position: async () => (await last!.positions()).find((p) => p.symbol === 'SPY')?.qty ?? 0,
      stop: () => sim.stop(),
    };
  },
  alpaca: async () => {
    const sim = new AlpacaSimulator({ keyId: KEY, secret: SECRET, quote: () => ({ bid: 500, ask: 500.02 }), fillDelayMs: 2, pollMs: 5, maxChunk: 100, startingCash: 10_000_000, ...LATENCY });
    const urls = await sim.start();
    let last: AlpacaBroker | undefined;
    return {
      broker: () => (last = new AlpacaBroker({ keyId: KEY, secret: SECRET, ...urls, timeoutMs: 5_000, backoffBaseMs: 20, maxBackoffMs: 200, streamReconnectMs: 50 })),
      orders: () => sim.orders().filter((o) => String(o.client_order_id).startsWith('AT-')).map((o) => ({ cid: String(o.client_order_id), side: String(o.side), qty: Number(o.qty) })),
      position: async () => (await last!.positions()).find((p) => p.symbol === 'SPY')?.qty ?? 0,
      stop: () => sim.stop(),
    };
  },
};

for (const [name, start] of Object.entries(venues)) {
  describe(`order lifecycle against the ${name} simulator, latency on`, () => {
    let redis: TestRedis;
    let client: Redis;
    let venue: Venue;
    let halted = false;
    const brokers: Broker[] = [];
    const base = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } }).config;
    const cfg = { ...base, risk: { ...base.risk, maxNotionalPerOrder: 1e6, maxPositionPerSymbol: 1e6, maxOrdersPerSecond: 1000 } };

    beforeAll(async () => {
      redis = await TestRedis.start();
      client = redis.client();
      await client.connect();
    });
    afterAll(async () => {
      client?.disconnect();
      await redis?.stop();
    });
    beforeEach(async () => {
      await client.flushall();
      halted = false;
      venue = await start();
    });
    afterEach(async () => {
      for (const b of brokers.splice(0)) await b.close().catch(() => {});
      await venue.stop();
    });

    async function core(): Promise<ExecutionCore> {
      const b = venue.broker();
      brokers.push(b);
      const c = new ExecutionCore(cfg, b, client, {
        nowMs: () => SESSION, sessionDate: (ms) => etDate(ms).replace(/-/g, ''), marketOpen: () => true,
        tradingHalted: () => halted, setTradingHalted: (on) => (halted = on), publishBreaker() {}, onOrderEvent() {}, fault() {},
      }, silentLog());
      await c.start();
      return c;
    }

    async function long(c: ExecutionCore, qty: number): Promise<void> {
      c.onBook('SPY', 499.99, 500.01);
      expect(await c.manualOrder('SPY', 1, qty, 'entry')).toMatch(/^sent/);
      await waitFor(() => c.position('SPY') === qty && c.openOrders().length === 0, 20_000, 'the entry to fill');
    }

    const sells = () => venue.orders().filter((o) => o.side === 'sell');

    it('a stop hit on three consecutive marks before the exit fills: one exit, the long never turns short', async () => {
      const c = await core();
      await long(c, 250);
      const stop = c.exits.get('SPY')!.stop;
      for (let i = 0; i < 3; i++) {
        c.onBook('SPY', stop - 1 - i, stop - 0.98 - i);
        await c.queue.idle();
      }
      await waitFor(() => c.position('SPY') === 0 && c.openOrders().length === 0, 20_000, 'the exit to fill');
      expect(sells().map((o) => o.qty)).toEqual([250]);
      expect(await venue.position()).toBe(0);
    });

    it('a second kill while the first flatten works adds nothing; after the acks: flat, nothing working', async () => {
      const c = await core();
      await long(c, 100);
      const first = await c.kill('first', 'test', 0);
      const second = await c.kill('second', 'test', 0);
      expect([first.flattenOrders, second.flattenOrders]).toEqual([1, 0]);
      await waitFor(() => c.killOutcome('x', 0, 0).state === 'done', 20_000, 'flat with nothing working');
      expect(sells().map((o) => o.qty)).toEqual([100]);
      expect(await venue.position()).toBe(0);
      expect(c.breaker.state).toBe('tripped');
    });

    it('after a restart the open position is still protected: its stop fires once', async () => {
      const c1 = await core();
      await long(c1, 60);
      const stop = c1.exits.get('SPY')!.stop;
      await c1.settled();
      c1.queue.pause();
      await brokers[0].close(); // the old process is gone
      const c2 = await core();
      expect(c2.position('SPY')).toBe(60);
      expect(c2.exits.get('SPY')?.stop).toBeCloseTo(stop, 9);
      c2.onBook('SPY', stop - 1, stop - 0.98);
      c2.onBook('SPY', stop - 2, stop - 1.98);
      await waitFor(() => c2.position('SPY') === 0 && c2.openOrders().length === 0, 20_000, 'the stop to fill');
      expect(sells().map((o) => [o.cid.endsWith('-X1'), o.qty])).toEqual([[true, 60]]);
    });
  });
}
