import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { AlpacaSimulator } from '../../sim/alpaca/AlpacaSimulator.js';
import { EngineProcess, cli } from '../helpers/engine.js';
import { TestRedis, waitFor } from '../helpers/redis.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Crash test: the engine process is SIGKILLed (by its own fault hook, at an exact point) between journaling
 * an order and the broker's acknowledgement, and between the broker's fill and its processing. After a
 * restart the reconciler must leave at most one order per client order id at the broker, exactly one
 * intent per client order id in the journal, and every fill counted exactly once.
 */
const KEY = 'test-key-id';
/** Each test starts, kills and restarts whole engines (up to three): on a loaded 2-core CI host that alone
 * can take most of a minute. A budget, not an assertion: every wait inside has its own bound. */
const ENGINE_LIFECYCLES_MS = 180_000;
const SECRET = 'test-secret';

describe('crash safety of the order path (SIGKILL, restart, reconcile)', () => {
  let redis: TestRedis;
  let r: Redis;
  let alpaca: AlpacaSimulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await TestRedis.start({ aof: true }); // the journal's durability, as deployed
    r = redis.client();
    await r.connect();
    alpaca = new AlpacaSimulator({ keyId: KEY, secret: SECRET, quote: (s) => (s === 'SPY' ? { bid: 590, ask: 590.02 } : { bid: 100, ask: 100.02 }), fillDelayMs: 1 });
    const { baseUrl } = await alpaca.start();
    env = {
      // one data directory for every engine of this file, as on a host: a restart finds the local journal
      // the killed engine left (each EngineProcess gets a fresh one otherwise)
      ALPHATRADER_ENGINE_DATA_DIR: mkdtempSync(join(tmpdir(), 'at-crash-')),
      REDIS_URL: redis.url,
      ALPHATRADER_EXECUTION_BROKER: 'alpaca',
      ALPHATRADER_EXECUTION_ALPACA_BASE_URL: baseUrl,
      APCA_API_KEY_ID: KEY,
      APCA_API_SECRET_KEY: SECRET,
      ALPHATRADER_RISK_REQUIRE_MARKET_HOURS: 'false',
      // Operator orders only: a strategy's order would hit the fault point first.
      ALPHATRADER_SIGNALS_ZERO_DTE_ENABLED: 'false',
      ALPHATRADER_SIGNALS_ONE_DTE_ENABLED: 'false',
      ALPHATRADER_SIGNALS_FOURTEEN_DTE_ENABLED: 'false',
      ALPHATRADER_SIGNALS_MOC_ENABLED: 'false',
    };
  });
  // a failed test must not leave its engine trading against the next test's
  const started: EngineProcess[] = [];
  afterEach(async () => {
    for (const e of started.splice(0)) if (e.alive) {
      e.child.kill('SIGKILL');
      await e.exited;
    }
  });
  afterAll(async () => {
    r?.disconnect();
    await alpaca?.stop();
    await redis?.stop();
  });

  async function journal(): Promise<Record<string, string>[]> {
    return (await r.xrange('orders:journal', '-', '+')).map(([, kv]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]] = kv[i + 1];
      return f;
    });
  }
  const brokerOrders = (cidPart: string) => alpaca.orders().filter((o) => String(o.client_order_id).includes(cidPart));

  async function startEngine(extra: Record<string, string> = {}): Promise<EngineProcess> {
    // A book key left by the previous engine (PTTL up to 1 s) must not pass for this engine's first mark.
    await r.del('market:{SPY}:book');
    const e = EngineProcess.start({ ...env, ...extra });
    started.push(e);
    await waitFor(() => e.has(/execution ready/) || !e.alive, 60_000, 'execution ready');
    expect(e.alive, e.raw.slice(-30).join('\n')).toBe(true);
    // marks reach execution with the first book snapshots (the same publish requests the publisher writes)
    await waitFor(async () => (await r.exists('market:{SPY}:book')) === 1, 20_000, 'books');
    return e;
  }

  async function stop(e: EngineProcess): Promise<void> {
    const { code } = await e.stop();
    expect(code).toBe(0);
  }

  it('SIGKILL between journaling and the broker: after restart one intent, no second order, the order closed', async () => {
    // Redis first (journalAhead redis: a cluster, journalSync wait): the intent is in the stream before the crash
    const crashing = await startEngine({ ALPHATRADER_FAULT_CRASH: 'after-journal', ALPHATRADER_EXECUTION_JOURNAL_AHEAD: 'redis' });
    const res = await cli(['order', 'buy', 'SPY', '10', '--id', 'crashA'], env);
    expect(res.code, res.stdout + res.stderr).toBe(4); // no answer: the engine died after journaling
    const { signal } = await crashing.exitWithin(20_000, 'SIGKILL after journaling');
    expect(signal).toBe('SIGKILL');
    const j1 = await journal();
    expect(j1.filter((f) => f.type === 'intent' && f.cid.endsWith('-crashA')).length).toBe(1);
    expect(brokerOrders('crashA').length).toBe(0);

    const engine = await startEngine();
    await waitFor(async () => (await journal()).some((f) => f.type === 'event' && f.cid.endsWith('-crashA') && f.kind === 'canceled'), 45_000, 'reconciliation to close the order (after the acknowledgement timeout)');
    // the same command again: still one intent, never a second order
    const again = await cli(['order', 'buy', 'SPY', '10', '--id', 'crashA'], env);
    expect(again.stdout).toMatch(/duplicate/);
    const j2 = await journal();
    expect(j2.filter((f) => f.type === 'intent' && f.cid.endsWith('-crashA')).length).toBe(1);
    expect(brokerOrders('crashA').length).toBe(0);
    await stop(engine);
  }, ENGINE_LIFECYCLES_MS);

  it('SIGKILL with the intent in the local journal only: the next start ships it before the replay; no order, never twice', async () => {
    const crashing = await startEngine({ ALPHATRADER_FAULT_CRASH: 'before-ship' });
    const res = await cli(['order', 'buy', 'SPY', '10', '--id', 'crashW'], env);
    expect(res.code, res.stdout + res.stderr).toBe(4); // no answer: the engine died right after the local write
    const { signal } = await crashing.exitWithin(20_000, 'SIGKILL after the local journal write');
    expect(signal).toBe('SIGKILL');
    // the intent never reached Redis: it is only in the engine's local journal file
    expect((await journal()).filter((f) => f.type === 'intent' && f.cid.endsWith('-crashW')).length).toBe(0);
    expect(brokerOrders('crashW').length).toBe(0);

    const engine = await startEngine();
    expect(engine.has(/entries of the local journal a crash kept from Redis shipped before the replay/)).toBe(true);
    expect((await journal()).filter((f) => f.type === 'intent' && f.cid.endsWith('-crashW')).length).toBe(1);
    await waitFor(async () => (await journal()).some((f) => f.type === 'event' && f.cid.endsWith('-crashW') && f.kind === 'canceled'), 45_000, 'reconciliation to close the order (after the acknowledgement timeout)');
    const again = await cli(['order', 'buy', 'SPY', '10', '--id', 'crashW'], env);
    expect(again.stdout).toMatch(/duplicate/);
    expect((await journal()).filter((f) => f.type === 'intent' && f.cid.endsWith('-crashW')).length).toBe(1);
    expect(brokerOrders('crashW').length).toBe(0);
    await stop(engine);
  }, ENGINE_LIFECYCLES_MS);

  it('SIGKILL between the broker fill and its processing: after restart the fill is counted exactly once', async () => {
    const crashing = await startEngine({ ALPHATRADER_FAULT_CRASH: 'before-fill-journal' });
    const res = await cli(['order', 'buy', 'SPY', '10', '--id', 'crashB'], env);
    // the answer "sent" may or may not beat the fill's crash; a refusal must not pass unnoticed
    expect(res.stdout, res.stderr).not.toMatch(/"ok": false/);
    const { signal } = await crashing.exitWithin(20_000, 'SIGKILL before journaling the fill');
    expect(signal).toBe('SIGKILL');
    expect(brokerOrders('crashB').length).toBe(1);
    await waitFor(() => brokerOrders('crashB')[0].status === 'filled', 10_000, 'the broker to fill');
    const before = await journal();
    expect(before.filter((f) => f.kind === 'fill' || f.kind === 'partial_fill').filter((f) => f.cid.endsWith('-crashB')).length).toBe(0);

    const engine = await startEngine();
    await waitFor(async () => (await journal()).some((f) => f.cid?.endsWith('-crashB') && f.kind === 'fill'), 20_000, 'the recovered fill');
    // a second restart must not count it again
    await stop(engine);
    const engine2 = await startEngine();
    await waitFor(async () => {
      const p = JSON.parse((await r.get('positions')) ?? '[]');
      return p.some((x: { symbol: string; qty: number }) => x.symbol === 'SPY' && x.qty === 10);
    }, 20_000, 'the SPY position');
    const j = await journal();
    const fills = j.filter((f) => (f.kind === 'fill' || f.kind === 'partial_fill') && f.cid.endsWith('-crashB'));
    const execIds = fills.map((f) => f.execId);
    expect(new Set(execIds).size).toBe(execIds.length); // each execution journaled once
    expect(fills.reduce((a, f) => a + Number(f.qty), 0)).toBe(10);
    expect(j.filter((f) => f.type === 'intent' && f.cid.endsWith('-crashB')).length).toBe(1);
    expect(brokerOrders('crashB').length).toBe(1);
    const positions = JSON.parse((await r.get('positions'))!);
    expect(positions.find((p: { symbol: string }) => p.symbol === 'SPY').qty).toBe(10);
    await stop(engine2);
  }, ENGINE_LIFECYCLES_MS);

  it('kill switch: no open orders, flat positions and the breaker tripped, within a bounded wait', async () => {
    const engine = await startEngine();
    const hasSpy = async () => JSON.parse((await r.get('positions')) ?? '[]').some((x: { symbol: string; qty: number }) => x.symbol === 'SPY' && x.qty !== 0);
    // The previous test leaves a SPY position; on its own this test makes one.
    if (!(await hasSpy())) await cli(['order', 'buy', 'SPY', '10', '--id', 'killPrep'], env);
    await waitFor(hasSpy, 20_000, 'a SPY position');
    const k = await cli(['kill', '--reason', 'test'], env);
    expect(k.code, k.stderr + k.stdout).toBe(0);
    await waitFor(async () => {
      const st = JSON.parse((await cli(['status', '--json'], env)).stdout || '{}');
      return st.breaker?.state === 'tripped' && st.openOrders?.length === 0 && st.positions?.every((p: { qty: number }) => p.qty === 0);
    }, 15_000, 'flat, no open orders, breaker tripped');
    expect(alpaca.positions().filter((p) => Number(p.qty) !== 0).length).toBe(0);
    expect(await r.get('cb:state')).toBe('tripped');
    const audit = await r.xrange('audit:stream', '-', '+');
    expect(audit.some(([, kv]) => kv.includes('kill'))).toBe(true);
    await stop(engine);
  }, ENGINE_LIFECYCLES_MS);

  it('a tripped breaker survives SIGKILL and a restart (reason kept), and only an operator reset reopens', async () => {
    await r.del('engine:halted');
    const engine = await startEngine();
    expect((await cli(['breaker', 'reset', '--reason', 'clean slate'], env)).code).toBe(0);
    const t = await cli(['breaker', 'trip', '--reason', 'x'], env);
    expect(t.code, t.stderr + t.stdout).toBe(0);
    engine.child.kill('SIGKILL');
    await engine.exitWithin(10_000, 'SIGKILL');
    const again = await startEngine();
    const st = JSON.parse((await cli(['status', '--json'], env)).stdout || '{}');
    expect(st.breaker).toMatchObject({ state: 'tripped' });
    expect(String(st.breaker.reason)).toMatch(/\bx\b/);
    expect(await r.get('cb:state')).toBe('tripped');
    const refused = await cli(['order', 'buy', 'SPY', '1', '--id', 'whileTripped'], env);
    expect(refused.stdout).toMatch(/circuit-breaker|halted/);
    expect((await cli(['breaker', 'reset', '--reason', 'checked'], env)).code).toBe(0);
    await stop(again);
  }, ENGINE_LIFECYCLES_MS);

  it('after a Redis loss the journal is adopted from the broker: our orders and fills, the position, nothing sent twice', async () => {
    await r.del('engine:halted');
    const engine = await startEngine();
    await cli(['breaker', 'reset', '--reason', 'clean slate'], env);
    const o = await cli(['order', 'buy', 'SPY', '7', '--id', 'lostJournal'], env);
    expect(o.stdout, o.stderr).toMatch(/sent/);
    await waitFor(() => brokerOrders('lostJournal')[0]?.status === 'filled', 10_000, 'the broker to fill');
    engine.child.kill('SIGKILL');
    await engine.exitWithin(10_000, 'SIGKILL');
    const before = alpaca.positions().find((p) => p.symbol === 'SPY');
    await r.flushall(); // the journal's Redis lost its data
    const again = await startEngine();
    await waitFor(async () => (await journal()).some((f) => f.type === 'intent' && f.cid.endsWith('-lostJournal') && f.purpose === 'adopted'), 20_000, 'the order adopted into the journal');
    const j = await journal();
    expect(j.filter((f) => f.cid?.endsWith('-lostJournal') && (f.kind === 'fill' || f.kind === 'partial_fill')).reduce((a, f) => a + Number(f.qty), 0)).toBe(7);
    expect(brokerOrders('lostJournal').length).toBe(1);
    await waitFor(async () => {
      const p = JSON.parse((await r.get('positions')) ?? '[]');
      return p.some((x: { symbol: string; qty: number }) => x.symbol === 'SPY' && x.qty === Number(before?.qty));
    }, 20_000, 'the SPY position equal to the broker\'s');
    await stop(again);
  }, ENGINE_LIFECYCLES_MS);

  it('strategies on, SIGKILL after journaling their first order: after restart no client id reaches the broker twice', async () => {
    await r.del('engine:halted');
    const strategiesOn = {
      ALPHATRADER_SIGNALS_ZERO_DTE_ENABLED: 'true', ALPHATRADER_SIGNALS_ONE_DTE_ENABLED: 'true',
      ALPHATRADER_SIGNALS_FOURTEEN_DTE_ENABLED: 'true', ALPHATRADER_SIGNALS_MOC_ENABLED: 'true',
    };
    const boot = await startEngine(strategiesOn);
    await cli(['breaker', 'reset', '--reason', 'clean slate'], env);
    await stop(boot);
    const intents = async () => (await journal()).filter((f) => f.type === 'intent').length;
    const n0 = await intents();
    const crashing = await startEngine({ ...strategiesOn, ALPHATRADER_FAULT_CRASH: 'after-journal' });
    // The strategies run and trade; whichever order is journaled first (theirs, or this operator order that
    // makes sure one comes on a slow host) hits the fault point.
    void cli(['order', 'buy', 'SPY', '1', '--id', 'strategiesOn'], env);
    await crashing.exitWithin(60_000, 'an order, then SIGKILL after journaling it');
    const engine = await startEngine(strategiesOn);
    // journaled locally before the crash, in the stream once the restart shipped it (before its replay)
    expect(await intents()).toBeGreaterThan(n0);
    // a few more strategy decisions on the restarted engine, then check every client id
    await waitFor(async () => (await journal()).filter((f) => f.type === 'event').length > 0, 60_000, 'journal events after the restart');
    await stop(engine);
    const j = await journal();
    const cids = j.filter((f) => f.type === 'intent').map((f) => f.cid);
    expect(new Set(cids).size).toBe(cids.length); // one intent per client id
    const byCid = new Map<string, number>();
    for (const o of alpaca.orders()) byCid.set(String(o.client_order_id), (byCid.get(String(o.client_order_id)) ?? 0) + 1);
    for (const [cid, n] of byCid) expect(n, cid).toBe(1);
  }, ENGINE_LIFECYCLES_MS);
});
