import type { OrderRecord, OrderState } from './OrderBookkeeping.js';

/** Order → acknowledgement and order → fill, milliseconds (wall clock): 1 ms to 1 min. */
export const ORDER_LATENCY_BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];
/** Slippage of a fill against the order's reference price, basis points, positive = paid more than the reference. */
export const SLIPPAGE_BUCKETS_BPS = [-50, -20, -10, -5, -2, -1, 0, 1, 2, 5, 10, 20, 50, 100];

/** A fixed-bucket histogram as plain numbers (published as JSON, exported by the dashboard's /metrics). */
export interface HistogramData {
  bounds: number[];
  /** per bucket, not cumulative; one more than bounds: the overflow */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array(bounds.length + 1).fill(0);
  }
  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    let b = 0;
    while (b < this.bounds.length && v > this.bounds[b]) b++;
    this.counts[b]++;
    this.sum += v;
    this.count++;
  }
  toJSON(): HistogramData {
    return { bounds: [...this.bounds], counts: [...this.counts], sum: this.sum, count: this.count };
  }
}

export interface TradingStatsData {
  ackMs: HistogramData;
  fillMs: HistogramData;
  slippageBps: HistogramData;
  /** orders that reached `filled` in this process */
  filled: number;
  /** orders the venue acknowledged in this process (accepted, or filled without an accept first) */
  acked: number;
  /** notional-weighted mean slippage of every fill seen, bps */
  slippageBpsMean: number | null;
}

/**
 * Trading figures for monitoring, from the order records execution already keeps: order → acknowledgement and
 * order → fill latency, slippage of each fill against the order's reference price (the signal's price, else the
 * mid when it was sent), and how many orders were acknowledged and filled. Only orders this process sent are
 * timed (an order replayed from the journal was sent by another process, on another clock).
 */
export class TradingStats {
  readonly ack = new Histogram(ORDER_LATENCY_BUCKETS_MS);
  readonly fill = new Histogram(ORDER_LATENCY_BUCKETS_MS);
  readonly slippage = new Histogram(SLIPPAGE_BUCKETS_BPS);
  filled = 0;
  acked = 0;
  private slipNotional = 0;
  private slipWeighted = 0;

  /** After a broker event was applied to `r` (state and filled quantity before it given). */
  observe(r: OrderRecord, before: OrderState, filledBefore: number, nowMs: number, sentByThisProcess: boolean, fill?: { price: number; qty: number }): void {
    if (before === 'new' && r.state !== 'new' && r.state !== 'rejected') {
      this.acked++;
      if (sentByThisProcess) this.ack.observe(nowMs - r.createdMs);
    }
    if (before !== 'filled' && r.state === 'filled') {
      this.filled++;
      if (sentByThisProcess) this.fill.observe(nowMs - r.createdMs);
    }
    const ref = r.refPrice;
    if (fill && r.filledQty > filledBefore && ref !== undefined && ref > 0) {
      const side = r.order.side === 'buy' ? 1 : -1;
      const bps = (side * (fill.price - ref) / ref) * 10_000;
      this.slippage.observe(bps);
      const notional = fill.price * fill.qty;
      this.slipNotional += notional;
      this.slipWeighted += bps * notional;
    }
  }

  toJSON(): TradingStatsData {
    return {
      ackMs: this.ack.toJSON(), fillMs: this.fill.toJSON(), slippageBps: this.slippage.toJSON(), filled: this.filled, acked: this.acked,
      slippageBpsMean: this.slipNotional > 0 ? this.slipWeighted / this.slipNotional : null,
    };
  }
}
