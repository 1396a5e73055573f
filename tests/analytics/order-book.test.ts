import { describe, expect, it } from 'vitest';
import { OrderBook, SIDE_ASK, SIDE_BID, type IgnoreReason, IGNORE_REASONS, emptyMetrics } from '../../analytics/order-book.js';
import { mulberry32 } from '../helpers/prng.js';

/** Deliberately naive reference: plain arrays and splice, validation written out longhand. */
class RefBook {
  sides: { price: number; size: number; mm: string }[][] = [[], []];
  applied = 0;
  ignored = 0;
  truncated = 0;
  reasons: Record<string, number> = Object.fromEntries(IGNORE_REASONS.map((r) => [r, 0]));
  constructor(readonly numRows: number) {}
  apply(pos: number, op: number, side: number, price: number, size: number, mm: string): IgnoreReason | null {
    const r = this.check(pos, op, side, price, size);
    if (r) {
      this.ignored++;
      this.reasons[r]++;
      return r;
    }
    this.applied++;
    const rows = this.sides[side]!;
    if (op === 0) {
      rows.splice(pos, 0, { price, size, mm });
      while (rows.length > this.numRows) {
        rows.pop();
        this.truncated++;
      }
    } else if (op === 1) {
      rows[pos] = { price, size, mm };
    } else {
      rows.splice(pos, 1);
    }
    return null;
  }
  private check(pos: number, op: number, side: number, price: number, size: number): IgnoreReason | null {
    if (![0, 1, 2].includes(op)) return 'badOperation';
    if (![0, 1].includes(side)) return 'badSide';
    if (!Number.isInteger(pos) || pos < 0) return 'badPosition';
    if (op !== 2 && (!Number.isFinite(price) || price <= 0)) return 'badPrice';
    if (op !== 2 && (!Number.isFinite(size) || size < 0)) return 'badSize';
    const len = this.sides[side]!.length;
    if (op === 2 && len === 0) return 'deleteOnEmpty';
    if (op === 0 && pos > len) return 'positionOutOfRange';
    if (op !== 0 && pos >= len) return 'positionOutOfRange';
    return null;
  }
}

type Row = { price: number; size: number; mm: string };

/** The top-of-book metrics of the reference's rows, longhand, in BookMetrics' field order (null where undefined). */
function refTop(asks: Row[], bids: Row[]): (number | null)[] {
  const bb = bids[0];
  const ba = asks[0];
  const top5 = (rows: Row[]) => rows.slice(0, 5).reduce((s, r) => s + r.size, 0);
  if (!bb || !ba) return [bb?.price ?? null, bb?.size ?? null, ba?.price ?? null, ba?.size ?? null, null, null, null, bb ? 1 : ba ? -1 : null];
  const tot = bb.size + ba.size;
  const t5 = top5(bids) + top5(asks);
  return [bb.price, bb.size, ba.price, ba.size, ba.price - bb.price, (bb.price + ba.price) / 2,
    tot > 0 ? (bb.price * ba.size + ba.price * bb.size) / tot : null, t5 > 0 ? (top5(bids) - top5(asks)) / t5 : null];
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

describe('OrderBook', () => {
  it('applies inserts, updates and deletes as list operations', () => {
    const b = new OrderBook(3);
    expect(b.apply(0, 0, SIDE_BID, 100, 5, 'A')).toBeNull();
    expect(b.apply(0, 0, SIDE_BID, 101, 6, 'B')).toBeNull(); // shifts 100 down
    expect(b.apply(2, 0, SIDE_BID, 99, 7, 'C')).toBeNull();
    expect(b.toJSON().bids).toEqual([[101, 6], [100, 5], [99, 7]]);
    expect(b.apply(1, 0, SIDE_BID, 100.5, 1)).toBeNull(); // full: 99 falls off
    expect(b.truncatedRows).toBe(1);
    expect(b.toJSON().bids).toEqual([[101, 6], [100.5, 1], [100, 5]]);
    expect(b.apply(3, 0, SIDE_BID, 98, 1)).toBeNull(); // inserted at the bottom of a full side and itself dropped
    expect(b.truncatedRows).toBe(2);
    expect(b.toJSON().bids).toEqual([[101, 6], [100.5, 1], [100, 5]]);
    expect(b.apply(0, 2, SIDE_BID, NaN, 0)).toBeNull(); // delete ignores price and size
    expect(b.sides().bids).toEqual([[100.5, 1, ''], [100, 5, 'A']]);
    expect(b.apply(1, 1, SIDE_BID, 100.25, 0, 'D')).toBeNull(); // size 0 allowed
    expect(b.sides().bids).toEqual([[100.5, 1, ''], [100.25, 0, 'D']]);
    expect(b.marketMaker(SIDE_BID, 1)).toBe('D');
    expect(b.length(SIDE_ASK)).toBe(0);
    expect(b.applied).toBe(7);
  });

  it('checks invalid operations in the conventional order', () => {
    const b = new OrderBook(5);
    // Every field bad at once: the operation is reported first, then side, position, price, size.
    expect(b.apply(-1, 7, 9, NaN, -1)).toBe('badOperation');
    expect(b.apply(-1, 0, 9, NaN, -1)).toBe('badSide');
    expect(b.apply(1.5, 0, 0, NaN, -1)).toBe('badPosition');
    expect(b.apply(0, 0, 0, NaN, -1)).toBe('badPrice');
    expect(b.apply(0, 1, 0, 0, -1)).toBe('badPrice');
    expect(b.apply(0, 0, 0, 1, -1)).toBe('badSize');
    expect(b.apply(0, 0, 0, 1, Infinity)).toBe('badSize');
    expect(b.apply(0, 2, 0, NaN, NaN)).toBe('deleteOnEmpty');
    expect(b.apply(5, 2, 0, NaN, NaN)).toBe('deleteOnEmpty');
    expect(b.apply(0, 1, 0, 1, 1)).toBe('positionOutOfRange'); // update on empty side
    expect(b.apply(1, 0, 0, 1, 1)).toBe('positionOutOfRange');
    expect(b.applied).toBe(0);
    expect(b.ignored).toBe(11);
    expect(b.ignoredByReason).toEqual({
      badOperation: 1, badSide: 1, badPosition: 1, badPrice: 2, badSize: 2, deleteOnEmpty: 2, positionOutOfRange: 2,
    });
    expect(b.toJSON()).toEqual({ bids: [], asks: [] });
  });

  it('computes metrics, with nulls where undefined', () => {
    const b = new OrderBook(10);
    const m = emptyMetrics();
    expect(b.metrics(m)).toBe(m);
    expect(m).toEqual(emptyMetrics());
    b.apply(0, 0, SIDE_BID, 99, 300);
    expect(b.metrics()).toMatchObject({ bestBid: 99, bestBidSize: 300, bestAsk: null, spread: null, mid: null, microprice: null, imbalanceTop5: 1 });
    b.apply(0, 0, SIDE_ASK, 101, 100);
    const x = b.metrics();
    expect(x.spread).toBe(2);
    expect(x.mid).toBe(100);
    expect(x.microprice).toBe((99 * 100 + 101 * 300) / 400);
    expect(x.imbalanceTop5).toBe((300 - 100) / 400);
    // Top-5 only: the 6th bid row does not count.
    for (let i = 1; i <= 5; i++) b.apply(i, 0, SIDE_BID, 99 - i, 10);
    expect(b.metrics().imbalanceTop5).toBe((340 - 100) / 440);
    b.clear();
    expect(b.metrics()).toEqual(emptyMetrics());
    b.apply(0, 0, SIDE_BID, 99, 0);
    b.apply(0, 0, SIDE_ASK, 100, 0);
    expect(b.metrics()).toMatchObject({ microprice: null, imbalanceTop5: null, mid: 99.5 });
  });

  it('rejects a non-positive row count', () => {
    expect(() => new OrderBook(0)).toThrow(RangeError);
    expect(() => new OrderBook(2.5)).toThrow(RangeError);
  });

  it('matches a naive reference model on seeded random sequences with invalid ops', () => {
    const seeds = [1, 42, 20250101];
    let total = 0;
    for (const seed of seeds) {
      console.log(`order-book reference test seed=${seed}`);
      const rnd = mulberry32(seed);
      const numRows = 1 + Math.floor(rnd() * 8);
      const book = new OrderBook(numRows);
      const ref = new RefBook(numRows);
      const m = emptyMetrics();
      for (let i = 0; i < 40_000; i++) {
        const roll = rnd();
        let op = rnd() < 0.45 ? 0 : rnd() < 0.5 ? 1 : 2;
        let side = rnd() < 0.5 ? 0 : 1;
        let pos = Math.floor(rnd() * (numRows + 3));
        let price = Math.round(1000 + rnd() * 100) / 10;
        let size = Math.floor(rnd() * 500);
        if (roll < 0.02) op = pick(rnd, [3, -1, 0.5, NaN]);
        else if (roll < 0.04) side = pick(rnd, [2, -1, 0.5, NaN]);
        else if (roll < 0.06) pos = pick(rnd, [-1, 1.5, NaN, Infinity]);
        else if (roll < 0.08) price = pick(rnd, [NaN, 0, -1, Infinity]);
        else if (roll < 0.1) size = pick(rnd, [NaN, -1, -Infinity, Infinity]);
        else if (roll < 0.1005) {
          book.clear();
          ref.sides = [[], []];
          continue;
        }
        const mm = rnd() < 0.5 ? '' : pick(rnd, ['NSDQ', 'ARCA', 'BATS']);
        const got = book.apply(pos, op, side, price, size, mm);
        const want = ref.apply(pos, op, side, price, size, mm);
        total++;
        if (got !== want) throw new Error(`seed ${seed} op ${i}: reason ${got} vs ${want}`);
        const s = book.sides();
        const rs = ref.sides;
        const same = (xs: [number, number, string][], ys: { price: number; size: number; mm: string }[]) =>
          xs.length === ys.length && xs.every((r, k) => r[0] === ys[k]!.price && r[1] === ys[k]!.size && r[2] === ys[k]!.mm);
        if (!same(s.asks, rs[0]!) || !same(s.bids, rs[1]!)) throw new Error(`seed ${seed} op ${i}: state differs`);
        if (book.applied !== ref.applied || book.ignored !== ref.ignored || book.truncatedRows !== ref.truncated)
          throw new Error(`seed ${seed} op ${i}: counters differ`);
        for (const r of IGNORE_REASONS) if (book.ignoredByReason[r] !== ref.reasons[r]) throw new Error(`seed ${seed} op ${i}: ${r} differs`);
        const wantTop = refTop(rs[0]!, rs[1]!);
        book.metrics(m);
        const fromMetrics = [m.bestBid, m.bestBidSize, m.bestAsk, m.bestAskSize, m.spread, m.mid, m.microprice, m.imbalanceTop5];
        if (!fromMetrics.every((v, k) => v === wantTop[k])) throw new Error(`seed ${seed} op ${i}: metrics ${fromMetrics} vs ${wantTop}`);
      }
      // Every reason must actually have been exercised, or the test proves little.
      for (const r of IGNORE_REASONS) expect(ref.reasons[r], `${r} seed ${seed}`).toBeGreaterThan(0);
      expect(ref.truncated).toBeGreaterThan(0);
    }
    expect(total).toBeGreaterThanOrEqual(100_000);
  });
});
