import { threadCpu } from '../../engine/runtime/ThreadStat.js';

/** CPU time (user + system, ms) of the calling thread (ThreadStat.threadCpu); NaN where /proc is absent. */
export function threadCpuMs(): number {
  const c = threadCpu();
  return c ? c[0] + c[1] : NaN;
}
