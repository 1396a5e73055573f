/**
 * `alphatrader sim alphavantage [--host H] [--port N] [--seed N] [--limit N] [--key K1,K2] [--symbols SPY=590,QQQ=510]`
 * Runs the Alpha Vantage simulator standalone until SIGINT/SIGTERM (arguments parsed by cli/sim.ts).
 */

import { AlphaVantageSimulator } from './AlphaVantageSimulator.js';
import { walkingSpot } from './walkingSpot.js';

const DEFAULT_BASES: Record<string, number> = { SPY: 590, QQQ: 510, IWM: 225, AAPL: 230, MSFT: 430, NVDA: 140 };

/** The standalone simulator's options (parsed and checked by cli/sim.ts). */
export interface AlphaVantageSimArgs {
  host: string;
  port: number;
  seed: number;
  limit: number;
  keys: string[];
  /** starting prices by symbol; empty: the defaults */
  bases: Record<string, number>;
}

export async function runAlphaVantageSim(args: AlphaVantageSimArgs): Promise<void> {
  const parsed = { ...args, bases: Object.keys(args.bases).length > 0 ? args.bases : { ...DEFAULT_BASES } };
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
