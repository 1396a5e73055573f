/** The installed command, not the module: `alphatrader lobster book` is what the user types. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/engine.js';
import { TestRedis, waitFor } from '../helpers/redis.js';
import { SAMPLE_MESSAGE, SAMPLE_ORDERBOOK, SAMPLE_PRESENT } from './helpers.js';

describe.skipIf(!SAMPLE_PRESENT)('alphatrader lobster (the command)', () => {
  it('`lobster book` prints the sample orderbook file line for line', async () => {
    const r = await cli(['lobster', 'book', SAMPLE_MESSAGE, SAMPLE_ORDERBOOK], {});
    expect(r.code, r.stderr).toBe(0);
    const want = readFileSync(SAMPLE_ORDERBOOK, 'utf8').split('\n').filter((l) => l.length > 0);
    const got = r.stdout.split('\n').filter((l) => l.length > 0);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) expect(`line ${i + 1}: ${got[i]}`).toBe(`line ${i + 1}: ${want[i]}`);
  });

  it('an unknown subcommand exits 2 with the usage', async () => {
    const r = await cli(['lobster', 'nonsense'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: alphatrader lobster book/);
  });
});

describe.skipIf(!SAMPLE_PRESENT)('the real AAPL sample with real-format crosses, a halt and attribution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lobster-real-'));
  let redis: TestRedis | undefined;
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  // The sample's rows with an attribution column, an opening cross before them, a halt and its
  // resumption in the middle, and a closing cross after them. Crosses and halts leave the book as it was.
  const msg = readFileSync(SAMPLE_MESSAGE, 'utf8').trim().split('\n');
  const ob = readFileSync(SAMPLE_ORDERBOOK, 'utf8').trim().split('\n');
  const empty = Array.from({ length: 10 }, () => '9999999999,0,-9999999999,0').join(',');
  const mid = 500;
  const t = (row: string) => row.split(',')[0]!;
  const m = [
    `34200.000000001,6,-1,120000,5853300,-1,null`,
    ...msg.slice(0, mid).map((r, i) => `${r},${i % 7 === 0 ? 'UBSS' : 'null'}`),
    `${t(msg[mid - 1]!)},7,0,0,-1,-1,null`,
    `${t(msg[mid - 1]!)},7,0,0,0,-1,null`,
    `${t(msg[mid - 1]!)},7,0,0,1,-1,null`,
    ...msg.slice(mid).map((r) => `${r},null`),
    `57600.000000000,6,-1,250000,5860000,1,null`,
  ];
  const o = [empty, ...ob.slice(0, mid), ob[mid - 1]!, ob[mid - 1]!, ob[mid - 1]!, ...ob.slice(mid), ob.at(-1)!];
  const M = join(dir, 'AAPL_2012-06-21_34200000_57600000_message_10.csv');
  const O = join(dir, 'AAPL_2012-06-21_34200000_57600000_orderbook_10.csv');
  writeFileSync(M, `${m.join('\n')}\n`);
  writeFileSync(O, `${o.join('\n')}\n`);

  it('`lobster book` reproduces the orderbook file; `lobster trades` lists both crosses; both exit 0', async () => {
    const book = await cli(['lobster', 'book', M, O], {});
    expect(book.code, book.stderr).toBe(0);
    expect(book.stdout).toBe(readFileSync(O, 'utf8'));
    const trades = await cli(['lobster', 'trades', M], {});
    expect(trades.code, trades.stderr).toBe(0);
    const rows = trades.stdout.trim().split('\n');
    expect(rows[1]).toBe(`${Date.UTC(2012, 5, 21, 13, 30, 0)},585.33,120000,cross`);
    expect(rows.at(-1)).toBe(`${Date.UTC(2012, 5, 21, 20, 0, 0)},586,250000,cross`);
  });

  it('`replay --lobster` exits 0 and publishes the halt state to Redis', async () => {
    redis = await TestRedis.start();
    const c = redis.client();
    await c.connect();
    try {
      let exited = false;
      const run = cli(['replay', '--lobster', M, O, '--symbol', 'AAPL'], { REDIS_URL: redis.url, ALPHATRADER_LOGGING_PRETTY: 'never', ALPHATRADER_ENGINE_DATA_DIR: mkdtempSync(join(dir, 'data-')) })
        .finally(() => (exited = true));
      // Read while the engine runs: the key has a TTL, and a loaded machine may take longer than it to shut down.
      let halted: { phase?: string } | null = null;
      await waitFor(async () => {
        halted = JSON.parse((await c.get('market:{AAPL}:halted')) ?? 'null');
        return halted?.phase === 'trading' || exited;
      }, 120_000, 'the halt state after trade resumption');
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/"messages":1004,.*LOBSTER replay rate/);
      expect(halted).toMatchObject({ symbol: 'AAPL', halted: false, phase: 'trading' });
    } finally {
      c.disconnect();
    }
  }, 180_000);
});
