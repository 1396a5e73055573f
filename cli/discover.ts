/**
 * `alphatrader discover [--replay FILE] [--duration S] [--out FILE] [--config FILE] [--interval S] [--json]`
 *
 * Parameter discovery (analytics/discovery.ts) over a recording (`alphatrader record`), or over live data:
 * without --replay the engine records its market source for --duration seconds (default 120) into a
 * temporary file, which is then analysed the same way.
 *
 * Writes:
 * - `--out` (default config/discovered.yaml under the project root): a configuration overlay holding the
 *   discovered `analytics.vpin.bucketVolume` per configured symbol, loadable as
 *   `alphatrader start --config config/discovered.yaml` (merged over the defaults), with the rest of the
 *   findings summarised in its comments;
 * - when a Redis answers (the same target rules as `alphatrader status`): `discovery:{SYM}` per symbol and
 *   `discovery:correlation`, JSON, no expiry (each carries `generatedAtMs`; the reader judges its age).
 *
 * `discovery:correlation`:
 *   { "symbols": ["SPY", …], "matrix": [[1, 0.83, …], …],      row/column order = symbols; null = too few pairs
 *     "observations": [[n, …], …],                               paired returns behind each entry
 *     "bySymbol": { "SPY": { "QQQ": 0.83, … }, … },              the same values, self and nulls left out
 *     "intervalSeconds": 5, "returns": "log", "fromMs", "toMs", "generatedAtMs", "source" }
 * `bySymbol` is the shape RiskEngine.correlation takes as it is.
 *
 * Exit status: 0 done (Redis unreachable is reported, not an error); 2 bad arguments, configuration or input
 * file; 1 the live recording failed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createRedisClient, type RedisLike } from '../engine/redis/RedisClient.js';
import { transaction, type Cmd } from '../engine/redis/SlotGroups.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DiscoveryCollector, type DiscoveryOptions, type DiscoveryReport, type SymbolDiscovery } from '../analytics/discovery.js';
import { RecordingError, RecordingReader } from '../actors/market-depth/Recording.js';
import type { MarketSink } from '../actors/market-depth/MarketSource.js';
import { ConfigError, deepMerge, loadConfig, validateConfig } from '../engine/config/loadConfig.js';
import { projectRoot } from '../engine/config/projectRoot.js';
import type { EngineConfig } from '../engine/config/schema.js';
import { parseCommand, reportUsage, seconds as secondsCheck, wholeNumber } from './args.js';
import { DISCOVER } from './commands.js';
import { operatorRedis } from './redisTarget.js';

const DEFAULT_LIVE_SECONDS = 120;

/** A recording that cannot be analysed: the message names the file and what is wrong with it. */
export class DiscoverInputError extends Error {
  override readonly name = 'DiscoverInputError';
}

export interface DiscoverIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  now: () => number;
}

const defaultIo = (): DiscoverIo => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  now: Date.now,
});

/** Feeds every event of a recording into a collector; returns the recording's symbols and event count. */
export function readRecording(file: string, options: Omit<DiscoveryOptions, 'numRows'> & { numRows?: (symbol: string) => number } = {}): { collector: DiscoveryCollector; events: number; symbols: string[] } {
  let reader: RecordingReader;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new DiscoverInputError(`${file}: not a file`);
    reader = new RecordingReader(file);
  } catch (e) {
    if (e instanceof DiscoverInputError) throw e;
    if (e instanceof RecordingError) throw new DiscoverInputError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DiscoverInputError(`${file}: no such file`);
    if (code === 'ERR_OUT_OF_RANGE' || e instanceof RangeError) throw new DiscoverInputError(`${file}: not an AlphaTrader recording (truncated header)`);
    throw new DiscoverInputError(`${file}: cannot read: ${(e as Error).message}`);
  }
  const h = reader.header as unknown;
  const symbols = (h as { symbols?: unknown } | null)?.symbols;
  if (!Array.isArray(symbols) || symbols.length === 0 || !symbols.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new DiscoverInputError(`${file}: corrupt header: "symbols" must be a non-empty list of ticker strings`);
  }
  const collector = new DiscoveryCollector(symbols, options);
  const sink: MarketSink = {
    depth: (sym, ts, position, operation, side, price, size, mm) => collector.depth(sym, ts, position, operation, side, price, size, mm),
    trade: (sym, ts, price, size) => collector.trade(sym, ts, price, size),
    quote: (sym, ts) => collector.quote(sym, ts),
    bar: (_sym, startMs) => collector.mark(startMs),
    reset: (sym) => collector.reset(sym),
    connection: () => {},
    endOfBatch: () => {},
  };
  let events = 0;
  try {
    while (reader.next(sink, 0)) events++;
  } catch (e) {
    if (e instanceof RecordingError) throw new DiscoverInputError(`${file}: ${e.message} (after ${events} good events)`);
    throw e;
  }
  if (events === 0) throw new DiscoverInputError(`${file}: the recording holds no market events`);
  return { collector, events, symbols };
}

/** The part of the report the engine reads: per-symbol VPIN bucket volumes for configured symbols. */
export function configOverlay(report: DiscoveryReport, configured: ReadonlySet<string>): { analytics: { vpin: { bucketVolume: Record<string, number> } } } {
  const bucketVolume: Record<string, number> = {};
  for (const s of report.symbols) {
    const v = report.perSymbol[s]!.vpin.bucketVolume;
    if (v !== null && configured.has(s)) bucketVolume[s] = v;
  }
  return { analytics: { vpin: { bucketVolume } } };
}

export interface DiscoveryMeta {
  source: string;
  generatedAtMs: number;
}

/** Value of `discovery:correlation` (see the header for its shape). */
export function correlationValue(report: DiscoveryReport, meta: DiscoveryMeta): Record<string, unknown> {
  const { symbols, matrix, observations, intervalSeconds } = report.correlation;
  const bySymbol: Record<string, Record<string, number>> = {};
  symbols.forEach((a, i) => {
    const row: Record<string, number> = {};
    symbols.forEach((b, j) => {
      const r = matrix[i]![j];
      if (i !== j && r !== null && r !== undefined) row[b] = r;
    });
    bySymbol[a] = row;
  });
  return {
    symbols, matrix, observations, bySymbol, intervalSeconds, returns: 'log',
    fromMs: report.span.fromMs, toMs: report.span.toMs, generatedAtMs: meta.generatedAtMs, source: meta.source,
  };
}

/** Value of `discovery:{SYM}`. */
export function symbolValue(report: DiscoveryReport, symbol: string, meta: DiscoveryMeta): Record<string, unknown> {
  const d = report.perSymbol[symbol]!;
  return { ...d, span: report.span, generatedAtMs: meta.generatedAtMs, source: meta.source };
}

const fmt = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

function summaryLines(report: DiscoveryReport): string[] {
  const lines: string[] = [];
  const sp = report.span;
  const minutes = sp.observedMs / 60_000;
  lines.push(`Observed ${minutes.toFixed(1)} min in ${sp.stretches} stretch${sp.stretches === 1 ? '' : 'es'} over ${sp.days} UTC date${sp.days === 1 ? '' : 's'} = ${sp.sessionsObserved.toFixed(4)} sessions of 390 min.`);
  if (report.symbols.some((s) => report.perSymbol[s]!.vpin.extrapolated)) {
    lines.push('VPIN bucket volumes are EXTRAPOLATED from a partial session (linear; intraday seasonality not corrected).');
  }
  lines.push(`Returns and volume every ${report.intervalSeconds} s${report.intervalAuto && report.intervalSeconds < 60 ? ' (the sample is too short for enough 1-minute intervals)' : ''}.`);
  lines.push('');
  lines.push('symbol  bucketV     daily vol   regime (pct, ann. vol)     ret acf1  vol acf1  venues: row share / top share / avg size');
  for (const s of report.symbols) {
    const d: SymbolDiscovery = report.perSymbol[s]!;
    const v = d.volatility;
    const regime = v.label ? `${v.label} (${fmt(v.percentile)}, ${fmt(v.annualised, 3)})` : '-';
    const venues = d.marketMakers
      ? d.marketMakers.venues.slice(0, 4).map((x) => `${x.venue || '(none)'} ${fmt(x.rowShare)}/${fmt(x.topShare)}/${fmt(x.avgSize, 0)}`).join(', ')
      : '(no Level 2 rows)';
    lines.push([
      s.padEnd(7), String(d.vpin.bucketVolume ?? '-').padEnd(11), fmt(d.vpin.dailyVolumeEstimate, 0).padEnd(11),
      regime.padEnd(26), fmt(d.temporal.returns.acf[0]).padEnd(9), fmt(d.temporal.volume.acf[0]).padEnd(9), venues,
    ].join(' '));
  }
  lines.push('');
  lines.push(`Correlation of ${report.intervalSeconds} s log returns:`);
  const c = report.correlation;
  lines.push('        ' + c.symbols.map((s) => s.padStart(7)).join(''));
  c.symbols.forEach((s, i) => lines.push(s.padEnd(8) + c.matrix[i]!.map((r) => fmt(r).padStart(7)).join('')));
  return lines;
}

/** The overlay as YAML, the findings as comments above it. */
export function renderYaml(report: DiscoveryReport, overlay: object, meta: DiscoveryMeta, leftOut: string[], file = 'config/discovered.yaml'): string {
  const head = [
    `Written by \`alphatrader discover\` from ${meta.source} at ${new Date(meta.generatedAtMs).toISOString()}.`,
    `Use it: alphatrader start --config ${file}   (merged over config/default.yaml)`,
    'Full findings: RedisLike keys discovery:{SYM} and discovery:correlation, or `alphatrader discover --json`.',
    '',
    ...summaryLines(report),
  ];
  if (leftOut.length) head.push('', `Not configured symbols, left out of bucketVolume: ${leftOut.join(', ')}`);
  return head.map((l) => (l ? `# ${l}` : '#')).join('\n') + '\n' + stringifyYaml(overlay);
}

async function writeRedis(config: EngineConfig, env: NodeJS.ProcessEnv, entries: [string, unknown][]): Promise<{ ok: true } | { ok: false; why: string }> {
  const t = operatorRedis(config, env);
  const r = createRedisClient({ ...t, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000, enableOfflineQueue: false });
  r.on('error', () => {});
  try {
    await r.connect();
  } catch (e) {
    return { ok: false, why: `Redis at ${t.host}:${t.port} is not reachable (${(e as Error).message})` };
  }
  try {
    // one MULTI (one per slot on a cluster: each symbol's findings are tagged with its symbol)
    const res = await transaction(r, entries.map(([k, v]): Cmd => ['set', k, JSON.stringify(v)]));
    const failed = res.find(([err]) => err);
    if (failed) return { ok: false, why: `Redis at ${t.host}:${t.port} refused the write: ${failed?.[0]?.message ?? 'transaction aborted'}` };
    return { ok: true };
  } catch (e) {
    return { ok: false, why: `Redis at ${t.host}:${t.port}: ${(e as Error).message}` };
  } finally {
    r.disconnect();
  }
}

/** Runs `alphatrader record FILE --duration S` as a child process (its log goes to our stderr). */
function recordLive(file: string, seconds: number, configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<number> {
  const bin = join(projectRoot(), 'bin', 'alphatrader.js');
  const args = [bin, 'record', file, '--duration', String(seconds), ...(configFile ? ['--config', configFile] : [])];
  return new Promise((res) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 2, 2], env });
    child.on('error', () => res(1));
    child.on('exit', (code) => res(code ?? 1));
  });
}

export async function runDiscover(argv: string[], io: DiscoverIo = defaultIo()): Promise<number> {
  let values: { replay?: string; duration?: string; out?: string; config?: string; json: boolean; 'no-redis': boolean };
  let seconds: number;
  let interval: number | undefined;
  try {
    const a = parseCommand(DISCOVER, argv);
    values = { replay: a.string('replay'), duration: a.string('duration'), out: a.string('out'), config: a.string('config'), json: a.flag('json'), 'no-redis': a.flag('no-redis') };
    if (values.replay !== undefined && values.duration !== undefined) a.fail('--replay and --duration exclude each other (a replay has its own length)');
    seconds = a.option('duration', secondsCheck(), DEFAULT_LIVE_SECONDS);
    interval = a.option('interval', wholeNumber(1, 3600));
  } catch (e) {
    const code = reportUsage(e, io.out, io.err);
    if (code === undefined) throw e;
    return code;
  }
  let config: EngineConfig;
  try {
    config = loadConfig({ file: values.config, env: io.env }).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(e.message + '\n');
      return 2;
    }
    throw e;
  }

  let file: string;
  let source: string;
  let tempDir: string | undefined;
  if (values.replay !== undefined) {
    file = resolve(values.replay);
    source = `recording ${file}`;
  } else {
    tempDir = mkdtempSync(join(tmpdir(), 'at-discover-'));
    file = join(tempDir, 'live.atrec');
    source = `${seconds} s of live ${config.market.source} data`;
    if (values.duration === undefined) io.err(`discover: no --replay: recording ${seconds} s of live data first (--duration to change)\n`);
    const code = await recordLive(file, seconds, values.config, io.env);
    if (code !== 0) {
      io.err(`discover: the live recording failed (alphatrader record exited with ${code})\n`);
      rmSync(tempDir, { recursive: true, force: true });
      return 1;
    }
  }

  let report: DiscoveryReport;
  try {
    const rows = new Map(config.symbols.map((s) => [s.symbol, s.numRows]));
    const { collector } = readRecording(file, {
      numRows: (s) => rows.get(s) ?? 20,
      bucketsPerDay: config.analytics.vpin.bucketsPerDay,
      intervalSeconds: interval,
    });
    report = collector.report();
  } catch (e) {
    if (e instanceof DiscoverInputError) {
      io.err(`discover: ${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }

  const meta: DiscoveryMeta = { source, generatedAtMs: io.now() };
  const configured = new Set(config.symbols.map((s) => s.symbol));
  const overlay = configOverlay(report, configured);
  const leftOut = report.symbols.filter((s) => !configured.has(s) && report.perSymbol[s]!.vpin.bucketVolume !== null);
  const out = values.out === undefined ? join(projectRoot(), 'config', 'discovered.yaml') : isAbsolute(values.out) ? values.out : resolve(values.out);
  const yamlText = renderYaml(report, overlay, meta, leftOut, values.out ?? 'config/discovered.yaml');
  // The file must load as a --config overlay; a failure here is a bug in this command, not bad input.
  validateConfig(deepMerge(config, parseYaml(yamlText)));
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, yamlText);
  } catch (e) {
    io.err(`discover: cannot write ${out}: ${(e as Error).message}\n`);
    return 2;
  }

  let redisNote: string;
  if (values['no-redis']) redisNote = 'Redis: not written (--no-redis)';
  else {
    const entries: [string, unknown][] = report.symbols.map((s) => [`discovery:{${s}}`, symbolValue(report, s, meta)]);
    entries.push(['discovery:correlation', correlationValue(report, meta)]);
    const w = await writeRedis(config, io.env, entries);
    redisNote = w.ok ? `Redis: wrote ${entries.map(([k]) => k).join(', ')}` : `Redis: not written: ${w.why}`;
  }

  if (values.json) {
    io.out(JSON.stringify({ ...report, generatedAtMs: meta.generatedAtMs, source, out, overlay }, null, 2) + '\n');
    io.err(`${redisNote}\nwrote ${out}\n`);
  } else {
    io.out([...summaryLines(report), '', `wrote ${out} (use: alphatrader start --config ${out})`, redisNote, ''].join('\n'));
  }
  return 0;
}
