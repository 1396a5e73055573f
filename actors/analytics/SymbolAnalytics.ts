import { IcebergDetector, SweepDetector, UnusualVolume } from '../../analytics/flow.js';
import { LiveVpin } from '../../analytics/vpin.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { BucketVolumeSource, SavedVpin } from './VpinStore.js';

/** A US equity session has 390 regular minutes: the first full minute × 390 estimates daily volume. */
const SESSION_MINUTES = 390;
/**
 * A history of at least a session measures the bucket volume afresh (each start re-measures it on the
 * latest sessions); a shorter one (a reconnect's gap) is only poured into the VPIN there is.
 */
const MIN_HISTORY_BARS = SESSION_MINUTES;
/** History kept per symbol before it is poured (10 sessions of minutes, the most venues.tws.history asks). */
const MAX_HISTORY_BARS = 10 * SESSION_MINUTES + 10;

/**
 * Everything the analytics actor knows about one symbol, updated per message in O(1) without allocation:
 * top of book, live VPIN, sweeps, icebergs, unusual volume, and the last gamma map.
 */
export class SymbolAnalytics {
  bid = NaN; ask = NaN; bidSize = NaN; askSize = NaN; microprice = NaN; imbalance = NaN; lastTopMs = 0;
  lastPrice = NaN;
  vpin: LiveVpin | undefined;
  bucketVolume = 0;
  bucketVolumeSource: BucketVolumeSource | 'none' = 'none';
  /** Where the bucket volume first came from (kept across restores). */
  private origin: Exclude<BucketVolumeSource, 'restored'> | 'none' = 'none';
  /** vpin progress at the last save (bars closed + trades): unchanged means nothing to save */
  private savedProgress = -1;
  private minuteIdx = -1;
  private minuteVolume = 0;
  readonly sweeps: SweepDetector;
  readonly icebergs = new IcebergDetector();
  readonly unusual: UnusualVolume;
  lastSweep: { side: string; levels: number; volume: number; startPrice: number; endPrice: number; ts: number } | null = null;
  hiddenDetections = 0;
  unusualFlags = 0;
  // gamma map
  netGex = NaN; zeroGamma = NaN; callWall = NaN; putWall = NaN; gexTs = 0;
  dirty = false;

  constructor(readonly symbol: string, private readonly cfg: EngineConfig) {
    const a = cfg.analytics;
    this.sweeps = new SweepDetector({ minLevels: a.sweepLevels, windowMs: a.sweepWindowMs });
    this.unusual = new UnusualVolume({ intervalMs: 60_000, threshold: a.unusualVolumeZ });
    const fixed = a.vpin.bucketVolume[symbol];
    if (fixed) this.startVpin(fixed, 'config');
  }

  get mid(): number {
    return (this.bid + this.ask) / 2;
  }

  /** Spot for exposures: the live mid, else the last trade. */
  get spot(): number {
    const m = this.mid;
    return Number.isFinite(m) ? m : this.lastPrice;
  }

  /** The VPIN state to save, or null when there is none yet or nothing changed since the last call. */
  vpinToSave(nowMs: number): SavedVpin | null {
    const v = this.vpin;
    if (!v || this.bucketVolumeSource === 'none') return null;
    const progress = v.barsClosed + v.trades + v.ignoredTrades;
    if (progress === this.savedProgress) return null;
    this.savedProgress = progress;
    const origin = this.origin === 'none' ? undefined : this.origin;
    return { bucketVolume: this.bucketVolume, bucketVolumeSource: this.bucketVolumeSource, origin, savedAtMs: nowMs, state: v.state() };
  }

  /**
   * Carries on from a saved state. A configured bucket volume wins over a saved one: a state built with
   * another V is refused (the reason is returned) and VPIN starts fresh; so does a malformed state.
   */
  restoreVpin(saved: SavedVpin): string | null {
    const V = saved?.bucketVolume;
    if (!(typeof V === 'number' && Number.isInteger(V) && V >= 1)) return 'no bucket volume in the saved state';
    if (this.vpin && this.bucketVolume !== V) return `saved with bucket volume ${V}, configured ${this.bucketVolume}`;
    const had = this.vpin;
    const source = this.bucketVolumeSource;
    const origin = this.origin;
    if (!had) this.startVpin(V, 'restored');
    try {
      this.vpin!.restore(saved.state);
      if (!had) this.origin = saved.origin ?? (saved.bucketVolumeSource === 'restored' ? 'estimated' : saved.bucketVolumeSource);
      return null;
    } catch (e) {
      // leave things as they were before the attempt
      this.vpin = had;
      this.bucketVolume = had ? this.bucketVolume : 0;
      this.bucketVolumeSource = source;
      this.origin = origin;
      return (e as Error).message;
    }
  }

  /**
   * The bucket volume `alphatrader discover` measured, used when none is configured and no state was
   * restored: VPIN fills buckets from the first trade instead of estimating V from a first full minute.
   * Returns false (and changes nothing) when VPIN already has a bucket volume.
   */
  useDiscoveredBucketVolume(V: number): boolean {
    if (this.vpin || !(Number.isInteger(V) && V >= 1)) return false;
    this.startVpin(V, 'discovery');
    return true;
  }

  // ---------------------------------------------------------------- history (VPIN's warm start)
  private histStart: number[] = [];
  private histClose: number[] = [];
  private histVolume: number[] = [];
  /** Bars of history poured into VPIN / refused (out of order, beyond the cap) since start. */
  historyBars = 0;
  historyRefused = 0;

  /** A minute bar of the venue's history (before the live feed); kept until `onHistoryEnd`. */
  onHistoryBar(startMs: number, close: number, volume: number): void {
    const n = this.histStart.length;
    const fine = Number.isFinite(startMs) && close > 0 && Number.isFinite(close) && volume >= 0
      && volume <= this.cfg.analytics.vpin.maxTradeVolume && (n === 0 || startMs > this.histStart[n - 1]!);
    if (!fine || n >= MAX_HISTORY_BARS) {
      this.historyRefused++;
      return;
    }
    this.histStart.push(startMs);
    this.histClose.push(close);
    this.histVolume.push(volume);
  }

  /**
   * The symbol's history is complete. A session or more of it gives the bucket volume (average volume per
   * minute × 390 / bucketsPerDay, the same rule as the one-minute estimate, over every minute sent) and a
   * fresh VPIN, unless one was configured or discovered; the bars are poured into VPIN as one
   * print each at the bar's close (bulk classification only sees a bar's close and volume), so VPIN,
   * its σ window and its CDF history exist before the first live trade. Bars VPIN already holds (a
   * restored state, a reconnect) are skipped. Returns the number of bars poured.
   */
  onHistoryEnd(): number {
    const starts = this.histStart;
    const closes = this.histClose;
    const volumes = this.histVolume;
    this.histStart = [];
    this.histClose = [];
    this.histVolume = [];
    const n = starts.length;
    if (n === 0) return 0;
    // Configured and discovered bucket volumes are the operator's; one measured on history or on a
    // single live minute is re-measured whenever a session or more of history arrives.
    const weak = !this.vpin || this.origin === 'estimated' || this.origin === 'history' || this.origin === 'none';
    if (weak && n >= MIN_HISTORY_BARS) {
      let total = 0;
      for (const v of volumes) total += v;
      const V = Math.max(1, Math.round((total / n) * SESSION_MINUTES / this.cfg.analytics.vpin.bucketsPerDay));
      this.minuteIdx = -1; // the one-minute estimate is not needed any more
      this.startVpin(V, 'history');
    }
    const vp = this.vpin;
    let poured = 0;
    if (vp) {
      const after = vp.openBarIdx;
      for (let i = 0; i < n; i++) {
        if (Math.floor(starts[i]! / vp.barMs) <= after) continue;
        vp.onTrade(starts[i]!, closes[i]!, volumes[i]!);
        poured++;
      }
    }
    // The per-minute volume norm of unusual-volume alerts warms up on the same minutes (only before any live print).
    if (this.unusual.count === 0 && !Number.isFinite(this.unusual.lastIntervalStartMs) && !Number.isFinite(this.lastPrice)) {
      for (let i = 0; i < n; i++) this.unusual.onTrade(starts[i]!, volumes[i]!);
    }
    this.historyBars += poured;
    this.dirty = true;
    return poured;
  }

  private startVpin(V: number, source: Exclude<BucketVolumeSource, 'restored'> | 'restored'): void {
    const v = this.cfg.analytics.vpin;
    this.bucketVolume = V;
    this.bucketVolumeSource = source;
    if (source !== 'restored') this.origin = source;
    this.vpin = new LiveVpin({
      bucketVolume: V, n: v.n, barSeconds: v.barSeconds, sigmaWindow: v.sigmaWindow, toxicThreshold: v.toxicThreshold,
      minHistory: v.minHistory, maxTradeVolume: v.maxTradeVolume,
    });
  }

  onTop(tsMs: number, bid: number, ask: number, bidSize: number, askSize: number, micro: number, imbalance: number): void {
    this.bid = bid; this.ask = ask; this.bidSize = bidSize; this.askSize = askSize;
    this.microprice = micro; this.imbalance = imbalance; this.lastTopMs = tsMs;
    if (Number.isFinite(ask)) this.icebergs.onQuote(tsMs, 0, ask, askSize);
    if (Number.isFinite(bid)) {
      if (this.icebergs.onQuote(tsMs, 1, bid, bidSize)) this.hiddenDetections++;
    }
    this.dirty = true;
  }

  /** Trades refused as non-finite or beyond `analytics.vpin.maxTradeVolume` (shown in the vpin key). */
  oversizedTrades = 0;

  /** Returns true when this trade completed a sweep. */
  onTrade(tsMs: number, price: number, size: number, aggressor: number): boolean {
    // A size no market prints (1e300 once looped VPIN for ever) would poison VPIN, the bucket-size
    // estimate and the flow baselines alike: refused here, counted, nothing else touched.
    if (!(size <= this.cfg.analytics.vpin.maxTradeVolume)) {
      this.oversizedTrades++;
      return false;
    }
    this.lastPrice = price;
    if (this.vpin) this.vpin.onTrade(tsMs, price, size);
    else this.estimateBucket(tsMs, price, size);
    this.icebergs.onTrade(tsMs, price, size);
    if (this.unusual.onTrade(tsMs, size)) this.unusualFlags++;
    const swept = this.sweeps.onTrade(tsMs, price, size, aggressor);
    if (swept !== 0) {
      const e = this.sweeps.last;
      this.lastSweep = { side: swept > 0 ? 'buy' : 'sell', levels: e.levels, volume: e.volume, startPrice: e.startPrice, endPrice: e.endPrice, ts: e.endMs };
    }
    this.dirty = true;
    return swept !== 0;
  }

  /** No configured bucket size: the first complete minute's volume × 390 / bucketsPerDay (the first, partial minute is skipped). */
  private estimateBucket(tsMs: number, price: number, size: number): void {
    const idx = Math.floor(tsMs / 60_000);
    if (this.minuteIdx < 0) {
      this.minuteIdx = idx;
      return;
    }
    if (idx === this.minuteIdx) {
      this.minuteVolume += size;
      return;
    }
    if (this.fullMinute && this.minuteVolume > 0) {
      const V = Math.max(1, Math.round((this.minuteVolume * SESSION_MINUTES) / this.cfg.analytics.vpin.bucketsPerDay));
      this.startVpin(V, 'estimated');
      this.vpin!.onTrade(tsMs, price, size);
      return;
    }
    this.fullMinute = true; // the minute that starts now is complete
    this.minuteIdx = idx;
    this.minuteVolume = size;
  }
  private fullMinute = false;

  get toxic(): boolean {
    return this.vpin?.toxic ?? false;
  }

  /** VPIN, or NaN before the first value. */
  get vpinValue(): number {
    return this.vpin && this.vpin.history > 0 ? (this.vpin.value ?? NaN) : NaN;
  }

  /** The CDF of VPIN, or NaN until `analytics.vpin.minHistory` values give it a meaning. */
  get vpinCdf(): number {
    return this.vpin && this.vpin.cdfReady ? (this.vpin.cdf ?? NaN) : NaN;
  }

  /**
   * The key says which phase VPIN is in: 'estimating-bucket-size' (no bucket volume yet), 'warming-up'
   * (filling the first n buckets: no VPIN), 'building-history' (VPIN, but fewer than minHistory values:
   * no CDF, never toxic), 'live'.
   */
  vpinJson(nowMs: number): Record<string, unknown> {
    const v = this.vpin;
    const hasValue = !!v && v.history > 0;
    const cdfReady = !!v && v.cdfReady;
    return {
      symbol: this.symbol,
      vpin: hasValue ? v!.value : null,
      cdf: cdfReady ? v!.cdf : null,
      toxic: cdfReady ? v!.toxic : false,
      threshold: this.cfg.analytics.vpin.toxicThreshold,
      status: v ? v.phase : 'estimating-bucket-size',
      history: v?.history ?? 0,
      minHistory: this.cfg.analytics.vpin.minHistory,
      oversizedTrades: this.oversizedTrades,
      bucketVolume: this.bucketVolume || null,
      bucketVolumeSource: this.bucketVolumeSource,
      historyBars: this.historyBars,
      buckets: v?.bucketsClosed ?? 0,
      bucketsNeeded: this.cfg.analytics.vpin.n,
      bars: v?.barsClosed ?? 0,
      sigma: v && Number.isFinite(v.lastSigma) ? v.lastSigma : null,
      ts: nowMs,
    };
  }

  private sweepPublishedTs = -1;
  private unusualPublishedStart = NaN;

  /**
   * `market:{SYM}:sweep`: the latest sweep once (a Level-2 alert: side, size, levels swept, price range, time),
   * or null when there is no new one since the last call.
   */
  newSweep(): Record<string, unknown> | null {
    const s = this.lastSweep;
    if (!s || s.ts === this.sweepPublishedTs) return null;
    this.sweepPublishedTs = s.ts;
    return { symbol: this.symbol, side: s.side, size: s.volume, levels: s.levels, priceFrom: s.startPrice, priceTo: s.endPrice, ts: s.ts };
  }

  /**
   * `market:{SYM}:unusual_volume`: the last closed interval's volume against its norm (the EWMA baseline of
   * past intervals; no time-of-day profile), the ratio and z, flagged or not — once per closed interval.
   */
  newUnusualVolume(nowMs: number): Record<string, unknown> | null {
    // Intervals close on the trades' own clock (event time), never the wall's: a replay of an old day works too.
    const u = this.unusual;
    if (!Number.isFinite(u.lastIntervalStartMs) || u.lastIntervalStartMs === this.unusualPublishedStart) return null;
    this.unusualPublishedStart = u.lastIntervalStartMs;
    // The norm the interval was scored against: the baseline before it was folded in (mean' = (1−α)·mean + α·v).
    const norm = u.count > 1 && u.alpha < 1 ? (u.mean - u.alpha * u.lastVolume) / (1 - u.alpha) : null;
    return {
      symbol: this.symbol, volume: u.lastVolume, norm, ratio: norm !== null && norm > 0 ? u.lastVolume / norm : null,
      z: u.lastZ, flagged: u.flagged, intervalStart: u.lastIntervalStartMs, intervalMs: u.intervalMs, warmup: u.count < u.warmup, ts: nowMs,
    };
  }

  flowJson(nowMs: number): Record<string, unknown> {
    const fin = (x: number) => (Number.isFinite(x) ? x : null);
    const ice = (s: { price: number; refills: number; hiddenEstimate: number; iceberg: boolean }) => ({ price: fin(s.price), refills: s.refills, hiddenEstimate: s.hiddenEstimate, iceberg: s.iceberg });
    return {
      symbol: this.symbol,
      imbalance: fin(this.imbalance),
      microprice: fin(this.microprice),
      mid: fin(this.mid),
      spread: fin(this.ask - this.bid),
      sweeps: { count: this.sweeps.sweeps, last: this.lastSweep },
      hidden: { detections: this.icebergs.detections, bid: ice(this.icebergs.bid), ask: ice(this.icebergs.ask) },
      unusualVolume: { flagged: this.unusual.flagged, z: this.unusual.lastZ, lastVolume: this.unusual.lastVolume, baselineMean: this.unusual.mean, flags: this.unusualFlags },
      ts: nowMs,
    };
  }
}
