import { createRedisClient, type RedisLike } from '../engine/redis/RedisClient.js';
import { mgetAll, scanAll } from '../engine/redis/SlotGroups.js';
import { ConfigError, loadConfig } from '../engine/config/loadConfig.js';
import type { EngineStatus } from '../engine/supervisor/Supervisor.js';
import { parseCommand, seconds } from './args.js';
import { STATUS } from './commands.js';
import { clusterText, readClusterView } from './clusterStatus.js';
import { operatorRedis } from './redisTarget.js';

/** `positions` as execution publishes it: options in contracts, with the multiplier and the OCC symbol. */
type Position = { symbol: string; qty: number; avgPrice: number; realizedPnl: number; unrealizedPnl: number; kind?: 'equity' | 'option'; multiplier?: number; description?: string; occ?: string };
type Report = EngineStatus & {
  statusAgeMs: number;
  breaker: { state: string; reason: string | null; ts: number | null };
  /** runtime strategy switches (signals:strategies); null: the configuration's */
  strategies: Record<string, boolean> | null;
  /** the kill switch's halt, until an operator resets the breaker */
  halt: { reason: string; ts: number; source?: string } | null;
  /** positions that differ from the broker's, and foreign positions in the account */
  drift: { drift: { symbol: string; engine: number; broker: number }[]; foreign: { symbol: string; qty: number }[] } | null;
  positions: Position[];
  openOrders: unknown[];
  pnl: { realized: number; unrealized: number; total: number; day: number } | null;
  /** the broker account as execution last read it (account:summary); null: not read, or too old to trade on */
  account: { broker: string; accountId: string; currency: string; equity: number; cash: number; buyingPower: number; optionsBuyingPower: number; initialMargin: number; maintenanceMargin: number; readAt: number; readMs: number } | null;
  /** preservation mode (engine:preservation): no new entries after consecutive broker errors */
  preservation: { active: boolean; since: number | null; reason: string | null; consecutiveErrors: number; lastError: string | null } | null;
  /** the session's pre-open checklist (session:preopen): its failure blocks new entries */
  preopen?: { date: string; ok: boolean; blockedReason: string | null; checks: { name: string; ok: boolean; skipped: boolean; blocking: boolean; detail: string }[] } | null;
};

/** One read of the engine's state: the report, or why there is none (exit 3). */
type Snapshot = { report: Report; allAlive: boolean } | { error: string };

/**
 * `alphatrader status [--json] [--watch [--interval S]]`: what the running engine last wrote to Redis
 * (engine:status, heartbeats). Exit 0 when every actor is alive, 1 when some are not, 3 when no engine
 * status is found. With --watch it refreshes until Ctrl-C/SIGTERM (exit 0): in place on a terminal,
 * successive snapshots (--json: one JSON document per line) otherwise.
 */
export async function runStatus(argv: string[]): Promise<number> {
  const args = parseCommand(STATUS, argv);
  const watch = args.flag('watch');
  const intervalS = args.option('interval', seconds(3600, 0.1), 2);
  if (args.string('interval') !== undefined && !watch) args.fail('--interval applies only with --watch');
  let config;
  try {
    config = loadConfig({ file: args.string('config') }).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const t = operatorRedis(config);
  // Watching keeps one connection and lets it reconnect (an engine restart must not end the watch).
  const r = createRedisClient({ ...t, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: watch ? () => 1000 : () => null, connectTimeout: 2000, enableOfflineQueue: false });
  r.on('error', () => {});
  const where = `${t.host}:${t.port}`;
  const json = args.flag('json');
  if (args.flag('cluster')) {
    if (watch) args.fail('--watch does not apply with --cluster');
    return clusterStatus(r, where, json, config.symbols.map((x) => x.symbol));
  }
  try {
    if (!watch) {
      const snap = await snapshot(r, where);
      if ('error' in snap) {
        console.error(snap.error);
        return 3;
      }
      console.log(json ? JSON.stringify(snap.report, null, 2) : statusText(snap.report));
      return snap.allAlive ? 0 : 1;
    }
    return await watchLoop(r, where, intervalS * 1000, json, process.stdout);
  } finally {
    r.disconnect();
  }
}

/** `status --cluster`: exit 0 when every symbol and execution have one owner, 1 with problems, 3 no instance. */
async function clusterStatus(r: RedisLike, where: string, json: boolean, symbols: string[]): Promise<number> {
  try {
    await r.connect();
    const v = await readClusterView(r, symbols);
    if (v.instances.length === 0) {
      console.error(`no live instance in the cluster registry at ${where}: no engine runs in cluster mode (REDIS_CLUSTER_NODES) against this Redis`);
      return 3;
    }
    console.log(json ? JSON.stringify(v, null, 2) : clusterText(v));
    return v.problems.length ? 1 : 0;
  } catch (e) {
    console.error(`cannot reach Redis at ${where}: ${(e as Error).message.replace(/\.$/, '')}`);
    return 3;
  } finally {
    r.disconnect();
  }
}

/** Redraws every `everyMs` until SIGINT/SIGTERM; exit 0 (stopping a watch is how it is meant to end). */
async function watchLoop(r: RedisLike, where: string, everyMs: number, json: boolean, out: NodeJS.WriteStream): Promise<number> {
  let stop: () => void = () => {};
  const stopped = new Promise<void>((res) => (stop = res));
  let running = true;
  const onSignal = (): void => {
    running = false;
    stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (running) {
      const snap = await snapshot(r, where);
      if (!running) break;
      const body = 'error' in snap ? snap.error : json ? JSON.stringify(snap.report) : statusText(snap.report);
      out.write(watchFrame(body, !!out.isTTY && !json, new Date(), everyMs));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise<void>((res) => (timer = setTimeout(res, everyMs)))]);
      clearTimeout(timer);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * One frame of `status --watch`: on a terminal, cursor home + clear screen, then the text (redrawn in
 * place); otherwise (a pipe, a file, --json) the text after a time-stamped separator, so snapshots follow
 * one another.
 */
export function watchFrame(body: string, tty: boolean, now: Date, everyMs: number): string {
  const text = body.endsWith('\n') ? body : `${body}\n`;
  if (tty) return `\x1b[H\x1b[2J${text}\n${now.toISOString()}  every ${everyMs / 1000} s, Ctrl-C to stop\n`;
  return text.startsWith('{') ? text : `--- ${now.toISOString()}\n${text}`;
}

async function snapshot(r: RedisLike, where: string): Promise<Snapshot> {
  try {
    if (r.status === 'wait') await r.connect();
    // while watching, the client reconnects in the background: say so rather than ioredis' queue message
    else if (r.status !== 'ready') return { error: `cannot reach Redis at ${where} (reconnecting). Is the engine running?` };
    const [raw, hbKeys] = await Promise.all([r.get('engine:status'), scanAll(r, 'module:heartbeat:*')]);
    if (!raw) return { error: 'no engine:status in Redis: the engine is not running (or has not published yet)' };
    let st: EngineStatus;
    try {
      st = JSON.parse(raw) as EngineStatus;
    } catch {
      return { error: `engine:status in Redis at ${where} is not JSON: was it written by something other than the engine?` };
    }
    const heartbeats = new Set(hbKeys.map((k) => k.slice('module:heartbeat:'.length)));
    const [cbState, cbReason, cbTs, positionsRaw, openRaw, pnlRaw, strategiesRaw, haltRaw, driftRaw, accountRaw, preservationRaw, preopenRaw] = await mgetAll(r, [
      'cb:state', 'cb:reason', 'cb:ts', 'positions', 'orders:open', 'pnl', 'signals:strategies', 'engine:halted', 'execution:drift', 'account:summary', 'engine:preservation', 'session:preopen']);
    const parse = (v: string | null, d: unknown) => {
      try {
        return v ? JSON.parse(v) : d;
      } catch {
        return d;
      }
    };
    const ageMs = Date.now() - st.ts;
    const report: Report = {
      ...st,
      statusAgeMs: ageMs,
      actors: st.actors.map((a) => ({ ...a, heartbeatKey: heartbeats.has(a.name) })),
      breaker: { state: cbState ?? 'closed', reason: cbReason || null, ts: cbTs ? Number(cbTs) : null },
      positions: parse(positionsRaw, []) as Position[],
      openOrders: parse(openRaw, []) as unknown[],
      pnl: parse(pnlRaw, null) as Report['pnl'],
      strategies: parse(strategiesRaw, null) as Record<string, boolean> | null,
      halt: parse(haltRaw, null) as Report['halt'],
      drift: parse(driftRaw, null) as Report['drift'],
      account: parse(accountRaw, null) as Report['account'],
      preservation: parse(preservationRaw, null) as Report['preservation'],
      preopen: parse(preopenRaw, null) as Report['preopen'],
    };
    return { report, allAlive: report.actors.every((a) => a.alive) && ageMs < 5000 };
  } catch (e) {
    return { error: `cannot reach Redis at ${where}: ${(e as Error).message.replace(/\.$/, '')}. Is the engine running?` };
  }
}

/** One line of the broker account's figures, or why there are none. */
export function accountLine(a: Report['account']): string {
  if (!a) return 'account: not read (or older than risk.accountMaxAgeMs): entries refused until it is';
  const m = (x: number) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: 0 }) : '-');
  return `account ${a.broker}${a.accountId ? ` ${a.accountId}` : ''}: equity ${m(a.equity)} ${a.currency}, cash ${m(a.cash)}, buying power ${m(a.buyingPower)}, options BP ${m(a.optionsBuyingPower)}, margin ${m(a.initialMargin)} init / ${m(a.maintenanceMargin)} maint (read ${a.readMs} ms, ${((Date.now() - a.readAt) / 1000).toFixed(0)} s ago)`;
}

/** The session's pre-open checklist in one line: passed (with what only warns), or failed and blocking entries. */
export function preopenLine(p: Report['preopen']): string | null {
  if (!p) return null;
  const warn = p.checks.filter((c) => !c.ok && !c.blocking).map((c) => `${c.name}: ${c.detail}`);
  return p.ok ? `pre-open ${p.date}: passed${warn.length ? ` (warnings: ${warn.join('; ')})` : ''}` : `pre-open ${p.date}: FAILED, new entries blocked (${p.blockedReason ?? ''})`;
}

/** The human-readable status: one header line, then actors, P&L and positions, rings. */
export function statusText(st: Report): string {
  const out: string[] = [];
  const ageMs = st.statusAgeMs;
  const line = (cols: (string | number)[], w: number[]) => cols.map((c, i) => String(c).padEnd(w[i])).join(' ');
  out.push(`engine pid ${st.pid}, mode ${st.mode}, up ${(st.uptimeMs / 1000).toFixed(0)} s, status ${ageMs} ms old, redis ${st.redisUp ? 'up' : 'DOWN'}, breaker ${st.breaker.state}${st.breaker.reason ? ` (${st.breaker.reason})` : ''}${st.escalated ? ', ESCALATED (trading halted)' : ''}${st.halt ? `, KILLED (${st.halt.reason})` : ''}`);
  if (st.preservation?.active) out.push(`PRESERVATION MODE since ${st.preservation.since ? new Date(st.preservation.since).toISOString() : '?'}: no new entries, exits allowed (${st.preservation.reason ?? ''})`);
  out.push(accountLine(st.account));
  const pre = preopenLine(st.preopen ?? null);
  if (pre) out.push(pre);
  if (st.strategies) out.push(`strategies: ${Object.entries(st.strategies).map(([k, on]) => `${k} ${on ? 'on' : 'OFF'}`).join(', ')}`);
  for (const d of st.drift?.drift ?? []) out.push(`DRIFT ${d.symbol}: engine ${d.engine}, broker ${d.broker}`);
  for (const f of st.drift?.foreign ?? []) out.push(`foreign position (not traded): ${f.symbol} ${f.qty}`);
  const w = [14, 7, 9, 10, 9, 12, 12, 8];
  out.push(line(['actor', 'alive', 'state', 'heartbeat', 'restarts', 'msgs in', 'msgs out', 'errors'], w));
  for (const a of st.actors) {
    out.push(line([a.name, a.alive ? 'yes' : 'NO', a.state, a.heartbeatAgeMs === null ? '-' : `${a.heartbeatAgeMs} ms`, a.restarts, a.msgsIn, a.msgsOut, a.errors + a.inputErrors], w));
  }
  if (st.pnl) out.push(`P&L ${st.pnl.total.toFixed(2)} (realised ${st.pnl.realized.toFixed(2)}, unrealised ${st.pnl.unrealized.toFixed(2)}); ${st.openOrders.length} open orders`);
  for (const p of st.positions) {
    const what = p.kind === 'option' ? `${p.description ?? p.symbol} (${p.occ ?? p.symbol})` : p.symbol;
    const unit = p.kind === 'option' ? ` contracts × ${p.multiplier ?? 100}` : '';
    out.push(`  ${what.padEnd(6)} ${String(p.qty).padStart(8)}${unit} @ ${p.avgPrice.toFixed(4)}  realised ${p.realizedPnl.toFixed(2)}  unrealised ${p.unrealizedPnl.toFixed(2)}`);
  }
  out.push(line(['ring', 'producer', 'published', 'readers (lag/fill/overruns)'], [16, 14, 12, 40]));
  for (const r of st.rings) {
    out.push(line([r.name, r.producer, r.published, r.readers.map((x, i) => `${r.readerNames[i]}:${x.lag}/${(x.fill * 100).toFixed(0)}%/${x.overruns}`).join(' ')], [16, 14, 12, 40]));
  }
  return out.join('\n');
}
