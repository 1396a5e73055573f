import { Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { DashboardModel, type KillRecord } from '../../actors/dashboard/DashboardModel.js';
import { DashboardServer } from '../../actors/dashboard/DashboardServer.js';
import { DashboardMetrics } from '../../actors/dashboard/Metrics.js';
import { StaticAssets } from '../../actors/dashboard/StaticAssets.js';
import { WIRE_OPTIONS } from '../../actors/dashboard/wire.js';

export const TOKEN = 'test-dashboard-token-0123456789';

export interface Harness {
  server: DashboardServer;
  model: DashboardModel;
  base: string;
  port: number;
  kills: KillRecord[];
  close(): void;
}

/** A dashboard server on an ephemeral loopback port, fed by hand instead of by an engine. */
export async function startDashboard(opts: { source?: string; rateHz?: number; maxBufferedBytes?: number; maxBehindTicks?: number; autoTick?: boolean; metricsAuth?: boolean } = {}): Promise<Harness> {
  const model = new DashboardModel({
    symbols: [{ symbol: 'SPY', level2: true }, { symbol: 'QQQ', level2: true }],
    rateHz: opts.rateHz ?? 20,
    historySeconds: 60,
    marketSource: opts.source ?? 'sim',
    mode: 'simulated',
  });
  const kills: KillRecord[] = [];
  const server = new DashboardServer({
    host: '127.0.0.1', port: 0, token: TOKEN, rateHz: opts.rateHz ?? 20,
    maxBufferedBytes: opts.maxBufferedBytes ?? 1 << 20, maxBehindTicks: opts.maxBehindTicks ?? 50, metricsAuth: opts.metricsAuth ?? true,
    model, metrics: new DashboardMetrics(model, ['market-data'], () => 0), assets: new StaticAssets(),
    onKill: (k) => {
      kills.push(k);
      return { state: 'done' as const, breaker: 'tripped' };
    }, autoTick: opts.autoTick,
  });
  const { port } = await server.listen();
  return { server, model, port, base: `http://127.0.0.1:${port}`, kills, close: () => server.close() };
}

const unpackr = new Unpackr(WIRE_OPTIONS);
export type Frame = [string, number, any];
export const decodeFrame = (data: Buffer): Frame => unpackr.unpack(data) as Frame;

/** A feed client that records every decoded frame. */
export class FeedClient {
  readonly frames: Frame[] = [];
  closed = false;
  closeCode = 0;
  readonly opened: Promise<void>;
  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.opened.catch(() => {}); // awaited by tests that expect it to open; refusals are asserted elsewhere
    ws.on('message', (d: Buffer) => this.frames.push(decodeFrame(d)));
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
    });
    ws.on('error', () => {});
  }

  static connect(port: number, token: string | null = TOKEN, headers: Record<string, string> = {}): FeedClient {
    const q = token === null ? '' : `?token=${encodeURIComponent(token)}`;
    return new FeedClient(new WebSocket(`ws://127.0.0.1:${port}/ws${q}`, { headers, perMessageDeflate: false }));
  }

  sub(topics: string[]): void {
    this.ws.send(JSON.stringify({ op: 'sub', topics }));
  }

  of(topic: string): Frame[] {
    return this.frames.filter((f) => f[0] === topic);
  }
}

/** The HTTP status of a refused WebSocket upgrade (or 101 when it opened). */
export function upgradeStatus(port: number, token: string | null, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const c = FeedClient.connect(port, token, headers);
    c.ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    c.ws.once('open', () => {
      c.ws.close();
      resolve(101);
    });
    c.ws.once('error', () => resolve(-1));
  });
}

/** Minimal Prometheus text-format parser: samples by metric name, and the TYPE of each family. */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: { name: string; labels: Record<string, string>; value: number }[] } {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      types.set(t[1], t[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not Prometheus text: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
      let lm: RegExpExecArray | null;
      let consumed = 0;
      while ((lm = re.exec(m[3]))) {
        labels[lm[1]] = lm[2];
        consumed += lm[0].length;
      }
      if (consumed !== m[3].length) throw new Error(`line ${i + 1}: bad labels ${m[3]}`);
    }
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return { types, samples };
}
