/**
 * A live quote of one option contract as the market-data venue streams it (TWS `reqMktData` on the option:
 * bid/ask/last plus the option-computation tick's model greeks). Travels on the cold path from
 * market-depth (the venue connection owner) to the actors that price, size, mark and risk-check option
 * positions (signals, execution) as topic `option-quotes` (an array of these, batched per flush).
 *
 * Who wants which contracts: each actor sends market-depth topic `option-subscriptions` with the whole
 * set it needs now (`OptionSubscriptionRequest`): the set replaces that owner's previous one, so a lost
 * or repeated request never leaks a subscription. Market-depth subscribes the union within the venue's
 * market-data line limit and reports what it dropped.
 */
export interface OptionQuote {
  /** Unpadded OCC symbol (`instrumentKey` of the option). */
  occ: string;
  underlying: string;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  /** NaN when the contract has not traded this session. */
  last: number;
  /** The venue's model implied volatility and greeks (per share, not per contract); NaN until the first computation tick. */
  iv: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  /** Underlying price the greeks were computed at. */
  undPrice: number;
  /** Venue event time, epoch ms (engine clock). */
  ts: number;
}

export interface OptionSubscriptionRequest {
  /** The requesting actor; its set replaces its previous one. */
  owner: string;
  /** Unpadded OCC symbols, most important first (held positions, then working orders, then candidates). */
  occs: string[];
}

/** What market-depth did with the union of requests: subscribed, and dropped over the line limit. */
export interface OptionSubscriptionState {
  subscribed: string[];
  dropped: string[];
  lineLimit: number;
}

export const OPTION_QUOTES_TOPIC = 'option-quotes';
export const OPTION_SUBSCRIPTIONS_TOPIC = 'option-subscriptions';
