import { describe, expect, it } from 'vitest';
import { MarketModel, type MarketListener, type SymbolSpec } from '../../sim/market/MarketModel.js';
import { Rng } from '../../sim/market/Rng.js';

const SYMBOLS: SymbolSpec[] = [
  { symbol: 'SPY', basePrice: 500, numRows: 10, level2: true },
  { symbol: 'QQQ', basePrice: 430.5, numRows: 5, level2: true },
  { symbol: 'IWM', basePrice: 7.25, numRows: 3, level2: false },
];
const START = Date.UTC(2025, 0, 2, 14, 30);

type Row = [number, number, string];

/** Plain list book applying IB operations literally; throws on anything out of range. */
class NaiveBook {
  readonly sides: [Row[], Row[]] = [[], []]; // [asks, bids]
  constructor(readonly numRows: number) {}
  apply(position: number, op: number, side: 0 | 1, price: number, size: number, mm: string): void {
    const rows = this.sides[side];
    if (op === 0) {
      if (position > rows.length) throw new Error(`insert at ${position} beyond length ${rows.length}`);
      rows.splice(position, 0, [price, size, mm]);
      if (rows.length > this.numRows) rows.length = this.numRows;
    } else if (op === 1) {
      if (position >= rows.length) throw new Error(`update at ${position} beyond length ${rows.length}`);
      rows[position] = [price, size, mm];
    } else {
      if (position >= rows.length) throw new Error(`delete at ${position} beyond length ${rows.length}`);
      rows.splice(position, 1);
    }
  }
}

/** Records every callback as a flat tuple so two runs can be compared. */
function recorder(): { log: unknown[][]; listener: MarketListener } {
  const log: unknown[][] = [];
  return {
    log,
    listener: {
      onDepth: (...a) => void log.push(['d', ...a]),
      onTrade: (...a) => void log.push(['t', ...a]),
      onQuote: (...a) => void log.push(['q', ...a]),
    },
  };
}

describe('Rng', () => {
  it('is deterministic per seed and in range', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    let same = 0;
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      if (x === c.next()) same++;
    }
    expect(same).toBeLessThan(5);
  });

  it('has sane moments for next, normal and exp', () => {
    const r = new Rng(7);
    const n = 200_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    let se = 0;
    for (let i = 0; i < n; i++) {
      su += r.next();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
      se += r.exp(4);
      const k = r.int(10);
      if (k < 0 || k > 9 || !Number.isInteger(k)) throw new Error(`int out of range: ${k}`);
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
    expect(se / n).toBeCloseTo(0.25, 2);
  });
});

describe('MarketModel', () => {
  it('is deterministic for a seed', () => {
    const seed = 1234;
    console.log(`seed ${seed}`);
    const run = (): unknown[][] => {
      const m = new MarketModel({ seed, symbols: SYMBOLS, startMs: START });
      const r = recorder();
      for (let t = 1; t <= 20; t++) m.advance(START + t * 250, r.listener);
      return r.log;
    };
    const a = run();
    const b = run();
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toEqual(a);
    const other = new MarketModel({ seed: seed + 1, symbols: SYMBOLS, startMs: START });
    const r = recorder();
    other.advance(START + 5000, r.listener);
    expect(r.log).not.toEqual(a.slice(0, r.log.length));
  });

  it('emitted ops applied to a plain list book reproduce snapshot(), never crossed, trades on the book', () => {
    const seed = 99;
    console.log(`seed ${seed}`);
    const m = new MarketModel({ seed, symbols: SYMBOLS, startMs: START, eventsPerSecond: 300 });
    const books = SYMBOLS.map((s) => new NaiveBook(s.numRows));
    let lastTs = -Infinity;
    let trades = 0;
    let multiLevelSweeps = 0;
    let depthOps = 0;
    let quotes = 0;
    const opCounts = [0, 0, 0];
    const makers = new Set<string>();
    let oddLots = 0;
    let lastTradeKey = '';
    let levelsInEvent = 0;
    const offGrid: number[] = [];
    const checkNotCrossed = (i: number): void => {
      const [asks, bids] = books[i].sides;
      if (asks.length > 0 && bids.length > 0 && !(bids[0][0] < asks[0][0])) {
        throw new Error(`${SYMBOLS[i].symbol} crossed/locked: bid ${bids[0][0]} ask ${asks[0][0]}`);
      }
    };
    const listener: MarketListener = {
      onDepth(si, ts, position, op, side, price, size, mm) {
        if (ts < lastTs) throw new Error('events out of time order');
        lastTs = ts;
        depthOps++;
        opCounts[op]++;
        makers.add(mm);
        if (!(price > 0)) throw new Error(`non-positive price ${price}`);
        if (op !== 2 && !(size > 0)) throw new Error(`non-positive size ${size}`);
        const ticks = price * 100;
        if (Math.abs(ticks - Math.round(ticks)) > 1e-6) offGrid.push(price);
        if (op === 0 && size % 100 !== 0) oddLots++;
        books[si].apply(position, op, side, price, size, mm);
      },
      onTrade(si, ts, price, size, aggressor) {
        if (ts < lastTs) throw new Error('events out of time order');
        lastTs = ts;
        trades++;
        // A buy lifts the ask (side 0), a sell hits the bid (side 1); the print precedes the book change.
        const rows = books[si].sides[aggressor === 1 ? 0 : 1];
        expect(rows.length).toBeGreaterThan(0);
        expect(rows[0][0]).toBe(price);
        expect(size).toBeGreaterThan(0);
        expect(size).toBeLessThanOrEqual(rows[0][1]);
        const key = `${si}:${ts}:${aggressor}`;
        if (key === lastTradeKey) {
          levelsInEvent++;
          if (levelsInEvent === 1) multiLevelSweeps++;
        } else levelsInEvent = 0;
        lastTradeKey = key;
      },
      onQuote(si, ts, bidPx, askPx, bidSz, askSz) {
        quotes++;
        const [asks, bids] = books[si].sides;
        expect(bidPx).toBe(bids[0][0]);
        expect(askPx).toBe(asks[0][0]);
        expect(bidPx).toBeLessThan(askPx);
        expect(bidSz).toBe(bids.filter((r) => r[0] === bidPx).reduce((a, r) => a + r[1], 0));
        expect(askSz).toBe(asks.filter((r) => r[0] === askPx).reduce((a, r) => a + r[1], 0));
      },
    };
    SYMBOLS.forEach((_, i) => m.initialOps(i, listener));
    lastTs = -Infinity;
    for (let step = 1; step <= 600; step++) {
      m.advance(START + step * 100, listener); // one simulated minute
      for (let i = 0; i < SYMBOLS.length; i++) {
        checkNotCrossed(i);
        const snap = m.snapshot(i);
        expect(books[i].sides[0]).toEqual(snap.asks);
        expect(books[i].sides[1]).toEqual(snap.bids);
        expect(snap.asks.length).toBeGreaterThan(0);
        expect(snap.bids.length).toBeGreaterThan(0);
        expect(snap.asks.length).toBeLessThanOrEqual(SYMBOLS[i].numRows);
      }
    }
    expect(offGrid).toEqual([]);
    expect(trades).toBeGreaterThan(1000);
    expect(multiLevelSweeps).toBeGreaterThan(10);
    expect(quotes).toBeGreaterThan(1000);
    expect(opCounts[0]).toBeGreaterThan(1000);
    expect(opCounts[1]).toBeGreaterThan(1000);
    expect(opCounts[2]).toBeGreaterThan(1000);
    expect(oddLots).toBeGreaterThan(50);
    expect(makers.size).toBeGreaterThanOrEqual(6);
    expect(depthOps).toBeGreaterThan(0);
  });

  it('initialOps rebuilds the current book from empty', () => {
    const m = new MarketModel({ seed: 5, symbols: SYMBOLS, startMs: START });
    m.advance(START + 30_000, { onDepth() {}, onTrade() {}, onQuote() {} });
    for (let i = 0; i < SYMBOLS.length; i++) {
      const b = new NaiveBook(SYMBOLS[i].numRows);
      m.initialOps(i, {
        onDepth: (_si, _ts, p, op, side, px, sz, mm) => {
          expect(op).toBe(0);
          b.apply(p, op, side, px, sz, mm);
        },
        onTrade() {},
        onQuote() {},
      });
      const snap = m.snapshot(i);
      expect(b.sides[0]).toEqual(snap.asks);
      expect(b.sides[1]).toEqual(snap.bids);
      expect(snap.asks.length).toBeGreaterThan(0);
    }
  });

  it('produces roughly the configured event rate, with regime switches, over a long run', () => {
    const seed = 2024;
    console.log(`seed ${seed}`);
    const eps = 200;
    const m = new MarketModel({ seed, symbols: [SYMBOLS[0]], startMs: START, eventsPerSecond: eps });
    let depth = 0;
    let trades = 0;
    const minuteTrades: number[] = [];
    let volatileSteps = 0;
    const listener: MarketListener = {
      onDepth() {
        depth++;
      },
      onTrade() {
        trades++;
      },
      onQuote() {},
    };
    const seconds = 3600;
    let prevTrades = 0;
    for (let s = 1; s <= seconds; s++) {
      m.advance(START + s * 1000, listener);
      if (m.isVolatile(0)) volatileSteps++;
      if (s % 60 === 0) {
        minuteTrades.push(trades - prevTrades);
        prevTrades = trades;
      }
    }
    // Each order-flow event emits about one depth op (more for sweeps and replenishment, none for hidden adds).
    const perSecond = depth / seconds;
    console.log(`depth ops/s ${perSecond.toFixed(1)}, trades/s ${(trades / seconds).toFixed(1)}, volatile share ${(volatileSteps / seconds).toFixed(2)}`);
    expect(perSecond).toBeGreaterThan(eps * 0.7);
    expect(perSecond).toBeLessThan(eps * 1.4);
    expect(volatileSteps / seconds).toBeGreaterThan(0.05);
    expect(volatileSteps / seconds).toBeLessThan(0.5);
    // Regimes make activity clustered: busiest minute well above the quietest.
    expect(Math.max(...minuteTrades)).toBeGreaterThan(1.5 * Math.min(...minuteTrades));
    expect(m.lastPrice(0)).toBeGreaterThan(0);
  });

  it('rejects bad configuration with clear errors', () => {
    expect(() => new MarketModel({ seed: 1, symbols: [], startMs: 0 })).toThrow(/symbols/);
    expect(() => new MarketModel({ seed: 1, symbols: [{ symbol: 'X', basePrice: -1, numRows: 5, level2: true }], startMs: 0 })).toThrow(/basePrice/);
    expect(() => new MarketModel({ seed: 1, symbols: [{ symbol: 'X', basePrice: 1, numRows: 0, level2: true }], startMs: 0 })).toThrow(/numRows/);
    expect(() => new MarketModel({ seed: 1, symbols: [SYMBOLS[0], SYMBOLS[0]], startMs: 0 })).toThrow(/duplicate/);
  });
});

describe('MarketModel with the analytics OrderBook', () => {
  it('the engine book fed the emitted ops matches snapshot() and ignores nothing', async () => {
    const { OrderBook } = await import('../../analytics/order-book.js');
    const seed = 77;
    console.log(`seed ${seed}`);
    const m = new MarketModel({ seed, symbols: SYMBOLS, startMs: START });
    const books = SYMBOLS.map((s) => new OrderBook(s.numRows));
    const listener: MarketListener = {
      onDepth: (si, _ts, p, op, side, px, sz, mm) => void books[si].apply(p, op, side, px, sz, mm),
      onTrade() {},
      onQuote() {},
    };
    SYMBOLS.forEach((_, i) => m.initialOps(i, listener));
    for (let step = 1; step <= 120; step++) {
      m.advance(START + step * 500, listener);
      for (let i = 0; i < SYMBOLS.length; i++) {
        expect(books[i].sides()).toEqual(m.snapshot(i));
        const met = books[i].metrics();
        expect(met.bestBid).toBe(m.bestBid(i));
        expect(met.bestAsk).toBe(m.bestAsk(i));
      }
    }
    for (const b of books) expect(b.ignored).toBe(0);
  });
});
