import { fixed, pct, price, setClass, setText } from '../fmt.js';

/** One chip per symbol: last, change since first seen, imbalance, VPIN; click to select the symbol. */
export class WatchPanel {
  constructor(onSelect) {
    this.root = document.getElementById('watch');
    this.onSelect = onSelect;
    this.chips = new Map();
    this.selected = null;
    this.rows = [];
  }

  setSymbols(symbols, selected) {
    this.root.textContent = '';
    this.chips.clear();
    for (const s of symbols) {
      const el = document.createElement('div');
      el.className = 'chip';
      el.dataset.symbol = s;
      el.innerHTML = '<span class="s"></span><span class="l"></span><span class="m"></span><span class="m r"></span>';
      el.children[0].textContent = s;
      el.addEventListener('click', () => this.onSelect(s));
      this.root.appendChild(el);
      this.chips.set(s, { el, last: el.children[1], a: el.children[2], b: el.children[3] });
    }
    this.select(selected);
  }

  select(sym) {
    this.selected = sym;
    for (const [s, c] of this.chips) c.el.classList.toggle('sel', s === sym);
  }

  reset() {}

  update(kind, d) {
    this.rows = d?.rows || [];
    return true;
  }

  render() {
    for (const [sym, bid, ask, last, chg, imb, vpin, toxic] of this.rows) {
      const c = this.chips.get(sym);
      if (!c) continue;
      const px = last ?? (bid != null && ask != null ? (bid + ask) / 2 : null);
      setText(c.last, price(px));
      setClass(c.last, `l ${chg > 0 ? 'up' : chg < 0 ? 'down' : ''}`);
      setText(c.a, `${pct(chg)}`);
      setText(c.b, `imb ${fixed(imb, 2)} · vpin ${fixed(vpin, 2)}`);
      c.el.classList.toggle('toxic', !!toxic);
    }
  }
}
