/**
 * Columnar history as the feed sends it: `{ t: [...ms], a: [...], b: [...] }`. A full frame replaces it,
 * a delta appends the points newer than the last one held (a delta may repeat points a full frame
 * already carried, and a refined last point replaces it). Times become seconds for uPlot.
 */
export class Series {
  constructor(names, max = 6000) {
    this.names = names;
    this.max = max;
    this.t = [];
    this.cols = names.map(() => []);
  }

  clear() {
    this.t.length = 0;
    for (const c of this.cols) c.length = 0;
  }

  apply(full, h) {
    if (!h || !Array.isArray(h.t)) return false;
    if (full) this.clear();
    let changed = false;
    for (let i = 0; i < h.t.length; i++) {
      const ts = h.t[i] / 1000;
      const n = this.t.length;
      const last = n ? this.t[n - 1] : -Infinity;
      if (ts < last) continue;
      if (ts === last) {
        this.names.forEach((k, j) => (this.cols[j][n - 1] = h[k]?.[i] ?? null));
      } else {
        this.t.push(ts);
        this.names.forEach((k, j) => this.cols[j].push(h[k]?.[i] ?? null));
      }
      changed = true;
    }
    const excess = this.t.length - this.max;
    if (excess > 0) {
      this.t.splice(0, excess);
      for (const c of this.cols) c.splice(0, excess);
    }
    return changed;
  }

  data() {
    return [this.t, ...this.cols];
  }

  lastOf(name) {
    const c = this.cols[this.names.indexOf(name)];
    for (let i = c.length - 1; i >= 0; i--) if (c[i] != null) return c[i];
    return null;
  }
}
