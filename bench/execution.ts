/**
 * `npm run bench -- execution`: the cost of the order path inside the engine, in one run:
 *   - risk check per order (RiskEngine.check, every rule evaluated: an entry that passes),
 *   - journal append (XADD to a real redis-server on loopback, awaited: the durability point),
 *   - signal → order sent (ExecutionCore.onSignal until the broker's place() is called: sizing, risk,
 *     journal append, state), with a broker that records the call and fills at once (entries and closing
 *     orders alternate on four symbols, so working quantities and positions stay realistic): option
 *     contracts as the 0DTE/1DTE/14DTE strategies trade them (priced from a chain row), and shares (MOC), with
 *     `execution.journalSync` off (appendfsync everysec) and wait (WAITAOF where the server has it, else a
 *     server with appendfsync always: the same guarantee),
 *   - journal replay (OrderJournal.load) of 10k and 1 M entries (100k with --quick), and of the 1 M journal
 *     compacted by the retention (JournalArchive).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { freePort } from './freePort.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ExecutionCore } from '../actors/execution/ExecutionCore.js';
import { archiveJournal } from '../actors/execution/JournalArchive.js';
import { OrderJournal } from '../actors/execution/OrderJournal.js';
import { Portfolio } from '../actors/execution/Portfolio.js';
import { RiskEngine } from '../actors/execution/risk/RiskEngine.js';
import { newOrderRecord } from '../actors/execution/OrderBookkeeping.js';
import type { Broker, BrokerEvent, BrokerOrder } from '../actors/execution/brokers/types.js';
import { loadConfig } from '../engine/config/loadConfig.js';
import type { EngineConfig } from '../engine/config/schema.js';
import { readPersistence } from '../engine/config/startupChecks.js';
import { createLogger } from '../engine/log/logger.js';
import { pct } from './pingPong.js';

/** Records when place() was called; fills each order at once (the next macrotask), as a liquid venue would. */
class RecordingBroker implements Broker {
  readonly name = 'paper' as const;
  placedAt = new Map<string, number>();
  private cb: (e: BrokerEvent) => void = () => {};
  private exec = 0;
  async connect() {}
  async close() {}
  async place(o: BrokerOrder) {
    this.placedAt.set(o.clientOrderId, performance.now());
    setImmediate(() => this.cb({ kind: 'fill', clientOrderId: o.clientOrderId, execId: `b${++this.exec}`, price: 100, qty: o.qty, cumQty: o.qty, leavesQty: 0, ts: Date.now() }));
  }
  async cancel() {}
  async cancelAll() { return 0; }
  async positions() { return []; }
  async openOrders() { return []; }
  async orderByClientId() { return null; }
  async fills() { return []; }
  async account() {
    return { equity: 1e9, cash: 1e9, buyingPower: 2e9, optionsBuyingPower: 1e9, initialMargin: 0, maintenanceMargin: 0, currency: 'USD', accountId: 'bench' };
  }
  onEvent(cb: (e: BrokerEvent) => void) {
    this.cb = cb;
  }
}

async function redisServer(extra: string[]): Promise<{ redis: Redis; server: ChildProcess }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'at-bench-redis-'));
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...extra], { stdio: 'ignore' });
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  for (let i = 0; i < 100; i++) {
    try {
      await redis.connect();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { redis, server };
}

/**
 * signal → place() latencies (µs) for `n` signals through a fresh ExecutionCore on `redis`. `options`: 0DTE
 * signals carrying the contract signals chose (a call, or a put short), priced from a chain row as execution
 * does without a live quote: the engine's default. `shares`: MOC signals (the strategy that trades shares).
 */
async function signalToOrder(cfg: EngineConfig, redis: Redis, n: number, waitAof: boolean, kind: 'options' | 'shares'): Promise<number[]> {
  const symbols = ['SYM0', 'SYM1', 'SYM2', 'SYM3'].map((symbol) => ({ symbol, level2: false, basePrice: 100, numRows: 5 }));
  const broker = new RecordingBroker();
  await redis.del('orders:journal');
  const core = new ExecutionCore({ ...cfg, symbols }, broker, redis, {
    nowMs: () => Date.now(), sessionDate: () => '20260101', marketOpen: () => true, tradingHalted: () => false, setTradingHalted() {},
    publishBreaker() {}, onOrderEvent() {}, fault() {},
  }, createLogger({ level: 'silent', pretty: 'never' }));
  core.journal.waitAof = waitAof;
  await core.start();
  // a week out: no same-day cutoff; one call and one put at 100 per symbol, liquid, with greeks
  const expiry = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  for (const { symbol } of symbols) {
    const rows = (['call', 'put'] as const).map((type) => ({ id: `${symbol}-${type}`, expiration: expiry, strike: 100, type, bid: 1.0, ask: 1.02, bidSize: 100, askSize: 100, oi: 5000 }));
    core.options.applyKey(`options:{${symbol}}:chain`, { contracts: rows }, Date.now() + 3_600_000); // fresh for the run
    core.options.applyKey(`options:{${symbol}}:greeks`, { contracts: rows.map((r) => ({ id: r.id, delta: r.type === 'call' ? 0.5 : -0.5, gamma: 0.05, vega: 0.1, theta: -0.2 })) }, Date.now());
  }
  const strategy = kind === 'options' ? 1 : 4;
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const sym = symbols[i % 4].symbol;
    // entries and closing orders alternate per symbol: every signal makes an order
    const direction = Math.floor(i / 4) % 2 ? -1 : 1;
    const option = kind === 'options' ? { expiry, right: direction > 0 ? 'C' as const : 'P' as const, strike: 100 } : undefined;
    const s = performance.now();
    const out = await core.onSignal({ symbol: sym, strategy, signalId: i, direction, confidence: 0.5, price: 100, target: 101, stop: 99, expiresMs: 0, option });
    const placed = broker.placedAt.get(`AT-20260101-${kind === 'options' ? '0DTE' : 'MOC'}-${sym}-${i}`);
    if (placed === undefined) throw new Error(`${kind} signal ${i} did not become an order: ${out}`);
    lat.push((placed - s) * 1000);
    await core.queue.idle(); // its fill is applied before the next signal on the symbol
  }
  await core.settled();
  core.queue.pause();
  return lat.sort((a, b) => a - b);
}

/** Writes `n` journal entries (intent + fill pairs, closed orders spread over 30 days) with pipelined XADDs. */
async function fillJournal(redis: Redis, stream: string, n: number): Promise<void> {
  await redis.del(stream);
  const day = 86_400_000;
  const t0 = Date.now() - 30 * day;
  for (let i = 0; i < n; i += 10_000) {
    const p = redis.pipeline();
    for (let k = i; k < Math.min(n, i + 10_000); k += 2) {
      const ts = String(Math.floor(t0 + (k / n) * 30 * day));
      const cid = `AT-B-${k}`;
      const sym = `S${k % 8}`;
      p.xadd(stream, '*', 'type', 'intent', 'cid', cid, 'symbol', sym, 'side', k % 4 ? 'buy' : 'sell', 'qty', '10', 'orderType', 'market', 'limitPrice', '', 'stopPrice', '', 'tif', 'day', 'strategy', '1', 'reduceOnly', '0', 'ts', ts, 'purpose', 'entry', 'parent', '');
      p.xadd(stream, '*', 'type', 'event', 'cid', cid, 'kind', 'fill', 'ts', ts, 'execId', `x${k}`, 'price', String(100 + (k % 50) / 10), 'qty', '10', 'cumQty', '10', 'leavesQty', '0');
    }
    await p.exec();
  }
}

async function timeLoad(redis: Redis, stream: string): Promise<{ ms: number; entries: number }> {
  const t = performance.now();
  const l = await new OrderJournal(redis, stream).load(Date.now());
  return { ms: +(performance.now() - t).toFixed(1), entries: l.entries };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const base = loadConfig({ env: {} }).config;
  // Limits out of the way: every signal must become an order (the day's option premium would stop a run of thousands).
  const options = { ...base.risk.options, maxPremiumPerDay: 1e12, maxContractsPerUnderlying: 1e9, maxContractsPerContract: 1e9, maxNetDelta: 1e12, maxNetGamma: 1e12, maxNetVega: 1e12, maxNetTheta: 1e12 };
  const cfg = { ...base, risk: { ...base.risk, options, maxOrdersPerSecond: 1_000_000, requireMarketHours: false, maxPositionPerSymbol: 1e12, maxNotionalPerOrder: 1e12, varLimit: 1e15, maxOpenPositions: 1_000_000, dailyLossLimit: 1e12, maxDrawdown: 1e12 } };

  // Risk check per order.
  const pf = new Portfolio(1e7);
  for (let i = 0; i < 4; i++) pf.applyFill(`S${i}`, 100, 100);
  const risk = new RiskEngine(cfg.risk, pf);
  risk.correlation = { SPY: { S0: 0.2, S1: 0.3, S2: 0.1, S3: 0.4 } };
  const N = quick ? 100_000 : 2_000_000;
  let ok = 0;
  const o = { symbol: 'SPY', side: 1 as const, qty: 10, price: 590, reduceOnly: false, nowMs: 0, marketOpen: true, dailyVol: 0.01 };
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    o.nowMs = i;
    if (risk.check(o, false, false).ok) ok++;
  }
  const riskNs = ((performance.now() - t0) * 1e6) / N;
  if (ok !== N) throw new Error(`risk refused ${N - ok} of the benchmark's orders`);

  // Two real redis-servers: the default durability (AOF, fsync every second) and appendfsync always.
  const everysec = await redisServer(['--appendonly', 'yes', '--appendfsync', 'everysec']);
  const always = await redisServer(['--appendonly', 'yes', '--appendfsync', 'always']);
  try {
    const journal = new OrderJournal(everysec.redis, 'bench:journal');
    const M = quick ? 2000 : 20_000;
    const appendUs: number[] = [];
    for (let i = 0; i < M; i++) {
      const rec = newOrderRecord({ clientOrderId: `B-${i}`, symbol: 'SPY', side: 'buy', qty: 10, type: 'market', tif: 'day' }, Date.now(), 1, false);
      const s = performance.now();
      await journal.appendIntent(rec);
      appendUs.push((performance.now() - s) * 1000);
    }
    appendUs.sort((a, b) => a - b);

    const S = quick ? 2000 : 20_000;
    const off = await signalToOrder(cfg, everysec.redis, S, false, 'options');
    const shares = await signalToOrder(cfg, everysec.redis, S, false, 'shares');
    const p = await readPersistence(everysec.redis);
    // journalSync wait: WAITAOF where the server has it; this host's Redis may predate it (7.2), then the
    // equivalent guarantee is a server with appendfsync always (the engine requires one or the other).
    const wait = p.waitaof ? await signalToOrder(cfg, everysec.redis, S, true, 'options') : await signalToOrder(cfg, always.redis, S, false, 'options');
    const waitHow = p.waitaof ? 'WAITAOF 1 0 after each intent' : `appendfsync always (Redis ${p.version} has no WAITAOF)`;

    const big = quick ? 100_000 : 1_000_000;
    await fillJournal(everysec.redis, 'bench:replay10k', 10_000);
    const r10k = await timeLoad(everysec.redis, 'bench:replay10k');
    await fillJournal(everysec.redis, 'bench:replayBig', big);
    const rBig = await timeLoad(everysec.redis, 'bench:replayBig');
    const ta = performance.now();
    const arch = await archiveJournal(everysec.redis, 'bench:replayBig', Date.now(), 5);
    const archiveMs = +(performance.now() - ta).toFixed(0);
    const rCompact = await timeLoad(everysec.redis, 'bench:replayBig');

    const results = [
      { name: 'risk-check', ns_per_order: Math.round(riskNs), orders: N },
      { name: 'journal-append', p50_us: +pct(appendUs, 50).toFixed(1), p99_us: +pct(appendUs, 99).toFixed(1), appends: M },
      { name: 'signal-to-order-sent journalSync=off', p50_us: +pct(off, 50).toFixed(1), p99_us: +pct(off, 99).toFixed(1), signals: S, note: 'option contracts (0DTE, priced from the chain), the journal append awaited (appendfsync everysec)' },
      { name: 'signal-to-order-sent shares journalSync=off', p50_us: +pct(shares, 50).toFixed(1), p99_us: +pct(shares, 99).toFixed(1), signals: S, note: 'shares (MOC), the journal append awaited (appendfsync everysec)' },
      { name: 'signal-to-order-sent journalSync=wait', p50_us: +pct(wait, 50).toFixed(1), p99_us: +pct(wait, 99).toFixed(1), signals: S, note: `option contracts; ${waitHow}` },
      { name: 'journal-replay 10k', ms: r10k.ms, entries: r10k.entries },
      { name: `journal-replay ${big >= 1e6 ? '1M' : `${big / 1000}k`}`, ms: rBig.ms, entries: rBig.entries, entries_per_s: Math.round(rBig.entries / (rBig.ms / 1000)) },
      { name: 'journal-archive (retention 5 days of 30)', ms: archiveMs, archived: arch.archived, kept: arch.kept, carried: arch.carried },
      { name: 'journal-replay after retention', ms: rCompact.ms, entries: rCompact.entries },
    ];
    return { suite: 'execution', results };
  } finally {
    for (const s of [everysec, always]) {
      s.redis.disconnect();
      s.server.kill('SIGKILL');
    }
  }
}
