import { describe, expect, it } from 'vitest';
import {
  AggressorClassifier,
  BUY,
  depthImbalance,
  IcebergDetector,
  SELL,
  SweepDetector,
  UnusualVolume,
} from '../../analytics/flow.js';
import { OrderBook, SIDE_ASK, SIDE_BID } from '../../analytics/order-book.js';
import { mulberry32 } from '../helpers/prng.js';

describe('depthImbalance', () => {
  it('sums up to K rows a side and agrees with the top-5 metric at K = 5', () => {
    const b = new OrderBook(10);
    expect(depthImbalance(b, 3)).toBeNull();
    for (let i = 0; i < 7; i++) b.apply(i, 0, SIDE_BID, 100 - i, 10 * (i + 1));
    expect(depthImbalance(b, 3)).toBe(1);
    for (let i = 0; i < 4; i++) b.apply(i, 0, SIDE_ASK, 101 + i, 25);
    expect(depthImbalance(b, 1)).toBe((10 - 25) / 35);
    expect(depthImbalance(b, 2)).toBe((30 - 50) / 80);
    expect(depthImbalance(b, 5)).toBe(b.metrics().imbalanceTop5);
    expect(depthImbalance(b, 100)).toBe((280 - 100) / 380);
  });
});

describe('AggressorClassifier', () => {
  it('uses the quote first, then the tick rule', () => {
    const c = new AggressorClassifier();
    expect(c.classify(100.5, 100, 101)).toBe(0); // inside the spread, no history
    expect(c.classify(101, 100, 101)).toBe(BUY);
    expect(c.classify(100, 100, 101)).toBe(SELL);
    expect(c.classify(100.6, 100, 101)).toBe(BUY); // uptick
    expect(c.classify(100.6, 100, 101)).toBe(BUY); // zero tick keeps the sign
    expect(c.classify(100.2, null, null)).toBe(SELL);
  });
});

describe('SweepDetector', () => {
  it('reports a buy run through 3 levels inside the window once', () => {
    const d = new SweepDetector({ minLevels: 3, windowMs: 500 });
    expect(d.onTrade(1000, 100.0, 200, BUY)).toBe(0);
    expect(d.onTrade(1010, 100.0, 100, BUY)).toBe(0);
    expect(d.onTrade(1020, 100.01, 300, BUY)).toBe(0);
    expect(d.onTrade(1030, 100.02, 50, BUY)).toBe(BUY);
    expect(d.last).toEqual({ side: BUY, startMs: 1000, endMs: 1030, levels: 3, volume: 650, trades: 4, startPrice: 100, endPrice: 100.02 });
    expect(d.onTrade(1040, 100.03, 10, BUY)).toBe(0); // same run: extended, not re-reported
    expect(d.last.levels).toBe(4);
    expect(d.sweeps).toBe(1);
  });

  it('breaks runs on a price moving back, the other side, or the window', () => {
    const d = new SweepDetector({ minLevels: 3, windowMs: 500 });
    d.onTrade(0, 50.0, 1, SELL);
    d.onTrade(1, 49.99, 1, SELL);
    expect(d.onTrade(2, 50.0, 1, SELL)).toBe(0); // moved back up: new run at 50.00
    expect(d.onTrade(3, 49.99, 1, SELL)).toBe(0);
    expect(d.onTrade(4, 49.98, 1, SELL)).toBe(SELL);
    d.onTrade(10, 50, 1, BUY);
    d.onTrade(20, 50.01, 1, BUY);
    expect(d.onTrade(600, 50.02, 1, BUY)).toBe(0); // 590 ms after the run began
    d.onTrade(700, 50, 1, BUY);
    d.onTrade(701, 50.01, 1, SELL);
    expect(d.onTrade(702, 50.02, 1, BUY)).toBe(0);
    expect(d.sweeps).toBe(1);
  });
});

describe('IcebergDetector', () => {
  it('flags a bid that refills at one price after repeated hits', () => {
    const d = new IcebergDetector({ minRefills: 3, refillWindowMs: 1000 });
    d.onQuote(0, SIDE_BID, 99.5, 100);
    d.onQuote(0, SIDE_ASK, 99.6, 300);
    let detected = false;
    for (let k = 0; k < 3; k++) {
      const t = 100 + k * 200;
      d.onTrade(t, 99.5, 100); // displayed size taken
      detected = d.onQuote(t + 5, SIDE_BID, 99.5, 100); // and shown again
    }
    expect(detected).toBe(true);
    expect(d.bid).toMatchObject({ price: 99.5, refills: 3, traded: 300, maxDisplayed: 100, hiddenEstimate: 200, iceberg: true });
    expect(d.ask.iceberg).toBe(false);
    expect(d.detections).toBe(1);
  });

  it('does not count ordinary depletion, slow refills or a new price', () => {
    const d = new IcebergDetector({ minRefills: 2, refillWindowMs: 1000 });
    d.onQuote(0, SIDE_ASK, 10, 500);
    d.onTrade(10, 10, 100); // 20%: not a hit
    d.onQuote(11, SIDE_ASK, 10, 400);
    expect(d.ask.refills).toBe(0);
    d.onTrade(20, 10, 300); // hit
    d.onQuote(21, SIDE_ASK, 10, 100); // exactly what was left: depletion, not refill
    expect(d.ask.refills).toBe(0);
    d.onTrade(30, 10, 100);
    d.onQuote(5000, SIDE_ASK, 10, 500); // refilled, but too late
    expect(d.ask.refills).toBe(0);
    d.onTrade(5001, 10, 400);
    d.onQuote(5002, SIDE_ASK, 10, 500);
    expect(d.ask.refills).toBe(1);
    d.onQuote(5003, SIDE_ASK, 10.01, 500); // price moved: count restarts
    expect(d.ask).toMatchObject({ price: 10.01, refills: 0, traded: 0 });
    d.onTrade(5004, 9.9, 100); // at neither quote: ignored
    expect(d.ask.traded).toBe(0);
  });
});

describe('UnusualVolume', () => {
  it('scores each interval against the EWMA baseline before it', () => {
    const u = new UnusualVolume({ intervalMs: 1000, alpha: 0.5, warmup: 2, threshold: 2 });
    u.onTrade(0, 10); // interval 0: 10
    u.onTrade(1500, 20); // closes 0 → mean 10, var 0
    expect(u.lastZ).toBeNull();
    u.onTrade(2100, 10); // closes 1 (20) → mean 15, var 0.5·(0 + 0.5·100) = 25
    expect(u.mean).toBe(15);
    expect(u.variance).toBe(25);
    expect(u.lastZ).toBeNull(); // count was 1 < warmup when interval 1 was scored
    expect(u.advance(3000)).toBe(false); // closes 2 (10): z = (10 − 15)/5 = −1
    expect(u.lastZ).toBe(-1);
    // mean 12.5, var 0.5·(25 + 0.5·25) = 18.75
    u.onTrade(3500, 100);
    expect(u.advance(3999)).toBe(false);
    expect(u.advance(4000)).toBe(true);
    expect(u.lastZ).toBe((100 - 12.5) / Math.sqrt(18.75));
    expect(u.flags).toBe(1);
  });

  it('feeds short gaps as zero intervals and skips long ones', () => {
    const u = new UnusualVolume({ intervalMs: 1000, alpha: 0.1, warmup: 1, maxGapIntervals: 3 });
    u.onTrade(0, 10);
    u.onTrade(3000, 10); // closes 0, two empty intervals (1, 2) fed as zeros
    expect(u.count).toBe(3);
    u.onTrade(100_000, 10); // closes 3, gap of 96 intervals: a session break
    expect(u.count).toBe(4);
  });

  it('flags about the right share of a seeded Poisson-like stream', () => {
    const seed = 31337;
    console.log(`unusual-volume seed=${seed}`);
    const rnd = mulberry32(seed);
    const u = new UnusualVolume({ intervalMs: 1000, alpha: 0.02, warmup: 50, threshold: 4 });
    let spikes = 0;
    for (let k = 0; k < 2000; k++) {
      const spike = k > 200 && k % 250 === 0;
      if (spike) spikes++;
      const trades = spike ? 200 : 20 + Math.floor(rnd() * 5);
      for (let j = 0; j < trades; j++) u.onTrade(k * 1000 + j, 10);
    }
    u.advance(2_000_000);
    expect(u.flags).toBe(spikes);
  });
});
