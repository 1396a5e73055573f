import { isCluster, type RedisLike } from '../../engine/redis/RedisClient.js';
import { isTerminal, workingQty } from './OrderBookkeeping.js';
import { JournalReplay, OrderJournal } from './OrderJournal.js';
import { Portfolio } from './Portfolio.js';

export interface ArchiveReport {
  scanned: number;
  archived: number; // entries moved out of the replayed journal
  kept: number;
  carried: number; // carry-forward entries written (one per symbol with a position or realised P&L)
  archiveKey: string | null;
}

/**
 * Journal retention: the longest prefix of the journal whose every order is closed (terminal, nothing in
 * flight) and last touched before the cut-off leaves the replayed stream. The prefix's effect on positions is
 * kept as one `carry` entry per symbol (quantity, average price, realised P&L), written ahead of the kept
 * entries under the smallest stream ids, so replaying the compacted journal gives the same orders still open,
 * the same positions and the same realised P&L as replaying all of it. Only a prefix: an adjustment or an
 * order still open in the middle stops it, because replay order matters around them.
 *
 * The whole old stream is renamed to `<stream>:archive:<nowMs>` and the compacted one takes its name in one
 * MULTI, so a crash leaves either journal whole. It must run where nothing else appends (execution's start,
 * before the order queue opens; in cluster mode after the execution lease raised the journal's fence).
 * On a cluster RENAME and MULTI need one slot: the compacting copy and the archive then end in the journal's
 * own hash tag (`orders:journal:archive:<ms>:{orders:journal}`), which hashes exactly like `orders:journal`.
 */
export async function archiveJournal(redis: RedisLike, stream: string, nowMs: number, retentionDays: number): Promise<ArchiveReport> {
  const journal = new OrderJournal(redis, stream);
  const cutoff = nowMs - retentionDays * 86_400_000;
  // First pass: each order's last touch and whether it is closed, from the whole journal.
  const all = new JournalReplay(nowMs);
  const lastTs = new Map<string, number>();
  const ids: string[] = [];
  const cids: string[] = [];
  const kinds: string[] = [];
  await journal.scan((id, f) => {
    all.apply(f);
    ids.push(id);
    cids.push(f.cid ?? '');
    kinds.push(f.type);
    if (f.cid) lastTs.set(f.cid, Math.max(lastTs.get(f.cid) ?? 0, Number(f.ts) || 0));
  });
  const closedBefore = (cid: string) => {
    const o = all.orders.get(cid);
    return !!o && isTerminal(o.state) && workingQty(o) === 0 && (lastTs.get(cid) ?? Infinity) < cutoff;
  };
  let n = 0;
  while (n < ids.length && (kinds[n] === 'carry' || ((kinds[n] === 'intent' || kinds[n] === 'event') && closedBefore(cids[n])))) n++;
  if (n === 0) return { scanned: ids.length, archived: 0, kept: ids.length, carried: 0, archiveKey: null };

  // Second pass: replay the prefix alone into positions and realised P&L: the carry-forward.
  const prefix = new JournalReplay(nowMs);
  let i = 0;
  await journal.scan((_, f) => {
    if (i++ < n) prefix.apply(f);
  });
  const pf = new Portfolio(0);
  pf.replay(prefix.steps);
  const tag = isCluster(redis) && !/[{}]/.test(stream) ? `:{${stream}}` : '';
  const tmp = `${stream}:compacting${tag}`;
  await redis.del(tmp);
  const pipe = redis.pipeline();
  let carried = 0;
  for (const p of pf.positions.values()) {
    if (p.qty === 0 && p.realizedPnl === 0) continue;
    pipe.xadd(tmp, `0-${++carried}`, ...OrderJournal.carryFields(p.symbol, p.qty, p.avgPrice, p.realizedPnl, nowMs));
  }
  // The kept entries under their own ids (order and identity preserved).
  let j = 0;
  const keep: [string, string[]][] = [];
  await journal.scan((id, f) => {
    if (j++ >= n) keep.push([id, Object.entries(f).flat()]);
  });
  for (const [id, kv] of keep) pipe.xadd(tmp, id, ...kv);
  await pipe.exec();
  const archiveKey = `${stream}:archive:${nowMs}${tag}`;
  const swap = redis.multi().rename(stream, archiveKey);
  if (carried + keep.length > 0) swap.rename(tmp, stream);
  await swap.exec();
  return { scanned: ids.length, archived: n, kept: keep.length, carried, archiveKey };
}
