/**
 * `npm run bench -- execution`: the cost of the order path inside the engine, in one run:
 *   - risk check per order (RiskEngine.check, every rule evaluated: an entry that passes),
 *   - journal append (XADD to a real redis-server on loopback, awaited: the durability point),
 *   - signal → order sent (ExecutionCore.onSignal until the broker's place() is called: sizing, risk,
 *     journal append, state), with a broker that only records the call.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { freePort } from './freePort.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ExecutionCore } from '../actors/execution/ExecutionCore.js';
import { OrderJournal } from '../actors/execution/OrderJournal.js';
import { Portfolio } from '../actors/execution/Portfolio.js';
import { RiskEngine } from '../actors/execution/risk/RiskEngine.js';
import { newOrderRecord } from '../actors/execution/OrderBookkeeping.js';
import type { Broker, BrokerEvent, BrokerOrder } from '../actors/execution/brokers/types.js';
import { loadConfig } from '../engine/config/loadConfig.js';
import { createLogger } from '../engine/log/logger.js';
import { pct } from './pingPong.js';



class RecordingBroker implements Broker {
  readonly name = 'paper' as const;
  placedAt = new Map<string, number>();
  async connect() {}
  async close() {}
  async place(o: BrokerOrder) {
    this.placedAt.set(o.clientOrderId, performance.now());
  }
  async cancel() {}
  async cancelAll() { return 0; }
  async positions() { return []; }
  async openOrders() { return []; }
  async orderByClientId() { return null; }
  async fills() { return []; }
  onEvent(_cb: (e: BrokerEvent) => void) {}
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const base = loadConfig({ env: {} }).config;
  const cfg = { ...base, risk: { ...base.risk, maxOrdersPerSecond: 1_000_000, requireMarketHours: false, maxPositionPerSymbol: 1e12, maxNotionalPerOrder: 1e12, varLimit: 1e15, maxOpenPositions: 1_000_000 } };

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

  // A real redis-server for the journal.
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'at-bench-redis-'));
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir], { stdio: 'ignore' });
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
  try {
    const journal = new OrderJournal(redis, 'bench:journal');
    const M = quick ? 2000 : 20_000;
    const appendUs: number[] = [];
    for (let i = 0; i < M; i++) {
      const rec = newOrderRecord({ clientOrderId: `B-${i}`, symbol: 'SPY', side: 'buy', qty: 10, type: 'market', tif: 'day' }, Date.now(), 1, false);
      const s = performance.now();
      await journal.appendIntent(rec);
      appendUs.push((performance.now() - s) * 1000);
    }

    const broker = new RecordingBroker();
    const core = new ExecutionCore(cfg, broker, redis, {
      nowMs: () => Date.now(), sessionDate: () => '20260101', marketOpen: () => true, tradingHalted: () => false, setTradingHalted() {},
      publishBreaker() {}, onOrderEvent() {}, fault() {},
    }, createLogger({ level: 'silent', pretty: 'never' }));
    await redis.del('orders:journal');
    await core.start();
    const S = quick ? 2000 : 20_000;
    const latUs: number[] = [];
    for (let i = 0; i < S; i++) {
      const sym = `SYM${i}`; // a fresh symbol each time: always an entry, never "already positioned"
      const s = performance.now();
      await core.onSignal({ symbol: sym, strategy: 1, signalId: i, direction: 1, confidence: 0.5, price: 100, target: 101, stop: 99, expiresMs: 0 });
      const placed = broker.placedAt.get(`AT-20260101-0DTE-${sym}-${i}`);
      if (placed === undefined) throw new Error(`signal ${i} did not become an order`);
      latUs.push((placed - s) * 1000);
    }
    appendUs.sort((a, b) => a - b);
    latUs.sort((a, b) => a - b);
    const results = [
      { name: 'risk-check', ns_per_order: Math.round(riskNs), orders: N },
      { name: 'journal-append', p50_us: +pct(appendUs, 50).toFixed(1), p99_us: +pct(appendUs, 99).toFixed(1), appends: M },
      { name: 'signal-to-order-sent', p50_us: +pct(latUs, 50).toFixed(1), p99_us: +pct(latUs, 99).toFixed(1), signals: S, note: 'includes the awaited journal XADD' },
    ];
    return { suite: 'execution', results };
  } finally {
    redis.disconnect();
    server.kill('SIGKILL');
  }
}
