import { axis, timeAxis, C, chart, hLinesPlugin } from '../charts.js';
import { esc, isNum, price, qty, setHTML, time } from '../fmt.js';
import { PerformanceView } from './performance.js';

const STATUS = ['new', 'accepted', 'partial', 'filled', 'cancelled', 'rejected', 'expired', 'pend.cxl'];
const TYPES = ['MKT', 'LMT', 'STP', 'STP LMT', 'MOC', 'LOC'];

/**
 * Positions, open orders and the P&L curve from whatever the execution and risk actors publish under
 * `positions`, `orders:open` and `performance:pnl_curve` (any reasonable shape is tabulated), plus the
 * order traffic read from the orders ring.
 */
export class TradingPanel {
  constructor(onBreaker) {
    this.pos = document.getElementById('positions');
    this.orders = document.getElementById('orders');
    this.meta = document.getElementById('trading-meta');
    this.empty = document.getElementById('pnl-empty');
    this.onBreaker = onBreaker;
    this.d = null;
    this.performance = new PerformanceView();
    this.u = chart(document.getElementById('pnl-chart'), {
      scales: { x: { time: true } },
      axes: [timeAxis(), axis({ side: 1, size: 54, values: (u, v) => v.map((x) => qty(x)) })],
      series: [{}, { label: 'P&L', stroke: C.up, width: 1.5, fill: 'rgba(34,192,138,0.08)', points: { show: false }, spanGaps: true }],
      plugins: [hLinesPlugin(() => [{ y: 0, color: '#2a3442' }])],
    }, [[], []]);
  }

  reset() {}

  update(kind, d) {
    this.d = d;
    return true;
  }

  render() {
    const d = this.d;
    if (!d) return;
    this.onBreaker(d);
    // an option position reads "SPY 07 Dec 26 590 C", its quantity in contracts of `multiplier` shares
    setHTML(this.pos, table(d.positions, ['description', 'symbol', 'qty', 'quantity', 'position', 'multiplier', 'avgPrice', 'avgPx', 'avgCost', 'mark', 'marketPx', 'unrealizedPnl', 'realizedPnl', 'pnl'], ['symbol']) || '<div class="nodata">no data yet</div>');
    const open = table(d.orders, ['description', 'symbol', 'side', 'qty', 'type', 'limitPrice', 'state', 'status', 'filledQty', 'avgPrice', 'limitPx', 'strategy'], ['symbol']);
    const ev = (d.events || []).slice(0, 12);
    const intents = (d.intents || []).slice(0, 6);
    let html = open ? `${open}` : '';
    if (ev.length) {
      html += `<table><thead><tr><th>Event</th><th class="l">Sym</th><th>Side</th><th>Status</th><th>Filled</th><th>Left</th><th>Avg px</th></tr></thead><tbody>${ev.map((e) =>
        `<tr><td class="l">${time(e[0])}</td><td class="l">${esc(e[1])}</td><td class="${e[6] > 0 ? 'up' : 'down'}">${e[6] > 0 ? 'BUY' : 'SELL'}</td><td class="${e[5] === 5 ? 'down' : e[5] === 3 ? 'up' : ''}">${STATUS[e[5]] ?? e[5]}</td><td>${qty(e[7])}</td><td>${qty(e[8])}</td><td>${price(e[10])}</td></tr>`).join('')}</tbody></table>`;
    } else if (intents.length) {
      html += `<table><thead><tr><th>Intent</th><th class="l">Sym</th><th>Side</th><th>Type</th><th>Qty</th><th>Limit</th></tr></thead><tbody>${intents.map((e) =>
        `<tr><td class="l">${time(e[0])}</td><td class="l">${esc(e[1])}</td><td class="${e[5] > 0 ? 'up' : 'down'}">${e[5] > 0 ? 'BUY' : 'SELL'}</td><td>${TYPES[e[6]] ?? e[6]}</td><td>${qty(e[7])}</td><td>${price(e[8])}</td></tr>`).join('')}</tbody></table>`;
    }
    setHTML(this.orders, html || '<div class="nodata">no data yet</div>');
    const pnl = d.pnl;
    // An equity curve is drawn as P&L against its starting level when the execution actor reports one.
    const base = isNum(d.pnlBase) ? d.pnlBase : 0;
    if (pnl && pnl.t.length) {
      const v = pnl.v.map((x) => x - base);
      const last = v[v.length - 1];
      this.u.series[1].stroke = () => (last >= 0 ? C.up : C.down);
      this.u.series[1].fill = () => (last >= 0 ? 'rgba(34,192,138,0.08)' : 'rgba(255,92,106,0.08)');
      this.u.setData([pnl.t.map((t) => t / 1000), v]);
      this.empty.hidden = true;
    } else {
      this.u.setData([[], []]);
      this.empty.hidden = false;
    }
    const c = d.counts || {};
    const p = d.pnlNow || {};
    const money = (x) => (isNum(x) ? `<span class="${x > 0 ? 'up' : x < 0 ? 'down' : ''}">${signedMoney(x)}</span>` : '—');
    const a = d.account;
    const amount = (x) => (isNum(x) ? signedMoney(x).replace(/^\+/, '') : '—');
    // The broker's own figures (account:summary) and preservation mode (engine:preservation).
    const acct = a && typeof a === 'object' ? ` · equity ${amount(a.equity)} · cash ${amount(a.cash)} · BP ${amount(a.buyingPower)} · opt BP ${amount(a.optionsBuyingPower)} · margin ${amount(a.initialMargin)}` : ' · <span class="down">no account read</span>';
    const pres = d.preservation && d.preservation.active ? ` · <span class="down" title="${esc(d.preservation.reason ?? '')}">PRESERVATION: entries blocked</span>` : '';
    const preopen = this.performance.render(d.perf || {});
    // the book's net greeks from live option quotes (risk:greeks), against their limits
    const g = d.risk && d.risk.greeks;
    const greeks = g && typeof g === 'object' && isNum(g.delta) ? ` · greeks Δ ${qty(g.delta)} Γ ${qty(g.gamma)} vega ${qty(g.vega)} θ ${qty(g.theta)} · premium today ${amount(g.premiumToday)} of ${amount(g.premiumPerDay)}` : '';
    setHTML(this.meta, `${isNum(p.total) ? `P&L ${money(p.total)} · real ${money(p.realized)} · unreal ${money(p.unrealized)} · day ${money(p.day)} · ` : ''}filled ${c.filled ?? 0} · rejected ${c.rejected ?? 0}${acct}${greeks}${pres}${preopen}${d.lastKill ? ` · <span class="down">kill requested ${time(d.lastKill.ts)}</span>` : ''}`);
  }
}

/** A table of an array of objects, or of an object keyed by symbol; preferred columns first, `hidden` ones left out when a description names the row. */
function table(v, preferred, hidden = []) {
  if (v == null) return '';
  let rows;
  if (Array.isArray(v)) rows = v.filter((r) => r && typeof r === 'object');
  else if (typeof v === 'object') rows = Object.entries(v).map(([k, r]) => (r && typeof r === 'object' && !Array.isArray(r) ? { symbol: k, ...r } : { symbol: k, value: r }));
  else return `<div class="nodata">${esc(v)}</div>`;
  if (!rows.length) return '<div class="nodata">none</div>';
  const keys = new Set();
  for (const r of rows.slice(0, 50)) for (const [k, x] of Object.entries(r)) if (x === null || typeof x !== 'object') keys.add(k);
  if (keys.has('description')) for (const k of hidden) keys.delete(k);
  const cols = [...preferred.filter((k) => keys.has(k)), ...[...keys].filter((k) => !preferred.includes(k))].slice(0, 7);
  const cell = (x) => (typeof x === 'number' ? (Math.abs(x) >= 1000 ? qty(x) : String(Math.round(x * 100) / 100)) : esc(x ?? ''));
  return `<table><thead><tr>${cols.map((k, i) => `<th${i === 0 ? ' class="l"' : ''}>${esc(k)}</th>`).join('')}</tr></thead><tbody>${rows.slice(0, 50).map((r) =>
    `<tr>${cols.map((k, i) => `<td${i === 0 ? ' class="l"' : ''}>${cell(r[k])}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function signedMoney(x) {
  const a = Math.abs(x);
  const s = a >= 1e6 ? `${(a / 1e6).toFixed(2)}M` : a >= 1e4 ? `${(a / 1e3).toFixed(1)}K` : a.toFixed(2);
  return `${x < 0 ? '−' : x > 0 ? '+' : ''}${s}`;
}
