import uWS from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocket } from 'uWebSockets.js';
import type { DashboardModel, KillRecord } from './DashboardModel.js';
import { FeedPublisher, type FeedClient } from './FeedPublisher.js';
import type { DashboardMetrics } from './Metrics.js';
import type { StaticAssets } from './StaticAssets.js';
import { TokenGuard } from './TokenGuard.js';
import { MAX_CLIENT_MESSAGE } from './wire.js';
import { ACTION_PATHS, ActionRateLimiter, parseAction, type ActionCommand } from './consoleActions.js';

/** The outcome of a kill: `done` (no working orders, flat, breaker tripped), `pending` (broker acks still outstanding) or `failed`. */
export interface KillAnswer {
  state: 'done' | 'pending' | 'refused' | 'failed';
  error?: string;
  [k: string]: unknown;
}

export interface LogLike {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface DashboardServerOptions {
  host: string;
  port: number;
  token: string;
  rateHz: number;
  maxBufferedBytes: number;
  maxBehindTicks: number;
  /** /metrics needs the token (the default); false makes it public */
  metricsAuth: boolean;
  model: DashboardModel;
  metrics: DashboardMetrics;
  assets: StaticAssets;
  /** called after the kill request's token, confirmation and reason were checked */
  /** hands the kill to the engine and resolves with execution's outcome (never a bare acknowledgement) */
  onKill(k: KillRecord): Promise<KillAnswer> | KillAnswer;
  /** read-only token for viewers (ALPHATRADER_DASHBOARD_VIEW_TOKEN): every GET, no action (403) */
  viewToken?: string;
  /** runs a validated console action through the engine's command channel and resolves with its outcome */
  onAction?(cmd: ActionCommand): Promise<KillAnswer>;
  /** reads the audit log (newest first), filtered */
  onAudit?(f: { action?: string; source?: string; q?: string; limit: number }): Promise<Record<string, string>[]>;
  /** the engine's symbols (orders and flatten name one of them) */
  isSymbol?(symbol: string): boolean;
  /** the configured risk limits, shown next to their use */
  riskLimits?: Record<string, number | boolean>;
  log?: LogLike;
  /** false: no tick timer (benchmarks and tests drive `feed.tick()` themselves) */
  autoTick?: boolean;
}

interface SocketData {
  client?: FeedClient;
}

const SECURITY_HEADERS: [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'], // the token may sit in the page's URL: never send it elsewhere
  ['X-Frame-Options', 'DENY'],
];
const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const KILL_CONFIRMATION = 'KILL';
const MAX_KILL_BODY = 4096;

const noLog: LogLike = { info() {}, warn() {}, error() {} };

/**
 * The dashboard's HTTP and WebSocket server on uWebSockets.js. Public: the page's static shell and assets
 * (no data in them), `/health` and `/ready` (load balancers and systemd), and `/metrics` only when
 * `metricsAuth` is false (it names symbols, positions' counts, breaker state). Everything with data needs
 * the token: `/metrics` by default, `/api/*` and the `/ws` feed, as
 * `Authorization: Bearer TOKEN` or `?token=`. The only state-changing request, `POST /api/kill`, takes
 * the token only from the Authorization header, a typed confirmation and a reason.
 */
export class DashboardServer {
  readonly feed: FeedPublisher;
  private readonly app: TemplatedApp;
  private readonly guard: TokenGuard;
  private readonly viewGuard: TokenGuard | undefined;
  private readonly limiter = new ActionRateLimiter();
  private readonly log: LogLike;
  private listenSocket: us_listen_socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastAuthLog = 0;
  private authFailuresSinceLog = 0;
  private closed = false;
  port = 0;

  constructor(private readonly o: DashboardServerOptions) {
    this.guard = new TokenGuard(o.token);
    this.viewGuard = o.viewToken ? new TokenGuard(o.viewToken) : undefined;
    this.log = o.log ?? noLog;
    this.app = uWS.App();
    this.feed = new FeedPublisher(o.model, {
      publish: (t, m, b) => this.app.publish(t, m, b),
      numSubscribers: (t) => this.app.numSubscribers(t),
    }, { maxBufferedBytes: o.maxBufferedBytes, maxBehindTicks: o.maxBehindTicks });
    this.routes();
  }

  /** Binds host:port (0 = ephemeral) and starts the feed ticker; resolves with the bound port. */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.app.listen(this.o.host, this.o.port, (ls) => {
        if (!ls) return reject(new Error(`dashboard: cannot listen on ${this.o.host}:${this.o.port} (in use, or not a local address)`));
        this.listenSocket = ls;
        this.port = uWS.us_socket_local_port(ls as never);
        if (this.o.autoTick !== false) {
          this.timer = setInterval(() => this.tick(), Math.max(1, Math.round(1000 / this.o.rateHz)));
        }
        resolve({ host: this.o.host, port: this.port });
      });
    });
  }

  tick(nowMs = Date.now()): void {
    try {
      this.feed.tick(nowMs);
    } catch (e) {
      // A panel that cannot be built must not stop the feed of the others.
      this.log.error({ err: e }, 'dashboard feed tick failed');
    }
  }

  /**
   * Stops the ticker and closes every socket synchronously. Safe to call twice, and from a worker's 'exit'
   * event: no uWS socket may outlive the worker thread (an open native handle there aborts the process).
   */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    this.closed = true;
    this.feed.closeAll();
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    // Also the sockets no route knows about: idle keep-alive HTTP connections, browsers' preconnections.
    // (`App.close()` exists in the 20.30 binary, not in its type declarations.)
    (this.app as TemplatedApp & { close?: () => void }).close?.();
  }

  // ---- routes -------------------------------------------------------------------------------------------

  private routes(): void {
    const { app, o } = this;
    app.get('/health', (res) => this.json(res, 200, { status: 'ok', uptimeMs: Date.now() - o.model.startedAtMs }));
    app.get('/ready', (res) => {
      const r = o.model.readiness();
      this.json(res, r.ready ? 200 : 503, { ready: r.ready, reasons: r.reasons, checks: r.checks });
    });
    app.get('/metrics', (res, req) => {
      if (o.metricsAuth && !this.authorized(res, req)) return;
      let aborted = false;
      res.onAborted(() => (aborted = true));
      o.metrics.text().then((body) => {
        if (!aborted) res.cork(() => this.send(res, 200, o.metrics.contentType, body));
      }, (e) => {
        this.log.error({ err: e }, 'metrics collection failed');
        if (!aborted) res.cork(() => this.json(res, 500, { error: 'metrics collection failed' }));
      });
    });
    app.get('/api/status', (res, req) => {
      if (!this.authorized(res, req)) return;
      const now = Date.now();
      const m = o.model;
      this.json(res, 200, {
        ts: now, mode: m.opts.mode, source: m.opts.marketSource, readiness: m.readiness(now),
        engine: m.cold.get('engine:status', now) ?? null, venues: m.venues(now),
        breaker: { state: m.cold.get('cb:state', now) ?? null, reason: m.cold.get('cb:reason', now) ?? null },
        dashboard: { ...m.stats, rateHz: o.rateHz, coldKeys: m.cold.size },
      });
    });
    app.get('/api/symbols', (res, req) => {
      if (!this.authorized(res, req)) return;
      this.json(res, 200, { symbols: o.model.symbolsInfo(), topics: o.model.topicNames });
    });
    app.post('/api/kill', (res, req) => this.kill(res, req));
    for (const path of ACTION_PATHS) app.post(path, (res, req) => this.action(path, res, req));
    const cold = (key: string) => o.model.cold.get(key, Date.now()) ?? null;
    const view = (path: string, body: () => unknown) => app.get(path, (res, req) => {
      if (this.authorized(res, req)) this.json(res, 200, body());
    });
    view('/api/orders', () => ({ orders: cold('orders:open') ?? [], ts: Date.now() }));
    view('/api/positions', () => ({ positions: cold('positions') ?? [], pnl: cold('pnl'), ts: Date.now() }));
    view('/api/strategies', () => ({ strategies: cold('signals:strategies'), windows: cold('signals:windows') }));
    view('/api/performance', () => ({
      pnl: cold('pnl'), curve: cold('performance:pnl_curve'), sharpe: cold('performance:sharpe'), maxDrawdown: cold('performance:max_drawdown'), winRate: cold('performance:win_rate'),
    }));
    app.get('/api/risk', (res, req) => {
      if (!this.authorized(res, req)) return;
      const exec = cold('monitoring:execution:metrics') as Record<string, unknown> | null;
      this.json(res, 200, {
        limits: o.riskLimits ?? {}, use: riskUse(cold('positions'), cold('orders:open'), cold('pnl'), o.riskLimits ?? {}),
        rejections: cold('risk:rejections') ?? {}, lastRejections: cold('risk:rejections:last') ?? [],
        performance: { sharpe: cold('performance:sharpe'), maxDrawdown: cold('performance:max_drawdown'), winRate: cold('performance:win_rate') }, breaker: exec?.breaker ?? { state: cold('cb:state'), reason: cold('cb:reason') },
        halt: exec?.halt ?? null, drift: cold('execution:drift'), account: cold('account:summary') ?? null, preservation: cold('engine:preservation') ?? null, ts: Date.now(),
      });
    });
    app.get('/api/audit', (res, req) => {
      if (!this.authorized(res, req)) return;
      const f = { action: req.getQuery('action') || undefined, source: req.getQuery('source') || undefined, q: req.getQuery('q') || undefined, limit: Math.min(500, Math.max(1, Number(req.getQuery('limit')) || 100)) };
      let aborted = false;
      res.onAborted(() => (aborted = true));
      (o.onAudit ? o.onAudit(f) : Promise.resolve([])).then(
        (entries) => !aborted && res.cork(() => this.json(res, 200, { entries })),
        (e) => !aborted && res.cork(() => this.json(res, 503, { state: 'failed', error: `audit log unavailable: ${(e as Error).message}` })),
      );
    });
    app.any('/api/*', (res) => this.json(res, 404, { error: 'no such API' }));
    app.ws<SocketData>('/ws', {
      compression: uWS.DISABLED,
      maxPayloadLength: MAX_CLIENT_MESSAGE,
      maxBackpressure: o.maxBufferedBytes,
      closeOnBackpressureLimit: 0,
      idleTimeout: 60,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const key = req.getHeader('sec-websocket-key');
        const proto = req.getHeader('sec-websocket-protocol');
        const ext = req.getHeader('sec-websocket-extensions');
        if (!this.authorized(res, req)) return;
        res.upgrade<SocketData>({}, key, proto, ext, context);
      },
      open: (ws) => {
        const data = ws.getUserData();
        data.client = this.feed.addClient(ws as never);
        ws.send(this.feed.hello(), true);
      },
      message: (ws, msg) => this.onClientMessage(ws, msg),
      close: (ws) => {
        const c = ws.getUserData().client;
        if (c) this.feed.removeClient(c);
      },
    });
    app.get('/*', (res, req) => {
      const path = req.getUrl();
      const a = o.assets.get(path);
      if (!a) return this.json(res, 404, { error: 'not found' });
      if (req.getHeader('if-none-match') === a.etag) {
        res.writeStatus('304 Not Modified').writeHeader('ETag', a.etag).end();
        return;
      }
      res.writeStatus('200 OK').writeHeader('Content-Type', a.type).writeHeader('ETag', a.etag).writeHeader('Cache-Control', 'no-cache');
      for (const [k, v] of SECURITY_HEADERS) res.writeHeader(k, v);
      if (a.type.startsWith('text/html')) res.writeHeader('Content-Security-Policy', PAGE_CSP);
      res.end(a.body);
    });
    app.any('/*', (res) => this.json(res, 405, { error: 'method not allowed' }));
  }

  private onClientMessage(ws: WebSocket<SocketData>, msg: ArrayBuffer): void {
    const c = ws.getUserData().client;
    if (!c) return;
    let m: { op?: unknown; topics?: unknown };
    try {
      m = JSON.parse(Buffer.from(msg).toString('utf8'));
    } catch {
      this.o.model.stats.badClientMessages++;
      return;
    }
    if (!m || !Array.isArray(m.topics)) {
      this.o.model.stats.badClientMessages++;
      return;
    }
    if (m.op === 'sub') {
      const rejected = this.feed.subscribe(c, m.topics);
      if (rejected.length) this.o.model.stats.badClientMessages += rejected.length;
    } else if (m.op === 'unsub') this.feed.unsubscribe(c, m.topics);
    else this.o.model.stats.badClientMessages++;
  }

  /** The kill switch: Bearer token (never a query token), JSON with the typed confirmation and a reason. */
  private kill(res: HttpResponse, req: HttpRequest): void {
    const presented = TokenGuard.presented(req.getHeader('authorization'), req.getQuery('token') ?? '', false);
    const contentType = req.getHeader('content-type');
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
    if (!this.guard.check(presented)) {
      this.refuse(res, presented ? 403 : 401, remote, '/api/kill');
      return;
    }
    if (!/^application\/json\b/i.test(contentType)) {
      this.json(res, 415, { error: 'Content-Type must be application/json' });
      return;
    }
    const aborted = { v: false };
    readBody(res, MAX_KILL_BODY, (body) => {
      if (body === null) return this.json(res, 413, { error: `body larger than ${MAX_KILL_BODY} bytes` });
      let m: { confirm?: unknown; reason?: unknown };
      try {
        m = JSON.parse(body.toString('utf8'));
      } catch {
        return this.json(res, 400, { error: 'body is not JSON' });
      }
      if (!m || m.confirm !== KILL_CONFIRMATION) {
        return this.json(res, 400, { error: `confirmation missing: send "confirm": "${KILL_CONFIRMATION}"` });
      }
      // Control characters out, so the reason prints on one line in logs and in redis-cli.
      const reason = typeof m.reason === 'string' ? m.reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() : '';
      if (reason.length < 3 || reason.length > 500) {
        return this.json(res, 400, { error: 'reason required: 3 to 500 characters' });
      }
      const k: KillRecord = { reason, source: 'dashboard', ts: Date.now(), remote };
      this.o.model.stats.killRequests++;
      this.o.model.recordKill(k);
      // Answered with the outcome once execution reports it (done / pending with what is left / failed).
      Promise.resolve()
        .then(() => this.o.onKill(k))
        .catch((e: unknown): KillAnswer => {
          this.log.error({ err: e }, 'kill switch: forwarding failed');
          return { state: 'failed', error: 'kill request could not be forwarded' };
        })
        .then((a) => {
          if (aborted.v) return;
          res.cork(() => this.json(res, a.state === 'failed' ? 503 : 200, { ...a, ts: k.ts }));
        });
    }, aborted);
  }

  /**
   * A console action: the operator token from the Authorization header only (a read-only token gets 403), a
   * same-origin request (CSRF: a foreign page's `Origin` is refused), JSON, a bounded body, a rate limit per
   * address, then validation; answered with the engine's outcome — done, refused or failed, with the reason.
   */
  private action(path: string, res: HttpResponse, req: HttpRequest): void {
    const presented = TokenGuard.presented(req.getHeader('authorization'), '', false);
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
    const origin = req.getHeader('origin');
    const host = req.getHeader('host');
    const contentType = req.getHeader('content-type');
    if (!this.guard.check(presented)) {
      if (this.viewGuard?.check(presented)) return this.json(res, 403, { state: 'refused', error: 'read-only token: actions need the operator token' });
      return this.refuse(res, presented ? 403 : 401, remote, path);
    }
    if (origin && !sameOrigin(origin, host)) return this.json(res, 403, { state: 'refused', error: 'cross-origin request refused' });
    if (!/^application\/json\b/i.test(contentType)) return this.json(res, 415, { state: 'refused', error: 'Content-Type must be application/json' });
    if (!this.limiter.take(remote)) return this.json(res, 429, { state: 'refused', error: 'too many actions: slow down' });
    if (!this.o.onAction) return this.json(res, 503, { state: 'failed', error: 'actions are not available here' });
    const aborted = { v: false };
    readBody(res, MAX_KILL_BODY, (body) => {
      if (body === null) return this.json(res, 413, { state: 'refused', error: `body larger than ${MAX_KILL_BODY} bytes` });
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return this.json(res, 400, { state: 'refused', error: 'body is not JSON' });
      }
      const p = parseAction(path, parsed, this.o.isSymbol ?? (() => true));
      if (!p.ok) return this.json(res, 400, { state: 'refused', error: p.error });
      const cmd = { ...p.cmd, source: 'dashboard', remote, role: 'operator' };
      Promise.resolve()
        .then(() => this.o.onAction!(cmd))
        .catch((e: unknown): KillAnswer => ({ state: 'failed', error: `could not reach the engine: ${(e as Error)?.message ?? e}` }))
        .then((a) => {
          if (aborted.v) return;
          const status = a.state === 'done' || a.state === 'pending' ? 200 : a.state === 'refused' ? 409 : 503;
          res.cork(() => this.json(res, status, a));
        });
    }, aborted);
  }

  /** Checks the token (operator or read-only); on failure answers 401 (none) or 403 (wrong) and returns false. */
  private authorized(res: HttpResponse, req: HttpRequest): boolean {
    const presented = TokenGuard.presented(req.getHeader('authorization'), req.getQuery('token') ?? '');
    if (this.guard.check(presented) || this.viewGuard?.check(presented)) return true;
    this.refuse(res, presented ? 403 : 401, Buffer.from(res.getRemoteAddressAsText()).toString(), req.getUrl());
    return false;
  }

  private refuse(res: HttpResponse, status: 401 | 403, remote: string, path: string): void {
    this.o.model.stats.authFailures++;
    this.authFailuresSinceLog++;
    const now = Date.now();
    if (now - this.lastAuthLog > 10_000) {
      this.log.warn({ remote, path, failures: this.authFailuresSinceLog }, 'dashboard: request without a valid token refused');
      this.lastAuthLog = now;
      this.authFailuresSinceLog = 0;
    }
    res.writeStatus(status === 401 ? '401 Unauthorized' : '403 Forbidden');
    if (status === 401) res.writeHeader('WWW-Authenticate', 'Bearer realm="alphatrader"');
    this.json(res, status, { error: status === 401 ? 'token required' : 'invalid token' }, true);
  }

  private json(res: HttpResponse, status: number, body: unknown, statusWritten = false): void {
    this.send(res, status, 'application/json', JSON.stringify(body), statusWritten);
  }

  private send(res: HttpResponse, status: number, type: string, body: string, statusWritten = false): void {
    if (!statusWritten) res.writeStatus(STATUS_TEXT[status] ?? `${status}`);
    res.writeHeader('Content-Type', type).writeHeader('Cache-Control', 'no-store');
    for (const [k, v] of SECURITY_HEADERS) res.writeHeader(k, v);
    res.end(body);
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK', 202: '202 Accepted', 400: '400 Bad Request', 401: '401 Unauthorized', 403: '403 Forbidden', 404: '404 Not Found',
  405: '405 Method Not Allowed', 413: '413 Payload Too Large', 415: '415 Unsupported Media Type', 500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/** Collects a request body up to `max` bytes; `null` when it is larger. Nothing is called if the client aborts. */
function readBody(res: HttpResponse, max: number, done: (body: Buffer | null) => void, aborted = { v: false }): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  // `aborted` outlives the body: a caller that answers later must not write to a response the client dropped.
  res.onAborted(() => {
    finished = true;
    aborted.v = true;
  });
  res.onData((chunk, isLast) => {
    if (finished) return;
    size += chunk.byteLength;
    if (size > max) {
      finished = true;
      res.cork(() => done(null));
      return;
    }
    chunks.push(Buffer.from(chunk.slice(0))); // the ArrayBuffer is only valid during this callback
    if (isLast) {
      finished = true;
      res.cork(() => done(Buffer.concat(chunks)));
    }
  });
}

/** `Origin` of the page (scheme://host[:port]) against the `Host` it sent the request to. */
function sameOrigin(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Each limit's current use, from the published positions, working orders and P&L. */
function riskUse(positions: unknown, open: unknown, pnl: unknown, limits: Record<string, number | boolean>): Record<string, unknown> {
  const pos = Array.isArray(positions) ? (positions as { symbol: string; qty: number; mark: number | null; avgPrice: number }[]) : [];
  const ords = Array.isArray(open) ? (open as { symbol: string }[]) : [];
  const exposed = new Set([...pos.filter((p) => p.qty !== 0).map((p) => p.symbol), ...ords.map((o) => o.symbol)]);
  const bySymbol = Object.fromEntries(pos.filter((p) => p.qty !== 0).map((p) => [p.symbol, Math.abs(p.qty * (p.mark ?? p.avgPrice))]));
  const p = (pnl ?? {}) as { day?: number; drawdown?: number };
  return {
    openPositions: { used: exposed.size, limit: limits.maxOpenPositions ?? null },
    positionNotional: { bySymbol, limit: limits.maxPositionPerSymbol ?? null },
    dailyLoss: { used: Math.max(0, -(p.day ?? 0)), limit: limits.dailyLossLimit ?? null },
    drawdown: { used: p.drawdown ?? 0, limit: limits.maxDrawdown ?? null },
    workingOrders: ords.length,
  };
}
