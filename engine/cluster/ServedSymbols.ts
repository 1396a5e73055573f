/**
 * Which of the configured symbols this instance serves (issue 15 item 2), as each actor sees it. On a single
 * host every symbol is served and nothing ever changes it. In cluster mode (REDIS_CLUSTER_NODES) an actor
 * starts serving none — a restarted actor must not serve what another instance may own — until the
 * supervisor sends the set its symbol leases allow (cold topic `served-symbols`, re-sent whenever an actor
 * comes up). Per-symbol state is a boolean per symbol id, so the hot-path check is one array read.
 */
import { clusterNodesFromEnv } from '../redis/RedisClient.js';

export const SERVED_SYMBOLS_TOPIC = 'served-symbols';
/**
 * An actor's answer to a `served-symbols` message (`{ version }`), sent by its runner once the handler has
 * finished: from then on nothing of a symbol left out of that set leaves the actor. A lease is given away
 * only after every running actor answered (SymbolOwnership), so two instances never write one symbol.
 */
export const SERVED_ACK_TOPIC = 'served-ack';

/**
 * The actor kinds that produce per-symbol output and must hear the served set (the dashboard and execution:
 * to read the rest from Redis).
 */
export const SERVED_SYMBOL_KINDS: ReadonlySet<string> = new Set(['market-depth', 'options', 'analytics', 'signals', 'publisher', 'dashboard', 'execution']);

export interface ServedChange {
  gained: number[];
  lost: number[];
}

export class ServedSymbols {
  /** by symbol id: served now */
  readonly mask: boolean[];
  private readonly ids = new Map<string, number>();
  /** payloads that were not a list of strings (counted by the caller as input errors too) */
  badPayloads = 0;

  constructor(readonly names: readonly string[], all: boolean) {
    this.mask = names.map(() => all);
    names.forEach((n, i) => this.ids.set(n, i));
  }

  /** Every symbol on a single host; none until told in cluster mode. */
  static forEnv(names: readonly string[], env: NodeJS.ProcessEnv = process.env): ServedSymbols {
    return new ServedSymbols(names, !clusterNodesFromEnv(env));
  }

  hasId(id: number): boolean {
    return this.mask[id] === true;
  }

  has(symbol: string): boolean {
    const id = this.ids.get(symbol);
    return id !== undefined && this.mask[id] === true;
  }

  /** Served, or not a configured symbol at all (e.g. an options underlying without a book): not ours to gate. */
  allows(symbol: string): boolean {
    const id = this.ids.get(symbol);
    return id === undefined || this.mask[id] === true;
  }

  list(): string[] {
    return this.names.filter((_, i) => this.mask[i]);
  }

  /**
   * Applies a `served-symbols` payload ({ symbols: string[] }); unknown names are ignored (another
   * instance's configuration may list more). Null when the payload is not one (nothing changes).
   */
  apply(payload: unknown): ServedChange | null {
    const list = (payload as { symbols?: unknown } | null)?.symbols;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
      this.badPayloads++;
      return null;
    }
    const want = new Set(list as string[]);
    const change: ServedChange = { gained: [], lost: [] };
    this.names.forEach((n, i) => {
      const on = want.has(n);
      if (on && !this.mask[i]) change.gained.push(i);
      else if (!on && this.mask[i]) change.lost.push(i);
      this.mask[i] = on;
    });
    return change;
  }

  /** Whether a Redis key may be written: keys tagged with a configured symbol (`…{SYM}…`) only while served. */
  allowsKey(key: string): boolean {
    const sym = keySymbol(key);
    return sym === null || this.allows(sym);
  }
}

/** The hash tag of a key (`market:{AAPL}:book` → AAPL), null without one. */
export function keySymbol(key: string): string | null {
  const a = key.indexOf('{');
  if (a < 0) return null;
  const b = key.indexOf('}', a + 1);
  return b > a + 1 ? key.slice(a + 1, b) : null;
}
