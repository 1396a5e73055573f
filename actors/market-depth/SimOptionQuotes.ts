import type { OptionInstrument } from '../../analytics/instrument.js';
import type { OptionMarket } from '../../sim/options/OptionMarket.js';
import type { OptionQuoteFeed, OptionQuoteVenue } from './OptionQuoteFeed.js';

/**
 * Option quotes for market.source `sim`: the same OptionMarket the simulated venues quote from (the TWS
 * simulator's reqMktData, the Alpha Vantage chain), read for every subscribed contract at each flush and
 * written into the feed's book like TWS ticks, so both sources behave alike (line limit included). A
 * contract the market does not list is refused like TWS's error 200.
 */
export class SimOptionQuotes implements OptionQuoteVenue {
  private readonly live = new Map<string, OptionInstrument>();

  constructor(private readonly feed: OptionQuoteFeed, private readonly market: OptionMarket, private readonly nowMs: () => number) {
    feed.attach(this);
  }

  update(add: OptionInstrument[], remove: string[]): void {
    for (const k of remove) this.live.delete(k);
    for (const o of add) this.live.set(o.occ, o);
  }

  poll(): void {
    const book = this.feed.book;
    const ts = this.nowMs();
    for (const o of [...this.live.values()]) {
      const q = this.market.quote(o.underlying, o.expiry, o.right === 'C' ? 'call' : 'put', o.strike);
      if (!q) {
        // not listed (or the underlying has no price yet: retried at the next poll)
        if (this.market.spot(o.underlying) !== undefined) {
          this.live.delete(o.occ);
          this.feed.refused(o.occ, 200);
        }
        continue;
      }
      book.price(o.occ, 'bid', q.bid, ts);
      book.price(o.occ, 'ask', q.ask, ts);
      book.size(o.occ, 'bidSize', q.bidSize, ts);
      book.size(o.occ, 'askSize', q.askSize, ts);
      if (q.last > 0) book.price(o.occ, 'last', q.last, ts);
      book.greeks(o.occ, { iv: q.iv, delta: q.delta, gamma: q.gamma, vega: q.vega, theta: q.theta, undPrice: this.market.spot(o.underlying) }, ts);
    }
  }
}
