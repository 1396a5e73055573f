import { etParts } from '../../../analytics/calendar.js';
import type { DailyReport, StrategyStats } from './dailyReport.js';

const money = (x: number): string => `${x < 0 ? '-' : ''}$${Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null, d = 2): string => (x === null ? '—' : x.toFixed(d));
const hhmm = (ms: number): string => {
  const p = etParts(ms);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}:${String(p.second).padStart(2, '0')}`;
};

function statsRow(name: string, s: StrategyStats): string {
  return `| ${name} | ${s.trades} | ${pct(s.winRate)} | ${money(s.grossPnl)} | ${money(s.fees)} | ${money(s.netPnl)} | ${money(s.slippage)} (${num(s.slippageBps, 1)} bp) | ${money(s.maxDrawdown)} | ${num(s.sharpe)} | ${money(s.exposure.avg)} / ${money(s.exposure.max)} |`;
}

/** The report a person reads: totals, the per-strategy table, tax lots, the pattern-day-trader count, definitions. */
export function reportMarkdown(r: DailyReport): string {
  const L: string[] = [];
  L.push(`# AlphaTrader — end-of-day report ${r.date}`, '');
  L.push(`Generated ${new Date(r.generatedAtMs).toISOString()} from the order journal. Equity ${money(r.equityStart)} → ${money(r.equityEnd)} (net ${money(r.total.netPnl)}).`, '');
  L.push('## Performance', '');
  L.push('| strategy | trades | win rate | gross P&L | fees | net P&L | slippage vs mid | max drawdown | Sharpe (daily, ann.) | exposure avg / max |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, s] of Object.entries(r.strategies)) L.push(statsRow(name, s));
  L.push(statsRow('**total**', r.total), '');
  if (r.openPositions.length) {
    L.push('## Open at the end of the session', '', '| symbol | qty | avg price | mark | unrealised | strategy |', '|---|---:|---:|---:|---:|---|');
    for (const p of r.openPositions) L.push(`| ${p.symbol} | ${p.qty} | ${p.avgPrice.toFixed(4)} | ${p.mark.toFixed(4)} | ${money(p.unrealized)} | ${p.strategy} |`);
    L.push('');
  }
  L.push(`## Realised P&L by tax lot (${r.lotMethod.toUpperCase()})`, '');
  L.push(`Short-term ${money(r.tax.shortTerm)} · long-term ${money(r.tax.longTerm)}${r.tax.unknownTerm ? ` · unknown term ${money(r.tax.unknownTerm)}` : ''} · wash sales ${r.tax.washSales} (disallowed ${money(r.tax.disallowed)})`, '');
  if (r.lots.length) {
    L.push('| symbol | side | qty | opened | open px | close px | gain | term | wash sale |', '|---|---|---:|---|---:|---:|---:|---|---|');
    for (const l of r.lots) L.push(`| ${l.symbol} | ${l.side} | ${l.qty} | ${l.openDate ?? 'unknown'} | ${l.openPrice.toFixed(4)} | ${l.closePrice.toFixed(4)} | ${money(l.gain)} | ${l.term} | ${l.washSale ? `yes (${money(l.disallowed)} disallowed)` : ''} |`);
    L.push('');
  }
  const p = r.pdt;
  L.push('## Pattern day trading', '');
  L.push(`Day trades today ${p.dayTradesToday}; in the last ${p.window.length} trading days ${p.dayTradesInWindow} (rule: ${p.rule} or more with equity under ${money(p.equityFloor)}). Equity ${money(p.equity)}: ${p.applies ? (p.flagged ? '**flagged as a pattern day trader**' : 'the rule applies; not flagged') : 'above the floor, the rule does not apply'}.`, '');
  L.push('## Definitions', '');
  L.push('- A trade is a round trip: a symbol\'s position from flat back to flat (or through zero); it belongs to the strategy whose execution opened it, and exit, flatten and kill legs count for that strategy. Win rate: round trips with net P&L (fees included) above zero, over round trips closed this session.');
  L.push('- Gross P&L: realised on average cost (the engine\'s own accounting); fees: the configured commission model (per share, a minimum per order), spread over an order\'s executions; net = gross − fees.');
  L.push('- Slippage: Σ side × (execution price − the price the order was decided at: the signal\'s spot, else the mid when it was sent) × quantity; positive is a cost. In basis points of the traded notional.');
  L.push('- Max drawdown: the largest fall of the session\'s cumulative net P&L from its running peak, execution by execution.');
  L.push('- Sharpe: mean / sample standard deviation of daily returns (net P&L over the equity the session started with) over the traded sessions in the journal (at most 252), × √252; none with fewer than two sessions.');
  L.push('- Exposure: gross notional held (|quantity| × last execution price), time-weighted over the session, and its maximum.');
  L.push('- Tax lots: wash sales are flagged (loss on a long lot with the same symbol bought within 30 days before or after, other than the shares sold), not applied to the replacement basis; a short sale\'s gain is short-term.');
  L.push('');
  return L.join('\n');
}

const CSV_COLUMNS = ['date', 'time', 'clientOrderId', 'execId', 'strategy', 'purpose', 'symbol', 'side', 'qty', 'price', 'mid', 'slippage', 'fee', 'realized', 'position'] as const;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The blotter: one row per execution of the session. */
export function blotterCsv(r: DailyReport): string {
  const rows = r.blotter.map((b) => [b.date, hhmm(b.ts), b.cid, b.execId, b.strategy, b.purpose, b.symbol, b.side, b.qty, b.price, b.mid, b.slippage === null ? null : +b.slippage.toFixed(4), +b.fee.toFixed(4), +b.realized.toFixed(4), b.position]);
  return [CSV_COLUMNS.join(','), ...rows.map((row) => row.map(csvCell).join(','))].join('\n') + '\n';
}

/** The session's cumulative net P&L as a small standalone SVG (no script, no external reference). */
export function equitySvg(r: DailyReport, width = 720, height = 240): string {
  const pad = 40;
  const pts: [number, number][] = [[r.curve[0]?.[0] ?? 0, 0], ...r.curve];
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const y0 = Math.min(0, ...ys);
  const y1 = Math.max(0, ...ys, y0 + 1);
  const X = (t: number) => pad + ((t - x0) / (x1 - x0)) * (width - 2 * pad);
  const Y = (v: number) => height - pad - ((v - y0) / (y1 - y0)) * (height - 2 * pad);
  const path = pts.map((p, i) => `${i ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
  const last = ys[ys.length - 1] ?? 0;
  const color = last >= 0 ? '#22c08a' : '#ff5c6a';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>AlphaTrader ${r.date}: cumulative net P&amp;L</title>`,
    `<rect width="100%" height="100%" fill="#0e1319"/>`,
    `<line x1="${pad}" x2="${width - pad}" y1="${Y(0).toFixed(1)}" y2="${Y(0).toFixed(1)}" stroke="#2a3442"/>`,
    `<path d="${path}" fill="none" stroke="${color}" stroke-width="1.5"/>`,
    `<text x="${pad}" y="20" fill="#c8d3df" font-family="sans-serif" font-size="12">${r.date} net P&amp;L ${last.toFixed(2)} (${r.curve.length} executions)</text>`,
    `<text x="${pad}" y="${height - 12}" fill="#7d8b99" font-family="sans-serif" font-size="10">${r.curve.length ? `${hhmm(x0)} – ${hhmm(x1)} New York` : 'no executions'}</text>`,
    `<text x="4" y="${Y(y1).toFixed(1)}" fill="#7d8b99" font-family="sans-serif" font-size="10">${y1.toFixed(0)}</text>`,
    `<text x="4" y="${Y(y0).toFixed(1)}" fill="#7d8b99" font-family="sans-serif" font-size="10">${y0.toFixed(0)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
