import type { OptionContract } from './types.js';

export interface UnusualContract {
  contract: OptionContract;
  /** volume / open interest. */
  ratio: number;
}

/**
 * Contracts trading more than `threshold` × their open interest today, highest ratio first (ties:
 * larger volume, then contract id). Zero open interest is left out: the ratio is undefined there.
 */
export function unusualActivity(contracts: readonly OptionContract[], threshold = 2): UnusualContract[] {
  const out: UnusualContract[] = [];
  for (const c of contracts) {
    if (c.openInterest > 0 && c.volume > threshold * c.openInterest) out.push({ contract: c, ratio: c.volume / c.openInterest });
  }
  return out.sort(
    (a, b) => b.ratio - a.ratio || b.contract.volume - a.contract.volume || (a.contract.contractId < b.contract.contractId ? -1 : 1),
  );
}
