import uWS from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocket } from 'uWebSockets.js';
import type { DashboardModel, KillRecord } from './DashboardModel.js';
import { FeedPublisher, type FeedClient } from './FeedPublisher.js';
import type { DashboardMetrics } from './Metrics.js';
import type { StaticAssets } from './StaticAssets.js';
import { TokenGuard } from './TokenGuard.js';
import { MAX_CLIENT_MESSAGE } from './wire.js';

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
  onKill(k: KillRecord): void;
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
  private readonly log: LogLike;
  private listenSocket: us_listen_socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastAuthLog = 0;
  private authFailuresSinceLog = 0;
  private closed = false;
  port = 0;

  constructor(private readonly o: DashboardServerOptions) {
    this.guard = new TokenGuard(o.token);
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
      try {
        this.o.onKill(k);
      } catch (e) {
        this.log.error({ err: e }, 'kill switch: forwarding failed');
        return this.json(res, 500, { error: 'kill request could not be forwarded' });
      }
      this.o.model.stats.killRequests++;
      this.o.model.recordKill(k);
      this.json(res, 202, { accepted: true, ts: k.ts });
    });
  }

  /** Checks the token; on failure answers 401 (none) or 403 (wrong) and returns false. */
  private authorized(res: HttpResponse, req: HttpRequest): boolean {
    const presented = TokenGuard.presented(req.getHeader('authorization'), req.getQuery('token') ?? '');
    if (this.guard.check(presented)) return true;
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
function readBody(res: HttpResponse, max: number, done: (body: Buffer | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  res.onAborted(() => (finished = true));
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
