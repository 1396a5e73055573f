import type { E2eReport, Pipeline, Stage } from './report.js';
import { STAGES } from './report.js';

const STAGE_COLOR: Record<Stage, string> = {
  wire_to_receipt: '#7f7f7f', receipt_to_decoded: '#17becf', decoded_to_book: '#1f77b4', book_to_analytics: '#2ca02c',
  analytics_to_decision: '#bcbd22', receipt_to_decision: '#ff7f0e', wire_to_decision: '#000000',
  tick_to_signal: '#d62728', tick_to_order: '#9467bd', signal_to_execution: '#c5b0d5', execution_to_order: '#8c6d31', tick_to_redis: '#8c564b', tick_to_dashboard: '#e377c2', dashboard_age: '#f7b6d2',
};
const PIPE_SHORT: Record<Pipeline, string> = { engine: 'engine', 'engine-colocated': 'colocated', native: 'native', 'native-busy': 'busy', postmessage: 'postMessage' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (ns: number) => (ns >= 1e6 ? `${+(ns / 1e6).toPrecision(3)} ms` : ns >= 1e3 ? `${+(ns / 1e3).toPrecision(3)} µs` : `${Math.round(ns)} ns`);

/**
 * The latency plot, hand-written SVG (no plotting dependency): one panel per rate; in each, one column per
 * pipeline and stage, a vertical bar from p50 to max on a log scale with marks at p50 (dot), p90, p99
 * (square), p99.9 (diamond) and max (dash). Colour = stage.
 */
export function renderSvg(r: E2eReport): string {
  const labels = [...new Set(r.runs.map((x) => x.rate_label ?? String(x.rate)))];
  const panels = labels.map((label) => {
    const cols: { pipe: Pipeline; stage: Stage; s: NonNullable<E2eReport['runs'][number]['stages'][Stage]> }[] = [];
    for (const run of r.runs.filter((x) => (x.rate_label ?? String(x.rate)) === label)) {
      for (const st of STAGES) {
        const s = run.stages[st];
        if (s && s.count > 0) cols.push({ pipe: run.pipeline, stage: st, s });
      }
    }
    return { label, cols };
  });
  const all = panels.flatMap((p) => p.cols.flatMap((c) => [c.s.p50_ns, c.s.max_ns])).filter((x) => x > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(1, Math.min(...(all.length ? all : [1e3]))))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(lo * 10, ...(all.length ? all : [1e6])))));
  const colW = 34;
  const left = 70;
  const panelH = 300;
  const plotTop = 40;
  const plotH = 190;
  const width = Math.max(1000, left + 90 + Math.max(1, ...panels.map((p) => p.cols.length)) * colW); // room for the title and the last rotated label
  const legendH = 40;
  const height = legendH + panels.length * panelH + 20;
  const y = (ns: number) => plotTop + plotH - ((Math.log10(Math.max(ns, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${left}" y="16" font-size="14" font-weight="bold">End-to-end latency from intended send time: p50 (dot) · p90 · p99 (square) · p99.9 (diamond) · max (dash), log scale</text>`);
  STAGES.forEach((st, i) => {
    const x = left + i * 130;
    out.push(`<rect x="${x}" y="26" width="10" height="10" fill="${STAGE_COLOR[st]}"/><text x="${x + 14}" y="35">${st}</text>`);
  });
  panels.forEach((p, pi) => {
    const oy = legendH + pi * panelH;
    out.push(`<g transform="translate(0,${oy})">`);
    out.push(`<text x="${left}" y="24" font-size="13" font-weight="bold">rate ${esc(p.label)}</text>`);
    for (let d = lo; d <= hi * 1.0001; d *= 10) {
      const yy = y(d).toFixed(1);
      out.push(`<line x1="${left}" x2="${width - 10}" y1="${yy}" y2="${yy}" stroke="#ddd"/><text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(d)}</text>`);
    }
    out.push(`<line x1="${left}" x2="${left}" y1="${plotTop}" y2="${plotTop + plotH}" stroke="#444"/>`);
    if (!p.cols.length) out.push(`<text x="${left + 10}" y="${plotTop + plotH / 2}">no samples</text>`);
    p.cols.forEach((c, ci) => {
      const cx = left + 20 + ci * colW;
      const col = STAGE_COLOR[c.stage];
      const s = c.s;
      out.push(`<g><title>${esc(`${c.pipe} ${c.stage}: p50 ${fmt(s.p50_ns)}, p90 ${fmt(s.p90_ns)}, p99 ${fmt(s.p99_ns)}, p99.9 ${fmt(s.p999_ns)}, max ${fmt(s.max_ns)}, n=${s.count}`)}</title>`);
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y(s.p50_ns).toFixed(1)}" y2="${y(s.max_ns).toFixed(1)}" stroke="${col}" stroke-width="2"/>`);
      out.push(`<circle cx="${cx}" cy="${y(s.p50_ns).toFixed(1)}" r="4" fill="${col}"/>`);
      out.push(`<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(s.p90_ns).toFixed(1)}" y2="${y(s.p90_ns).toFixed(1)}" stroke="${col}" stroke-width="2"/>`);
      out.push(`<rect x="${cx - 3.5}" y="${(y(s.p99_ns) - 3.5).toFixed(1)}" width="7" height="7" fill="${col}"/>`);
      out.push(`<path d="M${cx} ${(y(s.p999_ns) - 5).toFixed(1)} l5 5 l-5 5 l-5 -5 z" fill="none" stroke="${col}" stroke-width="1.5"/>`);
      out.push(`<line x1="${cx - 7}" x2="${cx + 7}" y1="${y(s.max_ns).toFixed(1)}" y2="${y(s.max_ns).toFixed(1)}" stroke="${col}" stroke-width="2"/>`);
      const ly = plotTop + plotH + 8;
      out.push(`<text transform="translate(${cx + 3},${ly}) rotate(60)" font-size="10">${esc(PIPE_SHORT[c.pipe])} ${esc(c.stage.replace('tick_to_', ''))}</text></g>`);
    });
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
