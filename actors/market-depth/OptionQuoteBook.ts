import type { OptionInstrument } from '../../analytics/instrument.js';
import type { OptionQuote } from '../../analytics/optionQuote.js';

/** The option-computation values a venue reports (IB TICK_OPTION_COMPUTATION, the simulated market's model). */
export interface OptionGreeks {
  iv?: number;
  delta?: number;
  gamma?: number;
  vega?: number;
  theta?: number;
  undPrice?: number;
}

const ok = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * The latest quote of every streamed option contract, conflated: a tick overwrites the contract's fields
 * and marks it changed (also a tick repeating a value: the venue confirmed the quote now, so its `ts`
 * moves on — after a reconnect the first ticks often repeat the last values); `drain` hands out each changed contract once (its latest state) and forgets the
 * marks. Memory is bounded by the contracts streamed, whatever the tick rate or the consumers' pace.
 */
export class OptionQuoteBook {
  private readonly quotes = new Map<string, OptionQuote>();
  private readonly changed = new Set<string>();
  /** Ticks refused as not finite or negative (bid/ask/size), counted. */
  rejected = 0;

  /** Starts a contract with an empty quote (NaN until its first ticks). */
  open(o: OptionInstrument): void {
    if (this.quotes.has(o.occ)) return;
    this.quotes.set(o.occ, {
      occ: o.occ, underlying: o.underlying, bid: NaN, ask: NaN, bidSize: NaN, askSize: NaN, last: NaN,
      iv: NaN, delta: NaN, gamma: NaN, vega: NaN, theta: NaN, undPrice: NaN, ts: 0,
    });
  }

  close(occ: string): void {
    this.quotes.delete(occ);
    this.changed.delete(occ);
  }

  /** Bid/ask/last and their sizes (IB tick types 1/2/4 and 0/3/5). A price of −1 is "no quote" (NaN). */
  price(occ: string, field: 'bid' | 'ask' | 'last', value: number, ts: number): void {
    const q = this.quotes.get(occ);
    if (!q) return;
    if (value === -1) value = NaN;
    else if (!ok(value) || value < 0) return void this.rejected++;
    q[field] = value;
    this.touch(q, ts);
  }

  size(occ: string, field: 'bidSize' | 'askSize', value: number, ts: number): void {
    const q = this.quotes.get(occ);
    if (!q) return;
    if (!ok(value) || value < 0) return void this.rejected++;
    q[field] = value;
    this.touch(q, ts);
  }

  /** A model computation: finite values replace the previous ones; absent ones (IB's unset sentinels) keep them. */
  greeks(occ: string, g: OptionGreeks, ts: number): void {
    const q = this.quotes.get(occ);
    if (!q) return;
    let any = false;
    for (const k of ['iv', 'delta', 'gamma', 'vega', 'theta', 'undPrice'] as const) {
      const v = g[k];
      if (ok(v)) {
        q[k] = v;
        any = true;
      }
    }
    if (any) this.touch(q, ts);
  }

  private touch(q: OptionQuote, ts: number): void {
    q.ts = ts;
    this.changed.add(q.occ);
  }

  /** Copies of every contract changed since the last drain, latest state only. */
  drain(): OptionQuote[] {
    const out: OptionQuote[] = [];
    for (const occ of this.changed) {
      const q = this.quotes.get(occ);
      if (q) out.push({ ...q });
    }
    this.changed.clear();
    return out;
  }

  get(occ: string): OptionQuote | undefined {
    return this.quotes.get(occ);
  }

  get count(): number {
    return this.quotes.size;
  }
}
