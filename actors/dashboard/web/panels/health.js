import { age, esc, qty, setHTML, setText } from '../fmt.js';

/** Actors (state, heartbeat, restarts, messages/s, errors) and rings (fill per reader, lag, overruns). */
export class HealthPanel {
  constructor(onHeader) {
    this.actors = document.getElementById('actors');
    this.rings = document.getElementById('rings');
    this.meta = document.getElementById('health-meta');
    this.onHeader = onHeader;
    this.d = null;
  }

  reset() {}

  update(kind, d) {
    this.d = d;
    return true;
  }

  render() {
    const d = this.d;
    if (!d) return;
    this.onHeader(d);
    const hb = new Map(d.heartbeats || []);
    const actors = d.actors || [];
    setHTML(this.actors, actors.length
      ? `<table><thead><tr><th>Actor</th><th>State</th><th>Beat</th><th>Rst</th><th>In/s</th><th>Out/s</th><th>Err</th></tr></thead><tbody>${actors.map((a) => {
        const [name, , state, alive, hbAge, restarts, , inRate, outRate, errors, inputErrors, degraded] = a;
        const cls = !alive ? 'bad' : degraded ? 'warn' : 'ok';
        const err = errors + inputErrors;
        return `<tr><td class="l"><span class="dot ${cls}"></span>${esc(name)}</td><td>${esc(state)}${degraded ? ' <span class="warn-text">degraded</span>' : ''}</td><td>${age(hbAge)}</td><td class="${restarts > 0 ? 'warn-text' : ''}">${restarts}</td><td>${qty(inRate)}</td><td>${qty(outRate)}</td><td class="${err > 0 ? 'down' : 'muted'}">${qty(err)}</td></tr>`;
      }).join('')}</tbody></table>`
      : '<div class="nodata">no data yet</div>');
    const rings = d.rings || [];
    const rows = [];
    for (const r of rings) {
      for (const [reader, mode, lag, fill, overruns] of r.readers) {
        const pct = Math.min(100, fill * 100);
        const cls = pct > 80 ? 'bad' : pct > 40 ? 'warn' : '';
        rows.push(`<tr><td class="l" title="${esc(r.producer)} → ${esc(reader)}, ${qty(r.rate)} msg/s">${esc(r.name)}</td><td class="l" title="${mode}">${esc(reader)}${mode === 'lossless' ? ' <span class="muted">●</span>' : ''}</td><td><span class="fillbar"><i class="${cls}" style="width:${pct.toFixed(1)}%"></i></span>${pct.toFixed(pct < 10 ? 1 : 0)}%</td><td>${qty(lag)}</td><td class="${overruns > 0 ? 'warn-text' : 'muted'}">${qty(overruns)}</td></tr>`);
      }
    }
    const beats = [...hb.entries()].filter(([n]) => !actors.some((a) => a[0] === n));
    setHTML(this.rings, (rows.length
      ? `<table><thead><tr><th>Ring</th><th class="l">Reader</th><th>Fill</th><th>Lag</th><th>Ovr</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : '<div class="nodata">no data yet</div>') +
      (beats.length ? `<table><thead><tr><th>Module heartbeat</th><th>Age</th></tr></thead><tbody>${beats.map(([n, a]) => `<tr><td class="l">${esc(n)}</td><td>${age(a)}</td></tr>`).join('')}</tbody></table>` : ''));
    const p = d.publisher;
    setText(this.meta, `${d.uptimeMs != null ? `up ${age(d.uptimeMs)} · ` : ''}${p ? `redis pending ${p.pending ?? '—'} · flush ${p.flushMs != null ? p.flushMs.toFixed(1) : '—'}ms · ` : ''}${d.dashboard.clients} viewer${d.dashboard.clients === 1 ? '' : 's'}`);
  }
}
