/**
 * Greeks in the units Alpha Vantage's chains use and the rest of the engine receives:
 * theta per calendar day, vega per vol point (σ + 0.01), rho per percentage point of r.
 */
export interface ContractGreeks {
  delta: number;
  gamma: number;
  theta: number;
  vega: number;
  rho: number;
}

export type OptionType = 'call' | 'put';

/** A validated option contract: every number parsed, IV in (0, 5), greeks present and checked. */
export interface OptionContract {
  contractId: string;
  symbol: string;
  /** `YYYY-MM-DD`. */
  expiration: string;
  strike: number;
  type: OptionType;
  last: number;
  mark: number;
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
  volume: number;
  openInterest: number;
  /** The quote date Alpha Vantage printed. */
  date: string;
  iv: number;
  /** 'api' when Alpha Vantage sent a usable IV; 'local' when solved from the mark. */
  ivSource: 'api' | 'local';
  /** 16:00 America/New_York on the expiry date, UTC ms. */
  expiryMs: number;
  /** ACT/365 years from validation time to expiryMs. */
  T: number;
  /** Greeks in force: Alpha Vantage's when usable, else the local ones. */
  greeks: ContractGreeks;
  greeksSource: 'api' | 'local';
  /** Local BSM greeks (configured r, q; the chain's spot), always present for comparison. */
  greeksLocal: ContractGreeks;
}
