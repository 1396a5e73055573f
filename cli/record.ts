import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { runStart } from './start.js';

/** `alphatrader record FILE --duration S [--config FILE]`: run the engine and record every inbound market event. */
export async function runRecord(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { duration: { type: 'string', short: 'd' }, config: { type: 'string', short: 'c' } },
  });
  if (positionals.length !== 1 || !values.duration) {
    console.error('usage: alphatrader record FILE --duration SECONDS [--config FILE]');
    return 2;
  }
  const args = ['--duration', values.duration, ...(values.config ? ['--config', values.config] : [])];
  return runStart(args, { overrides: { market: { record: resolve(positionals[0]) } } });
}

/** `alphatrader replay FILE [--speed N|max]` or `alphatrader replay --lobster MESSAGE ORDERBOOK [--symbol S]`. */
export async function runReplay(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      speed: { type: 'string', short: 's' }, config: { type: 'string', short: 'c' }, lobster: { type: 'boolean' },
      symbol: { type: 'string' }, 'keep-running': { type: 'boolean' }, levels: { type: 'string' },
    },
  });
  const usage = 'usage: alphatrader replay FILE [--speed N|max] | alphatrader replay --lobster MESSAGE_FILE ORDERBOOK_FILE [--symbol SYM] [--levels N] [--speed N|max]';
  const speedRaw = values.speed ?? 'max';
  const speed = speedRaw === 'max' ? 'max' : Number(speedRaw);
  if (speed !== 'max' && !(speed > 0)) {
    console.error(`--speed: expected a positive number or "max", got ${JSON.stringify(speedRaw)}\n${usage}`);
    return 2;
  }
  let replay: Record<string, unknown>;
  let symbols: Record<string, unknown> | undefined;
  if (values.lobster) {
    if (positionals.length !== 2) {
      console.error(usage);
      return 2;
    }
    const sym = values.symbol ?? 'AAPL';
    const levels = Number(values.levels ?? 10);
    replay = { file: '', speed, lobsterMessage: resolve(positionals[0]), lobsterOrderbook: resolve(positionals[1]), lobsterSymbol: sym };
    // The LOBSTER symbol must be a Level 2 symbol with as many rows as the file has levels.
    const { loadConfig } = await import('../engine/config/loadConfig.js');
    const base = loadConfig({ file: values.config }).config.symbols.filter((s) => s.symbol !== sym);
    symbols = { symbols: [{ symbol: sym, level2: true, basePrice: 100, numRows: levels }, ...base] };
  } else {
    if (positionals.length !== 1) {
      console.error(usage);
      return 2;
    }
    replay = { file: resolve(positionals[0]), speed, lobsterMessage: '', lobsterOrderbook: '', lobsterSymbol: '' };
  }
  const args = values.config ? ['--config', values.config] : [];
  return runStart(args, { overrides: { market: { source: 'replay', replay }, ...symbols }, exitOnReplayDone: !values['keep-running'] });
}
