/**
 * `npm run bench -- options-run [--limit S] [--config OVERLAY]`: the default run (simulated session clock) from a fresh data
 * directory, watched for issue 11's figures: when `orders:journal` first holds a 0DTE option intent (field
 * `occ`, the session's date as expiry) and its first fill, whether `alphatrader status --json` lists option
 * positions (contracts, multiplier, P&L) and `risk:greeks` the book's greeks, whether any 0DTE option position
 * is still open after the options cutoff, and per strategy over the session: orders, fills, premium spent, P&L.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NYSE, etDate } from '../analytics/calendar.js';
import { parseOcc } from '../analytics/instrument.js';
import { sessionTimeOn } from '../actors/execution/session/SessionSchedule.js';
import { startDefaultRun } from './defaultRun.js';

const STRATEGY: Record<string, string> = { 0: 'manual', 1: '0DTE', 2: '1DTE', 3: '14DTE', 4: 'MOC', 9: 'exit', 10: 'kill' };

interface Intent { cid: string; strategy: string; occ: string; expiry: string; side: string; qty: number; sts: number; purpose: string; parent: string }

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const i = args.indexOf('--limit');
  const limitS = i >= 0 ? Number(args[i + 1]) : 240;
  if (!(limitS > 0)) throw new Error('--limit takes a number of seconds');
  const c = args.indexOf('--config');
  const overlay = c >= 0 ? args[c + 1] : undefined; // e.g. a larger premium budget, so the later strategies trade too
  const { redis, t0, stop, child } = await startDefaultRun('options-run', limitS + 10, overlay);
  const at = () => Math.round((performance.now() - t0) / 100) / 10;
  const env = { ...process.env, REDIS_URL: `redis://127.0.0.1:${redis.options.port}`, ALPHATRADER_REDIS_PASSWORD: String(redis.options.password) };
  const r: Record<string, unknown> = { limitS, overlay: overlay ?? null };
  let first0dteIntentAtS: number | null = null;
  let first0dteFillAtS: number | null = null;
  let statusOptionAtS: number | null = null;
  let statusSample: unknown = null;
  let greeksAtS: number | null = null;
  let greeksSample: unknown = null;
  let openAfterCutoff = 0;
  let cutoffChecks = 0;
  const intents = new Map<string, Intent>();
  const fills: { cid: string; price: number; qty: number }[] = [];
  let last = '-';
  let rejections: unknown = null;
  let contracts: unknown = null;
  try {
    while ((performance.now() - t0) / 1000 < limitS && child.exitCode === null) {
      await new Promise((res) => setTimeout(res, 1000));
      const batch = (await redis.xrange('orders:journal', last === '-' ? '-' : `(${last}`, '+').catch(() => [])) as [string, string[]][];
      for (const [id, kv] of batch) {
        last = id;
        const f: Record<string, string> = {};
        for (let k = 0; k + 1 < kv.length; k += 2) f[kv[k]!] = kv[k + 1]!;
        if (f.type === 'intent') {
          intents.set(f.cid!, { cid: f.cid!, strategy: STRATEGY[f.strategy!] ?? f.strategy!, occ: f.occ ?? '', expiry: f.expiry ?? '', side: f.side!, qty: Number(f.qty), sts: Number(f.sts), purpose: f.purpose!, parent: f.parent ?? '' });
          if (first0dteIntentAtS === null && f.strategy === '1' && f.occ && f.expiry === etDate(Number(f.sts))) first0dteIntentAtS = at();
        } else if (f.type === 'event' && (f.kind === 'fill' || f.kind === 'partial_fill')) {
          fills.push({ cid: f.cid!, price: Number(f.price), qty: Number(f.qty) });
          const it = intents.get(f.cid!);
          if (first0dteFillAtS === null && it && it.strategy === '0DTE' && it.occ) first0dteFillAtS = at();
        }
      }
      if (statusOptionAtS === null) {
        const out = await promisify(execFile)(process.execPath, ['bin/alphatrader.js', 'status', '--json'], { env }).then((o) => o.stdout, (e) => (e as { stdout?: string }).stdout ?? '');
        try {
          const st = JSON.parse(out) as { positions?: { kind?: string }[] };
          const opts = (st.positions ?? []).filter((p) => p.kind === 'option');
          if (opts.length) {
            statusOptionAtS = at();
            statusSample = opts.slice(0, 2);
          }
        } catch { /* engine not up yet */ }
      }
      if (greeksAtS === null) {
        const g = await redis.get('risk:greeks').catch(() => null);
        const v = g ? (JSON.parse(g) as { positions?: unknown[] }) : null;
        if (v && v.positions?.length) {
          greeksAtS = at();
          greeksSample = v;
        }
      }
      rejections = JSON.parse((await redis.get('risk:rejections').catch(() => null)) ?? 'null') ?? rejections;
      const sm = JSON.parse((await redis.get('monitoring:signals:metrics').catch(() => null)) ?? 'null') as { contracts?: unknown; optionQuotes?: unknown } | null;
      if (sm?.contracts) contracts = { selection: sm.contracts, quotes: sm.optionQuotes };
      // After the options cutoff of the session on the clock (and before its close): no 0DTE option position open.
      const eng = await redis.get('engine:status').catch(() => null);
      const sessionMs = eng ? Number((JSON.parse(eng) as { clock?: { sessionTs?: number } }).clock?.sessionTs) : NaN;
      const win = await redis.get('signals:windows').catch(() => null);
      const sts = Number.isFinite(sessionMs) ? sessionMs : win ? Number((JSON.parse(win) as { sessionTs?: number }).sessionTs) : NaN;
      if (Number.isFinite(sts)) {
        const d = etDate(sts);
        const s = NYSE.sessionOpenClose(d);
        const cut = s ? Math.min(sessionTimeOn(NYSE, d, '15:45'), s.closeMs) : null;
        // 30 session seconds after the cutoff (the close orders' round trip), until the close
        if (cut !== null && s && sts >= cut + 60_000 && sts < s.closeMs) {
          cutoffChecks++;
          const pos = JSON.parse((await redis.get('positions').catch(() => null)) ?? '[]') as { symbol: string; qty: number; kind?: string; expiry?: string }[];
          openAfterCutoff = Math.max(openAfterCutoff, pos.filter((p) => p.kind === 'option' && p.qty !== 0 && p.expiry! <= d).length);
        }
      }
    }
  } finally {
    await stop();
  }
  // Per strategy: the family of an entry (its re-prices, exits, cutoff closes) counts for the strategy that opened it.
  const perStrategy: Record<string, { orders: number; fills: number; premiumSpent: number; pnl: number; contracts: number }> = {};
  const cash = new Map<string, number>(); // per occ: − premium paid + premium received (× multiplier)
  const owner = new Map<string, string>(); // occ → strategy of its first entry
  for (const it of intents.values()) if (it.occ && it.purpose === 'entry' && !owner.has(it.occ)) owner.set(it.occ, it.strategy.replace(/-P\d+$/, ''));
  for (const it of intents.values()) {
    const s = it.occ ? owner.get(it.occ) ?? it.strategy : it.strategy;
    (perStrategy[s] ??= { orders: 0, fills: 0, premiumSpent: 0, pnl: 0, contracts: 0 }).orders++;
  }
  const heldQty = new Map<string, number>();
  for (const f of fills) {
    const it = intents.get(f.cid);
    if (!it) continue;
    const s = it.occ ? owner.get(it.occ) ?? it.strategy : it.strategy;
    const p = (perStrategy[s] ??= { orders: 0, fills: 0, premiumSpent: 0, pnl: 0, contracts: 0 });
    p.fills++;
    if (!it.occ) continue;
    const mult = parseOcc(it.occ).multiplier;
    const signed = it.side === 'buy' ? f.qty : -f.qty;
    if (it.side === 'buy') {
      p.premiumSpent += f.price * f.qty * mult;
      p.contracts += f.qty;
    }
    cash.set(it.occ, (cash.get(it.occ) ?? 0) - signed * f.price * mult);
    heldQty.set(it.occ, (heldQty.get(it.occ) ?? 0) + signed);
  }
  // Realised P&L of closed contracts (flat at the end); open ones are reported apart.
  let openAtEnd = 0;
  for (const [occ, c] of cash) {
    const s = owner.get(occ);
    if (!s) continue;
    if ((heldQty.get(occ) ?? 0) === 0) perStrategy[s]!.pnl += c;
    else openAtEnd++;
  }
  for (const p of Object.values(perStrategy)) {
    p.premiumSpent = Math.round(p.premiumSpent * 100) / 100;
    p.pnl = Math.round(p.pnl * 100) / 100;
  }
  Object.assign(r, {
    first0dteOptionIntentAtS: first0dteIntentAtS, first0dteOptionFillAtS: first0dteFillAtS,
    statusJsonOptionPositionAtS: statusOptionAtS, statusSample, riskGreeksAtS: greeksAtS, riskGreeksSample: greeksSample,
    zeroDteOpenAfterCutoff: openAfterCutoff, cutoffChecks, optionIntents: [...intents.values()].filter((x) => x.occ).length,
    sampleIntent: [...intents.values()].find((x) => x.occ) ?? null, perStrategy, optionContractsOpenAtEnd: openAtEnd,
    riskRejections: rejections, contractSelection: contracts,
  });
  return r;
}
