import { axis, C, chart, hLinesPlugin } from '../charts.js';
import { esc, fixed, isNum, qty, setHTML, signed } from '../fmt.js';

/**
 * Performance that outlives a restart, as the execution actor publishes it: `performance:sessions` (the last N
 * sessions' equity, from `performance:equity` or rebuilt from the journal), `performance:session_curve`
 * (today's, one point per session minute), `performance:strategies` (per-strategy statistics over those
 * sessions) and `performance:preopen` (today's checklist). The chart puts each session side by side: x is
 * the session's number plus the fraction of it elapsed.
 */
export class PerformanceView {
  constructor() {
    this.table = document.getElementById('strategies');
    this.empty = document.getElementById('sessions-empty');
    this.u = chart(document.getElementById('sessions-chart'), {
      scales: { x: { time: false } },
      axes: [axis({ size: 20, values: (u, v) => v.map((x) => (Number.isInteger(x) ? `#${x + 1}` : '')) }), axis({ side: 1, size: 54, values: (u, v) => v.map((x) => qty(x)) })],
      series: [{}, { label: 'equity', stroke: C.accent, width: 1.5, points: { show: false }, spanGaps: false }],
      plugins: [hLinesPlugin(() => [])],
    }, [[], []]);
  }

  /** The trading topic's `perf` object. Returns the pre-open line for the panel's header. */
  render(perf) {
    const sessions = Array.isArray(perf?.sessions) ? perf.sessions : [];
    const today = perf?.session_curve && Array.isArray(perf.session_curve.points) ? perf.session_curve : null;
    const days = sessions.filter((s) => Array.isArray(s?.curve));
    if (today && today.points.length && !days.some((s) => s.date === today.date)) days.push({ date: today.date, curve: today.points });
    const xs = [];
    const ys = [];
    days.forEach((s, i) => {
      const pts = s.curve.filter((p) => Array.isArray(p) && isNum(p[0]) && isNum(p[1]));
      if (!pts.length) return;
      const t0 = pts[0][0];
      const span = Math.max(1, pts[pts.length - 1][0] - t0);
      for (const [t, e] of pts) {
        xs.push(i + ((t - t0) / span) * 0.95);
        ys.push(e);
      }
      xs.push(i + 0.975); // a gap between sessions
      ys.push(null);
    });
    this.u.setData([xs, ys]);
    this.empty.hidden = xs.length > 0;
    const rows = Array.isArray(perf?.strategies) ? perf.strategies : [];
    setHTML(this.table, rows.length ? `<table><thead><tr><th class="l">Strategy (${days.length} sess.)</th><th>Trades</th><th>Win</th><th>Net</th><th>Sharpe</th></tr></thead><tbody>${rows.map((r) =>
      `<tr><td class="l">${esc(r.strategy)}</td><td>${r.trades}</td><td>${isNum(r.winRate) ? `${fixed(r.winRate * 100, 0)}%` : '—'}</td><td class="${r.net > 0 ? 'up' : r.net < 0 ? 'down' : ''}">${signed(r.net, 2)}</td><td>${fixed(r.sharpe, 2)}</td></tr>`).join('')}</tbody></table>`
      : '<div class="nodata">no session closed yet</div>');
    const p = perf?.preopen;
    if (!p) return '';
    return p.ok ? ` · pre-open ${esc(p.date)} ok` : ` · <span class="down">pre-open ${esc(p.date)} failed: entries blocked (${esc((p.checks || []).filter((c) => !c.ok).map((c) => c.name).join(', '))})</span>`;
  }
}
