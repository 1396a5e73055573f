/**
 * Thin Redis driver around the pure SymbolAssignment core: one Lease per symbol, one tick = renew what is
 * held (dropping what moved on), read who holds each symbol, apply planAssignment. onStart/onStop tell the
 * engine to start or stop serving a symbol; a symbol is stopped as soon as its lease is not held by the
 * monotonic clock (the Lease's safety margin), before Redis could hand it to another instance.
 */
import type { Cluster, Redis } from 'ioredis';
import { Lease } from '../redis/Lease.js';
import { symbolLeaseKeys } from './ClusterKeys.js';
import { planAssignment } from './SymbolAssignment.js';

export interface SymbolOwnershipOptions {
  me: string;
  symbols: readonly string[];
  ttlMs: number;
  marginMs?: number;
  onStart: (symbol: string) => void;
  /** may resolve once the engine stopped serving (the actors applied it): a lease is released only after that */
  onStop: (symbol: string) => void | Promise<void>;
}

export class SymbolOwnership {
  private readonly leases = new Map<string, Lease>();
  private readonly serving = new Set<string>();
  /**
   * Symbols being given away, until their lease is released: each resolves once the actors applied the stop.
   * The lease is still held meanwhile, so the clock check (sync) must not serve them again.
   */
  private readonly releasing = new Map<string, Promise<boolean>>();

  constructor(private readonly redis: Redis | Cluster, private readonly o: SymbolOwnershipOptions) {
    for (const s of o.symbols) this.leases.set(s, new Lease(redis, s, o.me, { ttlMs: o.ttlMs, marginMs: o.marginMs }));
  }

  /** Symbols served now (lease held by the local clock). */
  served(): string[] {
    this.sync();
    return [...this.serving].sort();
  }

  /** The served set as it stands (no clock check: safe to call from onStart/onStop). */
  servedNow(): string[] {
    return [...this.serving].sort();
  }

  /**
   * One round; `instances` are the live ids from the registry (including this one). Each symbol's lease lives
   * on its own master: every call is bounded (ttl/3) and run in parallel, so a master that died (its commands
   * hang until a replica is promoted) costs only its own symbols — their renewals fail, the local clock stops
   * serving them at the margin — and never the renewal of the others.
   */
  async tick(instances: readonly string[]): Promise<void> {
    const bound = Math.max(50, Math.floor(this.o.ttlMs / 3));
    const bounded = <T>(p: Promise<T>): Promise<T | undefined> => {
      let t: NodeJS.Timeout | undefined;
      return Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => (t = setTimeout(() => r(undefined), bound)))]).finally(() => clearTimeout(t));
    };
    await Promise.all([...this.leases.values()].map((l) => (l.token !== null ? bounded(l.renew()) : undefined)));
    this.sync();
    const owners = new Map<string, string>();
    const unknown = new Set<string>();
    await Promise.all(this.o.symbols.map(async (s) => {
      const v = await bounded(this.redis.get(symbolLeaseKeys(s).lease));
      if (v === undefined) unknown.add(s); // no answer: its master is down, so nobody can take it now
      else if (v !== null) owners.set(s, v.slice(0, v.lastIndexOf(':')));
    }));
    const plan = planAssignment({ me: this.o.me, instances, symbols: this.o.symbols, owners });
    // A release the plan no longer wants (the other instance went away meanwhile): serve it again.
    for (const s of [...this.releasing.keys()]) if (!plan.release.includes(s)) this.releasing.delete(s);
    this.sync();
    // Stop serving, and give a lease away only once the actors applied the stop: another instance may take it
    // at once, and nothing of this one may reach Redis after that. An acknowledgement later than the bound (a
    // starved thread) keeps the lease for a later round instead of giving it away early; meanwhile it is renewed
    // like any other, and the clock check (sync) must not start serving it again. All in parallel: one bound.
    const answered = await Promise.all(plan.release.map(async (s) => {
      let stopped = this.releasing.get(s);
      if (!stopped) {
        stopped = this.stop(s).then(() => true, () => true);
        this.releasing.set(s, stopped);
      }
      return (await bounded(stopped)) === true ? s : null;
    }));
    await Promise.all(answered.map(async (s) => {
      if (s === null) return;
      try {
        await bounded(this.leases.get(s)!.release());
      } finally {
        this.releasing.delete(s);
      }
    }));
    for (const s of plan.acquire) {
      if (unknown.has(s)) continue;
      if ((await bounded(this.leases.get(s)!.acquire())) != null) this.sync();
    }
  }

  async close(): Promise<void> {
    for (const s of [...this.serving]) this.stop(s);
    for (const l of this.leases.values()) if (l.token !== null) await l.release();
  }

  /** Aligns the served set with the leases held right now. */
  private sync(): void {
    for (const [s, l] of this.leases) {
      if (l.held() && !this.serving.has(s) && !this.releasing.has(s)) {
        this.serving.add(s);
        this.o.onStart(s);
      } else if (!l.held()) this.stop(s);
    }
  }

  /** Stops serving s; resolves when the engine applied it (the onStop callback's answer). */
  private stop(s: string): Promise<void> {
    return this.serving.delete(s) ? Promise.resolve(this.o.onStop(s)) : Promise.resolve();
  }
}
