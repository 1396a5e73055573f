/**
 * The outlier gate for prints (PrintGate) on its edges, and the whole path: a recording with an outlier
 * print, a trade of size 1e300 and a NaN price replayed through `alphatrader replay` — the outlier lands
 * in `quality:quarantine` with its reason, every gate is counted in `monitoring:quality`, and none of the
 * three reaches the trades, the bars or the last price.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { PrintGate } from '../../actors/market-depth/PrintGate.js';
import { RecordingSink } from '../../actors/market-depth/Recording.js';
import type { MarketSink } from '../../actors/market-depth/MarketSource.js';
import { BIN, ROOT } from '../helpers/engine.js';
import { TestRedis, waitFor } from '../helpers/redis.js';

const opts = { sigmas: 10, minBandBps: 50, warmup: 5, rebaseAfter: 3, halfLifePrints: 100 };

describe('PrintGate', () => {
  it('learns during warm-up, then judges against max(kσ, floor): the floor edge exactly', () => {
    const g = new PrintGate(opts, 1);
    for (let i = 0; i < 5; i++) expect(g.check(0, 100)).toBe(true); // σ = 0: only the floor applies
    const edge = 100 * Math.exp(0.005); // exactly 50 bps in log terms
    expect(g.check(0, edge)).toBe(true);
    expect(g.check(0, edge * Math.exp(0.00500001))).toBe(false);
    expect(g.outliers[0]).toBe(1);
    expect(g.last).toMatchObject({ reference: edge });
    expect(g.last.band).toBeCloseTo(0.005, 12);
  });

  it('a warm-up print is never judged, however far, but teaches σ no more than the floor', () => {
    const g = new PrintGate({ ...opts, minBandBps: 0.5 }, 1);
    g.check(0, 100);
    expect(g.check(0, 300)).toBe(true); // a wild early print
    for (let i = 0; i < 3; i++) g.check(0, 300);
    expect(g.sigma(0)).toBeLessThanOrEqual(0.00005 * Math.sqrt(Math.PI / 2) + 1e-15);
    expect(g.check(0, 330)).toBe(false); // +10 %: still an outlier after warm-up
  });

  it('the band follows σ when σ is wide', () => {
    const g = new PrintGate({ ...opts, minBandBps: 0 }, 1);
    let p = 100;
    for (let i = 0; i < 200; i++) g.check(0, (p *= i % 2 ? 1.001 : 1 / 1.001)); // |r| = ln 1.001 each print
    expect(g.sigma(0)).toBeCloseTo(Math.log(1.001) * Math.sqrt(Math.PI / 2), 9);
    const band = 10 * g.sigma(0);
    expect(g.check(0, p * Math.exp(band * 1.01))).toBe(false); // refused prints teach nothing
    expect(g.check(0, p * Math.exp(-band * 1.01))).toBe(false);
    expect(g.check(0, p * Math.exp(band * 0.99))).toBe(true);
  });

  it('a real move (3 consecutive outliers on one side, close together) is accepted; the level follows', () => {
    const g = new PrintGate(opts, 1);
    for (let i = 0; i < 5; i++) g.check(0, 100);
    expect([g.check(0, 110), g.check(0, 110.1)]).toEqual([false, false]);
    expect(g.check(0, 110.05)).toBe(true); // the third: rebased
    expect(g.rebases[0]).toBe(1);
    expect(g.check(0, 110.02)).toBe(true); // judged from the new level now
    expect(g.check(0, 100)).toBe(false);
  });

  it('alternating bad prints never add up to a move; a reset forgets the reference', () => {
    const g = new PrintGate(opts, 1);
    for (let i = 0; i < 5; i++) g.check(0, 100);
    for (let i = 0; i < 10; i++) expect(g.check(0, i % 2 ? 120 : 80)).toBe(false);
    expect(g.rebases[0]).toBe(0);
    g.reset(0);
    expect(g.check(0, 120)).toBe(true);
  });
});

describe('quarantine through the engine', () => {
  let redis: TestRedis | undefined;
  afterAll(async () => redis?.stop());

  it('an outlier, a 1e300 trade and a NaN price from a recording: quarantined or refused, counted, never a print', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-quarantine-'));
    const file = join(dir, 'outlier.atrec');
    const nothing: MarketSink = { depth() {}, trade() {}, quote() {}, reset() {}, connection() {}, endOfBatch() {} };
    const rec = new RecordingSink(file, { symbols: ['SPY', 'QQQ', 'IWM', 'AAPL', 'MSFT', 'NVDA'], startedAtMs: 0, source: 'test' }, nothing);
    const t0 = Date.UTC(2026, 11, 7, 15, 0);
    let i = 0;
    const trade = (px: number, size = 100) => {
      rec.trade(0, t0 + ++i * 100, px, size, 1, i * 1e6);
      rec.endOfBatch(); // one socket read per print, as a live source batches them
    };
    for (let k = 0; k < 80; k++) trade(590 + (k % 3) * 0.01);
    trade(650); // ≈ +9.7 %: an outlier
    trade(590.02, 1e300); // refused at ingest: size cap
    trade(NaN); // refused at ingest: not finite
    for (let k = 0; k < 5; k++) trade(590.01);
    rec.close();

    redis = await TestRedis.start();
    const r = redis.client();
    const child = spawn(process.execPath, [BIN, 'replay', file, '--speed', 'max', '--keep-running'], {
      cwd: ROOT, stdio: 'ignore',
      env: { ...process.env, REDIS_URL: redis.url, ALPHATRADER_LOGGING_PRETTY: 'never', ALPHATRADER_DASHBOARD_PORT: '0', ALPHATRADER_ENGINE_DATA_DIR: mkdtempSync(join(tmpdir(), 'at-q-')),
        // the replay ends within a second: keep its keys long enough to be read on a loaded host
        ALPHATRADER_TTL_TRADES: '600000', ALPHATRADER_TTL_TICKER: '600000', ALPHATRADER_TTL_BARS: '600000' },
    });
    try {
      await waitFor(async () => (await r.xlen('quality:quarantine')) >= 1, 30_000, 'the quarantined print in the stream');
      const [[, fields]] = (await r.xrange('quality:quarantine', '-', '+')) as [string, string[]][];
      const e = Object.fromEntries(fields!.reduce<[string, string][]>((acc, v, k, a) => (k % 2 ? acc : [...acc, [v, a[k + 1]!]]), []));
      expect(e).toMatchObject({ symbol: 'SPY', price: '650', size: '100', reason: 'outlier', source: 'replay' });
      expect(Number(e.reference)).toBeCloseTo(590, 1);
      expect(Number(e.bandBps)).toBeCloseTo(50, 6);
      await waitFor(async () => {
        const q = JSON.parse((await r.get('monitoring:quality')) ?? '{}');
        return q.outlier?.SPY === 1 && q.ingest?.sizeCap === 1 && q.ingest?.nonFinite === 1;
      }, 30_000, 'monitoring:quality counting each gate');
      // none of the three is a print anywhere: the last price and the kept trades never saw them
      await waitFor(async () => (await r.get('market:{SPY}:last')) !== null, 30_000, 'market:{SPY}:last');
      const last = JSON.parse((await r.get('market:{SPY}:last'))!);
      expect(last.price).toBeCloseTo(590.01, 6);
      await waitFor(async () => JSON.parse((await r.get('market:{SPY}:trades')) ?? '[]').length >= 80, 30_000, 'market:{SPY}:trades');
      const trades = JSON.parse((await r.get('market:{SPY}:trades'))!) as [number, number, number, number][];
      expect(trades.every(([, px, size]) => px < 600 && size === 100)).toBe(true);
      const bars = JSON.parse((await r.get('market:{SPY}:bars')) ?? '[]') as { h: number; v: number }[];
      expect(bars.every((b) => b.h < 600 && b.v < 1e9)).toBe(true);
    } finally {
      child.kill('SIGTERM');
      r.disconnect();
    }
  });
});
