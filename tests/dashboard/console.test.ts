/**
 * The dashboard as the operator's console (issue 16), against the real engine (simulated venues, paper
 * broker): the /api/ actions with each token, idempotent manual orders, and the console page in Chromium.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineProcess, ROOT } from '../helpers/engine.js';
import { TestRedis, freePort, waitFor } from '../helpers/redis.js';

const CHROMIUM = '/usr/bin/chromium';
const OPERATOR = 'console-operator-token-7d2e';
const VIEWER = 'console-viewer-token-91ab';
const haveChromium = existsSync(CHROMIUM);

describe('dashboard console: one API for the page and scripts', () => {
  let redis: TestRedis;
  let r: Redis;
  let engine: EngineProcess;
  let base = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    redis = await TestRedis.start();
    r = redis.client();
    await r.connect();
    const port = await freePort();
    engine = EngineProcess.start({
      REDIS_URL: redis.url, ALPHATRADER_DASHBOARD_TOKEN: OPERATOR, ALPHATRADER_DASHBOARD_VIEW_TOKEN: VIEWER, ALPHATRADER_DASHBOARD_PORT: String(port),
      // the strategies stay out of the way of the operator's orders (the test switches 0DTE at runtime)
      ALPHATRADER_SIGNALS_ZERO_DTE_ENABLED: 'false', ALPHATRADER_SIGNALS_ONE_DTE_ENABLED: 'false',
      ALPHATRADER_SIGNALS_FOURTEEN_DTE_ENABLED: 'false', ALPHATRADER_SIGNALS_MOC_ENABLED: 'false',
      // the paper broker with fill latency on: an order works for seconds (acknowledged after 300 ms, filled
      // 4 s after that), so a cancel sent from its row reaches the venue first, by ordering, not by luck
      ALPHATRADER_VENUES_SIM_LATENCY_ACK_MS: '300', ALPHATRADER_VENUES_SIM_LATENCY_FILL_MS: '4000',
    });
    base = `http://127.0.0.1:${port}`;
    await waitFor(() => engine.has(/execution ready/) || !engine.alive, 60_000, 'execution ready');
    expect(engine.alive, engine.raw.slice(-20).join('\n')).toBe(true);
    await waitFor(async () => (await r.exists('market:{SPY}:book')) === 1, 30_000, 'books');
    await waitFor(async () => (await fetch(`${base}/health`).then((x) => x.status, () => 0)) === 200, 20_000, 'the dashboard');
    if (haveChromium) {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'] });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
    r?.disconnect();
    await redis?.stop();
  });

  const call = (method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) => fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  /** Waits until the element's text matches; on a timeout the failure shows the text it had. */
  const waitText = async (page: Page, sel: string, re: RegExp) => {
    try {
      await page.waitForFunction(([s, src]) => new RegExp(src).test(document.querySelector(s)?.textContent ?? ''), [sel, re.source] as const, { timeout: 15_000 });
    } catch {
      throw new Error(`${sel} never matched ${re}: it shows ${JSON.stringify(await page.locator(sel).textContent())}`);
    }
  };
  const intents = async (cid: string) => (await r.xrange('orders:journal', '-', '+')).filter(([, kv]) => kv.includes('intent') && kv.includes(cid)).length;

  it('every action needs the operator token: none → 401, read-only → 403; every view takes either', async () => {
    const actions: [string, unknown][] = [
      ['/api/orders', { symbol: 'SPY', side: 'buy', qty: 1, type: 'market', requestId: 'auth-check' }],
      ['/api/orders/cancel', { clientOrderId: 'AT-none', reason: 'auth check' }],
      ['/api/flatten', { reason: 'auth check', confirm: 'FLATTEN' }],
      ['/api/breaker', { action: 'approve', reason: 'auth check' }],
      ['/api/escalation/clear', { reason: 'auth check', confirm: 'CLEAR' }],
      ['/api/strategies', { strategy: 'MOC', enabled: true, reason: 'auth check' }],
      ['/api/kill', { confirm: 'KILL', reason: 'auth check' }],
    ];
    for (const [path, body] of actions) {
      expect((await call('POST', path, null, body)).status, path).toBe(401);
      const viewer = await call('POST', path, VIEWER, body);
      expect(viewer.status, path).toBe(403);
    }
    expect(await intents('auth-check')).toBe(0);
    for (const path of ['/api/orders', '/api/positions', '/api/risk', '/api/audit', '/api/strategies', '/api/performance']) {
      expect((await call('GET', path, null)).status, path).toBe(401);
      expect((await call('GET', path, VIEWER)).status, path).toBe(200);
      expect((await call('GET', path, OPERATOR)).status, path).toBe(200);
    }
    // CSRF: a request from another origin is refused even with the token
    expect((await call('POST', '/api/breaker', OPERATOR, { action: 'approve', reason: 'csrf' }, { Origin: 'http://evil.example' })).status).toBe(403);
    // a bad body names the field
    const bad = await call('POST', '/api/orders', OPERATOR, { symbol: 'SPY', side: 'hold', qty: 1, requestId: 'x1' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/^side/);
  });

  it('a manual order answers its client order id and state; the same requestId again makes no second order', async () => {
    const body = { symbol: 'SPY', side: 'buy', qty: 10, type: 'market', requestId: 'r1' };
    const first = await call('POST', '/api/orders', OPERATOR, body);
    expect(first.status).toBe(200);
    const a = await first.json();
    expect(a).toMatchObject({ state: 'done', clientOrderId: expect.stringMatching(/^AT-\d{8}-manual-SPY-req-r1$/) });
    expect(a.orderState).toBeTruthy();
    const again = await (await call('POST', '/api/orders', OPERATOR, body)).json();
    expect(again).toMatchObject({ state: 'done', duplicate: true, clientOrderId: a.clientOrderId });
    expect(await intents(a.clientOrderId)).toBe(1);
    // a refusal carries the risk rule's reason
    const big = await call('POST', '/api/orders', OPERATOR, { symbol: 'SPY', side: 'buy', qty: 100_000, type: 'market', requestId: 'r-big' });
    expect(big.status).toBe(409);
    expect(await big.json()).toMatchObject({ state: 'refused', error: expect.stringMatching(/max-notional/) });
  });

  it.skipIf(!haveChromium)('the console in Chromium: order, refusal, breaker, strategy switch, cancel, audit; screenshot', async () => {
    const page: Page = await browser!.newPage({ viewport: { width: 1680, height: 1000 } });
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(`${base}/?token=${OPERATOR}`);
    await page.click('#console-btn');
    await page.waitForSelector('#console:not([hidden])');
    await page.fill('#c-reason', 'console test');

    // a manual order: accepted, filled, and shown in positions
    await page.selectOption('#t-symbol', 'MSFT');
    await page.fill('#t-qty', '5');
    await page.click('#t-submit');
    await waitText(page, '#t-result', /accepted: AT-\d+-manual-MSFT-/);
    await page.waitForFunction(() => [...document.querySelectorAll('#c-positions-rows td:first-child')].some((td) => td.textContent === 'MSFT'), undefined, { timeout: 15_000 });

    // one that breaks a limit: refused with the reason
    await page.fill('#t-qty', '100000');
    await page.click('#t-submit');
    await waitText(page, '#t-result', /refused: risk: max-notional/);

    // breaker: trip, approve, reset (typed confirmation)
    await page.click('[data-act="breaker-trip"]');
    await waitText(page, '#c-breaker', /TRIPPED/);
    await page.click('[data-act="breaker-approve"]');
    await page.click('[data-act="breaker-reset"]');
    await page.waitForSelector('#confirm-dialog:not([hidden])');
    expect(await page.locator('#confirm-go').isDisabled()).toBe(true);
    await page.fill('#confirm-input', 'RESET');
    await page.click('#confirm-go');
    await waitText(page, '#c-breaker', /CLOSED/);

    // a working market order (fill latency on) cancelled from its row before it fills
    await page.fill('#t-qty', '3');
    await page.click('#t-submit');
    await waitText(page, '#t-result', /accepted:/);
    const row = page.locator('#c-orders-rows button[data-cancel]');
    await row.first().waitFor({ timeout: 15_000 });
    const cid = await row.first().getAttribute('data-cancel');
    await row.first().click();
    await page.waitForFunction((c) => !document.querySelector(`#c-orders-rows button[data-cancel="${c}"]`), cid, { timeout: 15_000 });
    const cancelled = (await r.xrange('orders:journal', '-', '+')).filter(([, kv]) => kv.includes(cid!) && kv.includes('event')).map(([, kv]) => kv[kv.indexOf('kind') + 1]);
    expect(cancelled).toContain('canceled');
    expect(cancelled).not.toContain('fill');

    // 0DTE switched on, then off: persisted, applied by the signals actor (its window reads closed while off)
    await page.waitForSelector('[data-strategy="0DTE"]');
    if (/OFF/.test((await page.locator('[data-strategy="0DTE"]').textContent()) ?? '')) await page.click('[data-strategy="0DTE"]');
    await waitText(page, '[data-strategy="0DTE"]', /0DTE ON/);
    await page.click('[data-strategy="0DTE"]');
    await waitText(page, '[data-strategy="0DTE"]', /0DTE OFF/);
    expect(JSON.parse((await r.get('signals:strategies'))!)['0DTE']).toBe(false);
    await waitFor(async () => JSON.parse((await r.get('signals:windows')) ?? '{}')?.['0DTE']?.open === false, 15_000, 'the signals actor to close 0DTE');
    const off = Date.now();

    // the audit view lists each action with who, where and the result
    await page.waitForFunction(() => {
      const t = document.getElementById('c-audit-rows')?.textContent ?? '';
      return ['order', 'breaker-trip', 'breaker-approve', 'breaker-reset', 'strategy', 'cancel'].every((a) => t.includes(a)) && t.includes('dashboard');
    }, undefined, { timeout: 15_000 });
    await page.fill('#c-audit-filter', 'strategy');
    await page.waitForFunction(() => [...document.querySelectorAll('#c-audit-rows tr td:nth-child(2)')].every((td) => td.textContent === 'strategy'), undefined, { timeout: 15_000 });

    // no 0DTE signal after the switch (the ones already in the stream are older)
    const zeroDteAfter = (await r.xrange('signals:stream', '-', '+')).filter(([id, kv]) => Number(id.split('-')[0]) > off + 1000 && kv.join(' ').includes('0DTE'));
    expect(zeroDteAfter).toEqual([]);

    await page.fill('#c-audit-filter', '');
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'console.png') });
    await page.close();
  });
});
