/**
 * The local write-ahead journal (JournalWal + JournalShipper, decision 113) against a real redis-server:
 * edge cases, then a model-based run (fast-check, fixed printed seed) of random appends, Redis faults
 * (commands refused before they run, replies lost after they ran), crashes and restarts. After every step:
 * the stream holds a prefix of what was appended, in order, each entry once; nothing appended is missing
 * from both the stream and the file. At the end, after a restart without faults: the stream holds everything.
 * ExecutionCore on it sends an order in the same turn as its intent is written, and refuses one while Redis does.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { JournalShipper } from '../../actors/execution/JournalShipper.js';
import { JournalWal } from '../../actors/execution/JournalWal.js';
import { OrderJournal } from '../../actors/execution/OrderJournal.js';
import { newOrderRecord } from '../../actors/execution/OrderBookkeeping.js';
import type { RedisLike } from '../../engine/redis/RedisClient.js';
import { useTestRedis, waitFor } from '../helpers/redis.js';
import { ExecutionCore } from '../../actors/execution/ExecutionCore.js';
import { etDate } from '../../analytics/calendar.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { silentLog } from '../helpers/bookkeeper.js';
import { ScriptedVenue } from './ScriptedVenue.js';

const SEED = 0x3a11a7;
console.log(`journal-ahead model seed ${SEED}`);

const dir = mkdtempSync(join(tmpdir(), 'wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real client, with faults on `eval` (the shipping script): refused before it runs, or run and its reply lost. */
class FaultyRedis {
  mode: 'ok' | 'refuse' | 'lose-reply' = 'ok';
  left = 0;
  constructor(private readonly real: Redis) {}
  get(k: string) {
    return this.real.get(k);
  }
  set(k: string, v: string) {
    return this.real.set(k, v);
  }
  eval(...a: (string | number)[]): Promise<unknown> {
    if (this.mode !== 'ok' && this.left > 0) {
      this.left--;
      if (this.mode === 'refuse') return Promise.reject(new Error('injected: connection refused'));
      return (this.real.eval as (...x: (string | number)[]) => Promise<unknown>)(...a).then(() => {
        throw new Error('injected: reply lost (command timed out)');
      });
    }
    return (this.real.eval as (...x: (string | number)[]) => Promise<unknown>)(...a);
  }
  asRedis(): RedisLike {
    return this as unknown as RedisLike;
  }
}

const idsIn = async (r: Redis, stream: string) => (await r.xrange(stream, '-', '+')).map(([, f]) => f[f.indexOf('id') + 1]!);
const idsInFile = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.endsWith(']')).map((l) => {
  const a = JSON.parse(l) as string[];
  return a[a.indexOf('id') + 1]!;
});
const settle = () => new Promise((r) => setTimeout(r, 15));

/** A shipper of stream `j:<name>` (file `<name>.wal`) through a FaultyRedis, recovered and ready. */
async function openFaulty(real: Redis, name: string, opts: ConstructorParameters<typeof JournalShipper>[3] = {}) {
  const file = join(dir, `${name}.wal`);
  const faulty = new FaultyRedis(real);
  const s = new JournalShipper(faulty.asRedis(), `j:${name}`, new JournalWal(file), { retryMs: 5, ...opts });
  await s.recover();
  return { file, faulty, s };
}

describe('local write-ahead journal', () => {
  const { client } = useTestRedis();

  it('an append is in the file at once and in the stream after one round trip; the file empties past its threshold', async () => {
    const file = join(dir, 'basic.wal');
    const s = new JournalShipper(client() as unknown as RedisLike, 'j:basic', new JournalWal(file), { truncateBytes: 0 });
    expect(await s.recover()).toBe(0);
    s.append(['type', 'intent', 'id', 'a']);
    expect(idsInFile(file)).toEqual(['a']);
    expect(await s.drained(5000)).toBe(true);
    expect(await idsIn(client(), 'j:basic')).toEqual(['a']);
    expect(await client().get('j:basic:wal')).toBe('1');
    expect(readFileSync(file, 'utf8')).toBe(''); // shipped and over the (zero) threshold: emptied
    await s.close();
  });

  it('a crash before shipping: the next start ships the file before anything else, then empties it', async () => {
    const { file, faulty, s } = await openFaulty(client(), 'crash');
    faulty.mode = 'refuse';
    faulty.left = 1_000_000;
    const health: boolean[] = [];
    const s2opts = { onHealth: (ok: boolean) => health.push(ok) };
    s.append(['type', 'intent', 'id', 'x']);
    s.append(['type', 'event', 'id', 'y']);
    await waitFor(() => s.failing, 5000, 'the shipper to see Redis refuse');
    await s.close(); // the crash: nothing shipped
    expect(await idsIn(client(), 'j:crash')).toEqual([]);
    const again = new JournalShipper(client() as unknown as RedisLike, 'j:crash', new JournalWal(file), s2opts);
    expect(await again.recover()).toBe(2);
    expect(await idsIn(client(), 'j:crash')).toEqual(['x', 'y']);
    expect(readFileSync(file, 'utf8')).toBe('');
    again.append(['type', 'intent', 'id', 'z']); // numbering goes on from the stream's watermark
    expect(await again.drained(5000)).toBe(true);
    expect(await idsIn(client(), 'j:crash')).toEqual(['x', 'y', 'z']);
    expect(await client().get('j:crash:wal')).toBe('3');
    await again.close();
  });

  it('a reply lost after the script ran: the retry adds nothing (counted as a duplicate)', async () => {
    const { faulty, s } = await openFaulty(client(), 'lost');
    faulty.mode = 'lose-reply';
    faulty.left = 1;
    s.append(['type', 'intent', 'id', 'a']);
    expect(await s.drained(5000)).toBe(true);
    expect(await idsIn(client(), 'j:lost')).toEqual(['a']);
    expect(s.counters.duplicates).toBe(1);
    await s.close();
  });

  it('a torn last line (a crash mid-write) is skipped and counted; the whole lines before it are shipped', async () => {
    const file = join(dir, 'torn.wal');
    writeFileSync(file, `${JSON.stringify([1, 'type', 'intent', 'id', 'a'])}\n`);
    appendFileSync(file, '[2,"type","int');
    const s = new JournalShipper(client() as unknown as RedisLike, 'j:torn', new JournalWal(file));
    expect(await s.recover()).toBe(1);
    expect(s.counters.torn).toBe(1);
    expect(await idsIn(client(), 'j:torn')).toEqual(['a']);
    await s.close();
  });

  it('a stream whose watermark went back (Redis restored from an older state): the file is shipped after it, counted', async () => {
    const file = join(dir, 'rebase.wal');
    writeFileSync(file, [7, 8].map((n) => `${JSON.stringify([n, 'type', 'intent', 'id', `e${n}`])}\n`).join(''));
    await client().set('j:rebase:wal', '3');
    const s = new JournalShipper(client() as unknown as RedisLike, 'j:rebase', new JournalWal(file));
    expect(await s.recover()).toBe(2);
    expect(s.counters.rebased).toBe(1);
    expect(await idsIn(client(), 'j:rebase')).toEqual(['e7', 'e8']);
    await s.close();
  });

  it('ExecutionCore on it: the broker call follows the intent in the same turn (decision 146); while Redis refuses, an order is refused with the reason and not sent', async () => {
    const { faulty, s } = await openFaulty(client(), 'core');
    const venue = new ScriptedVenue(() => Date.now());
    const health: boolean[] = [];
    const cfg = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } }).config;
    const session = Date.parse('2026-12-07T15:00:00Z'); // 10:00 New York, a Monday
    const core = new ExecutionCore(cfg, venue, client(), {
      nowMs: () => session, sessionDate: (ms) => etDate(ms).replace(/-/g, ''), marketOpen: () => true, tradingHalted: () => false,
      setTradingHalted() {}, publishBreaker() {}, onOrderEvent() {}, fault() {}, journalHealth: (ok) => void health.push(ok),
    }, silentLog(), 'j:core');
    core.journal.ahead = s;
    await core.start();
    core.onBook('SPY', 589.9, 590.1);
    const sent = core.manualOrder('SPY', 1, 10, 'm1');
    // at the venue already: no microtask ran between the intent's write and the broker call
    expect([...venue.orders.keys()]).toEqual([core.manualOrderId('SPY', 'm1')]);
    expect(await sent).toBe(`sent ${core.manualOrderId('SPY', 'm1')}`);
    expect(readFileSync(join(dir, 'core.wal'), 'utf8')).toContain(core.manualOrderId('SPY', 'm1'));
    // Redis starts refusing; the next entry (the venue's acknowledgement) shows it
    faulty.mode = 'refuse';
    faulty.left = 1_000_000;
    venue.ack(venue.live()[0]!);
    while (venue.outbox.length) venue.deliver(0);
    await waitFor(() => s.failing, 5000, 'the shipper to see Redis refuse');
    const refused = await core.manualOrder('SPY', 1, 5, 'm2');
    expect(refused).toMatch(/^journal unavailable: journal Redis not taking entries \(\d+ wait in the local journal\)$/);
    expect(venue.orders.size).toBe(1);
    expect(core.counters.journalFailures).toBe(1);
    expect(health).toContain(false);
    faulty.mode = 'ok';
    expect(await s.drained(5000)).toBe(true);
    await core.queue.idle();
    await s.close();
  });

  it('while Redis does not take entries a new intent is refused with the reason; broker events are still kept, and shipped after', async () => {
    const health: [boolean, string | undefined][] = [];
    const { faulty, s } = await openFaulty(client(), 'refuse', { onHealth: (ok, why) => health.push([ok, why]) });
    const j = new OrderJournal(client() as unknown as RedisLike, 'j:refuse');
    j.ahead = s;
    const order = (cid: string) => newOrderRecord({ clientOrderId: cid, symbol: 'SPY', side: 'buy', qty: 1, type: 'market', tif: 'day' }, 0, 1, false, 'entry');
    faulty.mode = 'refuse';
    faulty.left = 1_000_000;
    expect(j.appendIntent(order('c1'))).toBeUndefined(); // taken locally at once (nothing to await): Redis's trouble is not known yet
    await waitFor(() => s.failing, 5000, 'the shipper to see Redis refuse');
    expect(j.healthy).toBe(false);
    expect(health[0]).toEqual([false, 'injected: connection refused']);
    // refused on the spot (the order path takes no turn of the event loop for the local journal)
    expect(() => j.appendIntent(order('c2'))).toThrow(/journal Redis not taking entries \(1 wait in the local journal\)/);
    await j.appendEvent('c1', { kind: 'accepted', clientOrderId: 'c1', brokerOrderId: 'b1', ts: 1 });
    expect(s.behind).toBe(2);
    faulty.mode = 'ok';
    expect(await s.drained(5000)).toBe(true);
    expect(health.at(-1)).toEqual([true, undefined]);
    const got = (await client().xrange('j:refuse', '-', '+')).map(([, f]) => `${f[1]}:${f[3]}`);
    expect(got).toEqual(['intent:c1', 'event:c1']);
    await s.close();
  });

  type Cmd =
    | { t: 'append'; n: number }
    | { t: 'fault'; mode: 'refuse' | 'lose-reply'; left: number }
    | { t: 'heal' }
    | { t: 'settle' }
    | { t: 'crash' };
  const cmd: fc.Arbitrary<Cmd> = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => ({ t: 'append' as const, n })) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('fault' as const), mode: fc.constantFrom('refuse' as const, 'lose-reply' as const), left: fc.integer({ min: 1, max: 6 }) }) },
    { weight: 1, arbitrary: fc.constant({ t: 'heal' as const }) },
    { weight: 2, arbitrary: fc.constant({ t: 'settle' as const }) },
    { weight: 1, arbitrary: fc.constant({ t: 'crash' as const }) },
  );

  it('model: random appends, faults and crashes: a prefix in order, each once, nothing lost; all of it after a clean restart', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 30 }), async (cmds) => {
      const stream = `j:model:${run}`;
      const file = join(dir, `model-${run++}.wal`);
      const faulty = new FaultyRedis(client());
      const open = async () => {
        const s = new JournalShipper(faulty.asRedis(), stream, new JournalWal(file), { retryMs: 3, maxBatch: 4, truncateBytes: 64 });
        await s.recover();
        return s;
      };
      let s = await open();
      const appended: string[] = [];
      const check = async () => {
        // the file first: it is emptied only once its entries are in the stream, so whatever the snapshot
        // misses is in the stream read after it
        const inFile = new Set(idsInFile(file));
        const got = await idsIn(client(), stream);
        expect(got).toEqual(appended.slice(0, got.length)); // in order, once, no gap
        for (const id of appended.slice(got.length)) expect(inFile.has(id), `${id} neither in the stream nor in the file`).toBe(true);
      };
      for (const c of cmds) {
        if (c.t === 'append') {
          for (let i = 0; i < c.n; i++) {
            const id = `e${appended.length}`;
            s.append(['type', 'event', 'id', id]);
            appended.push(id);
          }
        } else if (c.t === 'fault') {
          faulty.mode = c.mode;
          faulty.left = c.left;
        } else if (c.t === 'heal') {
          faulty.mode = 'ok';
        } else if (c.t === 'settle') {
          await settle();
        } else {
          await s.close();
          // a restart finds Redis as it is: one that still refuses fails the start, which is run again
          faulty.mode = 'ok';
          s = await open();
        }
        await check();
      }
      faulty.mode = 'ok';
      expect(await s.drained(5000)).toBe(true);
      await s.close();
      s = await open();
      expect(await idsIn(client(), stream)).toEqual(appended);
      expect(readFileSync(file, 'utf8')).toBe('');
      await s.close();
    }), { seed: SEED, numRuns: 60 });
  });
});
