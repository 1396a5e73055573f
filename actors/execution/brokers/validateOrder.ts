import type { BrokerOrder } from './types.js';

const SIDES = new Set(['buy', 'sell']);
const TYPES = new Set(['market', 'limit', 'stop', 'stop_limit', 'moc', 'loc']);
const TIFS = new Set(['day', 'ioc', 'gtc', 'opg', 'cls']);

/** Longest client order id every adapter accepts (Alpaca's limit; IBKR's orderRef is free text). */
export const MAX_CLIENT_ORDER_ID = 128;

function positive(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

/** Null when the order is well formed, else the reason (field named). Pure: no throw on any input. */
export function validateOrder(o: unknown): string | null {
  if (o === null || typeof o !== 'object') return 'order must be an object';
  const r = o as Partial<BrokerOrder>;
  if (typeof r.clientOrderId !== 'string' || r.clientOrderId.length === 0) return 'clientOrderId must be a non-empty string';
  if (r.clientOrderId.length > MAX_CLIENT_ORDER_ID) return `clientOrderId must be at most ${MAX_CLIENT_ORDER_ID} characters`;
  if (typeof r.symbol !== 'string' || !/^[A-Za-z][A-Za-z0-9.\-/ ]{0,20}$/.test(r.symbol)) return `symbol is invalid: ${JSON.stringify(r.symbol)}`;
  if (!SIDES.has(r.side as string)) return `side must be buy or sell, got ${JSON.stringify(r.side)}`;
  if (!positive(r.qty)) return `qty must be a positive finite number, got ${JSON.stringify(r.qty)}`;
  if (!TYPES.has(r.type as string)) return `type is invalid: ${JSON.stringify(r.type)}`;
  if (!TIFS.has(r.tif as string)) return `tif is invalid: ${JSON.stringify(r.tif)}`;
  const needsLimit = r.type === 'limit' || r.type === 'stop_limit' || r.type === 'loc';
  const needsStop = r.type === 'stop' || r.type === 'stop_limit';
  if (needsLimit && !positive(r.limitPrice)) return `limitPrice is required for ${r.type} orders`;
  if (needsStop && !positive(r.stopPrice)) return `stopPrice is required for ${r.type} orders`;
  if (r.limitPrice !== undefined && !positive(r.limitPrice)) return 'limitPrice must be a positive finite number';
  if (r.stopPrice !== undefined && !positive(r.stopPrice)) return 'stopPrice must be a positive finite number';
  return null;
}

/**
 * What IB and Alpaca (or their adapters) refuse in an option order before it is sent: the instrument's key must be the
 * symbol, quantity whole contracts, and no auction order types (MOC/LOC are stock mechanisms; options-trading.md §2.4).
 */
export function optionOrderProblem(o: BrokerOrder): string | null {
  const i = o.instrument;
  if (!i || i.kind !== 'option') return null;
  if (i.occ !== o.symbol) return `symbol ${JSON.stringify(o.symbol)} is not the option's OCC symbol ${i.occ}`;
  if (!Number.isInteger(o.qty)) return `option quantity must be whole contracts, got ${o.qty}`;
  if (o.type === 'moc' || o.type === 'loc') return `${o.type.toUpperCase()} is not valid for options`;
  if (o.tif === 'cls') return 'time in force cls (the closing auction) is not valid for options';
  return null;
}
