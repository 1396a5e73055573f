/**
 * How many contracts and at what limit (pure). Options are sized from premium, never from a share count,
 * and priced as marketable limits from the live quote: the mid moved towards the far side by a fraction
 * that grows with each re-price, on the contract's tick, never through the far side.
 */

/** Penny Pilot/Program classes quote in 0.01 at every price; the rest in 0.05 from $3 up. */
const PENNY_ALL_PRICES = new Set(['SPY', 'QQQ', 'IWM']);

/** Minimum price variation of an option premium (per share). */
export function optionTick(underlying: string, price: number): number {
  return PENNY_ALL_PRICES.has(underlying) || price < 3 ? 0.01 : 0.05;
}

export interface Quote { bid: number; ask: number }

/**
 * The limit for a buy (side 1) or sell (side −1): mid + fraction × (far − mid), fraction clamped to
 * [0, 1], rounded to the tick towards the far side (a buy up, a sell down) and never beyond it.
 * Null when the quote cannot price an order (no bid, crossed, non-finite).
 */
export function marketableLimit(q: Quote, side: 1 | -1, fraction: number, underlying: string): number | null {
  if (!(q.bid > 0) || !(q.ask >= q.bid) || !Number.isFinite(q.ask)) return null;
  const f = Math.min(1, Math.max(0, fraction));
  const mid = (q.bid + q.ask) / 2;
  const far = side > 0 ? q.ask : q.bid;
  const raw = mid + f * (far - mid);
  const tick = optionTick(underlying, raw);
  const ticks = raw / tick;
  // round towards the far side, with a little slack so 1.2300000001 is not lifted to 1.24
  const n = side > 0 ? Math.ceil(ticks - 1e-9) : Math.floor(ticks + 1e-9);
  const px = Math.round(n * tick * 100) / 100;
  return side > 0 ? Math.min(px, far) : Math.max(px, far);
}

/** The fraction for the k-th price of an order (k = 0 first): start, then start + k × step, at most 1. */
export function repriceFraction(k: number, start: number, step: number): number {
  return Math.min(1, start + k * step);
}

export interface PremiumBudget {
  /** Dollars of premium one trade may spend at confidence 1 (scaled by the signal's confidence). */
  maxPremiumPerTrade: number;
  /** Dollars of premium the day may spend on openings. */
  maxPremiumPerDay: number;
  /** Premium already spent today on openings (filled and working). */
  spentToday: number;
  /** Contracts per order, at most. */
  maxContractsPerOrder: number;
}

export type Sizing =
  | { ok: true; contracts: number; premium: number }
  | { ok: false; reason: 'day-premium' | 'trade-premium' | 'no-price'; detail: string };

/** Whole contracts the budget buys at `limit` (per share) × `multiplier`. */
export function contractsFor(limit: number, multiplier: number, confidence: number, b: PremiumBudget): Sizing {
  const perContract = limit * multiplier;
  if (!(perContract > 0) || !Number.isFinite(perContract)) return { ok: false, reason: 'no-price', detail: `no usable price (${limit})` };
  const dayLeft = b.maxPremiumPerDay - b.spentToday;
  if (dayLeft < perContract) {
    return { ok: false, reason: 'day-premium', detail: `day premium budget: $${Math.max(0, dayLeft).toFixed(2)} left of $${b.maxPremiumPerDay}, one contract costs $${perContract.toFixed(2)}` };
  }
  const tradeBudget = b.maxPremiumPerTrade * Math.min(1, Math.max(0, confidence));
  const n = Math.min(Math.floor(Math.min(tradeBudget, dayLeft) / perContract + 1e-9), b.maxContractsPerOrder);
  if (n < 1) {
    return { ok: false, reason: 'trade-premium', detail: `trade premium budget $${tradeBudget.toFixed(2)} (confidence ${confidence}) is below one contract at $${perContract.toFixed(2)}` };
  }
  return { ok: true, contracts: n, premium: n * perContract };
}
