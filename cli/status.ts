import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../engine/config/loadConfig.js';
import type { EngineStatus } from '../engine/supervisor/Supervisor.js';
import { operatorRedis } from './redisTarget.js';

/**
 * `alphatrader status [--json]`: what the running engine last wrote to Redis (engine:status, heartbeats).
 * Exit 0 when every actor is alive, 1 when some are not, 3 when no engine status is found.
 */
export async function runStatus(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, config: { type: 'string', short: 'c' } }, strict: true });
  let config;
  try {
    config = loadConfig({ file: values.config }).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const t = operatorRedis(config);
  const r = new Redis({ ...t, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000, enableOfflineQueue: false });
  r.on('error', () => {});
  try {
    await r.connect();
  } catch (e) {
    console.error(`cannot reach Redis at ${t.host}:${t.port}: ${(e as Error).message}. Is the engine running?`);
    return 3;
  }
  try {
    const [raw, hbKeys] = await Promise.all([r.get('engine:status'), scanAll(r, 'module:heartbeat:*')]);
    if (!raw) {
      console.error('no engine:status in Redis: the engine is not running (or has not published yet)');
      return 3;
    }
    const st = JSON.parse(raw) as EngineStatus;
    const heartbeats = new Set(hbKeys.map((k) => k.slice('module:heartbeat:'.length)));
    const [cbState, cbReason, cbTs, positionsRaw, openRaw, pnlRaw] = await r.mget('cb:state', 'cb:reason', 'cb:ts', 'positions', 'orders:open', 'pnl');
    const parse = (v: string | null, d: unknown) => {
      try {
        return v ? JSON.parse(v) : d;
      } catch {
        return d;
      }
    };
    const ageMs = Date.now() - st.ts;
    const report = {
      ...st,
      statusAgeMs: ageMs,
      actors: st.actors.map((a) => ({ ...a, heartbeatKey: heartbeats.has(a.name) })),
      breaker: { state: cbState ?? 'closed', reason: cbReason || null, ts: cbTs ? Number(cbTs) : null },
      positions: parse(positionsRaw, []) as { symbol: string; qty: number; avgPrice: number; realizedPnl: number; unrealizedPnl: number }[],
      openOrders: parse(openRaw, []) as unknown[],
      pnl: parse(pnlRaw, null) as { realized: number; unrealized: number; total: number; day: number } | null,
    };
    const allAlive = report.actors.every((a) => a.alive) && ageMs < 5000;
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else printTable(report, ageMs);
    return allAlive ? 0 : 1;
  } finally {
    r.disconnect();
  }
}

async function scanAll(r: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

function printTable(st: EngineStatus & { breaker: { state: string }; positions: { symbol: string; qty: number; avgPrice: number; realizedPnl: number; unrealizedPnl: number }[]; openOrders: unknown[]; pnl: { total: number; realized: number; unrealized: number } | null }, ageMs: number): void {
  const line = (cols: (string | number)[], w: number[]) => cols.map((c, i) => String(c).padEnd(w[i])).join(' ');
  console.log(`engine pid ${st.pid}, mode ${st.mode}, up ${(st.uptimeMs / 1000).toFixed(0)} s, status ${ageMs} ms old, redis ${st.redisUp ? 'up' : 'DOWN'}, breaker ${st.breaker.state}${st.escalated ? ', ESCALATED (trading halted)' : ''}`);
  const w = [14, 7, 9, 10, 9, 12, 12, 8];
  console.log(line(['actor', 'alive', 'state', 'heartbeat', 'restarts', 'msgs in', 'msgs out', 'errors'], w));
  for (const a of st.actors) {
    console.log(line([a.name, a.alive ? 'yes' : 'NO', a.state, a.heartbeatAgeMs === null ? '-' : `${a.heartbeatAgeMs} ms`, a.restarts, a.msgsIn, a.msgsOut, a.errors + a.inputErrors], w));
  }
  if (st.pnl) console.log(`P&L ${st.pnl.total.toFixed(2)} (realised ${st.pnl.realized.toFixed(2)}, unrealised ${st.pnl.unrealized.toFixed(2)}); ${st.openOrders.length} open orders`);
  for (const p of st.positions) console.log(`  ${p.symbol.padEnd(6)} ${String(p.qty).padStart(8)} @ ${p.avgPrice.toFixed(4)}  realised ${p.realizedPnl.toFixed(2)}  unrealised ${p.unrealizedPnl.toFixed(2)}`);
  console.log(line(['ring', 'producer', 'published', 'readers (lag/fill/overruns)'], [16, 14, 12, 40]));
  for (const r of st.rings) {
    console.log(line([r.name, r.producer, r.published, r.readers.map((x, i) => `${r.readerNames[i]}:${x.lag}/${(x.fill * 100).toFixed(0)}%/${x.overruns}`).join(' ')], [16, 14, 12, 40]));
  }
}
