import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../analytics/order-book.js';
import { OP_DELETE, OP_INSERT, OP_UPDATE, OpList, SideDiff } from '../../actors/market-depth/lobster/book-diff.js';
import { mulberry32 as prng } from '../helpers/prng.js';

type Row = [price: number, size: number];

function runDiff(a: Row[], b: Row[], side = 0): OpList {
  const cap = Math.max(a.length, b.length, 1);
  const d = new SideDiff(cap);
  const out = new OpList(4 * cap);
  d.diff(side, a.map((r) => r[0]), a.map((r) => r[1]), a.length, b.map((r) => r[0]), b.map((r) => r[1]), b.length, out);
  return out;
}

/**
 * Reference: breadth-first search over every sequence of list operations (insert any symbol at any
 * position, update any row to any symbol, delete any row), from both ends at once (the move
 * relation is symmetric: insert ↔ delete, update ↔ update). The alphabet is the rows occurring in
 * a or b: any other symbol can be renamed to one of them without changing what the sequence does to
 * the rows that end up in b, so it can never shorten a sequence.
 */
function bruteForceDistance(a: Row[], b: Row[]): number {
  const syms: string[] = [];
  const id = new Map<string, number>();
  const enc = (rows: Row[]): string =>
    rows
      .map((r) => {
        const k = `${r[0]}:${r[1]}`;
        if (!id.has(k)) {
          id.set(k, syms.length);
          syms.push(k);
        }
        return String.fromCharCode(97 + id.get(k)!);
      })
      .join('');
  const start = enc(a);
  const goal = enc(b);
  if (start === goal) return 0;
  const alphabet = syms.map((_, i) => String.fromCharCode(97 + i));
  const neighbours = (s: string): string[] => {
    const out: string[] = [];
    for (let p = 0; p <= s.length; p++) for (const c of alphabet) out.push(s.slice(0, p) + c + s.slice(p));
    for (let p = 0; p < s.length; p++) {
      for (const c of alphabet) if (c !== s[p]) out.push(s.slice(0, p) + c + s.slice(p + 1));
      out.push(s.slice(0, p) + s.slice(p + 1));
    }
    return out;
  };
  let fa = new Set([start]);
  let fb = new Set([goal]);
  const seenA = new Set([start]);
  const seenB = new Set([goal]);
  let da = 0;
  let db = 0;
  for (;;) {
    // Expand the smaller frontier by one level.
    const expandA = fa.size <= fb.size;
    const front = expandA ? fa : fb;
    const seen = expandA ? seenA : seenB;
    const other = expandA ? seenB : seenA;
    const next = new Set<string>();
    for (const s of front) {
      for (const t of neighbours(s)) {
        if (other.has(t)) return da + db + 1;
        if (!seen.has(t)) {
          seen.add(t);
          next.add(t);
        }
      }
    }
    if (expandA) {
      fa = next;
      da++;
    } else {
      fb = next;
      db++;
    }
  }
}

/** Applies ops with plain-array list semantics; also tracks the longest intermediate length. */
function applyNaive(a: Row[], ops: OpList): { rows: Row[]; maxLen: number } {
  const rows = a.map((r) => [r[0], r[1]] as Row);
  let maxLen = rows.length;
  for (let i = 0; i < ops.count; i++) {
    const p = ops.position[i]!;
    const op = ops.operation[i]!;
    if (op === OP_INSERT) {
      if (p > rows.length) throw new Error(`insert at ${p} beyond length ${rows.length}`);
      rows.splice(p, 0, [ops.price[i]!, ops.size[i]!]);
    } else if (op === OP_UPDATE) {
      if (p >= rows.length) throw new Error(`update at ${p} beyond length ${rows.length}`);
      rows[p] = [ops.price[i]!, ops.size[i]!];
    } else if (op === OP_DELETE) {
      if (p >= rows.length) throw new Error(`delete at ${p} beyond length ${rows.length}`);
      rows.splice(p, 1);
    } else {
      throw new Error(`bad op ${op}`);
    }
    maxLen = Math.max(maxLen, rows.length);
  }
  return { rows, maxLen };
}

/** The engine's OrderBook sized to the larger of the two rows: no op may be ignored or truncate. */
function applyOrderBook(a: Row[], b: Row[], ops: OpList, side: number): void {
  const cap = Math.max(a.length, b.length, 1);
  const ob = new OrderBook(cap);
  a.forEach((r, i) => expect(ob.apply(i, OP_INSERT, side, r[0], r[1])).toBeNull());
  for (let i = 0; i < ops.count; i++) {
    expect(ob.apply(ops.position[i]!, ops.operation[i]!, ops.side[i]!, ops.price[i]!, ops.size[i]!)).toBeNull();
  }
  expect(ob.truncatedRows).toBe(0);
  const json = ob.toJSON();
  expect(side === 0 ? json.asks : json.bids).toEqual(b);
}

function check(a: Row[], b: Row[], side = 0): number {
  const ops = runDiff(a, b, side);
  const { rows, maxLen } = applyNaive(a, ops);
  expect(rows).toEqual(b);
  expect(maxLen).toBeLessThanOrEqual(Math.max(a.length, b.length));
  applyOrderBook(a, b, ops, side);
  const best = bruteForceDistance(a, b);
  expect(ops.count, `ops for ${JSON.stringify(a)} → ${JSON.stringify(b)}`).toBe(best);
  return best;
}

describe('SideDiff: minimal IB operation sequences', () => {
  it('uses update-in-place when the price changes (price-only alignment would need two ops)', () => {
    const ops = runDiff([[100, 5]], [[101, 7]]);
    expect(ops.count).toBe(1);
    expect([ops.operation[0], ops.position[0], ops.price[0], ops.size[0]]).toEqual([OP_UPDATE, 0, 101, 7]);
    // A full side where the new level lands on the last row: one update, not insert + delete.
    const a: Row[] = [[1, 1], [2, 1], [3, 1]];
    const full = runDiff(a, [[1, 1], [2, 1], [4, 9]]);
    expect(full.count).toBe(1);
    expect(full.operation[0]).toBe(OP_UPDATE);
  });

  it('keeps a level on its row when only its size changes', () => {
    const ops = runDiff([[1, 1], [2, 2], [3, 3]], [[1, 1], [2, 7], [3, 3]]);
    expect(ops.count).toBe(1);
    expect([ops.operation[0], ops.position[0], ops.price[0], ops.size[0]]).toEqual([OP_UPDATE, 1, 2, 7]);
  });

  it('prefers insert + delete over rewriting prices when both take two ops', () => {
    // new level at the top of a full side, the bottom one falls out
    const ops = runDiff([[2, 1], [3, 1]], [[1, 1], [2, 1]]);
    expect(ops.count).toBe(2);
    expect([ops.operation[0], ops.position[0], ops.operation[1], ops.position[1]]).toEqual([OP_DELETE, 1, OP_INSERT, 0]);
  });

  it('a delete carries the removed row’s price and size 0; prices are divided by the divisor', () => {
    const d = new SideDiff(2);
    const out = new OpList(8);
    d.diff(1, [5853300, 5853200], [10, 20], 2, [5853200], [20], 1, out, 10_000);
    expect(out.count).toBe(1);
    expect([out.operation[0], out.position[0], out.side[0], out.price[0], out.size[0]]).toEqual([OP_DELETE, 0, 1, 585.33, 0]);
  });

  it('empty ↔ full sides: only inserts top-down / deletes bottom-up', () => {
    const rows: Row[] = [[1, 1], [2, 2], [3, 3]];
    const ins = runDiff([], rows);
    expect(Array.from(ins.operation.subarray(0, ins.count))).toEqual([0, 0, 0]);
    expect(Array.from(ins.position.subarray(0, ins.count))).toEqual([0, 1, 2]);
    const del = runDiff(rows, []);
    expect(Array.from(del.operation.subarray(0, del.count))).toEqual([2, 2, 2]);
    expect(Array.from(del.position.subarray(0, del.count))).toEqual([2, 1, 0]);
    expect(runDiff(rows, rows).count).toBe(0);
  });

  it('matches breadth-first search on every pair of lists of length ≤ 3 over 3 rows', () => {
    const symbols: Row[] = [[1, 1], [1, 2], [2, 1]]; // same price with two sizes, and another price
    const lists: Row[][] = [[]];
    for (let len = 1; len <= 3; len++) {
      for (const l of lists.filter((x) => x.length === len - 1)) for (const s of symbols) lists.push([...l, s]);
    }
    expect(lists.length).toBe(40);
    let pairs = 0;
    for (const a of lists) {
      for (const b of lists) {
        check(a, b, pairs % 2);
        pairs++;
      }
    }
    expect(pairs).toBe(1600);
  });

  it('matches breadth-first search on random unsorted lists (fixed seed)', () => {
    const seed = 20120621;
    console.log(`book-diff random lists: seed ${seed}`);
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    const randomList = (): Row[] => Array.from({ length: int(5) }, () => [1 + int(3), 1 + int(2)] as Row);
    for (let t = 0; t < 250; t++) check(randomList(), randomList(), t % 2);
  });

  it('matches breadth-first search on random sorted books and LOBSTER-like changes (fixed seed)', () => {
    const seed = 34200;
    console.log(`book-diff random books: seed ${seed}`);
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    const book = (len: number): Row[] => {
      const prices = new Set<number>();
      while (prices.size < len) prices.add(100 + int(8));
      return [...prices].sort((x, y) => x - y).map((p) => [p, 1 + int(3)] as Row);
    };
    const cap = 5;
    let total = 0;
    for (let t = 0; t < 150; t++) {
      const a = book(int(cap + 1));
      let b: Row[];
      if (t % 3 === 0) {
        b = book(int(cap + 1)); // unrelated book
      } else {
        // 1–2 level events on a capped, sorted side: add a level, remove one, change a size
        b = a.map((r) => [r[0], r[1]] as Row);
        for (let k = 1 + int(2); k > 0; k--) {
          const what = int(3);
          if (what === 0) {
            const p = 100 + int(8);
            const i = b.findIndex((r) => r[0] >= p);
            if (i < 0) b.push([p, 1 + int(3)]);
            else if (b[i]![0] !== p) b.splice(i, 0, [p, 1 + int(3)]);
            if (b.length > cap) b.pop(); // the level that falls out of the requested depth
          } else if (what === 1 && b.length > 0) {
            b.splice(int(b.length), 1);
            if (rnd() < 0.5) {
              const deeper = (b.length ? b[b.length - 1]![0] : 100) + 1 + int(3); // level L+1 comes into view
              b.push([deeper, 1 + int(3)]);
            }
          } else if (b.length > 0) {
            b[int(b.length)]![1] = 1 + int(5);
          }
        }
      }
      total += check(a, b, t % 2);
    }
    expect(total).toBeGreaterThan(0);
  });
});
