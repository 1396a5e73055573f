/**
 * Symbol ownership wired into two real engines (`alphatrader start`, simulated venues, the default
 * configuration's 6 symbols) on a local 3-master Redis Cluster:
 *   - the symbols split 3/3; every 100 ms for the whole test each symbol's lease names at most one live
 *     instance, and `status --cluster` shows each symbol served by exactly its owner;
 *   - MONITOR on every master for a window: every write to a `market:{SYM}:*` / `analytics:{SYM}:*` key comes
 *     from the publisher connection (named per instance) of the instance holding that symbol's lease at that
 *     point in the master's command order, and each symbol's `market:{SYM}:timestamp` stays fresh;
 *   - the execution follower's signals reach the owner through `{execution}:signals` (its group reads them);
 *   - SIGKILL of one instance: the survivor serves all 6 (every timestamp newer than the kill), and its
 *     writes are the only ones. The kill → all-served time is printed (the measured figure is
 *     `npm run bench -- execution-takeover`); waits are bounded conditions, never timing assertions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { Redis, type Cluster } from 'ioredis';
import { executionLeaseKeys, SIGNALS_GROUP, SIGNALS_STREAM, symbolLeaseKeys } from '../../engine/cluster/ClusterKeys.js';
import { TestCluster } from '../helpers/cluster.js';
import { EngineProcess, cli } from '../helpers/engine.js';
import { waitFor } from '../helpers/redis.js';

const SYMBOLS = ['AAPL', 'IWM', 'MSFT', 'NVDA', 'QQQ', 'SPY'];
const ownerOf = (v: string | null) => (v ? v.slice(0, v.lastIndexOf(':')) : null);

describe('symbol ownership across two engines on a local Redis Cluster', () => {
  let cluster: TestCluster;
  let redis: Cluster;
  const engines: EngineProcess[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const violations: string[] = [];
  let samples = 0;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    redis = cluster.client();
  }, 120_000);
  afterAll(async () => {
    clearInterval(sampler);
    for (const e of engines) if (e.alive) e.child.kill('SIGKILL');
    redis?.disconnect();
    await cluster?.stop();
  });

  const DASHBOARD_TOKEN = 'symbol-serving-dashboard-token-0123456789';
  const start = (id: string) => {
    const e = EngineProcess.start({ ...cluster.env, REDIS_URL: '', ALPHATRADER_INSTANCE_ID: id, ALPHATRADER_DASHBOARD_TOKEN: DASHBOARD_TOKEN });
    engines.push(e);
    return e;
  };
  const owners = async () => {
    const vs = await Promise.all(SYMBOLS.map((s) => redis.get(symbolLeaseKeys(s).lease)));
    return new Map(SYMBOLS.map((s, i) => [s, ownerOf(vs[i]!)]));
  };
  const timestamps = async () => {
    const vs = await Promise.all(SYMBOLS.map((s) => redis.get(`market:{${s}}:timestamp`)));
    return new Map(SYMBOLS.map((s, i) => [s, Number(vs[i] ?? 0)]));
  };

  /**
   * MONITOR on every master for `ms`: each write to a per-symbol key with the instance whose publisher made it
   * (connection names are per instance) and the lease holder at that point in the master's own command order.
   * A symbol's lease (`{SYM}:lease`) shares its slot, so its grants (the Lua SET inside ACQUIRE, value
   * `id:token`) and releases (DEL) appear in the same stream as the writes. A lease that moves during the
   * window (a starved instance's lease expiring on a loaded host, taken by the other) is then followed, not
   * mistaken for a second writer; a write by anyone but the holder of that moment is the violation.
   */
  const monitorWrites = async (ms: number, holders: Map<string, string | null>) => {
    const seen: { symbol: string; addr: string; holder: string | null }[] = [];
    const moves: string[] = [];
    const holder = new Map(holders);
    const byAddr = new Map<string, string>();
    // MONITOR over a plain socket (its replies are status lines: `+<time> [0 <addr>] "set" "<key>" …`)
    const sockets = cluster.info.ports.map((port) => {
      const sock = connect(port, '127.0.0.1');
      sock.write(`AUTH ${cluster.password}\r\nMONITOR\r\n`);
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        let nl: number;
        while ((nl = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 2);
          const lease = /^\+[\d.]+ \[\d+ lua\] "(SET|DEL)" "\{([A-Z]+)\}:lease"(?: "([^"]+)")?/.exec(line);
          if (lease && SYMBOLS.includes(lease[2]!)) {
            holder.set(lease[2]!, lease[1] === 'SET' ? ownerOf(lease[3]!) : null);
            moves.push(`${lease[2]} → ${holder.get(lease[2]!) ?? 'released'}`);
            continue;
          }
          const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] "(set|psetex|setex|del)" "(?:market|analytics|signals):\{([A-Z]+)\}/i.exec(line);
          if (m && SYMBOLS.includes(m[3]!)) seen.push({ symbol: m[3]!, addr: m[1]!, holder: holder.get(m[3]!) ?? null });
        }
      });
      sock.on('error', () => {});
      return sock;
    });
    await new Promise((r) => setTimeout(r, ms));
    for (const sock of sockets) sock.destroy();
    for (const port of cluster.info.ports) {
      const n = new Redis({ port, password: cluster.password });
      try {
        const list = String(await n.client('LIST'));
        for (const line of list.split('\n')) {
          const addr = /addr=(\S+)/.exec(line)?.[1];
          const name = /name=(\S*)/.exec(line)?.[1];
          if (addr) byAddr.set(addr, name ?? '');
        }
      } finally {
        n.disconnect();
      }
    }
    const writes = seen.map((w) => ({ ...w, writer: byAddr.get(w.addr) ?? `unknown ${w.addr}` }));
    /** writes by anyone but the symbol's lease holder at that point, with the lease moves seen */
    const wrong = writes.filter((w) => w.writer !== `alphatrader-publisher-${w.holder}`).map((w) => `${w.symbol} by ${w.writer} (holder ${w.holder})`);
    if (moves.length) console.log(`lease moves during the MONITOR window: ${moves.join(', ')}`);
    return { symbols: new Set(writes.map((w) => w.symbol)), wrong: wrong.slice(0, 5), moves };
  };

  it('splits the symbols, one writer per symbol; a killed instance\'s symbols move to the survivor', async () => {
    // every 100 ms for the whole test: each lease names at most one holder (by construction) and only a
    // started instance; never a symbol held by an instance that has been SIGKILLed and whose lease ran out
    sampler = setInterval(() => {
      void owners().then((o) => {
        samples++;
        for (const [s, id] of o) if (id !== null && id !== 'sym-a' && id !== 'sym-b') violations.push(`${s} held by ${id}`);
      }, () => {});
    }, 100);

    const a = start('sym-a');
    await waitFor(() => a.has(/^AlphaTrader running/) || !a.alive, 180_000, 'sym-a to come up');
    expect(a.alive, a.raw.slice(-30).join('\n')).toBe(true);
    await waitFor(async () => [...(await owners()).values()].every((id) => id === 'sym-a'), 60_000, 'sym-a to hold every symbol alone');
    const b = start('sym-b');
    await waitFor(() => b.has(/^AlphaTrader running/) || !b.alive, 180_000, 'sym-b to come up');
    expect(b.alive, b.raw.slice(-30).join('\n')).toBe(true);
    // sym-a releases down to its share, sym-b takes the freed symbols: 3 and 3
    await waitFor(async () => {
      const o = [...(await owners()).values()];
      return o.filter((x) => x === 'sym-a').length === 3 && o.filter((x) => x === 'sym-b').length === 3;
    }, 60_000, 'a 3/3 split');
    const split = await owners();

    // status --cluster: each symbol served by exactly its owner, no problems (exit 0)
    let view: { symbols: Record<string, { owner: string | null; servedBy: string[] }>; problems: string[] } | undefined;
    let code: number | null = null;
    await waitFor(async () => {
      const res = await cli(['status', '--cluster', '--json'], { ...cluster.env, REDIS_URL: '' });
      code = res.code;
      view = res.code === 0 || res.code === 1 ? JSON.parse(res.stdout) : undefined;
      return !!view && SYMBOLS.every((s) => view!.symbols[s]?.servedBy.length === 1 && view!.symbols[s]!.servedBy[0] === split.get(s));
    }, 30_000, 'status --cluster to show each symbol served by its owner only');
    expect(view!.problems).toEqual([]);
    expect(code).toBe(0);

    // every symbol's keys written by its owner's publisher only, and fresh
    // the holders as they are now (a lease may have moved since the split was read, during the status checks)
    const before = await monitorWrites(3000, await owners());
    expect(before.symbols).toEqual(new Set(SYMBOLS));
    expect(before.wrong, `lease moves: ${before.moves.join(', ') || 'none'}`).toEqual([]);
    const now = Date.now();
    for (const [s, ts] of await timestamps()) expect(now - ts, `${s} timestamp age`).toBeLessThan(10_000);

    // each instance's dashboard shows every symbol: its own from the rings, the other's from Redis
    for (const e of [a, b]) {
      const line = e.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('Dashboard: http'));
      expect(line, 'the dashboard listening').toBeDefined();
      const url = `http://127.0.0.1:${(line as { port: number }).port}/api/symbols?token=${DASHBOARD_TOKEN}`;
      await waitFor(async () => {
        const r = (await (await fetch(url)).json()) as { symbols: { symbol: string; bid: number | null; ask: number | null }[] };
        return SYMBOLS.every((sym) => r.symbols.some((x) => x.symbol === sym && x.bid !== null && x.ask !== null));
      }, 30_000, 'every symbol quoted on the dashboard');
    }

    // the follower of execution relays its symbols' signals to the owner (consumer group `execution`)
    const exec = ownerOf(await redis.get(executionLeaseKeys().lease));
    expect(['sym-a', 'sym-b']).toContain(exec);
    await waitFor(async () => {
      const groups = (await redis.xinfo('GROUPS', SIGNALS_STREAM).catch(() => [])) as unknown[][];
      const g = groups.find((x) => x[x.indexOf('name') + 1] === SIGNALS_GROUP);
      return !!g && Number(g[g.indexOf('entries-read') + 1]) > 0;
    }, 90_000, 'a relayed signal read by the execution owner');
    // ... and marks the follower's symbols from their books in Redis (RemoteMarket): exactly the symbols it does not serve
    const theirs = [...split].filter(([, id]) => id !== exec).map(([sym]) => sym).sort();
    await waitFor(async () => {
      const m = JSON.parse((await redis.get('monitoring:execution:metrics')) ?? '{}') as { remoteMarket?: { symbols: string[]; applied: number } | null };
      return JSON.stringify(m.remoteMarket?.symbols.slice().sort()) === JSON.stringify(theirs) && m.remoteMarket!.applied > theirs.length;
    }, 30_000, 'the execution owner reading the other instance\'s books');

    // SIGKILL sym-b: its symbols move to sym-a once their leases expire
    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    await b.exited;
    await waitFor(async () => [...(await timestamps()).values()].every((ts) => ts > killedAt), 60_000, 'sym-a to serve every symbol (fresh timestamps)');
    const tookMs = Date.now() - killedAt;
    console.log(`kill → survivor serving all ${SYMBOLS.length} symbols (fresh market:{SYM}:timestamp): ${tookMs} ms (lease TTL 3000 ms; polled, not a measurement)`);
    expect([...(await owners()).values()].every((id) => id === 'sym-a')).toBe(true);
    const after = await monitorWrites(2000, await owners());
    expect(after.symbols).toEqual(new Set(SYMBOLS));
    expect(after.wrong, `lease moves: ${after.moves.join(', ') || 'none'}`).toEqual([]);

    clearInterval(sampler);
    expect(samples).toBeGreaterThan(10);
    expect(violations.slice(0, 5)).toEqual([]);
    const r = await a.stop();
    expect(r.code).toBe(0);
    for (const s of SYMBOLS) expect(await redis.exists(symbolLeaseKeys(s).lease)).toBe(0); // released at a clean stop
  }, 600_000);
});
