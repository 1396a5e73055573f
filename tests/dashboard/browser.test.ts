import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { BIN, EngineProcess, ROOT } from '../helpers/engine.js';
import { TestRedis, freePort, waitFor } from '../helpers/redis.js';
import { parsePrometheus, upgradeStatus } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'browser-test-token-5f1c2a9e';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[dashboard browser test] skipped: ${CHROMIUM} not found (Debian: apt-get install chromium)`);

describe.skipIf(!haveChromium)('dashboard in a real browser, on the real engine', () => {
  let redis: TestRedis;
  let engine: EngineProcess;
  let browser: Browser;
  let base = '';
  let port = 0;

  let tws: ChildProcess | undefined;

  beforeAll(async () => {
    redis = await TestRedis.start();
    // The TWS simulator as its own process (not the engine's embedded one), so the test can take it away.
    const twsPort = await freePort();
    tws = spawn(process.execPath, [BIN, 'sim', 'tws', '--port', String(twsPort), '--symbols', 'SPY,QQQ,IWM,AAPL,MSFT,NVDA'], { cwd: ROOT, stdio: 'ignore' });
    await waitFor(() => new Promise<boolean>((resolve) => {
      const s = connect(twsPort, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    }), 20_000, 'the TWS simulator to listen');
    // The standalone simulator serves 10 depth rows a symbol: ask the engine for 10, as a gateway would be asked for what it has.
    const cfgFile = join(mkdtempSync(join(tmpdir(), 'at-dash-')), 'config.yaml');
    const symbols = loadConfig({ env: {} }).config.symbols.map((x) => ({ ...x, numRows: Math.min(10, x.numRows) }));
    writeFileSync(cfgFile, stringify({ symbols }));
    engine = EngineProcess.start({ REDIS_URL: redis.url, ALPHATRADER_DASHBOARD_TOKEN: TOKEN, ALPHATRADER_VENUES_TWS_PORT: String(twsPort) }, ['--config', cfgFile]);
    let line = '';
    await waitFor(() => {
      line = engine.raw.find((l) => l.includes('Dashboard: http://')) ?? '';
      return line !== '' || !engine.alive;
    }, 40_000, 'the dashboard URL in the engine log');
    expect(engine.alive, engine.raw.slice(-20).join('\n')).toBe(true);
    const m = /Dashboard: (http:\/\/[^/]+):(\d+)\//.exec(line)!;
    expect(m, line).not.toBeNull();
    expect(line).toMatch(/token is in the environment variable ALPHATRADER_DASHBOARD_TOKEN/); // where, never what
    expect(engine.raw.some((l) => l.includes(TOKEN))).toBe(false);
    port = Number(m[2]);
    base = `${m[1]}:${port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
    if (tws && tws.exitCode === null && tws.signalCode === null) tws.kill('SIGKILL');
    await redis?.stop();
  });

  const open = async (url: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1680, height: 1000 } });
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(url);
    return page;
  };

  it('refuses the page data, the API and the WebSocket without the token', async () => {
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    expect((await fetch(`${base}/api/symbols`)).status).toBe(401);
    expect((await fetch(`${base}/api/symbols?token=not-the-token`)).status).toBe(403);
    expect(await upgradeStatus(port, null)).toBe(401);
    expect(await upgradeStatus(port, 'not-the-token')).toBe(403);
    const page = await open(`${base}/`);
    await page.waitForSelector('#auth:not([hidden])');
    const state = await page.evaluate(() => (window as unknown as { __dash: { connected: boolean; frames: number } }).__dash);
    expect(state.connected).toBe(false);
    expect(state.frames).toBe(0);
    expect(await page.locator('#ladder .lrow').count()).toBe(0);
    await page.close();
  });

  it('loads with the token, connects, and shows live data on every panel that has it', async () => {
    const page = await open(`${base}/?token=${TOKEN}`);
    await page.waitForFunction(() => (window as unknown as { __dash: { connected: boolean } }).__dash.connected, undefined, { timeout: 20_000 });
    expect(page.url()).not.toContain(TOKEN); // the token leaves the address bar once read

    // Depth ladder: bid and ask rows with prices and size bars.
    await page.waitForFunction(() => document.querySelectorAll('#ladder-bids .lrow.b').length >= 5 && document.querySelectorAll('#ladder-asks .lrow.a').length >= 5, undefined, { timeout: 20_000 });
    // Both sides from one read of the page: two reads can straddle a render while the price moves.
    const [bestBid, bestAsk] = await page.evaluate(() => ['#ladder-bids', '#ladder-asks']
      .map((side) => Number((document.querySelector(`${side} .lrow.best .px`)?.textContent ?? '').replace(/,/g, ''))));
    expect(bestBid).toBeGreaterThan(0);
    expect(bestAsk).toBeGreaterThan(bestBid);
    expect(await page.locator('#ladder-bids .lrow.b .sz.bid i').first().evaluate((e) => parseFloat((e as HTMLElement).style.width))).toBeGreaterThan(0);

    // Price: a last price, a growing history, VWAP.
    await page.waitForFunction(() => /\d/.test(document.querySelector('#price-quote .last')?.textContent ?? ''), undefined, { timeout: 20_000 });
    // The last price can show before the first trade (from the quote), VWAP only after it: waited for, not assumed.
    await page.waitForFunction(() => /vwap\s*\d/i.test(document.querySelector('#price-quote')?.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(await page.locator('#price-quote').textContent()).toMatch(/vwap\s*\d/i);
    const pts = async () => Number(/(\d+) pts/.exec((await page.locator('#price-meta').textContent()) ?? '')?.[1] ?? 0);
    const p0 = await pts();
    await waitFor(async () => (await pts()) > p0 + 10, 20_000, 'the price history to grow (live updates)');

    // Actor health: every actor listed and running.
    await page.waitForFunction(() => document.querySelectorAll('#actors tbody tr').length >= 7, undefined, { timeout: 20_000 });
    const actorRows = await page.locator('#actors tbody tr').allTextContents();
    for (const a of ['market-depth', 'analytics', 'publisher', 'dashboard']) expect(actorRows.join('\n')).toMatch(new RegExp(`${a}\\s*running`));
    expect(await page.locator('#rings tbody tr').count()).toBeGreaterThanOrEqual(4);

    // Watch list: every symbol with a price; the header shows the feed live and Redis up.
    await page.waitForFunction(() => [...document.querySelectorAll('#watch .chip .l')].every((e) => /\d/.test(e.textContent ?? '')), undefined, { timeout: 20_000 });
    expect(await page.locator('#conn').textContent()).toBe('LIVE');
    await page.waitForSelector('#redis.ok', { timeout: 10_000 });

    // Order flow: imbalance and microprice from the book.
    await page.waitForFunction(() => /\d/.test(document.querySelector('#imb-gauge span')?.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(await page.locator('#flow-kv').textContent()).toMatch(/Microprice\s*\d/);

    // Panels fed by other issues show their data when it exists, or say so.
    for (const [panel, sel] of [['VPIN', '#p-vpin'], ['GEX', '#p-gex'], ['signals', '#signals'], ['positions', '#positions'], ['orders', '#orders']]) {
      const text = (await page.locator(sel).textContent()) ?? '';
      expect(text.length, panel).toBeGreaterThan(0);
    }
    // Give the slower panels (GEX from the options poll, the P&L curve) a chance before the screenshot; not asserted.
    await page.waitForFunction(() => document.getElementById('gex-empty')?.hidden === true, undefined, { timeout: 8000 }).catch(() => {});
    await waitFor(async () => (await pts()) >= 80, 10_000, 'a longer price history').catch(() => {});
    const frames = await page.evaluate(() => (window as unknown as { __dash: { frames: number; renders: number } }).__dash);
    expect(frames.frames).toBeGreaterThan(20);
    expect(frames.renders).toBeGreaterThan(5);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
    expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);

    // Switching symbol re-subscribes: the ladder now shows the other symbol's book.
    await page.locator('#watch .chip[data-symbol="QQQ"]').click();
    await page.waitForFunction(() => document.querySelector('#p-ladder .sym')?.textContent === 'QQQ', undefined, { timeout: 5000 });
    await page.waitForFunction((spy) => {
      const t = document.querySelector('#ladder-bids .lrow.best .px')?.textContent;
      return !!t && Math.abs(Number(t.replace(/,/g, '')) - spy) > 5;
    }, bestBid, { timeout: 20_000 });
    await page.close();
  });

  it('serves /metrics with the engine series, /health and /ready', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, 20_000, '/ready to turn 200 (Redis and TWS connected)');
    const { types, samples } = parsePrometheus(await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text());
    for (const f of ['alphatrader_actor_messages_per_second', 'alphatrader_ring_fill_ratio', 'alphatrader_hop_latency_seconds', 'alphatrader_pipeline_latency_seconds',
      'alphatrader_redis_publish_lag_seconds', 'alphatrader_venue_connected', 'alphatrader_breaker_tripped']) expect(types.has(f), f).toBe(true);
    const up = samples.filter((s) => s.name === 'alphatrader_actor_up');
    expect(up.map((s) => s.labels.actor).sort()).toEqual(['analytics', 'dashboard', 'execution', 'market-depth', 'options', 'publisher', 'signals']);
    const hop = samples.find((s) => s.name === 'alphatrader_hop_latency_seconds_count' && s.labels.ring === 'market-data');
    expect(hop?.value).toBeGreaterThan(0);
    expect(samples.find((s) => s.name === 'alphatrader_venue_connected' && s.labels.venue === 'ibkr')?.value).toBe(1);
    // The publisher writes its own metrics straight to Redis; the dashboard polls them (read-only).
    await waitFor(async () => parsePrometheus(await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text()).samples
      .some((s) => s.name === 'alphatrader_redis_publish_lag_seconds' && s.value >= 0), 15_000, 'the Redis publish lag series');
  });

  it('kill switch asks for a reason and a typed confirmation, then the request is audited in Redis', async () => {
    const page = await open(`${base}/?token=${TOKEN}`);
    await page.waitForFunction(() => (window as unknown as { __dash: { connected: boolean } }).__dash.connected, undefined, { timeout: 20_000 });
    await page.click('#kill-btn');
    await page.waitForSelector('#kill-dialog:not([hidden])');
    expect(await page.locator('#kill-go').isDisabled()).toBe(true);
    const reason = `browser test ${Date.now()}`;
    await page.fill('#kill-reason', reason);
    expect(await page.locator('#kill-go').isDisabled()).toBe(true); // a reason alone is not a confirmation
    await page.fill('#kill-confirm', 'kil');
    expect(await page.locator('#kill-go').isDisabled()).toBe(true);
    await page.fill('#kill-confirm', 'KILL');
    expect(await page.locator('#kill-go').isDisabled()).toBe(false);
    await page.click('#kill-go');
    await page.waitForFunction(() => /kill (done|sent)/.test(document.getElementById('kill-result')?.textContent ?? ''), undefined, { timeout: 10_000 });

    const c = redis.client();
    await c.connect();
    try {
      let entry: Record<string, string> | undefined;
      await waitFor(async () => {
        const rows = (await c.xrange('audit:stream', '-', '+')) as [string, string[]][];
        for (const [, kv] of rows) {
          const f: Record<string, string> = {};
          for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]] = kv[i + 1];
          if (f.reason === reason && f.source === 'dashboard') entry = f;
        }
        return !!entry;
      }, 15_000, 'the audit entry in audit:stream');
      expect(entry).toMatchObject({ action: 'kill', source: 'dashboard', reason });
      expect(Number(entry!.ts)).toBeGreaterThan(0);
    } finally {
      c.disconnect();
    }
    expect(engine.has(/KILL SWITCH requested from the dashboard/)).toBe(true);
    await page.close();
  });

  it('/ready turns 503 when the TWS connection drops, and the page shows the venue down', async () => {
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const page = await open(`${base}/?token=${TOKEN}`);
    await page.waitForSelector('#venues .pill.ok', { timeout: 20_000 });
    const exited = new Promise((r) => tws!.once('exit', r));
    tws!.kill('SIGTERM');
    await exited;
    let reasons: string[] = [];
    await waitFor(async () => {
      const r = await fetch(`${base}/ready`);
      reasons = r.status === 503 ? (await r.json()).reasons : [];
      return r.status === 503;
    }, 20_000, '/ready to turn 503');
    expect(reasons.join('; ')).toMatch(/ibkr/);
    expect((await fetch(`${base}/health`)).status).toBe(200); // alive, just not ready
    await page.waitForSelector('#venues .pill.bad', { timeout: 20_000 });
    expect(await page.locator('#venues .pill.bad').textContent()).toBe('IBKR');
    const { samples } = parsePrometheus(await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text());
    expect(samples.find((s) => s.name === 'alphatrader_venue_connected' && s.labels.venue === 'ibkr')?.value).toBe(0);
    expect(samples.find((s) => s.name === 'alphatrader_ready')?.value).toBe(0);
    await page.close();
  });

  it('stops cleanly on SIGTERM (exit 0) with a page and an idle HTTP connection still open', async () => {
    const page = await open(`${base}/?token=${TOKEN}`);
    await page.waitForFunction(() => (window as unknown as { __dash: { connected: boolean } }).__dash.connected, undefined, { timeout: 20_000 });
    await fetch(`${base}/health`); // leaves a keep-alive connection behind
    const { code, signal } = await engine.stop();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    await page.waitForFunction(() => !(window as unknown as { __dash: { connected: boolean } }).__dash.connected, undefined, { timeout: 10_000 });
    expect(await page.locator('#conn').textContent()).not.toBe('LIVE');
    await page.close();
  });
});
