/**
 * Quotes for the Alpaca simulator from the seeded MarketModel (the same market the TWS simulator
 * serves), advanced on a timer so standalone runs see a moving top of book.
 */
import type { MarketListener, MarketModel } from '../market/MarketModel.js';
import type { QuoteFn, SimQuote } from './AlpacaExchange.js';

const IGNORE: MarketListener = { onDepth() {}, onTrade() {}, onQuote() {} };

export interface ModelQuotes {
  quote: QuoteFn;
  stop(): void;
}

export function startModelQuotes(model: MarketModel, opts: { tickMs?: number; clock?: () => number } = {}): ModelQuotes {
  const clock = opts.clock ?? Date.now;
  const offset = clock() - model.timeMs;
  const timer = setInterval(() => model.advance(clock() - offset, IGNORE), opts.tickMs ?? 20);
  timer.unref?.();
  const quote = (symbol: string): SimQuote | undefined => {
    const i = model.indexOf(symbol);
    if (i < 0) return undefined;
    const bid = model.bestBid(i);
    const ask = model.bestAsk(i);
    if (!Number.isFinite(bid) || !Number.isFinite(ask)) return undefined;
    return { bid, ask, bidSize: model.bestBidSize(i), askSize: model.bestAskSize(i) };
  };
  return { quote, stop: () => clearInterval(timer) };
}
