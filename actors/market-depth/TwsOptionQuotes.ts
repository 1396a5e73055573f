import { EventName, type IBApi } from '@stoqey/ib';
import type { OptionInstrument } from '../../analytics/instrument.js';
import { ibOptionContract } from '../../engine/venues/ibOptionContract.js';
import type { OptionQuoteFeed, OptionQuoteVenue } from './OptionQuoteFeed.js';

/** Option request ids live far above the underlyings' kind ranges (10 000 .. 69 999). */
const OPTION_REQ_BASE = 1_000_000;
/** IB tick types (TickType): prices, their sizes, and the model option computation. */
const TICK = { BID_SIZE: 0, BID: 1, ASK: 2, ASK_SIZE: 3, LAST: 4, MODEL_OPTION: 13, DELAYED_BID: 66, DELAYED_ASK: 67, DELAYED_LAST: 68, DELAYED_BID_SIZE: 69, DELAYED_ASK_SIZE: 70, DELAYED_MODEL_OPTION: 83 } as const;

/**
 * Option quotes over the TWS connection: one `reqMktData` per subscribed contract (a market-data line
 * each), its bid/ask/last, sizes and model computation (tick 13) written into the feed's quote book.
 * Request ids are per session: a new session (reconnect) or a 1101 round subscribes the feed's whole
 * current set afresh; the venue's refusal of a contract (error 200, 101 over its line limit…) goes back
 * to the feed, which gives the line to the next contract in rank.
 */
export class TwsOptionQuotes implements OptionQuoteVenue {
  private ib?: IBApi;
  private readonly byReq = new Map<number, OptionInstrument>();
  private readonly byOcc = new Map<string, number>();
  private seq = 0;

  constructor(private readonly feed: OptionQuoteFeed, private readonly nowMs: () => number) {
    feed.attach(this);
  }

  /** The session's subscriptions go out (after the underlyings'); a 1101 round cancels the previous ones first. */
  start(ib: IBApi, cancelPrevious: boolean): void {
    if (cancelPrevious && this.ib === ib) for (const reqId of this.byReq.keys()) ib.cancelMktData(reqId);
    this.byReq.clear();
    this.byOcc.clear();
    this.ib = ib;
    for (const o of this.feed.subs.current()) this.request(ib, o);
  }

  /** The socket is gone: its requests died with it. */
  stop(): void {
    this.ib = undefined;
    this.byReq.clear();
    this.byOcc.clear();
  }

  get lines(): number {
    return this.byReq.size;
  }

  update(add: OptionInstrument[], remove: string[]): void {
    const ib = this.ib;
    if (!ib) return; // the next session subscribes the feed's set
    for (const occ of remove) {
      const reqId = this.byOcc.get(occ);
      if (reqId === undefined) continue;
      ib.cancelMktData(reqId);
      this.byOcc.delete(occ);
      this.byReq.delete(reqId);
    }
    for (const o of add) if (!this.byOcc.has(o.occ)) this.request(ib, o);
  }

  private request(ib: IBApi, o: OptionInstrument): void {
    const reqId = OPTION_REQ_BASE + ++this.seq;
    this.byReq.set(reqId, o);
    this.byOcc.set(o.occ, reqId);
    ib.reqMktData(reqId, ibOptionContract(o), '', false, false);
  }

  /** True when the error is about one of our option requests (handled here). */
  onError(code: number, reqId: number): boolean {
    const o = this.byReq.get(reqId);
    if (!o) return false;
    // 10167/10090: delayed or partial data notices, the line stays.
    if (code === 10167 || code === 10090 || code === 354) return true;
    this.byReq.delete(reqId);
    this.byOcc.delete(o.occ);
    this.feed.refused(o.occ, code);
    return true;
  }

  wire(ib: IBApi): void {
    const book = this.feed.book;
    ib.on(EventName.tickPrice, (reqId: number, field: number, value: number) => {
      const o = this.byReq.get(reqId);
      if (!o) return;
      const k = field === TICK.BID || field === TICK.DELAYED_BID ? 'bid' : field === TICK.ASK || field === TICK.DELAYED_ASK ? 'ask' : field === TICK.LAST || field === TICK.DELAYED_LAST ? 'last' : undefined;
      if (k) book.price(o.occ, k, value, this.nowMs());
    });
    ib.on(EventName.tickSize, (reqId: number, field?: number, value?: number) => {
      const o = this.byReq.get(reqId);
      if (!o) return;
      const k = field === TICK.BID_SIZE || field === TICK.DELAYED_BID_SIZE ? 'bidSize' : field === TICK.ASK_SIZE || field === TICK.DELAYED_ASK_SIZE ? 'askSize' : undefined;
      if (k) book.size(o.occ, k, Number(value), this.nowMs());
    });
    ib.on(EventName.tickOptionComputation, (reqId: number, field: number, _attr: number | undefined, iv?: number, delta?: number, _price?: number, _pv?: number, gamma?: number, vega?: number, theta?: number, undPrice?: number) => {
      const o = this.byReq.get(reqId);
      if (!o || (field !== TICK.MODEL_OPTION && field !== TICK.DELAYED_MODEL_OPTION)) return;
      book.greeks(o.occ, { iv, delta, gamma, vega, theta, undPrice }, this.nowMs());
    });
  }
}
