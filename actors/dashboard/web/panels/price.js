import { axis, timeAxis, C, candlePlugin, chart } from '../charts.js';
import { isNum, price, qty, setHTML, setText } from '../fmt.js';
import { Series } from '../series.js';

/** Last and mid with VWAP over the session history, 5-second bars drawn as candles behind them. */
export class PricePanel {
  constructor() {
    this.quoteEl = document.getElementById('price-quote');
    this.meta = document.getElementById('price-meta');
    this.hist = new Series(['mid', 'last', 'vwap']);
    this.bars = new Series(['o', 'h', 'l', 'c', 'v'], 400);
    this.q = null;
    this.barSeconds = 5;
    const el = document.getElementById('price-chart');
    this.u = chart(el, {
      scales: { x: { time: true }, y: { range: (u, min, max) => this.yRange(u, min, max) } },
      axes: [timeAxis(), axis({ side: 1, size: 58, values: (u, v) => v.map((x) => price(x)) })],
      series: [
        {},
        { label: 'mid', stroke: C.mid, width: 1, spanGaps: true, points: { show: false } },
        { label: 'last', stroke: C.bright, width: 1.4, spanGaps: true, points: { show: false } },
        { label: 'VWAP', stroke: C.amber, width: 1.2, dash: [6, 4], spanGaps: true, points: { show: false } },
      ],
      plugins: [candlePlugin(() => this.barCols(), this.barSeconds)],
    }, this.hist.data());
  }

  reset() {
    this.hist.clear();
    this.bars.clear();
    this.q = null;
  }

  barCols() {
    const [t, o, h, l, c] = this.bars.data();
    return { t, o, h, l, c };
  }

  /** The auto range widened to the candles in view, with a little headroom. */
  yRange(u, min, max) {
    const xs = u.scales.x;
    const b = this.bars;
    const [t, , h, l] = b.data();
    for (let i = 0; i < t.length; i++) {
      if (xs.min != null && (t[i] + this.barSeconds < xs.min || t[i] > xs.max)) continue;
      if (h[i] != null) max = max == null ? h[i] : Math.max(max, h[i]);
      if (l[i] != null) min = min == null ? l[i] : Math.min(min, l[i]);
    }
    if (min == null || max == null) return [0, 1];
    const pad = Math.max((max - min) * 0.08, 0.01);
    return [min - pad, max + pad];
  }

  update(kind, d) {
    if (!d) return false;
    const full = kind === 0;
    this.q = d.q || this.q;
    this.hist.apply(full, d.h);
    if (d.bars) this.bars.apply(full, d.bars);
    return true;
  }

  render() {
    this.u.setData(this.hist.data());
    const q = this.q;
    if (!q) return;
    const last = isNum(q.last) ? q.last : this.hist.lastOf('mid');
    const spread = isNum(q.bid) && isNum(q.ask) ? q.ask - q.bid : NaN;
    const flag = q.quality && q.quality !== 'ok' ? `<span class="qflag">${q.quality}</span>` : '';
    const side = q.side > 0 ? 'up' : q.side < 0 ? 'down' : '';
    setHTML(this.quoteEl,
      `<span class="last ${side}">${price(last)}</span>` +
      `<span><span class="k">bid</span>${price(q.bid)} <span class="muted">×</span> ${qty(q.bidSize)}</span>` +
      `<span><span class="k">ask</span>${price(q.ask)} <span class="muted">×</span> ${qty(q.askSize)}</span>` +
      `<span><span class="k">sprd</span>${price(spread)}</span>` +
      `<span><span class="k">vwap</span><span class="warn-text">${price(q.vwap)}</span></span>` +
      `<span><span class="k">micro</span>${price(q.micro, 3)}</span>` +
      `<span><span class="k">vol</span>${qty(q.volume)}</span>${flag}`);
    setText(this.meta, `${this.hist.t.length} pts · ${this.bars.t.length} bars (${this.barSeconds}s)`);
  }
}
