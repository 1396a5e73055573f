/**
 * The simulated option chain: strikes around spot, an IV surface with put skew and an upward term
 * structure, BSM marks and greeks from that IV, quotes around the mark, open interest that peaks near
 * the money and at round strikes, and volume with occasional unusual spikes. Values that a real chain
 * holds fixed through a day (open interest, which contracts spike) are keyed on the quote date; quote
 * noise is keyed on the minute, so a chain moves with time and spot but two identical requests agree.
 */

import { listExpiries, type Expiry } from './expiries.js';
import { priceAndGreeks } from './pricer.js';
import { gaussian, hash32, keyedRandom } from './random.js';

const YEAR_MS = 365 * 86_400_000;
const DAY_MS = 86_400_000;

export type OptionType = 'call' | 'put';

export interface SimContract {
  contractID: string;
  symbol: string;
  expiration: string;
  strike: number;
  type: OptionType;
  last: number;
  mark: number;
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
  volume: number;
  openInterest: number;
  date: string;
  iv: number;
  delta: number;
  gamma: number;
  /** Per calendar day. */
  theta: number;
  /** Per vol point (σ + 0.01). */
  vega: number;
  /** Per percentage point of r. */
  rho: number;
}

export interface ChainParams {
  symbol: string;
  spot: number;
  nowMs: number;
  seed: number;
  r: number;
  q: number;
  /** Whether the underlying lists daily expiries. */
  daily: boolean;
  /** ISO date printed in each contract's `date` field. */
  quoteDate: string;
  /** Share of the day's volume already traded, (0, 1]. */
  sessionFraction: number;
}

interface SymbolProfile {
  atmVol: number;
  oiBase: number;
}

const KNOWN_PROFILES: Record<string, SymbolProfile> = {
  SPY: { atmVol: 0.15, oiBase: 40_000 },
  QQQ: { atmVol: 0.19, oiBase: 25_000 },
  IWM: { atmVol: 0.22, oiBase: 15_000 },
};

function profile(symbol: string, seed: number): SymbolProfile {
  const known = KNOWN_PROFILES[symbol];
  if (known) return known;
  const u = hash32(seed, `profile|${symbol}`) / 4294967296;
  return { atmVol: 0.22 + 0.25 * u, oiBase: 6_000 + Math.round(6_000 * u) };
}

/** Strikes in cents: ±15% of spot, $5 apart (for spot ≥ 100) with $1 strikes within ±5% on near expiries. */
export function strikeGridCents(spot: number, daysToExpiry: number): number[] {
  const lo = Math.ceil(spot * 0.85 * 100);
  const hi = Math.floor(spot * 1.15 * 100);
  const out = new Set<number>();
  const add = (step: number, from: number, to: number): void => {
    for (let k = Math.ceil(from / step) * step; k <= to; k += step) if (k > 0) out.add(k);
  };
  if (spot < 25) add(50, lo, hi);
  else if (spot < 100) add(100, lo, hi);
  else {
    add(500, lo, hi);
    if (daysToExpiry <= 21) add(100, Math.ceil(spot * 0.95 * 100), Math.floor(spot * 1.05 * 100));
  }
  return [...out].sort((a, b) => a - b);
}

/** OCC/OSI option symbol: root, YYMMDD, C/P, strike × 1000 in eight digits. */
export function occContractId(symbol: string, expiryIso: string, type: OptionType, strikeCents: number): string {
  const yymmdd = expiryIso.slice(2, 4) + expiryIso.slice(5, 7) + expiryIso.slice(8, 10);
  return `${symbol}${yymmdd}${type === 'call' ? 'C' : 'P'}${String(strikeCents * 10).padStart(8, '0')}`;
}

/** ATM vol rises from 90% of the base at the front to ~105% by three months (calm-market contango). */
function atmVolAt(base: number, T: number): number {
  return base * (0.9 + 0.15 * (1 - Math.exp(-T / 0.12)));
}

/**
 * Smile in standardised moneyness m = ln(K/F)/(σ_atm√T), clamped to ±4: a negative slope makes
 * low strikes (where the puts are out of the money) richer than equally distant high strikes, and the
 * convexity lifts both wings. A call and a put at one strike share one vol, so the chain obeys
 * European put–call parity (up to cent rounding) and the spot it implies is the spot it was built on.
 */
export function surfaceVol(base: number, S: number, K: number, T: number, r: number, q: number): number {
  const atm = atmVolAt(base, T);
  const F = S * Math.exp((r - q) * T);
  const m = Math.max(-4, Math.min(4, Math.log(K / F) / (atm * Math.sqrt(T))));
  return Math.max(0.03, Math.min(3, atm * (1 - 0.09 * m + 0.025 * m * m)));
}

function roundCents(x: number): number {
  return Math.round(x * 100);
}

export function buildChain(p: ChainParams): SimContract[] {
  const prof = profile(p.symbol, p.seed);
  const minute = Math.floor(p.nowMs / 60_000);
  const out: SimContract[] = [];
  for (const exp of listExpiries(p.nowMs, { daily: p.daily })) {
    const T = Math.max((exp.expiryMs - p.nowMs) / YEAR_MS, 1 / (365 * 24 * 60));
    const days = (exp.expiryMs - p.nowMs) / DAY_MS;
    for (const strikeCents of strikeGridCents(p.spot, days)) {
      for (const type of ['call', 'put'] as const) out.push(buildContract(p, prof, exp, T, days, strikeCents, type, minute));
    }
  }
  return out;
}

/**
 * One contract of the chain `buildChain(p)` would list, with the same numbers (the TWS simulator quotes
 * option contracts from here, so its live quotes and the Alpha Vantage chain agree); undefined when the
 * chain does not list that expiry or strike.
 */
export function quoteContract(p: ChainParams, expiryIso: string, type: OptionType, strike: number): SimContract | undefined {
  const exp = listExpiries(p.nowMs, { daily: p.daily }).find((e) => e.iso === expiryIso);
  if (!exp) return undefined;
  const days = (exp.expiryMs - p.nowMs) / DAY_MS;
  const strikeCents = Math.round(strike * 100);
  if (Math.abs(strikeCents - strike * 100) > 1e-6 || !strikeGridCents(p.spot, days).includes(strikeCents)) return undefined;
  const T = Math.max((exp.expiryMs - p.nowMs) / YEAR_MS, 1 / (365 * 24 * 60));
  return buildContract(p, profile(p.symbol, p.seed), exp, T, days, strikeCents, type, Math.floor(p.nowMs / 60_000));
}

function buildContract(
  p: ChainParams,
  prof: SymbolProfile,
  exp: Expiry,
  T: number,
  days: number,
  strikeCents: number,
  type: OptionType,
  minute: number,
): SimContract {
  const K = strikeCents / 100;
  const contractID = occContractId(p.symbol, exp.iso, type, strikeCents);
  const perDay = keyedRandom(p.seed, `${p.quoteDate}|${contractID}`);
  const perMinute = keyedRandom(p.seed, `${minute}|${contractID}`);
  // Vol noise is per strike, not per contract, so the call and the put keep parity.
  const strikeNoise = gaussian(keyedRandom(p.seed, `${minute}|${p.symbol}|${exp.iso}|${strikeCents}`));

  const iv = Math.max(0.03, surfaceVol(prof.atmVol, p.spot, K, T, p.r, p.q) + 0.0015 * strikeNoise);
  const g = priceAndGreeks(type === 'call', p.spot, K, T, p.r, p.q, iv);

  // Quotes in integer cents: the spread widens with premium and with time to expiry.
  const markCents = Math.max(0, roundCents(g.price));
  const spreadCents = Math.max(1, Math.min(200, Math.round((1 + 0.4 * g.price) * (1 + days / 60))));
  let bidCents = Math.max(0, markCents - Math.ceil(spreadCents / 2));
  let askCents = Math.max(bidCents + 1, markCents + Math.floor(spreadCents / 2) + (spreadCents % 2));
  if (markCents === 0) {
    bidCents = 0;
    askCents = 1;
  }
  const midCents = Math.round((bidCents + askCents) / 2);

  // Open interest: near the money, round strikes, monthlies and near expiries hold more; OTM puts more than OTM calls.
  const lnK = Math.log(K / p.spot);
  const nearness = Math.exp(-0.5 * (lnK / 0.06) ** 2);
  const roundness = strikeCents % 5000 === 0 ? 3 : strikeCents % 1000 === 0 ? 2 : strikeCents % 500 === 0 ? 1.4 : 1;
  const otmPut = type === 'put' && K < p.spot ? 1.3 : 1;
  const expiryWeight = (exp.monthly ? 2.5 : 1) / (1 + days / 20);
  let openInterest = Math.floor(prof.oiBase * (nearness + 0.03) * roundness * otmPut * expiryWeight * (0.6 + 0.8 * perDay()));

  const turnover = (0.08 + 0.5 * nearness) * (days < 2 ? 3 : 1) * (0.3 + 0.9 * perDay());
  let volume = Math.floor(openInterest * turnover * p.sessionFraction);
  // About one contract in a hundred trades an unusual block: volume well over twice open interest.
  if (perDay() < 0.01) {
    openInterest = Math.max(openInterest, 20);
    volume = Math.ceil(openInterest * (2.5 + 4 * perDay()));
  }
  const lastCents = volume > 0 ? bidCents + Math.floor(perMinute() * (askCents - bidCents + 1)) : 0;

  return {
    contractID,
    symbol: p.symbol,
    expiration: exp.iso,
    strike: K,
    type,
    last: lastCents / 100,
    mark: midCents / 100,
    bid: bidCents / 100,
    bidSize: 1 + Math.floor(perMinute() * 400),
    ask: askCents / 100,
    askSize: 1 + Math.floor(perMinute() * 400),
    volume,
    openInterest,
    date: p.quoteDate,
    iv,
    delta: g.delta,
    gamma: g.gamma,
    theta: g.theta / 365,
    vega: g.vega / 100,
    rho: g.rho / 100,
  };
}

/** The wire form: every value a string, keys in Alpha Vantage's order, greeks only when asked for. */
export function toWire(c: SimContract, withGreeks: boolean): Record<string, string> {
  const row: Record<string, string> = {
    contractID: c.contractID,
    symbol: c.symbol,
    expiration: c.expiration,
    strike: c.strike.toFixed(2),
    type: c.type,
    last: c.last.toFixed(2),
    mark: c.mark.toFixed(2),
    bid: c.bid.toFixed(2),
    bid_size: String(c.bidSize),
    ask: c.ask.toFixed(2),
    ask_size: String(c.askSize),
    volume: String(c.volume),
    open_interest: String(c.openInterest),
    date: c.date,
  };
  if (withGreeks) {
    row.implied_volatility = c.iv.toFixed(5);
    row.delta = c.delta.toFixed(5);
    row.gamma = c.gamma.toFixed(5);
    row.theta = c.theta.toFixed(5);
    row.vega = c.vega.toFixed(5);
    row.rho = c.rho.toFixed(5);
  }
  return row;
}

/** Alpha Vantage's historical order: expiration, then strike, then calls before puts. */
export function compareContracts(a: SimContract, b: SimContract): number {
  if (a.expiration !== b.expiration) return a.expiration < b.expiration ? -1 : 1;
  if (a.strike !== b.strike) return a.strike - b.strike;
  return a.type === b.type ? 0 : a.type === 'call' ? -1 : 1;
}
