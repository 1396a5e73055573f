import { axis, barsPath, C, chart, vLinesPlugin } from '../charts.js';
import { price, qty, setText } from '../fmt.js';

/** Dealer gamma exposure by strike (calls up, puts down, net as a line) with spot, zero-gamma and the walls. */
export class GexPanel {
  constructor() {
    this.meta = document.getElementById('gex-meta');
    this.empty = document.getElementById('gex-empty');
    this.d = null;
    this.u = chart(document.getElementById('gex-chart'), {
      scales: { x: { time: false } },
      axes: [
        axis({ size: 24, values: (u, v) => v.map((x) => (x == null ? '' : String(Math.round(x)))) }),
        axis({ side: 1, size: 50, values: (u, v) => v.map((x) => qty(x)) }),
      ],
      series: [
        {},
        { label: 'calls', stroke: C.up, fill: 'rgba(34,192,138,0.55)', width: 0, paths: barsPath(), points: { show: false } },
        { label: 'puts', stroke: C.down, fill: 'rgba(255,92,106,0.55)', width: 0, paths: barsPath(), points: { show: false } },
        { label: 'net', stroke: C.bright, width: 1, points: { show: false } },
      ],
      plugins: [vLinesPlugin(() => this.lines())],
    }, [[], [], [], []]);
  }

  lines() {
    const d = this.d;
    if (!d) return [];
    return [
      { x: d.spot, color: C.bright, label: `spot ${price(d.spot)}` },
      { x: d.zeroGamma, color: C.amber, dash: [5, 3], label: `0γ ${price(d.zeroGamma)}` },
      { x: d.callWall, color: C.up, dash: [2, 3], label: `call wall ${price(d.callWall, 0)}` },
      { x: d.putWall, color: C.down, dash: [2, 3], label: `put wall ${price(d.putWall, 0)}` },
    ];
  }

  reset() {
    this.d = null;
  }

  update(kind, d) {
    this.d = d;
    return true;
  }

  render() {
    const d = this.d;
    if (!d) return;
    const hasProfile = Array.isArray(d.strikes) && d.strikes.length > 0;
    this.u.setData(hasProfile ? [d.strikes, d.call, d.put, d.net] : [[], [], [], []]);
    this.empty.hidden = hasProfile;
    if (!hasProfile) this.empty.textContent = d.missing ? 'no data yet' : 'no strike profile yet';
    setText(this.meta, d.missing ? 'no data yet' : `net ${qty(d.totalGex)} · 0γ ${price(d.zeroGamma)} · walls ${price(d.putWall, 0)} / ${price(d.callWall, 0)}${d.contracts ? ` · ${d.contracts} contracts` : ''}`);
  }
}
