import { OccError, parseOcc, type OptionInstrument } from '../../analytics/instrument.js';
import type { OptionSubscriptionRequest, OptionSubscriptionState } from '../../analytics/optionQuote.js';

/** What market-depth publishes about its option lines (`market:options:subscriptions`). */
export interface OptionLinesReport extends OptionSubscriptionState {
  /** Lines the underlyings' own streams hold (tick-by-tick trades and quotes, depth). */
  linesInUse: number;
  /** Lines left for options: lineLimit − linesInUse. */
  capacity: number;
  /** Contracts the venue refused (no security definition …), with the code. */
  refused: { occ: string; code: number }[];
  /** Cumulative: contracts dropped over the limit at a recomputation, and bad requests/symbols refused. */
  droppedTotal: number;
  badRequests: number;
  owners: Record<string, number>;
}

export interface OptionLinesPlan {
  /** Contracts to start streaming. */
  add: OptionInstrument[];
  /** OCC symbols to stop streaming. */
  remove: string[];
  /** Contracts newly dropped over the limit by this change. */
  newlyDropped: string[];
}

/**
 * Who wants which option contracts, and which of them fit in the venue's market-data lines (pure).
 *
 * Each owner's request replaces its previous set (a lost or repeated request never leaks a line). The
 * union is ranked by owner (`ownerPriority`: execution holds positions and working orders, signals only
 * candidates, so held > working > candidates), then by the owner's own order (most important first);
 * the first `capacity` distinct contracts are subscribed, the rest dropped and reported. A contract the
 * venue refused stays refused (and takes no line) until its owners stop asking for it; one refused for
 * lack of lines (IB 101) is dropped and asked for again at the next request of any owner.
 */
export class OptionSubscriptions {
  private readonly owners = new Map<string, OptionInstrument[]>();
  private subscribed = new Map<string, OptionInstrument>();
  private dropped: string[] = [];
  private readonly refused = new Map<string, number>();
  private droppedTotal = 0;
  private badRequests = 0;

  constructor(
    readonly lineLimit: number,
    private underlyingLinesInUse: number,
    private readonly ownerPriority: readonly string[],
  ) {}

  /** Lines the underlyings' streams hold now (the served symbols' in cluster mode). */
  get linesInUse(): number {
    return this.underlyingLinesInUse;
  }

  /**
   * The underlyings' streams changed (cluster mode: a symbol lease gained or lost moves its lines): the
   * capacity left for options is recomputed, so a lost symbol's lines go to dropped contracts and a gained
   * symbol's lines are taken from the lowest-ranked ones.
   */
  setLinesInUse(n: number): OptionLinesPlan {
    this.underlyingLinesInUse = n;
    return this.recompute();
  }

  get capacity(): number {
    return Math.max(0, this.lineLimit - this.linesInUse);
  }

  /**
   * Applies one owner's request. A malformed request (not an object, no owner, occs not an array) is
   * refused whole (null, counted); an unparseable OCC symbol inside a good request is skipped and counted.
   */
  request(req: unknown): OptionLinesPlan | null {
    const r = req as Partial<OptionSubscriptionRequest> | null;
    if (!r || typeof r !== 'object' || typeof r.owner !== 'string' || r.owner === '' || !Array.isArray(r.occs)) {
      this.badRequests++;
      return null;
    }
    const list: OptionInstrument[] = [];
    const seen = new Set<string>();
    for (const s of r.occs) {
      try {
        const o = parseOcc(String(s));
        if (!seen.has(o.occ)) list.push(o);
        seen.add(o.occ);
      } catch (e) {
        if (!(e instanceof OccError)) throw e;
        this.badRequests++;
      }
    }
    if (list.length === 0) this.owners.delete(r.owner);
    else this.owners.set(r.owner, list);
    // The venue's "lines full" (101) is retried at every new set: lines may have been freed since.
    for (const [k, code] of this.refused) if (code === 101) this.refused.delete(k);
    return this.recompute();
  }

  /** The venue refused a contract (e.g. error 200): its line is freed for the next one in rank. */
  refuse(occ: string, code: number): OptionLinesPlan {
    this.refused.set(occ, code);
    return this.recompute();
  }

  /** The venue said its line limit is reached for this contract (IB 101): it is dropped like one over the limit. */
  overLimit(occ: string): OptionLinesPlan {
    this.refused.set(occ, 101);
    return this.recompute();
  }

  /** Every contract subscribed now (for a new or resubscribed session). */
  current(): OptionInstrument[] {
    return [...this.subscribed.values()];
  }

  isSubscribed(occ: string): boolean {
    return this.subscribed.has(occ);
  }

  private ranked(): OptionInstrument[] {
    const rank = (owner: string) => {
      const i = this.ownerPriority.indexOf(owner);
      return i < 0 ? this.ownerPriority.length : i;
    };
    const names = [...this.owners.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    const out: OptionInstrument[] = [];
    const seen = new Set<string>();
    for (const n of names) {
      for (const o of this.owners.get(n)!) {
        if (seen.has(o.occ)) continue;
        seen.add(o.occ);
        out.push(o);
      }
    }
    return out;
  }

  private recompute(): OptionLinesPlan {
    const wanted = this.ranked();
    const wantedKeys = new Set(wanted.map((o) => o.occ));
    for (const occ of this.refused.keys()) if (!wantedKeys.has(occ)) this.refused.delete(occ);
    const next = new Map<string, OptionInstrument>();
    const dropped: string[] = [];
    const cap = this.capacity;
    for (const o of wanted) {
      if (this.refused.has(o.occ)) {
        if (this.refused.get(o.occ) === 101) dropped.push(o.occ);
        continue;
      }
      if (next.size < cap) next.set(o.occ, o);
      else dropped.push(o.occ);
    }
    const add = [...next.values()].filter((o) => !this.subscribed.has(o.occ));
    const remove = [...this.subscribed.keys()].filter((k) => !next.has(k));
    const before = new Set(this.dropped);
    const newlyDropped = dropped.filter((k) => !before.has(k));
    this.droppedTotal += newlyDropped.length;
    this.subscribed = next;
    this.dropped = dropped;
    return { add, remove, newlyDropped };
  }

  report(): OptionLinesReport {
    return {
      subscribed: [...this.subscribed.keys()],
      dropped: this.dropped.slice(),
      lineLimit: this.lineLimit,
      linesInUse: this.linesInUse,
      capacity: this.capacity,
      refused: [...this.refused].filter(([, code]) => code !== 101).map(([occ, code]) => ({ occ, code })),
      droppedTotal: this.droppedTotal,
      badRequests: this.badRequests,
      owners: Object.fromEntries([...this.owners].map(([k, v]) => [k, v.length])),
    };
  }
}

/**
 * Market-data lines the underlyings' own streams hold on the connection: tick-by-tick trades and quotes
 * per symbol (IB counts each against the lines) and one per Level 2 depth subscription (IB limits depth
 * separately; counted here too, to stay on the safe side). 5-second bars take no line.
 */
export function underlyingLines(symbols: readonly { level2: boolean }[]): number {
  return symbols.reduce((n, s) => n + 2 + (s.level2 ? 1 : 0), 0);
}
