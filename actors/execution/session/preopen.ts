import type { DateStr } from '../../../analytics/calendar.js';
import type { SessionConfig } from './SessionSchedule.js';

export type CheckName = 'redis' | 'venues' | 'broker' | 'data' | 'account' | 'discovery' | 'breaker';

/** What the checklist looks at, gathered by the execution actor (SessionRoutines.gather). */
export interface PreopenFacts {
  redis: { ok: boolean; error?: string; aofEnabled: boolean; aofLastWrite: string | null; rdbLastBgsave: string | null; usedMemory: number; maxMemory: number };
  /** market-data venues by their heartbeats: connected flag and wall age of the last one (null: never seen) */
  venues: { name: string; connected: boolean | null; ageMs: number | null }[];
  broker: { name: string; ready: boolean; journalOk: boolean };
  /** wall age of each configured symbol's last valid book (null: none yet) */
  data: { symbol: string; ageMs: number | null }[];
  /** the broker account as `account:*` keys hold it; null when there are none (the account is not read) */
  account: { keys: number; buyingPower: number | null; ageMs: number | null; error?: string } | null;
  /** `discovery:correlation`'s generatedAtMs (null: absent) */
  discoveryGeneratedAtMs: number | null;
  breaker: { state: string; reason: string | null; halted: boolean };
  nowWallMs: number;
}

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  /** not checked, with the reason in detail (counts as passed) */
  skipped: boolean;
  /** a failure blocks new entries (session.preOpen.blocking) */
  blocking: boolean;
  detail: string;
}

export interface PreopenResult {
  date: DateStr;
  /** wall and session instants of the run */
  ts: number;
  sessionMs: number;
  /** no blocking check failed */
  ok: boolean;
  checks: CheckResult[];
  /** why new entries are blocked (null when they are not) */
  blockedReason: string | null;
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const age = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s ago`);

/** The pre-open checklist over gathered facts: each check passes, fails with a reason, or is skipped with one. */
export function evaluatePreopen(f: PreopenFacts, c: SessionConfig['preOpen'], date: DateStr, sessionMs: number): PreopenResult {
  const checks: CheckResult[] = [];
  const add = (name: CheckName, ok: boolean, detail: string, skipped = false) => checks.push({ name, ok, skipped, blocking: c.blocking.includes(name), detail });

  const r = f.redis;
  const redisProblems: string[] = [];
  if (!r.ok) redisProblems.push(`Redis does not answer: ${r.error ?? 'unknown error'}`);
  else {
    if (r.aofEnabled && r.aofLastWrite !== 'ok') redisProblems.push(`AOF last write ${r.aofLastWrite ?? 'unknown'}`);
    if (r.rdbLastBgsave === 'err') redisProblems.push('last RDB save failed');
    if (r.maxMemory > 0 && (r.usedMemory / r.maxMemory) * 100 > c.maxMemoryPct) redisProblems.push(`memory ${mb(r.usedMemory)} of ${mb(r.maxMemory)} (over ${c.maxMemoryPct}%)`);
  }
  add('redis', redisProblems.length === 0, redisProblems.join('; ') || `persistence ${r.aofEnabled ? 'AOF' : 'RDB'} ok, memory ${mb(r.usedMemory)}${r.maxMemory > 0 ? ` of ${mb(r.maxMemory)}` : ' (no maxmemory)'}`);

  const venueProblems = f.venues.length === 0 ? ['no market-data heartbeat yet'] : f.venues
    .filter((v) => v.connected !== true || v.ageMs === null || v.ageMs > c.maxDataAgeMs)
    .map((v) => `${v.name} ${v.connected === false ? 'disconnected' : v.connected === null ? 'connection unknown' : 'connected'}, heartbeat ${age(v.ageMs)}`);
  add('venues', venueProblems.length === 0, venueProblems.join('; ') || f.venues.map((v) => `${v.name} connected`).join(', '));

  const b = f.broker;
  add('broker', b.ready && b.journalOk, !b.ready ? `broker ${b.name} not connected and reconciled` : !b.journalOk ? 'order journal not writable' : `broker ${b.name} connected and reconciled, journal writable`);

  const stale = f.data.filter((d) => d.ageMs === null || d.ageMs > c.maxDataAgeMs);
  add('data', stale.length === 0, stale.length ? `stale: ${stale.map((d) => `${d.symbol} (last book ${age(d.ageMs)})`).join(', ')}` : `${f.data.length} symbols fresh (≤ ${c.maxDataAgeMs / 1000} s)`);

  const a = f.account;
  if (a === null) add('account', true, 'no account:* keys: the broker account is not read by this engine (skipped)', true);
  else if (a.error) add('account', false, `account:* unreadable: ${a.error}`);
  else if (a.buyingPower === null) add('account', true, `account readable (${a.keys} keys); buying power not reported`);
  else add('account', a.buyingPower >= c.minBuyingPower, `buying power ${a.buyingPower.toFixed(0)}${a.buyingPower >= c.minBuyingPower ? ' ≥' : ' below the floor'} ${c.minBuyingPower}`);

  const d = f.discoveryGeneratedAtMs;
  const maxAge = c.maxDiscoveryAgeDays * 86_400_000;
  add('discovery', d !== null && f.nowWallMs - d <= maxAge, d === null ? 'no discovery:correlation (run `alphatrader discover`)' : `discovery from ${((f.nowWallMs - d) / 86_400_000).toFixed(1)} days ago (max ${c.maxDiscoveryAgeDays})`);

  const k = f.breaker;
  add('breaker', k.state !== 'tripped' && !k.halted, k.halted ? 'trading halted (kill switch or escalation)' : k.state === 'tripped' ? `circuit breaker tripped: ${k.reason ?? ''}` : 'circuit breaker closed');

  const failing = checks.filter((x) => x.blocking && !x.ok);
  return {
    date, ts: f.nowWallMs, sessionMs, ok: failing.length === 0, checks,
    blockedReason: failing.length ? `pre-open check failed: ${failing.map((x) => `${x.name}: ${x.detail}`).join('; ')}` : null,
  };
}
