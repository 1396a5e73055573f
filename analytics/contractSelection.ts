/**
 * Which option contract a signal trades (pure): the expiry by strategy, the right by direction, the
 * strike whose |delta| is nearest the strategy's target among contracts liquid enough to trade.
 *
 *  - 0DTE: the session being traded (today's if it is open or yet to open, else the next one);
 *  - 1DTE: the session after it (held overnight);
 *  - 14DTE: the listed expiry nearest 14 calendar days from the session, within [7, 21] (ties: the earlier).
 * Long → call, short → put: premium is only ever bought (no naked short premium).
 * Liquidity: bid > 0, spread ≤ maxSpreadFraction × mid, open interest ≥ minOpenInterest, bid and ask
 * sizes ≥ minQuoteSize. Ties on |delta| go to the cheaper ask (less premium at risk), then the lower strike.
 * No eligible contract → a reason, never a fallback to another expiry or right.
 */
import { etDate, type MarketCalendar } from './calendar.js';
import { option, type OptionInstrument, type Right } from './instrument.js';

export type OptionStrategy = '0DTE' | '1DTE' | '14DTE';

/** The fields selection reads from a chain row (actors/options OptionContract has them all). */
export interface ChainContract {
  expiration: string; // YYYY-MM-DD
  strike: number;
  type: 'call' | 'put';
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  openInterest: number;
  greeks: { delta: number };
}

export interface SelectionRules {
  /** |delta| aimed at, per strategy (e.g. 0.30 / 0.40 / 0.50). */
  targetDelta: Record<OptionStrategy, number>;
  maxSpreadFraction: number;
  minOpenInterest: number;
  minQuoteSize: number;
}

export type NoContractReason =
  | 'no-session' // no session to trade (the calendar has none ahead)
  | 'no-expiry' // the chain lists no contract at the strategy's expiry
  | 'no-contracts' // none of that right at that expiry
  | 'no-bid'
  | 'wide-spread'
  | 'open-interest'
  | 'quote-size'
  | 'no-delta';

export type Selection =
  | { ok: true; instrument: OptionInstrument; contract: ChainContract; expiry: string; delta: number; mid: number; candidates: number }
  | { ok: false; reason: NoContractReason; expiry: string | null; detail: string; refused: Partial<Record<NoContractReason, number>> };

/** The session being traded at `nowMs`: today's unless it is over or not a trading day, then the next. */
export function sessionDate(cal: MarketCalendar, nowMs: number): string {
  const today = etDate(nowMs);
  const s = cal.sessionOpenClose(today);
  return s && nowMs < s.closeMs ? today : cal.nextTradingDay(today);
}

/** Calendar days from `from` to `to` (both YYYY-MM-DD). */
export function calendarDays(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The expiry a strategy trades, given the expiries the chain lists; null when none qualifies. */
export function expiryFor(strategy: OptionStrategy, cal: MarketCalendar, nowMs: number, listed: ReadonlySet<string>): string | null {
  const session = sessionDate(cal, nowMs);
  if (strategy === '0DTE') return listed.has(session) ? session : null;
  if (strategy === '1DTE') {
    const next = cal.nextTradingDay(session);
    return listed.has(next) ? next : null;
  }
  let best: string | null = null;
  let bestGap = Infinity;
  for (const e of [...listed].sort()) {
    const d = calendarDays(session, e);
    if (d < 7 || d > 21) continue;
    const gap = Math.abs(d - 14);
    if (gap < bestGap) {
      best = e;
      bestGap = gap;
    }
  }
  return best;
}

/** The first liquidity rule a contract fails, or null when it may be traded. */
export function illiquidity(c: ChainContract, rules: SelectionRules): NoContractReason | null {
  if (!(c.bid > 0) || !(c.ask >= c.bid)) return 'no-bid';
  const mid = (c.bid + c.ask) / 2;
  if (c.ask - c.bid > rules.maxSpreadFraction * mid + 1e-12) return 'wide-spread';
  if (!(c.openInterest >= rules.minOpenInterest)) return 'open-interest';
  if (!(c.bidSize >= rules.minQuoteSize) || !(c.askSize >= rules.minQuoteSize)) return 'quote-size';
  if (!Number.isFinite(c.greeks?.delta)) return 'no-delta';
  return null;
}

/**
 * A chain already indexed by its owner: the expiries it lists, and the rows of one expiry and type. Lets a
 * caller that keeps the chain between signals skip the whole-chain passes (a chain holds thousands of rows).
 */
export interface ChainIndex {
  listed: ReadonlySet<string>;
  /** at least the rows of that expiry and type (others are skipped) */
  rows(expiry: string, type: 'call' | 'put'): readonly ChainContract[];
}

/** A plain list of contracts as a ChainIndex: every row offered for every expiry and type. */
export function chainIndexOf(chain: readonly ChainContract[]): ChainIndex {
  return { listed: new Set(chain.map((c) => c.expiration)), rows: () => chain };
}

export function selectContract(
  underlying: string,
  strategy: OptionStrategy,
  direction: 1 | -1,
  chain: ChainIndex,
  cal: MarketCalendar,
  nowMs: number,
  rules: SelectionRules,
): Selection {
  const expiry = expiryFor(strategy, cal, nowMs, chain.listed);
  if (expiry === null) {
    return { ok: false, reason: 'no-expiry', expiry: null, detail: `${strategy}: no listed expiry (session ${sessionDate(cal, nowMs)})`, refused: {} };
  }
  const type = direction > 0 ? 'call' : 'put';
  const right: Right = direction > 0 ? 'C' : 'P';
  const target = rules.targetDelta[strategy];
  const refused: Partial<Record<NoContractReason, number>> = {};
  let best: ChainContract | null = null;
  let bestGap = Infinity;
  let candidates = 0;
  for (const c of chain.rows(expiry, type)) {
    if (c.expiration !== expiry || c.type !== type) continue;
    candidates++;
    const why = illiquidity(c, rules);
    if (why) {
      refused[why] = (refused[why] ?? 0) + 1;
      continue;
    }
    const gap = Math.abs(Math.abs(c.greeks.delta) - target);
    const better = gap < bestGap - 1e-12
      || (Math.abs(gap - bestGap) <= 1e-12 && best !== null && (c.ask < best.ask || (c.ask === best.ask && c.strike < best.strike)));
    if (better) {
      best = c;
      bestGap = gap;
    }
  }
  if (!best) {
    if (candidates === 0) return { ok: false, reason: 'no-contracts', expiry, detail: `no ${type}s listed for ${expiry}`, refused };
    // The reason named is the rule that refused the most contracts.
    const [reason] = Object.entries(refused).sort((a, b) => b[1] - a[1])[0] as [NoContractReason, number];
    return { ok: false, reason, expiry, detail: `${candidates} ${type}s for ${expiry}, none liquid enough (${Object.entries(refused).map(([k, n]) => `${k} ${n}`).join(', ')})`, refused };
  }
  return {
    ok: true, instrument: option(underlying, expiry, right, best.strike), contract: best, expiry,
    delta: best.greeks.delta, mid: (best.bid + best.ask) / 2, candidates,
  };
}
