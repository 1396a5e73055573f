/**
 * Session routines on a simulated session clock (the test moves session time; nothing waits on the wall):
 * a failed pre-open check blocks new entries with its reason (exits pass) until it passes; the close routine
 * flattens the intraday strategy's positions at its cutoff and leaves the others; after the close the
 * report is built from the journal and stored (files, reports:daily:<date>, performance:daily); the
 * schedule follows the calendar (early closes, holidays, the jump from one close to the next open).
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { etDate, etTime, NYSE } from '../../analytics/calendar.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { Clock } from '../../engine/clock/index.js';
import { ExecutionCore } from '../../actors/execution/ExecutionCore.js';
import { ReportStore } from '../../actors/execution/report/ReportStore.js';
import { SessionRoutines, type RoutineAlert } from '../../actors/execution/session/SessionRoutines.js';
import { dueRoutines, routinesOn, SessionScheduler } from '../../actors/execution/session/SessionSchedule.js';
import { silentLog } from '../helpers/bookkeeper.js';
import { useTestRedis } from '../helpers/redis.js';
import { ScriptedVenue } from './ScriptedVenue.js';

const D = '2026-12-07';
const NEXT = '2026-12-08';

function config(): EngineConfig {
  const base = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent', ALPHATRADER_EXECUTION_OPTION_ORDERS_ENABLED: 'false' } }) /* the routines on share positions */.config;
  return {
    ...base,
    risk: { ...base.risk, maxNotionalPerOrder: 1e6, maxPositionPerSymbol: 1e6 },
    session: {
      ...base.session,
      preOpen: { ...base.session.preOpen, retryMs: 600_000 }, // re-runs are driven by the test
      close: { flatten: { '0DTE': '15:55' } },
      report: { ...base.session.report, graceMs: 0, feePerShare: 0.01, feeMinPerOrder: 1 },
    },
  };
}

describe('session routines on the simulated clock', () => {
  let client: Redis;
  let session: number;
  let wall: number;
  let venue: ScriptedVenue;
  let venuesUp: boolean;
  let alerts: RoutineAlert[];
  const clock: Clock = { nowMs: () => session, at: () => session, simulated: true, speed: 120, epoch: 0 }; // the test moves session time itself

  const test = useTestRedis();
  beforeEach(() => {
    client = test.client();
    session = etTime(D, '09:30');
    wall = 1_000_000;
    venue = new ScriptedVenue(() => wall);
    venuesUp = false;
    alerts = [];
  });

  async function setup(cfg = config()) {
    const core = new ExecutionCore(cfg, venue, client, {
      nowMs: () => session, wallMs: () => wall, sessionDate: (ms) => etDate(ms).replace(/-/g, ''), marketOpen: (ms) => NYSE.isOpenAt(ms),
      tradingHalted: () => false, setTradingHalted() {}, publishBreaker() {}, onOrderEvent() {}, fault() {},
    }, silentLog());
    await core.start();
    const dir = mkdtempSync(join(tmpdir(), 'at-reports-'));
    const store = new ReportStore(client, cfg, NYSE, dir);
    const routines = new SessionRoutines({
      cfg, core, redis: client, clock, cal: NYSE, store, log: silentLog(), wallMs: () => wall,
      venues: () => [{ name: 'ibkr_ingestion', connected: venuesUp, ageMs: venuesUp ? 100 : null }],
      alert: (a) => alerts.push(a),
    });
    const scheduler = new SessionScheduler(NYSE, cfg.session, clock, routines.run, (r, e) => {
      throw new Error(`routine ${r.kind} failed: ${String(e)}`);
    });
    return { core, routines, scheduler, dir, cfg, store };
  }

  /** Fresh books for every configured symbol (prices per symbol), then the engine's queue settles. */
  function books(core: ExecutionCore, cfg: EngineConfig, px: Record<string, number> = {}) {
    for (const s of cfg.symbols) {
      const p = px[s.symbol] ?? s.basePrice;
      core.onBook(s.symbol, p - 0.01, p + 0.01);
    }
  }

  async function fillAll(core: ExecutionCore, px: (symbol: string) => number) {
    for (const v of venue.live()) {
      venue.ack(v);
      venue.fill(v, v.o.qty - v.filled, px(v.o.symbol));
    }
    while (venue.outbox.length) venue.deliver(0);
    await core.queue.idle();
  }

  it('a failed pre-open check blocks new entries with its reason, exits pass, and it lifts once the checks pass', async () => {
    const { core, routines, scheduler, cfg } = await setup();
    await scheduler.poll(); // 09:30 on D: the 09:00 checklist is due at once (the simulated day starts later)
    expect(scheduler.done.has(`preopen@${D}`)).toBe(true);
    // within the start grace no venue and no book yet is warming up: pending, nothing blocked
    expect(routines.preopen).toBeNull();
    expect(core.risk.entryBlock).toBeNull();
    wall += cfg.session.preOpen.startGraceMs;
    await routines.runPreopen(D);
    const failed = routines.preopen!;
    expect(failed.ok).toBe(false);
    expect(failed.checks.filter((c) => !c.ok).map((c) => c.name).sort()).toEqual(['data', 'discovery', 'venues']);
    expect(failed.checks.find((c) => c.name === 'account')).toMatchObject({ ok: true, skipped: true }); // no account:* keys
    const stored = JSON.parse((await client.get('session:preopen'))!);
    expect(stored).toMatchObject({ date: D, ok: false });
    expect(stored.blockedReason).toMatch(/^pre-open check failed: venues: .*; data: stale: SPY/);

    books(core, cfg);
    const refused = await core.onSignal({ symbol: 'SPY', strategy: 1, signalId: 1, direction: 1, confidence: 1, price: 590, target: 0, stop: 0, expiresMs: 0 });
    expect(refused).toMatch(/^risk: pre-open: pre-open check failed: venues/);
    expect(venue.orders.size).toBe(0);

    // a second failing run is the same episode: one alert
    await routines.runPreopen(D);
    expect(alerts.filter((a) => a.rule === 'preopen-failure')).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'preopen-failure', severity: 'critical', key: D });

    venuesUp = true;
    const passed = await routines.runPreopen(D);
    expect(passed.ok).toBe(true);
    expect(passed.checks.find((c) => c.name === 'discovery')).toMatchObject({ ok: false, blocking: false }); // warns only
    expect(alerts.at(-1)).toMatchObject({ rule: 'preopen-recovered', endEpisode: 'preopen-failure', key: D });
    expect(await core.onSignal({ symbol: 'SPY', strategy: 1, signalId: 2, direction: 1, confidence: 1, price: 590, target: 0, stop: 0, expiresMs: 0 })).toMatch(/^sent/);
    await fillAll(core, () => 590);
    expect(core.position('SPY')).toBeGreaterThan(0);

    // blocked again (the venue drops): no new entry, but the position can still be closed
    venuesUp = false;
    await routines.runPreopen(D);
    expect(await core.onSignal({ symbol: 'QQQ', strategy: 1, signalId: 3, direction: 1, confidence: 1, price: 510, target: 0, stop: 0, expiresMs: 0 })).toMatch(/pre-open/);
    expect(await core.manualOrder('SPY', -1, core.position('SPY'), 'close')).toMatch(/^sent/);
    routines.stop();
    scheduler.stop();
  });

  it('the close routine flattens the intraday strategy at its cutoff; after the close the report is written from the journal', async () => {
    const { core, routines, scheduler, dir, cfg, store } = await setup();
    venuesUp = true;
    books(core, cfg);
    await scheduler.poll(); // everything ready: it passes at once, grace or not
    expect(routines.preopen!.ok).toBe(true);

    session = etTime(D, '10:00');
    expect(await core.onSignal({ symbol: 'SPY', strategy: 1, signalId: 10, direction: 1, confidence: 1, price: 590, target: 0, stop: 0, expiresMs: 0 })).toMatch(/^sent/); // 0DTE
    expect(await core.onSignal({ symbol: 'QQQ', strategy: 2, signalId: 11, direction: 1, confidence: 1, price: 510, target: 0, stop: 0, expiresMs: 0 })).toMatch(/^sent/); // 1DTE
    await fillAll(core, (s) => (s === 'SPY' ? 590.01 : 510.01));
    const spy = core.position('SPY');
    const qqq = core.position('QQQ');
    expect(spy).toBe(Math.floor(25_000 / 590));
    expect(qqq).toBe(Math.floor(25_000 / 510));

    session = etTime(D, '15:54');
    await scheduler.poll();
    expect(venue.live()).toHaveLength(0); // not yet
    session = etTime(D, '15:55');
    books(core, cfg, { SPY: 591 });
    await scheduler.poll();
    expect(scheduler.done.has(`flatten:0DTE@${D}`)).toBe(true);
    const legs = venue.live();
    expect(legs.map((v) => [v.o.clientOrderId, v.o.side, v.o.qty])).toEqual([['AT-20261207-eod-SPY-1', 'sell', spy]]);
    await fillAll(core, () => 590.99);
    expect(core.position('SPY')).toBe(0);
    expect(core.position('QQQ')).toBe(qqq); // 1DTE is held overnight

    // the simulated clock goes from D's close straight to the next open: D's report, then NEXT's checklist
    session = etTime(NEXT, '09:30');
    await scheduler.poll();
    expect([...scheduler.done]).toEqual([`preopen@${D}`, `flatten:0DTE@${D}`, `close@${D}`, `preopen@${NEXT}`]);
    const report = JSON.parse((await client.get(`reports:daily:${D}`))!);
    // SPY: bought 42 at 590.01, sold at 590.99: 42 × 0.98 = 41.16; fees $1 + $1 (minimum per order)
    expect(report.total.trades).toBe(1);
    expect(report.strategies['0DTE'].grossPnl).toBeCloseTo(spy * 0.98, 6);
    expect(report.strategies['0DTE'].netPnl).toBeCloseTo(spy * 0.98 - 2, 6);
    expect(report.strategies['0DTE'].slippage).toBeCloseTo(spy * 0.01 + spy * 0.01, 6); // 1 ¢ over the mid in, 1 ¢ under it out
    expect(report.openPositions.map((p: { symbol: string; qty: number; strategy: string }) => [p.symbol, p.qty, p.strategy])).toEqual([['QQQ', qqq, '1DTE']]);
    expect(report.blotter.map((b: { cid: string; purpose: string }) => [b.cid, b.purpose])).toEqual([
      ['AT-20261207-0DTE-SPY-10', 'entry'], ['AT-20261207-1DTE-QQQ-11', 'entry'], ['AT-20261207-eod-SPY-1', 'flatten'],
    ]);
    for (const f of ['report.md', 'report.json', 'blotter.csv', 'equity.svg']) expect(existsSync(join(dir, D, f))).toBe(true);
    expect(readFileSync(join(dir, D, 'blotter.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
    const daily = await client.zrange('performance:daily', '0', '-1');
    expect(daily.map((m) => JSON.parse(m).date)).toEqual([D]);
    expect(alerts.find((a) => a.rule === 'eod-summary')).toMatchObject({ key: D, severity: 'info' });

    // a report lost from Redis is rebuilt from the journal
    await client.del(`reports:daily:${D}`);
    expect(await store.rebuildMissing(NEXT)).toEqual([D]);
    expect(JSON.parse((await client.get(`reports:daily:${D}`))!).total.trades).toBe(1);

    // the next session's executions reach a later read (only the journal's new entries are read again)
    expect(await core.manualOrder('QQQ', -1, qqq, 'out')).toMatch(/^sent/);
    await fillAll(core, () => 511);
    expect(ReportStore.sessions(await store.ledger())).toEqual([D, NEXT]);
    expect((await store.generate(NEXT)).total.trades).toBe(1);

    // sessions past the retention leave Redis and the disk
    const short = new ReportStore(client, { ...cfg, session: { ...cfg.session, report: { ...cfg.session.report, retentionDays: 1 } } }, NYSE, dir);
    await short.generate('2026-12-10');
    expect(await client.exists(`reports:daily:${D}`)).toBe(0);
    expect(existsSync(join(dir, D))).toBe(false);
    expect((await client.zrange('performance:daily', '0', '-1')).map((m) => JSON.parse(m).date)).toEqual(['2026-12-10']);
    routines.stop();
    scheduler.stop();
  });
});

describe('session schedule (calendar)', () => {
  const c = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } }).config.session;

  it('on an early-close day the cutoffs move 3 h earlier and the close is 13:00; a holiday has none', () => {
    const r = routinesOn(NYSE, { ...c, close: { flatten: { '0DTE': '15:55' } } }, '2026-11-27');
    expect(r.map((x) => [x.kind, new Date(x.atMs).toISOString()])).toEqual([
      ['preopen', '2026-11-27T14:00:00.000Z'], ['flatten', '2026-11-27T17:55:00.000Z'], ['close', '2026-11-27T18:00:00.000Z'],
    ]);
    expect(routinesOn(NYSE, c, '2026-12-25')).toEqual([]);
  });

  it('after a weekend the previous session\'s close is still due when the engine ran through it, not otherwise', () => {
    const fri = etTime('2026-12-04', '10:00');
    const mon = etTime('2026-12-07', '09:30');
    expect(dueRoutines(NYSE, c, fri, mon, new Set()).map((r) => `${r.kind}@${r.date}`)).toEqual(['flatten@2026-12-04', 'close@2026-12-04', 'preopen@2026-12-07']);
    expect(dueRoutines(NYSE, c, mon, mon, new Set()).map((r) => `${r.kind}@${r.date}`)).toEqual(['preopen@2026-12-07']);
  });
});
