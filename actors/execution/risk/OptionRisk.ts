/**
 * Pre-trade rules for option entries (pure), on top of RiskEngine's (breaker, halt, hours, buying power):
 * premium per trade and per session, contracts per order, position per contract and per underlying (working
 * orders counted as if they fill), and the book's net greeks after the order. A greek limit refuses only an
 * order that leaves the book beyond it AND further from zero than before (an order that hedges is allowed).
 * Exits never come here: reducing a position is always allowed.
 */
import type { EngineConfig } from '../../../engine/config/schema.js';

export type OptionLimits = EngineConfig['risk']['options'];

/** Net greeks of a book: per-share greeks × multiplier × signed contracts (+ shares for delta). */
export interface Greeks {
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
}

export const NO_GREEKS: Readonly<Greeks> = Object.freeze({ delta: 0, gamma: 0, vega: 0, theta: 0 });

export interface OptionOrderCheck {
  occ: string;
  underlying: string;
  contracts: number;
  /** dollars per contract at the order's limit (premium per share × multiplier) */
  premiumPerContract: number;
  multiplier: number;
  /** per share, as quoted (NaN unknown) */
  greeks: Greeks;
}

export interface OptionBookState {
  /** premium of the session's option entries so far (filled, and working at their limit) */
  spentToday: number;
  /** contracts held in this contract plus working buys */
  contractsIn(occ: string): number;
  /** contracts held and working on every contract of this underlying */
  contractsOn(underlying: string): number;
  /** the book's net greeks now (positions; working entries counted by the caller if wanted) */
  book: Greeks;
}

export type OptionVerdict = { ok: true } | { ok: false; rule: string; reason: string };

const GREEK_LIMIT: Record<keyof Greeks, keyof OptionLimits> = { delta: 'maxNetDelta', gamma: 'maxNetGamma', vega: 'maxNetVega', theta: 'maxNetTheta' };

export function checkOptionEntry(o: OptionOrderCheck, st: OptionBookState, lim: OptionLimits): OptionVerdict {
  const premium = o.contracts * o.premiumPerContract;
  if (!(o.contracts >= 1) || !Number.isInteger(o.contracts)) return { ok: false, rule: 'option-contracts', reason: `an option order is whole contracts ≥ 1, got ${o.contracts}` };
  if (o.contracts > lim.maxContractsPerOrder) return { ok: false, rule: 'option-contracts', reason: `${o.contracts} contracts > ${lim.maxContractsPerOrder} per order` };
  if (premium > lim.maxPremiumPerTrade + 1e-9) return { ok: false, rule: 'option-premium-trade', reason: `premium $${premium.toFixed(2)} > $${lim.maxPremiumPerTrade} per trade` };
  if (st.spentToday + premium > lim.maxPremiumPerDay + 1e-9) {
    return { ok: false, rule: 'option-premium-day', reason: `premium $${premium.toFixed(2)} with $${st.spentToday.toFixed(2)} already spent today > $${lim.maxPremiumPerDay} per day` };
  }
  const inContract = st.contractsIn(o.occ) + o.contracts;
  if (inContract > lim.maxContractsPerContract) return { ok: false, rule: 'option-position-contract', reason: `${o.occ} would be ${inContract} contracts > ${lim.maxContractsPerContract} (counting working orders)` };
  const onUnderlying = st.contractsOn(o.underlying) + o.contracts;
  if (onUnderlying > lim.maxContractsPerUnderlying) {
    return { ok: false, rule: 'option-position-underlying', reason: `${o.underlying} options would be ${onUnderlying} contracts > ${lim.maxContractsPerUnderlying} (counting working orders)` };
  }
  for (const g of ['delta', 'gamma', 'vega', 'theta'] as const) {
    const per = o.greeks[g];
    if (!Number.isFinite(per)) return { ok: false, rule: 'option-greeks', reason: `no ${g} for ${o.occ}: the book's greeks after the order are unknown` };
    const before = st.book[g];
    const after = before + per * o.multiplier * o.contracts;
    const limit = lim[GREEK_LIMIT[g]] as number;
    if (Math.abs(after) > limit + 1e-9 && Math.abs(after) > Math.abs(before) + 1e-12) {
      return { ok: false, rule: `greeks-${g}`, reason: `book net ${g} would be ${after.toFixed(2)} (now ${before.toFixed(2)}), limit ±${limit}` };
    }
  }
  return { ok: true };
}

/** Adds one position's greeks (per share × multiplier × signed contracts) to a sum. */
export function addGreeks(sum: Greeks, perShare: Greeks, multiplier: number, contracts: number): void {
  for (const g of ['delta', 'gamma', 'vega', 'theta'] as const) {
    const v = perShare[g];
    if (Number.isFinite(v)) sum[g] += v * multiplier * contracts;
  }
}
