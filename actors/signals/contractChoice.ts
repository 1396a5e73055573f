/**
 * The option contract an option strategy's signal trades (0DTE, 1DTE, 14DTE; MOC stays on shares): the
 * pure selection (analytics/contractSelection.ts) over the latest validated chain, each row refined by its
 * live quote when one is fresh. No chain, a stale chain or no eligible contract → a counted reason, shown
 * on `signals:{SYM}:latest`; the signal then travels without a contract and execution refuses it.
 */
import type { MarketCalendar } from '../../analytics/calendar.js';
import { selectContract, type NoContractReason, type OptionStrategy, type SelectionRules } from '../../analytics/contractSelection.js';
import type { OptionMarket } from '../../analytics/optionMarket.js';

export type ContractChoice =
  | {
      ok: true; occ: string; expiry: string; right: 'C' | 'P'; strike: number; delta: number; bid: number; ask: number; mid: number;
      /** where bid/ask came from: the live quote, or the chain (no live quote for it) */
      quote: 'live' | 'chain'; candidates: number;
    }
  | { ok: false; reason: NoContractReason | 'no-chain' | 'stale-chain'; detail: string; refused: Partial<Record<string, number>> };

export const OPTION_STRATEGIES: Readonly<Record<number, OptionStrategy>> = { 1: '0DTE', 2: '1DTE', 3: '14DTE' };

export interface ChoiceRules extends SelectionRules {
  maxChainAgeMs: number;
}

export function chooseContract(
  market: OptionMarket, cal: MarketCalendar, rules: ChoiceRules,
  symbol: string, strategy: OptionStrategy, direction: 1 | -1, sessionMs: number, wallMs: number,
): ContractChoice {
  const age = market.chainAge(symbol, wallMs);
  if (age === null) return { ok: false, reason: 'no-chain', detail: `no option chain for ${symbol} yet`, refused: {} };
  if (age > rules.maxChainAgeMs) return { ok: false, reason: 'stale-chain', detail: `the ${symbol} chain is ${(age / 1000).toFixed(0)} s old (max ${rules.maxChainAgeMs / 1000} s)`, refused: {} };
  // Indexed: only the rows of the expiry and right wanted are read (and refined by live quotes), not the chain.
  const s = selectContract(symbol, strategy, direction, market.chainIndex(symbol, wallMs), cal, sessionMs, rules);
  if (!s.ok) return { ok: false, reason: s.reason, detail: s.detail, refused: s.refused };
  const i = s.instrument;
  return {
    ok: true, occ: i.occ, expiry: i.expiry, right: i.right, strike: i.strike, delta: s.delta, bid: s.contract.bid, ask: s.contract.ask, mid: s.mid,
    quote: market.hasLive(i.occ, wallMs) ? 'live' : 'chain', candidates: s.candidates,
  };
}

/** YYYY-MM-DD → YYYYMMDD as a number (the Signal message's expiry field). */
export const expiryYmd = (expiry: string): number => Number(expiry.replace(/-/g, ''));

/** YYYYMMDD number → YYYY-MM-DD. */
export function expiryIso(ymd: number): string {
  const s = String(ymd);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}
