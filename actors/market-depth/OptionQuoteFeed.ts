import type { OptionInstrument } from '../../analytics/instrument.js';
import type { OptionQuote } from '../../analytics/optionQuote.js';
import type { Logger } from '../../engine/log/logger.js';
import { OptionQuoteBook } from './OptionQuoteBook.js';
import { OptionSubscriptions, type OptionLinesPlan, type OptionLinesReport } from './OptionSubscriptions.js';

/** Where the option quotes come from (TWS reqMktData, the in-process option market): it tracks its own requests. */
export interface OptionQuoteVenue {
  /** Start streaming `add`, stop streaming `remove` (OCC symbols). */
  update(add: OptionInstrument[], remove: string[]): void;
}

export interface OptionQuoteFeedOptions {
  lineLimit: number;
  linesInUse: number;
  ownerPriority: readonly string[];
}

/**
 * Market-depth's option quotes: the owners' subscription sets (OptionSubscriptions) turned into venue
 * requests within the line limit, and the venue's ticks conflated into the latest quote per contract
 * (OptionQuoteBook), drained once per flush to the consumers.
 */
export class OptionQuoteFeed {
  readonly subs: OptionSubscriptions;
  readonly book = new OptionQuoteBook();
  private venue?: OptionQuoteVenue;

  constructor(o: OptionQuoteFeedOptions, private readonly log: Logger) {
    this.subs = new OptionSubscriptions(o.lineLimit, o.linesInUse, o.ownerPriority);
  }

  /** The venue that streams the contracts; it is handed every contract subscribed so far. */
  attach(venue: OptionQuoteVenue): void {
    this.venue = venue;
    venue.update(this.subs.current(), []);
  }

  /** Topic `option-subscriptions`; false when the request was malformed (refused whole, counted). */
  request(payload: unknown): boolean {
    const plan = this.subs.request(payload);
    if (!plan) return false;
    this.apply(plan);
    return true;
  }

  /** The underlyings' lines changed (the served symbols, cluster mode): options get what is left. */
  setLinesInUse(n: number): void {
    if (n !== this.subs.linesInUse) this.apply(this.subs.setLinesInUse(n));
  }

  /** The venue refused a contract (its error code): the line goes to the next contract in rank. */
  refused(occ: string, code: number): void {
    this.log.warn({ occ, code }, 'option quotes: the venue refused the contract');
    this.apply(code === 101 ? this.subs.overLimit(occ) : this.subs.refuse(occ, code));
  }

  private apply(plan: OptionLinesPlan): void {
    for (const o of plan.add) this.book.open(o);
    for (const k of plan.remove) this.book.close(k);
    if (plan.add.length || plan.remove.length) this.venue?.update(plan.add, plan.remove);
    if (plan.newlyDropped.length) {
      const r = this.subs.report();
      this.log.warn({ dropped: plan.newlyDropped, lineLimit: r.lineLimit, linesInUse: r.linesInUse }, 'option quotes: contracts over the market-data line limit are not streamed');
    }
  }

  /** The quotes changed since the last call (latest per contract). */
  drain(): OptionQuote[] {
    return this.book.drain();
  }

  report(): OptionLinesReport & { rejectedTicks: number } {
    return { ...this.subs.report(), rejectedTicks: this.book.rejected };
  }
}
