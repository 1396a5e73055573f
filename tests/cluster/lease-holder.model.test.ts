/**
 * Model test of the execution owner's holder core (LeaseHolderCore). A small model plays Redis: the lease
 * (`owner:token` with an expiry on Redis's clock), the epoch counter (INCR on every grant) and the journal's
 * fence (newest token seen) with the journal itself. Three holders step (acquire/renew as the core asks),
 * append, get paused (no steps while time passes), die, shut down cleanly; faults: a reply lost after Redis
 * ran the command, and a late append (an append that passed the local check just before a pause, sent
 * after it). Invariants after every step:
 *   - at most one holder may act, and one that may act holds the lease in Redis (margin before the TTL);
 *   - grants get strictly increasing tokens;
 *   - the journal's tokens never go down, and no entry older than the fence is ever accepted;
 *   - a holder refused by the fence has stepped down;
 * and once stable (dead leases expired, the live holders stepped) exactly one live holder leads.
 * Fixed seeds, printed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeaseHolderCore } from '../../engine/cluster/LeaseHolder.js';

const TTL = 3000;
const MARGIN = 500;
const IDS = ['a', 'b', 'c'] as const;
type Id = (typeof IDS)[number];

class World {
  now = 0;
  lease: { owner: Id; token: number; expiresAt: number } | null = null;
  epoch = 0;
  fence = { token: 0, owner: '' };
  journal: { token: number; owner: Id }[] = [];
  grants: number[] = [];
  refusedAppends = 0;
  readonly cores = new Map<Id, LeaseHolderCore>(IDS.map((id) => [id, new LeaseHolderCore({ ttlMs: TTL, marginMs: MARGIN })]));
  readonly dead = new Set<Id>();
  /** the last token each holder led under (what a late append would carry) */
  readonly lastToken = new Map<Id, number>();

  private liveLease() {
    return this.lease && this.lease.expiresAt > this.now ? this.lease : null;
  }

  step(id: Id, lostReply: boolean): void {
    if (this.dead.has(id)) return;
    const c = this.cores.get(id)!;
    c.check(this.now);
    const action = c.next(this.now);
    if (action === 'acquire') {
      if (this.liveLease()) return void c.acquired(null, this.now);
      const token = ++this.epoch; // ACQUIRE: INCR, SET NX PX
      this.lease = { owner: id, token, expiresAt: this.now + TTL };
      this.grants.push(token);
      if (lostReply) return; // granted in Redis, unknown to the holder: it sits until the TTL
      this.raise(token, id); // the driver raises the fence before the core learns of the grant
      c.acquired(token, this.now);
      this.lastToken.set(id, token);
    } else if (action === 'renew') {
      const token = c.token!;
      c.renewSent(this.now);
      const l = this.liveLease();
      const ok = !!l && l.owner === id && l.token === token;
      if (ok) l!.expiresAt = this.now + TTL;
      if (!lostReply) c.renewed(token, ok, this.now);
    }
  }

  /** An append through the driver: the local clock check, then the fenced script. */
  append(id: Id, late: boolean): void {
    if (this.dead.has(id)) return;
    const c = this.cores.get(id)!;
    let token: number | undefined;
    if (late) token = this.lastToken.get(id); // passed the local check before a pause; sent now regardless
    else {
      c.check(this.now);
      if (c.mayAct(this.now)) token = c.token!;
    }
    if (token === undefined) return;
    if (!this.fenceAppend(token, id)) {
      this.refusedAppends++;
      c.fenced(token);
      expect(c.token === token && c.phase === 'leader').toBe(false);
    }
  }

  shutdown(id: Id): void {
    if (this.dead.has(id)) return;
    const { release } = this.cores.get(id)!.shutdown();
    const l = this.liveLease();
    if (release && l && l.owner === id) this.lease = null; // compare-and-delete
    this.dead.add(id);
  }

  private raise(token: number, owner: Id): boolean {
    if (token < this.fence.token || (token === this.fence.token && owner !== this.fence.owner)) return false;
    this.fence = { token, owner };
    return true;
  }

  private fenceAppend(token: number, owner: Id): boolean {
    const before = this.fence.token;
    if (!this.raise(token, owner)) return false;
    expect(token).toBeGreaterThanOrEqual(before);
    this.journal.push({ token, owner });
    return true;
  }

  checkInvariants(): void {
    const acting = IDS.filter((id) => !this.dead.has(id) && this.cores.get(id)!.mayAct(this.now));
    expect(acting.length).toBeLessThanOrEqual(1);
    for (const id of acting) {
      const l = this.liveLease();
      expect(l?.owner).toBe(id);
      expect(l?.token).toBe(this.cores.get(id)!.token);
      expect(l!.expiresAt - this.now).toBeGreaterThan(MARGIN - 1); // it stops MARGIN before Redis could let go
    }
    for (let i = 1; i < this.grants.length; i++) expect(this.grants[i]!).toBeGreaterThan(this.grants[i - 1]!);
    for (let i = 1; i < this.journal.length; i++) expect(this.journal[i]!.token).toBeGreaterThanOrEqual(this.journal[i - 1]!.token);
    if (this.journal.length) expect(this.journal.at(-1)!.token).toBeLessThanOrEqual(this.fence.token);
  }
}

const who = fc.constantFrom(...IDS);
const cmd = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('step' as const), who, lost: fc.integer({ min: 0, max: 4 }).map((n) => n === 0) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 1200 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pause' as const), ms: fc.integer({ min: TTL - 500, max: 2 * TTL }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('append' as const), who, late: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('kill' as const), who }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('shutdown' as const), who }) },
);

describe('execution lease holder core', () => {
  it('rejects a renewal period that would leave no margin', () => {
    expect(() => new LeaseHolderCore({ ttlMs: 1000, marginMs: 1000 })).toThrow(/marginMs/);
    expect(() => new LeaseHolderCore({ ttlMs: 1000, marginMs: 500, renewEveryMs: 600 })).toThrow(/renewEveryMs/);
  });

  it('a renewal answer for a token already given up changes nothing', () => {
    const c = new LeaseHolderCore({ ttlMs: TTL, marginMs: MARGIN });
    expect(c.acquired(7, 0)).toEqual([{ kind: 'lead', token: 7 }]);
    expect(c.check(TTL - MARGIN)).toEqual([{ kind: 'stepDown', reason: 'expired', token: 7 }]);
    expect(c.renewed(7, true, 100)).toEqual([]);
    expect(c.mayAct(TTL - MARGIN + 1)).toBe(false);
    expect(c.next(TTL)).toBe('acquire');
  });

  for (const seed of [15, 3303, 987654]) {
    it(`one owner at a time, fenced journal, one leader once stable (seed ${seed})`, () => {
      console.log(`lease-holder model seed ${seed}`);
      fc.assert(
        fc.property(fc.array(cmd, { maxLength: 80 }), (cmds) => {
          const w = new World();
          cmds.forEach((c) => {
            if (c.k === 'step') w.step(c.who, c.lost);
            else if (c.k === 'advance') w.now += c.ms;
            else if (c.k === 'pause') w.now += c.ms; // every holder frozen (no steps) while time passes
            else if (c.k === 'append') w.append(c.who, c.late);
            else if (c.k === 'kill' && w.dead.size < 2) w.dead.add(c.who);
            else if (c.k === 'shutdown' && w.dead.size < 2) w.shutdown(c.who);
            w.checkInvariants();
          });
          // stabilise: every lease of a dead or silent holder expires, then the live ones step
          w.now += TTL + 1;
          for (let round = 0; round < 3; round++) {
            for (const id of IDS) w.step(id, false);
            w.checkInvariants();
            w.now += 200;
          }
          const leaders = IDS.filter((id) => !w.dead.has(id) && w.cores.get(id)!.mayAct(w.now));
          expect(leaders).toHaveLength(1);
          // the new leader's first append is accepted; a late append from any earlier token is refused
          const leader = leaders[0]!;
          const n = w.journal.length;
          w.append(leader, false);
          expect(w.journal.length).toBe(n + 1);
          for (const id of IDS) {
            const t = w.lastToken.get(id);
            if (id !== leader && !w.dead.has(id) && t !== undefined) {
              const refused = w.refusedAppends;
              w.append(id, true);
              expect(w.refusedAppends).toBe(refused + 1);
            }
          }
          w.checkInvariants();
        }),
        { seed, numRuns: 300 },
      );
    });
  }
});
