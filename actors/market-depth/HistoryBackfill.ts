import type { MarketSink } from './MarketSource.js';
import type { IngestLimits } from './IngestLimits.js';

/** Bars of one minute: what VPIN's bulk classification is defined on (analytics conventions). */
export const HISTORY_BAR_SECONDS = 60;

/** A bar as the client library hands it over (TWS HISTORICAL_DATA, formatDate 2: epoch seconds). */
export interface VenueBar {
  time: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  wap: number;
  count: number;
}

/**
 * The minute bars of the last sessions, asked once per connection before the live subscriptions, so
 * VPIN starts with a bucket volume measured on real volume and a full window of buckets instead of
 * an hour of warm-up. Per symbol the bars are checked (ingest limits, whole minutes only: TWS also
 * sends the minute in progress), handed to the sink in time order, then closed with `historyEnd`.
 * Whatever does not arrive in time (an error, a slow farm) ends that symbol's history empty: the live
 * feed never waits longer than `timeoutMs`.
 */
export class HistoryBackfill {
  private readonly pending = new Map<number, VenueBar[]>();
  private timer?: NodeJS.Timeout;
  private done = false;
  bars = 0;
  refused = 0;
  failed = 0;
  timedOut = 0;

  constructor(
    private readonly symbols: number,
    private readonly maxBars: number,
    private readonly limits: IngestLimits,
    private readonly sink: () => MarketSink,
    private readonly onDone: (summary: { bars: number; refused: number; failed: number; timedOut: number }) => void,
  ) {}

  /** Starts the clock: `request(i)` is called for every symbol, then the timeout runs. */
  begin(request: (symbolId: number) => void, timeoutMs: number, nowNs: () => number): void {
    for (let i = 0; i < this.symbols; i++) this.pending.set(i, []);
    for (let i = 0; i < this.symbols; i++) request(i);
    this.timer = setTimeout(() => {
      this.timedOut = this.pending.size;
      for (const s of [...this.pending.keys()]) this.finish(s, false, nowNs());
    }, timeoutMs);
    this.timer.unref?.();
  }

  /** One bar of symbol `s`, or the library's end marker (a time starting with "finished"). */
  onBar(s: number, bar: VenueBar, nowNs: number): void {
    const list = this.pending.get(s);
    if (!list) return;
    if (typeof bar.time === 'string' && bar.time.startsWith('finished')) return this.finish(s, true, nowNs);
    if (list.length >= this.maxBars) list.shift(); // a venue sending more than asked: keep the newest
    list.push(bar);
  }

  /** The venue refused the request for symbol `s` (error 162, 200, …): live data only. */
  onError(s: number, nowNs: number): void {
    if (!this.pending.has(s)) return;
    this.failed++;
    this.finish(s, false, nowNs);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.pending.clear();
    this.done = true;
  }

  private finish(s: number, ok: boolean, nowNs: number): void {
    const list = this.pending.get(s);
    if (!list) return;
    this.pending.delete(s);
    const sink = this.sink();
    if (ok && sink.historyBar) {
      const wholeBefore = Date.now() - HISTORY_BAR_SECONDS * 1000; // a bar starting later is still in progress
      let last = -Infinity;
      for (const b of list) {
        const startMs = Number(b.time) * 1000;
        const L = this.limits;
        const fine = Number.isFinite(startMs) && startMs > last && startMs <= wholeBefore && L.barVolume(b.volume)
          && L.price(s, b.open) && L.price(s, b.high) && L.price(s, b.low) && L.price(s, b.close);
        if (!fine) {
          this.refused++;
          continue;
        }
        last = startMs;
        this.bars++;
        sink.historyBar(s, startMs, HISTORY_BAR_SECONDS, b.open, b.high, b.low, b.close, b.volume,
          Number.isFinite(b.wap) && b.wap > 0 ? b.wap : b.close, Number.isFinite(b.count) ? b.count : 0, nowNs);
      }
    }
    sink.historyEnd?.(s, nowNs);
    sink.endOfBatch();
    if (this.pending.size === 0 && !this.done) {
      this.done = true;
      clearTimeout(this.timer);
      this.onDone({ bars: this.bars, refused: this.refused, failed: this.failed, timedOut: this.timedOut });
    }
  }
}
