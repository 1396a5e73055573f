/**
 * Multi-key work that stays legal on a Redis Cluster (scale-out.md §2): a pipeline may only address one
 * node, MULTI/EXEC and MGET only one slot, and SCAN sees one node's keys. On a single node every helper
 * here is the plain command (one pipeline, one MULTI, one MGET, one SCAN loop), so the default is unchanged;
 * on a cluster the batch is split by master (pipelines), by slot (transactions, MGET), or run on every
 * master (SCAN). Callers pass commands as `[name, key, ...args]`: the key is always the first argument.
 */
import type { Cluster, Redis } from 'ioredis';

type Client = Redis | Cluster;
export type Cmd = [name: string, key: string, ...args: (string | number)[]];
export type Reply = [Error | null, unknown];

export const isCluster = (c: Client): c is Cluster => (c as Cluster).isCluster === true;

// CRC16/XMODEM (poly 0x1021), the hash Redis Cluster uses for slots.
const CRC16 = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
    t[i] = c & 0xffff;
  }
  return t;
})();

/** The key's hash slot: only the part between the first `{` and the next `}` counts when it is non-empty. */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  let s = 0;
  let e = bytes.length;
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) {
      s = open + 1;
      e = close;
    }
  }
  let crc = 0;
  for (let i = s; i < e; i++) crc = ((crc << 8) & 0xffff) ^ CRC16[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc % 16384;
}

/** Groups indices of `keys` by `by(key)`, in first-appearance order. */
function groupBy(keys: readonly string[], by: (k: string) => string | number): number[][] {
  const m = new Map<string | number, number[]>();
  keys.forEach((k, i) => {
    const g = by(k);
    const list = m.get(g);
    if (list) list.push(i);
    else m.set(g, [i]);
  });
  return [...m.values()];
}

/** The master serving `key` as the client last learnt it (a stale map only makes a pipeline fail and retry). */
export const nodeOf = (c: Cluster) => (key: string): string => c.slots[keySlot(key)]?.[0] ?? `slot:${keySlot(key)}`;

/** One pipeline (or MULTI) of `cmds` on whatever node they address: the caller grouped them. */
export async function run(c: Client, cmds: readonly Cmd[], atomic: boolean): Promise<Reply[]> {
  const p = atomic ? c.multi() : c.pipeline();
  for (const [name, ...args] of cmds) p.call(name, ...args);
  const res = await p.exec();
  if (!res) throw new Error('transaction aborted');
  return res as Reply[];
}

/**
 * Sends single-key commands in as few round trips as allowed: one pipeline (single node) or one per master,
 * in parallel (cluster). Replies come back in input order; a rejected group rejects the whole call.
 */
export async function pipelineAll(c: Client, cmds: readonly Cmd[]): Promise<Reply[]> {
  if (cmds.length === 0) return [];
  if (!isCluster(c)) return run(c, cmds, false);
  const groups = groupBy(cmds.map((x) => x[1]), nodeOf(c));
  const out: Reply[] = new Array(cmds.length);
  await Promise.all(groups.map(async (idx) => {
    const res = await run(c, idx.map((i) => cmds[i]!), false);
    idx.forEach((i, j) => (out[i] = res[j]!));
  }));
  return out;
}

/**
 * MULTI/EXEC of `cmds`: one transaction on a single node. On a cluster one transaction per slot, sent one
 * after another in the order their first command appears, so writes that cross slots are atomic per slot
 * only (callers order them so that a torn write errs on the safe side and say so).
 */
export async function transaction(c: Client, cmds: readonly Cmd[]): Promise<Reply[]> {
  if (cmds.length === 0) return [];
  if (!isCluster(c)) return run(c, cmds, true);
  const out: Reply[] = new Array(cmds.length);
  for (const idx of groupBy(cmds.map((x) => x[1]), keySlot)) {
    const res = await run(c, idx.map((i) => cmds[i]!), true);
    idx.forEach((i, j) => (out[i] = res[j]!));
  }
  return out;
}

/** MGET of keys in any slots (one MGET per slot on a cluster), values in input order. */
export async function mgetAll(c: Client, keys: readonly string[]): Promise<(string | null)[]> {
  if (keys.length === 0) return [];
  if (!isCluster(c)) return c.mget(...keys);
  const out: (string | null)[] = new Array(keys.length);
  await Promise.all(groupBy(keys, keySlot).map(async (idx) => {
    const vals = await c.mget(...idx.map((i) => keys[i]!));
    idx.forEach((i, j) => (out[i] = vals[j] ?? null));
  }));
  return out;
}

/** Every key matching `pattern` (SCAN on the node, or on every master of a cluster), up to `limit`. */
export async function scanAll(c: Client, pattern: string, limit = Infinity, count = 500): Promise<string[]> {
  const nodes: Redis[] = isCluster(c) ? c.nodes('master') : [c];
  const keys = new Set<string>();
  for (const n of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await n.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      for (const k of batch) keys.add(k);
      cursor = next;
    } while (cursor !== '0' && keys.size < limit);
    if (keys.size >= limit) break;
  }
  return [...keys].slice(0, limit === Infinity ? undefined : limit);
}
