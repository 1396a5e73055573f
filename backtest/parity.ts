import type { ReplayRecord } from '../actors/market-depth/Recording.js';
import type { ReplayOutputs } from './ReplayPipeline.js';

export interface ParityLine {
  recorded: number; replayed: number; matched: number; mismatched: number; missing: number; extra: number; firstMismatch?: string;
  /** replayed past the recording's last output of that kind: not comparable (the live run stopped recording first) */
  beyond?: number;
}
export interface ParityReport { signals: ParityLine; analytics: ParityLine; orders: ParityLine; fills: ParityLine; ok: boolean }

/** Exact equality, NaN equal to NaN (an unknown VPIN is unknown on both sides). */
const same = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => same(x, b[i])) : a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Compares two keyed lists: each key's value must be equal, exactly; keys on one side only are missing/extra. */
function compare<T>(rec: Map<string, T>, rep: Map<string, T>, eq: (a: T, b: T) => boolean): ParityLine {
  const line: ParityLine = { recorded: rec.size, replayed: rep.size, matched: 0, mismatched: 0, missing: 0, extra: 0 };
  for (const [k, v] of rec) {
    const w = rep.get(k);
    if (w === undefined) {
      line.missing++;
      line.firstMismatch ??= `${k}: not replayed`;
    } else if (eq(v, w)) line.matched++;
    else {
      line.mismatched++;
      line.firstMismatch ??= `${k}: recorded ${JSON.stringify(v)}, replayed ${JSON.stringify(w)}`;
    }
  }
  for (const k of rep.keys()) if (!rec.has(k)) {
    line.extra++;
    line.firstMismatch ??= `${k}: replayed only`;
  }
  return line;
}

/**
 * The live run's outputs (the recording's `out:*` records) against a replay's: signals by (position, id)
 * with direction and confidence, analytics checks by position with every value, orders by client order id
 * with side, quantity and type, fills per order as the list of (price, quantity). Exact, no tolerance.
 */
export function parity(recorded: readonly ReplayRecord[], out: ReplayOutputs): ParityReport {
  const of = (k: string) => recorded.filter((r) => r.k === k).map((r) => ({ p: r.p, ...(r.d as Record<string, unknown>) }) as { p: number[] } & Record<string, any>);
  const sig = (x: { p: number[]; id: unknown; symbol: unknown }) => `${x.p[0]}/${x.symbol}/${x.id}`;
  const signals = compare(
    new Map(of('out:signal').map((x) => [sig(x as never), [x.strategy, x.direction, x.confidence, x.price]])),
    new Map(out.signals.map((x) => [sig(x), [x.strategy, x.direction, x.confidence, x.price]])), same);
  // At stop, market-depth closes the recording (it is first in the data flow) while analytics still drains the
  // ring: the live run's checks after that point never reach the file, but a replay computes them. Replayed
  // checks past the last recorded one are counted apart (`beyond`), not compared; every one before it is.
  const recordedChecks = of('out:analytics');
  const lastCheck = recordedChecks.reduce((m, x) => Math.max(m, x.p[0] ?? -Infinity), -Infinity);
  const analytics = compare(
    new Map(recordedChecks.map((x) => [`${x.p[0]}/${x.symbol}`, x.v])),
    new Map(out.analytics.filter((x) => x.p[0]! <= lastCheck).map((x) => [`${x.p[0]}/${x.symbol}`, x.v])), same);
  analytics.beyond = out.analytics.filter((x) => !(x.p[0]! <= lastCheck)).length;
  const orders = compare(
    new Map(of('out:order').map((x) => [String(x.cid), [x.side, x.qty, x.type]])),
    new Map(out.orders.map((x) => [x.cid, [x.side, x.qty, x.type]])), same);
  const fillsOf = (xs: { cid: unknown; price: unknown; qty: unknown }[]) => {
    const m = new Map<string, unknown[]>();
    for (const f of xs) (m.get(String(f.cid)) ?? m.set(String(f.cid), []).get(String(f.cid))!).push([f.price, f.qty]);
    return m;
  };
  const fills = compare(fillsOf(of('out:fill') as never), fillsOf(out.fills), same);
  const clean = (l: ParityLine) => l.mismatched === 0 && l.missing === 0 && l.extra === 0;
  return { signals, analytics, orders, fills, ok: [signals, analytics, orders, fills].every(clean) };
}

export function formatParity(r: ParityReport): string {
  const row = (name: string, l: ParityLine) =>
    `  ${name.padEnd(10)} recorded ${String(l.recorded).padStart(6)}  replayed ${String(l.replayed).padStart(6)}  matched ${String(l.matched).padStart(6)}  mismatched ${l.mismatched}  missing ${l.missing}  extra ${l.extra}${l.beyond ? `  beyond the recording ${l.beyond}` : ''}${l.firstMismatch ? `\n    first: ${l.firstMismatch}` : ''}`;
  return [`replay parity: ${r.ok ? 'EXACT' : 'MISMATCH'}`, row('signals', r.signals), row('analytics', r.analytics), row('orders', r.orders), row('fills', r.fills)].join('\n');
}
