import type { RedisLike } from './RedisClient.js';
import { pipelineAll, scanAll } from './SlotGroups.js';
import type { EngineConfig } from '../config/schema.js';

export type RetentionConfig = EngineConfig['retention'];
export type StreamRule = RetentionConfig['streams'][string];

export const JOURNAL_ARCHIVE_PREFIX = 'orders:journal:archive:';
const DAY_MS = 86_400_000;

/**
 * The length cap a stream entry is appended with: the configured one for a stream under `retention.streams`,
 * else the writer's own (XADD MAXLEN ~).
 */
export function streamMaxLen(cfg: RetentionConfig, stream: string, writerCap: number): number {
  return cfg.streams[stream]?.maxLen ?? writerCap;
}

export interface RetentionReport {
  /** entries removed per stream */
  trimmed: Record<string, number>;
  /** journal archive keys deleted (older than journalArchiveDays) */
  archivesDeleted: number;
  ts: number;
}

/**
 * One retention pass: every configured stream loses its entries older than `maxAgeDays` (XTRIM MINID: stream
 * ids are insertion milliseconds, so age needs no field) and, where configured, beyond `maxLen`; order journal
 * archives (`orders:journal:archive:<ms>`, JournalArchive) older than `journalArchiveDays` are deleted (0 keeps
 * them). The order journal itself is never trimmed here: its prefix is archived with a carry-forward at start.
 */
export async function applyRetention(redis: RedisLike, cfg: RetentionConfig, nowMs: number): Promise<RetentionReport> {
  const trimmed: Record<string, number> = {};
  for (const [stream, rule] of Object.entries(cfg.streams)) {
    let n = 0;
    if (rule.maxAgeDays > 0) n += Number(await redis.xtrim(stream, 'MINID', '=', `${Math.max(0, Math.floor(nowMs - rule.maxAgeDays * DAY_MS))}-0`));
    if (rule.maxLen !== undefined) n += Number(await redis.xtrim(stream, 'MAXLEN', '=', rule.maxLen));
    trimmed[stream] = n;
  }
  let archivesDeleted = 0;
  if (cfg.journalArchiveDays > 0) {
    const cutoff = nowMs - cfg.journalArchiveDays * DAY_MS;
    // every master of a cluster is scanned; archives are deleted one key per command (they need not share a slot)
    const old = (await scanAll(redis, `${JOURNAL_ARCHIVE_PREFIX}*`)).filter((k) => {
      // `<ms>`, or `<ms>:{orders:journal}` on a cluster (JournalArchive keeps the archive in the journal's slot)
      const ms = Number(/^(\d+)(?::\{[^}]*\})?$/.exec(k.slice(JOURNAL_ARCHIVE_PREFIX.length))?.[1] ?? NaN);
      return Number.isFinite(ms) && ms < cutoff;
    });
    for (const [, n] of await pipelineAll(redis, old.map((k) => ['del', k]))) archivesDeleted += Number(n) || 0;
  }
  return { trimmed, archivesDeleted, ts: nowMs };
}
