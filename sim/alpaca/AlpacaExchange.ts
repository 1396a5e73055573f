/**
 * The account behind the Alpaca simulator: orders with Alpaca's statuses, fills against a supplied
 * quote, positions, cash and fill activities. No HTTP here: the simulator turns requests into calls
 * and this model's transitions into trade_updates events.
 *
 * Matching (a fake for testing clients, not a venue): the quote is exogenous. A marketable order fills
 * in chunks of at most `maxChunk` shares (or the quoted size at the touch when the quote carries one),
 * one chunk per step `fillDelayMs` apart, each chunk `slippagePerChunk` further from the touch than the
 * last, capped at the limit price; so a large market order walks the price and arrives as partial
 * fills. Non-marketable limits and untriggered stops rest and are re-checked every `pollMs`.
 * IOC fills what is marketable in one step and cancels the rest; FOK fills completely in one step or
 * is canceled. OPG/CLS orders wait for `runAuction()`; with `sessionClose` (the embedded simulator, on the
 * engine's session clock) CLS orders also fill by themselves at the close, at the last mid seen before it,
 * and DAY orders expire at the close.
 *
 * Options (options-trading.md §3): a symbol in the unpadded OCC form is an option contract, quoted by the
 * shared OptionMarket (the pricer the TWS and Alpha Vantage simulators use); `optionChecks` holds the venue's
 * refusals (whole contracts, DAY, market/limit, level gates, no naked shorts), quantities are contracts and
 * cash moves premium × 100. `expireOptions()` settles contracts past their expiry day's close the way the
 * account activities show it: OPEXP (worthless), OPEXC (long, exercised) or OPASN (short, assigned), each
 * exercise/assignment with its OPTRD share trade at the strike.
 */
import { randomUUID } from 'node:crypto';
import { NYSE, etDate } from '../../analytics/calendar.js';
import type { OptionInstrument } from '../../analytics/instrument.js';
import { expiryCloseMs, settlementPrice } from '../../analytics/optionExpiry.js';
import type { OptionMarket } from '../options/OptionMarket.js';
import { activityId, assetIdFor, parseAmount, rfc3339Nano, roundPrice } from './format.js';
import { optionOf, optionOrderProblem, type OptionAccount } from './optionChecks.js';

export interface SimQuote {
  bid: number;
  ask: number;
  bidSize?: number;
  askSize?: number;
}
export type QuoteFn = (symbol: string) => SimQuote | undefined;

export type AlpacaOrderType = 'market' | 'limit' | 'stop' | 'stop_limit' | 'trailing_stop';
export type AlpacaTif = 'day' | 'gtc' | 'opg' | 'cls' | 'ioc' | 'fok';

export interface SimOrder {
  id: string;
  clientOrderId: string;
  symbol: string;
  assetId: string;
  side: 'buy' | 'sell';
  type: AlpacaOrderType;
  tif: AlpacaTif;
  qty: number | null;
  notional: number | null;
  /** Shares to fill: qty, or notional converted at the touch when accepted. */
  targetQty: number;
  limitPrice: number | null;
  stopPrice: number | null;
  extendedHours: boolean;
  positionIntent: string | null;
  status: string;
  filledQty: number;
  filledValue: number;
  createdAt: string;
  updatedAt: string;
  submittedAt: string;
  filledAt: string | null;
  expiredAt: string | null;
  canceledAt: string | null;
  failedAt: string | null;
  replacedAt: string | null;
  replacedBy: string | null;
  replaces: string | null;
  createdMs: number;
  triggered: boolean;
  /** Slippage steps taken since the order last became marketable. */
  walk: number;
  rejectReason?: string;
  /** Wall ms before which the order stays `accepted` (ack latency) or waits for its next fill step (fill latency). */
  readyAt: number;
  /** With `sessionClose`: the close a DAY order expires at and a CLS order is auctioned at. */
  closeMs?: number;
  /** CLS: the last mid seen before the close. */
  closeMid?: number;
  /** Set for an option order (the symbol is its OCC symbol): quantities are contracts. */
  option?: OptionInstrument;
}

export interface SimPosition {
  symbol: string;
  assetId: string;
  qty: number;
  avgEntry: number;
  lastdayPrice: number;
  option?: OptionInstrument;
}

/** An account activity that is not a fill: the expiry step's OPEXP / OPEXC / OPASN and their OPTRD. */
export interface SimNonTradeActivity {
  id: string;
  type: 'OPEXP' | 'OPEXC' | 'OPASN' | 'OPTRD';
  symbol: string;
  /** Signed change of the position (contracts; shares on OPTRD), as the docs' examples show it. */
  qty: number;
  /** OPTRD: the strike the shares traded at. */
  price?: number;
  netAmount: number;
  description: string;
  groupId: string;
  ms: number;
}

export interface SimActivity {
  id: string;
  execId: string;
  orderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  price: number;
  qty: number;
  cumQty: number;
  leavesQty: number;
  type: 'fill' | 'partial_fill';
  orderStatus: string;
  transactionTime: string;
  ms: number;
}

export interface TradeUpdateExtra {
  price?: number;
  qty?: number;
  positionQty?: number;
  executionId?: string;
  timestamp?: string;
}

export type TransitionListener = (event: string, order: SimOrder, extra: TradeUpdateExtra) => void;

export interface ApiFailure {
  status: number;
  code: number;
  message: string;
  /** Keys the venue adds to some refusals (a covered call's `available_qty`, `required_qty`, …). */
  extra?: Record<string, unknown>;
}

export interface ExchangeOptions {
  quote: QuoteFn;
  nowMs: () => number;
  fillDelayMs: number;
  pollMs: number;
  maxChunk: number;
  slippagePerChunk: number;
  startingCash: number;
  /** Buying power = multiplier × equity − gross position value − open buy orders (1 = cash account). */
  multiplier: number;
  /** Hold orders `accepted` outside the regular session and expire DAY orders at the close. */
  enforceHours: boolean;
  /** Latency knobs (wall ms; 0 = off) and the wall clock they run on: see AlpacaSimulatorOptions. */
  wallMs?: () => number;
  /** Close (epoch ms, `nowMs` time) of the session an order created at `nowMs` belongs to; unset: no automatic close. */
  sessionClose?: (nowMs: number) => number;
  ackMs?: number;
  fillMs?: number;
  fillSlices?: number;
  /** Listed options (quotes, greeks, the underlying's price at expiry); unset: OCC symbols are unknown assets. */
  options?: OptionMarket;
  /** `options_trading_level` (0 none, 1 covered call / cash-secured put, 2 + long calls and puts, 3 + spreads). */
  optionsLevel?: number;
}

const OPEN = new Set(['new', 'partially_filled', 'accepted', 'pending_new', 'pending_cancel', 'pending_replace', 'accepted_for_bidding', 'stopped', 'held', 'calculated', 'done_for_day']);
const TYPES = new Set(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop']);
const TIFS = new Set(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok']);
const EPS = 1e-9;

export function isOpenStatus(s: string): boolean {
  return OPEN.has(s);
}

const fail = (status: number, code: number, message: string): ApiFailure => ({ status, code, message });

export class AlpacaExchange {
  readonly orders = new Map<string, SimOrder>();
  readonly byClientId = new Map<string, string>();
  /** Every order in creation order (the REST list sorts from this). */
  readonly list: SimOrder[] = [];
  readonly positions = new Map<string, SimPosition>();
  readonly activities: SimActivity[] = [];
  readonly nonTrade: SimNonTradeActivity[] = [];
  cash: number;
  rejectNext = 0;
  private working: SimOrder[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly listeners: TransitionListener[] = [];

  constructor(private readonly o: ExchangeOptions) {
    this.cash = o.startingCash;
  }

  private wall(): number {
    return (this.o.wallMs ?? Date.now)();
  }

  onTransition(l: TransitionListener): void {
    this.listeners.push(l);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  // ------------------------------------------------------------------ accounting

  /** The quote of a share symbol, or of an OCC symbol from the option market (undefined when not listed). */
  quote(symbol: string): SimQuote | undefined {
    const opt = optionOf(symbol);
    if (!opt) return this.o.quote(symbol);
    const c = this.o.options?.quote(opt.underlying, opt.expiry, opt.right === 'C' ? 'call' : 'put', opt.strike);
    return c ? { bid: c.bid, ask: c.ask, bidSize: c.bidSize, askSize: c.askSize } : undefined;
  }

  /** Cash per unit of price per unit of quantity: 100 for an option contract. */
  private mult(symbol: string): number {
    return optionOf(symbol)?.multiplier ?? 1;
  }

  get optionsLevel(): number {
    return this.o.options ? (this.o.optionsLevel ?? 3) : 0;
  }

  /** Premium and cash-secured puts are paid from cash (not marginable): cash less what open buys commit. */
  optionsBuyingPower(exclude?: SimOrder): number {
    return Math.max(0, this.cash - this.reservedForBuys(exclude));
  }

  markPrice(symbol: string): number | undefined {
    const q = this.quote(symbol);
    if (q && q.bid > 0 && q.ask > 0) return (q.bid + q.ask) / 2;
    const p = this.positions.get(symbol);
    return p ? p.lastdayPrice : undefined;
  }

  marketValues(): { long: number; short: number } {
    let long = 0;
    let short = 0;
    for (const p of this.positions.values()) {
      const mv = p.qty * (this.markPrice(p.symbol) ?? p.avgEntry) * this.mult(p.symbol);
      if (mv >= 0) long += mv;
      else short += mv;
    }
    return { long, short };
  }

  equity(): number {
    const { long, short } = this.marketValues();
    return this.cash + long + short;
  }

  /** Cash committed to open buy orders (at their limit, or the ask for market orders). */
  private reservedForBuys(exclude?: SimOrder): number {
    let r = 0;
    for (const w of this.working) {
      if (w === exclude || w.side !== 'buy' || !OPEN.has(w.status)) continue;
      const px = w.limitPrice ?? w.stopPrice ?? this.quote(w.symbol)?.ask ?? 0;
      r += (w.targetQty - w.filledQty) * px * this.mult(w.symbol);
    }
    return r;
  }

  buyingPower(exclude?: SimOrder): number {
    const { long, short } = this.marketValues();
    const eq = this.cash + long + short;
    return Math.max(0, this.o.multiplier * eq - (long - short) - this.reservedForBuys(exclude));
  }

  // ------------------------------------------------------------------ requests

  /** POST /v2/orders (and the order a position close creates). */
  /** `closing`: a position close (DELETE /v2/positions…), which reduces exposure and skips the buying-power check. */
  submit(body: Record<string, unknown>, closing = false): SimOrder | ApiFailure {
    const symbol = typeof body.symbol === 'string' ? body.symbol.trim().toUpperCase() : '';
    if (!symbol) return fail(422, 40010001, 'symbol is required');
    const side = body.side;
    if (side !== 'buy' && side !== 'sell') return fail(422, 40010001, 'side must be buy or sell');
    const type = (body.type ?? body.order_type ?? 'market') as string;
    if (!TYPES.has(type)) return fail(422, 40010001, `invalid order type: ${JSON.stringify(type)}`);
    if (type === 'trailing_stop') return fail(422, 40010001, 'trailing_stop orders are not supported by the simulator');
    const tif = body.time_in_force as string;
    if (!TIFS.has(tif)) return fail(422, 40010001, 'invalid time_in_force');
    const cls = body.order_class;
    if (cls !== undefined && cls !== null && cls !== '' && cls !== 'simple') {
      return fail(422, 40010001, `order_class ${JSON.stringify(cls)} is not supported by the simulator`);
    }
    const qty = parseAmount(body.qty);
    const notional = parseAmount(body.notional);
    if ((qty === undefined) === (notional === undefined)) return fail(422, 40010001, 'qty or notional is required, but not both');
    if (qty !== undefined && !(qty > 0)) return fail(422, 40010001, 'qty must be > 0');
    if (notional !== undefined && !(notional > 0)) return fail(422, 40010001, 'notional must be > 0');
    if (notional !== undefined && (type !== 'market' || tif !== 'day')) {
      return fail(422, 40010001, 'notional orders are only supported for market orders with time_in_force day');
    }
    const limitPrice = parseAmount(body.limit_price);
    const stopPrice = parseAmount(body.stop_price);
    if (limitPrice !== undefined && !(limitPrice > 0)) return fail(422, 40010001, 'invalid limit_price');
    if (stopPrice !== undefined && !(stopPrice > 0)) return fail(422, 40010001, 'invalid stop_price');
    if ((type === 'limit' || type === 'stop_limit') && limitPrice === undefined) return fail(422, 40010001, 'limit_price is required');
    if ((type === 'stop' || type === 'stop_limit') && stopPrice === undefined) return fail(422, 40010001, 'stop_price is required');
    if (type === 'market' && (limitPrice !== undefined || stopPrice !== undefined)) {
      return fail(422, 40010001, 'market orders must not have limit_price or stop_price');
    }
    let coid = body.client_order_id;
    if (coid === undefined || coid === null || coid === '') coid = randomUUID();
    if (typeof coid !== 'string') return fail(422, 40010001, 'client_order_id must be a string');
    if (coid.length > 128) return fail(422, 40010001, 'client_order_id must be no more than 128 characters');
    if (this.byClientId.has(coid)) return fail(422, 40010001, 'client_order_id must be unique');
    const option = optionOf(symbol);
    const pos = this.positions.get(symbol)?.qty ?? 0;
    const intent =
      typeof body.position_intent === 'string'
        ? body.position_intent
        : side === 'buy'
          ? pos < 0 ? 'buy_to_close' : 'buy_to_open'
          : pos > 0 ? 'sell_to_close' : 'sell_to_open';
    if (option && !this.o.options) return fail(422, 40010001, `asset "${symbol}" not found`);
    const q = this.quote(symbol);
    if (option) {
      const bad = optionOrderProblem({ body, option, side, type, tif, qty, notional, intent, closing, listed: q !== undefined, limitPrice }, this.optionAccount());
      if (bad) return bad;
    }
    if (!q) return fail(422, 40010001, `asset "${symbol}" not found`);

    const touch = side === 'buy' ? q.ask : q.bid;
    const targetQty = qty ?? Math.floor(((notional as number) / touch) * 1e9) / 1e9;
    if (!(targetQty > 0)) return fail(422, 40010001, 'notional is too small');
    if (side === 'buy' && !closing && !option) {
      const px = limitPrice ?? stopPrice ?? q.ask;
      if (targetQty * px > this.buyingPower() + EPS) return fail(403, 40310000, 'insufficient buying power');
    }
    if (side === 'buy' && option && intent === 'buy_to_open' && !closing) {
      const px = limitPrice ?? q.ask;
      if (targetQty * px * option.multiplier > this.optionsBuyingPower() + EPS) return fail(403, 40310000, 'insufficient options buying power');
    }

    const now = this.o.nowMs();
    const stamp = rfc3339Nano(now);
    const o: SimOrder = {
      id: randomUUID(),
      clientOrderId: coid,
      symbol,
      assetId: assetIdFor(symbol, option ? 'us_option' : 'us_equity'),
      side,
      type: type as AlpacaOrderType,
      tif: tif as AlpacaTif,
      qty: qty ?? null,
      notional: notional ?? null,
      targetQty,
      limitPrice: limitPrice ?? null,
      stopPrice: stopPrice ?? null,
      extendedHours: body.extended_hours === true || body.extended_hours === 'true',
      positionIntent: intent,
      status: 'accepted',
      filledQty: 0,
      filledValue: 0,
      createdAt: stamp,
      updatedAt: stamp,
      submittedAt: stamp,
      filledAt: null,
      expiredAt: null,
      canceledAt: null,
      failedAt: null,
      replacedAt: null,
      replacedBy: null,
      replaces: null,
      createdMs: now,
      triggered: type === 'market' || type === 'limit',
      walk: 0,
      readyAt: this.wall() + (this.o.ackMs ?? 0),
      closeMs: this.o.sessionClose && (tif === 'day' || tif === 'cls') ? this.o.sessionClose(now) : undefined,
      ...(option ? { option } : {}),
    };
    this.add(o);
    return o;
  }

  private add(o: SimOrder): void {
    this.orders.set(o.id, o);
    this.byClientId.set(o.clientOrderId, o.id);
    this.list.push(o);
    this.working.push(o);
    this.schedule(this.o.fillDelayMs);
  }

  /** Quantity of open orders on `symbol` that would reduce a position of `qty` (not available to close). */
  heldQty(symbol: string, qty: number): number {
    let held = 0;
    for (const o of this.working) {
      if (o.symbol !== symbol || !OPEN.has(o.status)) continue;
      if ((qty > 0 && o.side === 'sell') || (qty < 0 && o.side === 'buy')) held += o.targetQty - o.filledQty;
    }
    return held;
  }

  private optionAccount(): OptionAccount {
    return {
      level: this.optionsLevel,
      position: (s) => this.positions.get(s)?.qty ?? 0,
      held: (s, q) => this.heldQty(s, q),
      optionsBuyingPower: () => this.optionsBuyingPower(),
      sharesFree: (u) => {
        let free = (this.positions.get(u)?.qty ?? 0) - this.heldQty(u, 1);
        // Shares already covering short calls (held or being sold to open) are not free again.
        for (const p of this.positions.values()) if (p.option && p.option.underlying === u && p.option.right === 'C' && p.qty < 0) free += p.qty * p.option.multiplier;
        for (const w of this.working) {
          if (w.option && w.option.underlying === u && w.option.right === 'C' && w.positionIntent === 'sell_to_open' && OPEN.has(w.status)) free -= (w.targetQty - w.filledQty) * w.option.multiplier;
        }
        return free;
      },
      underlyingAssetId: (u) => assetIdFor(u),
    };
  }

  /**
   * Settles option positions whose contract is past its expiry day's close (on the option market's clock):
   * working orders on the contract expire; a contract at least $0.01 in the money on the underlying's price
   * is exercised (long: OPEXC) or assigned (short: OPASN) into 100 shares per contract at the strike (OPTRD,
   * cash at the strike), any other expires worthless (OPEXP). The premium was paid at the fills. Returns the
   * activities written.
   */
  expireOptions(): SimNonTradeActivity[] {
    const market = this.o.options;
    if (!market) return [];
    const now = market.nowMs();
    const past = (o: OptionInstrument | undefined): o is OptionInstrument => o !== undefined && now >= expiryCloseMs(o.expiry);
    for (const o of this.working) if (OPEN.has(o.status) && past(o.option)) this.finish(o, 'expired');
    const out: SimNonTradeActivity[] = [];
    for (const p of [...this.positions.values()]) {
      const opt = p.option;
      if (!past(opt)) continue;
      const spot = market.spot(opt.underlying);
      if (spot === undefined || !(spot > 0)) continue; // no price to judge it by yet: wait, never guess
      const ms = this.o.nowMs();
      const groupId = randomUUID();
      const itm = settlementPrice(opt, spot) > 0;
      const contracts = p.qty;
      const add = (a: Omit<SimNonTradeActivity, 'id' | 'groupId' | 'ms'>): void => {
        const x: SimNonTradeActivity = { id: activityId(ms, randomUUID()), groupId, ms, ...a };
        this.nonTrade.push(x);
        out.push(x);
      };
      const name = `${opt.occ} (${etDate(ms)}, ${opt.underlying} at ${spot})`;
      if (!itm) {
        add({ type: 'OPEXP', symbol: opt.occ, qty: -contracts, netAmount: 0, description: `Option expiry: ${name}` });
      } else {
        const long = contracts > 0;
        add({ type: long ? 'OPEXC' : 'OPASN', symbol: opt.occ, qty: -contracts, netAmount: 0, description: `${long ? 'Option exercise' : 'Option assignment'}: ${name}` });
        // Long call / short put receive shares; long put / short call deliver them.
        const shares = contracts * opt.multiplier * (opt.right === 'C' ? 1 : -1);
        const net = -shares * opt.strike;
        this.cash += net;
        this.applyPosition(opt.underlying, shares, opt.strike);
        add({ type: 'OPTRD', symbol: opt.underlying, qty: shares, price: opt.strike, netAmount: net, description: `${shares > 0 ? 'Buy' : 'Sell'} ${Math.abs(shares)} ${opt.underlying} @ ${opt.strike} from ${long ? 'exercise' : 'assignment'} of ${opt.occ}` });
      }
      this.positions.delete(p.symbol);
    }
    return out;
  }

  /** DELETE /v2/orders/{id}: null on success (the order is canceled at once). */
  cancel(id: string): ApiFailure | null {
    const o = this.orders.get(id);
    if (!o) return fail(404, 40410000, 'order not found');
    if (!OPEN.has(o.status)) return fail(422, 42210000, `order is already in "${o.status}" state`);
    this.finish(o, 'canceled');
    return null;
  }

  /** PATCH /v2/orders/{id}: a new order replaces the old one, which turns `replaced`. */
  replace(id: string, body: Record<string, unknown>): SimOrder | ApiFailure {
    const old = this.orders.get(id);
    if (!old) return fail(404, 40410000, 'order not found');
    if (!OPEN.has(old.status)) return fail(422, 42210000, `order is already in "${old.status}" state`);
    if (old.status === 'accepted' || old.status.startsWith('pending_')) {
      return fail(422, 42210000, `order cannot be replaced in "${old.status}" state`);
    }
    if (old.notional !== null) return fail(422, 40010001, 'notional orders cannot be replaced');
    const merged: Record<string, unknown> = {
      symbol: old.symbol,
      side: old.side,
      type: old.type,
      time_in_force: body.time_in_force ?? old.tif,
      qty: body.qty ?? old.qty,
      limit_price: body.limit_price ?? old.limitPrice ?? undefined,
      stop_price: body.stop_price ?? old.stopPrice ?? undefined,
      client_order_id: body.client_order_id,
      extended_hours: old.extendedHours,
      position_intent: old.positionIntent ?? undefined,
    };
    const q = parseAmount(merged.qty);
    if (q !== undefined && q < old.filledQty) return fail(422, 40010001, 'qty must not be below the filled quantity');
    // The replaced order's reservation must not count against its own replacement: closed while checking.
    const prev = old.status;
    old.status = 'replaced';
    const nu = this.submit(merged);
    if ('status' in nu && 'code' in nu) {
      old.status = prev;
      return nu;
    }
    const now = this.o.nowMs();
    old.replacedBy = nu.id;
    old.replacedAt = rfc3339Nano(now);
    old.updatedAt = old.replacedAt;
    old.status = 'replaced';
    nu.replaces = old.id;
    this.emit('replaced', old, { timestamp: old.replacedAt });
    return nu;
  }

  /** Ends an order as `rejected` with a reason (venue refusal, or fault injection). */
  reject(o: SimOrder, reason: string): void {
    o.rejectReason = reason;
    this.finish(o, 'rejected');
  }

  /** Ends the day: every working DAY/OPG/CLS order expires (Alpaca expires them after the close). */
  expireDay(): number {
    let n = 0;
    for (const o of [...this.working]) {
      if (OPEN.has(o.status) && (o.tif === 'day' || o.tif === 'opg' || o.tif === 'cls')) {
        this.finish(o, 'expired');
        n++;
      }
    }
    return n;
  }

  /** Opening or closing auction: OPG or CLS orders fill in one execution at the mid (limits permitting). */
  runAuction(kind: 'open' | 'close', symbol?: string): number {
    const tif = kind === 'open' ? 'opg' : 'cls';
    let n = 0;
    for (const o of [...this.working]) {
      if (!OPEN.has(o.status) || o.tif !== tif || (symbol && o.symbol !== symbol)) continue;
      const q = this.quote(o.symbol);
      if (!q) continue;
      if (this.auctionFill(o, roundPrice((q.bid + q.ask) / 2))) n++;
    }
    this.compact();
    return n;
  }

  /** One auction execution at `px` (a limit the price does not reach cancels the order); true when filled. */
  private auctionFill(o: SimOrder, px: number): boolean {
    if (o.status === 'accepted') this.setNew(o);
    if (o.limitPrice !== null && (o.side === 'buy' ? px > o.limitPrice : px < o.limitPrice)) {
      this.finish(o, 'canceled');
      return false;
    }
    this.fill(o, px, o.targetQty - o.filledQty);
    return true;
  }

  /** The session close on `sessionClose`: CLS sample the mid then fill; DAY expire. True when it acted. */
  private atClose(o: SimOrder, now: number): boolean {
    if (o.closeMs === undefined) return false;
    if (o.tif === 'cls') {
      const q = this.quote(o.symbol);
      const mid = q && q.bid > 0 && q.ask > 0 ? roundPrice((q.bid + q.ask) / 2) : undefined;
      if (now < o.closeMs) {
        if (mid !== undefined) o.closeMid = mid;
        return false;
      }
      const px = o.closeMid ?? mid;
      if (px === undefined) this.finish(o, 'expired');
      else this.auctionFill(o, px);
      return true;
    }
    if (now < o.closeMs) return false;
    this.finish(o, 'expired');
    return true;
  }

  // ------------------------------------------------------------------ matching loop

  private schedule(ms: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => this.step(), Math.max(0, ms));
  }

  private step(): void {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.expireOptions().length) this.compact();
    const now = this.o.nowMs();
    const open = this.o.enforceHours ? NYSE.isOpenAt(now) : true;
    let progressed = false;
    // The earliest latency deadline among waiting orders: the next step comes no later than it.
    let nextWaitMs = Infinity;
    const wall = this.wall();
    const snapshot = this.working.slice();
    for (const o of snapshot) {
      if (!OPEN.has(o.status)) continue;
      if (this.atClose(o, now)) {
        progressed = true;
        continue;
      }
      if (this.o.enforceHours && o.tif === 'day' && !open && o.status !== 'accepted' && this.pastClose(o, now)) {
        this.finish(o, 'expired');
        progressed = true;
        continue;
      }
      if (o.status === 'accepted') {
        if (!open && !o.extendedHours && o.tif !== 'opg' && o.tif !== 'cls') continue;
        if (wall < o.readyAt) {
          nextWaitMs = Math.min(nextWaitMs, o.readyAt - wall);
          continue;
        }
        if (this.rejectNext > 0) {
          this.rejectNext--;
          this.reject(o, 'rejected by the simulator (fault injection)');
        } else if (o.side === 'buy' && o.positionIntent !== 'buy_to_close' && this.estimatedCost(o) > (o.option ? this.optionsBuyingPower(o) : this.buyingPower(o)) + EPS) {
          this.reject(o, 'insufficient buying power');
        } else {
          this.setNew(o);
        }
        progressed = true;
        continue;
      }
      if (o.tif === 'opg' || o.tif === 'cls') continue;
      if (!open && !o.extendedHours) continue;
      if (wall < o.readyAt) {
        nextWaitMs = Math.min(nextWaitMs, o.readyAt - wall);
        continue;
      }
      if (this.tryFill(o)) {
        progressed = true;
        if (this.o.fillMs) o.readyAt = this.wall() + this.o.fillMs;
      }
    }
    this.compact();
    if (this.working.length > 0) this.schedule(Math.min(progressed ? this.o.fillDelayMs : this.o.pollMs, nextWaitMs));
  }

  private pastClose(o: SimOrder, now: number): boolean {
    const s = NYSE.sessionOpenClose(new Date(o.createdMs).toISOString().slice(0, 10));
    return s !== null && now >= s.closeMs;
  }

  private estimatedCost(o: SimOrder): number {
    const px = o.limitPrice ?? o.stopPrice ?? this.quote(o.symbol)?.ask ?? 0;
    return o.targetQty * px * this.mult(o.symbol);
  }

  private compact(): void {
    const w = this.working;
    let j = 0;
    for (let i = 0; i < w.length; i++) if (OPEN.has(w[i].status)) w[j++] = w[i];
    w.length = j;
  }

  private setNew(o: SimOrder): void {
    o.status = 'new';
    if (this.o.fillMs) o.readyAt = this.wall() + this.o.fillMs;
    o.updatedAt = rfc3339Nano(this.o.nowMs());
    this.emit('new', o, {});
  }

  /** One step of an order: a chunk (or, for IOC/FOK, everything marketable). True when it changed. */
  private tryFill(o: SimOrder): boolean {
    const q = this.quote(o.symbol);
    const buy = o.side === 'buy';
    // Only the side the order takes must be quoted: a far out-of-the-money option bids 0 and still offers.
    const touch = q ? (buy ? q.ask : q.bid) : NaN;
    if (!q || !(touch > 0)) return false;
    if (!o.triggered) {
      const stop = o.stopPrice as number;
      if (buy ? touch >= stop : touch <= stop) o.triggered = true;
      else return false;
    }
    const limit = o.type === 'limit' || o.type === 'stop_limit' ? o.limitPrice : null;
    const immediate = o.tif === 'ioc' || o.tif === 'fok';
    if (limit !== null && (buy ? touch > limit : touch < limit)) {
      o.walk = 0;
      if (immediate) {
        this.finish(o, 'canceled');
        return true;
      }
      return false;
    }
    const quoted = buy ? q.askSize : q.bidSize;
    let chunk = quoted !== undefined && quoted > 0 ? Math.min(quoted, this.o.maxChunk) : this.o.maxChunk;
    if ((this.o.fillSlices ?? 1) > 1) chunk = Math.min(chunk, Math.ceil(o.targetQty / (this.o.fillSlices as number)));
    if (o.option) chunk = Math.max(1, Math.floor(chunk)); // whole contracts
    if (o.tif === 'fok' && limit !== null) {
      const steps = Math.ceil((o.targetQty - o.filledQty) / chunk);
      const worst = touch + (buy ? 1 : -1) * (steps - 1) * this.o.slippagePerChunk;
      // FOK: the whole quantity must be available within the limit, else nothing trades.
      if (buy ? worst > limit + EPS : worst < limit - EPS) {
        this.finish(o, 'canceled');
        return true;
      }
    }
    do {
      let px = roundPrice(touch + (buy ? 1 : -1) * o.walk * this.o.slippagePerChunk);
      if (limit !== null) px = buy ? Math.min(px, limit) : Math.max(px, limit);
      const left = o.targetQty - o.filledQty;
      this.fill(o, px, Math.min(chunk, left));
      o.walk++;
    } while (immediate && OPEN.has(o.status));
    return true;
  }

  private fill(o: SimOrder, price: number, qty: number): void {
    if (!(qty > EPS)) return;
    const now = this.o.nowMs();
    const stamp = rfc3339Nano(now);
    o.filledQty = Math.round((o.filledQty + qty) * 1e9) / 1e9;
    o.filledValue += qty * price;
    const done = o.filledQty >= o.targetQty - EPS;
    o.status = done ? 'filled' : 'partially_filled';
    o.updatedAt = stamp;
    if (done) o.filledAt = stamp;
    const signed = o.side === 'buy' ? qty : -qty;
    this.cash -= signed * price * this.mult(o.symbol);
    const positionQty = this.applyPosition(o.symbol, signed, price);
    const execId = randomUUID();
    this.activities.push({
      id: activityId(now, execId),
      execId,
      orderId: o.id,
      symbol: o.symbol,
      side: o.side,
      price,
      qty,
      cumQty: o.filledQty,
      leavesQty: Math.max(0, Math.round((o.targetQty - o.filledQty) * 1e9) / 1e9),
      type: done ? 'fill' : 'partial_fill',
      orderStatus: o.status,
      transactionTime: stamp,
      ms: now,
    });
    this.emit(done ? 'fill' : 'partial_fill', o, { price, qty, positionQty, executionId: execId, timestamp: stamp });
  }

  private applyPosition(symbol: string, signed: number, price: number): number {
    let p = this.positions.get(symbol);
    if (!p) {
      const option = optionOf(symbol);
      p = { symbol, assetId: assetIdFor(symbol, option ? 'us_option' : 'us_equity'), qty: 0, avgEntry: 0, lastdayPrice: price, ...(option ? { option } : {}) };
      this.positions.set(symbol, p);
    }
    const q0 = p.qty;
    const q1 = Math.round((q0 + signed) * 1e9) / 1e9;
    if (q0 === 0 || Math.sign(q0) === Math.sign(signed)) {
      p.avgEntry = (p.avgEntry * Math.abs(q0) + price * Math.abs(signed)) / Math.abs(q1);
    } else if (q1 !== 0 && Math.sign(q1) !== Math.sign(q0)) {
      p.avgEntry = price; // flipped through zero: the new side's entry is this fill
    }
    p.qty = q1;
    if (Math.abs(q1) < EPS) this.positions.delete(symbol);
    return q1;
  }

  private finish(o: SimOrder, status: 'canceled' | 'expired' | 'rejected'): void {
    const stamp = rfc3339Nano(this.o.nowMs());
    o.status = status;
    o.updatedAt = stamp;
    if (status === 'canceled') o.canceledAt = stamp;
    else if (status === 'expired') o.expiredAt = stamp;
    else o.failedAt = stamp;
    this.emit(status, o, { timestamp: stamp });
  }

  private emit(event: string, o: SimOrder, extra: TradeUpdateExtra): void {
    for (const l of this.listeners) l(event, o, extra);
  }
}
