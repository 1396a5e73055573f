import { clusterNodesFromEnv, createRedisClient } from '../../engine/redis/RedisClient.js';
import { ExecutionLease } from '../../engine/cluster/ExecutionLease.js';
import { INSTANCE_TTL_MS, instanceIdFromEnv } from '../../engine/cluster/ClusterKeys.js';
import type { StepDownReason } from '../../engine/cluster/LeaseHolder.js';
import { SignalRelay, signalKey, type RelayedSignal } from '../../engine/cluster/SignalRelay.js';
import { redisEndpoint } from '../../engine/redis/redisOptions.js';
import { journalDurabilityError, readPersistence } from '../../engine/config/startupChecks.js';
import { etDate, NYSE } from '../../analytics/calendar.js';
import { msgSymbol, msgType, msgIngestNs, msgEventNs } from '../../engine/codec/Header.js';
import { OrderEvent, OrderStatus, Signal } from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import { clockFor } from '../../engine/clock/index.js';
import type { ActorContext } from '../../engine/runtime/ActorContext.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';
import type { PublishRequest } from '../../engine/runtime/ColdMessage.js';
import { CONTROL } from '../../engine/runtime/HealthTable.js';
import { COMMAND_STREAM, COMMAND_WAIT_MS, commandAnswerKey, sendOperatorCommand } from '../../engine/redis/operatorCommands.js';
import { createBroker } from './createBroker.js';
import type { PaperBook } from './brokers/index.js';
import type { BrokerEvent } from './brokers/types.js';
import type { OrderRecord } from './OrderBookkeeping.js';
import { ExecutionCore, STRATEGY_NAMES, type SignalInput } from './ExecutionCore.js';
import { applyBookSnapshot } from './bookInput.js';
import { RemoteMarket } from './RemoteMarket.js';
import { SERVED_SYMBOLS_TOPIC, ServedSymbols } from '../../engine/cluster/ServedSymbols.js';

import { InputRecorder } from '../../engine/replay/RecordedInputs.js';
import { STRATEGIES_KEY, STRATEGY_KEYS } from '../signals/strategySwitches.js';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { EngineConfig } from '../../engine/config/schema.js';
import { dataDir } from '../../engine/redis/RedisLauncher.js';
import { JournalShipper } from './JournalShipper.js';
import { JournalWal } from './JournalWal.js';
import { Episodes } from '../../engine/alerts/Episodes.js';
import { ReportStore } from './report/ReportStore.js';
import { SessionRoutines } from './session/SessionRoutines.js';
import { SessionScheduler } from './session/SessionSchedule.js';
import { vpinToxicAlert } from './session/vpinAlert.js';
import { describe } from '../../analytics/instrument.js';
import { OPTION_QUOTES_TOPIC, OPTION_SUBSCRIPTIONS_TOPIC, type OptionQuote } from '../../analytics/optionQuote.js';
import { SubscriptionSender } from '../../analytics/subscriptionSender.js';
import { expiryIso } from '../signals/contractChoice.js';

/** How often the execution owner reads the books of symbols served elsewhere (a mark at most this old, plus the owner's flush). */
const REMOTE_MARKET_POLL_MS = 100;

const OPTION_CHAIN_KEY = /^options:\{[^}]+\}:(chain|greeks)$/;

const STATUS_CODE: Record<string, number> = {
  new: OrderStatus.New, accepted: OrderStatus.Accepted, partially_filled: OrderStatus.PartiallyFilled, filled: OrderStatus.Filled,
  cancelled: OrderStatus.Cancelled, rejected: OrderStatus.Rejected, expired: OrderStatus.Expired,
};

/**
 * Execution actor: reads signals (lossless ring), runs them through risk, the journal and the broker;
 * reconciles with the broker before the first order and periodically; publishes positions, orders, P&L,
 * performance and the breaker; takes kill / flatten / breaker commands from the dashboard (cold path) and
 * from the CLI (the `engine:commands` Redis Stream, answered in `engine:command:<id>`).
 */
const create: ActorFactory = async (ctx: ActorContext) => {
  const cfg = ctx.config;
  const redisOpts = {
    ...redisEndpoint(ctx.runtime.redisUrl, ctx.runtime.redisPassword, ctx.runtime.redisUsername as string | undefined),
    maxRetriesPerRequest: 1, enableOfflineQueue: false,
    retryStrategy: (t: number) => Math.min(100 * t, 2000),
    // A stalled Redis must fail an order (one clear reason), not freeze orders, fills and the kill switch.
    commandTimeout: cfg.execution.redisTimeoutMs,
  };
  const sessionClocked = cfg.engine.mode === 'simulated' || cfg.execution.broker === 'paper';
  const redis = createRedisClient({ ...redisOpts, connectionName: 'alphatrader-execution' });
  const commands = createRedisClient({ ...redisOpts, connectionName: 'alphatrader-execution-commands' });
  redis.on('error', () => {});
  commands.on('error', () => {});
  const clock = clockFor(cfg, ctx.runtime.engineStartMs as number | undefined); // the engine's one session clock
  const books = new Map<string, PaperBook>();
  // A recorded run keeps execution's cold inputs (book snapshots, the book each paper order filled against)
  // at [signals consumed, broker events applied], and its orders and fills as outputs to check a replay by.
  const recorder = InputRecorder.of(cfg, 'execution', (to, topic, p) => ctx.send(to, topic, p));
  let signalsConsumed = 0;
  const position = () => [signalsConsumed, core.counters.brokerEvents];
  const paperBook = (sym: string, cid?: string) => {
    const b = books.get(sym) ?? core.optionBook(sym);
    if (cid && recorder.on) recorder.record('paper-book', position(), { cid, book: b ?? null });
    return b;
  };
  const broker = createBroker(cfg, ctx, paperBook, clock); // paper: the close and auctions on the session clock
  const seenOrders = new Set<string>();
  const out = ctx.output('orders-out');
  const timers: NodeJS.Timeout[] = [];
  let stopping = false;
  const strategies = new Map<string, number>();

  /** An order's state on the hot path (orders-out); `e` the broker event behind it, none when just sent. */
  const writeOrderEvent = (r: OrderRecord, e: BrokerEvent | undefined, ts: number): void => {
    const o = out.claim();
    if (o < 0) return;
    const now = ctx.clock.nowNs();
    // An order from a signal carries its tick's times, so tick → order is read straight off the ring; its
    // dequeueNs is when execution read the signal, splitting the time before execution from the time in it.
    // an option's order events are filed under its underlying (the ring's symbol ids are the configured symbols)
    const sym = r.order.instrument?.kind === 'option' ? r.order.instrument.underlying : r.order.symbol;
    const h = out.stamp(Math.max(0, ctx.symbols.id(sym)), r.originEventNs ?? Date.now() * 1e6, r.originIngestNs ?? now, r.originDequeueNs ?? now);
    const fill = e?.kind === 'fill' || e?.kind === 'partial_fill' ? e : undefined;
    OrderEvent.write(out.view, o, h, r.strategy, 0, 0, STATUS_CODE[r.state] ?? 0, r.order.side === 'buy' ? 1 : -1, r.filledQty,
      r.order.qty - r.filledQty, fill ? fill.price : NaN, fill ? fill.qty : 0, r.avgPrice, ts);
    out.publish();
  };

  const core = new ExecutionCore(cfg, broker, redis, {
    nowMs: () => clock.nowMs(),
    sessionDate: (ms) => etDate(ms).replace(/-/g, ''),
    // A real broker trades in real hours: only the in-engine paper broker follows the simulated session clock.
    // Simulated venues (and the paper broker) run on the session clock, a live venue on the wall clock: with
    // broker ibkr or alpaca against the embedded simulators the market is open when their session says so.
    marketOpen: (ms) => NYSE.isOpenAt(sessionClocked ? ms : Date.now()),
    tradingHalted: () => ctx.control.get(CONTROL.tradingHalted) === 1,
    setTradingHalted: (on) => ctx.control.set(CONTROL.tradingHalted, on ? 1 : 0),
    escalated: () => ctx.control.get(CONTROL.escalated) === 1,
    // cb:* are written by execution itself (ExecutionState); this only audits and feeds the dashboard.
    publishBreaker: (state, reason, ts) => {
      ctx.publishMany([
        { key: 'cb:state', value: state, ttlMs: 0 },
        { key: 'cb:reason', value: reason ?? '', ttlMs: 0 },
        { key: 'cb:ts', value: String(ts), ttlMs: 0 },
      ]);
      ctx.appendStream('audit:stream', { action: 'breaker', state, reason: reason ?? '', ts });
      if (state === 'tripped') ctx.send('supervisor', 'alert', { rule: 'breaker-trip', severity: 'critical', title: 'Circuit breaker tripped', text: reason ?? '', key: 'breaker', endEpisode: 'breaker-recovered', fields: { breaker: state, reason: reason ?? '' } });
      else ctx.send('supervisor', 'alert', { rule: 'breaker-recovered', severity: 'info', title: 'Circuit breaker closed: entries allowed again', text: 'closed', key: 'breaker', endEpisode: 'breaker-trip' });
    },
    alert: (a) => ctx.send('supervisor', 'alert', a),
    preservation: () => publishState(), // engine:preservation at once, not at the next second
    journalHealth: (ok, reason) => {
      ctx.setDegraded(!ok);
      if (ok) ctx.log.info('journal Redis answers again: orders flow');
      else ctx.log.error({ reason }, 'journal Redis failing: every order is refused until it answers (unhealthy)');
      if (ok) ctx.send('supervisor', 'alert', { rule: 'journal-recovered', severity: 'info', title: 'Order journal writable again', text: 'orders flow', key: 'journal', endEpisode: 'journal-failure' });
      else ctx.send('supervisor', 'alert', { rule: 'journal-failure', severity: 'critical', title: 'Order journal unavailable: orders refused', text: reason ?? '', key: 'journal' });
    },
    onOrderSent: (r) => writeOrderEvent(r, undefined, Date.now()),
    onOrderEvent: (r, e) => {
      writeOrderEvent(r, e, e.ts);
      if (recorder.on) {
        const cid = r.order.clientOrderId;
        if (!seenOrders.has(cid)) {
          seenOrders.add(cid);
          recorder.record('out:order', position(), { cid, side: r.order.side, qty: r.order.qty, type: r.order.type, strategy: r.strategy, parent: r.parent ?? null });
        }
        if (e.kind === 'fill' || e.kind === 'partial_fill') recorder.record('out:fill', position(), { cid, price: e.price, qty: e.qty });
      }
      ctx.appendStream('orders:events', {
        cid: r.order.clientOrderId, symbol: r.order.symbol, ...(r.order.instrument?.kind === 'option' ? { occ: r.order.instrument.occ, underlying: r.order.instrument.underlying } : {}),
        state: r.state, kind: e.kind, filled: r.filledQty, avgPrice: r.avgPrice, ts: e.ts,
      }, 100_000);
    },
    optionDecision: (d) => {
      if (recorder.on) recorder.record('option-cancel', position(), d);
    },
    // A signal taken while earlier orders' fills are still waiting in the queue sees them working, not filled:
    // the recording keeps the broker events applied at each signal's turn (position()[1]) for a replay to match.
    signalTurn: (s) => {
      if (recorder.on) recorder.record('signal-turn', position(), { symbol: s.symbol, id: s.signalId });
    },
    fault: (point) => {
      // Crash-test hooks (tests only): die exactly between two steps that must survive a crash.
      if (process.env.ALPHATRADER_FAULT_CRASH === point) {
        ctx.log.warn({ point }, 'fault injection: SIGKILL');
        process.kill(process.pid, 'SIGKILL');
      }
    },
  }, ctx.log);

  /**
   * Cluster mode (REDIS_CLUSTER_NODES, issue 15): only the holder of the execution lease trades. This actor
   * waits for the lease before it replays the journal, connects to the broker and reconciles; every journal
   * append goes through the lease's fence; losing the lease stops orders, appends, the session routines and
   * the broker connection, and waits for the lease again. A single host has no lease (owner null).
   */
  const owner = clusterNodesFromEnv() ? new ExecutionLease(redis, {
    me: instanceIdFromEnv(), ttlMs: INSTANCE_TTL_MS, journal: core.journal.stream,
    onLead: (token) => ctx.log.info({ token }, 'execution lease granted: journal fenced at this token; reconciling with the broker before any order'),
    onStepDown: (reason, token) => stepDown(reason, token),
  }) : null;
  if (owner) core.journal.fenced = (f) => owner.append(f);
  // Single host: the order path waits for a local write, not for Redis (decision 113). A cluster needs the
  // journal's fence on every append, and journalSync wait needs Redis's AOF first: both keep Redis first.
  const ahead = !owner && cfg.execution.journalAhead === 'local' && cfg.execution.journalSync === 'off'
    ? new JournalShipper(redis, core.journal.stream, new JournalWal(walFile(cfg, ctx.runtime.redisUrl, core.journal.stream)), {
      onHealth: (ok, reason) => core.journalShipping(ok, reason),
      retryMs: 200,
      afterLocalWrite: (f) => {
        // crash test: an intent in the local file only (never shipped): the next start must ship it before the replay
        if (f[1] === 'intent' && process.env.ALPHATRADER_FAULT_CRASH === 'before-ship') process.kill(process.pid, 'SIGKILL');
      },
    })
    : null;
  core.journal.ahead = ahead;
  // Cluster mode: a follower hands its signals (the symbols its instance serves) to the owner through
  // `{execution}:signals`; the owner reads them on a connection of its own (a blocking read).
  const relayRedis = owner ? createRedisClient({ ...redisOpts, connectionName: 'alphatrader-execution-signals' }) : null;
  relayRedis?.on('error', () => {});
  const relay = relayRedis ? new SignalRelay(relayRedis, { consumer: instanceIdFromEnv() }) : null;
  // Cluster mode: the books (marks, paper fills) and VPIN of the symbols other instances serve, read from Redis.
  const served = ServedSymbols.forEnv(ctx.symbols.names);
  const remote = owner ? new RemoteMarket(redis, served, (key, value) => onPublish({ key, value, ttlMs: 0 })) : null;
  /** bumped on every step-down: what a term started (timers, the command loop, a start-up) ends with it */
  let term = 0;
  const termTimers: NodeJS.Timeout[] = [];
  const following = () => owner !== null && owner.token === null;

  // The operator's day on the session clock: pre-open checklist, intraday flatten, end-of-day report.
  const store = new ReportStore(redis, cfg, NYSE, join(dataDir(cfg), 'reports'));
  const heartbeats = new Map<string, { connected: boolean | null; wall: number }>();
  const routines = new SessionRoutines({
    cfg, core, redis, clock, cal: NYSE, store, log: ctx.log,
    venues: () => [...heartbeats].map(([name, h]) => ({ name, connected: h.connected, ageMs: Date.now() - h.wall })),
    alert: (a) => ctx.send('supervisor', 'alert', a),
  });
  const scheduler = new SessionScheduler(NYSE, cfg.session, clock, routines.run, (r, err) => ctx.log.error({ routine: r, err: String(err) }, 'session routine failed'));
  const toxic = new Episodes();
  /** VPIN toxic on a symbol the engine holds: one alert per episode (ends when VPIN clears or the position closes). */
  const onVpin = (symbol: string, v: Record<string, unknown>) => {
    const a = vpinToxicAlert(toxic, symbol, v, core.position(symbol));
    if (a) ctx.send('supervisor', 'alert', a);
  };

  /** The book's net greeks against the limits (risk.options), where they came from, and the option counters. */
  const greeksValue = (now: number) => {
    const g = core.bookGreeks();
    const lim = cfg.risk.options;
    return {
      ...g.net, byUnderlying: g.byUnderlying, positions: g.positions, unknown: g.unknown,
      limits: { delta: lim.maxNetDelta, gamma: lim.maxNetGamma, vega: lim.maxNetVega, theta: lim.maxNetTheta },
      units: { delta: 'share equivalents', gamma: 'shares per $1', vega: '$ per vol point', theta: '$ per day' },
      premiumToday: core.premiumSpent(etDate(clock.nowMs()).replace(/-/g, '')), premiumPerDay: lim.maxPremiumPerDay,
      quotes: core.options.counters, ts: now,
    };
  };
  const subscriptions = new SubscriptionSender();
  /** Live quotes wanted for held and working option contracts (market-depth subscribes; the set replaces ours). */
  const sendSubscriptions = () => {
    const occs = subscriptions.due(core.optionsWanted(), Date.now());
    if (occs) ctx.send('market-depth', OPTION_SUBSCRIPTIONS_TOPIC, { owner: 'execution', occs });
  };

  const publishState = () => {
    if (following()) return; // the owner's positions, orders and P&L are the cluster's: a follower has none to publish
    const now = Date.now();
    const ttl = cfg.ttl.monitoring;
    const pf = core.portfolio;
    const positions = [...pf.positions.values()].filter((p) => p.qty !== 0 || p.realizedPnl !== 0).map((p) => {
      const plan = core.exits.get(p.symbol);
      const w = core.working(p.symbol);
      const inst = core.instrumentOf(p.symbol);
      return {
        symbol: p.symbol, qty: p.qty, avgPrice: p.avgPrice, realizedPnl: p.realizedPnl, unrealizedPnl: pf.unrealized(p), mark: Number.isFinite(p.mark) ? p.mark : null,
        // the instrument: quantity in shares or contracts; premium per share × multiplier is the cash of one contract
        kind: inst.kind, multiplier: p.multiplier, description: describe(inst), ...(inst.kind === 'option' ? { occ: inst.occ, underlying: inst.underlying, expiry: inst.expiry, right: inst.right, strike: inst.strike } : {}),
        workingBuy: w.buy, workingSell: w.sell,
        exit: plan ? { entry: plan.entryCid, stop: plan.stop, target: plan.target, trailPct: plan.trail, best: plan.best } : null,
      };
    });
    const openOrders = core.openOrders().map((o) => ({
      clientOrderId: o.order.clientOrderId, symbol: o.order.symbol, side: o.order.side, qty: o.order.qty, type: o.order.type,
      limitPrice: o.order.limitPrice ?? null, kind: o.order.instrument?.kind ?? 'equity', ...(o.order.instrument?.kind === 'option' ? { occ: o.order.instrument.occ, underlying: o.order.instrument.underlying, description: describe(o.order.instrument) } : {}),
      state: o.state, filledQty: o.filledQty, avgPrice: o.avgPrice, strategy: STRATEGY_NAMES[o.strategy] ?? o.strategy, ageMs: now - o.createdMs,
    }));
    const perf = pf.performance();
    const acct = core.account;
    const accountAge = acct ? now - acct.ts : Infinity;
    const health = core.health.snapshot();
    const pnl = { realized: pf.realizedPnl, unrealized: pf.unrealizedPnl, total: pf.realizedPnl + pf.unrealizedPnl, day: pf.dayPnl, equity: pf.equity, drawdown: pf.drawdown, ts: now };
    const reqs: PublishRequest[] = [
      { key: 'positions', value: positions, ttlMs: ttl },
      { key: 'orders:open', value: openOrders, ttlMs: ttl },
      { key: 'pnl', value: pnl, ttlMs: ttl },
      { key: 'performance:pnl_curve', value: pf.curve.slice(-600), ttlMs: ttl },
      { key: 'performance:daily_returns', value: perf.returns, ttlMs: ttl },
      { key: 'performance:sharpe', value: perf.sharpe, ttlMs: ttl },
      { key: 'performance:max_drawdown', value: perf.maxDrawdown, ttlMs: ttl },
      { key: 'performance:win_rate', value: perf.winRate, ttlMs: ttl },
      { key: 'risk:rejections', value: core.risk.rejections, ttlMs: ttl },
      { key: 'risk:greeks', value: greeksValue(now), ttlMs: ttl },
      { key: 'risk:rejections:last', value: core.risk.lastRejections, ttlMs: ttl },
      // the in-engine paper broker starts empty after a restart: there the journal is the truth, not drift
      { key: 'execution:drift', value: { drift: broker.name === 'paper' ? [] : core.lastReconcile?.drift ?? [], foreign: core.lastReconcile?.foreign ?? [], ts: now }, ttlMs: ttl },
      { key: 'monitoring:execution:metrics', value: {
        broker: broker.name, ready: core.ready, journalOk: core.journalOk, queued: core.queue.waiting, ...core.counters, breaker: core.breaker.snapshot(),
        remoteMarket: remote ? { symbols: remote.remote(), polls: remote.polls, applied: remote.applied, failures: remote.failures, badValues: remote.badValues } : null,
        journalIntentUs: { count: core.journalIntentUs.count, p50: core.journalIntentUs.count ? core.journalIntentUs.percentile(50) : null, p99: core.journalIntentUs.count ? core.journalIntentUs.percentile(99) : null },
        // the local write-ahead journal (decision 113): entries written, shipped, waiting for Redis, retries
        journalAhead: ahead ? { ...ahead.counters, behind: ahead.behind, failing: ahead.failing } : null,
        halt: core.halt, day: core.day, lastReconcile: core.lastReconcile,
        account: { ...core.accountStats, lastReadMs: acct?.readMs ?? null, ageMs: acct ? accountAge : null },
        preservation: health, trading: core.trading.toJSON(),
        // the adapter's own counters (retries, reconnects, timeouts, rate limits…), exported by /metrics
        brokerStats: (broker as { stats?: unknown }).stats ?? null, ts: now,
      }, ttlMs: ttl },
      // preservation mode: refreshed every second while the engine runs (a missing key = no engine, not "fine")
      { key: 'engine:preservation', value: { active: health.preservation, since: health.since, reason: health.reason, consecutiveErrors: health.consecutiveErrors, lastError: health.lastError, ts: now }, ttlMs: ttl },
    ];
    // The account as long as the risk rule would use it: the key expires when the figures grow too old to trade on.
    if (acct && accountAge < cfg.risk.accountMaxAgeMs) {
      const { ts: readAt, readMs, ...figures } = acct;
      reqs.push({ key: 'account:summary', value: { broker: broker.name, ...figures, readAt, readMs, ts: now }, ttlMs: Math.max(1, cfg.risk.accountMaxAgeMs - accountAge) });
    }
    reqs.push(...routines.publishRequests(ttl));
    ctx.publishMany(reqs);
    if (core.ready) publishStrategies();
    sendSubscriptions();
  };

  /**
   * Operator commands (CLI, dashboard, supervisor): kill, orders, cancels, flatten, breaker, escalation,
   * strategies. Each answers `state`: done, refused (with the rule or reason) or failed (with the reason), and
   * is audited with who (role), where (source, remote), when, what and the result.
   */
  const runCommand = async (cmd: Record<string, string>, entry: string): Promise<Record<string, unknown>> => {
    const reason = cmd.reason ?? '';
    ctx.log.warn({ action: cmd.action, reason, source: cmd.source }, 'operator command');
    let result: Record<string, unknown>;
    try {
      result = await execute(cmd, entry);
    } catch (e) {
      result = { ok: false, state: 'failed', error: String((e as Error)?.message ?? e).split('\n')[0] };
    }
    result.state ??= result.ok ? 'done' : 'refused';
    ctx.appendStream('audit:stream', {
      action: cmd.action, reason, source: cmd.source ?? 'cli', role: cmd.role ?? 'operator', remote: cmd.remote ?? '', ts: Date.now(),
      result: String(result.state), detail: String(result.error ?? result.outcome ?? '').slice(0, 300),
      ...(cmd.symbol ? { symbol: cmd.symbol } : {}), ...(cmd.cid ? { cid: cmd.cid } : {}), ...(cmd.strategy ? { strategy: cmd.strategy } : {}),
    });
    return result;
  };

  const refused = (error: string) => ({ ok: false, state: 'refused', error });

  const execute = async (cmd: Record<string, string>, entry: string): Promise<Record<string, unknown>> => {
    const reason = cmd.reason ?? '';
    switch (cmd.action) {
      case 'kill': {
        if (!reason) return refused('kill needs a reason');
        ctx.send('supervisor', 'alert', { rule: 'kill', severity: 'critical', title: 'Kill switch', text: reason, key: reason, fields: { source: cmd.source ?? 'cli' } });
        const r = await core.kill(reason, cmd.source ?? 'cli');
        return { ok: r.state === 'done', ...r };
      }
      case 'order': {
        const qty = Number(cmd.qty);
        const side = cmd.side === 'buy' ? 1 : cmd.side === 'sell' ? -1 : 0;
        const type = cmd.type || 'market';
        const limitPrice = cmd.limitPrice ? Number(cmd.limitPrice) : undefined;
        if (!cmd.symbol || ctx.symbols.id(cmd.symbol) < 0 || !side || !(qty > 0) || !Number.isInteger(qty)) {
          return refused('order needs a configured symbol, side buy|sell and a positive whole qty');
        }
        if (type !== 'market' && type !== 'limit') return refused('type must be market or limit');
        if (type === 'limit' && !(limitPrice! > 0 && Number.isFinite(limitPrice))) return refused('a limit order needs a positive limitPrice');
        // The command's own id (the operator's --id or the page's requestId, else the CLI's id for this
        // command, else its stream entry): the same request again maps to the same client order id.
        const id = (cmd.id || entry).replace(/[^A-Za-z0-9_.-]/g, '_');
        const outcome = await core.manualOrder(cmd.symbol, side as 1 | -1, qty, id, type === 'limit' ? { type, limitPrice } : undefined);
        const cid = core.manualOrderId(cmd.symbol, id);
        const rec = core.orders.get(cid);
        if (outcome.startsWith('sent')) return { ok: true, state: 'done', clientOrderId: cid, orderState: rec?.state, outcome };
        if (outcome.startsWith('duplicate')) return { ok: true, state: 'done', duplicate: true, clientOrderId: cid, orderState: rec?.state, outcome };
        const failed = /^(journal unavailable|broker error|not queued)/.test(outcome);
        return { ok: false, state: failed ? 'failed' : 'refused', clientOrderId: rec ? cid : undefined, error: outcome };
      }
      case 'cancel': {
        const all = cmd.all === '1' || cmd.all === 'true';
        if (!all && !cmd.cid) return refused('cancel needs a clientOrderId or all');
        if (!all && !core.orders.has(cmd.cid)) return refused(`no order ${cmd.cid} of this engine`);
        return { ok: true, state: 'done', cancelled: await core.cancelOrders(all ? undefined : cmd.cid) };
      }
      case 'flatten': {
        if (cmd.symbol && ctx.symbols.id(cmd.symbol) < 0) return refused(`${cmd.symbol} is not one of the engine's symbols`);
        return { ok: true, state: 'done', flattened: await core.flatten(cmd.all === '1' || cmd.all === 'true', cmd.symbol || undefined) };
      }
      case 'strategy': {
        const key = STRATEGY_KEYS[cmd.strategy as keyof typeof STRATEGY_KEYS];
        if (!key) return refused(`strategy must be one of ${Object.keys(STRATEGY_KEYS).join(', ')}`);
        if (cmd.enabled !== 'true' && cmd.enabled !== 'false') return refused('enabled must be true or false');
        if (!reason) return refused('a strategy change needs a reason');
        const next = { ...strategyEnabled, [cmd.strategy]: cmd.enabled === 'true' };
        await redis.set(STRATEGIES_KEY, JSON.stringify(next)); // durable first (no TTL), then applied
        Object.assign(strategyEnabled, next);
        publishStrategies();
        return { ok: true, state: 'done', strategies: { ...strategyEnabled } };
      }
      case 'breaker-trip':
        if (!reason) return refused('a breaker trip needs a reason');
        core.breaker.trip(`manual: ${reason}`, Date.now());
        return { ok: true, breaker: core.breaker.snapshot() };
      case 'breaker-approve':
        return { ok: true, breaker: core.breaker.approve(Date.now()) };
      case 'breaker-reset':
        await core.resetBreaker();
        return { ok: true, breaker: core.breaker.snapshot() };
      case 'escalation-clear': {
        if (!reason) return refused('clearing an escalation needs a reason');
        const was = ctx.control.get(CONTROL.escalated) === 1;
        ctx.control.set(CONTROL.escalated, 0);
        ctx.control.set(CONTROL.tradingHalted, core.halt ? 1 : 0);
        await core.state.clearEscalation();
        // The breaker the escalation tripped stays tripped: it closes by approval (quiet period) or reset.
        return { ok: true, wasEscalated: was, breaker: core.breaker.snapshot() };
      }
      default:
        return refused(`unknown command ${JSON.stringify(cmd.action)}`);
    }
  };

  /**
   * Strategy switches set at runtime (persisted as JSON in `signals:strategies`, over the configuration's `enabled`):
   * published to the signals actor (which applies them) and the dashboard, again every second so a restarted
   * signals actor has them within a second.
   */
  const strategyEnabled: Record<string, boolean> = Object.fromEntries(
    Object.entries(STRATEGY_KEYS).map(([name, key]) => [name, cfg.signals[key].enabled]),
  );
  const publishStrategies = () => ctx.publishMany([{ key: STRATEGIES_KEY, value: { ...strategyEnabled }, ttlMs: 0 }]);
  const loadStrategies = async () => {
    let stored: Record<string, unknown> = {};
    try {
      stored = JSON.parse((await redis.get(STRATEGIES_KEY)) ?? '{}') as Record<string, unknown>;
    } catch {
      ctx.countInputError();
    }
    for (const [name, v] of Object.entries(stored ?? {})) if (name in strategyEnabled && typeof v === 'boolean') strategyEnabled[name] = v;
    publishStrategies();
  };

  /**
   * The stream is read from the CLI's wait (10 s, or the `waitMs` it sent) before the loop first runs: a
   * command sent while the engine was still starting, or just before a crash its sender still waits out, is
   * answered; one older than its sender's wait is skipped, because its sender has given up and an order
   * nobody waits for must not go out. Ages are on Redis's clock (stream ids), so a skewed host clock cannot
   * replay or drop one. An entry already answered (the answer names its stream entry) is not run twice.
   */
  const commandLoop = async (myTerm = term) => {
    let last: string | undefined;
    while (!stopping && myTerm === term) {
      try {
        if (commands.status !== 'ready') {
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        const [sec, usec] = await commands.time();
        const nowMs = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
        last ??= `${nowMs - COMMAND_WAIT_MS}-0`;
        const res = (await commands.xread('COUNT', 10, 'BLOCK', 1000, 'STREAMS', COMMAND_STREAM, last)) as [string, [string, string[]][]][] | null;
        if (!res) continue;
        for (const [, entries] of res) {
          for (const [entry, kv] of entries) {
            last = entry;
            const f: Record<string, string> = {};
            for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]] = kv[i + 1];
            const answerKey = commandAnswerKey(f.id ?? entry);
            if (nowMs - Number(entry.split('-')[0]) > (Number(f.waitMs) || COMMAND_WAIT_MS)) continue;
            const previous = await redis.get(answerKey);
            if (previous && (JSON.parse(previous) as { entry?: string }).entry === entry) continue;
            const result = await runCommand(f, entry).catch((e) => ({ ok: false, error: String((e as Error)?.message ?? e).split('\n')[0] }));
            await redis.set(answerKey, JSON.stringify({ ...result, entry, ts: Date.now() }), 'PX', 60_000).catch(() => {});
          }
        }
      } catch (e) {
        if (!stopping) await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  /**
   * The correlation cap needs discovery's matrix (`alphatrader discover` writes `discovery:correlation`);
   * without one the cap cannot bind, which is logged once rather than silently assumed.
   */
  let correlationLogged = false;
  const loadCorrelation = async () => {
    const raw = await redis.get('discovery:correlation').catch(() => null);
    let bySymbol: Record<string, Record<string, number>> | undefined;
    try {
      const v = raw ? (JSON.parse(raw) as { bySymbol?: unknown }).bySymbol : undefined;
      if (v && typeof v === 'object') bySymbol = v as Record<string, Record<string, number>>;
    } catch {
      ctx.countInputError();
    }
    if (bySymbol) core.risk.correlation = bySymbol;
    if (!correlationLogged) {
      correlationLogged = true;
      if (bySymbol) ctx.log.info({ symbols: Object.keys(bySymbol).length }, 'correlation cap uses discovery:correlation');
      else ctx.log.info('no discovery:correlation in Redis (run `alphatrader discover`): the correlation cap has no matrix to apply');
    }
  };

  /**
   * Nothing is traded before the journal is replayed and reconciled with the broker. Without Redis that
   * cannot happen, so the actor runs (heartbeats, degraded) and retries until it can, instead of failing.
   */
  const bootstrap = async (myTerm = term) => {
    if (owner) {
      // no journal read, broker connection or order before the lease (and the fence at its token) is ours
      while (!stopping && myTerm === term && owner.token === null) await new Promise((r) => setTimeout(r, 50));
    }
    for (let attempt = 0; !stopping && myTerm === term; attempt++) {
      try {
        if (redis.status !== 'ready') throw new Error(`Redis ${redis.status}`);
        // Checked again here (the start-up check exits; a Redis restarted without AOF since then must not be traded on).
        const persistence = await readPersistence(redis);
        const durability = journalDurabilityError(cfg.execution, persistence);
        if (durability) throw new Error(durability);
        // journalSync wait: WAITAOF after each intent where the server has it (else appendfsync always, checked above)
        core.journal.waitAof = cfg.execution.journalSync === 'wait' && persistence.waitaof;
        await loadCorrelation();
        await loadStrategies();
        // Journal, breaker, kill halt, escalation, day and exit plans are read back inside start().
        const rep = await core.start();
        if (myTerm !== term) return core.stepDown(); // lost during start-up: the next grant starts over
        ctx.log.info({ broker: broker.name, ...rep, breaker: core.breaker.state, halted: !!core.halt }, 'execution ready: journal reconciled with the broker');
        ctx.setDegraded(false);
        termTimers.push(setInterval(() => void core.tick().catch((e) => ctx.log.error({ err: e }, 'execution tick failed')), 1000));
        termTimers.push(setInterval(() => void loadCorrelation(), 60_000));
        if (cfg.execution.warmPathMs > 0) termTimers.push(setInterval(() => core.warmOrderPath(), cfg.execution.warmPathMs));
        termTimers.push(setInterval(() => {
          // one periodic reconciliation at a time, in the order queue (never beside a place() in flight)
          if (core.queue.waiting < 100) void core.reconcileNow(Date.now() - 3600_000).catch((e) => ctx.log.warn({ err: String(e) }, 'periodic reconciliation failed'));
        }, cfg.execution.reconcileMs));
        void commandLoop(myTerm);
        if (relay) void relayLoop(myTerm);
        void startSession(myTerm);
        return;
      } catch (e) {
        ctx.setDegraded(true);
        // The first connection is still being made at start-up: not worth a warning until it has had a few seconds.
        if (attempt > 0 && attempt % 20 === 0) ctx.log.warn({ err: String(e) }, 'execution not ready (journal or broker unavailable): no trading until it is; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  /** The owner's read of the other instances' signals, for as long as this term lasts. */
  const relayLoop = async (myTerm = term) => {
    while (!stopping && myTerm === term) {
      try {
        if (relayRedis!.status !== 'ready') throw new Error('not ready');
        await relay!.poll((x) => {
          if (myTerm === term) takeSignal(x as unknown as SignalInput);
        }, 500);
      } catch {
        if (!stopping) await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  /** Sessions missing from Redis are rebuilt from the journal, then the routines follow the session clock. */
  const startSession = async (myTerm = term) => {
    try {
      const rebuilt = await store.rebuildMissing(etDate(clock.nowMs()));
      if (rebuilt.length) ctx.log.info({ dates: rebuilt }, 'daily reports rebuilt from the order journal');
      await routines.refreshHistory();
    } catch (e) {
      ctx.log.warn({ err: String(e) }, 'could not rebuild the daily reports from the journal');
    }
    if (stopping || myTerm !== term) return;
    scheduler.start();
    termTimers.push(setInterval(() => {
      const now = clock.nowMs();
      void routines.sampleEquity(NYSE.isOpenAt(sessionClocked ? now : Date.now()));
    }, 500));
  };

  /** The lease is gone (or going): stop everything that could send or append, then wait for it again. */
  function stepDown(reason: StepDownReason, token: number): void {
    term++;
    core.stepDown();
    scheduler.stop();
    for (const t of termTimers.splice(0)) clearInterval(t);
    void broker.close().catch(() => {});
    if (reason !== 'shutdown') {
      ctx.log.warn({ reason, token }, 'execution lease lost: stopped sending and appending; waiting for the lease again');
      ctx.send('supervisor', 'alert', { rule: 'execution-owner', severity: 'warning', title: 'This instance no longer owns execution', text: `lease ${reason} (token ${token})`, key: 'execution-owner' });
    }
    if (!stopping) void bootstrap();
  }

  /** One published key from market-depth, options or analytics (or, in cluster mode, read from Redis: RemoteMarket). */
  function onPublish(r: PublishRequest): void {
    const key = r?.key ?? '';
    if (OPTION_CHAIN_KEY.test(key)) {
      // a chain (or its greeks): in the order queue, after the signals already consumed, like a replay
      if (recorder.on) recorder.record('option-key', position(), { key, value: r.value });
      void core.queue.push(async () => {
        if (core.options.applyKey(key, r.value, Date.now()) === 'applied') await core.markOptionsInQueue();
        else ctx.countInputError();
      }).catch(() => {});
      return;
    }
    if (key.startsWith('module:heartbeat:')) {
      // a venue's heartbeat says whether it is connected (the supervisor's per-actor heartbeats do not)
      const c = (r.value as { connected?: unknown } | undefined)?.connected;
      if (typeof c === 'boolean') heartbeats.set(key.slice(17), { connected: c, wall: Date.now() });
      return;
    }
    const vp = /^analytics:\{(.+)\}:vpin$/.exec(key);
    if (vp && r.value && typeof r.value === 'object') {
      onVpin(vp[1]!, r.value as Record<string, unknown>);
      return;
    }
    if (applyBookSnapshot(r, books, core) && recorder.on) recorder.record('book', position(), r);
  }

  function takeSignal(s: SignalInput): void {
    strategies.set(s.symbol, s.strategy);
    signalsConsumed++;
    // While the journal is replayed and reconciled the signal waits in the order queue (not dropped).
    void core.onSignal(s).then((outcome) => {
      if (!outcome.startsWith('sent')) ctx.log.debug({ symbol: s.symbol, strategy: s.strategy, outcome }, 'signal not traded');
      // each signal's outcome (sent, or the risk/position reason it was not), printed by a replay's parity report beside its own
      if (recorder.on) recorder.record('out:decision', position(), { symbol: s.symbol, id: s.signalId, outcome });
    });
  }

  return {
    start() {
      timers.push(setInterval(publishState, 1000));
      // the owner trades every symbol; a follower sends its signals on and marks nothing
      if (remote) timers.push(setInterval(() => void (following() || remote.poll()), REMOTE_MARKET_POLL_MS));
      owner?.start();
      void bootstrap();
    },
    onMessage(view, off) {
      if (msgType(view, off) !== MessageType.Signal) return;
      const id = msgSymbol(view, off);
      let symbol: string;
      try {
        symbol = ctx.symbols.name(id);
      } catch {
        return void ctx.countInputError();
      }
      const s: SignalInput = {
        symbol, strategy: Signal.strategy(view, off), signalId: Signal.signalId(view, off), direction: Signal.direction(view, off),
        confidence: Signal.confidence(view, off), price: Signal.price(view, off), target: Signal.target(view, off), stop: Signal.stop(view, off),
        expiresMs: Signal.expiresMs(view, off), ingestNs: msgIngestNs(view, off), eventNs: msgEventNs(view, off),
        dequeueNs: ctx.clock.nowNs(),
      };
      const right = Signal.right(view, off);
      if (right !== 0) s.option = { expiry: expiryIso(Signal.expiry(view, off)), right: right > 0 ? 'C' : 'P', strike: Signal.strike(view, off) };
      if (following()) {
        // another instance owns execution: the signal goes to it (counted here as not traded by this one)
        core.counters.signalsNotOwner++;
        if (relay) void relay.send(s as unknown as RelayedSignal);
        return;
      }
      relay?.remember(signalKey(s));
      takeSignal(s);
    },
    async onCommand(topic, payload) {
      if (topic === SERVED_SYMBOLS_TOPIC) return void (served.apply(payload) ?? ctx.countInputError());
      if (topic === OPTION_QUOTES_TOPIC) {
        // Live option quotes: priced, marked and risk-checked from here; the paper broker fills against them.
        // Applied in the order queue, after the signals already consumed (a replay applies them at that point).
        if (recorder.on) recorder.record('option-quotes', position(), payload);
        void core.queue.push(async () => {
          if (!core.options.applyQuotes(payload, Date.now())) return void ctx.countInputError();
          const pb = broker as { onOptionQuote?(q: OptionQuote): void; poke?(symbol?: string): void };
          for (const q of payload as OptionQuote[]) pb.onOptionQuote?.(q);
          await core.markOptionsInQueue();
          for (const q of payload as OptionQuote[]) pb.poke?.(q.occ);
        }).catch(() => {});
        return;
      }
      if (topic === 'publish' || topic === 'publish-many') {
        const reqs = (topic === 'publish' ? [payload] : payload) as PublishRequest[];
        for (const r of reqs) onPublish(r);
        return;
      }
      if (topic === 'kill') {
        const p = payload as { reason?: string; source?: string };
        if (following()) {
          // another instance owns execution (and the orders): the kill goes to it over the operator command stream
          const id = `kill-${owner!.lease.owner}-${Date.now()}`;
          ctx.log.warn({ reason: p?.reason, id }, 'kill on an instance that does not own execution: forwarded to the owner');
          void sendOperatorCommand(redis, { id, action: 'kill', reason: p?.reason ?? '', source: `${p?.source ?? 'dashboard'}@${owner!.lease.owner}` })
            .then((ans) => ctx.log.warn({ id, answer: ans ?? 'no answer within the wait' }, 'forwarded kill answered'))
            .catch((e) => ctx.log.error({ id, err: String(e) }, 'could not forward the kill to the execution owner'));
          return;
        }
        await runCommand({ action: 'kill', reason: p?.reason ?? '', source: p?.source ?? 'dashboard' }, `cold-${Date.now()}`);
        return;
      }
      ctx.countInputError();
    },
    async stop() {
      stopping = true;
      scheduler.stop();
      routines.stop();
      for (const t of [...timers, ...termTimers]) clearInterval(t);
    },
    async close() {
      // the last breaker, anchor and day writes land before the connection closes (bounded)
      await Promise.race([core.settled(), new Promise((r) => setTimeout(r, 1000))]);
      publishState();
      await owner?.close(); // stops acting, then releases: another instance need not wait for the TTL
      // the local journal's last entries reach the stream (else they stay in the file for the next start)
      if (ahead && !(await ahead.drained(cfg.execution.redisTimeoutMs))) ctx.log.warn({ behind: ahead.behind }, 'local journal not fully shipped at stop: shipped at the next start');
      await ahead?.close();
      await broker.close().catch(() => {});
      commands.disconnect();
      relayRedis?.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
};

/**
 * The local journal of one journal: one file per Redis endpoint (host, port, database: not the credentials,
 * which may change between runs) and stream, so engines of different Redis servers sharing a data
 * directory (tests, a second engine) never share a file.
 */
function walFile(cfg: EngineConfig, redisUrl: string | undefined, stream: string): string {
  let endpoint = redisUrl ?? '';
  try {
    const u = new URL(endpoint);
    endpoint = `${u.hostname}:${u.port}${u.pathname}`;
  } catch { /* not a URL: the string as it is */ }
  const id = createHash('sha256').update(`${endpoint}\n${stream}`).digest('hex').slice(0, 12);
  return join(dataDir(cfg), 'journal', `${stream.replace(/[^A-Za-z0-9_-]/g, '_')}-${id}.wal`);
}

export default create;
