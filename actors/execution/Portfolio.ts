/**
 * Positions with average-cost P&L: realised on every reduction, unrealised against the latest mark.
 * Equity history drives drawdown, daily returns, Sharpe and the P&L curve.
 */
export interface Position {
  symbol: string;
  qty: number; // signed
  avgPrice: number;
  realizedPnl: number;
  mark: number;
  /** cash per unit of price per unit of quantity: 1 for shares, the contract multiplier for an option */
  multiplier: number;
}

/** An OCC option key (unpadded): a standard contract of 100 shares. Anything else is shares. */
const OCC_KEY = /^[A-Z0-9]{1,6}\d{6}[CP]\d{8}$/;
export const keyMultiplier = (symbol: string): number => (OCC_KEY.test(symbol) ? 100 : 1);

export class Portfolio {
  readonly positions = new Map<string, Position>();
  realizedPnl = 0;
  peakEquity: number;
  readonly curve: [number, number][] = []; // [tsMs, equity]
  wins = 0;
  losses = 0;
  dayStartEquity: number;

  constructor(readonly startingEquity: number, private readonly multiplierOf: (symbol: string) => number = keyMultiplier) {
    this.peakEquity = startingEquity;
    this.dayStartEquity = startingEquity;
  }

  reset(): void {
    this.positions.clear();
    this.realizedPnl = 0;
    this.peakEquity = this.startingEquity;
    this.curve.length = 0;
    this.wins = this.losses = 0;
    this.dayStartEquity = this.startingEquity;
  }

  /**
   * The day's references, restored or rolled: the daily loss limit counts from `startEquity` and the
   * drawdown from the higher of the stored peak and today's equity (a restart never lowers the peak).
   */
  setDay(startEquity: number, peakEquity: number): void {
    this.dayStartEquity = startEquity;
    this.peakEquity = Math.max(peakEquity, this.equity);
  }

  private pos(symbol: string): Position {
    let p = this.positions.get(symbol);
    if (!p) {
      p = { symbol, qty: 0, avgPrice: 0, realizedPnl: 0, mark: NaN, multiplier: this.multiplierOf(symbol) };
      this.positions.set(symbol, p);
    }
    return p;
  }

  /** Applies a fill (signed qty: + buy, − sell). Returns the P&L it realised. */
  applyFill(symbol: string, signedQty: number, price: number): number {
    const p = this.pos(symbol);
    let realized = 0;
    if (p.qty === 0 || Math.sign(p.qty) === Math.sign(signedQty)) {
      const q = p.qty + signedQty;
      p.avgPrice = (p.avgPrice * Math.abs(p.qty) + price * Math.abs(signedQty)) / Math.abs(q);
      p.qty = q;
    } else {
      const closing = Math.min(Math.abs(signedQty), Math.abs(p.qty));
      realized = closing * (price - p.avgPrice) * Math.sign(p.qty) * p.multiplier;
      const remaining = signedQty + Math.sign(p.qty) * closing; // what is left of the fill after closing
      p.qty += Math.sign(signedQty) * closing;
      if (p.qty === 0) p.avgPrice = 0;
      if (remaining !== 0 && p.qty === 0) {
        p.qty = remaining;
        p.avgPrice = price;
      }
      p.realizedPnl += realized;
      this.realizedPnl += realized;
      if (realized > 0) this.wins++;
      else if (realized < 0) this.losses++;
    }
    if (!Number.isFinite(p.mark)) p.mark = price;
    return realized;
  }

  /** Applies the journal's position steps in order (fills, reconciliation adjustments, archived carries). */
  replay(steps: Iterable<{ symbol: string; side: number; qty: number; price: number; adjust?: boolean; carry?: boolean; realized?: number }>): void {
    for (const s of steps) {
      if (s.carry) this.carry(s.symbol, s.qty, s.price, s.realized ?? 0);
      else if (s.adjust) this.setPosition(s.symbol, s.qty, s.price);
      else this.applyFill(s.symbol, s.side * s.qty, s.price);
    }
  }

  /** A position carried forward from archived journal history, with the P&L that history realised. */
  carry(symbol: string, qty: number, avgPrice: number, realized: number): void {
    const p = this.pos(symbol);
    p.qty = qty;
    p.avgPrice = qty === 0 ? 0 : avgPrice;
    p.realizedPnl += realized;
    this.realizedPnl += realized;
  }

  /** Sets a position outright (healing to the broker's view at reconciliation). */
  setPosition(symbol: string, qty: number, avgPrice: number): void {
    const p = this.pos(symbol);
    p.qty = qty;
    p.avgPrice = qty === 0 ? 0 : avgPrice;
  }

  mark(symbol: string, price: number): void {
    if (price > 0 && Number.isFinite(price)) {
      const p = this.positions.get(symbol);
      if (p) p.mark = price;
    }
  }

  unrealized(p: Position): number {
    return p.qty === 0 || !Number.isFinite(p.mark) ? 0 : (p.mark - p.avgPrice) * p.qty * p.multiplier;
  }

  get unrealizedPnl(): number {
    let u = 0;
    for (const p of this.positions.values()) u += this.unrealized(p);
    return u;
  }

  get equity(): number {
    return this.startingEquity + this.realizedPnl + this.unrealizedPnl;
  }

  get openPositions(): Position[] {
    return [...this.positions.values()].filter((p) => p.qty !== 0);
  }

  grossExposure(): number {
    let g = 0;
    for (const p of this.positions.values()) g += Math.abs(p.qty * p.multiplier * (Number.isFinite(p.mark) ? p.mark : p.avgPrice));
    return g;
  }

  /** Records equity; returns the drawdown from the peak. */
  snapshot(tsMs: number): number {
    const e = this.equity;
    if (e > this.peakEquity) this.peakEquity = e;
    const last = this.curve[this.curve.length - 1];
    if (!last || tsMs - last[0] >= 1000) {
      this.curve.push([tsMs, e]);
      if (this.curve.length > 5000) this.curve.splice(0, this.curve.length - 5000);
    }
    return this.peakEquity - e;
  }

  get drawdown(): number {
    return Math.max(0, this.peakEquity - this.equity);
  }

  get dayPnl(): number {
    return this.equity - this.dayStartEquity;
  }

  /** Per-minute returns of the equity curve → annualised Sharpe (252 days × 390 minutes); null with < 3 points. */
  performance(): { sharpe: number | null; maxDrawdown: number; winRate: number | null; returns: number[] } {
    const pts = this.curve;
    const rets: number[] = [];
    let peak = -Infinity;
    let maxDd = 0;
    let lastMin = -1;
    let lastEq = NaN;
    for (const [t, e] of pts) {
      peak = Math.max(peak, e);
      maxDd = Math.max(maxDd, peak - e);
      const m = Math.floor(t / 60_000);
      if (m !== lastMin) {
        if (Number.isFinite(lastEq)) rets.push((e - lastEq) / lastEq);
        lastEq = e;
        lastMin = m;
      }
    }
    let sharpe: number | null = null;
    if (rets.length >= 3) {
      const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
      const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / (rets.length - 1));
      sharpe = sd > 0 ? (mean / sd) * Math.sqrt(252 * 390) : null;
    }
    const trades = this.wins + this.losses;
    return { sharpe, maxDrawdown: maxDd, winRate: trades ? this.wins / trades : null, returns: rets.slice(-390) };
  }
}
