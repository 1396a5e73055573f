import { MessageChannel, Worker } from 'node:worker_threads';
import { distPath } from '../../engine/config/projectRoot.js';
import { LatencyHistogram } from './LatencyHistogram.js';
import type { RunCommand, StageData } from './postMessageStage.js';
import type { RunResult } from './report.js';

export interface PostMessageOptions {
  rate: number; // messages per second; 0 = as fast as possible (capacity probe)
  seconds: number;
  warmupSeconds?: number;
  clockOrigin?: bigint;
  timeoutMs?: number;
}

export interface PostMessageOutcome {
  result: RunResult;
  sent: number;
  received: number;
  /** received per second from the first intended send to the last signal (the capacity when rate = 0) */
  throughputPerS: number;
  generatorLateMaxNs: number;
}

/**
 * The postMessage comparison: four threads (generator → book → analytics → signal) joined by
 * MessageChannels, fresh for each run. Reports the three stages it has; `dropped` is sent − received
 * (postMessage queues without bound, so it is 0 unless the run timed out).
 */
export async function runPostMessagePipeline(o: PostMessageOptions): Promise<PostMessageOutcome> {
  const origin = (o.clockOrigin ?? process.hrtime.bigint()).toString();
  const file = distPath('bench', 'e2e', 'postMessageStage.js');
  const c1 = new MessageChannel();
  const c2 = new MessageChannel();
  const c3 = new MessageChannel();
  const mk = (d: StageData, transfer: unknown[]) => new Worker(file, { workerData: d, transferList: transfer as never[], name: `pm-${d.role}` });
  const gen = mk({ role: 'gen', clockOrigin: origin, output: c1.port1 }, [c1.port1]);
  const book = mk({ role: 'book', clockOrigin: origin, input: c1.port2, output: c2.port1 }, [c1.port2, c2.port1]);
  const ana = mk({ role: 'analytics', clockOrigin: origin, input: c2.port2, output: c3.port1 }, [c2.port2, c3.port1]);
  const sig = mk({ role: 'signal', clockOrigin: origin, input: c3.port2 }, [c3.port2]);
  const workers = [gen, book, ana, sig];
  const rateForCount = o.rate > 0 ? o.rate : 200_000;
  const warmup = Math.round(rateForCount * (o.warmupSeconds ?? 0.5));
  const total = warmup + Math.max(1, Math.round(rateForCount * o.seconds));
  const cmd: RunCommand = { t: 'run', rate: o.rate, total, warmup };
  try {
    await Promise.all(workers.map((w) => new Promise<void>((res, rej) => {
      w.once('online', () => res());
      w.once('error', rej);
    })));
    const failed = new Promise<never>((_, rej) => workers.forEach((w) => w.once('error', rej)));
    const done = new Promise<{ received: number; firstNs: number; lastNs: number; book: string; analytics: string; signal: string }>((res) => sig.on('message', (m) => m.t === 'done' && res(m)));
    const sent = new Promise<{ sent: number; lateMaxNs: number }>((res) => gen.on('message', (m) => m.t === 'sent' && res(m)));
    sig.postMessage(cmd);
    gen.postMessage(cmd);
    const timeoutMs = o.timeoutMs ?? Math.max(30_000, (total / rateForCount) * 4000 + 20_000);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), timeoutMs)));
    const r = await Promise.race([done, failed, timeout]);
    clearTimeout(timer);
    const s = await Promise.race([sent, new Promise<{ sent: number; lateMaxNs: number }>((res) => setTimeout(() => res({ sent: total, lateMaxNs: NaN }), 1000))]);
    if (r === 'timeout') {
      return {
        result: { pipeline: 'postmessage', rate: o.rate, stages: {}, dropped: s.sent, notes: [`timed out after ${timeoutMs} ms`] },
        sent: s.sent, received: 0, throughputPerS: 0, generatorLateMaxNs: s.lateMaxNs,
      };
    }
    const stages = {
      tick_to_book: LatencyHistogram.decode(r.book).summary(),
      tick_to_analytics: LatencyHistogram.decode(r.analytics).summary(),
      tick_to_signal: LatencyHistogram.decode(r.signal).summary(),
    };
    const throughput = r.received / Math.max(1e-9, (r.lastNs - r.firstNs) / 1e9);
    return {
      result: { pipeline: 'postmessage', rate: o.rate, stages, dropped: s.sent - r.received, throughput_per_s: Math.round(throughput) },
      sent: s.sent, received: r.received, throughputPerS: throughput, generatorLateMaxNs: s.lateMaxNs,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
