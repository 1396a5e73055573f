/**
 * `alphatrader sim alphavantage [--host H] [--port N] [--seed N] [--limit N] [--key K]... [--symbols SPY=590,QQQ=510]`
 * Runs the Alpha Vantage simulator standalone until SIGINT/SIGTERM.
 */

import { AlphaVantageSimulator } from './AlphaVantageSimulator.js';
import { walkingSpot } from './walkingSpot.js';

const DEFAULT_BASES: Record<string, number> = { SPY: 590, QQQ: 510, IWM: 225, AAPL: 230, MSFT: 430, NVDA: 140 };

interface SimArgs {
  host: string;
  port: number;
  seed: number;
  limit: number;
  keys: string[];
  bases: Record<string, number>;
}

export function parseSimArgs(args: string[]): SimArgs {
  const out: SimArgs = { host: '127.0.0.1', port: 0, seed: 42, limit: 600, keys: [], bases: { ...DEFAULT_BASES } };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = args[i + 1];
    const need = (): string => {
      if (value === undefined) throw new Error(`${flag} needs a value`);
      i++;
      return value;
    };
    const int = (min: number, max: number): number => {
      const v = need();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} must be an integer in [${min}, ${max}], got "${v}"`);
      return n;
    };
    switch (flag) {
      case '--host':
        out.host = need();
        break;
      case '--port':
        out.port = int(0, 65535);
        break;
      case '--seed':
        out.seed = int(0, 2 ** 31 - 1);
        break;
      case '--limit':
        out.limit = int(1, 1_000_000);
        break;
      case '--key':
        out.keys.push(need());
        break;
      case '--symbols': {
        out.bases = {};
        for (const pair of need().split(',')) {
          const [sym, px] = pair.split('=');
          const price = Number(px);
          if (!sym || !/^[A-Z][A-Z0-9.]{0,9}$/.test(sym.toUpperCase()) || !(price > 0)) {
            throw new Error(`--symbols expects SYM=PRICE[,SYM=PRICE…], got "${pair}"`);
          }
          out.bases[sym.toUpperCase()] = price;
        }
        break;
      }
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return out;
}

export async function runAlphaVantageSim(args: string[]): Promise<void> {
  let parsed: SimArgs;
  try {
    parsed = parseSimArgs(args);
  } catch (err) {
    console.error(`alphatrader sim alphavantage: ${(err as Error).message}`);
    process.exitCode = 2;
    throw err;
  }
  const keys = parsed.keys.length > 0 ? parsed.keys : ['demo-sim-key'];
  const sim = new AlphaVantageSimulator({
    host: parsed.host,
    port: parsed.port,
    seed: parsed.seed,
    perMinuteLimit: parsed.limit,
    validKeys: keys,
    spot: walkingSpot(parsed.bases, parsed.seed),
  });
  const { baseUrl } = await sim.start();
  // The key is printed only when it is the well-known default; a key given on the command line is the operator's.
  const keyHint = parsed.keys.length > 0 ? `${keys.length} key(s) from --key` : `apikey=demo-sim-key`;
  console.log(`Alpha Vantage simulator on ${baseUrl}/query (${keyHint}; ${parsed.limit}/min per key; symbols ${Object.keys(parsed.bases).join(',')})`);
  const shutdown = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
