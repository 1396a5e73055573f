import { MessageChannel, Worker } from 'node:worker_threads';
import { deepMerge, loadConfig, validateConfig } from '../../engine/config/loadConfig.js';
import { distPath } from '../../engine/config/projectRoot.js';
import { depthCapacity, FeederHandle, feederSymbols } from './FeederHandle.js';
import type { StageData } from './postMessageStage.js';
import { runSchedule, stampedResult, type RatePlan } from './RateSchedule.js';
import type { RunResult } from './report.js';
import { newTickStamps } from './TickStamps.js';
import { hotNice } from './hotNice.js';

export interface PostMessageOptions {
  rates: RatePlan[];
  seconds: number;
  warmupSeconds: number;
  log?: (line: string) => void;
}

/**
 * The postMessage comparison: four threads (decode → book → analytics → decision) joined by
 * MessageChannels, the decode thread reading the TWS feeder's socket with the engine's own TwsSource, fed
 * the same schedule as the engine. One RunResult per rate, every tick timed through every segment.
 */
export async function runPostMessagePipeline(o: PostMessageOptions): Promise<RunResult[]> {
  const base = loadConfig({ env: {} }).config;
  const symbols = feederSymbols(base);
  const feeder = await FeederHandle.start(symbols, depthCapacity(o.rates.map((r) => r.rate), o.seconds, o.warmupSeconds, 10_000));
  const origin = process.hrtime.bigint();
  feeder.setClock(origin);
  const cfg = validateConfig(deepMerge(base, {
    venues: { tws: { host: '127.0.0.1', port: feeder.port, history: { sessions: 0 } } },
    logging: { level: 'error', pretty: 'never' },
  }));
  const stampsSab = newTickStamps(feeder.runIdOf.length);
  const decidedSab = new SharedArrayBuffer(4);
  const decided = new Int32Array(decidedSab);
  const file = distPath('bench', 'e2e', 'postMessageStage.js');
  const c1 = new MessageChannel();
  const c2 = new MessageChannel();
  const c3 = new MessageChannel();
  const clockOrigin = origin.toString();
  const nice = hotNice(base);
  const mk = (d: Omit<StageData, 'nice'>, transfer: unknown[]) => new Worker(file, { workerData: { ...d, nice } satisfies StageData, transferList: transfer as never[], name: `pm-${d.role}` });
  const workers = [
    mk({ role: 'decision', clockOrigin, input: c3.port2, stamps: stampsSab, decided: decidedSab }, [c3.port2]),
    mk({ role: 'analytics', clockOrigin, input: c2.port2, output: c3.port1 }, [c2.port2, c3.port1]),
    mk({ role: 'book', clockOrigin, input: c1.port2, output: c2.port1, numRows: cfg.symbols.map((s) => s.numRows) }, [c1.port2, c2.port1]),
  ];
  const failed = new Promise<never>((_, rej) => workers.forEach((w) => w.once('error', rej)));
  failed.catch(() => {});
  try {
    await Promise.all(workers.map((w) => new Promise<void>((res) => w.once('online', () => res()))));
    const decode = mk({ role: 'decode', clockOrigin, output: c1.port1, config: cfg }, [c1.port1]);
    workers.push(decode);
    decode.once('error', () => {});
    await Promise.race([feeder.subscribed, failed]);
    const stamps = new Float64Array(stampsSab);
    const measured = await Promise.race([runSchedule({ feeder, rates: o.rates, seconds: o.seconds, warmupSeconds: o.warmupSeconds, decided: () => Atomics.load(decided, 0), log: o.log }), failed]);
    return measured.map((m) => {
      const r = stampedResult('postmessage', m, feeder, stamps);
      o.log?.(`postmessage ${m.label}: receipt→decision p50 ${((r.stages.receipt_to_decision?.p50_ns ?? 0) / 1e3).toFixed(1)} µs, wire→decision p50 ${((r.stages.wire_to_decision?.p50_ns ?? 0) / 1e3).toFixed(1)} µs, dropped ${r.dropped}`);
      return r;
    });
  } finally {
    workers.at(-1)?.postMessage({ t: 'stop' });
    await feeder.stop();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
