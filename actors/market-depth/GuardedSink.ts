import { IngestLimits } from './IngestLimits.js';
import type { HaltPhase, MarketSink } from './MarketSource.js';

/**
 * The TWS source's ingest limits (venues.tws.limits: non-finite values, sizes over a cap, prices outside a
 * band around the symbol's last good price) in front of the sources that have none of their own:
 * recordings, LOBSTER files and the in-process simulated market. A recorded trade of size 1e300 or a NaN
 * price is counted here and never reaches a book, the ring or VPIN — replaying a file is ingest too.
 */
export class GuardedSink implements MarketSink {
  readonly limits: IngestLimits;

  constructor(private readonly inner: MarketSink, limits: ConstructorParameters<typeof IngestLimits>[0], symbols: number) {
    this.limits = new IngestLimits(limits, symbols);
  }

  depth(s: number, tsMs: number, position: number, operation: number, side: number, price: number, size: number, marketMaker: string, ingestNs: number): void {
    const L = this.limits;
    if (!L.size(size) || (operation !== 2 && !L.price(s, price))) return;
    this.inner.depth(s, tsMs, position, operation, side, price, size, L.marketMaker(marketMaker), ingestNs);
  }

  trade(s: number, tsMs: number, price: number, size: number, aggressor: number, ingestNs: number): void {
    if (this.limits.size(size) && this.limits.price(s, price)) this.inner.trade(s, tsMs, price, size, aggressor, ingestNs);
  }

  cross(s: number, tsMs: number, price: number, size: number, ingestNs: number): void {
    if (!this.limits.size(size) || !this.limits.price(s, price)) return;
    if (this.inner.cross) this.inner.cross(s, tsMs, price, size, ingestNs);
    else this.inner.trade(s, tsMs, price, size, 0, ingestNs);
  }

  quote(s: number, tsMs: number, bidPx: number, askPx: number, bidSz: number, askSz: number, ingestNs: number): void {
    const L = this.limits;
    if (L.size(bidSz) && L.size(askSz) && L.quotePrice(s, bidPx) && L.quotePrice(s, askPx)) this.inner.quote(s, tsMs, bidPx, askPx, bidSz, askSz, ingestNs);
  }

  bar(s: number, startMs: number, seconds: number, o: number, h: number, l: number, c: number, v: number, wap: number, count: number, ingestNs: number): void {
    if (this.barOk(s, o, h, l, c, v)) this.inner.bar?.(s, startMs, seconds, o, h, l, c, v, wap, count, ingestNs);
  }

  historyBar(s: number, startMs: number, seconds: number, o: number, h: number, l: number, c: number, v: number, wap: number, count: number, ingestNs: number): void {
    if (this.barOk(s, o, h, l, c, v)) this.inner.historyBar?.(s, startMs, seconds, o, h, l, c, v, wap, count, ingestNs);
  }

  historyEnd(s: number, ingestNs: number): void {
    this.inner.historyEnd?.(s, ingestNs);
  }

  halt(s: number, tsMs: number, phase: HaltPhase, ingestNs: number): void {
    this.inner.halt?.(s, tsMs, phase, ingestNs);
  }

  reset(s: number): void {
    this.inner.reset(s);
  }

  connection(up: boolean, detail: string): void {
    this.inner.connection(up, detail);
  }

  endOfBatch(nowMs?: number): void {
    this.inner.endOfBatch(nowMs);
  }

  private barOk(s: number, o: number, h: number, l: number, c: number, v: number): boolean {
    const L = this.limits;
    return L.barVolume(v) && L.price(s, o) && L.price(s, h) && L.price(s, l) && L.price(s, c);
  }
}
