/**
 * `npm run bench -- <suite> [args]` (= `node dist/bench/cli.js`). Every suite module exports
 * `run(args): Promise<object>` and may export `format(result): string` for a readable table; the
 * dispatcher prints the table (or the JSON when there is none) and writes the JSON to `--json FILE`.
 * `all` runs every suite in turn and writes `{ suites: { name: result } }`.
 */
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

interface SuiteModule {
  run(args: string[]): Promise<Record<string, unknown> | unknown>;
  format?(result: Record<string, unknown>): string;
  /** the suite's options (`--name`), when it declares them: any other is refused before it runs (not under `all`) */
  OPTIONS?: readonly string[];
}

const SUITES: Record<string, { about: string; load: () => Promise<SuiteModule> }> = {
  ring: { about: 'one hop between two threads: engine ring (spin, park), postMessage, MessageChannel, native C++, Atomics.wait floor', load: () => import('./ring.js') },
  ingest: { about: 'depth updates/s: decoder, engine TWS path, replay across a ring, OrderBook, LOBSTER rebuild', load: () => import('./ingest.js') },
  analytics: { about: 'greeks/s, GEX/DEX profile, zero-gamma grid (one thread, pool), live VPIN', load: () => import('./analytics.js') },
  execution: { about: 'risk check per order, journal append, signal to order sent (starts a redis-server)', load: () => import('./execution.js') },
  brokers: { about: 'simulated venue latency knobs (venues.simLatency) as seen through the paper, IBKR and Alpaca adapters', load: () => import('./brokers.js') },
  'option-quotes': { about: 'live option quotes through TWS (simulator): contracts within the line limit, updates/s per contract, quote age at the flush', load: () => import('./optionQuotes.js') },
  'first-minute': { about: 'default run from a fresh data dir: seconds to numeric VPIN for SPY, first sweep and unusual-volume keys', load: () => import('./firstMinute.js') },
  'session-close': { about: 'default run from a fresh data dir: seconds to session:preopen and to the first end-of-day report (reports:daily:<date>, files)', load: () => import('./sessionClose.js') },
  'options-run': { about: 'default run from a fresh data dir: first 0DTE option intent (occ) and fill, option positions in status --json, risk:greeks, 0DTE open after the cutoff, per-strategy orders/fills/premium/P&L', load: () => import('./optionsRun.js') },
  soak: { about: 'default run for --minutes N (30): process RSS, heap and event-loop delay per worker, ring lag over time, with a plot (--quick: 30 s)', load: () => import('./soak.js') },
  hostile: { about: 'engine RSS, actor liveness and SPY book refresh against a hostile TWS gateway (10 MB frame, 1 MB fields, size 1e300)', load: () => import('./hostile.js') },
  'order-path': { about: 'tick → order / Redis / dashboard (issue 12 item 3) through the e2e engine pipeline at 10k and 50k/s', load: () => import('./orderPath.js') },
  cluster: { about: 'updates/s and tick → Redis latency with 1, 2, 3 engine instances (static symbol split) on a single redis-server and on a local 3-master cluster', load: () => import('./cluster.js') },
  'cluster-failover': { about: 'a Redis master SIGKILLed under a running engine (local cluster, replicas 1 or 0): ms to failover and until its symbols\' keys flow again', load: () => import('./clusterFailover.js') },
  'execution-takeover': { about: 'kill -9 of the execution owner (2 engines, local 3-master cluster): ms until the survivor holds the execution lease and until it has reconciled', load: () => import('./executionTakeover.js') },
  dashboard: { about: 'dashboard publish path vs bare uWebSockets.js vs ws, 50 and 200 clients', load: () => import('./dashboard.js') },
  // ---- e2e: owned by the end-to-end harness (bench/e2e.ts, `export async function run(args: string[])`). ----
  e2e: { about: 'every tick wire → receipt → decoded → book → analytics → decision (+ signal/order/Redis/dashboard) through the engine, native (epoll, busy) and postMessage pipelines on one TWS socket', load: loadE2e },
  // ---- end e2e ----
};

async function loadE2e(): Promise<SuiteModule> {
  try {
    // A variable specifier: tsc must not require the module to exist when the dispatcher is compiled.
    const spec = './e2e.js';
    return (await import(spec)) as SuiteModule;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes('e2e.js')) {
      throw new UsageError('the e2e suite is not available: bench/e2e.ts has not landed (or `npm run build` has not run since)');
    }
    throw e;
  }
}

class UsageError extends Error {}

function usage(): string {
  const names = Object.keys(SUITES);
  const w = Math.max(...names.map((n) => n.length));
  return [
    'usage: npm run bench -- <suite> [--quick] [--json FILE] [suite args]',
    '',
    ...names.map((n) => `  ${n.padEnd(w)}  ${SUITES[n].about}`),
    `  ${'all'.padEnd(w)}  every suite above, in turn`,
    '',
    'Figures are medians on a shared machine; targets are reported as ratios, never asserted. See bench/README.md.',
  ].join('\n');
}

function jsonPath(args: string[]): string | undefined {
  const i = args.indexOf('--json');
  if (i < 0) return undefined;
  const p = args[i + 1];
  if (!p || p.startsWith('--')) throw new UsageError('--json needs a file name');
  return p;
}

async function runSuite(name: string, args: string[], strict = true): Promise<unknown> {
  const mod = await SUITES[name].load();
  if (strict && mod.OPTIONS) {
    const known = new Set([...mod.OPTIONS, '--json', '--quick']);
    const bad = args.find((a) => a.startsWith('--') && !known.has(a));
    if (bad) throw new UsageError(`bench ${name}: unknown option ${bad} (options: ${[...known].join(' ')})`);
  }
  const result = await mod.run(args);
  const text = mod.format && result && typeof result === 'object' ? mod.format(result as Record<string, unknown>) : JSON.stringify(result, null, 2);
  console.log(text);
  return result;
}

export async function main(argv: string[]): Promise<number> {
  const [suite, ...args] = argv;
  if (!suite || suite === '--help' || suite === '-h' || suite === 'help') {
    console.log(usage());
    return suite ? 0 : 2;
  }
  if (suite !== 'all' && !(suite in SUITES)) {
    console.error(`unknown bench suite "${suite}"\n\n${usage()}`);
    return 2;
  }
  try {
    const out = jsonPath(args);
    let json: unknown;
    if (suite === 'all') {
      const suites: Record<string, unknown> = {};
      const failed: string[] = [];
      const skipped: string[] = [];
      for (const name of Object.keys(SUITES)) {
        console.log(`\n=== ${name} ===`);
        try {
          suites[name] = await runSuite(name, args, false); // one argument list for every suite: each takes its own
        } catch (e) {
          // One suite that cannot run here (no redis-server, say) must not hide the others' figures.
          (e instanceof UsageError ? skipped : failed).push(name);
          suites[name] = { error: (e as Error).message };
          console.error(`bench ${name}: ${(e as Error).message}`);
        }
      }
      json = { suites, failed, skipped };
      if (out) writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
      return failed.length ? 1 : 0;
    }
    json = await runSuite(suite, args);
    if (out) writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
    return 0;
  } catch (e) {
    // A suite's own bad argument: an Error named UsageError (suites do not import the dispatcher).
    if (e instanceof UsageError || (e as Error)?.name === 'UsageError') {
      console.error(e instanceof UsageError ? e.message : `${(e as Error).message}\n${usage()}`);
      return 2;
    }
    console.error(e);
    return 1;
  }
}

if (isMainThread && process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => {
    // Suites may leave handles (sockets of a stopped server, worker pools); the figures are out, so leave.
    process.exit(code);
  });
}
