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
  onStop: (symbol: string) => void;
}

export class SymbolOwnership {
  private readonly leases = new Map<string, Lease>();
  private readonly serving = new Set<string>();

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

  /** One round; `instances` are the live ids from the registry (including this one). */
  async tick(instances: readonly string[]): Promise<void> {
    for (const l of this.leases.values()) if (l.token !== null) await l.renew();
    this.sync();
    const owners = new Map<string, string>();
    for (const s of this.o.symbols) {
      const v = await this.redis.get(symbolLeaseKeys(s).lease);
      if (v !== null) owners.set(s, v.slice(0, v.lastIndexOf(':')));
    }
    const plan = planAssignment({ me: this.o.me, instances, symbols: this.o.symbols, owners });
    for (const s of plan.release) {
      this.stop(s); // stop serving before the lease is given away
      await this.leases.get(s)!.release();
    }
    for (const s of plan.acquire) if ((await this.leases.get(s)!.acquire()) !== null) this.sync();
  }

  async close(): Promise<void> {
    for (const s of [...this.serving]) this.stop(s);
    for (const l of this.leases.values()) if (l.token !== null) await l.release();
  }

  /** Aligns the served set with the leases held right now. */
  private sync(): void {
    for (const [s, l] of this.leases) {
      if (l.held() && !this.serving.has(s)) {
        this.serving.add(s);
        this.o.onStart(s);
      } else if (!l.held()) this.stop(s);
    }
  }

  private stop(s: string): void {
    if (this.serving.delete(s)) this.o.onStop(s);
  }
}
