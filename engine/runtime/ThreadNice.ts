import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { STAT_FIELD, statFields } from './ThreadStat.js';

/**
 * The scheduling priority of an engine thread (`actors[].nice`, Linux nice values). On a small host every
 * thread competes for two cores with the feeder and redis-server; a positive nice on a thread that only
 * conflates (the publisher, the dashboard) lets the kernel run the hot thread first when it wakes. Linux
 * schedules threads, not processes: `setpriority(PRIO_PROCESS, tid)` changes one thread, so each worker sets
 * its own. Raising a nice value needs no privilege; lowering it below 0 needs CAP_SYS_NICE.
 */

/** The nice of a thread holding `members`: the most urgent member's (an unset nice is 0). */
export function groupNice(members: readonly { nice?: number }[]): number {
  let nice = Infinity;
  for (const m of members) nice = Math.min(nice, m.nice ?? 0);
  return Number.isFinite(nice) ? nice : 0;
}

/** This thread's kernel id (Linux), from /proc/thread-self → "<pid>/task/<tid>"; undefined elsewhere. */
export function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** A thread's nice value as the kernel sees it (this thread's by default); undefined off Linux. */
export function threadNice(statPath?: string): number | undefined {
  const f = statFields(statPath);
  return f && Number(f[STAT_FIELD.nice]);
}

/** Sets this thread's nice; the reason it could not (no /proc, no privilege for a negative value), or undefined. */
export function setThreadNice(nice: number): string | undefined {
  const tid = threadId();
  if (tid === undefined) return 'no /proc/thread-self: thread priorities are Linux only';
  try {
    setPriority(tid, nice);
    return undefined;
  } catch (e) {
    const code = (e as { info?: { code?: string } }).info?.code ?? (e as NodeJS.ErrnoException).code; // Node wraps libuv's errno
    return code === 'EACCES' || code === 'EPERM'
      ? `nice ${nice} needs CAP_SYS_NICE (a negative nice); the thread keeps its priority`
      : `setpriority failed: ${(e as Error).message}`;
  }
}
