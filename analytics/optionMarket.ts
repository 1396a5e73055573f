/**
 * What an actor knows of option prices: the live quotes market-depth streams (topic `option-quotes`) and,
 * behind them, the latest validated Alpha Vantage chain (`options:{SYM}:chain` + `:greeks`, mirrored to
 * signals and execution by the supervisor). Pure cache, no I/O, keyed by the unpadded OCC symbol.
 *
 * A contract is priced from its live quote when one is fresh; only when none exists does the chain's row
 * stand in (bid/ask/sizes/greeks of the last poll), and every such use is counted (`chainFallbacks`), so a
 * run without a live venue still trades and says so.
 */
import type { ChainContract, ChainIndex } from './contractSelection.js';
import { occExpiryOk, occRootOk, occStrikeOk, occSymbol, parseOcc } from './instrument.js';
import type { OptionQuote } from './optionQuote.js';

/** A contract's quote as priced from: greeks per share (as the venue and the chain quote them), NaN when unknown. */
export interface ContractQuote extends Pick<OptionQuote, 'occ' | 'underlying' | 'bid' | 'ask' | 'bidSize' | 'askSize' | 'delta' | 'gamma' | 'vega' | 'theta'> {
  source: 'live' | 'chain';
  /** wall ms the figures arrived */
  wallMs: number;
}

/** A chain row with its OCC key (selection reads the ChainContract fields). */
export interface ChainRow extends ChainContract {
  occ: string;
  greeks: { delta: number; gamma: number; vega: number; theta: number };
}

/**
 * A chain held in columns (one typed array per field, one row per valid contract), not as the decoded rows.
 * The rows arrive as thousands of objects (~1.5 MB per underlying and poll) that lived until the next poll:
 * on the hot thread (signals) they were promoted and the old generation collected there every poll, ~8 ms
 * each (decision 137). Copied into columns as they arrive, the decoded objects die young.
 */
interface Chain {
  wallMs: number;
  n: number;
  /** each row's contract id, joined by '\n' (one string, not one per row): the greeks' join key */
  ids: string;
  expiries: string[];
  /** The columns below are reused from poll to poll (atLeast): only their first `n` rows are the chain's. */
  /** index into `expiries` */
  expiry: Uint16Array;
  /** 1 call, 0 put */
  call: Uint8Array;
  /** strike, bid, ask, bidSize, askSize, open interest: column c of row i at [i * CHAIN_COLS + c] */
  num: Float64Array;
  /** delta, gamma, vega, theta per row (NaN where the greeks lack the row) */
  greeks: Float64Array;
  /** the greeks key as it arrived (ids joined as above, values in id order, reused like the columns), joined to each chain */
  greekIds: string;
  greekVals: Float64Array;
  /** selection's rows per `${expiration}|${type}`, made on first use after an update */
  groups: Map<string, ChainRow[]>;
  /** every row (chain()), in the order of the groups' first rows */
  rows: ChainRow[] | null;
  listed: Set<string>;
}

const CHAIN_COLS = 6;
const GREEKS = 4;
const STRIKE = 0, BID = 1, ASK = 2, BID_SIZE = 3, ASK_SIZE = 4, OI = 5;
/** A live quote this much older than the newest quotes is dropped (at least 6 × maxQuoteAgeMs). */
const LIVE_KEPT_MS = 60_000;

const emptyChain = (wallMs: number): Chain => ({
  wallMs, n: 0, ids: '', expiries: [], expiry: new Uint16Array(0), call: new Uint8Array(0), num: new Float64Array(0),
  greeks: new Float64Array(0), greekIds: '', greekVals: new Float64Array(0), groups: new Map(), rows: null, listed: new Set(),
});

/**
 * `a` when it holds `n` elements, else a new array a quarter larger. A chain's columns are rewritten in place
 * at each poll: a new set per poll (~0.7 MB of typed arrays per underlying every 5 s, outside V8's heap and
 * freed only when a full collection finds them) left megabytes of dead buffers between collections.
 */
function atLeast<T extends Float64Array | Uint16Array | Uint8Array>(a: T, n: number): T {
  return a.length >= n ? a : (new (a.constructor as new (len: number) => T)(Math.ceil(n * 1.25)));
}

const CHAIN = /^options:\{([^}]+)\}:(chain|greeks)$/;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export type KeyResult = 'applied' | 'ignored' | { bad: string };

/**
 * A chain or greeks key parsed into columns: what `OptionMarket.applyColumns` installs. The supervisor parses
 * the mirrored key for the signals actor (decision 148), so the hot thread receives a few typed arrays instead
 * of decoding ~3,600 row objects (0.3–1.5 ms per key there, up to 10 ms).
 */
export type ChainColumns =
  | { kind: 'chain'; symbol: string; n: number; ids: string; expiries: string[]; expiry: Uint16Array; call: Uint8Array; num: Float64Array; badRows: number }
  | { kind: 'greeks'; symbol: string; ids: string; vals: Float64Array };

interface ParsedChain { n: number; ids: string; expiries: string[]; badRows: number }
interface ParsedGreeks { ids: string; vals: Float64Array; count: number }

/** The parsed columns of a chain or greeks key: 'ignored' for any other key, `{ bad }` for a value without contracts. */
export function chainColumns(key: string, value: unknown): ChainColumns | KeyResult {
  const m = CHAIN.exec(key);
  if (!m) return 'ignored';
  const v = contractsOf(value);
  if (!Array.isArray(v)) return v;
  const symbol = m[1]!;
  if (m[2] === 'greeks') {
    const g = parseGreeks(v, new Float64Array(0));
    return { kind: 'greeks', symbol, ids: g.ids, vals: g.vals.slice(0, g.count * GREEKS) };
  }
  const cols = { expiry: new Uint16Array(0), call: new Uint8Array(0), num: new Float64Array(0) };
  const p = parseChain(symbol, v, cols);
  return { kind: 'chain', symbol, ...p, expiry: cols.expiry.slice(0, p.n), call: cols.call.slice(0, p.n), num: cols.num.slice(0, p.n * CHAIN_COLS) };
}

/** A key's `contracts` array (the value may arrive as its JSON text), or why there is none. */
export function contractsOf(value: unknown): unknown[] | { bad: string } {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return { bad: 'not JSON' };
    }
  }
  return isObj(v) && Array.isArray(v.contracts) ? v.contracts : { bad: 'no contracts array' };
}

/** How many ids a joined id string holds (counted, not split: no string per row on the hot thread). */
function idCount(ids: string): number {
  if (ids === '') return 0;
  let n = 1;
  for (let i = ids.indexOf('\n'); i >= 0; i = ids.indexOf('\n', i + 1)) n++;
  return n;
}

/** Columns that hold together (lengths, types, ids per row): what came over the cold path is checked, not trusted. */
function columnsHold(x: ChainColumns): boolean {
  if (!isObj(x) || typeof x.symbol !== 'string' || typeof x.ids !== 'string') return false;
  if (x.kind === 'greeks') return x.vals instanceof Float64Array && x.vals.length === idCount(x.ids) * GREEKS;
  if (x.kind !== 'chain') return false;
  const n = x.n;
  return Number.isInteger(n) && n >= 0 && x.expiry instanceof Uint16Array && x.call instanceof Uint8Array && x.num instanceof Float64Array
    && x.expiry.length >= n && x.call.length >= n && x.num.length >= n * CHAIN_COLS && Number.isInteger(x.badRows) && x.badRows >= 0
    && Array.isArray(x.expiries) && x.expiries.every((e) => typeof e === 'string') && idCount(x.ids) === n
    && x.expiry.subarray(0, n).every((e) => e < x.expiries.length);
}

/**
 * The chain's valid rows into columns `into` (grown as needed, only the first `n` rows written): the checks
 * `occSymbol` makes, without building the key (the root checked once, each expiry once). An invalid row is
 * counted (`badRows`) and left out.
 */
function parseChain(sym: string, raw: unknown[], into: { expiry: Uint16Array; call: Uint8Array; num: Float64Array }): ParsedChain {
  const rootOk = occRootOk(sym);
  const expiryIdx = new Map<string, number>();
  const expiries: string[] = [];
  const ids: string[] = [];
  const expiry = (into.expiry = atLeast(into.expiry, raw.length));
  const call = (into.call = atLeast(into.call, raw.length));
  const cols = (into.num = atLeast(into.num, raw.length * CHAIN_COLS));
  let n = 0;
  let badRows = 0;
  for (const x of raw) {
    if (!isObj(x) || !validRow(x, rootOk, expiryIdx, expiries)) {
      badRows++;
      continue;
    }
    const id = String(x.id);
    if (id.includes('\n')) { // the join key's separator: such a row could not be told from two
      badRows++;
      continue;
    }
    ids.push(id);
    expiry[n] = expiryIdx.get(x.expiration as string)!;
    call[n] = x.type === 'call' ? 1 : 0;
    const o = n * CHAIN_COLS;
    cols[o + STRIKE] = num(x.strike);
    cols[o + BID] = num(x.bid);
    cols[o + ASK] = num(x.ask);
    cols[o + BID_SIZE] = num(x.bidSize);
    cols[o + ASK_SIZE] = num(x.askSize);
    cols[o + OI] = num(x.oi);
    n++;
  }
  return { n, ids: ids.join('\n'), expiries, badRows };
}

/** Whether a raw row names a contract (see `parseChain`); a new valid expiry is added to the chain's list. */
function validRow(x: Record<string, unknown>, rootOk: boolean, expiryIdx: Map<string, number>, expiries: string[]): boolean {
  const e = x.expiration;
  let ok = rootOk && (x.type === 'call' || x.type === 'put') && typeof e === 'string' && occStrikeOk(num(x.strike));
  if (ok) {
    const i = expiryIdx.get(e as string);
    if (i === undefined) {
      ok = occExpiryOk(e as string) && expiries.length < 0xffff;
      if (ok) {
        expiryIdx.set(e as string, expiries.length);
        expiries.push(e as string);
      } else expiryIdx.set(e as string, -1);
    } else ok = i >= 0;
  }
  return ok;
}

/** The greeks key's rows by id, into `vals` (grown as needed): delta, gamma, vega, theta per id. */
function parseGreeks(raw: unknown[], vals: Float64Array): ParsedGreeks {
  const ids: string[] = [];
  vals = atLeast(vals, raw.length * GREEKS);
  for (const g of raw) {
    if (!isObj(g)) continue;
    const id = String(g.id);
    if (id.includes('\n')) continue; // the join key's separator (no chain row has such an id either)
    const o = ids.length * GREEKS;
    ids.push(id);
    vals[o] = num(g.delta);
    vals[o + 1] = num(g.gamma);
    vals[o + 2] = num(g.vega);
    vals[o + 3] = num(g.theta);
  }
  return { ids: ids.join('\n'), vals, count: ids.length };
}

export class OptionMarket {
  private readonly chains = new Map<string, Chain>();
  private readonly live = new Map<string, ContractQuote>();
  readonly counters = { chainsApplied: 0, quotesApplied: 0, badQuotes: 0, badChainRows: 0, liveUsed: 0, chainFallbacks: 0, noQuote: 0 };

  constructor(private readonly opts: { chainFallback: boolean; maxQuoteAgeMs: number } = { chainFallback: true, maxQuoteAgeMs: 10_000 }) {}

  /** Whether `applyKey` reads this key (a chain or its greeks). */
  static readsKey(key: string): boolean {
    return CHAIN.test(key);
  }

  /** A mirrored publish: `options:{SYM}:chain` or `:greeks`; anything else is ignored. */
  applyKey(key: string, value: unknown, wallMs: number): KeyResult {
    const m = CHAIN.exec(key);
    if (!m) return 'ignored';
    const v = contractsOf(value);
    if (!Array.isArray(v)) return v;
    const sym = m[1]!;
    const c = this.chainOf(sym, wallMs);
    // parsed straight into the chain's own (reused) columns
    if (m[2] === 'chain') this.installChain(c, parseChain(sym, v, c), wallMs);
    else this.installGreeks(c, parseGreeks(v, c.greekVals));
    return 'applied';
  }

  /**
   * A chain or greeks key already parsed into columns (`chainColumns`, by the supervisor off the hot thread:
   * decision 148): the same state `applyKey` makes of the key. False when the columns do not hold together.
   */
  applyColumns(x: ChainColumns, wallMs: number): boolean {
    if (!columnsHold(x)) return false;
    const c = this.chainOf(x.symbol, wallMs);
    if (x.kind === 'chain') {
      c.expiry = atLeast(c.expiry, x.n);
      c.expiry.set(x.expiry.subarray(0, x.n));
      c.call = atLeast(c.call, x.n);
      c.call.set(x.call.subarray(0, x.n));
      c.num = atLeast(c.num, x.n * CHAIN_COLS);
      c.num.set(x.num.subarray(0, x.n * CHAIN_COLS));
      this.installChain(c, { n: x.n, ids: x.ids, expiries: x.expiries, badRows: x.badRows }, wallMs);
    } else {
      const len = x.vals.length;
      c.greekVals = atLeast(c.greekVals, len);
      c.greekVals.set(x.vals);
      this.installGreeks(c, { ids: x.ids, vals: c.greekVals, count: len / GREEKS });
    }
    return true;
  }

  private chainOf(sym: string, wallMs: number): Chain {
    let c = this.chains.get(sym);
    if (!c) this.chains.set(sym, (c = emptyChain(wallMs)));
    return c;
  }

  private installChain(c: Chain, p: ParsedChain, wallMs: number): void {
    c.n = p.n;
    c.ids = p.ids;
    c.expiries = p.expiries;
    c.listed = new Set(p.expiries);
    c.wallMs = wallMs;
    this.counters.badChainRows += p.badRows;
    this.counters.chainsApplied++;
    this.joined(c);
  }

  private installGreeks(c: Chain, g: ParsedGreeks): void {
    c.greekVals = g.vals;
    c.greekIds = g.ids;
    this.joined(c);
  }

  private joined(c: Chain): void {
    this.joinGreeks(c);
    c.groups.clear();
    c.rows = null;
  }

  /**
   * Each chain row's greeks from the greeks key, by contract id. The options actor publishes both keys in
   * the same order, so the ids usually match as a whole (one string compare); otherwise a map of the
   * greeks' ids, made here and dropped.
   */
  private joinGreeks(c: Chain): void {
    const len = c.n * GREEKS;
    const g = (c.greeks = atLeast(c.greeks, len)).fill(NaN, 0, len);
    if (c.greekIds.length > 0 && c.n > 0) {
      if (c.greekIds === c.ids) g.set(c.greekVals.subarray(0, len));
      else {
        const at = new Map<string, number>();
        c.greekIds.split('\n').forEach((id, i) => at.set(id, i));
        const ids = c.ids.split('\n');
        for (let i = 0; i < c.n; i++) {
          const j = at.get(ids[i]!);
          if (j !== undefined) g.set(c.greekVals.subarray(j * GREEKS, j * GREEKS + GREEKS), i * GREEKS);
        }
      }
    }
  }

  /** Live quotes (topic `option-quotes`); malformed ones are counted and skipped. */
  applyQuotes(qs: unknown, wallMs: number): number {
    if (!Array.isArray(qs)) {
      this.counters.badQuotes++;
      return 0;
    }
    this.sweepLive(wallMs);
    let n = 0;
    for (const q of qs as OptionQuote[]) {
      if (!q || typeof q.occ !== 'string' || !(q.bid >= 0) || !(q.ask >= q.bid) || !Number.isFinite(q.ask)) {
        this.counters.badQuotes++;
        continue;
      }
      this.live.set(q.occ, {
        occ: q.occ, underlying: String(q.underlying), bid: q.bid, ask: q.ask, bidSize: num(q.bidSize), askSize: num(q.askSize),
        delta: num(q.delta), gamma: num(q.gamma), vega: num(q.vega), theta: num(q.theta), source: 'live', wallMs,
      });
      n++;
    }
    this.counters.quotesApplied += n;
    return n;
  }

  /** Contracts with a live quote kept (fresh or not yet swept). */
  get liveQuotes(): number {
    return this.live.size;
  }

  private nextSweepMs = -Infinity;

  /**
   * Forgets quotes far past use (a stale quote never prices: see liveQuote). Without it every contract ever
   * quoted stayed, and the contracts quoted change every day (new expiries, new candidates).
   */
  private sweepLive(wallMs: number): void {
    if (wallMs < this.nextSweepMs) return;
    const keep = Math.max(LIVE_KEPT_MS, 6 * this.opts.maxQuoteAgeMs);
    this.nextSweepMs = wallMs + keep;
    for (const [occ, q] of this.live) if (wallMs - q.wallMs > keep) this.live.delete(occ);
  }

  private static rowOf(sym: string, c: Chain, i: number): ChainRow {
    const o = i * CHAIN_COLS;
    const g = i * GREEKS;
    const expiration = c.expiries[c.expiry[i]!]!;
    const strike = c.num[o + STRIKE]!;
    const call = c.call[i] === 1;
    return {
      occ: occSymbol(sym, expiration, call ? 'C' : 'P', strike), expiration, strike, type: call ? 'call' : 'put',
      bid: c.num[o + BID]!, ask: c.num[o + ASK]!, bidSize: c.num[o + BID_SIZE]!, askSize: c.num[o + ASK_SIZE]!, openInterest: c.num[o + OI]!,
      greeks: { delta: c.greeks[g]!, gamma: c.greeks[g + 1]!, vega: c.greeks[g + 2]!, theta: c.greeks[g + 3]! },
    };
  }

  /** The rows of one expiry and type, made on first use after an update (a signal reads one of dozens). */
  private groupRows(sym: string, c: Chain, expiration: string, type: 'call' | 'put'): ChainRow[] {
    const k = `${expiration}|${type}`;
    let rows = c.groups.get(k);
    if (!rows) {
      rows = [];
      const e = c.expiries.indexOf(expiration);
      const call = type === 'call' ? 1 : 0;
      if (e >= 0) for (let i = 0; i < c.n; i++) if (c.expiry[i] === e && c.call[i] === call) rows.push(OptionMarket.rowOf(sym, c, i));
      c.groups.set(k, rows);
    }
    return rows;
  }

  /** Every row of the chain: each group built, in the order of the groups' first rows (the rows selection's index shares). */
  private rowsOf(sym: string): ChainRow[] {
    const c = this.chains.get(sym);
    if (!c) return [];
    if (!c.rows) {
      const rows: ChainRow[] = [];
      const seen = new Set<number>();
      for (let i = 0; i < c.n; i++) {
        const k = c.expiry[i]! * 2 + c.call[i]!;
        if (seen.has(k)) continue;
        seen.add(k);
        for (const r of this.groupRows(sym, c, c.expiries[c.expiry[i]!]!, c.call[i] ? 'call' : 'put')) rows.push(r);
      }
      c.rows = rows;
    }
    return c.rows;
  }

  /** A contract's chain row: only its expiry and right's group is built, not the chain. */
  private chainRow(sym: string, occ: string): ChainRow | undefined {
    const c = this.chains.get(sym);
    if (!c) return undefined;
    let expiry: string;
    let right: string;
    try {
      ({ expiry, right } = parseOcc(occ));
    } catch {
      return undefined;
    }
    return this.groupRows(sym, c, expiry, right === 'C' ? 'call' : 'put').find((r) => r.occ === occ);
  }

  /** Wall ms the underlying's chain arrived, or null. */
  chainAge(sym: string, wallMs: number): number | null {
    const c = this.chains.get(sym);
    return c ? wallMs - c.wallMs : null;
  }

  /** A fresh live quote only. */
  liveQuote(occ: string, wallMs: number): ContractQuote | null {
    const q = this.live.get(occ);
    return q && wallMs - q.wallMs <= this.opts.maxQuoteAgeMs ? q : null;
  }

  /**
   * The contract's quote: live when fresh, else (chainFallback) the chain row, counted; null when neither.
   * `count` false: a look that must not move the counters (display).
   */
  quote(occ: string, underlying: string, wallMs: number, count = true): ContractQuote | null {
    const q = this.liveQuote(occ, wallMs);
    if (q) {
      if (count) this.counters.liveUsed++;
      return q;
    }
    const r = this.opts.chainFallback ? this.chainRow(underlying, occ) : undefined;
    if (!r) {
      if (count) this.counters.noQuote++;
      return null;
    }
    if (count) this.counters.chainFallbacks++;
    return {
      occ, underlying, bid: r.bid, ask: r.ask, bidSize: r.bidSize, askSize: r.askSize,
      delta: r.greeks.delta, gamma: r.greeks.gamma, vega: r.greeks.vega, theta: r.greeks.theta, source: 'chain', wallMs: this.chains.get(underlying)!.wallMs,
    };
  }

  /**
   * The underlying's whole chain, each row refined by its live quote when one is fresh (bid, ask, sizes, and
   * the venue's delta when it has one). Empty when there is no chain. Selection reads `chainIndex` (the same
   * rows, indexed); this form is what the index is checked against.
   */
  chain(sym: string, wallMs: number): ChainRow[] {
    const rows = this.rowsOf(sym);
    if (this.live.size === 0) return rows;
    return rows.map((r) => this.refined(r, wallMs));
  }

  /** A row with its fresh live quote's bid, ask, sizes and delta (the venue's when it has one); else the row. */
  private refined(r: ChainRow, wallMs: number): ChainRow {
    const q = this.liveQuote(r.occ, wallMs);
    if (!q) return r;
    return { ...r, bid: q.bid, ask: q.ask, bidSize: q.bidSize, askSize: q.askSize, greeks: { ...r.greeks, delta: Number.isFinite(q.delta) ? q.delta : r.greeks.delta } };
  }

  /**
   * The same chain as `chain()`, indexed for selection: the listed expiries, and the rows of one expiry and
   * type refined by their live quotes when asked for (only those rows: not the whole chain per signal).
   */
  chainIndex(sym: string, wallMs: number): ChainIndex {
    const c = this.chains.get(sym);
    return {
      listed: c?.listed ?? new Set<string>(),
      rows: (expiry, type) => {
        if (!c) return [];
        const rows = this.groupRows(sym, c, expiry, type);
        return this.live.size === 0 ? rows : rows.map((r) => this.refined(r, wallMs));
      },
    };
  }

  /** Whether a live quote (fresh) backs this contract. */
  hasLive(occ: string, wallMs: number): boolean {
    return this.liveQuote(occ, wallMs) !== null;
  }
}
