/**
 * `alphatrader sim tws --port N [--seed S] [--host H] [--symbols SPY,QQQ] [--eps 200] [--server-version 193] [--bar-ms 5000]`
 * (arguments parsed by cli/sim.ts)
 * Runs the TWS simulator until SIGINT/SIGTERM.
 */
import { MarketModel, type SymbolSpec } from '../market/MarketModel.js';
import { TwsSimulator } from './TwsSimulator.js';

/** Reference prices for the default universe; other symbols start at 100. */
const BASE_PRICES: Record<string, number> = {
  SPY: 500,
  QQQ: 430,
  IWM: 210,
  AAPL: 190,
  MSFT: 410,
  NVDA: 120,
  TSLA: 250,
  AMD: 160,
};

export function defaultSymbols(names: string[] = ['SPY', 'QQQ', 'IWM', 'AAPL', 'MSFT', 'NVDA', 'TSLA']): SymbolSpec[] {
  return names.map((symbol) => ({ symbol, basePrice: BASE_PRICES[symbol] ?? 100, numRows: 10, level2: true }));
}

/** The standalone simulator's options (parsed and checked by cli/sim.ts). */
export interface TwsSimArgs {
  host: string;
  port: number;
  seed: number;
  symbols: string[];
  eps: number;
  serverVersion: number;
  barMs: number;
}

export async function runTwsSim(a: TwsSimArgs): Promise<void> {
  const model = new MarketModel({
    seed: a.seed,
    symbols: defaultSymbols(a.symbols.length > 0 ? a.symbols : undefined),
    startMs: Date.now(),
    eventsPerSecond: a.eps,
  });
  const sim = new TwsSimulator({
    model,
    host: a.host,
    port: a.port,
    serverVersion: a.serverVersion,
    realTimeBarMs: a.barMs,
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  const { host, port } = await sim.start();
  process.stdout.write(
    `TWS simulator on ${host}:${port} seed=${a.seed} symbols=${model.symbols.map((s) => s.symbol).join(',')} (Ctrl-C to stop)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const st = sim.stats();
      process.stdout.write(`stopping: ${JSON.stringify({ connections: st.connectionsAccepted, messagesIn: st.messagesIn, bytesOut: st.bytesOut })}\n`);
      void sim.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
