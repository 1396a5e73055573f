/**
 * Model test of the symbol-ownership core: instances tick (plan → lease acquire/release/renew), the clock
 * advances, instances die and join. A lease map with expiries plays Redis (SET NX semantics); each instance
 * serves a symbol only while mayServe() says so by its last renewal. Invariants: never two instances
 * serving one symbol; once stable (no deaths/joins, every live instance ticked after every lease of a dead
 * one expired) every symbol is owned by a live instance and counts are within 1. Fixed seeds, printed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayServe, planAssignment, targetCount } from '../../engine/cluster/SymbolAssignment.js';

const TTL = 3000;
const MARGIN = 1000;
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'SPY', 'QQQ', 'TSLA', 'AMZN'];

interface Lease { holder: string; expiresAt: number; renewedAt: number }

class World {
  now = 0;
  leases = new Map<string, Lease>();
  alive = new Set<string>(['a', 'b']);
  dead = new Set<string>();
  /** each instance's own belief: symbol → when it last renewed (it never looks at the others' leases) */
  held = new Map<string, Map<string, number>>();

  owners(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [s, l] of this.leases) if (l.expiresAt > this.now) m.set(s, l.holder);
    return m;
  }

  tick(id: string): void {
    if (!this.alive.has(id)) return;
    const owners = this.owners();
    // renew own leases (compare-and-extend), then apply the plan
    const mine = this.held.get(id) ?? new Map<string, number>();
    this.held.set(id, mine);
    for (const s of [...mine.keys()]) {
      if (owners.get(s) === id) {
        this.leases.set(s, { holder: id, expiresAt: this.now + TTL, renewedAt: this.now });
        mine.set(s, this.now);
      } else mine.delete(s); // compare-and-extend failed: the lease moved on
    }
    const plan = planAssignment({ me: id, instances: [...this.alive], symbols: SYMBOLS, owners: this.owners() });
    for (const s of plan.release) {
      mine.delete(s); // stop serving first, then release
      this.leases.delete(s);
    }
    for (const s of plan.acquire) {
      if (this.owners().has(s)) continue; // SET NX fails
      this.leases.set(s, { holder: id, expiresAt: this.now + TTL, renewedAt: this.now });
      mine.set(s, this.now);
    }
  }

  /** symbol → instances that believe they may serve it (dead ones serve nothing; one not ticked = paused) */
  serving(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const [id, mine] of this.held) {
      if (this.dead.has(id)) continue;
      for (const [s, renewedAt] of mine) {
        if (mayServe(renewedAt, this.now, TTL, MARGIN)) m.set(s, [...(m.get(s) ?? []), id]);
      }
    }
    return m;
  }
}

const cmd = fc.oneof(
  fc.record({ k: fc.constant('tick' as const), who: fc.constantFrom('a', 'b', 'c', 'd') }),
  fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 2500 }) }),
  fc.record({ k: fc.constant('kill' as const), who: fc.constantFrom('a', 'b', 'c', 'd') }),
  fc.record({ k: fc.constant('join' as const), who: fc.constantFrom('c', 'd') }),
);

describe('symbol assignment core', () => {
  it('targets sum to the symbol count and differ by at most 1', () => {
    for (let k = 1; k <= 5; k++) {
      const ids = ['e', 'a', 'c', 'b', 'd'].slice(0, k);
      const t = ids.map((id) => targetCount(id, ids, SYMBOLS.length));
      expect(t.reduce((x, y) => x + y, 0)).toBe(SYMBOLS.length);
      expect(Math.max(...t) - Math.min(...t)).toBeLessThanOrEqual(1);
    }
  });

  for (const seed of [15, 1502, 424242]) {
    it(`never two owners; balanced and complete once stable (seed ${seed})`, () => {
      console.log(`symbol-assignment model seed ${seed}`);
      fc.assert(
        fc.property(fc.array(cmd, { maxLength: 60 }), (cmds) => {
          const w = new World();
          for (const c of cmds) {
            if (c.k === 'tick') w.tick(c.who);
            else if (c.k === 'advance') w.now += c.ms;
            else if (c.k === 'kill' && w.alive.size > 1 && w.alive.has(c.who)) {
              w.alive.delete(c.who);
              w.dead.add(c.who);
            } else if (c.k === 'join' && !w.dead.has(c.who)) w.alive.add(c.who);
            for (const [, who] of w.serving()) expect(who.length).toBeLessThanOrEqual(1);
          }
          // stabilise: let every dead lease expire, then a few rounds of ticks within one TTL of each other
          w.now += TTL + 1;
          for (let round = 0; round < 4; round++) {
            for (const id of [...w.alive].sort()) w.tick(id);
            w.now += 100;
          }
          const owners = w.owners();
          for (const s of SYMBOLS) expect(w.alive.has(owners.get(s) ?? '')).toBe(true);
          const counts = [...w.alive].map((id) => [...owners.values()].filter((h) => h === id).length);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }),
        { seed, numRuns: 300 },
      );
    });
  }
});
