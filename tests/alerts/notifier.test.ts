import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatAlert, type Alert } from '../../engine/alerts/channels.js';
import { alertChannels } from '../../engine/alerts/fromConfig.js';
import { Notifier } from '../../engine/alerts/Notifier.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { EngineProcess, cli } from '../helpers/engine.js';
import { TestRedis, freePort, waitFor } from '../helpers/redis.js';

/** A local HTTP receiver in every channel's place: records each request; fails the first `failFirst` with `failStatus`. */
class Receiver {
  readonly got: { path: string; body: Record<string, unknown>; at: number }[] = [];
  failFirst = 0;
  failStatus = 500;
  private server?: Server;
  port = 0;
  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (this.failFirst > 0) {
          this.failFirst--;
          res.writeHead(this.failStatus).end();
          return;
        }
        this.got.push({ path: req.url ?? '', body: JSON.parse(body), at: Date.now() });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
      });
    });
    this.port = await freePort();
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}

const silent = { warn() {}, error() {} };
const alert = (over: Partial<Alert> = {}): Alert => ({ rule: 'breaker-trip', severity: 'critical', title: 'Circuit breaker tripped', text: 'manual: x', key: 'breaker', fields: { reason: 'manual: x' }, ts: 1_800_000_000_000, ...over });

describe('alert channels: the message shapes people read', () => {
  it('generic JSON, Slack (text + blocks), Discord (embed), Telegram (sendMessage with chat_id)', () => {
    const a = alert();
    const w = JSON.parse(formatAlert(a, { kind: 'webhook', url: 'http://h/w' }, 'eng').body);
    expect(w).toMatchObject({ source: 'alphatrader', engine: 'eng', rule: 'breaker-trip', title: 'Circuit breaker tripped', text: 'manual: x', severity: 'critical' });
    const s = JSON.parse(formatAlert(a, { kind: 'slack', url: 'http://h/s' }, 'eng').body);
    expect(s.text).toContain('Circuit breaker tripped');
    expect(s.blocks[0].type).toBe('header');
    const d = JSON.parse(formatAlert(a, { kind: 'discord', url: 'http://h/d' }, 'eng').body);
    expect(d.embeds[0]).toMatchObject({ title: 'Circuit breaker tripped', description: 'manual: x', timestamp: new Date(a.ts).toISOString() });
    expect(d.embeds[0].fields[0]).toEqual({ name: 'reason', value: 'manual: x', inline: true });
    const t = formatAlert(a, { kind: 'telegram', url: 'https://api.telegram.org', telegramToken: 'T0K', telegramChatId: '42' }, 'eng');
    expect(t.url).toBe('https://api.telegram.org/botT0K/sendMessage');
    expect(JSON.parse(t.body)).toMatchObject({ chat_id: '42' });
    expect(JSON.parse(t.body).text).toContain('manual: x');
  });

  it('channels come from the environment; an enabled channel without its secret is off and reported', () => {
    const cfg = loadConfig({ env: {} }).config.alerts;
    const errors: string[] = [];
    const log = { error: (m: string) => errors.push(m) } as never;
    expect(alertChannels(cfg, { ALPHATRADER_ALERTS_WEBHOOK_URL: 'http://127.0.0.1:9/h' }, log).map((c) => c.kind)).toEqual(['webhook']);
    expect(alertChannels({ ...cfg, slack: { enabled: true } }, {}, log)).toEqual([]);
    expect(errors.join(' ')).toMatch(/ALPHATRADER_ALERTS_SLACK_URL/);
  });
});

describe('notifier: once per episode, retries with back-off, a rate per channel, never blocking', () => {
  const rx = new Receiver();
  beforeAll(() => rx.start());
  afterAll(() => rx.stop());
  beforeEach(() => {
    rx.got.length = 0;
    rx.failFirst = 0;
  });
  const make = (over: Partial<ConstructorParameters<typeof Notifier>[0]> = {}) => new Notifier({
    channels: [{ kind: 'webhook', url: rx.url() }], engine: 'test', dedupeMs: 60_000, perMinute: 100, attempts: 3, backoffMs: 10, timeoutMs: 2000, log: silent, ...over,
  });

  it('one delivery per episode: a repeat is de-duplicated, a recovery opens the next episode', async () => {
    const n = make();
    expect(n.raise(alert({ ts: 1000 }))).toBe(true);
    expect(n.raise(alert({ ts: 2000 }))).toBe(false);
    n.endEpisode('breaker-trip', 'breaker');
    expect(n.raise(alert({ ts: 3000 }))).toBe(true);
    await n.drain();
    expect(rx.got.length).toBe(2);
    expect(n.stats).toMatchObject({ raised: 3, deduplicated: 1, sent: 2, failed: 0 });
  });

  it('retries a failing receiver with back-off, then counts a failure; a 4xx is not retried', async () => {
    const n = make();
    rx.failFirst = 2;
    n.raise(alert({ key: 'a' }));
    await n.drain();
    expect(rx.got.length).toBe(1);
    expect(n.stats).toMatchObject({ sent: 1, retries: 2, failed: 0 });
    rx.failFirst = 5;
    n.raise(alert({ key: 'b' }));
    await n.drain();
    expect(n.stats.failed).toBe(1);
    rx.failFirst = 1;
    rx.failStatus = 400;
    n.raise(alert({ key: 'c' }));
    await n.drain();
    expect(n.stats.failed).toBe(2);
    expect(n.stats.retries).toBe(4); // 2 (a) + 2 (b), none for the 400
    rx.failStatus = 500;
  });

  it('a rate per channel: beyond it alerts are dropped and counted, not queued', async () => {
    const n = make({ perMinute: 3 });
    for (let i = 0; i < 6; i++) n.raise(alert({ key: `k${i}`, ts: Date.now() }));
    await n.drain();
    expect(rx.got.length).toBe(3);
    expect(n.stats.rateLimited).toBe(3);
  });

  it('an unreachable channel never throws to the caller', async () => {
    const n = make({ channels: [{ kind: 'webhook', url: `http://127.0.0.1:${await freePort()}/nobody` }], attempts: 2 });
    expect(() => n.raise(alert())).not.toThrow();
    await n.drain();
    expect(n.stats.failed).toBe(1);
  });
});

describe('alerts from the running engine', () => {
  const rx = new Receiver();
  let redis: TestRedis;
  let engine: EngineProcess;
  let env: Record<string, string>;
  beforeAll(async () => {
    await rx.start();
    redis = await TestRedis.start();
    env = { REDIS_URL: redis.url, ALPHATRADER_ALERTS_WEBHOOK_URL: rx.url('/alphatrader') };
    engine = EngineProcess.start(env);
    await waitFor(() => engine.has(/execution ready/) || !engine.alive, 60_000, 'execution ready');
  });
  afterAll(async () => {
    await engine?.stop();
    await redis?.stop();
    await rx.stop();
  });

  it('`alphatrader breaker trip --reason x` delivers one JSON alert naming the breaker and the reason', async () => {
    const t0 = Date.now();
    const res = await cli(['breaker', 'trip', '--reason', 'x'], env);
    expect(res.code, res.stderr).toBe(0);
    await waitFor(() => rx.got.some((g) => g.body.rule === 'breaker-trip'), 15_000, 'the breaker alert');
    const got = rx.got.filter((g) => g.body.rule === 'breaker-trip');
    expect(got).toHaveLength(1);
    expect(got[0].path).toBe('/alphatrader');
    expect(got[0].body).toMatchObject({ source: 'alphatrader', title: expect.stringMatching(/breaker/i), text: 'manual: x' });
    console.log(`breaker alert delivered ${got[0].at - t0} ms after the CLI command started`);
  });
});
