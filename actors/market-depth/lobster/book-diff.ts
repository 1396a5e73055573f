/**
 * The fewest IB position-indexed depth operations that turn one side of a book into another.
 *
 * Model: a side is a list of rows (price, size). Operations, each costing 1:
 *   insert at p (rows p.. shift down), update at p (replaces price AND size), delete at p
 *   (rows p+1.. shift up).
 * Since update may replace the price as well as the size, this is exactly the unit-cost edit
 * distance (Levenshtein) between the two row lists where two rows are "equal" only when both price
 * and size agree: a kept row costs 0, an update costs 1 whether it changes the size, the price or
 * both, an unmatched old row is a delete and an unmatched new row an insert. (Wagner–Fischer: any
 * op sequence induces an alignment, a "trace", that costs no more than the sequence, so the
 * cheapest alignment is the minimum.) Aligning on price alone with size changes as updates is NOT
 * minimal: old [(1,a)] → new [(2,b)] is one update, not a delete plus an insert; and when a new
 * level enters at the last row of a full side, updating that row in place beats insert + delete.
 *
 * Among the minimum-count sequences we prefer, second, the fewest updates that change a price, so
 * a level keeps its row when its price survives (a size change at one level is one size update,
 * never a chain of price rewrites); ties after that are broken deterministically (keep/update, then
 * delete, then insert). Both criteria go into one integer cost, `ops × K + priceChanges`, with
 * K larger than any possible count of price changes.
 *
 * The common prefix and suffix of equal rows are stripped first (matching an equal pair never hurts
 * either criterion), so a typical one-level change costs a scan, not a DP.
 *
 * Emission order keeps the side within max(old length, new length) rows at every step, so a book
 * of exactly LEVELS rows never truncates (IB books drop the bottom row on an insert into a full
 * side; relying on that would make the sequence wrong for a deeper book):
 *   1. deletes, bottom-up, at their old index (rows above are untouched);
 *   2. inserts, top-down, at their new index (everything above is already in place, in count);
 *   3. updates at their new index.
 * tests/lobster/book-diff.test.ts checks the count against a breadth-first search over all
 * operation sequences on small books.
 */

export const OP_INSERT = 0;
export const OP_UPDATE = 1;
export const OP_DELETE = 2;

/** A reusable, pre-allocated list of depth operations (struct of arrays). */
export class OpList {
  count = 0;
  readonly position: Int32Array;
  readonly operation: Uint8Array;
  readonly side: Uint8Array;
  readonly price: Float64Array;
  readonly size: Float64Array;

  constructor(readonly capacity: number) {
    this.position = new Int32Array(capacity);
    this.operation = new Uint8Array(capacity);
    this.side = new Uint8Array(capacity);
    this.price = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
  }

  clear(): void {
    this.count = 0;
  }

  push(position: number, operation: number, side: number, price: number, size: number): void {
    const i = this.count;
    if (i >= this.capacity) throw new RangeError(`OpList capacity ${this.capacity} exceeded`);
    this.position[i] = position;
    this.operation[i] = operation;
    this.side[i] = side;
    this.price[i] = price;
    this.size[i] = size;
    this.count = i + 1;
  }
}

/** Anything indexable by row; typed arrays in the hot path, plain arrays in tests. */
export type Rows = ArrayLike<number>;

// Back-pointer codes of the DP.
const STEP_MATCH = 0; // keep or update a_i → b_j
const STEP_DELETE = 1;
const STEP_INSERT = 2;

/**
 * Minimal-op differ for sides of up to `capacity` rows. All scratch memory is allocated once;
 * `diff` allocates nothing.
 */
export class SideDiff {
  private readonly w: number; // DP row stride
  private readonly cost: Int32Array;
  private readonly step: Uint8Array;
  private readonly dels: Int32Array;
  private readonly insB: Int32Array;
  private readonly updB: Int32Array;
  private readonly k: number;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`SideDiff capacity must be a positive integer, got ${capacity}`);
    this.w = capacity + 1;
    this.cost = new Int32Array(this.w * this.w);
    this.step = new Uint8Array(this.w * this.w);
    this.dels = new Int32Array(capacity);
    this.insB = new Int32Array(capacity);
    this.updB = new Int32Array(capacity);
    this.k = capacity + 1;
  }

  /**
   * Appends to `out` the operations turning rows a[0..n) into b[0..m) on `side`. Prices are
   * emitted divided by `priceDivisor` (LOBSTER's ×10000 integers → dollars); equality is tested
   * on the raw values. Returns the number of operations appended.
   */
  diff(
    side: number,
    aPx: Rows, aSz: Rows, n: number,
    bPx: Rows, bSz: Rows, m: number,
    out: OpList,
    priceDivisor = 1,
  ): number {
    if (n > this.capacity || m > this.capacity) throw new RangeError(`side longer than capacity ${this.capacity}`);
    let pre = 0;
    const lim = n < m ? n : m;
    while (pre < lim && aPx[pre] === bPx[pre] && aSz[pre] === bSz[pre]) pre++;
    let suf = 0;
    while (suf < lim - pre && aPx[n - 1 - suf] === bPx[m - 1 - suf] && aSz[n - 1 - suf] === bSz[m - 1 - suf]) suf++;
    const na = n - pre - suf;
    const nb = m - pre - suf;
    if (na === 0 && nb === 0) return 0;

    // Suffix DP: cost[i][j] = cheapest way to turn a'[i..] into b'[j..].
    const W = this.w;
    const K = this.k;
    const cost = this.cost;
    const step = this.step;
    for (let j = nb; j >= 0; j--) {
      cost[na * W + j] = (nb - j) * K;
      step[na * W + j] = STEP_INSERT;
    }
    for (let i = na - 1; i >= 0; i--) {
      const ai = pre + i;
      const pA = aPx[ai]!;
      const sA = aSz[ai]!;
      cost[i * W + nb] = (na - i) * K;
      step[i * W + nb] = STEP_DELETE;
      for (let j = nb - 1; j >= 0; j--) {
        const pB = bPx[pre + j]!;
        const c = pA === pB ? (sA === bSz[pre + j] ? 0 : K) : K + 1;
        let best = c + cost[(i + 1) * W + j + 1]!;
        let s = STEP_MATCH;
        const del = K + cost[(i + 1) * W + j]!;
        if (del < best) {
          best = del;
          s = STEP_DELETE;
        }
        const ins = K + cost[i * W + j + 1]!;
        if (ins < best) {
          best = ins;
          s = STEP_INSERT;
        }
        cost[i * W + j] = best;
        step[i * W + j] = s;
      }
    }

    // Walk the chosen alignment, collecting deletes (old index), inserts and updates (new index).
    let nd = 0;
    let ni = 0;
    let nu = 0;
    let i = 0;
    let j = 0;
    while (i < na || j < nb) {
      const s = step[i * W + j]!;
      if (s === STEP_MATCH) {
        if (aPx[pre + i] !== bPx[pre + j] || aSz[pre + i] !== bSz[pre + j]) this.updB[nu++] = pre + j;
        i++;
        j++;
      } else if (s === STEP_DELETE) {
        this.dels[nd++] = pre + i;
        i++;
      } else {
        this.insB[ni++] = pre + j;
        j++;
      }
    }
    for (let d = nd - 1; d >= 0; d--) {
      // A delete carries the price of the row it removes and size 0 (the level is gone); books ignore both.
      const p = this.dels[d]!;
      out.push(p, OP_DELETE, side, aPx[p]! / priceDivisor, 0);
    }
    for (let x = 0; x < ni; x++) {
      const p = this.insB[x]!;
      out.push(p, OP_INSERT, side, bPx[p]! / priceDivisor, bSz[p]!);
    }
    for (let x = 0; x < nu; x++) {
      const p = this.updB[x]!;
      out.push(p, OP_UPDATE, side, bPx[p]! / priceDivisor, bSz[p]!);
    }
    return nd + ni + nu;
  }
}
