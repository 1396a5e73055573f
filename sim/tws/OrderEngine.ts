/**
 * Simulated order handling for the TWS simulator: PLACE_ORDER / CANCEL_ORDER
 * against the MarketModel's book, executions, commissions, positions and cash.
 *
 * The simulated market is exogenous: client fills do not remove liquidity from the
 * model (it is a fake for testing clients, not a matching engine). Taker fills walk
 * the visible opposite side row by row (partial fills across levels, one execution
 * per row); resting limit orders fill passively when the tape trades through them.
 *
 * Fill latency (off by default): with `fillMs`, an order's next execution step waits that long (wall time)
 * after it was placed and after each step; `fillSlices` caps a step at ⌈quantity / fillSlices⌉ shares, so an
 * order arrives in that many partial fills. A cancel processed before a step wins the race.
 */
import type { MarketModel } from '../market/MarketModel.js';
import type { OptionMarket } from '../options/OptionMarket.js';
import type { SimContract } from '../alpha-vantage/chainModel.js';
import { expiryCloseMs, settlementPrice } from '../../analytics/optionExpiry.js';
import { optionTick } from '../../analytics/optionOrder.js';
import type { ContractFields } from './protocol.js';
import { ERR, formatEasternTime, readContract } from './protocol.js';
import type { ExecView, OrderView } from './messages.js';

export type OrderAction = 'BUY' | 'SELL' | 'SSHORT';

/** An option order's contract as listed (the request resolved against the option market). */
export interface SimOptionRef {
  occ: string;
  symbol: string;
  /** YYYY-MM-DD */
  expiry: string;
  type: 'call' | 'put';
  strike: number;
}

/** Resolves a request's OPT contract to a listed contract (its full contract block), or the error TWS answers. */
export type OptionResolver = (c: ContractFields) => { ref: SimOptionRef; contract: ContractFields } | { code: number; text: string };

export interface SimOrder extends OrderView {
  /** The underlying's index for an option order. */
  symbolIndex: number;
  option?: SimOptionRef;
  transmit: boolean;
  /** PLACE_ORDER fields 0–38 as received (the rest is opaque to the simulator). */
  fields: string[];
  /** Stop orders: false until the stop price trades. */
  triggered: boolean;
  active: boolean;
  placedAtMs: number;
  /** Wall ms before which the next execution step waits (fill latency). */
  fillReadyAt: number;
}

export interface SimExecution extends ExecView {
  symbolIndex: number;
  timeMs: number;
}

export interface SimPosition {
  symbolIndex: number;
  contract: ContractFields;
  qty: number;
  /** Shares: per share, commission apart. Options: per contract, premium × 100 plus commission (as IB reports it). */
  avgCost: number;
  realized: number;
  option?: SimOptionRef;
}

/** What the session close did to an expiring option position (ITM: exercised or assigned into shares). */
export interface SimExpiry {
  occ: string;
  qty: number;
  spot: number;
  itm: boolean;
  /** Signed shares delivered (0 when it expired worthless). */
  shares: number;
  atMs: number;
}

/** How the engine reports to whichever session owns a client id. */
export interface OrderReporter {
  orderPlaced(o: SimOrder): void; // OPEN_ORDER + ORDER_STATUS
  orderStatusChanged(o: SimOrder): void; // ORDER_STATUS (+ OPEN_ORDER when done)
  executed(o: SimOrder, e: SimExecution): void; // EXECUTION_DATA + COMMISSION_REPORT
  orderError(clientId: number, id: number, code: number, msg: string): void;
  /** A position changed outside an execution (an option expired, shares delivered): POSITION to subscribers. */
  positionChanged?(p: SimPosition): void;
}

const SUPPORTED_TYPES = new Set(['MKT', 'LMT', 'STP', 'STP LMT']);
/** Option orders: market and limit, DAY (the simulator's knob; TWS takes more, never MOC/LOC). */
const OPTION_TYPES = new Set(['MKT', 'LMT']);
const OPTION_MULTIPLIER = 100;
/** Placeholder IBKR option fee (options-trading.md §2.5: unverified): per contract, a minimum per execution. */
const OPTION_COMMISSION_PER_CONTRACT = 0.65;
/** Option quotes are re-read for working option orders at most this often (a chain-model evaluation each). */
const OPTION_EVAL_MS = 100;
const COMMISSION_PER_SHARE = 0.005;
const COMMISSION_MIN = 1;
const COMMISSION_MAX_RATE = 0.01;

function num(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const v = Number(s);
  if (!Number.isFinite(v) || v >= 1.7e308) return undefined;
  return v;
}

export class OrderEngine {
  readonly orders = new Map<number, SimOrder>();
  /** Working orders, scanned per trade and per tick (an array: no iterator allocation on the hot path). */
  private readonly working: SimOrder[] = [];
  readonly executions: SimExecution[] = [];
  readonly positions: SimPosition[];
  /** Option positions by OCC symbol (a flat one is removed). */
  readonly optionPositions = new Map<string, SimPosition>();
  readonly expiries: SimExpiry[] = [];
  private lastOptionEval = 0;
  /** Realized P&L of option positions closed or expired (they leave optionPositions; the account keeps it). */
  private closedOptionRealized = 0;
  cash: number;
  private permSeq = 1_000_000_000;
  private execSeq = 1;
  private readonly execPrefix: string;
  stats = { placed: 0, rejected: 0, filled: 0, cancelled: 0, executions: 0, untransmitted: 0 };

  constructor(
    private readonly model: MarketModel,
    private readonly account: string,
    private readonly reporter: OrderReporter,
    private readonly nowMs: () => number,
    private readonly opts: {
      fillUntransmitted: boolean; startingCash: number; fillMs?: number; fillSlices?: number; wallMs?: () => number;
      /** Listed options: option orders fill against this market's quote, and expire at their session's close. */
      options?: OptionMarket; resolveOption?: OptionResolver;
    },
  ) {
    this.cash = opts.startingCash;
    this.execPrefix = (0x0000e0d5 + model.symbols.length).toString(16).padStart(8, '0');
    this.positions = model.symbols.map((s, i) => ({
      symbolIndex: i,
      contract: defaultContract(s.symbol, i),
      qty: 0,
      avgCost: 0,
      realized: 0,
    }));
  }

  /** Handles PLACE_ORDER tokens (index 0 = message id 3; layout of server version 193, protocols.md A5). */
  place(clientId: number, tokens: string[]): void {
    const orderId = Number(tokens[1]);
    if (!Number.isInteger(orderId) || orderId <= 0) {
      this.reporter.orderError(clientId, -1, ERR.ORDER_REJECTED, `Order rejected - reason:invalid order id ${tokens[1]}`);
      this.stats.rejected++;
      return;
    }
    let contract = readContract(tokens, 2);
    let option: SimOptionRef | undefined;
    if (contract.secType.toUpperCase() === 'OPT') {
      const r = this.opts.resolveOption?.(contract) ?? { code: ERR.NO_SECURITY_DEFINITION, text: 'No security definition has been found for the request' };
      if ('code' in r) {
        this.reporter.orderError(clientId, orderId, r.code, r.text);
        this.stats.rejected++;
        return;
      }
      option = r.ref;
      contract = r.contract;
    }
    const si = this.model.indexOf(contract.symbol);
    if (si < 0) {
      this.reporter.orderError(clientId, orderId, ERR.NO_SECURITY_DEFINITION, 'No security definition has been found for the request');
      this.stats.rejected++;
      return;
    }
    const existing = this.orders.get(orderId);
    if (existing && (!existing.active || existing.clientId !== clientId)) {
      this.reporter.orderError(clientId, orderId, ERR.DUPLICATE_ORDER_ID, 'Duplicate order id');
      this.stats.rejected++;
      return;
    }
    const action = tokens[16] as OrderAction;
    const qty = num(tokens[17]);
    const orderType = (tokens[18] ?? '').toUpperCase();
    const lmtPrice = num(tokens[19]);
    const auxPrice = num(tokens[20]);
    const reject = (reason: string): void => {
      this.reporter.orderError(clientId, orderId, ERR.ORDER_REJECTED, `Order rejected - reason:${reason}`);
      this.stats.rejected++;
    };
    if (action !== 'BUY' && action !== 'SELL' && action !== 'SSHORT') return reject(`invalid action '${tokens[16]}'`);
    if (qty === undefined || !(qty > 0)) return reject(`invalid total quantity '${tokens[17]}'`);
    if (!SUPPORTED_TYPES.has(orderType)) return reject(`order type '${tokens[18]}' is not supported by the simulator`);
    if ((orderType === 'LMT' || orderType === 'STP LMT') && !(lmtPrice !== undefined && lmtPrice > 0)) {
      return reject('limit price is required');
    }
    if ((orderType === 'STP' || orderType === 'STP LMT') && !(auxPrice !== undefined && auxPrice > 0)) {
      return reject('stop price is required');
    }
    if (option) {
      const bad = this.optionOrderProblem(option, qty, orderType, lmtPrice, tokens[21] || 'DAY');
      if (bad) {
        this.reporter.orderError(clientId, orderId, bad.code, bad.code === ERR.ORDER_REJECTED ? `Order rejected - reason:${bad.text}` : bad.text);
        this.stats.rejected++;
        return;
      }
    }
    const transmitField = tokens[27] ?? '';
    const transmit = transmitField === '1' || (transmitField === '' && this.opts.fillUntransmitted);
    if (transmitField === '') {
      this.stats.untransmitted++;
      this.reporter.orderError(
        clientId,
        orderId,
        ERR.ORDER_WARNING,
        'Warning: the order was sent with transmit unset ("") - real TWS would hold it untransmitted; set transmit:true',
      );
    }
    const tif = tokens[21] || 'DAY';
    const o: SimOrder = existing ?? {
      orderId,
      clientId,
      permId: this.permSeq++,
      parentId: Number(tokens[28]) || 0,
      contract: option ? contract : { ...contract, conId: contract.conId || String(this.positions[si].contract.conId) },
      option,
      action,
      totalQuantity: qty,
      orderType,
      lmtPrice,
      auxPrice,
      tif,
      account: tokens[23] || this.account,
      orderRef: tokens[26] ?? '',
      outsideRth: tokens[33] === '1',
      status: 'PreSubmitted',
      filled: 0,
      avgFillPrice: 0,
      lastFillPrice: 0,
      symbolIndex: si,
      transmit,
      fields: tokens.slice(0, 39),
      triggered: false,
      active: true,
      placedAtMs: this.nowMs(),
      fillReadyAt: this.wall() + (this.opts.fillMs ?? 0),
    };
    if (existing) {
      // Same id on a working order = modification (as in TWS).
      if (qty < existing.filled) return reject(`total quantity ${qty} is below the filled quantity ${existing.filled}`);
      Object.assign(existing, { action, totalQuantity: qty, orderType, lmtPrice, auxPrice, tif, transmit, fields: tokens.slice(0, 39) });
    } else {
      this.orders.set(orderId, o);
      this.working.push(o);
      this.stats.placed++;
    }
    o.triggered = orderType === 'MKT' || orderType === 'LMT';
    o.status = !transmit ? 'PreSubmitted' : o.triggered ? 'Submitted' : 'PreSubmitted';
    this.reporter.orderPlaced(o);
    if (!transmit) return;
    this.evaluate(o);
    if (o.active && (tif === 'IOC' || tif === 'FOK')) this.cancelOrder(o, 'IOC/FOK remainder');
  }

  private wall(): number {
    return (this.opts.wallMs ?? Date.now)();
  }

  /** Whether an order may execute now, and how many shares one step may take (fill latency and slices). */
  private stepQty(o: SimOrder): number {
    if (this.wall() < o.fillReadyAt) return 0;
    const left = o.totalQuantity - o.filled;
    const slices = this.opts.fillSlices ?? 1;
    if (slices <= 1 || o.tif === 'IOC' || o.tif === 'FOK') return left;
    return Math.min(left, Math.ceil(o.totalQuantity / slices));
  }

  /** After an execution step: the next one waits `fillMs`. */
  private stepped(o: SimOrder): void {
    if ((this.opts.fillMs ?? 0) > 0) o.fillReadyAt = this.wall() + (this.opts.fillMs as number);
  }

  cancel(clientId: number, orderId: number): void {
    const o = this.orders.get(orderId);
    if (!o || o.clientId !== clientId) {
      this.reporter.orderError(clientId, orderId, ERR.CANCEL_TARGET_NOT_FOUND, `OrderId ${orderId} that needs to be cancelled is not found.`);
      return;
    }
    if (!o.active) {
      this.reporter.orderError(
        clientId,
        orderId,
        ERR.CANCEL_TARGET_NOT_CANCELLABLE,
        `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${o.status}.`,
      );
      return;
    }
    this.cancelOrder(o, '');
  }

  globalCancel(): void {
    for (const o of this.working) if (o.active) this.cancelOrder(o, 'global cancel');
    this.compactWorking();
  }

  private compactWorking(): void {
    const w = this.working;
    let j = 0;
    for (let i = 0; i < w.length; i++) if (w[i].active) w[j++] = w[i];
    w.length = j;
  }

  /** Re-checks working orders against the current book (stop triggers, marketable limits). */
  onTick(): void {
    const w = this.working;
    const wall = this.wall();
    const options = wall - this.lastOptionEval >= OPTION_EVAL_MS;
    if (options) this.lastOptionEval = wall;
    for (let i = 0; i < w.length; i++) if (w[i].active && w[i].transmit && (options || !w[i].option)) this.evaluate(w[i]);
    this.compactWorking();
  }

  /** Resting limit orders fill when the tape trades through their price. */
  onTrade(si: number, price: number, size: number, aggressor: 1 | -1, venue: string): void {
    const w = this.working;
    for (let i = 0; i < w.length; i++) {
      const o = w[i];
      if (!o.active || !o.transmit || o.symbolIndex !== si || o.option) continue;
      const buy = o.action === 'BUY';
      if (!o.triggered) {
        if (o.auxPrice !== undefined && (buy ? price >= o.auxPrice : price <= o.auxPrice)) this.trigger(o);
        continue;
      }
      if (o.lmtPrice === undefined) continue;
      const cap = this.stepQty(o);
      if (cap <= 0) continue;
      // A sell-initiated print below our bid (or a buy print above our offer) means we were hit first.
      const hit = (buy && aggressor === -1 && price < o.lmtPrice) || (!buy && aggressor === 1 && price > o.lmtPrice);
      if (hit) {
        this.fill(o, o.lmtPrice, Math.min(size, cap), venue, 1);
        this.stepped(o);
      }
    }
  }

  /** A position's mark per unit of its quantity's price (shares: the mid; options: the quote's mid, per share). */
  positionMark(p: SimPosition): number {
    if (!p.option) return this.markPrice(p.symbolIndex);
    const q = this.optionQuote(p.option);
    return q ? (q.bid + q.ask) / 2 : p.avgCost / OPTION_MULTIPLIER;
  }

  /** Every open position: shares (one per symbol, flat included) then options. */
  allPositions(): SimPosition[] {
    return [...this.positions, ...this.optionPositions.values()];
  }

  /** The position an order trades. */
  positionOf(o: SimOrder): SimPosition {
    return o.option ? this.optionPositions.get(o.option.occ) ?? this.emptyOptionPosition(o) : this.positions[o.symbolIndex];
  }

  markPrice(si: number): number {
    const b = this.model.bestBid(si);
    const a = this.model.bestAsk(si);
    return Number.isFinite(b) && Number.isFinite(a) ? (a + b) / 2 : this.model.lastPrice(si);
  }

  accountValues(): Record<string, number> {
    let gross = 0;
    let net = 0;
    let unrealized = 0;
    let realized = this.closedOptionRealized;
    for (const p of this.allPositions()) {
      const m = p.option ? OPTION_MULTIPLIER : 1;
      const mark = this.positionMark(p) * m;
      gross += Math.abs(p.qty * mark);
      net += p.qty * mark;
      unrealized += p.qty * (mark - p.avgCost);
      realized += p.realized;
    }
    const netLiq = this.cash + net;
    const margin = gross * 0.25;
    return {
      NetLiquidation: netLiq,
      TotalCashValue: this.cash,
      SettledCash: this.cash,
      GrossPositionValue: gross,
      EquityWithLoanValue: netLiq,
      InitMarginReq: margin,
      MaintMarginReq: margin,
      AvailableFunds: netLiq - margin,
      ExcessLiquidity: netLiq - margin,
      BuyingPower: Math.max(0, (netLiq - margin) * 4),
      Cushion: netLiq > 0 ? (netLiq - margin) / netLiq : 0,
      Leverage: netLiq > 0 ? gross / netLiq : 0,
      UnrealizedPnL: unrealized,
      RealizedPnL: realized,
    };
  }

  private trigger(o: SimOrder): void {
    o.triggered = true;
    o.status = 'Submitted';
    this.reporter.orderStatusChanged(o);
  }

  private evaluate(o: SimOrder): void {
    if (o.option) return this.evaluateOption(o);
    const m = this.model;
    const si = o.symbolIndex;
    const buy = o.action === 'BUY';
    const side: 0 | 1 = buy ? 0 : 1; // a buy takes the asks
    if (!o.triggered) {
      const last = m.lastPrice(si);
      const touch = buy ? m.bestAsk(si) : m.bestBid(si);
      const stop = o.auxPrice as number;
      if ((buy ? last >= stop || touch >= stop : last <= stop || touch <= stop)) this.trigger(o);
      else return;
    }
    const limit = o.orderType === 'MKT' || o.orderType === 'STP' ? undefined : o.lmtPrice;
    if (o.tif === 'FOK') {
      let avail = 0;
      for (let i = 0; i < m.rowCount(si, side); i++) {
        const px = m.rowPrice(si, side, i);
        if (limit !== undefined && (buy ? px > limit : px < limit)) break;
        avail += m.rowSize(si, side, i);
      }
      if (avail < o.totalQuantity - o.filled) return;
    }
    const slices = (this.opts.fillMs ?? 0) > 0 ? 1 : Math.max(1, this.opts.fillSlices ?? 1);
    for (let k = 0; k < slices && o.active; k++) {
      const cap = this.stepQty(o);
      if (cap <= 0) return;
      const upTo = o.filled + cap;
      const before = o.filled;
      const rows = m.rowCount(si, side);
      for (let i = 0; i < rows && o.active && o.filled < upTo; i++) {
        const px = m.rowPrice(si, side, i);
        if (limit !== undefined && (buy ? px > limit : px < limit)) break;
        const q = Math.min(m.rowSize(si, side, i), upTo - o.filled);
        if (q > 0) this.fill(o, px, q, m.rowMaker(si, side, i), 2);
      }
      if (o.filled === before) return;
      this.stepped(o);
    }
  }

  private fill(o: SimOrder, price: number, qty: number, venue: string, liquidity: number): void {
    if (!(qty > 0)) return;
    const prevFilled = o.filled;
    o.filled = prevFilled + qty;
    o.avgFillPrice = roundPx((o.avgFillPrice * prevFilled + price * qty) / o.filled);
    o.lastFillPrice = price;
    const sign = o.action === 'BUY' ? 1 : -1;
    let commission: number;
    let realizedNet: number | undefined;
    if (o.option) {
      // IB's option cost basis is per contract with the commission in it: a buy costs more, a sell brings less.
      commission = Math.max(COMMISSION_MIN, qty * OPTION_COMMISSION_PER_CONTRACT);
      const p = this.positionOf(o);
      this.optionPositions.set(o.option.occ, p);
      realizedNet = this.applyTo(p, sign * qty, price * OPTION_MULTIPLIER + (sign * commission) / qty);
      if (p.qty === 0) this.closeOption(p);
      this.cash -= sign * qty * price * OPTION_MULTIPLIER + commission;
    } else {
      commission = Math.min(Math.max(COMMISSION_MIN, qty * COMMISSION_PER_SHARE), COMMISSION_MAX_RATE * qty * price);
      const realizedGross = this.applyPosition(o.symbolIndex, sign * qty, price);
      realizedNet = realizedGross === undefined ? undefined : realizedGross - commission;
      this.cash -= sign * qty * price + commission;
    }
    const timeMs = this.nowMs();
    const e: SimExecution = {
      execId: `${this.execPrefix}.${(this.execSeq++).toString(16).padStart(8, '0')}.01.01`,
      orderId: o.orderId,
      clientId: o.clientId,
      permId: o.permId,
      contract: o.contract,
      time: formatEasternTime(timeMs),
      account: o.account,
      exchange: venue,
      side: sign > 0 ? 'BOT' : 'SLD',
      shares: qty,
      price,
      cumQty: o.filled,
      avgPrice: o.avgFillPrice,
      orderRef: o.orderRef,
      lastLiquidity: liquidity,
      commission: Math.round(commission * 100) / 100,
      realizedPnl: realizedNet,
      symbolIndex: o.symbolIndex,
      timeMs,
    };
    this.executions.push(e);
    this.stats.executions++;
    if (o.filled >= o.totalQuantity) {
      o.status = 'Filled';
      o.active = false;
      this.stats.filled++;
    } else {
      o.status = 'Submitted';
    }
    this.reporter.executed(o, e);
    this.reporter.orderStatusChanged(o);
  }

  /** Updates the position; returns realized P&L of the closed part (undefined when nothing closed). */
  private applyPosition(si: number, signedQty: number, price: number): number | undefined {
    return this.applyTo(this.positions[si], signedQty, price);
  }

  private applyTo(p: SimPosition, signedQty: number, price: number): number | undefined {
    if (p.qty === 0 || Math.sign(p.qty) === Math.sign(signedQty)) {
      p.avgCost = (p.avgCost * Math.abs(p.qty) + price * Math.abs(signedQty)) / (Math.abs(p.qty) + Math.abs(signedQty));
      p.qty += signedQty;
      return undefined;
    }
    const closed = Math.min(Math.abs(p.qty), Math.abs(signedQty));
    const pnl = (price - p.avgCost) * closed * Math.sign(p.qty);
    p.realized += pnl;
    p.qty += signedQty;
    if (p.qty === 0) p.avgCost = 0;
    else if (Math.sign(p.qty) === Math.sign(signedQty)) p.avgCost = price; // flipped
    return pnl;
  }

  // ---------------------------------------------------------------- options

  /** The reason an option order is refused (201 with the reason, 110 off tick), or null. */
  private optionOrderProblem(opt: SimOptionRef, qty: number, orderType: string, lmtPrice: number | undefined, tif: string): { code: number; text: string } | null {
    if (!Number.isInteger(qty)) return { code: ERR.ORDER_REJECTED, text: `option quantity must be whole contracts, got ${qty}` };
    if (!OPTION_TYPES.has(orderType)) return { code: ERR.ORDER_REJECTED, text: `order type '${orderType}' is not accepted for options by the simulator (MKT, LMT)` };
    if (tif.toUpperCase() !== 'DAY') return { code: ERR.ORDER_REJECTED, text: `time in force '${tif}' is not accepted for options by the simulator (DAY)` };
    if (lmtPrice !== undefined) {
      const tick = optionTick(opt.symbol, lmtPrice);
      if (Math.abs(lmtPrice / tick - Math.round(lmtPrice / tick)) > 1e-6) {
        return { code: ERR.PRICE_INCREMENT, text: 'The price does not conform to the minimum price variation for this contract.' };
      }
    }
    return null;
  }

  private closeOption(p: SimPosition): void {
    this.closedOptionRealized += p.realized;
    this.optionPositions.delete((p.option as SimOptionRef).occ);
  }

  private optionQuote(o: SimOptionRef): SimContract | undefined {
    return this.opts.options?.quote(o.symbol, o.expiry, o.type, o.strike);
  }

  private emptyOptionPosition(o: SimOrder): SimPosition {
    return { symbolIndex: o.symbolIndex, contract: o.contract, qty: 0, avgCost: 0, realized: 0, option: o.option };
  }

  /** Against the option market's quote: a buy takes the ask (up to its size), a sell hits the bid; whole contracts. */
  private evaluateOption(o: SimOrder): void {
    const q = this.optionQuote(o.option as SimOptionRef);
    if (!q) return;
    const buy = o.action === 'BUY';
    const px = buy ? q.ask : q.bid;
    const size = Math.floor(buy ? q.askSize : q.bidSize);
    if (!(px > 0) || size <= 0) return;
    if (o.orderType === 'LMT' && (buy ? px > (o.lmtPrice as number) : px < (o.lmtPrice as number))) return;
    const qty = Math.min(Math.floor(this.stepQty(o)), size);
    if (qty <= 0) return;
    this.fill(o, px, qty, 'CBOE', 2);
    this.stepped(o);
  }

  /**
   * The session close of each option position's expiry day (per the option market's session clock):
   * working orders on the contract are cancelled, the position leaves the account, and one at least
   * $0.01 in the money is exercised (long) or assigned (short) into ±100 shares per contract at the
   * strike (OCC exercise by exception). Returns what expired.
   */
  expireOptions(): SimExpiry[] {
    const market = this.opts.options;
    if (!market || this.optionPositions.size + this.working.length === 0) return [];
    const now = market.nowMs();
    const closed = (expiry: string) => now >= expiryCloseMs(expiry);
    for (const o of this.working) if (o.active && o.option && closed(o.option.expiry)) this.cancelOrder(o, 'expired');
    this.compactWorking();
    const out: SimExpiry[] = [];
    for (const [occ, p] of [...this.optionPositions]) {
      const opt = p.option as SimOptionRef;
      if (!closed(opt.expiry)) continue;
      const spot = market.spot(opt.symbol) ?? NaN;
      const itm = settlementPrice({ right: opt.type === 'call' ? 'C' : 'P', strike: opt.strike }, spot) > 0;
      const shares = itm ? p.qty * OPTION_MULTIPLIER * (opt.type === 'call' ? 1 : -1) : 0;
      // The premium paid or received is already in cash; what is left of the cost basis is realized.
      p.realized += -p.qty * p.avgCost;
      if (shares !== 0) {
        this.applyPosition(p.symbolIndex, shares, opt.strike);
        this.cash -= shares * opt.strike;
      }
      const e: SimExpiry = { occ, qty: p.qty, spot, itm, shares, atMs: now };
      p.qty = 0;
      this.closeOption(p);
      out.push(e);
      this.expiries.push(e);
      this.reporter.positionChanged?.(p);
      if (shares !== 0) this.reporter.positionChanged?.(this.positions[p.symbolIndex]);
    }
    return out;
  }

  private cancelOrder(o: SimOrder, _why: string): void {
    o.active = false;
    o.status = 'Cancelled';
    this.stats.cancelled++;
    this.reporter.orderStatusChanged(o);
    this.reporter.orderError(o.clientId, o.orderId, ERR.ORDER_CANCELLED, 'Order Canceled - reason:');
  }
}

function roundPx(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}

/** A plausible stock contract for positions of a simulated symbol. */
export function defaultContract(symbol: string, index: number): ContractFields {
  return {
    conId: String(900000 + index),
    symbol,
    secType: 'STK',
    lastTradeDateOrContractMonth: '',
    strike: '',
    right: '',
    multiplier: '',
    exchange: 'SMART',
    primaryExch: 'ARCA',
    currency: 'USD',
    localSymbol: symbol,
    tradingClass: symbol,
  };
}
