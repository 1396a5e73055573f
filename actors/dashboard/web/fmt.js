// Number and time formatting for the panels. Formatters are cached per digit count (Intl is slow to build).
const cache = new Map();
function nf(digits) {
  let f = cache.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    cache.set(digits, f);
  }
  return f;
}

export const isNum = (x) => typeof x === 'number' && Number.isFinite(x);

/** A price with 2 decimals (more when the value needs them, as sub-penny VWAPs do). */
export function price(x, digits = 2) {
  return isNum(x) ? nf(digits).format(x) : '—';
}

export function fixed(x, digits = 2) {
  return isNum(x) ? nf(digits).format(x) : '—';
}

export function signed(x, digits = 2) {
  if (!isNum(x)) return '—';
  const s = nf(digits).format(x);
  return x > 0 ? '+' + s : s;
}

/** Sizes and counts: 1,234 · 12.3K · 4.56M · 7.8B. */
export function qty(x) {
  if (!isNum(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1e9) return nf(2).format(x / 1e9) + 'B';
  if (a >= 1e6) return nf(2).format(x / 1e6) + 'M';
  if (a >= 1e5) return nf(1).format(x / 1e3) + 'K';
  return nf(a < 10 && a % 1 !== 0 ? 2 : 0).format(x);
}

export function bytes(x) {
  if (!isNum(x)) return '—';
  if (x >= 1 << 20) return `${(x / (1 << 20)).toFixed(1)} MiB`;
  if (x >= 1 << 10) return `${(x / (1 << 10)).toFixed(1)} KiB`;
  return `${Math.round(x)} B`;
}

export function pct(x, digits = 2) {
  return isNum(x) ? signed(x, digits) + '%' : '—';
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** Local wall-clock time of an epoch-ms instant: HH:MM:SS (with .mmm when asked). */
export function time(ms, millis = false) {
  if (!isNum(ms) || ms <= 0) return '—';
  const d = new Date(ms);
  const s = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return millis ? `${s}.${pad(d.getMilliseconds(), 3)}` : s;
}

export function age(ms) {
  if (!isNum(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${pad(Math.floor((ms % 60_000) / 1000))}s`;
  return `${Math.floor(ms / 3_600_000)}h${pad(Math.floor((ms % 3_600_000) / 60_000))}m`;
}

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** Sets textContent only when it changed (skips style and layout work on unchanged cells). */
export function setText(el, s) {
  if (el.textContent !== s) el.textContent = s;
}

/** Sets innerHTML only when the markup changed (a table rebuilt at 10 Hz with the same rows costs nothing). */
export function setHTML(el, html) {
  if (el._html !== html) {
    el._html = html;
    el.innerHTML = html;
  }
}

export function setClass(el, cls) {
  if (el.className !== cls) el.className = cls;
}
