import { SecType, type Contract } from '@stoqey/ib';
import { occPadded, OccError, option, parseOcc, type Instrument, type OptionInstrument, type Right } from '../../analytics/instrument.js';

/**
 * The IB contract of an option instrument (options-trading.md §2.1): symbol = underlying, OPT, expiry as
 * YYYYMMDD, strike, right, multiplier, SMART/USD, tradingClass = OCC root, localSymbol = padded OCC.
 *
 * A plain object that sets `lastTradeDateOrContractMonth` itself: @stoqey/ib's `Option` class keeps the
 * expiry behind a getter that a spread or structured clone drops (then TWS gets an empty expiry).
 */
export function ibOptionContract(o: OptionInstrument, exchange = 'SMART', currency = 'USD'): Contract {
  return {
    symbol: o.underlying,
    secType: SecType.OPT,
    lastTradeDateOrContractMonth: o.expiry.replace(/-/g, ''),
    strike: o.strike,
    right: o.right as Contract['right'],
    multiplier: o.multiplier,
    exchange,
    currency,
    tradingClass: o.root,
    localSymbol: occPadded(o),
  };
}

/**
 * The instrument of a contract TWS reports (openOrder, execDetails, position): shares for anything but
 * OPT; for OPT the padded OCC `localSymbol` when it parses, else the contract's own fields. Null for an
 * OPT contract that names no usable option (counted by the caller).
 */
export function instrumentOfContract(c: Contract | undefined): Instrument | null {
  const symbol = c?.symbol ?? '';
  if (!c || String(c.secType ?? '').toUpperCase() !== 'OPT') return { kind: 'equity', symbol };
  const multiplier = Number(c.multiplier) > 0 ? Number(c.multiplier) : 100;
  try {
    if (c.localSymbol) return parseOcc(c.localSymbol, symbol || undefined, multiplier);
  } catch (e) {
    if (!(e instanceof OccError)) throw e;
  }
  const ymd = String(c.lastTradeDateOrContractMonth ?? '');
  const right = String(c.right ?? '').toUpperCase().slice(0, 1) as Right;
  if (!/^\d{8}$/.test(ymd) || !symbol) return null;
  try {
    return option(symbol, `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`, right, Number(c.strike), { root: c.tradingClass || symbol, multiplier });
  } catch (e) {
    if (e instanceof OccError) return null;
    throw e;
  }
}
