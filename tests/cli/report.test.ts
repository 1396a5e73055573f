/**
 * `alphatrader report` against a real Redis holding an order journal: regenerates a session's report from the
 * journal (files and reports:daily:<date>), prints the stored one, says so when there is nothing to report.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { cli } from '../helpers/engine.js';
import { TestRedis } from '../helpers/redis.js';

describe('alphatrader report', () => {
  let redis: TestRedis;
  let client: Redis;
  const dataDir = mkdtempSync(join(tmpdir(), 'at-report-cli-'));
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await TestRedis.start();
    client = redis.client();
    await client.connect();
    env = { REDIS_URL: redis.url, ALPHATRADER_ENGINE_DATA_DIR: dataDir, ALPHATRADER_LOGGING_PRETTY: 'never' };
    const intent = (cid: string, side: string, qty: number, mid: number) =>
      client.xadd('orders:journal', '*', 'type', 'intent', 'cid', cid, 'symbol', 'SPY', 'side', side, 'qty', String(qty), 'orderType', 'market', 'limitPrice', '', 'stopPrice', '',
        'tif', 'day', 'strategy', '1', 'reduceOnly', side === 'sell' ? '1' : '0', 'ts', '1', 'purpose', side === 'sell' ? 'exit' : 'entry', 'parent', '', 'mid', String(mid), 'sts', '');
    const fill = (cid: string, qty: number, px: number, exec: string) =>
      client.xadd('orders:journal', '*', 'type', 'event', 'cid', cid, 'kind', 'fill', 'ts', '2', 'execId', exec, 'price', String(px), 'qty', String(qty), 'cumQty', String(qty), 'leavesQty', '0');
    await intent('AT-20261207-0DTE-SPY-1', 'buy', 10, 590);
    await fill('AT-20261207-0DTE-SPY-1', 10, 590.02, 'e1');
    await intent('AT-20261207-0DTE-SPY-1-X1', 'sell', 10, 592);
    await fill('AT-20261207-0DTE-SPY-1-X1', 10, 591.98, 'e2');
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('regenerates a session from the journal, then prints the stored one', async () => {
    const r = await cli(['report', '--date', '2026-12-07', '--regenerate'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# AlphaTrader — end-of-day report 2026-12-07/);
    expect(r.stdout).toContain('| 0DTE | 1 | 100.0% | $19.60 | $2.00 | $17.60 |'); // 10 × 1.96, $1 minimum per order
    expect(r.stderr).toMatch(/rebuilt from the order journal/);
    for (const f of ['report.md', 'report.json', 'blotter.csv', 'equity.svg']) expect(existsSync(join(dataDir, 'reports', '2026-12-07', f))).toBe(true);
    expect(JSON.parse((await client.get('reports:daily:2026-12-07'))!).total.trades).toBe(1);

    const again = await cli(['report', '--json'], env); // default date: the last stored session
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ date: '2026-12-07', total: { trades: 1 } });
    expect(again.stderr).toMatch(/^stored report for 2026-12-07/);
  }, 60_000);

  it('a session with nothing stored and no executions: one line, exit 1', async () => {
    const r = await cli(['report', '--date', '2026-12-08'], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('no report for 2026-12-08 and no executions of that session in the order journal');
  }, 60_000);
});
