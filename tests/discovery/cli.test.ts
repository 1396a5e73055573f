import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAGIC, RecordingSink } from '../../actors/market-depth/Recording.js';
import type { MarketSink } from '../../actors/market-depth/MarketSource.js';
import { runDiscover, type DiscoverIo } from '../../cli/discover.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { TestRedis, freePort } from '../helpers/redis.js';
import { RHO, T0, VENUE_MIX, correlatedTrades, venueMixBook } from './synthetic.js';

const SEED = 777;
console.log(`discover CLI tests: seed ${SEED}`);
const dir = mkdtempSync(join(tmpdir(), 'at-discover-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const nullSink: MarketSink = { depth() {}, trade() {}, quote() {}, reset() {}, connection() {}, endOfBatch() {} };

/** A real recording file (the engine's own writer) of the synthetic market: SPY and QQQ, plus TSLA (not configured). */
function writeRecording(file: string, seconds: number): void {
  const rec = new RecordingSink(file, { symbols: ['SPY', 'QQQ', 'TSLA'], startedAtMs: T0, source: 'synthetic' }, nullSink);
  // Events must reach the file in time order, as a recorder writes them: collect, sort, write.
  const evs: { ts: number; write: () => void }[] = [];
  correlatedTrades({
    trade: (sym, ts, price, size) => evs.push({ ts, write: () => rec.trade(sym, ts, price, size, 1, 0) }),
    depth: () => {},
  }, SEED, seconds);
  venueMixBook({
    trade: () => {},
    depth: (sym, ts, p, op, side, price, size, mm) => evs.push({ ts, write: () => rec.depth(sym, ts, p, op, side, price, size, mm, 0) }),
  }, 0, SEED + 1, seconds, 20);
  for (let k = 0; k < seconds; k += 10) evs.push({ ts: T0 + k * 1000 + 700, write: () => rec.trade(2, T0 + k * 1000 + 700, 250, 100, -1, 0) });
  evs.sort((a, b) => a.ts - b.ts);
  for (const e of evs) e.write();
  rec.close();
}

function io(env: Record<string, string>): DiscoverIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '', stderr: '', env: { ...env }, now: () => T0 + 86_400_000,
    out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t),
  };
  return o;
}

describe('alphatrader discover --replay', () => {
  const rec = join(dir, 'synthetic.atrec');
  let redis: TestRedis;
  beforeAll(async () => {
    writeRecording(rec, 3000);
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('writes a YAML overlay that loads with --config, and the discovery keys to Redis', async () => {
    const out = join(dir, 'discovered.yaml');
    const t = io({ REDIS_URL: redis.url });
    const code = await runDiscover(['--replay', rec, '--out', out, '--interval', '1', '--json'], t);
    expect(code, t.stderr).toBe(0);
    const report = JSON.parse(t.stdout);
    expect(report.intervalSeconds).toBe(1);
    expect(report.out).toBe(out);

    // The overlay merges over the defaults: the engine would start with these bucket volumes.
    const cfg = loadConfig({ file: out, env: {} }).config;
    const bv = cfg.analytics.vpin.bucketVolume;
    expect(bv.SPY).toBe(report.perSymbol.SPY.vpin.bucketVolume);
    expect(bv.QQQ).toBe(report.perSymbol.QQQ.vpin.bucketVolume);
    expect(bv.SPY).toBeGreaterThan(0);
    // TSLA is not a configured symbol: left out (the configuration would reject it), and said so.
    expect(bv.TSLA).toBeUndefined();
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/left out of bucketVolume: TSLA/);
    expect(text).toMatch(/EXTRAPOLATED/);
    expect(cfg.symbols.map((s) => s.symbol)).toContain('IWM'); // the rest of the defaults is untouched

    const c = redis.client();
    await c.connect();
    try {
      const corr = JSON.parse((await c.get('discovery:correlation'))!);
      expect(corr.symbols).toEqual(['SPY', 'QQQ', 'TSLA']);
      expect(corr.returns).toBe('log');
      expect(corr.intervalSeconds).toBe(1);
      expect(Math.abs(corr.matrix[0][1] - RHO)).toBeLessThan(0.06);
      expect(corr.bySymbol.SPY.QQQ).toBe(corr.matrix[0][1]);
      expect(corr.bySymbol.QQQ.SPY).toBe(corr.matrix[1][0]);
      expect(corr.bySymbol.SPY.SPY).toBeUndefined();
      expect(corr.generatedAtMs).toBe(T0 + 86_400_000);
      expect(await c.pttl('discovery:correlation')).toBe(-1); // no expiry: the reader judges generatedAtMs
      const spy = JSON.parse((await c.get('discovery:{SPY}'))!);
      expect(spy.vpin.bucketVolume).toBe(bv.SPY);
      const venues = spy.marketMakers.venues as { venue: string; rowShare: number }[];
      for (const v of venues) expect(Math.abs(v.rowShare - VENUE_MIX[v.venue]!)).toBeLessThan(0.05);
      expect(spy.temporal.returns.acf).toHaveLength(10);
      expect(['low', 'normal', 'high']).toContain(spy.volatility.label);
      expect(await c.exists('discovery:{QQQ}', 'discovery:{TSLA}')).toBe(2);
    } finally {
      c.disconnect();
    }
  });

  it('reports an unreachable Redis and still writes the file (exit 0)', async () => {
    const out = join(dir, 'no-redis.yaml');
    const port = await freePort();
    const t = io({ REDIS_URL: `redis://:pw@127.0.0.1:${port}` });
    expect(await runDiscover(['--replay', rec, '--out', out], t)).toBe(0);
    expect(t.stdout).toMatch(/Redis: not written: Redis at 127\.0\.0\.1:\d+ is not reachable/);
    expect(t.stdout).toMatch(/Correlation of \d+ s log returns/);
    expect(loadConfig({ file: out, env: {} }).config.analytics.vpin.bucketVolume.SPY).toBeGreaterThan(0);
  });
});

describe('bad input files give a clear error and exit 2', () => {
  const run = async (file: string) => {
    const t = io({});
    const code = await runDiscover(['--replay', file, '--out', join(dir, 'x.yaml'), '--no-redis'], t);
    return { code, stderr: t.stderr };
  };
  const header = (h: string) => {
    const b = Buffer.from(h);
    const pre = Buffer.alloc(MAGIC.length + 4);
    pre.write(MAGIC, 0, 'latin1');
    pre.writeUInt32LE(b.length, MAGIC.length);
    return Buffer.concat([pre, b]);
  };
  const cases: [string, () => Buffer | null, RegExp][] = [
    ['a missing file', () => null, /no such file/],
    ['not a recording', () => Buffer.from('time,price,size\n1,2,3\n'), /not an AlphaTrader recording \(bad magic\)/],
    ['a truncated header', () => Buffer.concat([Buffer.from(MAGIC, 'latin1'), Buffer.from([1, 0])]), /truncated header/],
    ['a header that is not JSON', () => header('{"symbols": [SPY'), /corrupt header/],
    ['a header without symbols', () => header('{"startedAtMs": 1}'), /"symbols" must be a non-empty list/],
    ['no events', () => header('{"symbols":["SPY"],"startedAtMs":1,"source":"x"}'), /holds no market events/],
    ['an unknown frame kind', () => Buffer.concat([header('{"symbols":["SPY"],"startedAtMs":1,"source":"x"}'), Buffer.alloc(19, 0x63)]), /unknown frame kind 99/],
  ];
  for (const [what, bytes, msg] of cases) {
    it(what, async () => {
      const f = join(dir, `bad-${what.replace(/\W+/g, '-')}.atrec`);
      const b = bytes();
      if (b) writeFileSync(f, b);
      const r = await run(f);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toContain(f);
    });
  }

  it('a directory', async () => {
    const r = await run(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a file/);
  });

  it('bad arguments', async () => {
    const t = io({});
    expect(await runDiscover(['--replay', 'x', '--duration', '5'], t)).toBe(2);
    expect(t.stderr).toMatch(/exclude each other/);
    expect(await runDiscover(['--interval', '0.5', '--replay', 'x'], t)).toBe(2);
    expect(t.stderr).toMatch(/--interval/);
    expect(await runDiscover(['--bogus'], t)).toBe(2);
    expect(t.stderr).toMatch(/usage: alphatrader discover/);
  });
});
