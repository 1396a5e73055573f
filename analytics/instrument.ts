/**
 * What an order, a fill or a position is in: the underlying's shares or one option contract. One model
 * end to end (journal, brokers, positions, dashboard), identified by a string key: the symbol for shares,
 * the unpadded OCC symbol for an option (Alpaca's form; IB's `localSymbol` is the padded one).
 *
 * OCC/OSI: root (≤ 6), YYMMDD, C|P, strike × 1000 in 8 digits. `SPY261207C00590000` = SPY 2026-12-07 590 call.
 */

export type Right = 'C' | 'P';

export interface Equity {
  kind: 'equity';
  symbol: string;
}

export interface OptionInstrument {
  kind: 'option';
  /** The underlying (IB `symbol`, Alpaca `underlying_symbol`). */
  underlying: string;
  /** The OCC root (IB `tradingClass`, Alpaca `root_symbol`): the underlying unless a corporate action adjusted it. */
  root: string;
  /** Expiry, `YYYY-MM-DD` (New York date of the last trading day). */
  expiry: string;
  right: Right;
  strike: number;
  /** Shares per contract: premium × multiplier is the cash of one contract. */
  multiplier: number;
  /** Unpadded OCC symbol: the instrument's key. */
  occ: string;
}

export type Instrument = Equity | OptionInstrument;

export class OccError extends Error {
  override readonly name = 'OccError';
}

const UNPADDED = /^([A-Z0-9]{1,6})(\d{2})(\d{2})(\d{2})([CP])(\d{8})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const equity = (symbol: string): Equity => ({ kind: 'equity', symbol });

/** An option instrument; throws OccError on a field the OCC symbol cannot carry. */
export function option(underlying: string, expiry: string, right: Right, strike: number, opts: { root?: string; multiplier?: number } = {}): OptionInstrument {
  const root = opts.root ?? underlying;
  const occ = occSymbol(root, expiry, right, strike);
  return { kind: 'option', underlying, root, expiry, right, strike, multiplier: opts.multiplier ?? 100, occ };
}

/** Whether an OCC symbol can carry this root (1–6 capitals or digits). */
export const occRootOk = (root: string): boolean => /^[A-Z0-9]{1,6}$/.test(root);

/** Whether an OCC symbol can carry this expiry (YYYY-MM-DD in 2000–2099). */
export function occExpiryOk(expiry: string): boolean {
  const d = DATE.exec(expiry);
  return d !== null && Number(d[1]) >= 2000 && Number(d[1]) <= 2099;
}

/** Whether an OCC symbol can carry this strike (positive, below 100000, in thousandths). */
export function occStrikeOk(strike: number): boolean {
  const milli = Math.round(strike * 1000);
  return strike > 0 && milli <= 99_999_999 && Math.abs(milli - strike * 1000) <= 1e-6;
}

/** Unpadded OCC symbol (Alpaca's `symbol`). */
export function occSymbol(root: string, expiry: string, right: Right, strike: number): string {
  if (!occRootOk(root)) throw new OccError(`OCC root must be 1–6 capitals or digits, got "${root}"`);
  if (!occExpiryOk(expiry)) throw new OccError(`expiry must be YYYY-MM-DD in 2000–2099, got "${expiry}"`);
  if (right !== 'C' && right !== 'P') throw new OccError(`right must be C or P, got "${right}"`);
  if (!occStrikeOk(strike)) throw new OccError(`strike must be positive, below 100000, in thousandths; got ${strike}`);
  return `${root}${expiry.slice(2, 4)}${expiry.slice(5, 7)}${expiry.slice(8, 10)}${right}${String(Math.round(strike * 1000)).padStart(8, '0')}`;
}

/** Padded OCC symbol (IB's `localSymbol`): the root space-padded to six characters. */
export function occPadded(o: OptionInstrument): string {
  return o.root.padEnd(6, ' ') + o.occ.slice(o.root.length);
}

/**
 * Parses an OCC symbol, unpadded or padded; the underlying is taken to be the root unless given (an
 * adjusted root such as `XYZ1` has another underlying). Throws OccError on anything else.
 */
export function parseOcc(s: string, underlying?: string, multiplier = 100): OptionInstrument {
  const compact = s.length === 21 ? s.slice(0, 6).trimEnd() + s.slice(6) : s;
  const m = UNPADDED.exec(compact);
  if (!m) throw new OccError(`not an OCC option symbol: "${s}"`);
  const expiry = `20${m[2]}-${m[3]}-${m[4]}`;
  const month = Number(m[3]);
  const day = Number(m[4]);
  if (month < 1 || month > 12 || day < 1 || day > 31) throw new OccError(`not an OCC option symbol (bad date): "${s}"`);
  const strike = Number(m[6]) / 1000;
  if (!(strike > 0)) throw new OccError(`not an OCC option symbol (zero strike): "${s}"`);
  return { kind: 'option', underlying: underlying ?? m[1]!, root: m[1]!, expiry, right: m[5] as Right, strike, multiplier, occ: compact };
}

/** The instrument's key: the symbol for shares, the unpadded OCC symbol for an option. */
export const instrumentKey = (i: Instrument): string => (i.kind === 'equity' ? i.symbol : i.occ);

/** The symbol whose market drives it (an option's underlying). */
export const underlyingOf = (i: Instrument): string => (i.kind === 'equity' ? i.symbol : i.underlying);

/** Cash per unit of price per unit of quantity: 1 for shares, the multiplier for an option. */
export const multiplierOf = (i: Instrument): number => (i.kind === 'equity' ? 1 : i.multiplier);

/** A readable name for people: "SPY", "SPY 07 Dec 26 590 C". */
export function describe(i: Instrument): string {
  if (i.kind === 'equity') return i.symbol;
  const [y, mo, d] = i.expiry.split('-');
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][Number(mo) - 1];
  return `${i.underlying} ${d} ${month} ${y!.slice(2)} ${i.strike} ${i.right}`;
}
