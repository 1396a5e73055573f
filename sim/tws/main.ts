/**
 * `alphatrader sim tws --port N [--seed S] [--host H] [--symbols SPY,QQQ] [--eps 200] [--server-version 193] [--bar-ms 5000]`
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

interface SimArgs {
  host: string;
  port: number;
  seed: number;
  symbols: string[];
  eps: number;
  serverVersion: number;
  barMs: number;
}

export function parseSimArgs(args: string[]): SimArgs {
  const out: SimArgs = { host: '127.0.0.1', port: 7497, seed: 1, symbols: [], eps: 200, serverVersion: 193, barMs: 5000 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const val = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`sim tws: ${a} needs a value`);
      return v;
    };
    const int = (name: string, v: string, min: number, max: number): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`sim tws: ${name} must be an integer in ${min}..${max}, got '${v}'`);
      return n;
    };
    switch (a) {
      case '--port':
        out.port = int('--port', val(), 0, 65535);
        break;
      case '--host':
        out.host = val();
        break;
      case '--seed':
        out.seed = int('--seed', val(), -2147483648, 4294967295);
        break;
      case '--symbols':
        out.symbols = val().split(',').map((s) => s.trim().toUpperCase()).filter((s) => s.length > 0);
        break;
      case '--eps':
        out.eps = int('--eps', val(), 1, 100000);
        break;
      case '--server-version':
        out.serverVersion = int('--server-version', val(), 0, 1000);
        break;
      case '--bar-ms':
        out.barMs = int('--bar-ms', val(), 1, 3600000);
        break;
      default:
        throw new Error(`sim tws: unknown argument '${a}' (expected --port N --seed S --host H --symbols A,B --eps N --server-version V --bar-ms N)`);
    }
  }
  return out;
}

export async function runTwsSim(args: string[]): Promise<void> {
  const a = parseSimArgs(args);
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
