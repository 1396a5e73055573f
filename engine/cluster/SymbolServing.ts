/**
 * Cluster mode (REDIS_CLUSTER_NODES): drives SymbolOwnership from the main process and tells the actors
 * what they serve. Every ttl/3 it reads the live instances (the registry) and runs one ownership tick; every
 * 100 ms it checks the leases against the local clock, so a symbol whose renewals stall stops being served
 * at the lease's margin, before Redis can give it to another instance. Each change goes to the supervisor
 * at once (`serveSymbols`: a cold message to every actor with per-symbol output). On a single host it is
 * not started: no lease, every symbol served, as before.
 */
import type { RedisOptions } from 'ioredis';
import { clusterNodesFromEnv, createRedisClient } from '../redis/RedisClient.js';
import { INSTANCE_TTL_MS, instanceIdFromEnv, readInstances } from './ClusterKeys.js';
import { SymbolOwnership } from './SymbolOwnership.js';

export interface ServedSink {
  /** Resolves once the actors running now have applied the set (the supervisor); void when there is nothing to wait for. */
  serveSymbols(symbols: readonly string[]): void | Promise<void>;
}

export class SymbolServing {
  private tickTimer?: NodeJS.Timeout;
  private clockTimer?: NodeJS.Timeout;
  private ticking = false;
  private last = '';
  failures = 0;

  constructor(private readonly ownership: SymbolOwnership, private readonly sink: ServedSink, private readonly instances: () => Promise<string[]>, private readonly ttlMs: number) {}

  /** The symbols served now (the heartbeat publishes them). */
  served(): string[] {
    return this.ownership.served();
  }

  /**
   * Sends the served set when it changed (called from the ownership's start/stop callbacks); resolves once the
   * actors applied it (or at once when nothing changed), so a stopped symbol's lease is released after that.
   */
  changed(): Promise<void> {
    const now = this.ownership.servedNow();
    const key = now.join('\u0000');
    if (key === this.last) return this.applied;
    this.last = key;
    this.applied = Promise.resolve(this.sink.serveSymbols(now));
    return this.applied;
  }
  /** the last set sent, applied by the actors */
  private applied: Promise<void> = Promise.resolve();

  start(): void {
    this.sink.serveSymbols([]); // cluster mode starts serving nothing until a lease says otherwise
    // The registry read (SCAN on every master) hangs while a master is down: bounded, with the last list it
    // gave, so the leases on the live masters keep being renewed.
    let known: string[] = [];
    const bound = Math.max(50, Math.floor(this.ttlMs / 3));
    const instances = () => {
      let t: NodeJS.Timeout | undefined;
      const late = new Promise<string[]>((r) => (t = setTimeout(() => r(known), bound)));
      return Promise.race([this.instances().then((ids) => (known = ids)), late]).finally(() => clearTimeout(t));
    };
    const tick = () => {
      if (this.ticking) return;
      this.ticking = true;
      instances()
        .then((ids) => (ids.length ? this.ownership.tick(ids) : undefined)) // no list ever read: plan nothing yet
        .catch(() => this.failures++)
        .finally(() => (this.ticking = false));
    };
    tick();
    // every 250 ms (at most ttl/3): a symbol freed by a dead instance or a failed-over master is taken within
    // a quarter second of becoming free, not a third of the TTL later (a few cheap commands per symbol)
    this.tickTimer = setInterval(tick, Math.max(50, Math.min(250, Math.floor(this.ttlMs / 3))));
    this.clockTimer = setInterval(() => this.ownership.served(), 100);
  }

  /** After the actors stopped: the leases go back at once, so the others take the symbols without the TTL. */
  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    clearInterval(this.clockTimer);
    await this.ownership.close().catch(() => {});
  }
}

export function startSymbolServing(symbols: readonly string[], redisOptions: RedisOptions, sink: ServedSink, env: NodeJS.ProcessEnv = process.env, ttlMs = INSTANCE_TTL_MS): SymbolServing | null {
  if (!clusterNodesFromEnv(env)) return null;
  // Offline queue on: while ioredis refreshes its slot map after a node failure, a command without it fails at
  // once, and renewals failing for longer than the lease margin cost every symbol, not only the dead master's
  // (seen in tests/cluster/master-down.test.ts). Every call is bounded by the ownership round instead.
  const redis = createRedisClient({ ...redisOptions, maxRetriesPerRequest: 1, enableOfflineQueue: true, connectionName: 'alphatrader-symbol-ownership' }, env);
  redis.on('error', () => {});
  const me = instanceIdFromEnv(env);
  let serving: SymbolServing | undefined;
  const ownership = new SymbolOwnership(redis, { me, symbols, ttlMs, onStart: () => serving?.changed(), onStop: () => serving?.changed() });
  serving = new SymbolServing(ownership, sink, async () => [...new Set([me, ...(await readInstances(redis)).map((r) => r.id)])], ttlMs);
  const stop = serving.stop.bind(serving);
  serving.stop = async () => {
    await stop();
    redis.disconnect();
  };
  redis.once('ready', () => serving!.start());
  return serving;
}
