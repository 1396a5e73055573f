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

/** Filled position and working (unfilled, live) quantities per symbol: what every exposure rule counts. */
export interface Exposure {
  position(symbol: string): number;
  working(symbol: string): { buy: number; sell: number };
  symbols(): Iterable<string>;
}

const NOTHING_WORKING = { buy: 0, sell: 0 };
export function portfolioExposure(p: Portfolio): Exposure {
  return {
    position: (s) => p.positions.get(s)?.qty ?? 0,
    working: () => NOTHING_WORKING,
    symbols: () => p.positions.keys(),
  };
}

/** The broker account's figures the buying-power rule reads: the last good read, stamped on the wall clock. */
export interface AccountFigures {
  buyingPower: number;
  optionsBuyingPower: number;
  ts: number;
}

/** An OCC option symbol (AAPL250117C00150000): its premium is not marginable. */
const OCC = /^[A-Z][A-Z0-9.]{0,5}\d{6}[CP]\d{8}$/;
const OPTION_MULTIPLIER = 100;

export type RiskVerdict = { ok: true } | { ok: false; rule: string; reason: string };

/**
 * Pre-trade checks, each with its rule name and a reason a person can read. An order that only reduces an
 * existing position (net of the exits already working against it) is never blocked by exposure, loss or
 * breaker rules (you can always get out), only by the rate limit and sanity. Every exposure rule counts
 * working orders as if they fill.
 *
 * VaR: parametric, one day, 99 %: 2.326 × sqrt(Σ (notional_i × σ_i)²) over the positions after the order
 * (correlations ignored, i.e. assumed 1 within a symbol, 0 across: the correlation cap guards clustering).
 */
export class RiskEngine {
  private readonly stamps: number[] = []; // ring of recent order times for the rate limit
  private head = 0;
  correlation: Record<string, Record<string, number>> = {};
  /** a session routine's block on new entries (a failed pre-open check), with its reason; exits still pass */
  entryBlock: { rule: string; reason: string } | null = null;
  readonly rejections: Record<string, number> = {};
  /**
   * The broker account for the buying-power rule: undefined = not tracked (the rule is off: a check without a
   * broker), null = tracked but not read yet (entries refused until the first good read).
   */
  account: AccountFigures | null | undefined;
  /** preservation mode's reason while the engine is in it (BrokerHealth.refusal): entries refused, exits allowed */
  preservation: string | null = null;

  constructor(
    private readonly cfg: EngineConfig['risk'],
    private readonly portfolio: Portfolio,
    /** positions and working quantities; by default the portfolio's positions with nothing working */
    private readonly exposure: Exposure = portfolioExposure(portfolio),
  ) {}

  /** the last rejections with their reasons, newest last (the console's risk panel) */
  readonly lastRejections: { rule: string; reason: string; ts: number }[] = [];

  /** true while `preview` runs: a verdict without a trace */
  private previewing = false;

  /**
   * `fn`'s verdicts with nothing recorded: no rejection counted or listed, no order stamped in the rate
   * window. The warm path checks a decision it will not send (decision 146).
   */
  preview<T>(fn: () => T): T {
    this.previewing = true;
    try {
      return fn();
    } finally {
      this.previewing = false;
    }
  }

  /** A refusal counted under its rule (also the option rules ExecutionCore applies before these). */
  reject(rule: string, reason: string): RiskVerdict {
    if (this.previewing) return { ok: false, rule, reason };
    this.rejections[rule] = (this.rejections[rule] ?? 0) + 1;
    this.lastRejections.push({ rule, reason, ts: Date.now() });
    if (this.lastRejections.length > 20) this.lastRejections.shift();
    return { ok: false, rule, reason };
  }

  /** At most maxOrdersPerSecond in any 1-second window (sliding, exact). */
  private rateOk(nowMs: number): boolean {
    const n = this.cfg.maxOrdersPerSecond;
    if (this.previewing) return this.stamps.length < n || nowMs - this.stamps[this.head] >= 1000;
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
    const cur = this.exposure.position(o.symbol);
    const w = this.exposure.working(o.symbol);
    // What this order may still close: the position net of the exits already working against it.
    const closable = cur > 0 && o.side < 0 ? cur - w.sell : cur < 0 && o.side > 0 ? -cur - w.buy : 0;
    const reduces = closable > 1e-9 && o.qty <= closable + 1e-9;
    if (o.reduceOnly && !reduces) {
      return this.reject('reduce-only', `a reduce-only ${o.side > 0 ? 'buy' : 'sell'} of ${o.qty} ${o.symbol} would not reduce the position (${cur}, ${o.side > 0 ? w.buy : w.sell} already working to close it)`);
    }
    if (!this.rateOk(o.nowMs)) return this.reject('order-rate', `more than ${c.maxOrdersPerSecond} orders in one second`);
    if (reduces) return { ok: true };
    // No reversal in one order: an order against the position larger than what may still close it would let an
    // exit already working cross zero. Close first (an exit or flatten), then enter the other way.
    if (cur !== 0 && Math.sign(cur) !== o.side) {
      return this.reject('reversal', `a ${o.side > 0 ? 'buy' : 'sell'} of ${o.qty} ${o.symbol} against the position ${cur} exceeds what may still close it (${Math.max(0, closable)}): close first`);
    }

    if (tradingHalted) return this.reject('halted', 'trading is halted (kill switch or supervisor escalation): exits only');
    if (breakerOpen) return this.reject('circuit-breaker', 'circuit breaker tripped: new entries blocked, exits allowed');
    if (this.preservation) return this.reject('preservation', `${this.preservation}: new entries blocked, exits allowed`);
    if (this.entryBlock) return this.reject(this.entryBlock.rule, this.entryBlock.reason);
    if (c.requireMarketHours && !o.marketOpen) return this.reject('market-hours', 'outside the regular session');
    const notional = o.qty * o.price;
    if (notional > c.maxNotionalPerOrder) return this.reject('max-notional', `order notional ${notional.toFixed(0)} > ${c.maxNotionalPerOrder}`);
    const bp = this.buyingPower(o, notional);
    if (bp) return bp;
    // Caps count working orders as if they fill: resting entries and overlapping strategies cannot stack past them.
    const projected = o.side > 0 ? cur + w.buy + o.qty : cur - w.sell - o.qty;
    const after = Math.abs(projected * o.price);
    if (after > c.maxPositionPerSymbol) return this.reject('position-cap', `${o.symbol} position would be ${after.toFixed(0)} > ${c.maxPositionPerSymbol} (counting working orders)`);
    const exposed = this.exposedSymbols();
    if (!exposed.has(o.symbol) && exposed.size >= c.maxOpenPositions) {
      return this.reject('max-open-positions', `${exposed.size} positions open or working (max ${c.maxOpenPositions})`);
    }
    for (const sym of exposed) {
      if (sym === o.symbol) continue;
      const dir = Math.sign(this.worstCase(sym));
      const rho = this.correlation[o.symbol]?.[sym] ?? this.correlation[sym]?.[o.symbol];
      // Same direction exposure to a highly correlated name doubles the bet.
      if (rho !== undefined && dir * o.side * rho > c.maxCorrelation) {
        return this.reject('correlation', `${o.symbol} is ${rho.toFixed(2)} correlated with the open ${sym} position (cap ${c.maxCorrelation})`);
      }
    }
    const dayLoss = -this.portfolio.dayPnl;
    if (dayLoss >= c.dailyLossLimit) return this.reject('daily-loss', `day P&L ${(-dayLoss).toFixed(0)} at the loss limit ${-c.dailyLossLimit}`);
    if (this.portfolio.drawdown >= c.maxDrawdown) return this.reject('max-drawdown', `drawdown ${this.portfolio.drawdown.toFixed(0)} ≥ ${c.maxDrawdown}`);
    const v = this.varAfter(o, volOf);
    if (v > c.varLimit) return this.reject('var', `1-day 99% VaR would be ${v.toFixed(0)} > ${c.varLimit}`);
    return { ok: true };
  }

  /**
   * The order's cost against the broker's buying power, less the configured reserve: shares (either side) use
   * the margin buying power; an option bought uses options buying power at the premium × 100. Figures older
   * than `accountMaxAgeMs` are no figures.
   */
  private buyingPower(o: OrderCheck, notional: number): RiskVerdict | null {
    const a = this.account;
    if (a === undefined) return null;
    if (a === null) return this.reject('buying-power', 'no broker account read yet: buying power unknown');
    const age = o.nowMs - a.ts;
    if (age > this.cfg.accountMaxAgeMs) return this.reject('buying-power', `broker account figures are ${(age / 1000).toFixed(0)} s old (max ${this.cfg.accountMaxAgeMs / 1000} s): buying power unknown`);
    const option = o.side > 0 && OCC.test(o.symbol);
    const cost = option ? notional * OPTION_MULTIPLIER : notional;
    const power = option ? a.optionsBuyingPower : a.buyingPower;
    const usable = power * (1 - this.cfg.buyingPowerReserve);
    if (!(cost <= usable)) {
      return this.reject('buying-power', `order cost ${cost.toFixed(0)} > ${option ? 'options ' : ''}buying power ${power.toFixed(0)} less the ${(this.cfg.buyingPowerReserve * 100).toFixed(0)} % reserve (${usable.toFixed(0)})`);
    }
    return null;
  }

  /** Symbols with a position or a working order. */
  private exposedSymbols(): Set<string> {
    const s = new Set<string>();
    for (const sym of this.exposure.symbols()) {
      const w = this.exposure.working(sym);
      if (Math.abs(this.exposure.position(sym)) > 1e-9 || w.buy > 1e-9 || w.sell > 1e-9) s.add(sym);
    }
    return s;
  }

  /** The signed position if every working order on its larger side fills. */
  private worstCase(sym: string): number {
    const cur = this.exposure.position(sym);
    const w = this.exposure.working(sym);
    return Math.abs(cur + w.buy) >= Math.abs(cur - w.sell) ? cur + w.buy : cur - w.sell;
  }

  /** Parametric 99 % one-day VaR of the book after the order; unknown volatility counts as 2 % a day. */
  varAfter(o: OrderCheck, volOf: (symbol: string) => number): number {
    let sumSq = 0;
    let seen = false;
    for (const sym of this.exposure.symbols()) {
      let q = this.worstCase(sym);
      if (sym === o.symbol) {
        q += o.side * o.qty;
        seen = true;
      }
      const p = this.portfolio.positions.get(sym);
      const px = p && Number.isFinite(p.mark) ? p.mark : p?.avgPrice || o.price;
      const s = sym === o.symbol ? o.dailyVol : volOf(sym);
      sumSq += (q * px * (Number.isFinite(s) && s > 0 ? s : 0.02)) ** 2;
    }
    if (!seen) sumSq += (o.qty * o.price * (Number.isFinite(o.dailyVol) && o.dailyVol > 0 ? o.dailyVol : 0.02)) ** 2;
    return 2.326 * Math.sqrt(sumSq);
  }
}
