/**
 * Shares a physically settled venue (IBKR, Alpaca) delivers when an in-the-money option is exercised or
 * assigned at its expiry. Execution settles the option itself at intrinsic value (cash-equivalent, so P&L is
 * right whether or not the shares ever show up); the venue then reports the shares at the strike. Adopting
 * them at the strike would count the intrinsic value twice (once realised on the option, once unrealised on
 * the shares), so the delivery is remembered here with the underlying's settlement price, and the drift it
 * explains is booked at that price instead. Pure: ExecutionCore feeds it settlements (live and replayed) and
 * asks it about drifts.
 */
export interface Delivery {
  /** signed shares (+ received, − delivered) */
  qty: number;
  /** the underlying's price the option was settled against: the shares' cost basis */
  price: number;
}

export class ExerciseDeliveries {
  private readonly pending = new Map<string, Delivery>();

  /**
   * An ITM option position of `contracts` (signed: + long) settled against `spot`: a long call or a short
   * put receives shares, a long put or a short call delivers them.
   */
  expect(underlying: string, contracts: number, right: 'C' | 'P', multiplier: number, spot: number): void {
    const shares = contracts * multiplier * (right === 'C' ? 1 : -1);
    if (!shares || !(spot > 0)) return;
    const p = this.pending.get(underlying);
    this.pending.set(underlying, { qty: (p?.qty ?? 0) + shares, price: spot }); // one settlement price per underlying and close
  }

  /** A drift of `delta` shares on `symbol`: the delivery that explains it exactly (consumed), else undefined. */
  match(symbol: string, delta: number): Delivery | undefined {
    const p = this.pending.get(symbol);
    if (!p || Math.abs(p.qty - delta) > 1e-9) return undefined;
    this.pending.delete(symbol);
    return p;
  }

  /** The position on `symbol` was set outright (booked delivery, or healed to the broker): nothing pending. */
  clear(symbol: string): void {
    this.pending.delete(symbol);
  }

  pendingFor(symbol: string): Delivery | undefined {
    return this.pending.get(symbol);
  }

  reset(): void {
    this.pending.clear();
  }
}
