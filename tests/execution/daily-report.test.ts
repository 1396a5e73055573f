/**
 * The end-of-day report on a constructed day of executions, against figures computed by hand (below each
 * expectation): per strategy and total, fees, slippage, drawdown, Sharpe, exposure, FIFO and LIFO lots with
 * a wash sale, the pattern-day-trader count; and the files rendered from it.
 */
import { describe, expect, it } from 'vitest';
import { etTime } from '../../analytics/calendar.js';
import { buildLedger } from '../../actors/execution/report/ledger.js';
import { buildDailyReport, type ReportOptions } from '../../actors/execution/report/dailyReport.js';
import { blotterCsv, equitySvg, reportMarkdown } from '../../actors/execution/report/render.js';

const D = '2026-12-07';
const at = (hhmm: string, date = D) => etTime(date, hhmm);
const STRATEGY = { manual: 0, '0DTE': 1, '1DTE': 2, '14DTE': 3, exit: 9 } as const;

/** Journal entries as OrderJournal writes them (fields of the XADDs). */
function journal(): Record<string, string>[] {
  const j: Record<string, string>[] = [];
  let exec = 0;
  const order = (cid: string, symbol: string, side: 'buy' | 'sell', qty: number, strategy: keyof typeof STRATEGY, purpose: string, mid: number, sts: number) =>
    j.push({ type: 'intent', cid, symbol, side, qty: String(qty), orderType: 'market', limitPrice: '', stopPrice: '', tif: 'day', strategy: String(STRATEGY[strategy]),
      reduceOnly: purpose === 'exit' ? '1' : '0', ts: String(sts), purpose, parent: '', mid: String(mid), sts: String(sts) });
  const fill = (cid: string, qty: number, price: number, sts: number) =>
    j.push({ type: 'event', cid, kind: 'partial_fill', ts: String(sts), execId: `E${++exec}`, price: String(price), qty: String(qty), cumQty: '0', leavesQty: '0', sts: String(sts) });
  // an earlier session: 10 AAPL at 50 (lot A)
  order('AT-20261201-manual-AAPL-a', 'AAPL', 'buy', 10, 'manual', 'manual', 50, at('10:00', '2026-12-01'));
  fill('AT-20261201-manual-AAPL-a', 10, 50, at('10:00', '2026-12-01'));
  // 0DTE SPY round trip: 100 bought in two executions, sold by its exit leg
  order('AT-20261207-0DTE-SPY-1', 'SPY', 'buy', 100, '0DTE', 'entry', 100, at('10:00'));
  fill('AT-20261207-0DTE-SPY-1', 60, 100.02, at('10:00'));
  fill('AT-20261207-0DTE-SPY-1', 40, 100.04, at('10:00') + 30_000);
  fill('AT-20261207-0DTE-SPY-1', 40, 100.04, at('10:00') + 30_000); // beyond the order's 100: refused, as the engine refuses it
  order('AT-20261207-0DTE-SPY-1-X1', 'SPY', 'sell', 100, 'exit', 'exit', 101, at('11:00'));
  fill('AT-20261207-0DTE-SPY-1-X1', 100, 100.98, at('11:00'));
  // 1DTE QQQ short, covered by a manual buy
  order('AT-20261207-1DTE-QQQ-2', 'QQQ', 'sell', 50, '1DTE', 'entry', 200, at('12:00'));
  fill('AT-20261207-1DTE-QQQ-2', 50, 199.98, at('12:00'));
  order('AT-20261207-manual-QQQ-m1', 'QQQ', 'buy', 50, 'manual', 'manual', 201, at('13:00'));
  fill('AT-20261207-manual-QQQ-m1', 50, 201.02, at('13:00'));
  // AAPL: 10 more at 40 (lot B, a 14DTE add to the manual position), 15 sold at 45, 5 bought back at 44
  order('AT-20261207-14DTE-AAPL-3', 'AAPL', 'buy', 10, '14DTE', 'entry', 40, at('14:00'));
  fill('AT-20261207-14DTE-AAPL-3', 10, 40, at('14:00'));
  order('AT-20261207-manual-AAPL-s', 'AAPL', 'sell', 15, 'manual', 'manual', 45, at('14:30'));
  fill('AT-20261207-manual-AAPL-s', 15, 45, at('14:30'));
  order('AT-20261207-manual-AAPL-b2', 'AAPL', 'buy', 5, 'manual', 'manual', 44, at('15:00'));
  fill('AT-20261207-manual-AAPL-b2', 5, 44, at('15:00'));
  return j;
}

const OPTS: ReportOptions = {
  date: D, method: 'fifo', startingEquity: 100_000, fees: { perShare: 0.01, minPerOrder: 1 },
  sessionOpenMs: at('09:30'), sessionCloseMs: at('16:00'),
  pdtDates: ['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', D], pdtDayTrades: 4, pdtEquityFloor: 25_000, generatedAtMs: 0,
};

describe('end-of-day report (constructed day, hand-computed figures)', () => {
  const ledger = buildLedger(journal());
  const r = buildDailyReport(ledger.entries, OPTS);

  it('reads the journal as the engine does: the over-fill is refused, nothing is bad', () => {
    expect(ledger.entries.filter((e) => e.kind === 'fill')).toHaveLength(9);
    expect(ledger.bad).toBe(0);
    expect(r.blotter).toHaveLength(8); // the 2026-12-01 execution is not the session's
  });

  it('per strategy: trades, win rate, gross, fees, net, slippage, drawdown', () => {
    const s = r.strategies;
    expect(Object.keys(s)).toEqual(['0DTE', '1DTE', 'manual']);
    // 0DTE: avg 100.028; 100 × (100.98 − 100.028) = 95.2; fees 0.6 + 0.4 + 1 = 2 (min $1 per order, split by qty)
    expect(s['0DTE']!.grossPnl).toBeCloseTo(95.2, 9);
    expect(s['0DTE']!.fees).toBeCloseTo(2, 9);
    expect(s['0DTE']!.netPnl).toBeCloseTo(93.2, 9);
    expect([s['0DTE']!.trades, s['0DTE']!.wins, s['0DTE']!.winRate]).toEqual([1, 1, 1]);
    // slippage: 60 × 0.02 + 40 × 0.04 (bought above mid 100) + 100 × 0.02 (sold under mid 101) = 4.8
    expect(s['0DTE']!.slippage).toBeCloseTo(4.8, 9);
    expect(s['0DTE']!.slippageBps).toBeCloseTo((4.8 / (6001.2 + 4001.6 + 10098)) * 1e4, 9);
    // cumulative net −0.6, −1.0, 93.2: drawdown 1.0
    expect(s['0DTE']!.maxDrawdown).toBeCloseTo(1, 9);
    // 1DTE: short 50 at 199.98 covered at 201.02: −52; fees 2; net −54, a loss
    expect(s['1DTE']!.grossPnl).toBeCloseTo(-52, 9);
    expect(s['1DTE']!.netPnl).toBeCloseTo(-54, 9);
    expect([s['1DTE']!.trades, s['1DTE']!.losses, s['1DTE']!.winRate]).toEqual([1, 1, 0]);
    expect(s['1DTE']!.slippage).toBeCloseTo(2, 9);
    expect(s['1DTE']!.maxDrawdown).toBeCloseTo(54, 9);
    // manual (AAPL, opened 12-01; the 14DTE add joins its round trip): average cost 45, sold at 45 → gross 0; 3 orders' fees
    expect(s.manual!.grossPnl).toBeCloseTo(0, 9);
    expect(s.manual!.fees).toBeCloseTo(3, 9);
    expect(s.manual!.trades).toBe(0);
  });

  it('in total, with the equity and the daily Sharpe', () => {
    const t = r.total;
    expect(t.grossPnl).toBeCloseTo(43.2, 9);
    expect(t.fees).toBeCloseTo(7, 9);
    expect(t.netPnl).toBeCloseTo(36.2, 9);
    expect([t.trades, t.wins, t.losses, t.winRate]).toEqual([2, 1, 1, 0.5]);
    expect(t.slippage).toBeCloseTo(6.8, 9);
    // cumulative net: −0.6, −1, 93.2, 92.2, 39.2, 38.2, 37.2, 36.2 → from the peak 93.2 down to 36.2
    expect(t.maxDrawdown).toBeCloseTo(57, 9);
    expect(r.curve.map((c) => +c[1].toFixed(6))).toEqual([-0.6, -1, 93.2, 92.2, 39.2, 38.2, 37.2, 36.2]);
    expect(r.equityStart).toBeCloseTo(99_999, 9); // the 12-01 order's $1 fee
    expect(r.equityEnd).toBeCloseTo(100_035.2, 9);
    // two traded sessions: −1 / 100000 and 36.2 / 99999; Sharpe = mean / sample sd × √252
    const r1 = -1 / 100_000;
    const r2 = 36.2 / 99_999;
    expect(t.sharpe).toBeCloseTo((((r1 + r2) / 2) / (Math.abs(r1 - r2) / Math.SQRT2)) * Math.sqrt(252), 9);
    // exposure: 500 carried in; 6501.2, 10504, 500, 10499, 500, 800, 225, 440 after each execution, time-weighted over 390 min
    expect(t.exposure.max).toBeCloseTo(10_504, 9);
    const area = 500 * 30 + 6501.2 * 0.5 + 10_504 * 59.5 + 500 * 60 + 10_499 * 60 + 500 * 60 + 800 * 30 + 225 * 30 + 440 * 60;
    expect(t.exposure.avg).toBeCloseTo(area / 390, 6);
    expect(r.openPositions).toEqual([{ symbol: 'AAPL', qty: 10, avgPrice: 44.5, mark: 44, unrealized: -5, strategy: 'manual' }]);
  });

  it('FIFO lots: the 12-01 lot is sold first at a loss, a wash sale (5 shares bought back within 30 days)', () => {
    const aapl = r.lots.filter((l) => l.symbol === 'AAPL').map((l) => [l.qty, l.openDate, l.openPrice, l.gain, l.term, l.washSale, l.disallowed]);
    // lot A 10 @ 50 → 45: −50, wash sale, disallowed 50 × min(1, 5/10) = 25; lot B 5 of 10 @ 40 → 45: +25
    expect(aapl).toEqual([[10, '2026-12-01', 50, -50, 'short', true, 25], [5, D, 40, 25, 'short', false, 0]]);
    expect(r.lots.filter((l) => l.symbol === 'SPY').map((l) => +l.gain.toFixed(6))).toEqual([57.6, 37.6]);
    expect(r.lots.filter((l) => l.symbol === 'QQQ').map((l) => [l.side, +l.gain.toFixed(6), l.washSale])).toEqual([['short', -52, false]]);
    expect(r.tax.shortTerm).toBeCloseTo(-50 + 25 + 57.6 + 37.6 - 52, 9);
    expect(r.tax.longTerm).toBe(0);
    expect([r.tax.washSales, r.tax.disallowed]).toEqual([1, 25]);
  });

  it('LIFO lots by configuration: lot B first (+50), then 5 of lot A (−25, a wash sale: 5 of 5 replaced)', () => {
    const l = buildDailyReport(ledger.entries, { ...OPTS, method: 'lifo' });
    expect(l.lots.filter((x) => x.symbol === 'AAPL').map((x) => [x.qty, x.openPrice, x.gain, x.washSale, x.disallowed])).toEqual([[10, 40, 50, false, 0], [5, 50, -25, true, 25]]);
    expect(l.tax.shortTerm).toBeCloseTo(50 - 25 + 95.2 - 52, 9);
    expect(l.total.netPnl).toBeCloseTo(36.2, 9); // the lot method does not change the engine's P&L
  });

  it('a lot held more than a year is long-term', () => {
    const j: Record<string, string>[] = [
      { type: 'intent', cid: 'AT-20251201-manual-MSFT-a', symbol: 'MSFT', side: 'buy', qty: '5', orderType: 'market', tif: 'day', strategy: '0', reduceOnly: '0', ts: '1', purpose: 'manual' },
      { type: 'event', cid: 'AT-20251201-manual-MSFT-a', kind: 'fill', execId: 'x1', price: '100', qty: '5', cumQty: '5', leavesQty: '0', ts: '1' },
      { type: 'intent', cid: 'AT-20261207-manual-MSFT-b', symbol: 'MSFT', side: 'sell', qty: '5', orderType: 'market', tif: 'day', strategy: '0', reduceOnly: '1', ts: '2', purpose: 'manual' },
      { type: 'event', cid: 'AT-20261207-manual-MSFT-b', kind: 'fill', execId: 'x2', price: '110', qty: '5', cumQty: '5', leavesQty: '0', ts: '2' },
    ];
    const x = buildDailyReport(buildLedger(j).entries, OPTS);
    expect(x.lots.map((l) => [l.term, l.gain])).toEqual([['long', 50]]);
    expect(x.tax.longTerm).toBe(50);
  });

  it('pattern day trades: three closing orders on symbols opened the same session', () => {
    // SPY exit, QQQ cover, AAPL sale (AAPL was added to today): 3 in the window, under the rule of 4
    expect([r.pdt.dayTradesToday, r.pdt.dayTradesInWindow, r.pdt.applies, r.pdt.flagged]).toEqual([3, 3, false, false]);
    const small = buildDailyReport(ledger.entries, { ...OPTS, pdtDayTrades: 3, accountEquity: 20_000 });
    expect([small.pdt.applies, small.pdt.flagged]).toEqual([true, true]);
  });

  it('renders the Markdown, the blotter CSV and the SVG curve', () => {
    const md = reportMarkdown(r);
    expect(md).toContain('| 0DTE | 1 | 100.0% | $95.20 | $2.00 | $93.20 |');
    expect(md).toContain('wash sales 1 (disallowed $25.00)');
    const csv = blotterCsv(r).trim().split('\n');
    expect(csv[0]).toBe('date,time,clientOrderId,execId,strategy,purpose,symbol,side,qty,price,mid,slippage,fee,realized,position');
    expect(csv).toHaveLength(9);
    expect(csv[3]).toBe('2026-12-07,11:00:00,AT-20261207-0DTE-SPY-1-X1,E5,0DTE,exit,SPY,sell,100,100.98,101,2,1,95.2,0');
    const svg = equitySvg(r);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('net P&amp;L 36.20');
  });
});

describe('an option settled at expiry in the ledger', () => {
  it('is a closing execution at the settlement price, filed under the strategy of the last order in the contract', () => {
    const occ = 'SPY261207C00590000';
    const sts = String(at('10:00'));
    const j: Record<string, string>[] = [
      { type: 'intent', cid: 'AT-20261207-0DTE-SPY-9', symbol: occ, side: 'buy', qty: '3', orderType: 'limit', limitPrice: '3.1', stopPrice: '', tif: 'day', strategy: '1', reduceOnly: '0', ts: sts, purpose: 'entry', parent: '', mid: '590', sts, occ, underlying: 'SPY', expiry: D, right: 'C', strike: '590', multiplier: '100' },
      { type: 'event', cid: 'AT-20261207-0DTE-SPY-9', kind: 'fill', ts: sts, execId: 'E1', price: '3.1', qty: '3', cumQty: '3', leavesQty: '0' },
      { type: 'expiry', symbol: occ, qty: '-3', price: '3.5', underlyingPrice: '593.5', ts: String(at('16:00')) },
    ];
    const l = buildLedger(j);
    expect(l.bad).toBe(0);
    expect(l.entries.map((e) => (e.kind === 'fill' ? [e.cid, e.side, e.qty, e.price, e.strategy, e.purpose] : e.kind))).toEqual([
      ['AT-20261207-0DTE-SPY-9', 1, 3, 3.1, '0DTE', 'entry'],
      [`expiry:${occ}`, -1, 3, 3.5, '0DTE', 'exit'],
    ]);
  });
});
