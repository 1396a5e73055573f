/**
 * The simulated listed-options market: one source of option quotes and greeks for every simulated venue,
 * built on the Alpha Vantage simulator's chain model with the same seed, rates and session clock, so the
 * chain Alpha Vantage serves and the live quotes TWS streams for a contract agree (within the minute's
 * quote noise, which both key the same way).
 */
import { buildChain, quoteContract, type ChainParams, type OptionType, type SimContract } from '../alpha-vantage/chainModel.js';
import { isoDate, nyWallTime } from '../alpha-vantage/marketCalendar.js';
import { sessionFraction } from '../alpha-vantage/AlphaVantageSimulator.js';

export interface OptionMarketOptions {
  seed: number;
  rate: number;
  dividendYield: (symbol: string) => number;
  /** The underlying's live price (the market model's last trade), undefined when not traded. */
  spot: (symbol: string) => number | undefined;
  /** The session clock (market time the chains are listed and priced at). */
  nowMs: () => number;
  /** Underlyings with daily expiries (0DTE/1DTE). */
  dailySymbols?: readonly string[];
}

export interface ContractQuery {
  symbol: string;
  /** YYYY-MM-DD; absent = every expiry */
  expiry?: string;
  type?: OptionType;
  /** absent or 0 = every strike */
  strike?: number;
}

export class OptionMarket {
  private readonly daily: Set<string>;

  constructor(private readonly o: OptionMarketOptions) {
    this.daily = new Set(o.dailySymbols ?? ['SPY', 'QQQ', 'IWM']);
  }

  private params(symbol: string): ChainParams | undefined {
    const spot = this.o.spot(symbol);
    if (spot === undefined || !(spot > 0)) return undefined;
    const nowMs = this.o.nowMs();
    const wall = nyWallTime(nowMs);
    return {
      symbol, spot, nowMs, seed: this.o.seed, r: this.o.rate, q: this.o.dividendYield(symbol), daily: this.daily.has(symbol),
      quoteDate: isoDate(wall.day), sessionFraction: sessionFraction(wall.day, wall.minutes),
    };
  }

  /** The contract's quote and greeks now, or undefined when it is not listed (or the underlying has no price). */
  quote(symbol: string, expiry: string, type: OptionType, strike: number): SimContract | undefined {
    const p = this.params(symbol);
    return p ? quoteContract(p, expiry, type, strike) : undefined;
  }

  /** Listed contracts matching a partial description (TWS contract details). */
  contracts(q: ContractQuery): SimContract[] {
    const p = this.params(q.symbol);
    if (!p) return [];
    return buildChain(p).filter((c) => (!q.expiry || c.expiration === q.expiry) && (!q.type || c.type === q.type) && (!q.strike || Math.abs(c.strike - q.strike) < 1e-9));
  }

  /** The session clock the chains are listed and priced at (expiry decisions follow it). */
  nowMs(): number {
    return this.o.nowMs();
  }

  /** Spot the options are priced on. */
  spot(symbol: string): number | undefined {
    return this.o.spot(symbol);
  }
}
