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

interface Chain {
  wallMs: number;
  raw: Record<string, unknown>[];
  greeks: Map<string, Record<string, unknown>>;
  /** every row (chain()): the buckets' groups, all built, on first use after an update */
  rows: ChainRow[] | null;
  /** selection's index (chainIndex), built on first use after an update: see Buckets */
  buckets: Buckets | null;
}

/**
 * The chain's valid rows grouped by `${expiration}|${type}` (one pass: no row objects, no OCC keys; an
 * expiry checked once), and the rows of a group made only when selection asks for that group. A signal
 * reads one expiry and right of a chain of thousands of rows: building every row after each update
 * (~3–4 ms on the hot thread for 3,600 contracts) was most of the index's cost (decision 130).
 */
interface Buckets {
  listed: Set<string>;
  raw: Map<string, Record<string, unknown>[]>;
  rows: Map<string, ChainRow[]>;
}

const CHAIN = /^options:\{([^}]+)\}:(chain|greeks)$/;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export type KeyResult = 'applied' | 'ignored' | { bad: string };

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
    let v = value;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        return { bad: 'not JSON' };
      }
    }
    if (!isObj(v) || !Array.isArray(v.contracts)) return { bad: 'no contracts array' };
    const sym = m[1]!;
    let c = this.chains.get(sym);
    if (!c) this.chains.set(sym, (c = { wallMs, raw: [], greeks: new Map(), rows: null, buckets: null }));
    if (m[2] === 'chain') {
      c.raw = v.contracts.filter(isObj);
      c.wallMs = wallMs;
      this.counters.chainsApplied++;
    } else {
      c.greeks = new Map(v.contracts.filter(isObj).map((g) => [String(g.id), g]));
    }
    c.rows = null;
    c.buckets = null;
    return 'applied';
  }

  /** Live quotes (topic `option-quotes`); malformed ones are counted and skipped. */
  applyQuotes(qs: unknown, wallMs: number): number {
    if (!Array.isArray(qs)) {
      this.counters.badQuotes++;
      return 0;
    }
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

  /**
   * Whether a raw row names a contract: the checks `occSymbol` makes, without building the key (the root
   * checked once per pass, each expiry once, in `expiries`). Only the buckets' pass asks (once per update).
   */
  private valid(x: Record<string, unknown>, rootOk: boolean, expiries: Map<string, boolean>): boolean {
    const e = x.expiration;
    let ok = rootOk && (x.type === 'call' || x.type === 'put') && typeof e === 'string' && occStrikeOk(num(x.strike));
    if (ok) {
      let eOk = expiries.get(e as string);
      if (eOk === undefined) expiries.set(e as string, (eOk = occExpiryOk(e as string)));
      ok = eOk;
    }
    if (!ok) this.counters.badChainRows++;
    return ok;
  }

  /** A valid raw row's OCC key (see `valid`). */
  private static occOf(sym: string, x: Record<string, unknown>): string {
    return occSymbol(sym, x.expiration as string, x.type === 'call' ? 'C' : 'P', num(x.strike));
  }

  private rowOf(c: Chain, x: Record<string, unknown>, occ: string): ChainRow {
    const g = c.greeks.get(String(x.id));
    return {
      occ, expiration: x.expiration as string, strike: num(x.strike), type: x.type as 'call' | 'put', bid: num(x.bid), ask: num(x.ask), bidSize: num(x.bidSize), askSize: num(x.askSize),
      openInterest: num(x.oi), greeks: { delta: num(g?.delta), gamma: num(g?.gamma), vega: num(g?.vega), theta: num(g?.theta) },
    };
  }

  /** Every row of the chain: each group of the buckets built (the rows selection's index shares). */
  private rowsOf(sym: string): ChainRow[] {
    const cb = this.bucketsOf(sym);
    if (!cb) return [];
    if (!cb.c.rows) {
      const rows: ChainRow[] = [];
      for (const k of cb.b.raw.keys()) for (const r of this.groupRows(cb, k)) rows.push(r);
      cb.c.rows = rows;
    }
    return cb.c.rows;
  }

  /** A contract's chain row: only its expiry and right's group is built, not the chain. */
  private chainRow(sym: string, occ: string): ChainRow | undefined {
    const cb = this.bucketsOf(sym);
    if (!cb) return undefined;
    let expiry: string;
    let right: string;
    try {
      ({ expiry, right } = parseOcc(occ));
    } catch {
      return undefined;
    }
    return this.groupRows(cb, `${expiry}|${right === 'C' ? 'call' : 'put'}`).find((r) => r.occ === occ);
  }

  private bucketsOf(sym: string): { sym: string; c: Chain; b: Buckets } | undefined {
    const c = this.chains.get(sym);
    if (!c) return undefined;
    if (c.buckets) return { sym, c, b: c.buckets };
    const b: Buckets = { listed: new Set(), raw: new Map(), rows: new Map() };
    const rootOk = occRootOk(sym);
    const expiries = new Map<string, boolean>();
    for (const x of c.raw) {
      if (!this.valid(x, rootOk, expiries)) continue;
      const e = x.expiration as string;
      b.listed.add(e);
      const k = `${e}|${x.type as string}`;
      const list = b.raw.get(k);
      if (list) list.push(x);
      else b.raw.set(k, [x]);
    }
    c.buckets = b;
    return { sym, c, b };
  }

  /** The rows of one `${expiration}|${type}` group, made on first use after an update. */
  private groupRows(cb: { sym: string; c: Chain; b: Buckets }, k: string): ChainRow[] {
    let rows = cb.b.rows.get(k);
    if (!rows) {
      rows = (cb.b.raw.get(k) ?? []).map((x) => this.rowOf(cb.c, x, OptionMarket.occOf(cb.sym, x)));
      cb.b.rows.set(k, rows);
    }
    return rows;
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
    const cb = this.bucketsOf(sym);
    return {
      listed: cb?.b.listed ?? new Set<string>(),
      rows: (expiry, type) => {
        if (!cb) return [];
        const rows = this.groupRows(cb, `${expiry}|${type}`);
        return this.live.size === 0 ? rows : rows.map((r) => this.refined(r, wallMs));
      },
    };
  }

  /** Whether a live quote (fresh) backs this contract. */
  hasLive(occ: string, wallMs: number): boolean {
    return this.liveQuote(occ, wallMs) !== null;
  }
}
