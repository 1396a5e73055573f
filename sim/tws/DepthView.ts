/**
 * Maps the model's depth operations onto a subscriber that asked for fewer rows
 * than the model keeps (reqMktDepth numRows).
 *
 * The subscriber sees the model's top `rows` rows with IB list semantics: an insert
 * below the view is invisible; a delete inside the view pulls the next model row up
 * into the last visible position, which the subscriber learns as an insert there.
 * It relies on model callbacks arriving after the model applied the operation.
 */
import type { MarketModel } from '../market/MarketModel.js';

export interface DepthOut {
  depth(position: number, operation: 0 | 1 | 2, side: 0 | 1, price: number, size: number, marketMaker: string): void;
}

export class DepthView {
  /** Rows the subscriber currently holds per side [ask, bid]. */
  private readonly len: [number, number] = [0, 0];

  constructor(
    readonly model: MarketModel,
    readonly symbolIndex: number,
    readonly rows: number,
  ) {}

  /** Sends the insert burst from row 0 that builds the current (visible) book. */
  snapshot(out: DepthOut): void {
    const m = this.model;
    const si = this.symbolIndex;
    this.len[0] = Math.min(this.rows, m.rowCount(si, 0));
    this.len[1] = Math.min(this.rows, m.rowCount(si, 1));
    const n = Math.max(this.len[0], this.len[1]);
    for (let i = 0; i < n; i++) {
      for (let side = 0 as 0 | 1; side <= 1; side = (side + 1) as 0 | 1) {
        if (i < this.len[side]) out.depth(i, 0, side, m.rowPrice(si, side, i), m.rowSize(si, side, i), m.rowMaker(si, side, i));
      }
    }
  }

  /** Translates one model operation (already applied to the model) for this subscriber. */
  apply(
    position: number,
    operation: 0 | 1 | 2,
    side: 0 | 1,
    price: number,
    size: number,
    marketMaker: string,
    out: DepthOut,
  ): void {
    const rows = this.rows;
    if (position >= rows) return;
    if (operation === 0) {
      out.depth(position, 0, side, price, size, marketMaker);
      if (this.len[side] < rows) this.len[side]++;
    } else if (operation === 1) {
      out.depth(position, 1, side, price, size, marketMaker);
    } else {
      out.depth(position, 2, side, price, size, marketMaker);
      this.len[side]--;
      const m = this.model;
      const si = this.symbolIndex;
      if (m.rowCount(si, side) >= rows && this.len[side] === rows - 1) {
        const p = rows - 1;
        out.depth(p, 0, side, m.rowPrice(si, side, p), m.rowSize(si, side, p), m.rowMaker(si, side, p));
        this.len[side]++;
      }
    }
  }

  visibleRows(side: 0 | 1): number {
    return this.len[side];
  }
}
