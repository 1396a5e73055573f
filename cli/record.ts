import { resolve } from 'node:path';
import { parseCommand, positiveNumber, positiveWhole, seconds, symbol, text } from './args.js';
import { RECORD, REPLAY } from './commands.js';
import { runStart } from './start.js';
import { RecordingReader, type RecordedClock } from '../actors/market-depth/Recording.js';

/** `alphatrader record FILE --duration S [--config FILE]`: run the engine and record every inbound market event. */
export async function runRecord(argv: string[]): Promise<number> {
  const args = parseCommand(RECORD, argv);
  const file = args.positional(0, text);
  const duration = args.required('duration', seconds());
  const start = ['--duration', String(duration), ...configArgs(args.string('config'))];
  return runStart(start, { overrides: { market: { record: resolve(file) } } });
}

/** `alphatrader replay FILE [--speed N|max]` or `alphatrader replay --lobster MESSAGE ORDERBOOK [--symbol S]`. */
export async function runReplay(argv: string[]): Promise<number> {
  const args = parseCommand(REPLAY, argv);
  const speed = args.option('speed', (raw) => (raw === 'max' ? 'max' : positiveNumber(raw)), 'max' as const);
  let replay: Record<string, unknown>;
  let symbols: Record<string, unknown> | undefined;
  let clock: RecordedClock | undefined;
  if (args.flag('lobster')) {
    if (args.positionals.length !== 2) args.fail('--lobster needs MESSAGE_FILE ORDERBOOK_FILE');
    const sym = args.option('symbol', symbol, 'AAPL');
    const levels = args.option('levels', positiveWhole(100), 10);
    replay = { file: '', speed, lobsterMessage: resolve(args.positionals[0]!), lobsterOrderbook: resolve(args.positionals[1]!), lobsterSymbol: sym };
    // The LOBSTER symbol must be a Level 2 symbol with as many rows as the file has levels.
    const { ConfigError, loadConfig } = await import('../engine/config/loadConfig.js');
    let base;
    try {
      base = loadConfig({ file: args.string('config') }).config.symbols.filter((s) => s.symbol !== sym);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      console.error(e.message);
      return 2;
    }
    symbols = { symbols: [{ symbol: sym, level2: true, basePrice: 100, numRows: levels }, ...base] };
  } else {
    if (args.positionals.length !== 1) args.fail(`unexpected argument ${JSON.stringify(args.positionals[1])} (one FILE; two files need --lobster)`);
    for (const o of ['symbol', 'levels']) if (args.string(o) !== undefined) args.fail(`--${o} applies only with --lobster`);
    replay = { file: resolve(args.positionals[0]!), speed, lobsterMessage: '', lobsterOrderbook: '', lobsterSymbol: '' };
    clock = recordedClock(replay.file as string);
  }
  const engine = clock ? { engine: { mode: clock.mode, clock: { start: clock.start, speed: clock.speed } } } : {};
  return runStart(configArgs(args.string('config')), {
    overrides: { market: { source: 'replay', replay }, ...symbols, ...engine }, exitOnReplayDone: !args.flag('keep-running'), engineStartMs: clock?.engineStartMs,
  });
}

/** The recorded run's session clock (ATREC2): signals and ids in the replay are on it. A bad file is left to the start-up check. */
function recordedClock(file: string): RecordedClock | undefined {
  try {
    return new RecordingReader(file).header.clock;
  } catch {
    return undefined;
  }
}

const configArgs = (file: string | undefined): string[] => (file ? ['--config', file] : []);
