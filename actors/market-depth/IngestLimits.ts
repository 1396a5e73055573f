/** Physical bounds a venue value must satisfy before it reaches a book, the ring or analytics (venues.tws.limits). */
export interface ValueLimits {
  /** Largest size of one print, quote side or depth level (shares). */
  maxSize: number;
  /** Largest volume of one real-time bar (shares). */
  maxBarVolume: number;
  /** Largest price accepted at all (a sanity bound, far above any listed share). */
  maxPrice: number;
  /** A price may differ from the symbol's last good price by at most this fraction (0.5 = ±50 %). */
  priceBand: number;
  /** This many out-of-band prices in a row are taken as a real move: the reference follows them. */
  rebaseAfter: number;
  /** Longest market-maker code kept (longer ones are truncated). */
  maxMarketMakerChars: number;
  /** Longest venue text (error messages) kept in logs, Redis and memory. */
  maxTextChars: number;
}

export interface RejectCounters {
  nonFinite: number;
  sizeCap: number;
  priceCap: number;
  priceBand: number;
  truncatedText: number;
}

export const newRejectCounters = (): RejectCounters => ({ nonFinite: 0, sizeCap: 0, priceCap: 0, priceBand: 0, truncatedText: 0 });

/**
 * The ingest gate: per-symbol last good price, and the checks every venue number passes first. Pure; the
 * source drops what it refuses (counted) instead of handing it on — a trade of size 1e300 never reaches the ring.
 */
export class IngestLimits {
  private readonly ref: Float64Array;
  private readonly outOfBand: Uint32Array;
  readonly rejected: RejectCounters = newRejectCounters();

  constructor(private readonly limits: ValueLimits, symbols: number) {
    this.ref = new Float64Array(symbols);
    this.outOfBand = new Uint32Array(symbols);
  }

  /** Forget reference prices (after a reconnect the venue may have moved on). */
  reset(): void {
    this.ref.fill(0);
    this.outOfBand.fill(0);
  }

  size(q: number): boolean {
    if (!Number.isFinite(q) || q < 0) return this.reject('nonFinite');
    if (q > this.limits.maxSize) return this.reject('sizeCap');
    return true;
  }

  barVolume(v: number): boolean {
    if (!Number.isFinite(v) || v < 0) return this.reject('nonFinite');
    if (v > this.limits.maxBarVolume) return this.reject('sizeCap');
    return true;
  }

  /** A positive, finite price within the band around symbol s's last good price; a good price becomes the new reference. */
  price(s: number, p: number): boolean {
    if (!Number.isFinite(p) || p <= 0) return this.reject('nonFinite');
    if (p > this.limits.maxPrice) return this.reject('priceCap');
    if (s < 0 || s >= this.ref.length) return true; // unknown symbol: the book ignores it anyway
    const ref = this.ref[s];
    if (ref > 0 && Math.abs(p / ref - 1) > this.limits.priceBand) {
      if (++this.outOfBand[s] < this.limits.rebaseAfter) return this.reject('priceBand');
    }
    this.outOfBand[s] = 0;
    this.ref[s] = p;
    return true;
  }

  /** A quote price: 0 means "no bid/ask" at TWS and passes; anything else must be a good price. */
  quotePrice(s: number, p: number): boolean {
    return p === 0 || this.price(s, p);
  }

  marketMaker(mm: string): string {
    return this.clip(mm, this.limits.maxMarketMakerChars);
  }

  text(t: string): string {
    return this.clip(t, this.limits.maxTextChars);
  }

  private clip(t: string, max: number): string {
    if (typeof t !== 'string') return '';
    if (t.length <= max) return t;
    this.rejected.truncatedText++;
    return `${t.slice(0, max)}…[${t.length} chars]`;
  }

  private reject(why: 'nonFinite' | 'sizeCap' | 'priceCap' | 'priceBand'): false {
    this.rejected[why]++;
    return false;
  }
}
