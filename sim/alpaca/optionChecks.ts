/**
 * What the Alpaca simulator refuses in a single-leg option order (options-trading.md §3.2–3.4), apart from
 * the order fields every order shares. Pure: the account is asked through `OptionAccount`.
 *
 * Alpaca publishes few exact reject texts for options. The covered-call text and its extra keys, and the
 * replace conflict "insufficient qty available for order", are real outputs; the rest are this fake's
 * wording (unverified), with the doc's codes: 422 40010001 for input errors, 403 40310000 for buying power,
 * level and position checks.
 */
import { OccError, parseOcc, type OptionInstrument } from '../../analytics/instrument.js';
import type { ApiFailure } from './AlpacaExchange.js';
import { dec } from './format.js';

const OCC = /^[A-Z0-9]{1,6}\d{6}[CP]\d{8}$/;
const cache = new Map<string, OptionInstrument | null>();

/** The option instrument an unpadded OCC symbol names, or undefined for anything else (shares). */
export function optionOf(symbol: string): OptionInstrument | undefined {
  let v = cache.get(symbol);
  if (v === undefined) {
    v = null;
    if (OCC.test(symbol)) {
      try {
        v = parseOcc(symbol);
      } catch (err) {
        if (!(err instanceof OccError)) throw err;
      }
    }
    if (cache.size > 100_000) cache.clear(); // bounded: symbols come from clients
    cache.set(symbol, v);
  }
  return v ?? undefined;
}

export interface OptionAccount {
  /** options_trading_level */
  level: number;
  /** Signed contracts (or shares) held. */
  position(symbol: string): number;
  /** Quantity already committed to open orders that reduce the position. */
  held(symbol: string, positionQty: number): number;
  optionsBuyingPower(): number;
  /** Shares of the underlying not yet covering a short call nor committed to an open sell. */
  sharesFree(underlying: string): number;
  underlyingAssetId(underlying: string): string;
}

export interface OptionOrderInput {
  body: Record<string, unknown>;
  option: OptionInstrument;
  side: 'buy' | 'sell';
  type: string;
  tif: string;
  qty: number | undefined;
  notional: number | undefined;
  /** As sent, or inferred from the position when omitted. */
  intent: string;
  /** A position close (DELETE /v2/positions/{OCC}): only the quantity check applies. */
  closing: boolean;
  /** The option market quotes the contract (it is listed and not expired). */
  listed: boolean;
  limitPrice: number | undefined;
}

const INTENTS = new Set(['buy_to_open', 'buy_to_close', 'sell_to_open', 'sell_to_close']);
const input = (message: string): ApiFailure => ({ status: 422, code: 40010001, message });
const refused = (message: string, extra?: Record<string, unknown>): ApiFailure => ({ status: 403, code: 40310000, message, ...(extra ? { extra } : {}) });

export function optionOrderProblem(x: OptionOrderInput, acct: OptionAccount): ApiFailure | null {
  const { option, side, qty, intent } = x;
  if (x.notional !== undefined) return input('notional orders are not supported for options trading');
  if (qty === undefined || !Number.isInteger(qty)) return input('qty must be a whole number of contracts for options trading');
  if (x.type !== 'market' && x.type !== 'limit') return input(`order type ${x.type} is not supported for options trading (market and limit only)`);
  if (x.tif !== 'day') return input('order_time_in_force provided not supported for options trading');
  if (x.body.extended_hours === true || x.body.extended_hours === 'true') return input('extended hours orders are not supported for options trading');
  if (!INTENTS.has(intent)) return input(`invalid position_intent: ${JSON.stringify(intent)}`);
  if (!intent.startsWith(side)) return input(`position_intent ${intent} does not match side ${side}`);
  if (!x.listed) return input(`asset "${option.occ}" not found`);
  const pos = acct.position(option.occ);
  if (intent.endsWith('_to_close')) {
    const closes = side === 'sell' ? pos > 0 : pos < 0;
    const available = closes ? Math.abs(pos) - acct.held(option.occ, pos) : 0;
    if (qty > available + 1e-9) return refused(`insufficient qty available for order (requested: ${dec(qty)}, available: ${dec(Math.max(0, available))})`);
    return null;
  }
  if (x.closing) return null;
  if (acct.level < 1) return refused('account is not approved for options trading');
  if (intent === 'buy_to_open') {
    if (acct.level < 2) return refused(`options trading level ${acct.level} does not permit buying options (level 2 required)`);
    return null; // premium against options buying power: checked with the price, as for every buy
  }
  // sell_to_open: covered calls and cash-secured puts only; a naked short is never allowed below level 4.
  if (option.right === 'C') {
    const required = qty * option.multiplier;
    const available = Math.max(0, acct.sharesFree(option.underlying));
    if (required > available + 1e-9) {
      return refused(`insufficient underlying qty available for covered call (required: ${dec(required)}, available: ${dec(available)})`, {
        available_qty: dec(available), required_qty: dec(required), symbol: option.occ, underlying_asset_id: acct.underlyingAssetId(option.underlying),
      });
    }
    return null;
  }
  const required = qty * option.strike * option.multiplier;
  const available = acct.optionsBuyingPower();
  if (required > available + 1e-9) return refused(`insufficient options buying power for cash-secured put (required: ${dec(required, 2)}, available: ${dec(available, 2)})`);
  return null;
}
