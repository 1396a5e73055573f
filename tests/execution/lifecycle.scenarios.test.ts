/**
 * The order-lifecycle reproductions of issue 10, each as a scenario against a venue that acknowledges at once
 * and fills later (any real venue), with a real Redis journal.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { etDate } from '../../analytics/calendar.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { ExecutionCore, FORGET_FINISHED_AFTER_MS, type ExecutionHooks } from '../../actors/execution/ExecutionCore.js';
import type { BrokerOrder } from '../../actors/execution/brokers/types.js';
import { silentLog } from '../helpers/bookkeeper.js';
import { TestRedis } from '../helpers/redis.js';
import { ScriptedVenue } from './ScriptedVenue.js';

const SESSION = Date.parse('2026-12-07T16:00:00Z'); // 11:00 New York

function config(over: Partial<EngineConfig['risk']> = {}): EngineConfig {
  const base = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent', ALPHATRADER_EXECUTION_OPTION_ORDERS_ENABLED: 'false' } }) /* share lifecycle: signals trade shares */.config;
  return { ...base, risk: { ...base.risk, maxNotionalPerOrder: 1e6, maxPositionPerSymbol: 1e6, ...over } };
}

describe('order lifecycle scenarios', () => {
  let redis: TestRedis;
  let client: Redis;
  let wall: number;
  let session: number;
  let halted: boolean;
  let venue: ScriptedVenue;

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
    session = SESSION;
    halted = false;
    venue = new ScriptedVenue(() => wall);
  });

  function core(cfg = config(), extra: Partial<ExecutionHooks> = {}): ExecutionCore {
    venue.detach();
    return new ExecutionCore(cfg, venue, client, {
      nowMs: () => session, wallMs: () => wall, sessionDate: (ms) => etDate(ms).replace(/-/g, ''), marketOpen: () => true,
      tradingHalted: () => halted, setTradingHalted: (on) => (halted = on), publishBreaker() {}, onOrderEvent() {}, fault() {}, ...extra,
    }, silentLog());
  }

  /** Acknowledge everything pending, deliver every event, let the engine process them. */
  async function flush(c: ExecutionCore): Promise<void> {
    for (const v of venue.live()) venue.ack(v);
    while (venue.outbox.length) venue.deliver(0);
    await c.queue.idle();
  }

  async function longPosition(c: ExecutionCore, qty: number, px = 590): Promise<void> {
    c.onBook('SPY', px - 0.01, px + 0.01);
    const out = await c.manualOrder('SPY', 1, qty, 'entry');
    expect(out).toMatch(/^sent/);
    const v = venue.orders.get('AT-20261207-manual-SPY-entry')!;
    venue.ack(v);
    venue.fill(v, qty, px);
    await flush(c);
    expect(c.position('SPY')).toBe(qty);
  }

  it('a stop hit on three consecutive marks before the exit fills sends one exit, and the long never turns short', async () => {
    const c = core();
    await c.start();
    await longPosition(c, 250);
    const stop = c.exits.get('SPY')!.stop;
    for (let i = 0; i < 3; i++) {
      c.onBook('SPY', stop - 0.5 - i, stop - 0.48 - i);
      await c.queue.idle();
      for (const v of venue.live()) venue.ack(v); // acknowledged at once, filled later
      while (venue.outbox.length) venue.deliver(0);
      await c.queue.idle();
    }
    const exits = [...venue.orders.values()].filter((v) => v.o.side === 'sell');
    expect(exits.map((v) => [v.o.clientOrderId, v.o.qty])).toEqual([['AT-20261207-manual-SPY-entry-X1', 250]]);
    venue.fill(exits[0], 250, stop);
    await flush(c);
    expect(c.position('SPY')).toBe(0);
    expect(venue.position('SPY')).toBe(0);
  });

  it('a second kill while the first flatten is working adds nothing; an opposite signal while an exit works adds nothing', async () => {
    const c = core();
    await c.start();
    await longPosition(c, 100);
    const first = await c.kill('first', 'test', 0);
    expect(first.flattenOrders).toBe(1);
    const second = await c.kill('second', 'test', 0);
    expect(second.flattenOrders).toBe(0);
    expect([...venue.orders.values()].filter((v) => v.o.side === 'sell').map((v) => v.o.qty)).toEqual([100]);
    const sig = await c.onSignal({ symbol: 'SPY', strategy: 1, signalId: 7, direction: -1, confidence: 1, price: 590, target: 0, stop: 0, expiresMs: 0 });
    expect(sig).toMatch(/exit is already working|halted/);
    for (const v of venue.live()) venue.fill(v, v.o.qty, 589);
    await flush(c);
    expect(c.position('SPY')).toBe(0);
    expect(c.killOutcome('x', 0, 0).state).toBe('done');
  });

  it('an order is reported sent once, after its intent is journaled and the venue took it, before any venue event', async () => {
    const seen: string[] = [];
    const c = core(config(), {
      onOrderSent: (r) => seen.push(`sent ${r.order.clientOrderId} ${r.state}`),
      onOrderEvent: (r, e) => seen.push(`event ${r.order.clientOrderId} ${e.kind}`),
    });
    await c.start();
    c.onBook('SPY', 589.99, 590.01);
    let journaledAtPlace = -1;
    const place = venue.place.bind(venue);
    venue.place = async (o: BrokerOrder) => {
      journaledAtPlace = (await client.xrange('orders:journal', '-', '+')).filter(([, f]) => f.includes(o.clientOrderId)).length;
      return place(o);
    };
    expect(await c.manualOrder('SPY', 1, 10, 'one')).toMatch(/^sent/);
    expect(journaledAtPlace).toBe(1);
    await flush(c);
    expect(seen[0]).toBe('sent AT-20261207-manual-SPY-one new');
    expect(seen.filter((x) => x.startsWith('sent'))).toHaveLength(1);
    expect(seen.slice(1).every((x) => x.startsWith('event AT-20261207-manual-SPY-one'))).toBe(true);
    // a venue that refuses the call: nothing reported sent
    venue.place = () => Promise.reject(new Error('venue down'));
    expect(await c.manualOrder('SPY', 1, 10, 'two')).toBe('broker error');
    expect(seen.filter((x) => x.startsWith('sent'))).toHaveLength(1);
  });

  it('reconciliation never declares an order lost while its place() is in flight', async () => {
    const c = core();
    await c.start();
    c.onBook('SPY', 589.99, 590.01);
    let release!: () => void;
    const slowPlace = venue.place.bind(venue);
    venue.place = (o: BrokerOrder) => new Promise<void>((res) => (release = () => void slowPlace(o).then(res)));
    const sent = c.manualOrder('SPY', 1, 10, 'slow');
    await new Promise((r) => setTimeout(r, 20));
    const rec = c.reconcileNow(); // queued behind the send, not beside it
    wall += 60_000; // even long after the acknowledgement timeout
    release();
    expect(await sent).toMatch(/^sent/);
    const rep = await rec;
    expect(rep.abandoned).toBe(0);
    expect(c.orders.get('AT-20261207-manual-SPY-slow')!.state).not.toBe('cancelled');
  });

  it('an order the broker does not know yet is left alone until its acknowledgement timeout, then closed as never sent', async () => {
    const c = core();
    await c.start();
    c.onBook('SPY', 589.99, 590.01);
    venue.connected = false;
    expect(await c.manualOrder('SPY', 1, 10, 'lost')).toBe('broker error');
    venue.connected = true;
    expect((await c.reconcileNow()).awaitingAck).toBe(1);
    wall += 10_001;
    const rep = await c.reconcileNow();
    expect(rep.abandoned).toBe(1);
    expect(c.orders.get('AT-20261207-manual-SPY-lost')!.state).toBe('cancelled');
  });

  it('a restart keeps protection: the stop of an open position still fires, once', async () => {
    let c = core();
    await c.start();
    await longPosition(c, 100);
    const stop = c.exits.get('SPY')!.stop;
    await c.settled();
    c = core(); // restart: journal replay
    await c.start();
    expect(c.position('SPY')).toBe(100);
    expect(c.exits.get('SPY')?.stop).toBeCloseTo(stop, 9);
    c.onBook('SPY', stop - 0.5, stop - 0.48);
    c.onBook('SPY', stop - 0.6, stop - 0.58);
    await c.queue.idle();
    const sells = [...venue.orders.values()].filter((v) => v.o.side === 'sell');
    expect(sells.map((v) => [v.o.clientOrderId, v.o.qty])).toEqual([['AT-20261207-manual-SPY-entry-X1', 100]]);
  });

  it('the trailing anchor survives a restart (the trail never loosens)', async () => {
    let c = core();
    await c.start();
    await longPosition(c, 100);
    const target = c.exits.get('SPY')!.target;
    c.onBook('SPY', target + 0.5, target + 0.52); // target: scale out half
    await c.queue.idle();
    await flush(c);
    for (const v of venue.live()) venue.fill(v, v.o.qty, target);
    await flush(c);
    expect(c.position('SPY')).toBe(50);
    c.onBook('SPY', target + 3, target + 3.02); // a new high
    await c.settled();
    const best = c.exits.get('SPY')!.best;
    c = core();
    await c.start();
    expect(c.exits.get('SPY')!.best).toBeCloseTo(best, 9);
    // a drop of more than the trail from that high fires the trailing stop (not a new target leg)
    c.onBook('SPY', best * (1 - 0.0035) - 0.01, best * (1 - 0.0035) + 0.01);
    await c.queue.idle();
    const legs = [...venue.orders.values()].filter((v) => v.o.side === 'sell').map((v) => [v.o.clientOrderId, v.o.qty]);
    expect(legs).toEqual([['AT-20261207-manual-SPY-entry-X1', 50], ['AT-20261207-manual-SPY-entry-X2', 50]]);
  });

  it('a tripped breaker and a kill halt survive a restart; only an operator reset reopens', async () => {
    let c = core();
    await c.start();
    c.breaker.trip('manual: x', wall);
    await c.settled();
    c = core();
    await c.start();
    expect(c.breaker.snapshot()).toMatchObject({ state: 'tripped', reason: 'manual: x' });
    await c.kill('stop it', 'test', 0);
    halted = false; // a new process: the shared flag starts clear
    c = core();
    await c.start();
    expect(halted).toBe(true);
    expect(c.halt?.reason).toBe('stop it');
    c.onBook('SPY', 589.99, 590.01);
    expect(await c.manualOrder('SPY', 1, 10, 'after')).toMatch(/halted|circuit-breaker/);
    await c.resetBreaker();
    expect(halted).toBe(false);
    expect(await c.manualOrder('SPY', 1, 10, 'after2')).toMatch(/^sent/);
  });

  it('the daily loss limit counts from the day\'s start equity, not the whole journal, and rolls at the next open', async () => {
    let c = core(config({ dailyLossLimit: 1000 }));
    await c.start();
    await longPosition(c, 100, 590);
    await c.manualOrder('SPY', -1, 100, 'out');
    venue.fill(venue.orders.get('AT-20261207-manual-SPY-out')!, 100, 570); // −2,000 realised
    await flush(c);
    c.onBook('QQQ', 509.99, 510.01);
    expect(await c.manualOrder('QQQ', 1, 10, 'q1')).toMatch(/daily-loss/);
    await c.settled();
    c = core(config({ dailyLossLimit: 1000 })); // same day, restarted: still at the limit
    await c.start();
    c.onBook('QQQ', 509.99, 510.01);
    expect(await c.manualOrder('QQQ', 1, 10, 'q2')).toMatch(/daily-loss/);
    session += 24 * 3600_000; // the next session's open
    wall += 1000;
    await c.tick();
    expect(c.day?.date).toBe('2026-12-08');
    expect(await c.manualOrder('QQQ', 1, 10, 'q3')).toMatch(/^sent/);
  });

  it('risk counts working orders: resting entries cannot stack past the position cap or the open-positions cap', async () => {
    const c = core(config({ maxPositionPerSymbol: 30_000, maxOpenPositions: 2 }));
    await c.start();
    for (const [s, px] of [['SPY', 590], ['QQQ', 510], ['IWM', 225]] as const) c.onBook(s, px - 0.01, px + 0.01);
    expect(await c.manualOrder('SPY', 1, 40, 'a')).toMatch(/^sent/); // 23,600 working, nothing filled
    expect(await c.manualOrder('SPY', 1, 20, 'b')).toMatch(/position-cap/);
    expect(await c.manualOrder('QQQ', 1, 10, 'c')).toMatch(/^sent/);
    expect(await c.manualOrder('IWM', 1, 10, 'd')).toMatch(/max-open-positions/);
  });

  it('one outcome per order for the reject-rate rule: acks and fills of the same order count once', async () => {
    const c = core(config({ rejectRateTrip: 0.5 }));
    await c.start();
    c.onBook('SPY', 589.99, 590.01);
    const bad = [false, true, false, true, true];
    for (let i = 0; i < bad.length; i++) {
      expect(c.breaker.state).toBe('closed');
      expect(await c.manualOrder('SPY', 1, 1, `r${i}`)).toMatch(/^sent/);
      const v = venue.orders.get(`AT-20261207-manual-SPY-r${i}`)!;
      if (bad[i]) venue.reject(v, 'no');
      else {
        venue.ack(v);
        venue.fill(v, 1, 590);
      }
      await flush(c);
    }
    // 3 rejects of 5 orders = 60 %: trips. Counting acks and fills as answers it read 3 of 7 = 43 % and did not.
    expect(c.breaker.state).toBe('tripped');
  });

  it('an order the broker holds under our prefix that the journal lost is adopted; foreign positions are reported, never traded', async () => {
    const c0 = core();
    await c0.start();
    c0.onBook('SPY', 589.99, 590.01);
    await c0.manualOrder('SPY', 1, 10, 'kept');
    venue.ack(venue.orders.get('AT-20261207-manual-SPY-kept')!);
    venue.fill(venue.orders.get('AT-20261207-manual-SPY-kept')!, 4, 590);
    // a foreign position in the same account
    await venue.place({ clientOrderId: 'operator-1', symbol: 'TSLA', side: 'buy', qty: 5, type: 'market', tif: 'day' });
    venue.fill(venue.orders.get('operator-1')!, 5, 300);
    await client.flushall(); // Redis lost
    const c = core();
    const rep = await c.start().then(() => c.lastReconcile!);
    expect(rep.adopted).toBe(1);
    expect(c.orders.get('AT-20261207-manual-SPY-kept')).toMatchObject({ purpose: 'adopted', filledQty: 4 });
    expect(c.position('SPY')).toBe(4);
    expect(rep.foreign).toEqual([{ symbol: 'TSLA', qty: 5 }]);
    expect(c.position('TSLA')).toBe(0);
    await c.kill('flatten mine', 'test', 0);
    expect([...venue.orders.values()].filter((v) => v.o.symbol === 'TSLA' && v.o.side === 'sell')).toEqual([]);
    expect(venue.orders.get('operator-1')!.cancelRequested).toBe(false);
  });

  /** A bought-and-sold round trip on QQQ: two finished orders, flat, no exit plan left. */
  async function roundTrip(c: ExecutionCore): Promise<void> {
    c.onBook('QQQ', 509.99, 510.01);
    for (const [side, id] of [[1, 'rt-in'], [-1, 'rt-out']] as const) {
      expect(await c.manualOrder('QQQ', side, 10, id)).toMatch(/^sent/);
      const v = venue.orders.get(`AT-20261207-manual-QQQ-${id}`)!;
      venue.fill(v, 10, 510);
      await flush(c);
    }
    expect(c.position('QQQ')).toBe(0);
    expect(c.exits.has('QQQ')).toBe(false);
  }

  it('forgets finished orders past the reconciliation window; keeps working ones and an open position\'s entry and legs', async () => {
    const c = core();
    await c.start();
    await longPosition(c, 100);
    const entry = 'AT-20261207-manual-SPY-entry';
    const target = c.exits.get('SPY')!.target;
    c.onBook('SPY', target + 0.5, target + 0.52); // the first target: half scaled out
    await c.queue.idle();
    const leg = venue.orders.get(`${entry}-X1`)!;
    venue.fill(leg, leg.o.qty, target + 0.5);
    await flush(c);
    expect(c.position('SPY')).toBe(50);
    await roundTrip(c);
    c.onBook('IWM', 224.99, 225.01);
    expect(await c.manualOrder('IWM', 1, 5, 'resting')).toMatch(/^sent/);
    venue.ack(venue.orders.get('AT-20261207-manual-IWM-resting')!); // acknowledged, never filled: working
    await flush(c);
    const all = [...c.orders.keys()].sort();

    wall += FORGET_FINISHED_AFTER_MS - 1000;
    expect(c.forgetFinished()).toBe(0); // the last change is not yet past the window
    wall += 2000;
    expect(c.forgetFinished()).toBe(2);
    expect([...c.orders.keys()].sort()).toEqual(all.filter((cid) => !cid.includes('-QQQ-')));
    expect(c.orders.has(entry) && c.orders.has(`${entry}-X1`) && c.orders.has('AT-20261207-manual-IWM-resting')).toBe(true);

    // Reconciliation reads the broker's fills inside its window only: the forgotten orders are not adopted.
    const rep = await c.reconcileNow();
    expect(rep.adopted).toBe(0);
    expect([c.position('SPY'), c.position('QQQ'), c.position('IWM')]).toEqual([50, 0, 0]);
    // The scale-out is still known done: the target again sends nothing.
    const placed = venue.orders.size;
    c.onBook('SPY', target + 0.6, target + 0.62);
    await c.queue.idle();
    expect(venue.orders.size).toBe(placed);
  });

  it('forgets nothing replayed within the window after a start, whatever time the journal holds', async () => {
    wall = session + 2 * 86_400_000; // a session clock two days behind the wall (a simulated session): old journal times
    const first = core();
    await first.start();
    await roundTrip(first);
    await first.settled();
    wall += 30 * 3600_000; // a restart more than a day later
    const c = core();
    await c.start();
    expect([...c.orders.keys()].filter((cid) => cid.includes('-QQQ-'))).toHaveLength(2);
    expect(c.forgetFinished()).toBe(0);
    wall += FORGET_FINISHED_AFTER_MS;
    expect(c.forgetFinished()).toBe(2);
  });
});
