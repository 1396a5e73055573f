/**
 * Encoders for the server → client messages the simulator sends, field for field
 * as @stoqey/ib 1.6.10's strict decoder reads them (protocols.md A6/A7).
 * `sv` is the negotiated server version; the few layout switches it drives are explicit.
 */
import type { FrameWriter } from './codec.js';
import { IN, SV, UNSET_DOUBLE } from './protocol.js';
import type { ContractFields } from './protocol.js';

export function errMsg(w: FrameWriter, sv: number, id: number, code: number, msg: string): void {
  w.begin().f(IN.ERR_MSG).f(2).f(id).f(code).f(msg);
  if (sv >= SV.ADVANCED_ORDER_REJECT) w.f('');
  w.end();
}

export function nextValidId(w: FrameWriter, orderId: number): void {
  w.begin().f(IN.NEXT_VALID_ID).f(1).f(orderId).end();
}

export function managedAccounts(w: FrameWriter, accounts: string): void {
  w.begin().f(IN.MANAGED_ACCTS).f(1).f(accounts).end();
}

export function currentTime(w: FrameWriter, epochSec: number): void {
  w.begin().f(IN.CURRENT_TIME).f(1).f(epochSec).end();
}

export function marketDepth(
  w: FrameWriter,
  reqId: number,
  position: number,
  operation: number,
  side: number,
  price: number,
  size: number,
): void {
  w.begin().f(IN.MARKET_DEPTH).f(1).f(reqId).f(position).f(operation).f(side).f(price).f(size).end();
}

export function marketDepthL2(
  w: FrameWriter,
  sv: number,
  reqId: number,
  position: number,
  marketMaker: string,
  operation: number,
  side: number,
  price: number,
  size: number,
  isSmartDepth: boolean,
): void {
  w.begin().f(IN.MARKET_DEPTH_L2).f(1).f(reqId).f(position).f(marketMaker).f(operation).f(side).f(price).f(size);
  if (sv >= SV.SMART_DEPTH) w.f(isSmartDepth);
  w.end();
}

/** TICK_PRICE v6; attrMask bit0 canAutoExecute, bit1 pastLimit, bit2 preOpen. */
export function tickPrice(w: FrameWriter, reqId: number, tickType: number, price: number, size: number, attrMask: number): void {
  w.begin().f(IN.TICK_PRICE).f(6).f(reqId).f(tickType).f(price).f(size).f(attrMask).end();
}

export function tickSize(w: FrameWriter, reqId: number, tickType: number, size: number): void {
  w.begin().f(IN.TICK_SIZE).f(6).f(reqId).f(tickType).f(size).end();
}

export function tickReqParams(w: FrameWriter, reqId: number, minTick: number, bboExchange: string, snapshotPermissions: number): void {
  w.begin().f(IN.TICK_REQ_PARAMS).f(reqId).f(minTick).f(bboExchange).f(snapshotPermissions).end();
}

export function marketDataType(w: FrameWriter, reqId: number, type: number): void {
  w.begin().f(IN.MARKET_DATA_TYPE).f(1).f(reqId).f(type).end();
}

export function tickSnapshotEnd(w: FrameWriter, reqId: number): void {
  w.begin().f(IN.TICK_SNAPSHOT_END).f(1).f(reqId).end();
}

export function tickByTickLast(
  w: FrameWriter,
  reqId: number,
  tickType: 1 | 2,
  timeSec: number,
  price: number,
  size: number,
  mask: number,
  exchange: string,
  specialConditions: string,
): void {
  w.begin().f(IN.TICK_BY_TICK).f(reqId).f(tickType).f(timeSec).f(price).f(size).f(mask).f(exchange).f(specialConditions).end();
}

export function tickByTickBidAsk(
  w: FrameWriter,
  reqId: number,
  timeSec: number,
  bidPx: number,
  askPx: number,
  bidSz: number,
  askSz: number,
  mask: number,
): void {
  w.begin().f(IN.TICK_BY_TICK).f(reqId).f(3).f(timeSec).f(bidPx).f(askPx).f(bidSz).f(askSz).f(mask).end();
}

export function tickByTickMidPoint(w: FrameWriter, reqId: number, timeSec: number, mid: number): void {
  w.begin().f(IN.TICK_BY_TICK).f(reqId).f(4).f(timeSec).f(mid).end();
}

/**
 * HISTORICAL_DATA at server versions ≥ SYNT_REALTIME_BARS and below HISTORICAL_DATA_END (no version field;
 * the request's start and end dates, the count, then per bar date, OHLC, volume, WAP, bar count).
 */
export function historicalData(
  w: FrameWriter,
  reqId: number,
  startDate: string,
  endDate: string,
  bars: readonly { date: string; open: number; high: number; low: number; close: number; volume: number; wap: number; count: number }[],
): void {
  w.begin().f(IN.HISTORICAL_DATA).f(reqId).f(startDate).f(endDate).f(bars.length);
  for (const b of bars) w.f(b.date).f(b.open).f(b.high).f(b.low).f(b.close).f(b.volume).f(b.wap).f(b.count);
  w.end();
}

export function realTimeBar(
  w: FrameWriter,
  reqId: number,
  timeSec: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  wap: number,
  count: number,
): void {
  w.begin().f(IN.REAL_TIME_BARS).f(3).f(reqId).f(timeSec).f(open).f(high).f(low).f(close).f(volume).f(wap).f(count).end();
}

// ---------------------------------------------------------------- orders and account

/** What the order messages need to know about an order. */
export interface OrderView {
  orderId: number;
  clientId: number;
  permId: number;
  parentId: number;
  contract: ContractFields;
  action: string;
  totalQuantity: number;
  orderType: string;
  lmtPrice: number | undefined;
  auxPrice: number | undefined;
  tif: string;
  account: string;
  orderRef: string;
  outsideRth: boolean;
  status: string;
  filled: number;
  avgFillPrice: number;
  lastFillPrice: number;
}

export function orderStatus(w: FrameWriter, sv: number, o: OrderView): void {
  w.begin().f(IN.ORDER_STATUS);
  if (sv < SV.MARKET_CAP_PRICE) w.f(6);
  w.f(o.orderId)
    .f(o.status)
    .f(o.filled)
    .f(o.totalQuantity - o.filled)
    .f(o.avgFillPrice)
    .f(o.permId)
    .f(o.parentId)
    .f(o.lastFillPrice)
    .f(o.clientId)
    .f('');
  if (sv >= SV.MARKET_CAP_PRICE) w.f(0);
  w.end();
}

/** OPEN_ORDER, the 133-field layout at server version 193 (plain, non-combo, non-algo, non-PEG orders). */
export function openOrder(w: FrameWriter, o: OrderView): void {
  const c = o.contract;
  w.begin().f(IN.OPEN_ORDER).f(o.orderId);
  // contract (no primaryExch)
  w.f(c.conId || 0).f(c.symbol).f(c.secType || 'STK').f(c.lastTradeDateOrContractMonth).f(c.strike || 0).f(c.right)
    .f(c.multiplier).f(c.exchange || 'SMART').f(c.currency || 'USD').f(c.localSymbol || c.symbol).f(c.tradingClass || c.symbol);
  // action … goodAfterTime
  w.f(o.action).f(o.totalQuantity).f(o.orderType).f(o.lmtPrice).f(o.auxPrice).f(o.tif).f('') // ocaGroup
    .f(o.account).f('O').f(0) // openClose, origin (customer)
    .f(o.orderRef).f(o.clientId).f(o.permId).f(o.outsideRth).f(0) // hidden
    .f(0) // discretionaryAmt
    .f(''); // goodAfterTime
  // sharesAllocation … auctionStrategy
  w.f('').f('').f('').f('').f('') // sharesAllocation, faGroup, faMethod, faPercentage, modelCode
    .f('').f('').f('').f('') // goodTillDate, rule80A, percentOffset, settlingFirm
    .f(0).f('').f(-1) // shortSaleSlot, designatedLocation, exemptCode
    .f(0); // auctionStrategy
  // startingPrice … triggerMethod
  w.f('').f('').f('').f('').f('') // startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper
    .f('').f(0).f(0).f(0).f('') // displaySize, blockOrder, sweepToFill, allOrNone, minQty
    .f(0).f(0).f(0).f('') // ocaType, eTradeOnly, firmQuoteOnly, nbboPriceCap
    .f(o.parentId).f(0); // parentId, triggerMethod
  // volatility … basisPointsType
  w.f('').f(0).f('').f('').f(0).f(0) // volatility, volatilityType, deltaNeutralOrderType, deltaNeutralAuxPrice, continuousUpdate, referencePriceType
    .f('').f('').f('').f(''); // trailStopPrice, trailingPercent, basisPoints, basisPointsType
  // combo / scale / hedge / clearing / algo / whatIf
  w.f('').f(0).f(0).f(0) // comboLegsDescription, comboLegs, orderComboLegs, smartComboRoutingParams
    .f('').f('').f('') // scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
    .f('') // hedgeType
    .f(0).f('').f('').f(0) // optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    .f(0).f('') // deltaNeutralContractFlag, algoStrategy
    .f(0).f(0); // solicited, whatIf
  // order state
  w.f(o.status);
  for (let i = 0; i < 9; i++) w.f(''); // margins before/change/after
  w.f(UNSET_DOUBLE).f(UNSET_DOUBLE).f(UNSET_DOUBLE).f('').f(''); // commission, min, max, currency, warningText
  // randomize … adjustableTrailingUnit
  w.f(0).f(0).f(0) // randomizeSize, randomizePrice, nConditions
    .f('').f('').f('').f('').f('').f('').f('').f(0); // adjusted order params
  // soft dollar tier … autoCancelParent
  w.f('').f('').f('') // softDollarTier name, value, displayName
    .f('').f(0).f(0) // cashQty, dontUseAutoPriceForHedge, isOmsContainer
    .f(0).f(0).f('').f('').f(0); // discretionaryUpToLimitPrice, usePriceMgmtAlgo, duration, postToAts, autoCancelParent
  // peg best/mid … CME tagging
  w.f('').f('').f('').f('').f('') // minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf
    .f('').f(0).f('').f(0) // customerAccount, professionalCustomer, bondAccruedInterest, includeOvernight
    .f('').f(''); // extOperator, manualOrderIndicator
  w.end();
}

export function openOrderEnd(w: FrameWriter): void {
  w.begin().f(IN.OPEN_ORDER_END).f(1).end();
}

export interface ExecView {
  execId: string;
  orderId: number;
  clientId: number;
  permId: number;
  contract: ContractFields;
  time: string;
  account: string;
  exchange: string;
  side: 'BOT' | 'SLD';
  shares: number;
  price: number;
  cumQty: number;
  avgPrice: number;
  orderRef: string;
  lastLiquidity: number; // 1 added, 2 removed
  commission: number;
  realizedPnl: number | undefined;
}

export function executionData(w: FrameWriter, sv: number, reqId: number, e: ExecView): void {
  const c = e.contract;
  w.begin().f(IN.EXECUTION_DATA).f(reqId).f(e.orderId);
  w.f(c.conId || 0).f(c.symbol).f(c.secType || 'STK').f(c.lastTradeDateOrContractMonth).f(c.strike || 0).f(c.right)
    .f(c.multiplier).f(c.exchange || 'SMART').f(c.currency || 'USD').f(c.localSymbol || c.symbol).f(c.tradingClass || c.symbol);
  w.f(e.execId).f(e.time).f(e.account).f(e.exchange).f(e.side).f(e.shares).f(e.price).f(e.permId).f(e.clientId)
    .f(0) // liquidation
    .f(e.cumQty).f(e.avgPrice).f(e.orderRef)
    .f('').f('') // evRule, evMultiplier
    .f('') // modelCode
    .f(e.lastLiquidity);
  if (sv >= SV.PENDING_PRICE_REVISION) w.f(0);
  w.end();
}

export function executionDataEnd(w: FrameWriter, reqId: number): void {
  w.begin().f(IN.EXECUTION_DATA_END).f(1).f(reqId).end();
}

export function commissionReport(w: FrameWriter, e: ExecView): void {
  w.begin().f(IN.COMMISSION_REPORT).f(1).f(e.execId).f(e.commission).f('USD')
    .f(e.realizedPnl === undefined ? UNSET_DOUBLE : e.realizedPnl)
    .f(UNSET_DOUBLE) // yield
    .f('') // yieldRedemptionDate
    .end();
}

export function position(w: FrameWriter, account: string, c: ContractFields, pos: number, avgCost: number): void {
  w.begin().f(IN.POSITION).f(3).f(account);
  w.f(c.conId || 0).f(c.symbol).f(c.secType || 'STK').f(c.lastTradeDateOrContractMonth).f(c.strike || 0).f(c.right)
    .f(c.multiplier).f(c.exchange || '').f(c.currency || 'USD').f(c.localSymbol || c.symbol).f(c.tradingClass || c.symbol);
  w.f(pos).f(avgCost).end();
}

export function positionEnd(w: FrameWriter): void {
  w.begin().f(IN.POSITION_END).f(1).end();
}

export function accountSummary(w: FrameWriter, reqId: number, account: string, tag: string, value: string, currency: string): void {
  w.begin().f(IN.ACCOUNT_SUMMARY).f(1).f(reqId).f(account).f(tag).f(value).f(currency).end();
}

export function accountSummaryEnd(w: FrameWriter, reqId: number): void {
  w.begin().f(IN.ACCOUNT_SUMMARY_END).f(1).f(reqId).end();
}

export function accountValue(w: FrameWriter, key: string, value: string, currency: string, account: string): void {
  w.begin().f(IN.ACCT_VALUE).f(2).f(key).f(value).f(currency).f(account).end();
}

export function portfolioValue(
  w: FrameWriter,
  c: ContractFields,
  pos: number,
  mktPrice: number,
  mktValue: number,
  avgCost: number,
  unrealized: number,
  realized: number,
  account: string,
): void {
  w.begin().f(IN.PORTFOLIO_VALUE).f(8);
  w.f(c.conId || 0).f(c.symbol).f(c.secType || 'STK').f(c.lastTradeDateOrContractMonth).f(c.strike || 0).f(c.right)
    .f(c.multiplier).f(c.primaryExch || 'ARCA').f(c.currency || 'USD').f(c.localSymbol || c.symbol).f(c.tradingClass || c.symbol);
  w.f(pos).f(mktPrice).f(mktValue).f(avgCost).f(unrealized).f(realized).f(account).end();
}

export function accountUpdateTime(w: FrameWriter, hhmm: string): void {
  w.begin().f(IN.ACCT_UPDATE_TIME).f(1).f(hhmm).end();
}

export function accountDownloadEnd(w: FrameWriter, account: string): void {
  w.begin().f(IN.ACCT_DOWNLOAD_END).f(1).f(account).end();
}

/** The fields CONTRACT_DATA carries that vary per contract (the rest are fixed for the simulated venue). */
export interface ContractDetailsView {
  symbol: string;
  secType: 'STK' | 'OPT';
  /** YYYYMMDD for options, '' for stock */
  lastTradeDate: string;
  strike: number;
  right: '' | 'C' | 'P';
  localSymbol: string;
  tradingClass: string;
  conId: number;
  minTick: number;
  multiplier: number;
  underConId: number;
  longName: string;
  /** YYYYMMDD for options */
  realExpirationDate: string;
}

/**
 * CONTRACT_DATA at server versions ≥ SIZE_RULES (164; no version field), as @stoqey/ib 1.6.10 decodes it:
 * lastTradeDate from 182, the ineligibility list from 186 (options-trading.md 2.3).
 */
export function contractData(w: FrameWriter, sv: number, reqId: number, c: ContractDetailsView): void {
  const opt = c.secType === 'OPT';
  w.begin().f(IN.CONTRACT_DATA).f(reqId).f(c.symbol).f(c.secType).f(c.lastTradeDate);
  if (sv >= 182) w.f(c.lastTradeDate);
  w.f(c.strike).f(c.right).f('SMART').f('USD').f(c.localSymbol).f(c.tradingClass).f(c.tradingClass).f(c.conId).f(c.minTick)
    .f(c.multiplier).f(opt ? 'ACTIVETIM,AD,ADJUST,ALERT,ALLOC,AVGCOST,BASKET,COND,CONDORDER,DAY,DEACT,DEACTDIS,DEACTEOD,GAT,GTC,GTD,GTT,HID,ICE,IOC,LIT,LMT,MIT,MKT,NONALGO,OCA,PAON,POSTONLY,RELSTK,SCALE,SCALERST,SNAPMID,SNAPMKT,SNAPREL,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,WHATIF' : 'LMT,MKT,MOC,LOC,STP,STPLMT,TRAIL,DAY,GTC,IOC')
    .f(opt ? 'SMART,AMEX,BATS,BOX,CBOE,CBOE2,EDGX,EMERALD,GEMINI,ISE,MERCURY,MIAX,NASDAQOM,PEARL,PHLX,PSE' : 'SMART,ARCA,NYSE,NASDAQ,BATS,IEX')
    .f(1) // priceMagnifier
    .f(c.underConId)
    .f(c.longName).f(opt ? 'AMEX' : 'ARCA')
    .f(opt ? c.lastTradeDate.slice(0, 6) : '').f('').f('').f('') // contractMonth, industry, category, subcategory
    .f('US/Eastern').f('').f('') // timeZoneId, tradingHours, liquidHours
    .f('').f(0) // evRule, evMultiplier
    .f(0) // secIdList count
    .f(opt ? 2 : 1) // aggGroup
    .f(opt ? c.symbol : '').f(opt ? 'STK' : '') // underSymbol, underSecType
    .f(opt ? '32,109' : '26') // marketRuleIds
    .f(c.realExpirationDate).f(opt ? '' : 'ETF') // realExpirationDate, stockType
    .f(1).f(1).f(1); // minSize, sizeIncrement, suggestedSizeIncrement
  if (sv >= 186) w.f(0); // no ineligibility reasons
  w.end();
}

export function contractDataEnd(w: FrameWriter, reqId: number): void {
  w.begin().f(IN.CONTRACT_DATA_END).f(1).f(reqId).end();
}

/**
 * TICK_OPTION_COMPUTATION at server versions ≥ PRICE_BASED_VOLATILITY (156; no version field, a tick
 * attribute after the tick type): IV, delta, option price, PV of dividends, gamma, vega, theta, underlying.
 */
export function tickOptionComputation(w: FrameWriter, reqId: number, tickType: number, iv: number, delta: number, optPrice: number, gamma: number, vega: number, theta: number, undPrice: number): void {
  w.begin().f(IN.TICK_OPTION_COMPUTATION).f(reqId).f(tickType).f(0).f(iv).f(delta).f(optPrice).f(0).f(gamma).f(vega).f(theta).f(undPrice).end();
}
