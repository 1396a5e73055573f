import { age, isNum, price, qty, setClass, setText } from '../fmt.js';

const ROW_H = 13.5;

/** One side of the ladder: a pool of row elements reused from frame to frame. */
class Side {
  constructor(el, side) {
    this.el = el;
    this.side = side; // 'b' or 'a'
    this.rows = [];
  }

  row(i) {
    while (this.rows.length <= i) {
      const r = document.createElement('div');
      r.className = 'lrow';
      r.innerHTML = '<span class="mm"></span><span class="sz bid"><i></i><b></b></span><span class="px"></span><span class="sz ask"><i></i><b></b></span><span class="mm r"></span>';
      const [mmB, bid, px, ask, mmA] = r.children;
      const row = { r, px, shown: true };
      // The size and market-maker cells of this side; the other side's cells stay empty.
      if (this.side === 'b') Object.assign(row, { mm: mmB, bar: bid.firstChild, txt: bid.lastChild });
      else Object.assign(row, { mm: mmA, bar: ask.firstChild, txt: ask.lastChild });
      this.rows.push(row);
      // Asks are listed furthest first: new (further) rows go on top.
      if (this.side === 'a') this.el.prepend(r);
      else this.el.appendChild(r);
    }
    return this.rows[i];
  }

  /** Levels best first. */
  render(levels, maxSz, digits) {
    for (let k = 0; k < levels.length; k++) {
      const row = this.row(k);
      const [p, s, mm] = levels[k];
      if (!row.shown) {
        row.r.style.display = '';
        row.shown = true;
      }
      setClass(row.r, `lrow ${this.side}${k === 0 ? ' best' : ''}`);
      setText(row.px, price(p, digits));
      setText(row.txt, qty(s));
      setText(row.mm, mm || '');
      row.bar.style.width = maxSz > 0 ? `${Math.max(2, (s / maxSz) * 100).toFixed(1)}%` : '0';
    }
    for (let k = levels.length; k < this.rows.length; k++) {
      const row = this.rows[k];
      if (row.shown) {
        row.r.style.display = 'none';
        row.shown = false;
      }
    }
  }
}

/** Level 2 depth ladder: asks above (best ask next to the spread), bids below; sizes as bars. */
export class LadderPanel {
  constructor() {
    this.el = document.getElementById('ladder');
    this.asks = new Side(document.getElementById('ladder-asks'), 'a');
    this.bids = new Side(document.getElementById('ladder-bids'), 'b');
    this.spread = document.getElementById('ladder-spread');
    this.meta = document.getElementById('ladder-meta');
    this.book = null;
  }

  reset() {
    this.book = null;
  }

  update(kind, data) {
    this.book = data;
    return true;
  }

  render() {
    const b = this.book;
    if (!b) return;
    const fit = (el) => Math.max(1, Math.floor(el.clientHeight / ROW_H));
    const asks = (b.asks || []).slice(0, fit(this.asks.el));
    const bids = (b.bids || []).slice(0, fit(this.bids.el));
    let maxSz = 0;
    for (const l of asks) maxSz = Math.max(maxSz, l[1]);
    for (const l of bids) maxSz = Math.max(maxSz, l[1]);
    const digits = priceDigits(asks, bids);
    this.asks.render(asks, maxSz, digits);
    this.bids.render(bids, maxSz, digits);
    const bestBid = bids[0]?.[0];
    const bestAsk = asks[0]?.[0];
    const spread = isNum(bestBid) && isNum(bestAsk) ? bestAsk - bestBid : NaN;
    const mid = (bestBid + bestAsk) / 2;
    setText(this.spread, isNum(spread) ? `spread ${price(spread, digits)} · ${((spread / mid) * 1e4).toFixed(1)} bp · mid ${price(mid, 3)}`
      : b.missing ? (b.level2 === false ? 'level 1 symbol: no depth' : 'no data yet') : 'one-sided book');
    const quality = [].concat(b.quality ?? []).filter((q) => q && q !== 'ok');
    setText(this.meta, b.missing ? 'no data yet' : `${bids.length}×${asks.length} · ${age(b.ageMs)}${quality.length ? ` · ${quality.join(',')}` : ''}`);
  }
}

/** 2 decimals unless a displayed price needs more (sub-penny venues, fractional ticks). */
function priceDigits(asks, bids) {
  for (const l of asks.concat(bids)) if (Math.abs(l[0] * 100 - Math.round(l[0] * 100)) > 1e-6) return 4;
  return 2;
}
