import { axis, timeAxis, C, chart, hLinesPlugin } from '../charts.js';
import { fixed, setText } from '../fmt.js';
import { Series } from '../series.js';

/** VPIN and its CDF on [0, 1] with the toxicity threshold; the alarm badge blinks while the CDF is above it. */
export class VpinPanel {
  constructor() {
    this.meta = document.getElementById('vpin-meta');
    this.alarm = document.getElementById('vpin-alarm');
    this.empty = document.getElementById('vpin-empty');
    this.hist = new Series(['vpin', 'cdf'], 4000);
    this.d = null;
    this.u = chart(document.getElementById('vpin-chart'), {
      scales: { x: { time: true }, y: { range: [0, 1] } },
      axes: [timeAxis(), axis({ side: 1, size: 36, values: (u, v) => v.map((x) => x.toFixed(1)) })],
      series: [
        {},
        { label: 'VPIN', stroke: C.accent, width: 1.5, spanGaps: true, points: { show: false }, fill: 'rgba(78,161,255,0.08)' },
        { label: 'CDF', stroke: C.violet, width: 1.2, spanGaps: true, points: { show: false } },
      ],
      plugins: [hLinesPlugin(() => [{ y: this.d?.threshold, color: C.down, dash: [4, 4], label: `alarm ${fixed(this.d?.threshold, 2)}` }])],
    }, this.hist.data());
  }

  reset() {
    this.hist.clear();
    this.d = null;
  }

  update(kind, d) {
    if (!d) return false;
    this.d = d;
    this.hist.apply(kind === 0, d.h);
    return true;
  }

  render() {
    const d = this.d;
    if (!d) return;
    this.u.setData(this.hist.data());
    this.empty.hidden = !d.missing && this.hist.t.length > 0;
    if (!d.missing && this.hist.t.length === 0) this.empty.textContent = d.status === 'warming-up' || d.status === 'estimating-bucket-size' ? `${d.status}${d.buckets != null ? ` · ${d.buckets}/${d.bucketsNeeded} buckets` : ''}` : 'no data yet';
    this.alarm.hidden = !d.toxic;
    // building-history: VPIN is known, its CDF (and the toxic flag) not yet: say how far along
    const phase = d.status === 'building-history' && d.history != null ? `${d.status} ${d.history}/${d.minHistory} values` : d.status;
    setText(this.meta, d.missing ? 'no data yet' : `VPIN ${fixed(d.vpin, 3)} · CDF ${fixed(d.cdf, 3)} · ${phase}`);
  }
}
