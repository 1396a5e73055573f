/**
 * Alpaca REST v2 JSON shapes (protocols.md C1): every field present, decimals as strings, absent values
 * null, timestamps RFC 3339. Field order follows the SDK's Order model.
 */
import { NYSE, addDays, etDate } from '../../analytics/calendar.js';
import type { SimContract } from '../alpha-vantage/chainModel.js';
import type { AlpacaExchange, SimActivity, SimNonTradeActivity, SimOrder, SimPosition } from './AlpacaExchange.js';
import { assetIdFor, dec, decOrNull, money, rfc3339Et } from './format.js';

export function orderJson(o: SimOrder): Record<string, unknown> {
  return {
    id: o.id,
    client_order_id: o.clientOrderId,
    created_at: o.createdAt,
    updated_at: o.updatedAt,
    submitted_at: o.submittedAt,
    filled_at: o.filledAt,
    expired_at: o.expiredAt,
    canceled_at: o.canceledAt,
    failed_at: o.failedAt,
    replaced_at: o.replacedAt,
    replaced_by: o.replacedBy,
    replaces: o.replaces,
    asset_id: o.assetId,
    symbol: o.symbol,
    asset_class: o.option ? 'us_option' : 'us_equity',
    notional: decOrNull(o.notional),
    qty: decOrNull(o.qty),
    filled_qty: dec(o.filledQty),
    filled_avg_price: o.filledQty > 0 ? dec(o.filledValue / o.filledQty, 6) : null,
    // A real option order answered `simple` (options-trading.md §3.2); equity orders here keep ''.
    order_class: o.option ? 'simple' : '',
    order_type: o.type,
    type: o.type,
    side: o.side,
    position_intent: o.positionIntent,
    time_in_force: o.tif,
    limit_price: decOrNull(o.limitPrice),
    stop_price: decOrNull(o.stopPrice),
    status: o.status,
    extended_hours: o.extendedHours,
    legs: null,
    trail_percent: null,
    trail_price: null,
    hwm: null,
    subtag: null,
    source: null,
  };
}

/**
 * `held`: shares (contracts) committed to open orders that would reduce the position (not available to sell).
 * Options: qty in contracts, prices per share of premium, dollar fields × the multiplier (§3.6).
 */
export function positionJson(p: SimPosition, mark: number | undefined, held = 0): Record<string, unknown> {
  const price = mark ?? p.avgEntry;
  const m = p.option?.multiplier ?? 1;
  const mv = p.qty * price * m;
  const cost = p.qty * p.avgEntry * m;
  const upl = mv - cost;
  const plpc = cost !== 0 ? upl / Math.abs(cost) : 0;
  return {
    asset_id: p.assetId,
    symbol: p.symbol,
    exchange: p.option ? '' : 'NASDAQ',
    asset_class: p.option ? 'us_option' : 'us_equity',
    asset_marginable: !p.option,
    qty: dec(p.qty),
    avg_entry_price: dec(p.avgEntry, 6),
    side: p.qty >= 0 ? 'long' : 'short',
    market_value: money(mv),
    cost_basis: money(cost),
    unrealized_pl: money(upl),
    unrealized_plpc: dec(plpc, 6),
    unrealized_intraday_pl: money(upl),
    unrealized_intraday_plpc: dec(plpc, 6),
    current_price: dec(price, 4),
    lastday_price: dec(p.lastdayPrice, 4),
    change_today: dec(p.lastdayPrice > 0 ? price / p.lastdayPrice - 1 : 0, 6),
    qty_available: dec(p.qty >= 0 ? Math.max(0, p.qty - held) : Math.min(0, p.qty + held)),
  };
}

export function accountJson(x: AlpacaExchange, id: string, accountNumber: string, createdAt: string, multiplier: number): Record<string, unknown> {
  const level = x.optionsLevel;
  const { long, short } = x.marketValues();
  const equity = x.cash + long + short;
  const bp = x.buyingPower();
  const margin = long - short;
  return {
    id,
    account_number: accountNumber,
    status: 'ACTIVE',
    crypto_status: 'INACTIVE',
    currency: 'USD',
    buying_power: money(bp),
    regt_buying_power: money(bp),
    daytrading_buying_power: money(multiplier >= 4 ? bp : 0),
    effective_buying_power: money(bp),
    non_marginable_buying_power: money(Math.max(0, x.cash)),
    options_buying_power: money(x.optionsBuyingPower()),
    bod_dtbp: '0',
    cash: money(x.cash),
    accrued_fees: '0',
    portfolio_value: money(equity),
    pattern_day_trader: false,
    trading_blocked: false,
    transfers_blocked: false,
    account_blocked: false,
    created_at: createdAt,
    trade_suspended_by_user: false,
    multiplier: String(multiplier),
    shorting_enabled: true,
    equity: money(equity),
    last_equity: money(equity),
    long_market_value: money(long),
    short_market_value: money(short),
    position_market_value: money(margin),
    initial_margin: money(margin * 0.5),
    maintenance_margin: money(margin * 0.25),
    last_maintenance_margin: money(margin * 0.25),
    sma: money(equity),
    daytrade_count: 0,
    balance_asof: createdAt.slice(0, 10),
    options_approved_level: level,
    options_trading_level: level,
  };
}

/** A non-trade activity (§3.8): OPEXP / OPEXC / OPASN, and OPTRD with its price. */
export function nonTradeJson(a: SimNonTradeActivity): Record<string, unknown> {
  return {
    id: a.id,
    activity_type: a.type,
    activity_sub_type: null,
    date: etDate(a.ms),
    net_amount: money(a.netAmount),
    description: a.description,
    symbol: a.symbol,
    qty: dec(a.qty),
    ...(a.price !== undefined ? { price: dec(a.price, 6) } : {}),
    status: 'executed',
    group_id: a.groupId,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** GET /v2/options/contracts row (§3.5) for a listed contract of the option market. */
export function contractJson(c: SimContract, deliverables: boolean): Record<string, unknown> {
  const [y, mo, d] = c.expiration.split('-');
  const out: Record<string, unknown> = {
    id: assetIdFor(c.contractID, 'us_option'),
    symbol: c.contractID,
    name: `${c.symbol} ${MONTHS[Number(mo) - 1]} ${d} ${y} ${dec(c.strike)} ${c.type === 'call' ? 'Call' : 'Put'}`,
    status: 'active',
    tradable: true,
    expiration_date: c.expiration,
    root_symbol: c.symbol,
    underlying_symbol: c.symbol,
    underlying_asset_id: assetIdFor(c.symbol),
    type: c.type,
    style: 'american',
    strike_price: dec(c.strike),
    multiplier: '100',
    size: '100',
    open_interest: c.openInterest > 0 ? String(c.openInterest) : null,
    open_interest_date: c.openInterest > 0 ? c.date : null,
    close_price: null,
    close_price_date: null,
  };
  if (deliverables) {
    out.deliverables = [{ type: 'equity', symbol: c.symbol, asset_id: assetIdFor(c.symbol), amount: '100', allocation_percentage: '100', settlement_type: 'T+1', settlement_method: 'CCC', delayed_settlement: false }];
  }
  return out;
}

export function activityJson(a: SimActivity): Record<string, unknown> {
  return {
    id: a.id,
    activity_type: 'FILL',
    transaction_time: a.transactionTime,
    type: a.type,
    price: dec(a.price, 6),
    qty: dec(a.qty),
    side: a.side,
    symbol: a.symbol,
    leaves_qty: dec(a.leavesQty),
    order_id: a.orderId,
    cum_qty: dec(a.cumQty),
    order_status: a.orderStatus,
  };
}

/** GET /v2/clock from the NYSE calendar, in New York time with its offset. */
export function clockJson(nowMs: number): Record<string, unknown> {
  let nextOpen: number | null = null;
  let nextClose: number | null = null;
  let d = etDate(nowMs);
  for (let i = 0; i < 15 && (nextOpen === null || nextClose === null); i++, d = addDays(d, 1)) {
    const s = NYSE.sessionOpenClose(d);
    if (!s) continue;
    if (nextOpen === null && s.openMs > nowMs) nextOpen = s.openMs;
    if (nextClose === null && s.closeMs > nowMs) nextClose = s.closeMs;
  }
  return {
    timestamp: rfc3339Et(nowMs, true),
    is_open: NYSE.isOpenAt(nowMs),
    next_open: nextOpen === null ? null : rfc3339Et(nextOpen),
    next_close: nextClose === null ? null : rfc3339Et(nextClose),
  };
}

export function calendarJson(start: string, end: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let d = start, n = 0; d <= end && n < 3700; d = addDays(d, 1), n++) {
    const s = NYSE.sessionOpenClose(d);
    if (!s) continue;
    out.push({
      date: d,
      open: '09:30',
      close: s.earlyClose ? '13:00' : '16:00',
      session_open: '0400',
      session_close: '2000',
      settlement_date: NYSE.nextTradingDay(d),
    });
  }
  return out;
}
