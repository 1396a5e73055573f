import type { ReplayRecord } from '../actors/market-depth/Recording.js';
import type { ReplayOutputs } from './ReplayPipeline.js';

export interface ParityLine {
  recorded: number; replayed: number; matched: number; mismatched: number; missing: number; extra: number;
  /** every mismatch, missing and extra key, in that order */
  mismatches: string[];
  /** replayed past the recording's last output of that kind: not comparable (the live run stopped recording first) */
  beyond?: number;
}
export interface ParityReport {
  signals: ParityLine; analytics: ParityLine;
  /** execution's outcome of each signal: `sent <cid>`, or the reason it did not trade (risk rule, position, working order) */
  decisions: ParityLine;
  orders: ParityLine; fills: ParityLine; ok: boolean;
}

/** Exact equality, NaN equal to NaN (an unknown VPIN is unknown on both sides). */
const same = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => same(x, b[i])) : a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Compares two keyed lists: each key's value must be equal, exactly; keys on one side only are missing/extra. */
function compare<T>(rec: Map<string, T>, rep: Map<string, T>, eq: (a: T, b: T) => boolean): ParityLine {
  const line: ParityLine = { recorded: rec.size, replayed: rep.size, matched: 0, mismatched: 0, missing: 0, extra: 0, mismatches: [] };
  const note = (m: string) => void line.mismatches.push(m);
  for (const [k, v] of rec) {
    const w = rep.get(k);
    if (w === undefined) {
      line.missing++;
      note(`${k}: not replayed`);
    } else if (eq(v, w)) line.matched++;
    else {
      line.mismatched++;
      note(`${k}: recorded ${JSON.stringify(v)}, replayed ${JSON.stringify(w)}`);
    }
  }
  for (const k of rep.keys()) if (!rec.has(k)) {
    line.extra++;
    note(`${k}: replayed only`);
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
  // Signals too drain after the recording closed (decision 123): a replayed signal past the signals actor's last
  // record (a signal, or the progress mark it leaves every 64 snapshots) is counted apart, not compared. Only a
  // recording with progress marks has such a horizon; one without (older) compares every signal as before.
  const signalRecords = recorded.filter((r) => r.a === 'signals');
  const lastSnapshot = signalRecords.some((r) => r.k === 'out:progress') ? signalRecords.reduce((m, r) => Math.max(m, r.p[0] ?? -Infinity), -Infinity) : Infinity;
  const signals = compare(
    new Map(of('out:signal').map((x) => [sig(x as never), [x.strategy, x.direction, x.confidence, x.price]])),
    new Map(out.signals.filter((x) => x.p[0]! <= lastSnapshot).map((x) => [sig(x), [x.strategy, x.direction, x.confidence, x.price]])), same);
  signals.beyond = out.signals.filter((x) => !(x.p[0]! <= lastSnapshot)).length;
  // At stop, market-depth closes the recording (it is first in the data flow) while analytics still drains the
  // ring: the live run's checks after that point never reach the file, but a replay computes them. Replayed
  // checks past the last recorded one are counted apart (`beyond`), not compared; every one before it is.
  const recordedChecks = of('out:analytics');
  const lastCheck = recordedChecks.reduce((m, x) => Math.max(m, x.p[0] ?? -Infinity), -Infinity);
  const analytics = compare(
    new Map(recordedChecks.map((x) => [`${x.p[0]}/${x.symbol}`, x.v])),
    new Map(out.analytics.filter((x) => x.p[0]! <= lastCheck).map((x) => [`${x.p[0]}/${x.symbol}`, x.v])), same);
  analytics.beyond = out.analytics.filter((x) => !(x.p[0]! <= lastCheck)).length;
  // The same for execution (decision 123): its records, too, stop where the recording closed. Each is stamped
  // with the broker events execution had applied, and an order or fill is recorded at its own event, so one
  // the live run made while the file was open has a count at most the last recorded one. A replayed order or
  // fill past it was made after the close on both sides: counted apart, not compared. A recorded one is always
  // compared, and a divergence shows before the counts part (up to it they are the same).
  const lastEvent = recorded.filter((r) => r.a === 'execution').reduce((m, r) => Math.max(m, r.p[1] ?? -Infinity), -Infinity);
  const within = (x: { p?: number[] }) => !(x.p && x.p[1]! > lastEvent);
  const orders = compare(
    new Map(of('out:order').map((x) => [String(x.cid), [x.side, x.qty, x.type]])),
    new Map(out.orders.filter(within).map((x) => [x.cid, [x.side, x.qty, x.type]])), same);
  orders.beyond = out.orders.filter((x) => !within(x)).length;
  const fillsOf = (xs: { cid: unknown; price: unknown; qty: unknown }[]) => {
    const m = new Map<string, unknown[]>();
    for (const f of xs) (m.get(String(f.cid)) ?? m.set(String(f.cid), []).get(String(f.cid))!).push([f.price, f.qty]);
    return m;
  };
  const fills = compare(fillsOf(of('out:fill') as never), fillsOf(out.fills.filter(within)), same);
  fills.beyond = out.fills.filter((x) => !within(x)).length;
  // Execution's outcome of every signal (`sent <cid>` or why not): it decides them one at a time in signal order,
  // live and in a replay, and the recording keeps them in that order, so the recorded ones are the live run's
  // first n: the replay's first n must be the same, the rest came after the close. This also covers the last
  // decisions before the close, whose order (if any) would only have counted past the horizon above.
  const recordedDecisions = of('out:decision');
  const replayedDecisions = out.decisions ?? [];
  const decisions = compare(
    new Map(recordedDecisions.map((x) => [`${x.symbol}/${x.id}`, String(x.outcome)])),
    new Map(replayedDecisions.slice(0, recordedDecisions.length).map((x) => [`${x.symbol}/${x.id}`, x.outcome])), same);
  decisions.beyond = Math.max(0, replayedDecisions.length - recordedDecisions.length);
  const clean = (l: ParityLine) => l.mismatched === 0 && l.missing === 0 && l.extra === 0;
  return { signals, analytics, decisions, orders, fills, ok: [signals, analytics, decisions, orders, fills].every(clean) };
}

const SHOWN = 20;

export function formatParity(r: ParityReport): string {
  const list = (xs: readonly string[]) => xs.slice(0, SHOWN).map((m) => `\n    ${m}`).join('') + (xs.length > SHOWN ? `\n    … ${xs.length - SHOWN} more` : '');
  const row = (name: string, l: ParityLine) =>
    `  ${name.padEnd(10)} recorded ${String(l.recorded).padStart(6)}  replayed ${String(l.replayed).padStart(6)}  matched ${String(l.matched).padStart(6)}  mismatched ${l.mismatched}  missing ${l.missing}  extra ${l.extra}${l.beyond ? `  beyond the recording ${l.beyond}` : ''}${list(l.mismatches)}`;
  return [`replay parity: ${r.ok ? 'EXACT' : 'MISMATCH'}`, row('signals', r.signals), row('analytics', r.analytics), row('decisions', r.decisions), row('orders', r.orders), row('fills', r.fills)].join('\n');
}
