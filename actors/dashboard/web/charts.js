import uPlot from '/vendor/uPlot.esm.js';

export { uPlot };

export const C = {
  grid: '#18202a',
  axis: '#6f7b8a',
  text: '#c8d1dc',
  bright: '#eef3f8',
  accent: '#4ea1ff',
  up: '#22c08a',
  down: '#ff5c6a',
  amber: '#f0b429',
  violet: '#b48cff',
  mid: '#7d8ea3',
};
const FONT = '10px ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace';

export function axis(extra = {}) {
  return {
    stroke: C.axis,
    font: FONT,
    size: 44,
    gap: 3,
    grid: { stroke: C.grid, width: 1 },
    ticks: { stroke: C.grid, width: 1, size: 3 },
    ...extra,
  };
}

const two = (n) => String(n).padStart(2, '0');

/** A time x-axis labelled in local HH:MM:SS (HH:MM when the ticks are whole minutes). */
export function timeAxis(extra = {}) {
  return axis({
    size: 22,
    space: 64,
    // Whole seconds at least: sub-second ticks would print the same HH:MM:SS twice.
    incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400],
    values: (u, splits) => {
      const minutes = splits.length > 1 && splits.every((s) => s % 60 === 0);
      return splits.map((s) => {
        const d = new Date(s * 1000);
        return minutes ? `${two(d.getHours())}:${two(d.getMinutes())}` : `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
      });
    },
    ...extra,
  });
}

/** A uPlot that fills its container and follows its size. */
export function chart(el, opts, data) {
  const size = () => ({ width: Math.max(50, el.clientWidth), height: Math.max(40, el.clientHeight) });
  const u = new uPlot({
    ...size(),
    legend: { show: false },
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 5 } },
    ...opts,
  }, data, el);
  new ResizeObserver(() => {
    const s = size();
    if (s.width !== u.width || s.height !== u.height) u.setSize(s);
  }).observe(el);
  return u;
}

/** Canvas-pixel x of a value, or NaN when it is outside the plot. */
function xPix(u, v) {
  const x = u.valToPos(v, 'x', true);
  return x >= u.bbox.left - 1 && x <= u.bbox.left + u.bbox.width + 1 ? x : NaN;
}

/** Draws candles (OHLC columns from `getBars()`, starts in epoch seconds) behind the price lines of a time chart. */
export function candlePlugin(getBars, barSeconds = 5) {
  return {
    hooks: {
      drawClear: [(u) => {
        const b = getBars();
        if (!b || !b.t.length) return;
        const ctx = u.ctx;
        const w0 = u.valToPos(u.scales.x.min + barSeconds, 'x', true) - u.valToPos(u.scales.x.min, 'x', true);
        const w = Math.max(1, Math.min(14 * devicePixelRatio, w0 * 0.72));
        ctx.save();
        ctx.setLineDash([]);
        ctx.beginPath();
        ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
        ctx.clip();
        for (let i = 0; i < b.t.length; i++) {
          const o = b.o[i], h = b.h[i], l = b.l[i], c = b.c[i];
          if (o == null || c == null) continue;
          const x = xPix(u, b.t[i] + barSeconds / 2);
          if (Number.isNaN(x)) continue;
          const up = c >= o;
          ctx.strokeStyle = up ? 'rgba(34,192,138,0.75)' : 'rgba(255,92,106,0.75)';
          ctx.fillStyle = up ? 'rgba(34,192,138,0.28)' : 'rgba(255,92,106,0.28)';
          ctx.lineWidth = 1;
          const yh = u.valToPos(h, 'y', true), yl = u.valToPos(l, 'y', true);
          const yo = u.valToPos(o, 'y', true), yc = u.valToPos(c, 'y', true);
          ctx.beginPath();
          ctx.moveTo(Math.round(x) + 0.5, yh);
          ctx.lineTo(Math.round(x) + 0.5, yl);
          ctx.stroke();
          const top = Math.min(yo, yc), hgt = Math.max(1, Math.abs(yc - yo));
          ctx.fillRect(x - w / 2, top, w, hgt);
          ctx.strokeRect(Math.round(x - w / 2) + 0.5, Math.round(top) + 0.5, Math.round(w), Math.round(hgt));
        }
        ctx.restore();
      }],
    },
  };
}

/** Horizontal reference lines: [{ y, color, dash, label }]. */
export function hLinesPlugin(getLines) {
  return {
    hooks: {
      draw: [(u) => {
        const ctx = u.ctx;
        ctx.save();
        for (const ln of getLines() || []) {
          if (ln.y == null || !Number.isFinite(ln.y)) continue;
          const y = Math.round(u.valToPos(ln.y, 'y', true)) + 0.5;
          if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
          ctx.strokeStyle = ln.color;
          ctx.lineWidth = devicePixelRatio;
          ctx.setLineDash((ln.dash || []).map((d) => d * devicePixelRatio));
          ctx.beginPath();
          ctx.moveTo(u.bbox.left, y);
          ctx.lineTo(u.bbox.left + u.bbox.width, y);
          ctx.stroke();
          if (ln.label) {
            ctx.setLineDash([]);
            ctx.fillStyle = ln.color;
            ctx.font = `${10 * devicePixelRatio}px ui-monospace, Menlo, monospace`;
            ctx.textAlign = 'right';
            ctx.fillText(ln.label, u.bbox.left + u.bbox.width - 4, y - 3 * devicePixelRatio);
          }
        }
        ctx.restore();
      }],
    },
  };
}

/** Vertical reference lines with a label at the top: [{ x, color, dash, label }]. */
export function vLinesPlugin(getLines) {
  return {
    hooks: {
      draw: [(u) => {
        const ctx = u.ctx;
        ctx.save();
        ctx.font = `${10 * devicePixelRatio}px ui-monospace, Menlo, monospace`;
        let row = 0;
        for (const ln of getLines() || []) {
          if (ln.x == null || !Number.isFinite(ln.x)) continue;
          const x = xPix(u, ln.x);
          if (Number.isNaN(x)) continue;
          const xr = Math.round(x) + 0.5;
          ctx.strokeStyle = ln.color;
          ctx.lineWidth = devicePixelRatio;
          ctx.setLineDash((ln.dash || []).map((d) => d * devicePixelRatio));
          ctx.beginPath();
          ctx.moveTo(xr, u.bbox.top);
          ctx.lineTo(xr, u.bbox.top + u.bbox.height);
          ctx.stroke();
          if (ln.label) {
            ctx.setLineDash([]);
            ctx.fillStyle = ln.color;
            const tw = ctx.measureText(ln.label).width;
            const right = xr + 4 + tw > u.bbox.left + u.bbox.width;
            ctx.textAlign = right ? 'right' : 'left';
            ctx.fillText(ln.label, right ? xr - 4 : xr + 4, u.bbox.top + (11 + 12 * row) * devicePixelRatio);
            row = (row + 1) % 4;
          }
        }
        ctx.restore();
      }],
    },
  };
}

export const barsPath = () => uPlot.paths.bars({ size: [0.8, 40 * devicePixelRatio], align: 0 });
