import { randomBytes } from 'node:crypto';
import { instanceIdFromEnv } from '../../engine/cluster/ClusterKeys.js';
import { clusterNodesFromEnv } from '../../engine/redis/RedisClient.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';
import { DashboardModel } from './DashboardModel.js';
import { DashboardServer, type KillAnswer } from './DashboardServer.js';
import { EngineView } from './EngineView.js';
import { DashboardMetrics } from './Metrics.js';
import { COMMAND_WAIT_MS, sendOperatorCommand } from '../../engine/redis/operatorCommands.js';
import { client, pollRedisKeys, seedFromRedis } from './RedisReader.js';
import { RemoteSymbols } from './RemoteSymbols.js';
import { SERVED_SYMBOLS_TOPIC, ServedSymbols } from '../../engine/cluster/ServedSymbols.js';
import { dashboardSettings } from './settings.js';
import { StaticAssets } from './StaticAssets.js';
import { MIN_TOKEN_LENGTH } from './TokenGuard.js';

/**
 * Dashboard actor: a lossy reader of every output ring and a mirror of every published key, served to
 * browsers over uWebSockets.js. Ring messages are only folded into per-symbol state (latest wins); a
 * ticker at `dashboard.rateHz` publishes the panels that changed. It never slows the engine: a slow
 * reader of a lossy ring is overrun, never waited for, and a slow browser is skipped, then dropped.
 */
const LISTEN_RETRY_MS = 10_000;
/** How often a cluster-mode dashboard reads the symbols other instances serve (4 Hz: under the 10 Hz feed, over the 1 s book TTL). */
const REMOTE_POLL_MS = 250;

const create: ActorFactory = (ctx) => {
  const cfg = ctx.config;
  const s = dashboardSettings(cfg);
  let token = ctx.runtime.dashboardToken;
  let tokenSource = ctx.runtime.dashboardTokenSource ?? 'the runtime (given by the program that started the engine)';
  if (!token) {
    // Never serve without a token: without one from the CLI, make one (in-process engines: tests, benches).
    token = randomBytes(16).toString('hex');
    tokenSource = 'nowhere (generated for this run: set ALPHATRADER_DASHBOARD_TOKEN to choose one)';
    ctx.log.warn('no dashboard token in the runtime: generated one for this run');
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    // A configuration mistake, not a crash: restarting would fail the same way and escalate the engine.
    ctx.log.error(`ALPHATRADER_DASHBOARD_TOKEN is shorter than ${MIN_TOKEN_LENGTH} characters: the dashboard is not served (openssl rand -hex 24 makes a good one)`);
    return { onMessage() {} }; // keeps reading its rings so their fill figures stay true
  }
  const killAnswers = new Map<string, (a: KillAnswer) => void>();
  const engine = new EngineView(ctx.topology, cfg.supervisor.heartbeatTimeoutMs);
  const model = new DashboardModel({
    symbols: cfg.symbols.map((x) => ({ symbol: x.symbol, level2: x.level2 })),
    rateHz: s.rateHz,
    historySeconds: s.historySeconds,
    barsKept: cfg.market.barsKept,
    toxicThreshold: cfg.analytics?.vpin?.toxicThreshold,
    marketSource: cfg.market.source,
    mode: cfg.engine.mode,
    heartbeatTimeoutMs: cfg.supervisor.heartbeatTimeoutMs,
  }, engine);
  model.hot.sweepLevels = Math.max(2, cfg.analytics?.sweepLevels ?? 2);
  const metrics = new DashboardMetrics(model, ctx.inputs.map((i) => i.ring), () => ctx.clock.nowNs(), clusterNodesFromEnv() ? instanceIdFromEnv() : undefined);
  // The console's own connection: actions go to execution through the operator command stream (as the CLI's
  // do) and are answered with execution's outcome; the audit log is read on demand.
  const rt = ctx.runtime;
  const actions = client({ url: rt.redisUrl, username: rt.redisUsername as string | undefined, password: rt.redisPassword }, 2000, 'alphatrader-dashboard-console', true);
  void actions.connect().catch(() => {});
  const symbols = new Set(cfg.symbols.map((x) => x.symbol));
  const viewToken = rt.dashboardViewToken && rt.dashboardViewToken.length >= MIN_TOKEN_LENGTH && rt.dashboardViewToken !== token ? rt.dashboardViewToken : undefined;
  const server = new DashboardServer({
    viewToken,
    isSymbol: (sym) => symbols.has(sym),
    riskLimits: (({ options: _options, ...flat }) => flat)(cfg.risk), // the console shows the flat limits; option limits are on risk:greeks
    onAction: async (cmd) => {
      const id = cmd.id ?? `dash-${randomBytes(6).toString('hex')}`;
      const ans = await sendOperatorCommand(actions, { ...cmd, id }, COMMAND_WAIT_MS);
      if (!ans) return { state: 'failed', error: `execution unavailable: no answer within ${COMMAND_WAIT_MS / 1000} s` };
      const state = ans.state === 'done' || ans.state === 'refused' || ans.state === 'failed' || ans.state === 'pending' ? ans.state : ans.ok ? 'done' : 'refused';
      return { ...ans, state };
    },
    onAudit: async (f) => {
      const rows = (await actions.xrevrange('audit:stream', '+', '-', 'COUNT', 2000)) as [string, string[]][];
      const out: Record<string, string>[] = [];
      for (const [id, kv] of rows) {
        const e: Record<string, string> = { id };
        for (let i = 0; i + 1 < kv.length; i += 2) e[kv[i]] = kv[i + 1];
        if (f.action && e.action !== f.action) continue;
        if (f.source && e.source !== f.source) continue;
        if (f.q && !JSON.stringify(e).toLowerCase().includes(f.q.toLowerCase())) continue;
        out.push(e);
        if (out.length >= f.limit) break;
      }
      return out;
    },
    host: s.host,
    port: s.port,
    token,
    rateHz: s.rateHz,
    maxBufferedBytes: s.maxBufferedBytes,
    maxBehindTicks: s.maxBehindTicks,
    metricsAuth: s.metricsAuth,
    model,
    metrics,
    assets: new StaticAssets(),
    log: ctx.log,
    onKill: (k) => {
      // The supervisor halts and trips the breaker itself, then hands the kill to execution and reports back.
      const id = `dash-${randomBytes(6).toString('hex')}`;
      ctx.send('supervisor', 'kill', { id, reason: k.reason, source: k.source, ts: k.ts, remote: k.remote ?? '' });
      ctx.appendStream('audit:stream', { action: 'kill', reason: k.reason, source: k.source, ts: k.ts, remote: k.remote ?? '' });
      ctx.log.warn({ reason: k.reason, source: k.source, remote: k.remote }, 'KILL SWITCH requested from the dashboard: sent to the supervisor');
      return new Promise<KillAnswer>((resolve) => {
        // the supervisor answers within its own wait (10 s); past that, the engine itself is not answering
        const timer = setTimeout(() => {
          killAnswers.delete(id);
          resolve({ state: 'failed', error: 'no answer from the engine (supervisor) within 15 s' });
        }, 15_000);
        killAnswers.set(id, (a) => {
          clearTimeout(timer);
          resolve(a);
        });
      });
    },
  });

  // If the actor dies of an uncaught error, its worker exits without `close()`: the sockets must still be
  // closed, or the worker's open uWS handles abort the whole engine process on the way out.
  process.on('exit', () => server.close());
  let poller: { stop(): void } | undefined;
  // cluster mode: the symbols other instances serve, read from Redis (RemoteSymbols); none on a single host
  const served = ServedSymbols.forEnv(model.symbols);
  let remote: { stop(): void } | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const serving = async (host: string, port: number): Promise<void> => {
    const shownHost = host.includes(':') ? `[${host}]` : host;
    // The token is in no log line (logs are shipped and kept): the line says where to find it.
    ctx.log.info({ host, port, tokenIn: tokenSource }, `Dashboard: http://${shownHost}:${port}/ (open it with ?token=TOKEN; the token is in ${tokenSource})`);
    ctx.send('supervisor', 'dashboard-listening', { host, port });
    const target = { url: rt.redisUrl, username: rt.redisUsername as string | undefined, password: rt.redisPassword };
    seedFromRedis(target, model.cold).then(
      (n) => n > 0 && ctx.log.info({ keys: n }, 'dashboard: state seeded from Redis (breaker, positions, orders, P&L)'),
      (e) => ctx.log.warn({ err: (e as Error).message }, 'dashboard: could not read the initial state from Redis; waiting for publishes'),
    );
    poller = pollRedisKeys(target, model.cold);
    if (clusterNodesFromEnv()) {
      const redis = client(target, 1000, 'alphatrader-dashboard-remote', true);
      void redis.connect().catch(() => {});
      const r = new RemoteSymbols(redis, served, model.hot, model.cold);
      const t = setInterval(() => void r.poll(), REMOTE_POLL_MS);
      remote = { stop: () => (clearInterval(t), redis.disconnect()) };
    }
  };

  /**
   * A port in use (another engine on the fixed default port) is a configuration mistake, not a crash:
   * restarting would fail the same way and escalate the engine, halting trading over a web page. Say so
   * once, keep trading, and try again every LISTEN_RETRY_MS until the port is free.
   */
  const listen = async (attempt: number): Promise<void> => {
    if (closed) return;
    try {
      const { host, port } = await server.listen();
      if (attempt > 0) ctx.log.info({ host, port }, 'dashboard: the port is free now');
      await serving(host, port);
    } catch (e) {
      if (attempt === 0) {
        ctx.log.error({ err: (e as Error).message }, `dashboard: cannot listen on ${s.host}:${s.port} (in use by another engine or program?): not served; retrying every ${LISTEN_RETRY_MS / 1000} s. Set dashboard.port or ALPHATRADER_DASHBOARD_PORT (0 = any free port)`);
      }
      retry = setTimeout(() => void listen(attempt + 1), LISTEN_RETRY_MS);
    }
  };

  return {
    async start() {
      await listen(0);
    },
    onMessage(view, off, input) {
      model.onMessage(view, off);
      metrics.observe(input, view, off);
    },
    onBatchEnd() {
      metrics.endBatch();
    },
    onCommand(topic, payload) {
      if (topic === 'publish' || topic === 'publish-many') model.onPublish(topic, payload);
      else if (topic === SERVED_SYMBOLS_TOPIC) {
        if (!served.apply(payload)) ctx.countInputError();
      } else if (topic === 'kill-answer') {
        const a = payload as { id?: string; ok?: boolean; state?: string; error?: string };
        const done = killAnswers.get(String(a?.id));
        killAnswers.delete(String(a?.id));
        const state = a?.state === 'done' || a?.state === 'pending' ? a.state : 'failed';
        done?.({ ...(a as Record<string, unknown>), state });
      } else ctx.countInputError();
    },
    close() {
      actions.disconnect();
      closed = true;
      clearTimeout(retry);
      poller?.stop();
      remote?.stop();
      server.close();
    },
  };
};

export default create;
