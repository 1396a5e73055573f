/**
 * TWS API socket protocol constants as @stoqey/ib 1.6.10 speaks them
 * (see shared/docs/protocols.md section A for the verified layouts).
 */

/** Client → server message ids. */
export const OUT = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  REQ_OPEN_ORDERS: 5,
  REQ_ACCOUNT_DATA: 6,
  REQ_EXECUTIONS: 7,
  REQ_IDS: 8,
  REQ_CONTRACT_DATA: 9,
  REQ_MKT_DEPTH: 10,
  CANCEL_MKT_DEPTH: 11,
  REQ_AUTO_OPEN_ORDERS: 15,
  REQ_ALL_OPEN_ORDERS: 16,
  REQ_HISTORICAL_DATA: 20,
  CANCEL_HISTORICAL_DATA: 25,
  REQ_CURRENT_TIME: 49,
  REQ_REAL_TIME_BARS: 50,
  CANCEL_REAL_TIME_BARS: 51,
  REQ_GLOBAL_CANCEL: 58,
  REQ_MARKET_DATA_TYPE: 59,
  REQ_POSITIONS: 61,
  REQ_ACCOUNT_SUMMARY: 62,
  CANCEL_ACCOUNT_SUMMARY: 63,
  CANCEL_POSITIONS: 64,
  START_API: 71,
  REQ_TICK_BY_TICK_DATA: 97,
  CANCEL_TICK_BY_TICK_DATA: 98,
} as const;

/** Server → client message ids. */
export const IN = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ORDER_STATUS: 3,
  ERR_MSG: 4,
  OPEN_ORDER: 5,
  ACCT_VALUE: 6,
  PORTFOLIO_VALUE: 7,
  ACCT_UPDATE_TIME: 8,
  NEXT_VALID_ID: 9,
  CONTRACT_DATA: 10,
  EXECUTION_DATA: 11,
  MARKET_DEPTH: 12,
  MARKET_DEPTH_L2: 13,
  MANAGED_ACCTS: 15,
  TICK_OPTION_COMPUTATION: 21,
  HISTORICAL_DATA: 17,
  CURRENT_TIME: 49,
  CONTRACT_DATA_END: 52,
  REAL_TIME_BARS: 50,
  OPEN_ORDER_END: 53,
  ACCT_DOWNLOAD_END: 54,
  EXECUTION_DATA_END: 55,
  TICK_SNAPSHOT_END: 57,
  MARKET_DATA_TYPE: 58,
  COMMISSION_REPORT: 59,
  POSITION: 61,
  POSITION_END: 62,
  ACCOUNT_SUMMARY: 63,
  ACCOUNT_SUMMARY_END: 64,
  TICK_REQ_PARAMS: 81,
  TICK_BY_TICK: 99,
} as const;

/** Server versions at which layouts the simulator emits change (MIN_SERVER_VER in @stoqey/ib). */
export const SV = {
  MARKET_CAP_PRICE: 131, // ORDER_STATUS loses its version field, gains mktCapPrice
  SMART_DEPTH: 146, // MARKET_DEPTH_L2 gains isSmartDepth; REQ_MKT_DEPTH carries it
  ADVANCED_ORDER_REJECT: 166, // ERR_MSG gains advancedOrderRejectJson
  PENDING_PRICE_REVISION: 178, // EXECUTION_DATA gains pendingPriceRevision
  CME_TAGGING_FIELDS: 192, // CANCEL_ORDER loses its version field
  CME_TAGGING_FIELDS_IN_OPEN_ORDER: 193,
} as const;

/** Lowest and highest server version the simulator can speak (layouts below 166 are not implemented). */
export const MIN_SIM_SERVER_VERSION = SV.ADVANCED_ORDER_REJECT;
export const MAX_SIM_SERVER_VERSION = SV.CME_TAGGING_FIELDS_IN_OPEN_ORDER;

/** Tick types used in TICK_PRICE / TICK_SIZE / TICK_BY_TICK. */
export const TICK = {
  BID_SIZE: 0,
  BID: 1,
  ASK: 2,
  ASK_SIZE: 3,
  LAST: 4,
  LAST_SIZE: 5,
  HIGH: 6,
  LOW: 7,
  VOLUME: 8,
  CLOSE: 9,
} as const;

export const TBT = { LAST: 1, ALL_LAST: 2, BID_ASK: 3, MID_POINT: 4 } as const;

/** Error / info codes the simulator sends (id −1 ones reach @stoqey/ib as `info`). */
export const ERR = {
  RATE_EXCEEDED: 100,
  MAX_TICKERS: 101,
  DUPLICATE_ORDER_ID: 103,
  PRICE_INCREMENT: 110,
  NO_SECURITY_DEFINITION: 200,
  ORDER_REJECTED: 201,
  ORDER_CANCELLED: 202,
  MAX_DEPTH_REQUESTS: 309,
  DEPTH_RESET: 317,
  CLIENT_ID_IN_USE: 326,
  ORDER_WARNING: 399,
  CONNECTIVITY_LOST: 1100,
  CONNECTIVITY_RESTORED_DATA_LOST: 1101,
  CONNECTIVITY_RESTORED_DATA_MAINTAINED: 1102,
  MARKET_DATA_FARM_OK: 2104,
  HMDS_FARM_OK: 2106,
  SEC_DEF_FARM_OK: 2158,
  DEPTH_NOT_SUPPORTED: 10092,
  CANCEL_TARGET_NOT_FOUND: 10147,
  CANCEL_TARGET_NOT_CANCELLABLE: 10148,
} as const;

/** The decoder reads this as "unset" for doubles. */
export const UNSET_DOUBLE = '1.7976931348623157E308';
export const UNSET_INT = '2147483647';

/** Frames above this size (the client's own limit) are treated as garbage. */
export const MAX_FRAME_BYTES = 0xffffff;

/** Number of fields in the 12-field contract block `C` of client requests. */
export const CONTRACT_FIELDS = 12;

/** The 12-field contract block as sent by the client. */
export interface ContractFields {
  conId: string;
  symbol: string;
  secType: string;
  lastTradeDateOrContractMonth: string;
  strike: string;
  right: string;
  multiplier: string;
  exchange: string;
  primaryExch: string;
  currency: string;
  localSymbol: string;
  tradingClass: string;
}

export function readContract(tokens: readonly string[], at: number): ContractFields {
  const t = (i: number): string => tokens[at + i] ?? '';
  return {
    conId: t(0),
    symbol: t(1),
    secType: t(2),
    lastTradeDateOrContractMonth: t(3),
    strike: t(4),
    right: t(5),
    multiplier: t(6),
    exchange: t(7),
    primaryExch: t(8),
    currency: t(9),
    localSymbol: t(10),
    tradingClass: t(11),
  };
}

const NY_FORMAT = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** `yyyyMMdd HH:mm:ss US/Eastern`, the format TWS uses for connection and execution times. */
export function formatEasternTime(ms: number): string {
  const parts = NY_FORMAT.formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('year')}${get('month')}${get('day')} ${get('hour')}:${get('minute')}:${get('second')} US/Eastern`;
}

/** `HH:MM` in New York time, for ACCT_UPDATE_TIME. */
export function formatEasternHHMM(ms: number): string {
  return formatEasternTime(ms).slice(9, 14);
}
