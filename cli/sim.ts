import { parseCommand, port, symbol, text, wholeNumber } from './args.js';
import { SIM } from './commands.js';
import type { TwsSimArgs } from '../sim/tws/main.js';
import type { AlphaVantageSimArgs } from '../sim/alpha-vantage/main.js';

export type SimRun = { venue: 'tws'; args: TwsSimArgs } | { venue: 'alphavantage'; args: AlphaVantageSimArgs };

/** `alphatrader sim tws|alphavantage [options]`: the arguments, checked (a UsageError names the bad one). */
export function parseSim(argv: string[]): SimRun {
  const a = parseCommand(SIM, argv);
  const host = a.option('host', text, '127.0.0.1');
  if (a.spec.name === 'sim tws') {
    return {
      venue: 'tws',
      args: {
        host,
        port: a.option('port', port(true), 7497),
        seed: a.option('seed', wholeNumber(-2147483648, 4294967295), 1),
        symbols: a.option('symbols', list(symbol), []),
        eps: a.option('eps', wholeNumber(1, 100_000), 200),
        serverVersion: a.option('server-version', wholeNumber(0, 1000), 193),
        barMs: a.option('bar-ms', wholeNumber(1, 3_600_000), 5000),
      },
    };
  }
  return {
    venue: 'alphavantage',
    args: {
      host,
      port: a.option('port', port(true), 0),
      seed: a.option('seed', wholeNumber(0, 2 ** 31 - 1), 42),
      limit: a.option('limit', wholeNumber(1, 1_000_000), 600),
      keys: a.option('key', list(text), []),
      bases: Object.fromEntries(a.option('symbols', list(symbolPrice), [])),
    },
  };
}

/** A comma-separated list, each item checked (an empty list is a mistake). */
function list<T>(item: (raw: string) => T): (raw: string) => T[] {
  return (raw) => {
    const parts = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (parts.length === 0) throw new Error('expected a comma-separated list');
    return parts.map(item);
  };
}

function symbolPrice(raw: string): [string, number] {
  const [sym, px] = raw.split('=');
  const price = Number(px);
  if (!sym || px === undefined || !(price > 0) || !Number.isFinite(price)) throw new Error(`expected SYM=PRICE[,SYM=PRICE…] (bad item ${JSON.stringify(raw)})`);
  return [symbol(sym), price];
}

/** Runs a venue simulator standalone until a signal ends the process. */
export async function runSim(argv: string[]): Promise<number> {
  const run = parseSim(argv);
  // Paths are built at run time so a simulator still being written does not break the build.
  if (run.venue === 'tws') await (await import(simModule('tws'))).runTwsSim(run.args);
  else await (await import(simModule('alpha-vantage'))).runAlphaVantageSim(run.args);
  return await new Promise<number>(() => {}); // runs until a signal ends the process
}

function simModule(dir: string): string {
  return new URL(`../sim/${dir}/main.js`, import.meta.url).href;
}
