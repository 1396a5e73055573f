import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordingReader, RecordingSink } from '../../actors/market-depth/Recording.js';
import { ReplaySource } from '../../actors/market-depth/ReplaySource.js';
import { TwsSource } from '../../actors/market-depth/TwsSource.js';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { makeKeeper, silentLog } from '../helpers/bookkeeper.js';
import { spawn } from 'node:child_process';
import { BIN, ROOT } from '../helpers/engine.js';
import { TestRedis, waitFor } from '../helpers/redis.js';

type Books = Record<string, { bids: [number, number, string][]; asks: [number, number, string][] }>;
const booksOf = (k: ReturnType<typeof makeKeeper>['keeper']): Books =>
  Object.fromEntries(k.syms.map((s) => [s.symbol, s.book.sides()]));

describe('record → replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'at-rec-'));
  const file = join(dir, 'session.atrec');
  let liveBooks: Books;
  let redis: TestRedis | undefined;
  afterAll(async () => redis?.stop());

  it('records a live TWS session; replaying the file rebuilds exactly the same books', async () => {
    const live = makeKeeper();
    const model = new MarketModel({
      seed: 11,
      symbols: live.config.symbols.map((s) => ({ symbol: s.symbol, basePrice: s.basePrice, numRows: s.numRows, level2: s.level2 })),
      startMs: Date.now(),
      eventsPerSecond: 400,
    });
    const sim = new TwsSimulator({ model, host: '127.0.0.1', port: 0, realTimeBarMs: 300 });
    const { port } = await sim.start();
    const recorder = new RecordingSink(file, { symbols: live.config.symbols.map((s) => s.symbol), startedAtMs: Date.now(), source: 'tws' }, live.keeper);
    const tws = new TwsSource(live.config, '127.0.0.1', port, live.clock, silentLog());
    try {
      await tws.start(recorder);
      await waitFor(() => live.keeper.stats.depthOps > 3000 && live.keeper.stats.trades > 50, 30_000, 'enough live traffic');
      sim.pauseFeed(true);
      const spy = model.indexOf('SPY');
      await waitFor(() => JSON.stringify(live.keeper.syms[spy].book.sides()) === JSON.stringify(model.snapshot(spy)), 10_000, 'the live book to settle');
    } finally {
      await tws.stop();
      await sim.stop();
      recorder.close();
    }
    liveBooks = booksOf(live.keeper);

    const replayed = makeKeeper();
    const reader = new RecordingReader(file);
    expect(reader.header.symbols).toEqual(live.config.symbols.map((s) => s.symbol));
    let done = -1;
    const src = new ReplaySource(reader, 'max', replayed.clock, (n) => (done = n));
    await src.start(replayed.keeper);
    await waitFor(() => done >= 0, 30_000, 'the replay to finish');
    expect(done).toBe(recorder.events);
    expect(booksOf(replayed.keeper)).toEqual(liveBooks);
    expect(replayed.keeper.stats).toMatchObject({
      depthOps: live.keeper.stats.depthOps, trades: live.keeper.stats.trades, quotes: live.keeper.stats.quotes,
      ignoredOps: live.keeper.stats.ignoredOps, resets: live.keeper.stats.resets,
    });
  });

  it('`alphatrader replay FILE` publishes those same books to Redis through the whole engine', async () => {
    redis = await TestRedis.start();
    const r = redis.client();
    await r.connect();
    const child = spawn(process.execPath, [BIN, 'replay', file, '--speed', 'max', '--keep-running'], {
      cwd: ROOT, env: { ...process.env, REDIS_URL: redis.url, ALPHATRADER_LOGGING_PRETTY: 'never', ALPHATRADER_DASHBOARD_PORT: '0', ALPHATRADER_ENGINE_DATA_DIR: mkdtempSync(join(tmpdir(), 'at-rp-')) }, stdio: 'ignore',
    });
    try {
      await waitFor(async () => {
        for (const sym of ['SPY', 'QQQ', 'IWM']) {
          const v = await r.get(`market:{${sym}}:book`);
          if (!v) return false;
          const b = JSON.parse(v);
          if (JSON.stringify([b.bids, b.asks]) !== JSON.stringify([liveBooks[sym].bids, liveBooks[sym].asks])) return false;
        }
        return true;
      }, 30_000, 'replayed books in Redis');
    } finally {
      child.kill('SIGTERM');
      r.disconnect();
    }
  });
});
