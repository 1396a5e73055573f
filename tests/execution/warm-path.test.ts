/**
 * The warm path (decision 146): `ExecutionCore.warmOrderPath` decides the last option signal's entry again
 * between signals so the order path stays hot, and must change nothing.
 *  - RiskEngine.preview: verdicts with no trace (no rejection counted or listed, nothing in the rate window).
 *  - Twins: two engines, each on its own real redis-server and scripted venue, take the same seeded random
 *    steps (option quotes, good and bad; option signals; acknowledgements and fills; time passing; the
 *    once-a-second tick). One warms its order path 0–3 times before every step, the other never. After every
 *    step both must answer the same and hold the same orders, positions, counters and risk rejections. The
 *    rate limit is 2 orders a second, so a warm run that stamped the window would refuse the twin's orders.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { etDate } from '../../analytics/calendar.js';
import type { OptionQuote } from '../../analytics/optionQuote.js';
import { ExecutionCore, type SignalInput } from '../../actors/execution/ExecutionCore.js';
import { JournalShipper } from '../../actors/execution/JournalShipper.js';
import { JournalWal } from '../../actors/execution/JournalWal.js';
import type { RedisLike } from '../../engine/redis/RedisClient.js';
import { Portfolio } from '../../actors/execution/Portfolio.js';
import { RiskEngine, type OrderCheck } from '../../actors/execution/risk/RiskEngine.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { mulberry32 } from '../helpers/prng.js';
import { silentLog } from '../helpers/bookkeeper.js';
import { TestRedis } from '../helpers/redis.js';
import { ScriptedVenue } from './ScriptedVenue.js';

const SESSION_T0 = Date.parse('2026-12-07T15:00:00Z'); // 10:00 New York, a Monday
const DAY = '2026-12-07';
const STRIKES = [585, 590, 595];

function config(): EngineConfig {
  const base = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } }).config;
  return {
    ...base,
    symbols: [{ symbol: 'SPY', level2: true, basePrice: 590, numRows: 5 }, { symbol: 'QQQ', level2: true, basePrice: 510, numRows: 5 }],
    execution: { ...base.execution, staleOrderMs: 600_000, ackTimeoutMs: 600_000, optionOrders: { ...base.execution.optionOrders, startFraction: 0.5, repriceMs: 1500, maxReprices: 2, timeoutMs: 8000 } },
    risk: {
      ...base.risk, maxOrdersPerSecond: 2, varLimit: 1e9, dailyLossLimit: 1e9, maxDrawdown: 1e9,
      options: { ...base.risk.options, maxPremiumPerTrade: 1500, maxPremiumPerDay: 4000, maxContractsPerOrder: 4, maxContractsPerContract: 6, maxContractsPerUnderlying: 8 },
    },
  };
}

describe('RiskEngine.preview leaves no trace', () => {
  const cfg = config();
  const order = (over: Partial<OrderCheck> = {}): OrderCheck => ({ symbol: 'SPY', side: 1, qty: 10, price: 590, reduceOnly: false, nowMs: 1_000_000, marketOpen: true, dailyVol: 0.01, ...over });

  it('no rejection counted or listed, no order stamped in the rate window', () => {
    const risk = new RiskEngine(cfg.risk, new Portfolio(1e6));
    for (let i = 0; i < 5; i++) expect(risk.preview(() => risk.check(order(), false, false))).toEqual({ ok: true });
    expect(risk.preview(() => risk.check(order({ qty: 0 }), false, false))).toMatchObject({ ok: false, rule: 'sanity' });
    expect(risk.preview(() => risk.check(order(), false, true))).toMatchObject({ ok: false, rule: 'halted' });
    expect(risk.rejections).toEqual({});
    expect(risk.lastRejections).toEqual([]);
    // the window is still empty: two orders pass, the third in the same second is refused (and counted)
    expect(risk.check(order(), false, false)).toEqual({ ok: true });
    expect(risk.check(order(), false, false)).toEqual({ ok: true });
    // a preview sees the full window too, without counting it
    expect(risk.preview(() => risk.check(order(), false, false))).toMatchObject({ ok: false, rule: 'order-rate' });
    expect(risk.rejections).toEqual({});
    expect(risk.check(order(), false, false)).toMatchObject({ ok: false, rule: 'order-rate' });
    expect(risk.rejections).toEqual({ 'order-rate': 1 });
    expect(risk.preview(() => risk.check(order({ nowMs: 1_001_000 }), false, false))).toEqual({ ok: true });
  });
});

interface Twin {
  redis: TestRedis;
  client: Redis;
  venue: ScriptedVenue;
  core: ExecutionCore;
  /** the local journal (journalAhead: local, the single-host default) */
  shipper: JournalShipper;
}

describe('the warm path changes nothing: twin engines, one warmed before every step', () => {
  const cfg = config();
  const world = { wall: 1_000_000 };
  const twins: Twin[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const redis = await TestRedis.start();
      const client = redis.client();
      await client.connect();
      twins.push({ redis, client, venue: undefined as unknown as ScriptedVenue, core: undefined as unknown as ExecutionCore, shipper: undefined as unknown as JournalShipper });
    }
  });
  const walDir = mkdtempSync(join(tmpdir(), 'at-warm-wal-'));
  afterAll(async () => {
    rmSync(walDir, { recursive: true, force: true });
    for (const t of twins) {
      t.client.disconnect();
      await t.redis.stop();
    }
  });

  async function start(t: Twin): Promise<void> {
    await t.client.flushall();
    t.venue = new ScriptedVenue(() => world.wall);
    t.core = new ExecutionCore(cfg, t.venue, t.client, {
      nowMs: () => SESSION_T0 + (world.wall - 1_000_000),
      wallMs: () => world.wall,
      sessionDate: (ms) => etDate(ms).replace(/-/g, ''),
      marketOpen: () => true,
      tradingHalted: () => false,
      setTradingHalted() {},
      publishBreaker() {},
      onOrderEvent() {},
      fault() {},
    }, silentLog());
    const file = join(walDir, `twin-${twins.indexOf(t)}.wal`);
    rmSync(file, { force: true });
    t.shipper = new JournalShipper(t.client as unknown as RedisLike, t.core.journal.stream, new JournalWal(file));
    await t.shipper.recover();
    t.core.journal.ahead = t.shipper;
    await t.core.start();
  }

  /** Everything a decision could have touched, without wall stamps. */
  function state(c: ExecutionCore) {
    return {
      counters: { ...c.counters },
      rejections: { ...c.risk.rejections },
      lastRejections: c.risk.lastRejections.map((r) => `${r.rule}: ${r.reason}`),
      quotes: { ...c.options.counters },
      orders: [...c.orders.values()].map((r) => `${r.order.clientOrderId} ${r.order.symbol} ${r.state} ${r.order.qty}@${r.order.limitPrice} filled ${r.filledQty}`),
      positions: [...c.portfolio.positions.entries()].map(([k, p]) => `${k} ${p.qty}@${p.avgPrice}`),
    };
  }

  const quote = (occ: string, bid: number, ask: number, wall: number): OptionQuote => ({
    occ, underlying: 'SPY', bid, ask, bidSize: 20, askSize: 20, last: NaN, iv: 0.2, delta: occ.includes('C') ? 0.45 : -0.45, gamma: 0.05, vega: 0.1, theta: -0.4, undPrice: 590, ts: wall,
  });
  const occOf = (right: 'C' | 'P', strike: number) => `SPY261207${right}00${strike}000`;

  it('200 seeded random steps: the same answers and the same state after every one', async () => {
    const seed = 20261207;
    console.log(`warm-path twins: seed ${seed}`);
    const rnd = mulberry32(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    world.wall = 1_000_000;
    for (const t of twins) await start(t);
    const [warmed, plain] = twins as [Twin, Twin];
    let warmRuns = 0;
    let signalId = 0;
    const log: string[] = [];
    for (let step = 0; step < 200; step++) {
      const n = Math.floor(rnd() * 4);
      for (let k = 0; k < n; k++) if (warmed.core.warmOrderPath()) warmRuns++;
      const r = rnd();
      let answers: unknown[] = [];
      if (r < 0.25) {
        // a quote: good, crossed, or without a bid (no price)
        const occ = occOf(pick(['C', 'P'] as const), pick(STRIKES));
        const mid = 1 + rnd() * 6;
        const kind = rnd();
        const q = kind < 0.7 ? quote(occ, +(mid - 0.05).toFixed(2), +(mid + 0.05).toFixed(2), world.wall) : kind < 0.85 ? quote(occ, mid + 0.1, mid, world.wall) : quote(occ, 0, mid, world.wall);
        answers = twins.map((t) => t.core.options.applyQuotes([q], world.wall));
        log.push(`${step} quote ${occ} ${q.bid}/${q.ask}`);
      } else if (r < 0.6) {
        const right = pick(['C', 'P'] as const);
        const s: SignalInput = {
          symbol: 'SPY', strategy: pick([1, 2, 3]), signalId: ++signalId, direction: right === 'C' ? 1 : -1, confidence: +rnd().toFixed(2),
          price: 590, target: 0, stop: 0, expiresMs: 0, option: { expiry: DAY, right, strike: pick(STRIKES) },
        };
        answers = await Promise.all(twins.map((t) => t.core.onSignal({ ...s })));
        log.push(`${step} signal ${s.signalId} ${right}${s.option!.strike} conf ${s.confidence}: ${String(answers[0])}`);
      } else if (r < 0.85) {
        // the venue answers one live order the same way on both sides: acknowledged, filled in part or whole
        const i = Math.floor(rnd() * 8);
        const how = rnd();
        answers = twins.map((t) => {
          const live = t.venue.live();
          const vo = live[i % Math.max(1, live.length)];
          if (!vo) return 'none';
          if (vo.status === 'pending') t.venue.ack(vo);
          else t.venue.fill(vo, how < 0.5 ? 1 : vo.o.qty - vo.filled, vo.o.limitPrice ?? 1);
          while (t.venue.outbox.length) t.venue.deliver(0);
          return `${vo.o.clientOrderId} ${vo.status}`;
        });
        log.push(`${step} venue ${String(answers[0])}`);
      } else {
        world.wall += Math.floor(rnd() * 1500);
        for (const t of twins) await t.core.tick();
        log.push(`${step} +time, tick`);
      }
      for (const t of twins) await t.core.queue.idle();
      expect(answers[0], `step ${step} (seed ${seed}): ${log.slice(-5).join(' | ')}`).toEqual(answers[1]);
      expect(state(warmed.core), `step ${step} (seed ${seed}): ${log.slice(-5).join(' | ')}`).toEqual(state(plain.core));
      // the same journal (the local one, as on a single host): the warm path wrote nothing
      const journals = await Promise.all(twins.map(async (t) => {
        expect(await t.shipper.drained(5000)).toBe(true);
        return (await t.client.xrange(t.core.journal.stream, '-', '+')).map(([, f]) => f.join(' '));
      }));
      expect(journals[0], `step ${step} (seed ${seed}): ${log.slice(-5).join(' | ')}`).toEqual(journals[1]);
    }
    // the warm path ran on real decisions, and the steps reached orders, fills and refusals
    expect(warmRuns).toBeGreaterThan(100);
    const s = state(plain.core);
    expect(s.counters.optionOrders).toBeGreaterThan(3);
    expect(s.positions.length).toBeGreaterThan(0);
    expect(Object.keys(s.rejections).length).toBeGreaterThan(1);
    const intents = (await plain.client.xrange(plain.core.journal.stream, '-', '+')).filter(([, f]) => f[1] === 'intent');
    expect(intents.length).toBeGreaterThan(3); // through the local journal
  }, 120_000);
});
