/**
 * One-minute TRADES bars a simulated venue serves as history (TWS reqHistoricalData): the minutes before
 * the model started, synthesised consistently with the model, followed by the minutes the model has
 * actually traded since (aggregated from its prints, so a later request sees the live tape).
 *
 * The synthetic part must look like the live flow to whoever calibrates on it (VPIN's bucket volume is
 * the average daily volume / 50): each symbol's mean volume per minute is measured by running a fresh
 * copy of the model for ten minutes (another seed, the same rate), and prices walk backwards from
 * the model's start price with the model's stationary volatility. Deterministic from the model's seed.
 *
 * That calibration run costs 0.3–0.8 s of CPU per symbol on a 2-core host, and an embedded simulator shares
 * its thread with the supervisor on a small host (decision 112), whose symbol leases must be renewed every
 * 250 ms: `prepare` runs it in slices of model time and yields the event loop between them (decision 122).
 */
import { MarketModel, MS_PER_TRADING_YEAR, STATIONARY_VOL, type MarketListener } from './MarketModel.js';
import { Rng } from './Rng.js';

export const MINUTE_MS = 60_000;

export interface MinuteBar {
  /** Bar start, epoch ms (a whole minute). */
  startMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  wap: number;
  count: number;
}

export interface HistoricalBarsOptions {
  /** Synthetic minutes before the model's start (default 3 sessions of 390 minutes). */
  syntheticMinutes?: number;
  /** Live minutes kept per symbol (older ones are dropped; default 3 sessions). */
  liveMinutes?: number;
  /** Model time used to measure the mean volume per minute (default 10 min: regimes make 2 min vary 2×). */
  calibrationMs?: number;
}

/** Model time calibrated per slice in `prepare` (a few ms of CPU): the event loop runs between slices. */
const CALIBRATION_SLICE_MS = 2_000;

/** Lognormal spread of one minute's volume around the mean (σ of its log). */
const VOLUME_LOG_SIGMA = 0.35;

class LiveMinute {
  startMs = -1;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  volume = 0;
  pv = 0;
  count = 0;
}

export class HistoricalBars {
  private readonly synthetic: (MinuteBar[] | undefined)[];
  /** by symbol: the sliced calibration under way (`prepare`) */
  private readonly preparing = new Map<number, Promise<boolean>>();
  /** `cancel` was called: calibrations under way stop at their next slice */
  private cancelled = false;
  private readonly live: MinuteBar[][];
  private readonly open: LiveMinute[];
  private readonly syntheticMinutes: number;
  private readonly liveMinutes: number;
  private readonly calibrationMs: number;

  constructor(private readonly model: MarketModel, opts: HistoricalBarsOptions = {}) {
    this.syntheticMinutes = opts.syntheticMinutes ?? 3 * 390;
    this.liveMinutes = opts.liveMinutes ?? 3 * 390;
    this.calibrationMs = opts.calibrationMs ?? 600_000;
    const n = model.symbols.length;
    this.synthetic = new Array(n).fill(undefined);
    this.live = Array.from({ length: n }, () => []);
    this.open = Array.from({ length: n }, () => new LiveMinute());
  }

  /** Every print of the live model (call in time order). */
  onTrade(si: number, tsMs: number, price: number, size: number): void {
    const m = this.open[si];
    if (!m) return;
    const start = Math.floor(tsMs / MINUTE_MS) * MINUTE_MS;
    if (start !== m.startMs) {
      if (m.startMs >= 0 && m.count > 0) this.keep(si, m);
      m.startMs = start;
      m.open = m.high = m.low = price;
      m.volume = m.pv = m.count = 0;
    }
    if (price > m.high) m.high = price;
    if (price < m.low) m.low = price;
    m.close = price;
    m.volume += size;
    m.pv += price * size;
    m.count++;
  }

  /**
   * The bars of symbol `si` that start in [fromMs, toMs), oldest first: synthetic, then live, then the
   * minute in progress (as TWS does: the last bar of a request ending now is partial).
   */
  bars(si: number, fromMs: number, toMs: number): MinuteBar[] {
    const out: MinuteBar[] = [];
    const take = (b: MinuteBar) => {
      if (b.startMs >= fromMs && b.startMs < toMs) out.push(b);
    };
    for (const b of this.syntheticFor(si)) take(b);
    for (const b of this.live[si]!) take(b);
    const m = this.open[si]!;
    if (m.startMs >= 0 && m.count > 0) take(toBar(m));
    return out;
  }

  private keep(si: number, m: LiveMinute): void {
    const list = this.live[si]!;
    list.push(toBar(m));
    if (list.length > this.liveMinutes) list.splice(0, list.length - this.liveMinutes);
  }

  /** Whether `bars(si, …)` answers without calibrating first. */
  ready(si: number): boolean {
    return this.synthetic[si] !== undefined;
  }

  /**
   * Calibrates and synthesises symbol `si`'s history without holding the thread: the calibration run goes in
   * slices of model time with the event loop free between them. The same bars as the synchronous path (the
   * model's events do not depend on how `advance` is sliced). Concurrent calls share one run. False when
   * `cancel` stopped it (the simulator is stopping: its CPU is not spent on answers nobody will read).
   */
  prepare(si: number): Promise<boolean> {
    if (this.ready(si)) return Promise.resolve(true);
    let p = this.preparing.get(si);
    if (!p) {
      p = (async () => {
        const steps = this.calibrate(si);
        let r = steps.next();
        while (!r.done) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.cancelled) return false;
          r = steps.next();
        }
        if (!this.ready(si)) this.synthetic[si] = this.generate(si, r.value);
        return true;
      })().finally(() => this.preparing.delete(si));
      this.preparing.set(si, p);
    }
    return p;
  }

  /** Stops every calibration under way at its next slice (their `prepare` resolves false). */
  cancel(): void {
    this.cancelled = true;
  }

  private syntheticFor(si: number): MinuteBar[] {
    let s = this.synthetic[si];
    if (!s) {
      const steps = this.calibrate(si);
      let r = steps.next();
      while (!r.done) r = steps.next();
      s = this.generate(si, r.value);
      this.synthetic[si] = s;
    }
    return s;
  }

  private generate(si: number, { meanVolume, meanSize }: { meanVolume: number; meanSize: number }): MinuteBar[] {
    const spec = this.model.symbols[si]!;
    const tick = spec.tickSize ?? 0.01;
    const round = (p: number) => Math.max(tick, Math.round(p / tick) * tick);
    const rng = new Rng((this.model.seed * 2654435761 + si * 40503 + 911) % 4294967296);
    const sigma = STATIONARY_VOL * Math.sqrt(MINUTE_MS / MS_PER_TRADING_YEAR);
    const firstLive = Math.floor(this.model.startMs / MINUTE_MS) * MINUTE_MS;
    const bars: MinuteBar[] = new Array(this.syntheticMinutes);
    // Walk backwards from the price the live model starts at, so history joins the live tape.
    let close = spec.basePrice;
    for (let k = this.syntheticMinutes - 1; k >= 0; k--) {
      const open = close * Math.exp(-sigma * rng.normal());
      const wick = Math.abs(sigma * rng.normal()) * 0.5;
      const volume = Math.max(1, Math.round(meanVolume * Math.exp(VOLUME_LOG_SIGMA * rng.normal() - VOLUME_LOG_SIGMA ** 2 / 2)));
      const o = round(open);
      const c = round(close);
      bars[k] = {
        startMs: firstLive - (this.syntheticMinutes - k) * MINUTE_MS,
        open: o, close: c,
        high: round(Math.max(open, close) * (1 + wick)), low: round(Math.min(open, close) * (1 - wick)),
        volume, wap: round((open + close) / 2), count: Math.max(1, Math.round(volume / meanSize)),
      };
      close = open;
    }
    return bars;
  }

  /**
   * Mean volume per minute and mean print size of symbol `si`, measured on a fresh copy of the model; yields
   * after each slice of model time (the caller decides whether to let the event loop run in between).
   */
  private *calibrate(si: number): Generator<void, { meanVolume: number; meanSize: number }> {
    const spec = this.model.symbols[si]!;
    const copy = new MarketModel({ seed: this.model.seed + 7777, symbols: [spec], startMs: 0, eventsPerSecond: this.model.eventsPerSecond });
    let volume = 0;
    let prints = 0;
    const listener: MarketListener = {
      onDepth() {},
      onQuote() {},
      onTrade(_si, _t, _p, size) {
        volume += size;
        prints++;
      },
    };
    for (let t = Math.min(CALIBRATION_SLICE_MS, this.calibrationMs); ; t = Math.min(t + CALIBRATION_SLICE_MS, this.calibrationMs)) {
      copy.advance(t, listener);
      if (t >= this.calibrationMs) break;
      yield;
    }
    const minutes = this.calibrationMs / MINUTE_MS;
    return { meanVolume: Math.max(1, volume / minutes), meanSize: prints > 0 ? volume / prints : 100 };
  }
}

function toBar(m: LiveMinute): MinuteBar {
  return {
    startMs: m.startMs, open: m.open, high: m.high, low: m.low, close: m.close, volume: m.volume,
    wap: m.volume > 0 ? Math.round((m.pv / m.volume) * 1e6) / 1e6 : m.close, count: m.count,
  };
}
