/**
 * Pure core of symbol ownership (issue 15 item 2): given the live instances and who holds which symbol
 * lease, decide what one instance should acquire and release on this tick. The Redis lease (SET NX) is what
 * makes "never two owners" true; this core only makes the instances converge to a balanced split (counts
 * within 1) without stealing: an instance over its share releases, one under its share takes free symbols.
 * Targets are by rank of the sorted instance ids, so every instance computes the same split from the same view.
 */
export interface AssignmentView {
  me: string;
  /** ids of the live instances (the registry), including me */
  instances: readonly string[];
  symbols: readonly string[];
  /** symbol → current lease holder (absent: free) */
  owners: ReadonlyMap<string, string>;
}

export interface AssignmentPlan {
  acquire: string[];
  release: string[];
}

/** How many symbols instance `id` should serve: floor(n/k), plus one for the first n%k ids by sort order. */
export function targetCount(id: string, instances: readonly string[], symbolCount: number): number {
  const sorted = [...new Set(instances)].sort();
  const rank = sorted.indexOf(id);
  if (rank < 0 || sorted.length === 0) return 0;
  const base = Math.floor(symbolCount / sorted.length);
  return base + (rank < symbolCount % sorted.length ? 1 : 0);
}

export function planAssignment(view: AssignmentView): AssignmentPlan {
  const instances = view.instances.includes(view.me) ? view.instances : [...view.instances, view.me];
  const target = targetCount(view.me, instances, view.symbols.length);
  const mine = view.symbols.filter((s) => view.owners.get(s) === view.me).sort();
  if (mine.length > target) return { acquire: [], release: mine.slice(target) };
  // A lease held by an instance missing from the registry is still taken (SET NX fails) until it expires;
  // only free symbols are candidates, so takeover waits for the TTL exactly as the lease dictates.
  const free = view.symbols.filter((s) => !view.owners.has(s)).sort();
  return { acquire: free.slice(0, target - mine.length), release: [] };
}

/**
 * Whether an owner may still serve a symbol: it stops `marginMs` before its lease can expire by its own
 * monotonic clock, so a stalled renewal never leaves two instances serving.
 */
export function mayServe(renewedAtMs: number, nowMs: number, ttlMs: number, marginMs: number): boolean {
  return nowMs < renewedAtMs + ttlMs - marginMs;
}
