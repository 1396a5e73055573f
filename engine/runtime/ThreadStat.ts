import { readFileSync } from 'node:fs';

/** Indices into `statFields`: proc(5) field numbers minus 3 (the fields after the command name). */
export const STAT_FIELD = { utime: 11, stime: 12, nice: 16 } as const;

const MS_PER_TICK = 10; // USER_HZ is 100 on every Linux we run on

/**
 * The fields of a /proc stat line after the command name (which may hold spaces and parentheses, hence
 * the last ')'), index 0 = state; undefined where /proc is absent. One thread's with the default path.
 */
export function statFields(path = '/proc/thread-self/stat'): string[] | undefined {
  try {
    const s = readFileSync(path, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * This thread's CPU time [user, system] in ms: `process.cpuUsage()` is per process and
 * `process.threadCpuUsage()` only exists from Node 23. Resolution one clock tick (10 ms).
 */
export function threadCpu(): [number, number] | undefined {
  const f = statFields();
  return f && [Number(f[STAT_FIELD.utime]) * MS_PER_TICK, Number(f[STAT_FIELD.stime]) * MS_PER_TICK];
}
