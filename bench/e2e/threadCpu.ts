import { readFileSync } from 'node:fs';

const hz = 100; // USER_HZ: 100 on every Linux we run on

/**
 * CPU time (user + system, ms) of the calling thread, from /proc/thread-self/stat: `process.cpuUsage()` is
 * per process and `process.threadCpuUsage()` only exists from Node 23. Resolution is one clock tick (10 ms),
 * enough over seconds-long windows. NaN where /proc is absent.
 */
export function threadCpuMs(): number {
  try {
    const s = readFileSync('/proc/thread-self/stat', 'latin1');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after the command: state(0) … utime(11) stime(12)
    return ((Number(f[11]) + Number(f[12])) * 1000) / hz;
  } catch {
    return NaN;
  }
}
