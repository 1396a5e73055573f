/**
 * Preservation mode and the broker-disconnected alert through the execution core: a scripted venue that
 * goes away and comes back, a real Redis journal, the alerts collected as the supervisor would get them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { etDate } from '../../analytics/calendar.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { ExecutionCore } from '../../actors/execution/ExecutionCore.js';
import { silentLog } from '../helpers/bookkeeper.js';
import { TestRedis } from '../helpers/redis.js';
import { ScriptedVenue } from './ScriptedVenue.js';

const SESSION = Date.parse('2026-12-07T16:00:00Z'); // 11:00 New York

function config(): EngineConfig {
  const base = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } }).config;
  return {
    ...base,
    risk: { ...base.risk, maxNotionalPerOrder: 1e6, maxPositionPerSymbol: 1e6 },
    execution: { ...base.execution, preservation: { errorsToEnter: 3, successesToLeave: 2, probeMs: 2000 } },
    alerts: { ...base.alerts, brokerDisconnectedMs: 30_000 },
  };
}

describe('preservation mode through the execution core', () => {
  let redis: TestRedis;
  let client: Redis;
  let wall: number;
  let venue: ScriptedVenue;
  let alerts: { rule: string; endEpisode?: string; text: string }[];

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
    wall = 1_000_000;
    alerts = [];
    venue = new ScriptedVenue(() => wall);
  });

  function core(): ExecutionCore {
    let halted = false;
    return new ExecutionCore(config(), venue, client, {
      nowMs: () => SESSION, wallMs: () => wall, sessionDate: (ms) => etDate(ms).replace(/-/g, ''), marketOpen: () => true,
      tradingHalted: () => halted, setTradingHalted: (on) => (halted = on), publishBreaker() {}, onOrderEvent() {}, fault() {},
      alert: (a) => alerts.push(a),
    }, silentLog());
  }

  async function step(c: ExecutionCore, ms: number): Promise<void> {
    wall += ms;
    c.onBook('SPY', 589.99, 590.01); // fresh marks: the stale-data rule stays out of it
    await c.tick();
    await c.queue.idle();
    while (venue.outbox.length) venue.deliver(0);
    await c.queue.idle();
  }

  it('N broker errors enter it (entries refused, exits allowed, one alert); M successes leave it (one alert)', async () => {
    const c = core();
    await c.start();
    expect(c.account?.buyingPower).toBe(2e7);
    c.onBook('SPY', 589.99, 590.01);
    expect(await c.manualOrder('SPY', 1, 100, 'e1')).toMatch(/^sent/);
    const v = venue.orders.get('AT-20261207-manual-SPY-e1')!;
    venue.ack(v);
    venue.fill(v, 100, 590);
    await step(c, 0);
    expect(c.position('SPY')).toBe(100);

    venue.connected = false;
    expect(await c.manualOrder('QQQ' as never, 1, 1, 'x')).toMatch(/unknown symbol|no market price/); // not a broker call: no count
    expect(await c.manualOrder('SPY', 1, 10, 'f1')).toBe('broker error');
    expect(await c.manualOrder('SPY', 1, 10, 'f2')).toBe('broker error');
    expect(c.health.preservation).toBe(false);
    expect(await c.manualOrder('SPY', 1, 10, 'f3')).toBe('broker error');
    expect(c.health.preservation).toBe(true);
    expect(alerts.filter((a) => a.rule === 'preservation')).toHaveLength(1);
    expect(alerts[0].text).toMatch(/^3 consecutive broker errors \(last: not connected\)/);

    // entries: refused by risk, naming the mode; an exit is let through (and fails at the broker, still away)
    expect(await c.manualOrder('SPY', 1, 10, 'e2')).toMatch(/^risk: preservation: preservation mode since .*: new entries blocked, exits allowed/);
    expect(await c.manualOrder('SPY', -1, 50, 'x1')).toBe('broker error');
    expect(alerts.filter((a) => a.rule === 'preservation')).toHaveLength(1); // once per episode

    // back: the exit goes out (a success), the probe reads the account (the second): preservation left
    venue.connected = true;
    expect(await c.manualOrder('SPY', -1, 50, 'x2')).toMatch(/^sent/);
    expect(c.health.preservation).toBe(true);
    await step(c, 2000); // probeMs: the account is read
    await c.queue.idle();
    for (let i = 0; i < 50 && c.health.preservation; i++) await new Promise((r) => setTimeout(r, 10));
    expect(c.health.preservation).toBe(false);
    expect(alerts.map((a) => a.rule)).toEqual(['preservation', 'preservation-left']);
    expect(alerts[1].endEpisode).toBe('preservation');
    // the broker errors also tripped the breaker (reject/error rate): entries need the operator's reset too
    expect(c.breaker.isOpen).toBe(true);
    await c.resetBreaker();
    expect(await c.manualOrder('SPY', 1, 10, 'e3')).toMatch(/^sent/);
  });

  it('disconnected for brokerDisconnectedMs: one alert per episode, one when it is back; a short drop is no news', async () => {
    const c = core();
    await c.start();
    venue.connected = false;
    await step(c, 1000);
    await step(c, 20_000);
    venue.connected = true;
    await step(c, 1000); // back after 21 s: nothing said
    expect(alerts.filter((a) => a.rule.startsWith('broker-'))).toEqual([]);
    venue.connected = false;
    await step(c, 1000);
    await step(c, 29_999);
    expect(alerts.filter((a) => a.rule === 'broker-disconnected')).toHaveLength(0);
    await step(c, 1);
    await step(c, 10_000);
    expect(alerts.filter((a) => a.rule === 'broker-disconnected')).toHaveLength(1);
    expect(alerts.find((a) => a.rule === 'broker-disconnected')?.endEpisode).toBe('broker-reconnected');
    venue.connected = true;
    await step(c, 1000);
    await step(c, 1000);
    expect(alerts.filter((a) => a.rule.startsWith('broker-')).map((a) => a.rule)).toEqual(['broker-disconnected', 'broker-reconnected']);
  });
});
