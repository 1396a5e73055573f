// The native C++ baseline (native-bench/) is built with the machine's g++ and checked for behaviour only:
// every message arrives exactly once and intact, every stage sees every message. No speed is asserted.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNative, runNativePipeline, runNativeSpsc, type NativePipelineResult } from '../../bench/native.js';

let build = '';
beforeAll(() => {
  build = buildNative();
});

describe('native-bench spsc_bench', () => {
  it('builds both programs with make', () => {
    expect(existsSync(join(build, 'spsc_bench'))).toBe(true);
    expect(existsSync(join(build, 'pipeline3'))).toBe(true);
  });

  it('delivers N messages exactly once across the 32-bit sequence wrap: the sum of message numbers matches', () => {
    const N = 200_000;
    // A 64-slot ring laps ~3000 times; the first sequence sits 50 000 below 2^32 so the run crosses the wrap.
    const r = runNativeSpsc({ messages: N, roundTrips: 500, maxSeconds: 60, capacity: 64, batch: 16, initialSeq: 2 ** 32 - 50_000 });
    expect(r.name).toBe('native-spsc');
    expect(r.messages).toBe(N);
    expect(r.checksum).toBe((N * (N - 1)) / 2);
    expect(r.expected_checksum).toBe(r.checksum);
    expect(r.bad_messages).toBe(0);
    expect(r.checksum_ok).toBe(true);
    expect(r.round_trips).toBe(500);
    expect(r.msgs_per_s).toBeGreaterThan(0);
    expect(r.rtt_p50_ns).toBeGreaterThan(0);
    expect(r.rtt_p50_ns).toBeLessThanOrEqual(r.rtt_p99_ns);
    expect(r.rtt_p99_ns).toBeLessThanOrEqual(r.rtt_max_ns);
    expect(r.p50_ns).toBe(r.rtt_p50_ns / 2);
  });

  it('delivers every message across the wrap with sequentially consistent stores (--order seq-cst)', () => {
    const N = 100_000;
    const r = runNativeSpsc({ messages: N, roundTrips: 500, maxSeconds: 60, capacity: 64, batch: 16, initialSeq: 2 ** 32 - 50_000, order: 'seq-cst' });
    expect(r).toMatchObject({ messages: N, checksum: (N * (N - 1)) / 2, checksum_ok: true, bad_messages: 0, round_trips: 500, order: 'seq-cst' });
  });

  it('works with 64-byte messages in 64-byte slots', () => {
    const r = runNativeSpsc({ messages: 50_000, roundTrips: 100, maxSeconds: 60, size: 64 });
    expect(r).toMatchObject({ messages: 50_000, checksum_ok: true, bad_messages: 0, size: 64, slot_size: 64 });
  });

  it('rejects an unknown option with its usage and exit code 2', () => {
    const r = spawnSync(join(build, 'spsc_bench'), ['--mesages', '10'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --mesages');
    expect(r.stderr).toContain('--messages');
  });
});

describe('native-bench pipeline3', () => {
  const stages = ['tick_to_book', 'tick_to_analytics', 'tick_to_signal'] as const;

  function checkShape(r: NativePipelineResult, sent: number): void {
    expect(r.pipeline).toBe('native');
    expect(r.messages).toBe(sent);
    expect(r.dropped).toBe(0);
    for (const s of stages) {
      const st = r.stages[s];
      expect(st.count, s).toBe(sent);
      expect(st.p50_ns, s).toBeGreaterThan(0);
      expect(st.p50_ns, s).toBeLessThanOrEqual(st.p90_ns);
      expect(st.p90_ns, s).toBeLessThanOrEqual(st.p99_ns);
      expect(st.p99_ns, s).toBeLessThanOrEqual(st.p999_ns);
      expect(st.p999_ns, s).toBeLessThanOrEqual(st.max_ns);
    }
    // Each message reaches the signal stage after the book stage, so every percentile is ordered too.
    for (const p of ['p50_ns', 'p99_ns', 'max_ns'] as const) {
      expect(r.stages.tick_to_book[p]).toBeLessThanOrEqual(r.stages.tick_to_analytics[p]);
      expect(r.stages.tick_to_analytics[p]).toBeLessThanOrEqual(r.stages.tick_to_signal[p]);
    }
  }

  it('at a fixed low rate, every stage sees every message and nothing is dropped', () => {
    const r = runNativePipeline({ rate: 2000, seconds: 0.25 });
    expect(r.rate).toBe(2000);
    expect(r.wait).toContain('park'); // the default: spin, yield, then park on a futex
    checkShape(r, 500);
  });

  it('at rate 0 (as fast as the rings accept) with a fixed count, through small rings that fill up', () => {
    const r = runNativePipeline({ rate: 0, count: 20_000, capacity: 16 });
    expect(r.rate).toBe(0);
    checkShape(r, 20_000);
  });

  it('with --wait yield (threads never park) every stage still sees every message', () => {
    const r = runNativePipeline({ rate: 0, count: 5_000, wait: 'yield' });
    expect(r.wait).not.toContain('park');
    checkShape(r, 5_000);
  });

  it('refuses a negative rate', () => {
    expect(() => runNativePipeline({ rate: -1 })).toThrow(/rate must be a non-negative number/);
  });
});
