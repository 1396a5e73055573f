/**
 * The outlier gate for prints: a trade whose price jumps from the symbol's last accepted print by more
 * than `sigmas` × the recent volatility of print-to-print log returns (with a floor, so a quiet tape does
 * not quarantine every tick) is held out of bars, VPIN and marks, and reported with its reason.
 *
 * Recent volatility is an exponentially weighted mean absolute log return (× √(π/2), σ of a normal from its
 * mean absolute deviation; robust to the odd jump, which is never folded in). The first `warmup` prints
 * of a symbol only teach it. A genuine move is a run of prints away from the reference: after `rebaseAfter`
 * consecutive outliers on the same side, within the band of each other, the level is taken as real and
 * the print accepted, so the gate can never lock a symbol out. Pure and allocation-free per print.
 */

export interface PrintGateOptions {
  /** A print beyond this many σ of recent print-to-print returns is an outlier. */
  sigmas: number;
  /** The band is never narrower than this (basis points of price). */
  minBandBps: number;
  /** Prints per symbol used to learn σ before the gate judges. */
  warmup: number;
  /** Consecutive same-side outliers that make a new level real. */
  rebaseAfter: number;
  /** Half-life of the volatility estimate, in prints. */
  halfLifePrints: number;
}

export interface OutlierVerdict {
  /** Reference price (last accepted print). */
  reference: number;
  /** σ of print-to-print log returns at the time. */
  sigma: number;
  /** |log return| in units of σ. */
  multiple: number;
  /** The band that was exceeded, as a fraction of the reference. */
  band: number;
}

const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2);

export class PrintGate {
  private readonly ref: Float64Array;
  private readonly mad: Float64Array;
  private readonly seen: Uint32Array;
  private readonly run: Int32Array; // signed count of consecutive outliers (+ above, − below)
  private readonly runRef: Float64Array; // first price of the current run
  private readonly alpha: number;
  /** Outliers held out, per symbol. */
  readonly outliers: Uint32Array;
  /** Runs accepted as a real move, per symbol. */
  readonly rebases: Uint32Array;
  /** The verdict of the last `check` that refused (overwritten each time: copy what you keep). */
  readonly last: OutlierVerdict = { reference: NaN, sigma: NaN, multiple: NaN, band: NaN };

  constructor(private readonly o: PrintGateOptions, symbols: number) {
    if (!(o.sigmas > 0) || !(o.minBandBps >= 0) || !(o.warmup >= 1) || !(o.rebaseAfter >= 1) || !(o.halfLifePrints >= 1)) {
      throw new RangeError('PrintGate: sigmas > 0, minBandBps ≥ 0, warmup ≥ 1, rebaseAfter ≥ 1, halfLifePrints ≥ 1');
    }
    this.ref = new Float64Array(symbols);
    this.mad = new Float64Array(symbols);
    this.seen = new Uint32Array(symbols);
    this.run = new Int32Array(symbols);
    this.runRef = new Float64Array(symbols);
    this.outliers = new Uint32Array(symbols);
    this.rebases = new Uint32Array(symbols);
    this.alpha = 1 - Math.pow(0.5, 1 / o.halfLifePrints);
  }

  /** σ of print-to-print log returns learnt for symbol `s` (NaN before two prints). */
  sigma(s: number): number {
    return this.seen[s]! >= 2 ? this.mad[s]! * MAD_TO_SIGMA : NaN;
  }

  /** True: accept the print (and learn from it). False: an outlier, described in `last`. */
  check(s: number, price: number): boolean {
    if (s < 0 || s >= this.ref.length) return true;
    const ref = this.ref[s]!;
    if (!(ref > 0)) {
      this.ref[s] = price;
      this.seen[s] = 1;
      return true;
    }
    const r = Math.log(price / ref);
    const abs = Math.abs(r);
    const sigma = this.mad[s]! * MAD_TO_SIGMA;
    const band = Math.max(this.o.sigmas * sigma, this.o.minBandBps / 10_000);
    if (this.seen[s]! < this.o.warmup) {
      // Warm-up teaches σ, but one wild early print must not open the gate for thousands of prints:
      // what it teaches is capped at the floor (when there is one).
      this.accept(s, price, this.o.minBandBps > 0 ? Math.min(abs, this.o.minBandBps / 10_000) : abs);
      return true;
    }
    if (abs <= band) {
      this.accept(s, price, abs);
      return true;
    }
    // An outlier, unless it continues a run far enough to be the market's new level.
    const side = r > 0 ? 1 : -1;
    const run = this.run[s]!;
    const continues = run !== 0 && Math.sign(run) === side && Math.abs(Math.log(price / this.runRef[s]!)) <= band;
    const next = continues ? run + side : side;
    if (!continues) this.runRef[s] = price;
    if (Math.abs(next) >= this.o.rebaseAfter) {
      this.rebases[s]!++;
      this.run[s] = 0;
      this.ref[s] = price; // the level moved: judge from here, σ untouched by the jump
      return true;
    }
    this.run[s] = next;
    this.outliers[s]!++;
    this.last.reference = ref;
    this.last.sigma = sigma;
    this.last.multiple = sigma > 0 ? abs / sigma : Infinity;
    this.last.band = band;
    return false;
  }

  /** Forget a symbol's reference (after a reset or reconnect the venue may have moved on); σ is kept. */
  reset(s: number): void {
    if (s < 0 || s >= this.ref.length) return;
    this.ref[s] = 0;
    this.run[s] = 0;
  }

  private accept(s: number, price: number, abs: number): void {
    this.mad[s] = this.seen[s] === 1 ? abs : this.mad[s]! + this.alpha * (abs - this.mad[s]!);
    this.seen[s]!++;
    this.ref[s] = price;
    this.run[s] = 0;
  }
}
