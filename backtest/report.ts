import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STRATEGY_NAMES } from '../actors/execution/ExecutionCore.js';
import { Portfolio } from '../actors/execution/Portfolio.js';
import type { ParityReport } from './parity.js';
import type { ReplayOutputs } from './ReplayPipeline.js';

/** How the paper broker fills (PaperBroker's defaults, which the engine's paper broker uses). */
export const FILL_ASSUMPTIONS = {
  slippageBps: 1, sweepPenaltyBps: 10, commissionPerShare: 0,
  text: 'Paper fills against the recorded book: a marketable order walks the opposite side level by level, each execution 1 bp worse than the level (slippage), the part beyond the visible book 10 bps worse than its worst level (sweep penalty); MOC orders fill at the last mid before the close. No commission or exchange fees are charged (none are modelled); the slippage is the only cost.',
};

export interface StrategyReport {
  strategy: string;
  orders: number;
  fills: number;
  /** positions closed (a fill that realised P&L) */
  roundTrips: number;
  winRate: number | null;
  realizedPnl: number;
  unrealizedPnl: number;
  totalPnl: number;
  sharpe: number | null;
  maxDrawdown: number;
  /** [session ms, P&L] once a session minute */
  curve: [number, number][];
}

export interface BacktestReport {
  recording: string;
  session: { fromMs: number; toMs: number };
  events: number;
  seconds: number;
  eventsPerSec: number;
  startingEquity: number;
  assumptions: typeof FILL_ASSUMPTIONS;
  definitions: Record<string, string>;
  strategies: StrategyReport[];
  total: StrategyReport;
  parity: ParityReport | null;
}

export const DEFINITIONS = {
  pnl: 'Per strategy, from its fills: a fill that opens a position belongs to the strategy of its order (an exit leg to its entry\'s); a fill that reduces a position belongs to the strategy that opened it. Realised P&L on the average price; unrealised at the last mid.',
  sharpe: 'Sharpe ratio: the mean over the standard deviation (sample) of the strategy\'s per-session-minute returns of equity (starting equity + its P&L, marked at each minute\'s mid), times √(252 × 390) (annualised, no risk-free rate); null with fewer than three minutes or no variation.',
  maxDrawdown: 'Maximum drawdown: the largest fall of equity from a previous peak, in dollars, on the per-minute equity curve.',
  roundTrips: 'Fills that realised P&L (closing all or part of a position); winRate = winning / (winning + losing) among them.',
};

/**
 * Per-strategy results of a replay: each strategy's own portfolio (the engine's Portfolio class) gets its
 * fills and the minute marks, so its equity curve, Sharpe and drawdown are computed as the live engine
 * computes its performance keys.
 */
export function buildReport(file: string, out: ReplayOutputs, startingEquity: number, meta: { events: number; seconds: number; fromMs: number; toMs: number; parity: ParityReport | null }): BacktestReport {
  const orders = new Map(out.orders.map((o) => [o.cid, o]));
  const root = (cid: string): string => {
    let o = orders.get(cid);
    for (let i = 0; o?.parent && i < 10; i++) o = orders.get(o.parent) ?? o;
    return STRATEGY_NAMES[o?.strategy ?? -1] ?? String(o?.strategy);
  };
  const names = [...new Set(out.orders.map((o) => root(o.cid)))].sort();
  const books = new Map(names.map((n) => [n, { pf: new Portfolio(startingEquity), orders: new Set<string>(), fills: 0 }]));
  const total = { pf: new Portfolio(startingEquity), orders: new Set<string>(), fills: 0 };
  const owner = new Map<string, string>(); // symbol → strategy holding its position
  const net = new Map<string, number>();
  type Ev = { t: number; k: 0 | 1; i: number };
  const evs: Ev[] = [...out.marks.map((m, i) => ({ t: m[0], k: 0 as const, i })), ...out.fills.map((f, i) => ({ t: f.sessionMs, k: 1 as const, i }))];
  evs.sort((a, b) => a.t - b.t || a.k - b.k || a.i - b.i);
  const curves = new Map<string, [number, number][]>([...names, 'total'].map((n) => [n, []]));
  let lastMinute = NaN;
  const sample = (t: number) => {
    for (const [n, b] of [...books, ['total', total] as const]) {
      b.pf.snapshot(t);
      curves.get(n)!.push([t, b.pf.equity - startingEquity]);
    }
  };
  for (let j = 0; j < evs.length; j++) {
    const e = evs[j]!;
    if (e.k === 0) {
      const [t, sym, mid] = out.marks[e.i]!;
      for (const b of [...books.values(), total]) b.pf.mark(sym, mid);
      // one sample a minute, once every symbol's mark of that instant is in
      const next = evs[j + 1];
      const m = Math.floor(t / 60_000);
      if (m !== lastMinute && !(next && next.k === 0 && next.t === t)) {
        lastMinute = m;
        sample(t);
      }
      continue;
    }
    const f = out.fills[e.i]!;
    const o = orders.get(f.cid);
    if (!o) continue;
    const signed = o.side === 'buy' ? f.qty : -f.qty;
    const pos = net.get(o.symbol) ?? 0;
    const reduces = pos !== 0 && Math.sign(pos) !== Math.sign(signed);
    const who = reduces ? owner.get(o.symbol) ?? root(f.cid) : root(f.cid);
    if (!reduces) owner.set(o.symbol, who);
    net.set(o.symbol, pos + signed);
    for (const b of [books.get(who)!, total]) {
      b.pf.applyFill(o.symbol, signed, f.price);
      b.orders.add(f.cid);
      b.fills++;
    }
  }
  if (evs.length) sample(evs[evs.length - 1]!.t + 60_000);
  const summarise = (name: string, b: { pf: Portfolio; orders: Set<string>; fills: number }): StrategyReport => {
    const perf = b.pf.performance();
    return {
      strategy: name, orders: b.orders.size, fills: b.fills, roundTrips: b.pf.wins + b.pf.losses, winRate: perf.winRate,
      realizedPnl: b.pf.realizedPnl, unrealizedPnl: b.pf.unrealizedPnl, totalPnl: b.pf.realizedPnl + b.pf.unrealizedPnl,
      sharpe: perf.sharpe, maxDrawdown: perf.maxDrawdown, curve: curves.get(name)!,
    };
  };
  return {
    recording: file, session: { fromMs: meta.fromMs, toMs: meta.toMs }, events: meta.events, seconds: meta.seconds,
    eventsPerSec: Math.round(meta.events / Math.max(meta.seconds, 1e-9)), startingEquity, assumptions: FILL_ASSUMPTIONS, definitions: DEFINITIONS,
    strategies: names.map((n) => summarise(n, books.get(n)!)), total: summarise('total', total), parity: meta.parity,
  };
}

const money = (x: number) => (x < 0 ? '-' : '') + '$' + Math.abs(x).toFixed(2);
const num = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));

export function reportMarkdown(r: BacktestReport): string {
  const rows = [...r.strategies, r.total].map((s) =>
    `| ${s.strategy} | ${s.orders} | ${s.fills} | ${s.roundTrips} | ${num(s.winRate === null ? null : s.winRate * 100, 0)}${s.winRate === null ? '' : ' %'} | ${money(s.realizedPnl)} | ${money(s.unrealizedPnl)} | ${money(s.totalPnl)} | ${num(s.sharpe)} | ${money(s.maxDrawdown)} |`);
  const p = r.parity;
  return [
    `# Backtest of ${r.recording}`, '',
    `Session ${new Date(r.session.fromMs).toISOString()} → ${new Date(r.session.toMs).toISOString()}; ${r.events} recorded frames replayed in ${r.seconds.toFixed(2)} s (${r.eventsPerSec} events/s); starting equity ${money(r.startingEquity)} per strategy.`, '',
    '| strategy | orders | fills | round trips | win rate | realised | unrealised | P&L | Sharpe | max drawdown |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows, '',
    '![equity curve](equity.svg)', '',
    '## Fees and slippage', '', r.assumptions.text, '',
    '## Definitions', '', ...Object.entries(r.definitions).map(([k, v]) => `- **${k}**: ${v}`), '',
    ...(p ? ['## Parity with the recorded run', '', '| | recorded | replayed | matched | mismatched | missing | extra |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...(['signals', 'analytics', 'orders', 'fills'] as const).map((k) => `| ${k} | ${p[k].recorded} | ${p[k].replayed} | ${p[k].matched} | ${p[k].mismatched} | ${p[k].missing} | ${p[k].extra} |`), ''] : []),
  ].join('\n');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** The P&L curve of each strategy and the total over session time. */
export function reportSvg(r: BacktestReport): string {
  const W = 800, H = 360, L = 70, R = 120, T = 20, B = 40;
  const series = [...r.strategies, r.total];
  const pts = series.flatMap((s) => s.curve);
  const t0 = Math.min(...pts.map((p) => p[0]), r.session.fromMs), t1 = Math.max(...pts.map((p) => p[0]), t0 + 1);
  let lo = Math.min(0, ...pts.map((p) => p[1])), hi = Math.max(0, ...pts.map((p) => p[1]));
  if (hi - lo < 1e-9) (lo -= 1), (hi += 1);
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v: number) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const lines = series.map((s, i) => {
    const c = s.strategy === 'total' ? '#000' : COLORS[i % COLORS.length];
    const d = s.curve.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${c}" stroke-width="${s.strategy === 'total' ? 2 : 1.5}" points="${d}"/>` +
      `<text x="${W - R + 8}" y="${T + 16 * (i + 1)}" fill="${c}" font-size="12">${s.strategy} ${money(s.totalPnl)}</text>`;
  });
  const hhmm = (t: number) => new Date(t).toLocaleTimeString('en-US', { timeZone: 'America/New_York', hour12: false, hour: '2-digit', minute: '2-digit' });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
<line x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}" stroke="#999" stroke-dasharray="4 3"/>
<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>
<text x="${L - 6}" y="${y(hi) + 4}" text-anchor="end" font-size="11">${money(hi)}</text><text x="${L - 6}" y="${y(lo) + 4}" text-anchor="end" font-size="11">${money(lo)}</text>
<text x="${L}" y="${H - B + 16}" font-size="11">${hhmm(t0)} New York</text><text x="${W - R}" y="${H - B + 16}" text-anchor="end" font-size="11">${hhmm(t1)}</text>
<text x="${L}" y="${T - 6}" font-size="12">P&amp;L by strategy (session time)</text>
${lines.join('\n')}
</svg>
`;
}

/** Writes report.md, report.json and equity.svg into `dir`; returns the paths. */
export function writeReport(dir: string, r: BacktestReport): { md: string; json: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const paths = { md: join(dir, 'report.md'), json: join(dir, 'report.json'), svg: join(dir, 'equity.svg') };
  writeFileSync(paths.md, reportMarkdown(r));
  writeFileSync(paths.json, JSON.stringify(r, null, 2));
  writeFileSync(paths.svg, reportSvg(r));
  return paths;
}
