/**
 * Turns a raw REALTIME_OPTIONS payload into contracts the engine can trust, and sets aside (with a
 * reason) every contract it cannot: nothing downstream ever sees a half-parsed row.
 *
 * Checks, in order: an object; string fields present; a known type; strict numbers (strings or
 * numbers, no blanks, no NaN/Infinity; sizes, volume and open interest integers); strike > 0; prices,
 * sizes and volume ≥ 0; open interest ≥ 0; bid ≤ ask; a real, unexpired expiry; no duplicate id;
 * 0 < IV < 5 (solved from the mark when the API sent none). Greeks are recomputed locally (BSM with the
 * configured r and q; T to 16:00 New York on the expiry date) for every contract, and used in place of
 * Alpha Vantage's when those are missing, unparseable or impossible.
 *
 * Spot: the chain does not carry the underlying's price. It comes from `opts.spot` when the caller
 * knows it, else it is implied by put–call parity from the chain itself (median over expiries of
 * S = (C − P + K·e^{−rT})·e^{qT} at each expiry's strike where |C − P| is smallest).
 */

import { bsmGreeks, emptyGreeks, impliedVol, type Greeks } from '../../analytics/greeks.js';
import { expiryInstantMs, yearFraction } from './expiryTime.js';
import type { ContractGreeks, OptionContract, OptionType } from './types.js';

export type QuarantineReason =
  | 'not_an_object'
  | 'missing_field'
  | 'wrong_symbol'
  | 'unknown_type'
  | 'bad_number'
  | 'bad_strike'
  | 'negative_price'
  | 'negative_size'
  | 'negative_volume'
  | 'negative_open_interest'
  | 'crossed_quote'
  | 'bad_expiry'
  | 'expired'
  | 'duplicate'
  | 'iv_out_of_range'
  | 'iv_unsolvable'
  | 'no_spot';

export interface QuarantinedContract {
  contract: unknown;
  reason: QuarantineReason;
  detail: string;
}

export interface ChainCounts {
  total: number;
  good: number;
  quarantined: number;
  byReason: Partial<Record<QuarantineReason, number>>;
  /** Contracts whose greeks in force are the local ones (API greeks missing or invalid). */
  greeksRecomputed: number;
  /** Contracts whose IV was solved locally from the mark. */
  ivSolved: number;
  /** Contracts where Alpha Vantage's delta differs from the local one by more than 0.05. */
  greeksMismatched: number;
}

export interface ValidatedChain {
  good: OptionContract[];
  quarantined: QuarantinedContract[];
  counts: ChainCounts;
  spot: number | null;
  spotSource: 'given' | 'parity' | 'none';
}

export interface ValidateOptions {
  /** Continuous risk-free rate. Default 0.045. */
  rate?: number;
  /** Continuous dividend yield. Default 0. */
  dividendYield?: number;
  /** Underlying price, when known; otherwise implied by put–call parity. */
  spot?: number;
  /** When given, contracts for any other underlying are quarantined. */
  symbol?: string;
}

export const DEFAULT_RATE = 0.045;
const IV_MAX = 5;
const DELTA_MISMATCH = 0.05;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

class Reject extends Error {
  constructor(
    readonly reason: QuarantineReason,
    detail: string,
  ) {
    super(detail);
  }
}

/** A finite number from a JSON number or a plain decimal string; undefined otherwise. */
export function parseNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (!NUMBER.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

function num(row: Record<string, unknown>, field: string): number {
  const n = parseNumber(row[field]);
  if (n === undefined) throw new Reject('bad_number', `${field} is not a number: ${JSON.stringify(row[field])}`);
  return n;
}

function int(row: Record<string, unknown>, field: string): number {
  const n = num(row, field);
  if (!Number.isInteger(n)) throw new Reject('bad_number', `${field} is not an integer: ${JSON.stringify(row[field])}`);
  return n;
}

function str(row: Record<string, unknown>, field: string): string {
  const v = row[field];
  if (typeof v !== 'string' || v.length === 0) throw new Reject('missing_field', `${field} missing`);
  return v;
}

/** Optional numeric field: undefined when absent, NaN when present but unparseable. */
function optional(row: Record<string, unknown>, field: string): number | undefined {
  if (!(field in row)) return undefined;
  return parseNumber(row[field]) ?? Number.NaN;
}

function vendorUnits(g: Greeks): ContractGreeks {
  return { delta: g.delta, gamma: g.gamma, theta: g.thetaDay, vega: g.vegaPt, rho: g.rhoPt };
}

function plausible(g: ContractGreeks, type: OptionType): boolean {
  const finite = Number.isFinite(g.delta) && Number.isFinite(g.gamma) && Number.isFinite(g.theta) && Number.isFinite(g.vega) && Number.isFinite(g.rho);
  if (!finite) return false;
  const deltaOk = type === 'call' ? g.delta >= -1e-9 && g.delta <= 1 + 1e-9 : g.delta >= -1 - 1e-9 && g.delta <= 1e-9;
  return deltaOk && g.gamma >= 0 && g.vega >= 0;
}

interface Parsed {
  row: Record<string, unknown>;
  contractId: string;
  symbol: string;
  expiration: string;
  type: OptionType;
  strike: number;
  last: number;
  mark: number;
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
  volume: number;
  openInterest: number;
  date: string;
  expiryMs: number;
  T: number;
}

function parseRow(raw: unknown, nowMs: number, symbol: string | undefined): Parsed {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Reject('not_an_object', 'contract is not an object');
  const row = raw as Record<string, unknown>;
  const contractId = str(row, 'contractID');
  const sym = str(row, 'symbol');
  if (symbol !== undefined && sym !== symbol) throw new Reject('wrong_symbol', `symbol ${sym} in a ${symbol} chain`);
  const expiration = str(row, 'expiration');
  const typeRaw = str(row, 'type');
  if (typeRaw !== 'call' && typeRaw !== 'put') throw new Reject('unknown_type', `type ${JSON.stringify(typeRaw)}`);
  const p: Parsed = {
    row,
    contractId,
    symbol: sym,
    expiration,
    type: typeRaw,
    strike: num(row, 'strike'),
    last: num(row, 'last'),
    mark: num(row, 'mark'),
    bid: num(row, 'bid'),
    bidSize: int(row, 'bid_size'),
    ask: num(row, 'ask'),
    askSize: int(row, 'ask_size'),
    volume: int(row, 'volume'),
    openInterest: int(row, 'open_interest'),
    date: typeof row.date === 'string' ? row.date : '',
    expiryMs: 0,
    T: 0,
  };
  if (!(p.strike > 0)) throw new Reject('bad_strike', `strike ${p.strike}`);
  if (p.last < 0 || p.mark < 0 || p.bid < 0 || p.ask < 0) throw new Reject('negative_price', `last/mark/bid/ask ${p.last}/${p.mark}/${p.bid}/${p.ask}`);
  if (p.bidSize < 0 || p.askSize < 0) throw new Reject('negative_size', `bid_size/ask_size ${p.bidSize}/${p.askSize}`);
  if (p.volume < 0) throw new Reject('negative_volume', `volume ${p.volume}`);
  if (p.openInterest < 0) throw new Reject('negative_open_interest', `open_interest ${p.openInterest}`);
  if (p.bid > p.ask) throw new Reject('crossed_quote', `bid ${p.bid} > ask ${p.ask}`);
  const expiryMs = expiryInstantMs(expiration);
  if (expiryMs === null) throw new Reject('bad_expiry', `expiration ${JSON.stringify(expiration)}`);
  if (expiryMs <= nowMs) throw new Reject('expired', `expired ${expiration} 16:00 New York`);
  p.expiryMs = expiryMs;
  p.T = yearFraction(nowMs, expiryMs);
  return p;
}

/** Put–call parity spot: per expiry, the strike with the smallest |C − P| (both quoted); median across expiries. */
function impliedSpotFromParity(rows: readonly Parsed[], r: number, q: number): number | null {
  const byExpiry = new Map<string, Map<number, { call?: Parsed; put?: Parsed }>>();
  for (const p of rows) {
    let strikes = byExpiry.get(p.expiration);
    if (!strikes) byExpiry.set(p.expiration, (strikes = new Map()));
    let pair = strikes.get(p.strike);
    if (!pair) strikes.set(p.strike, (pair = {}));
    pair[p.type] = p;
  }
  const estimates: number[] = [];
  for (const strikes of byExpiry.values()) {
    let best: { diff: number; spot: number } | undefined;
    for (const [K, { call, put }] of strikes) {
      if (!call || !put || !(call.ask > 0) || !(put.ask > 0)) continue;
      const c = (call.bid + call.ask) / 2;
      const pv = (put.bid + put.ask) / 2;
      const diff = Math.abs(c - pv);
      if (best && diff >= best.diff) continue;
      const spot = (c - pv + K * Math.exp(-r * call.T)) * Math.exp(q * call.T);
      if (spot > 0) best = { diff, spot };
    }
    if (best) estimates.push(best.spot);
  }
  if (estimates.length === 0) return null;
  estimates.sort((a, b) => a - b);
  const mid = estimates.length >> 1;
  return estimates.length % 2 ? estimates[mid]! : (estimates[mid - 1]! + estimates[mid]!) / 2;
}

/** Accepts the whole REALTIME_OPTIONS body or its `data` array. */
export function validateChain(raw: unknown, nowMs: number, opts: ValidateOptions = {}): ValidatedChain {
  const r = opts.rate ?? DEFAULT_RATE;
  const q = opts.dividendYield ?? 0;
  const rows: unknown[] = Array.isArray(raw)
    ? raw
    : raw !== null && typeof raw === 'object' && Array.isArray((raw as { data?: unknown }).data)
      ? (raw as { data: unknown[] }).data
      : [];
  const counts: ChainCounts = { total: rows.length, good: 0, quarantined: 0, byReason: {}, greeksRecomputed: 0, ivSolved: 0, greeksMismatched: 0 };
  const quarantined: QuarantinedContract[] = [];
  const quarantine = (contract: unknown, reason: QuarantineReason, detail: string): void => {
    quarantined.push({ contract, reason, detail });
    counts.byReason[reason] = (counts.byReason[reason] ?? 0) + 1;
  };

  const parsed: Parsed[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    try {
      const p = parseRow(row, nowMs, opts.symbol);
      if (seen.has(p.contractId)) throw new Reject('duplicate', `duplicate contractID ${p.contractId}`);
      seen.add(p.contractId);
      parsed.push(p);
    } catch (err) {
      if (!(err instanceof Reject)) throw err;
      quarantine(row, err.reason, err.message);
    }
  }

  let spot: number | null = null;
  let spotSource: ValidatedChain['spotSource'] = 'none';
  if (opts.spot !== undefined && Number.isFinite(opts.spot) && opts.spot > 0) {
    spot = opts.spot;
    spotSource = 'given';
  } else {
    spot = impliedSpotFromParity(parsed, r, q);
    if (spot !== null) spotSource = 'parity';
  }

  const good: OptionContract[] = [];
  const scratch = emptyGreeks();
  for (const p of parsed) {
    if (spot === null) {
      quarantine(p.row, 'no_spot', 'no underlying price given and none implied by put–call parity');
      continue;
    }
    const isCall = p.type === 'call';
    let iv = optional(p.row, 'implied_volatility');
    let ivSource: OptionContract['ivSource'] = 'api';
    if (iv === undefined) {
      const price = p.mark > 0 ? p.mark : (p.bid + p.ask) / 2;
      const solved = impliedVol(isCall, spot, p.strike, p.T, r, q, price);
      if (solved === null) {
        quarantine(p.row, 'iv_unsolvable', `no IV sent and mark ${price} carries none (outside the no-arbitrage band, or vega negligible against it; spot ${spot.toFixed(4)})`);
        continue;
      }
      iv = solved;
      ivSource = 'local';
    }
    if (Number.isNaN(iv)) {
      quarantine(p.row, 'bad_number', `implied_volatility is not a number: ${JSON.stringify(p.row.implied_volatility)}`);
      continue;
    }
    if (!(iv > 0 && iv < IV_MAX)) {
      quarantine(p.row, 'iv_out_of_range', `implied volatility ${JSON.stringify(p.row.implied_volatility ?? iv)}`);
      continue;
    }
    if (ivSource === 'local') counts.ivSolved++;

    const greeksLocal = vendorUnits(bsmGreeks(isCall, spot, p.strike, p.T, r, q, iv, scratch));
    const api: ContractGreeks | undefined =
      'delta' in p.row
        ? {
            delta: optional(p.row, 'delta') ?? Number.NaN,
            gamma: optional(p.row, 'gamma') ?? Number.NaN,
            theta: optional(p.row, 'theta') ?? Number.NaN,
            vega: optional(p.row, 'vega') ?? Number.NaN,
            rho: optional(p.row, 'rho') ?? Number.NaN,
          }
        : undefined;
    const apiUsable = api !== undefined && plausible(api, p.type);
    if (!apiUsable) counts.greeksRecomputed++;
    else if (Math.abs(api.delta - greeksLocal.delta) > DELTA_MISMATCH) counts.greeksMismatched++;

    good.push({
      contractId: p.contractId,
      symbol: p.symbol,
      expiration: p.expiration,
      strike: p.strike,
      type: p.type,
      last: p.last,
      mark: p.mark,
      bid: p.bid,
      bidSize: p.bidSize,
      ask: p.ask,
      askSize: p.askSize,
      volume: p.volume,
      openInterest: p.openInterest,
      date: p.date,
      iv,
      ivSource,
      expiryMs: p.expiryMs,
      T: p.T,
      greeks: apiUsable ? api : greeksLocal,
      greeksSource: apiUsable ? 'api' : 'local',
      greeksLocal,
    });
  }
  counts.good = good.length;
  counts.quarantined = quarantined.length;
  return { good, quarantined, counts, spot, spotSource };
}
