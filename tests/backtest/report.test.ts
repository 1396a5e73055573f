import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport, writeReport } from '../../backtest/report.js';
import type { ReplayOutputs } from '../../backtest/ReplayPipeline.js';

const T0 = Date.UTC(2026, 2, 2, 14, 30); // 09:30 New York
const s = (sec: number) => T0 + sec * 1000;

/**
 * Hand-checkable: 0DTE buys 100 SPY at 100 and its exit leg sells them at 101 (+$100); 14DTE sells 50 QQQ
 * at 200 and a MOC signal buys them back at 202 (−$100, the 14DTE's: the strategy that opened a position
 * owns its close). Marks each minute: SPY 100, 99, 101, 101; QQQ 200, 200, 204, 202.
 */
const outputs: ReplayOutputs = {
  signals: [], analytics: [],
  orders: [
    { cid: 'A', side: 'buy', qty: 100, type: 'market', strategy: 1, parent: null, symbol: 'SPY', sessionMs: s(10) },
    { cid: 'B', side: 'sell', qty: 50, type: 'market', strategy: 3, parent: null, symbol: 'QQQ', sessionMs: s(70) },
    { cid: 'A-X1', side: 'sell', qty: 100, type: 'market', strategy: 9, parent: 'A', symbol: 'SPY', sessionMs: s(130) },
    { cid: 'C', side: 'buy', qty: 50, type: 'moc', strategy: 4, parent: null, symbol: 'QQQ', sessionMs: s(140) },
  ],
  fills: [
    { cid: 'A', price: 100, qty: 100, sessionMs: s(10) },
    { cid: 'B', price: 200, qty: 50, sessionMs: s(70) },
    { cid: 'A-X1', price: 101, qty: 100, sessionMs: s(130) },
    { cid: 'C', price: 202, qty: 50, sessionMs: s(140) },
  ],
  marks: [
    [s(0), 'SPY', 100], [s(0), 'QQQ', 200], [s(60), 'SPY', 99], [s(60), 'QQQ', 200],
    [s(120), 'SPY', 101], [s(120), 'QQQ', 204], [s(180), 'SPY', 101], [s(180), 'QQQ', 202],
  ],
};

describe('backtest report', () => {
  const r = buildReport('hand.atrec', outputs, 1_000_000, { events: 1000, seconds: 0.5, fromMs: s(0), toMs: s(180), parity: null });
  const by = (n: string) => [...r.strategies, r.total].find((x) => x.strategy === n)!;

  it('attributes P&L per strategy: exits to their entry, a close to the strategy that opened the position', () => {
    expect(by('0DTE')).toMatchObject({ orders: 2, fills: 2, roundTrips: 1, winRate: 1, realizedPnl: 100, unrealizedPnl: 0, totalPnl: 100 });
    expect(by('14DTE')).toMatchObject({ orders: 2, fills: 2, roundTrips: 1, winRate: 0, realizedPnl: -100, totalPnl: -100 });
    expect(by('MOC')).toMatchObject({ orders: 0, fills: 0, totalPnl: 0 });
    expect(by('total')).toMatchObject({ fills: 4, roundTrips: 2, realizedPnl: 0, totalPnl: 0 });
  });

  it('equity curves once a minute; max drawdown from the peak in dollars; Sharpe as documented', () => {
    expect(by('0DTE').curve.map((p) => p[1])).toEqual([0, -100, 100, 100, 100]);
    expect(by('14DTE').curve.map((p) => p[1])).toEqual([0, 0, -200, -100, -100]);
    expect(by('0DTE').maxDrawdown).toBe(100);
    expect(by('14DTE').maxDrawdown).toBe(200);
    expect(by('total').maxDrawdown).toBe(100);
    // per-minute returns of equity (1e6 + P&L), mean / sd × √(252·390)
    const eq = [0, -100, 100, 100, 100].map((x) => 1e6 + x);
    const rets = eq.slice(1).map((e, i) => (e - eq[i]!) / eq[i]!);
    const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
    const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / (rets.length - 1));
    expect(by('0DTE').sharpe).toBeCloseTo((mean / sd) * Math.sqrt(252 * 390), 9);
  });

  it('writes Markdown, JSON and an SVG equity curve', () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-bt-'));
    const p = writeReport(dir, r);
    const md = readFileSync(p.md, 'utf8');
    expect(md).toMatch(/\| 0DTE \| 2 \| 2 \| 1 \| 100 % \| \$100\.00 \|/);
    expect(md).toMatch(/Fees and slippage/);
    expect(md).toMatch(/Sharpe ratio: the mean/);
    expect(JSON.parse(readFileSync(p.json, 'utf8')).total.totalPnl).toBe(0);
    const svg = readFileSync(p.svg, 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect((svg.match(/<polyline/g) ?? []).length).toBe(4); // three strategies and the total
  });
});
