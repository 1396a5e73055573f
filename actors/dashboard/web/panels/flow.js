import { C, chart, hLinesPlugin } from '../charts.js';
import { esc, fixed, isNum, price, qty, setHTML, signed, time } from '../fmt.js';
import { Series } from '../series.js';

/** Imbalance gauge and its last minute, microprice against mid, spread, sweeps, hidden liquidity, unusual volume. */
export class FlowPanel {
  constructor() {
    this.root = document.getElementById('flow');
    setHTML(this.root, `
      <div><div class="gauge" id="imb-gauge"><i></i><span></span></div>
      <div class="gauge-labels"><span>sell pressure</span><span>top-5 imbalance</span><span>buy pressure</span></div></div>
      <div id="flow-spark"></div>
      <div class="kv" id="flow-kv"></div>
      <div class="flags" id="flow-flags"></div>
      <div class="scroll" id="flow-sweeps"></div>`);
    this.bar = this.root.querySelector('#imb-gauge i');
    this.barTxt = this.root.querySelector('#imb-gauge span');
    this.kv = this.root.querySelector('#flow-kv');
    this.flags = this.root.querySelector('#flow-flags');
    this.sweeps = this.root.querySelector('#flow-sweeps');
    this.hist = new Series(['imb'], 1200);
    this.d = null;
    this.u = chart(document.getElementById('flow-spark'), {
      scales: { x: { time: true }, y: { range: [-1, 1] } },
      axes: [{ show: false }, { show: false }],
      padding: [2, 0, 2, 0],
      series: [{}, { stroke: C.accent, width: 1, fill: 'rgba(78,161,255,0.10)', points: { show: false }, spanGaps: true }],
      cursor: { show: false },
      plugins: [hLinesPlugin(() => [{ y: 0, color: '#2a3442' }])],
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
    const imb = isNum(d.imbalance) ? Math.max(-1, Math.min(1, d.imbalance)) : 0;
    const w = Math.abs(imb) * 50;
    this.bar.style.left = imb >= 0 ? '50%' : `${50 - w}%`;
    this.bar.style.width = `${w}%`;
    this.bar.style.background = imb >= 0 ? 'rgba(34,192,138,0.55)' : 'rgba(255,92,106,0.55)';
    this.barTxt.textContent = isNum(d.imbalance) ? signed(d.imbalance, 3) : '—';
    this.u.setData(this.hist.data());
    const a = d.analytics || {};
    const microEdge = isNum(d.micro) && isNum(d.mid) ? d.micro - d.mid : NaN;
    const sw = a.sweeps || {};
    const unusual = a.unusualVolume || {};
    const rows = [
      ['Microprice', `${price(d.micro, 3)} <span class="${microEdge >= 0 ? 'up' : 'down'}">(${signed(microEdge, 3)})</span>`],
      ['Mid · spread', `${price(d.mid, 3)} · ${price(d.spread)}`],
      ['Sweeps', `${isNum(sw.count) ? sw.count : d.sweeps.length}${sw.last && isNum(sw.last.ts ?? sw.last.t) ? ` · last ${time(sw.last.ts ?? sw.last.t)}` : ''}`],
      ['Unusual volume', isNum(unusual.z) ? `z ${fixed(unusual.z, 2)}${unusual.flagged ? ` · ${unusual.flagged} flagged` : ''}` : '—'],
    ];
    setHTML(this.kv, rows.map(([k, v]) => `<span class="k">${k}</span><span class="v">${v}</span>`).join(''));
    const hidden = a.hidden || {};
    const flags = [
      ['SWEEP', d.sweepNow], ['HIDDEN', d.hiddenNow || hidden.bid?.iceberg || hidden.ask?.iceberg],
      ['UNUSUAL VOL', !!unusual.flagged || unusual.z >= 3],
    ];
    const uo = unusualContracts(d.unusualOptions);
    if (uo.count) flags.push([`UNUSUAL OPTIONS ${uo.count}`, true]);
    setHTML(this.flags, flags.map(([k, on]) => `<span class="flag${on ? ' on' : ''}">${k}</span>`).join(''));
    let html = d.sweeps.length
      ? `<table><thead><tr><th>Sweep</th><th>Side</th><th>Size</th><th>Price</th><th>Lvls</th></tr></thead><tbody>${d.sweeps.slice(0, 5).map((s) =>
        `<tr><td class="l">${time(s[0])}</td><td class="${s[3] > 0 ? 'up' : 'down'}">${s[3] > 0 ? 'BUY' : 'SELL'}</td><td>${qty(s[2])}</td><td>${price(s[1])}</td><td>${esc(s[4] ?? '')}</td></tr>`).join('')}</tbody></table>`
      : '<div class="nodata">no sweeps yet</div>';
    if (uo.top.length) {
      html += `<table><thead><tr><th>Unusual option</th><th>Vol</th><th>OI</th><th>Vol/OI</th></tr></thead><tbody>${uo.top.map((c) =>
        `<tr><td class="l">${esc(c.expiration ?? '')} <span class="${c.type === 'call' ? 'up' : 'down'}">${esc(c.strike ?? '')}${c.type === 'call' ? 'C' : c.type === 'put' ? 'P' : ''}</span></td><td>${qty(c.volume)}</td><td>${qty(c.oi)}</td><td>${fixed(c.ratio, 1)}</td></tr>`).join('')}</tbody></table>`;
    }
    setHTML(this.sweeps, html);
  }
}

/** `options:{SYM}:unusual` as published (`{count, contracts:[…]}` or a bare list): the count and the top 3 by volume/OI. */
function unusualContracts(v) {
  const list = Array.isArray(v) ? v : v && Array.isArray(v.contracts) ? v.contracts : [];
  const count = v && isNum(v.count) ? v.count : list.length;
  const top = list.filter((c) => c && typeof c === 'object').sort((a, b) => (b.ratio ?? 0) - (a.ratio ?? 0)).slice(0, 3);
  return { count, top };
}
