/**
 * SymbolOwnership on a real local 3-master cluster: two instances split 5 symbols (counts within 1), never
 * both serving a symbol (sampled on every step), and when one stops renewing (dead/paused) the other takes
 * its symbols after the TTL.
 */
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { symbolLeaseKeys } from '../../engine/cluster/ClusterKeys.js';
import { SymbolOwnership } from '../../engine/cluster/SymbolOwnership.js';
import { startLocalCluster, stopLocalCluster, type LocalClusterInfo } from '../../engine/redis/LocalCluster.js';

const PASSWORD = 'ownership-test-secret';
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'SPY', 'QQQ'];

async function freeBase(): Promise<number> {
  const free = (p: number) => new Promise<boolean>((res) => {
    const s = net.createServer().once('error', () => res(false)).listen(p, '127.0.0.1', () => s.close(() => res(true)));
  });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 15000);
    let ok = true;
    for (const p of [base, base + 1, base + 2, base + 10000, base + 10001, base + 10002]) if (!(await free(p))) ok = false;
    if (ok) return base;
  }
  throw new Error('no free port range for a local cluster');
}

describe('SymbolOwnership on a local Redis Cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'at-own-'));
  let info: LocalClusterInfo;
  let redis: Cluster;
  beforeAll(async () => {
    info = await startLocalCluster({ dir, basePort: await freeBase(), password: PASSWORD });
    redis = new Cluster([{ host: '127.0.0.1', port: info.ports[0]! }], { redisOptions: { password: PASSWORD } });
  }, 120_000);
  afterAll(async () => {
    redis?.disconnect();
    if (info) await stopLocalCluster(dir, PASSWORD);
  });

  it('splits, never double-serves, and takes over a silent instance', async () => {
    const make = (me: string) => new SymbolOwnership(redis, { me, symbols: SYMBOLS, ttlMs: 1500, marginMs: 300, onStart: () => {}, onStop: () => {} });
    const a = make('a');
    const b = make('b');
    const check = () => {
      const sa = new Set(a.served());
      for (const s of b.served()) expect(sa.has(s)).toBe(false);
    };
    const until = async (cond: () => boolean, tickers: SymbolOwnership[], ids: string[]) => {
      for (let i = 0; i < 400 && !cond(); i++) {
        for (const t of tickers) await t.tick(ids);
        check();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(cond()).toBe(true);
    };
    await until(() => a.served().length + b.served().length === 5 && Math.abs(a.served().length - b.served().length) <= 1, [a, b], ['a', 'b']);
    // b goes silent (no renewals): a must own everything once b's leases expire
    await until(() => a.served().length === 5, [a], ['a']);
    check();
    expect(b.served()).toEqual([]); // b's own clock already told it to stop
    await a.close();
  }, 120_000);

  /** An instance whose actors answer a stop only when the test calls `done`, serving every symbol alone. */
  async function heldStops(me: string, ttlMs: number, marginMs?: number) {
    const stops: { symbol: string; done: () => void }[] = [];
    const a = new SymbolOwnership(redis, {
      me, symbols: SYMBOLS, ttlMs, marginMs, onStart: () => {},
      onStop: (symbol) => new Promise<void>((done) => stops.push({ symbol, done })), // the actors' acknowledgement, held
    });
    for (let i = 0; i < 50 && a.served().length < 5; i++) await a.tick([me]);
    expect(a.served().length).toBe(5);
    return { a, stops };
  }

  it('gives a symbol away only after the engine said it stopped serving it (onStop resolved)', async () => {
    const { a, stops } = await heldStops('a2', 6000);
    const rebalance = a.tick(['a2', 'b2']); // b2 appears: a2 gives up two symbols
    for (let i = 0; i < 200 && stops.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stops.length).toBe(2); // both asked at once
    // not acknowledged yet: the leases are still a2's, so no other instance can take the symbols, and the
    // clock check does not start serving them again while they are being given away
    for (const { symbol } of stops) {
      expect(a.servedNow()).not.toContain(symbol);
      expect(String(await redis.get(symbolLeaseKeys(symbol).lease))).toMatch(/^a2:/);
      expect(a.served()).not.toContain(symbol);
    }
    for (const x of stops) x.done();
    await rebalance;
    for (const { symbol } of stops) expect(await redis.get(symbolLeaseKeys(symbol).lease)).toBeNull(); // released after the acknowledgement
    expect(a.served().length).toBe(3);
    await a.close();
  }, 60_000);

  it('an acknowledgement later than the bound keeps the lease: given away in a later round, only after it', async () => {
    const { a, stops } = await heldStops('a3', 1500, 300);
    await a.tick(['a3', 'b3']); // returns after the bound (ttl/3) with both stops unanswered
    expect(stops.length).toBe(2);
    const [first, second] = stops.map((x) => x.symbol);
    for (let round = 0; round < 4; round++) {
      // rounds go on (renewing the leases past their TTL): neither symbol is given away nor served again
      await a.tick(['a3', 'b3']);
      for (const s of [first!, second!]) {
        expect(String(await redis.get(symbolLeaseKeys(s).lease))).toMatch(/^a3:/);
        expect(a.servedNow()).not.toContain(s);
      }
      expect(stops.length).toBe(2); // asked once each
    }
    stops[0]!.done();
    await a.tick(['a3', 'b3']);
    expect(await redis.get(symbolLeaseKeys(first!).lease)).toBeNull(); // its actors answered: given away
    expect(String(await redis.get(symbolLeaseKeys(second!).lease))).toMatch(/^a3:/); // not yet answered: kept
    stops[1]!.done();
    await a.tick(['a3', 'b3']);
    expect(await redis.get(symbolLeaseKeys(second!).lease)).toBeNull();
    await a.close();
  }, 60_000);

  it('a release the plan no longer wants (the other instance left) is served again', async () => {
    const { a, stops } = await heldStops('a4', 1500, 300);
    await a.tick(['a4', 'b4']);
    const first = stops[0]!.symbol;
    expect(a.servedNow()).not.toContain(first);
    await a.tick(['a4']); // b4 is gone before the stop was answered
    expect(a.servedNow()).toContain(first);
    expect(String(await redis.get(symbolLeaseKeys(first).lease))).toMatch(/^a4:/);
    for (const x of stops) x.done();
    await a.close();
  }, 60_000);
});
