import { esc, fixed, price, setHTML, setText, time } from '../fmt.js';

/** Newest signals first, from the signals ring; the latest per symbol from `signals:{SYM}:latest` when no ring signal exists. */
export class SignalsPanel {
  constructor() {
    this.root = document.getElementById('signals');
    this.meta = document.getElementById('signals-meta');
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
    const list = d.list || [];
    const latest = Object.entries(d.latest || {});
    setText(this.meta, `${list.length} recent`);
    if (!list.length && !latest.length) {
      setHTML(this.root, '<div class="nodata">no data yet</div>');
      return;
    }
    const rows = list.map((s) => {
      const dir = s.dir > 0 ? '<span class="side-l">▲ LONG</span>' : s.dir < 0 ? '<span class="side-s">▼ SHORT</span>' : '<span class="muted">FLAT</span>';
      return `<tr><td class="l">${time(s.t)}</td><td class="l">${esc(s.s)}</td><td>${esc(s.strategy)}</td><td>${dir}</td><td>${fixed(s.conf, 2)}</td><td>${price(s.price)}</td><td class="up">${price(s.target)}</td><td class="down">${price(s.stop)}</td></tr>`;
    });
    if (!list.length) {
      for (const [sym, v] of latest) {
        const o = v && typeof v === 'object' ? v : {};
        const dirN = o.direction ?? o.dir ?? (o.side === 'long' || o.side === 'buy' ? 1 : o.side === 'short' || o.side === 'sell' ? -1 : 0);
        const dir = dirN > 0 ? '<span class="side-l">▲ LONG</span>' : dirN < 0 ? '<span class="side-s">▼ SHORT</span>' : '<span class="muted">—</span>';
        rows.push(`<tr><td class="l">${time(o.ts ?? o.t)}</td><td class="l">${esc(sym)}</td><td>${esc(o.strategy ?? '')}</td><td>${dir}</td><td>${fixed(o.confidence ?? o.conf, 2)}</td><td>${price(o.price ?? o.entry)}</td><td class="up">${price(o.target)}</td><td class="down">${price(o.stop)}</td></tr>`);
      }
    }
    setHTML(this.root, `<table><thead><tr><th>Time</th><th class="l">Sym</th><th>Strat</th><th>Dir</th><th>Conf</th><th>Px</th><th>Tgt</th><th>Stop</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
}
