import type { DateStr } from '../../../analytics/calendar.js';
import type { LedgerEntry } from './ledger.js';
import { realizeLots, type LotMethod, type RealizedLot } from './taxLots.js';
import { keyMultiplier } from '../Portfolio.js';

/** Commissions as configured (the brokers' executions carry none): per share, at least `minPerOrder` per order. */
export interface FeeModel {
  perShare: number;
  minPerOrder: number;
}

export interface ReportOptions {
  date: DateStr;
  method: LotMethod;
  startingEquity: number;
  fees: FeeModel;
  /** the session's open and close (epoch ms): exposure is averaged over it */
  sessionOpenMs: number;
  sessionCloseMs: number;
  /** the trading days of the pattern-day-trader window, ending with `date` (5 by the rule) */
  pdtDates: DateStr[];
  /** the rule: this many day trades in the window make a pattern day trader … */
  pdtDayTrades: number;
  /** … when the account's equity is under this */
  pdtEquityFloor: number;
  /** the account's equity if the broker reported it (else starting equity plus the journal's net P&L) */
  accountEquity?: number;
  /** marks for the positions left open (unrealised P&L); the last fill price when absent */
  marks?: Record<string, number>;
  generatedAtMs: number;
}

export interface StrategyStats {
  /** round trips closed this session (a position back to flat, or through zero) */
  trades: number;
  wins: number;
  losses: number;
  /** wins / trades (null without trades); a round trip wins when its net P&L (fees included) is above 0 */
  winRate: number | null;
  /** realised P&L, average cost (the engine's own accounting) */
  grossPnl: number;
  fees: number;
  netPnl: number;
  /** Σ side × (fill − the price the order was decided at) × qty: what crossing the spread and moving cost */
  slippage: number;
  /** slippage per traded notional, in basis points (null without a known mid) */
  slippageBps: number | null;
  fills: number;
  volume: number;
  notional: number;
  /** the largest fall of the session's cumulative net P&L from its running peak */
  maxDrawdown: number;
  /** annualised daily Sharpe over the traded sessions up to this one: mean/sd of daily returns × √252 */
  sharpe: number | null;
  /** gross notional held (|qty| × last price): the most, and the time-weighted average over the session */
  exposure: { max: number; avg: number };
}

export interface BlotterRow {
  date: DateStr;
  ts: number;
  cid: string;
  execId: string;
  /** the strategy of the round trip the execution belongs to (an exit leg or another strategy's add counts for the strategy that opened it) */
  strategy: string;
  purpose: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  price: number;
  mid: number | null;
  slippage: number | null;
  fee: number;
  realized: number;
  position: number;
}

export interface DailyReport {
  date: DateStr;
  generatedAtMs: number;
  lotMethod: LotMethod;
  fees: FeeModel;
  startingEquity: number;
  /** equity at the start of the session: starting equity plus the net P&L of every earlier session */
  equityStart: number;
  equityEnd: number;
  total: StrategyStats;
  strategies: Record<string, StrategyStats>;
  blotter: BlotterRow[];
  /** [session ms (at most the close), cumulative net P&L] after each execution of the session */
  curve: [number, number][];
  openPositions: { symbol: string; qty: number; avgPrice: number; mark: number; unrealized: number; strategy: string }[];
  lots: RealizedLot[];
  tax: { shortTerm: number; longTerm: number; unknownTerm: number; washSales: number; disallowed: number };
  pdt: { dayTradesToday: number; dayTradesInWindow: number; window: DateStr[]; rule: number; equity: number; equityFloor: number; applies: boolean; flagged: boolean };
  /** net P&L and return of every traded session up to this one (what the Sharpe ratios are taken over) */
  dailyReturns: { date: DateStr; net: number; ret: number; equityStart: number; byStrategy: Record<string, number> }[];
}

const EPS = 1e-9;
const TOTAL = '*';

interface Acc {
  trades: number; wins: number; losses: number; gross: number; fees: number; slippage: number; slipNotional: number;
  fills: number; volume: number; notional: number; peak: number; cum: number; maxDd: number; expMax: number; expArea: number;
}
const newAcc = (): Acc => ({ trades: 0, wins: 0, losses: 0, gross: 0, fees: 0, slippage: 0, slipNotional: 0, fills: 0, volume: 0, notional: 0, peak: 0, cum: 0, maxDd: 0, expMax: 0, expArea: 0 });

interface Pos {
  qty: number;
  avg: number;
  last: number;
  /** the strategy of the open round trip and what it has realised and paid so far */
  strategy: string;
  tradeGross: number;
  tradeFees: number;
}

/** Each order's commission (`max(min, perShare × filled)`), spread over its executions by quantity. */
function feesByFill(entries: readonly LedgerEntry[], m: FeeModel): Map<number, number> {
  const filled = new Map<string, number>();
  for (const e of entries) if (e.kind === 'fill') filled.set(e.cid, (filled.get(e.cid) ?? 0) + e.qty);
  const out = new Map<number, number>();
  for (const e of entries) {
    if (e.kind !== 'fill') continue;
    const total = filled.get(e.cid)!;
    out.set(e.seq, Math.max(m.minPerOrder, m.perShare * total) * (e.qty / total));
  }
  return out;
}

export function sharpe(returns: number[]): number | null {
  if (returns.length < 2) return null;
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const sd = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (returns.length - 1));
  return sd > EPS ? (mean / sd) * Math.sqrt(252) : null;
}

/**
 * The end-of-day report of one session, a pure function of the journal's executions (buildLedger) and the
 * options: per strategy and in total, and realised P&L by tax lot. Executions of later sessions are only read
 * for wash sales; positions are those at the end of `date`.
 */
export function buildDailyReport(entries: readonly LedgerEntry[], o: ReportOptions): DailyReport {
  const fees = feesByFill(entries, o.fees);
  const pos = new Map<string, Pos>();
  const accs = new Map<string, Acc>([[TOTAL, newAcc()]]);
  const acc = (s: string) => {
    let a = accs.get(s);
    if (!a) accs.set(s, (a = newAcc()));
    return a;
  };
  const dayNet = new Map<DateStr, Map<string, number>>();
  const addDay = (d: DateStr, s: string, v: number) => {
    let m = dayNet.get(d);
    if (!m) dayNet.set(d, (m = new Map()));
    m.set(s, (m.get(s) ?? 0) + v);
    m.set(TOTAL, (m.get(TOTAL) ?? 0) + v);
  };
  const blotter: BlotterRow[] = [];
  const curve: [number, number][] = [];
  const openedToday = new Map<string, DateStr>(); // symbol → date of its last opening execution
  const dayTrades = new Map<DateStr, Set<string>>();

  // Exposure of the session, time-weighted: the book's gross notional per strategy between executions.
  let expTs = o.sessionOpenMs;
  const exposureNow = (): Map<string, number> => {
    const m = new Map<string, number>([[TOTAL, 0]]);
    for (const [sym, p] of pos) {
      const g = Math.abs(p.qty * p.last * keyMultiplier(sym)); // an option's contracts × premium × multiplier
      m.set(p.strategy, (m.get(p.strategy) ?? 0) + g);
      m.set(TOTAL, m.get(TOTAL)! + g);
    }
    return m;
  };
  const accrue = (until: number) => {
    const t = Math.min(Math.max(until, o.sessionOpenMs), o.sessionCloseMs);
    if (t > expTs) for (const [s, g] of exposureNow()) acc(s).expArea += g * (t - expTs);
    expTs = Math.max(expTs, t);
  };
  const markMax = () => {
    for (const [s, g] of exposureNow()) acc(s).expMax = Math.max(acc(s).expMax, g);
  };

  for (const e of entries) {
    if (e.kind !== 'fill') {
      if (e.date !== null && e.date > o.date) continue;
      pos.set(e.symbol, { qty: e.qty, avg: e.qty === 0 ? 0 : e.price, last: e.price, strategy: pos.get(e.symbol)?.strategy ?? 'carried', tradeGross: 0, tradeFees: 0 });
      continue;
    }
    if (e.date > o.date) continue;
    const today = e.date === o.date;
    if (today) {
      if (!curve.length) markMax(); // positions carried into the session count from its open
      accrue(e.ts);
    }
    let p = pos.get(e.symbol);
    if (!p) pos.set(e.symbol, (p = { qty: 0, avg: 0, last: e.price, strategy: e.strategy, tradeGross: 0, tradeFees: 0 }));
    const mult = keyMultiplier(e.symbol); // an option's prices are per share: cash is × the contract multiplier
    const fee = fees.get(e.seq)!;
    const closing = p.qty !== 0 && Math.sign(p.qty) !== e.side ? Math.min(e.qty, Math.abs(p.qty)) : 0;
    const opening = e.qty - closing;
    const closeFee = fee * (closing / e.qty);
    let realized = 0;
    let closedTrade: { strategy: string; net: number } | null = null;
    const tradeStrategy = p.strategy; // of the round trip this execution closes (when it closes one)
    if (closing > 0) {
      realized = closing * (e.price - p.avg) * Math.sign(p.qty) * mult;
      p.tradeGross += realized;
      p.tradeFees += closeFee;
      p.qty += e.side * closing;
      if (Math.abs(p.qty) <= EPS) {
        closedTrade = { strategy: p.strategy, net: p.tradeGross - p.tradeFees };
        p.qty = 0;
        p.avg = 0;
      }
      // a closing order on a symbol opened the same session is a day trade (counted once per order)
      if (openedToday.get(e.symbol) === e.date) {
        let s = dayTrades.get(e.date);
        if (!s) dayTrades.set(e.date, (s = new Set()));
        s.add(e.cid);
      }
    }
    if (opening > EPS) {
      if (p.qty === 0) {
        p.strategy = e.strategy;
        p.tradeGross = 0;
        p.tradeFees = 0;
      }
      p.avg = (p.avg * Math.abs(p.qty) + e.price * opening) / (Math.abs(p.qty) + opening);
      p.qty += e.side * opening;
      p.tradeFees += fee - closeFee;
      openedToday.set(e.symbol, e.date);
    }
    p.last = e.price;
    // What the execution adds: its closing part to the round trip it closes, its opening part to the one it opens.
    const parts: { strategy: string; qty: number; realized: number; fee: number }[] = [];
    if (closing > 0) parts.push({ strategy: tradeStrategy, qty: closing, realized, fee: closeFee });
    if (opening > EPS) parts.push({ strategy: p.strategy, qty: opening, realized: 0, fee: fee - closeFee });
    for (const x of parts) addDay(e.date, x.strategy, x.realized - x.fee);
    if (!today) continue;
    const slip = e.mid !== null ? e.side * (e.price - e.mid) * e.qty * mult : null;
    const touched = new Map<string, { qty: number; realized: number; fee: number }>([[TOTAL, { qty: e.qty, realized, fee }]]);
    for (const x of parts) {
      const t = touched.get(x.strategy) ?? { qty: 0, realized: 0, fee: 0 };
      if (x.strategy !== TOTAL) touched.set(x.strategy, { qty: t.qty + x.qty, realized: t.realized + x.realized, fee: t.fee + x.fee });
    }
    for (const [s, t] of touched) {
      const a = acc(s);
      const share = t.qty / e.qty;
      a.gross += t.realized;
      a.fees += t.fee;
      a.fills++;
      a.volume += t.qty;
      a.notional += t.qty * e.price * mult;
      if (slip !== null) {
        a.slippage += slip * share;
        a.slipNotional += t.qty * e.price * mult;
      }
      a.cum += t.realized - t.fee;
      a.peak = Math.max(a.peak, a.cum);
      a.maxDd = Math.max(a.maxDd, a.peak - a.cum);
    }
    if (closedTrade) {
      for (const s of [TOTAL, closedTrade.strategy]) {
        const a = acc(s);
        a.trades++;
        if (closedTrade.net > EPS) a.wins++;
        else if (closedTrade.net < -EPS) a.losses++;
      }
    }
    markMax();
    curve.push([Math.min(e.ts, o.sessionCloseMs), acc(TOTAL).cum]); // an order of the session filled after the clock moved on
    blotter.push({
      date: e.date, ts: e.ts, cid: e.cid, execId: e.execId, strategy: closing > 0 ? tradeStrategy : p.strategy, purpose: e.purpose, symbol: e.symbol,
      side: e.side > 0 ? 'buy' : 'sell', qty: e.qty, price: e.price, mid: e.mid, slippage: slip, fee, realized, position: p.qty,
    });
  }
  if (curve.length || [...pos.values()].some((p) => p.qty !== 0)) {
    if (!curve.length) markMax();
    accrue(o.sessionCloseMs);
  }

  // Daily returns over every traded session up to this one, each on the equity the session started with.
  const dailyReturns: DailyReport['dailyReturns'] = [];
  let equity = o.startingEquity;
  let equityStart = o.startingEquity;
  for (const d of [...dayNet.keys()].filter((x) => x <= o.date).sort()) {
    const m = dayNet.get(d)!;
    if (d === o.date) equityStart = equity;
    const net = m.get(TOTAL) ?? 0;
    dailyReturns.push({ date: d, net, ret: net / equity, equityStart: equity, byStrategy: Object.fromEntries([...m].filter(([s]) => s !== TOTAL)) });
    equity += net;
  }
  if (!dayNet.has(o.date)) equityStart = equity;
  const window = dailyReturns.slice(-252);
  const span = Math.max(1, o.sessionCloseMs - o.sessionOpenMs);
  const stats = (s: string): StrategyStats => {
    const a = acc(s);
    const rets = window.map((r) => (s === TOTAL ? r.net : r.byStrategy[s] ?? 0) / r.equityStart);
    return {
      trades: a.trades, wins: a.wins, losses: a.losses, winRate: a.trades ? a.wins / a.trades : null,
      grossPnl: a.gross, fees: a.fees, netPnl: a.gross - a.fees, slippage: a.slippage, slippageBps: a.slipNotional > 0 ? (a.slippage / a.slipNotional) * 1e4 : null,
      fills: a.fills, volume: a.volume, notional: a.notional, maxDrawdown: a.maxDd, sharpe: sharpe(rets),
      exposure: { max: a.expMax, avg: a.expArea / span },
    };
  };
  const strategies: Record<string, StrategyStats> = {};
  for (const s of [...accs.keys()].filter((k) => k !== TOTAL).sort()) strategies[s] = stats(s);

  const { realized } = realizeLots(entries, o.method);
  const lots = realized.filter((r) => r.closeDate === o.date);
  const tax = { shortTerm: 0, longTerm: 0, unknownTerm: 0, washSales: 0, disallowed: 0 };
  for (const r of lots) {
    if (r.term === 'long') tax.longTerm += r.gain;
    else if (r.term === 'short') tax.shortTerm += r.gain;
    else tax.unknownTerm += r.gain;
    if (r.washSale) {
      tax.washSales++;
      tax.disallowed += r.disallowed;
    }
  }

  const openPositions = [...pos.entries()].filter(([, p]) => Math.abs(p.qty) > EPS).map(([symbol, p]) => {
    const mark = o.marks?.[symbol] ?? p.last;
    return { symbol, qty: p.qty, avgPrice: p.avg, mark, unrealized: (mark - p.avg) * p.qty * keyMultiplier(symbol), strategy: p.strategy };
  });
  const total = stats(TOTAL);
  const equityEnd = equityStart + total.netPnl;
  const pdtEquity = o.accountEquity ?? equityEnd;
  const inWindow = o.pdtDates.reduce((n, d) => n + (dayTrades.get(d)?.size ?? 0), 0);
  return {
    date: o.date, generatedAtMs: o.generatedAtMs, lotMethod: o.method, fees: o.fees, startingEquity: o.startingEquity, equityStart, equityEnd,
    total, strategies, blotter, curve, openPositions, lots, tax,
    pdt: {
      dayTradesToday: dayTrades.get(o.date)?.size ?? 0, dayTradesInWindow: inWindow, window: o.pdtDates, rule: o.pdtDayTrades, equity: pdtEquity,
      equityFloor: o.pdtEquityFloor, applies: pdtEquity < o.pdtEquityFloor, flagged: pdtEquity < o.pdtEquityFloor && inWindow >= o.pdtDayTrades,
    },
    dailyReturns,
  };
}

