/**
 * Deterministic signal id: FNV-1a (32 bit) of strategy, symbol, session date, window slot and clock epoch.
 * The same signal re-derived after a restart (same slot) gets the same id, so execution's client order id
 * (session date, strategy, symbol, id) is the same and the journal de-duplicates it.
 */
export function signalId(strategy: number, symbol: string, date: string, slot: number, epoch: number): number {
  const key = `${strategy}|${symbol}|${date}|${slot}|${epoch}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
