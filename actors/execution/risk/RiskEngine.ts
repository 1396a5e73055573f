import type { EngineConfig } from '../../../engine/config/schema.js';
import type { Portfolio } from '../Portfolio.js';

export interface OrderCheck {
  symbol: string;
  side: 1 | -1;
  qty: number;
  price: number; // reference price for notional
  reduceOnly: boolean; // an exit: allowed whenever it reduces exposure
  nowMs: number; // wall clock (the order-rate window is real time, whatever the session clock's speed)
  marketOpen: boolean;
  /** daily σ of the symbol's returns (for VaR); NaN when unknown */
  dailyVol: number;
}

export type RiskVerdict = { ok: true } | { ok: false; rule: string; reason: string };

/**
 * Pre-trade checks, each with its rule name and a reason a person can read. An order that only reduces an
 * existing position is never blocked by exposure, loss or breaker rules (you can always get out), only by
 * the rate limit and sanity.
 *
 * VaR: parametric, one day, 99 %: 2.326 × sqrt(Σ (notional_i × σ_i)²) over the positions after the order
 * (correlations ignored, i.e. assumed 1 within a symbol, 0 across: the correlation cap guards clustering).
 */
export class RiskEngine {
  private readonly stamps: number[] = []; // ring of recent order times for the rate limit
  private head = 0;
  correlation: Record<string, Record<string, number>> = {};
  readonly rejections: Record<string, number> = {};

  constructor(private readonly cfg: EngineConfig['risk'], private readonly portfolio: Portfolio) {}

  private reject(rule: string, reason: string): RiskVerdict {
    this.rejections[rule] = (this.rejections[rule] ?? 0) + 1;
    return { ok: false, rule, reason };
  }

  /** At most maxOrdersPerSecond in any 1-second window (sliding, exact). */
  private rateOk(nowMs: number): boolean {
    const n = this.cfg.maxOrdersPerSecond;
    if (this.stamps.length < n) {
      this.stamps.push(nowMs);
      return true;
    }
    if (nowMs - this.stamps[this.head] < 1000) return false;
    this.stamps[this.head] = nowMs;
    this.head = (this.head + 1) % n;
    return true;
  }

  check(o: OrderCheck, breakerOpen: boolean, tradingHalted: boolean, volOf: (symbol: string) => number = () => NaN): RiskVerdict {
    const c = this.cfg;
    if (!(o.qty > 0) || !Number.isFinite(o.qty)) return this.reject('sanity', `quantity must be positive, got ${o.qty}`);
    if (!(o.price > 0) || !Number.isFinite(o.price)) return this.reject('sanity', `no valid reference price for ${o.symbol}`);
    const pos = this.portfolio.positions.get(o.symbol);
    const cur = pos?.qty ?? 0;
    const reduces = cur !== 0 && Math.sign(cur) !== o.side && o.qty <= Math.abs(cur) + 1e-9;
    if (o.reduceOnly && !reduces) return this.reject('reduce-only', `a reduce-only ${o.side > 0 ? 'buy' : 'sell'} of ${o.qty} ${o.symbol} would not reduce the position (${cur})`);
    if (!this.rateOk(o.nowMs)) return this.reject('order-rate', `more than ${c.maxOrdersPerSecond} orders in one second`);
    if (reduces) return { ok: true };

    if (tradingHalted) return this.reject('halted', 'trading is halted (kill switch or supervisor escalation): exits only');
    if (breakerOpen) return this.reject('circuit-breaker', 'circuit breaker tripped: new entries blocked, exits allowed');
    if (c.requireMarketHours && !o.marketOpen) return this.reject('market-hours', 'outside the regular session');
    const notional = o.qty * o.price;
    if (notional > c.maxNotionalPerOrder) return this.reject('max-notional', `order notional ${notional.toFixed(0)} > ${c.maxNotionalPerOrder}`);
    const after = Math.abs((cur + o.side * o.qty) * o.price);
    if (after > c.maxPositionPerSymbol) return this.reject('position-cap', `${o.symbol} position would be ${after.toFixed(0)} > ${c.maxPositionPerSymbol}`);
    const open = this.portfolio.openPositions;
    if (cur === 0 && open.length >= c.maxOpenPositions) return this.reject('max-open-positions', `${open.length} positions open (max ${c.maxOpenPositions})`);
    for (const p of open) {
      if (p.symbol === o.symbol) continue;
      const rho = this.correlation[o.symbol]?.[p.symbol] ?? this.correlation[p.symbol]?.[o.symbol];
      // Same direction exposure to a highly correlated name doubles the bet.
      if (rho !== undefined && Math.sign(p.qty) * o.side * rho > c.maxCorrelation) {
        return this.reject('correlation', `${o.symbol} is ${rho.toFixed(2)} correlated with the open ${p.symbol} position (cap ${c.maxCorrelation})`);
      }
    }
    const dayLoss = -this.portfolio.dayPnl;
    if (dayLoss >= c.dailyLossLimit) return this.reject('daily-loss', `day P&L ${(-dayLoss).toFixed(0)} at the loss limit ${-c.dailyLossLimit}`);
    if (this.portfolio.drawdown >= c.maxDrawdown) return this.reject('max-drawdown', `drawdown ${this.portfolio.drawdown.toFixed(0)} ≥ ${c.maxDrawdown}`);
    const v = this.varAfter(o, volOf);
    if (v > c.varLimit) return this.reject('var', `1-day 99% VaR would be ${v.toFixed(0)} > ${c.varLimit}`);
    return { ok: true };
  }

  /** Parametric 99 % one-day VaR of the book after the order; unknown volatility counts as 2 % a day. */
  varAfter(o: OrderCheck, volOf: (symbol: string) => number): number {
    let sumSq = 0;
    let seen = false;
    for (const p of this.portfolio.positions.values()) {
      let q = p.qty;
      if (p.symbol === o.symbol) {
        q += o.side * o.qty;
        seen = true;
      }
      const px = Number.isFinite(p.mark) ? p.mark : p.avgPrice || o.price;
      const s = p.symbol === o.symbol ? o.dailyVol : volOf(p.symbol);
      sumSq += (q * px * (Number.isFinite(s) && s > 0 ? s : 0.02)) ** 2;
    }
    if (!seen) sumSq += (o.qty * o.price * (Number.isFinite(o.dailyVol) && o.dailyVol > 0 ? o.dailyVol : 0.02)) ** 2;
    return 2.326 * Math.sqrt(sumSq);
  }
}
