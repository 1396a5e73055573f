/**
 * `alphatrader sim alpaca --port N [--seed S] [--host H] [--symbols SPY,QQQ] [--eps 200]`
 * Runs the Alpaca paper-trading simulator (REST v2 + /stream) until SIGINT/SIGTERM. Credentials come
 * from APCA_API_KEY_ID / APCA_API_SECRET_KEY (defaults otherwise); the secret is never printed.
 */
import { MarketModel } from '../market/MarketModel.js';
import { defaultSymbols } from '../tws/main.js';
import { AlpacaSimulator } from './AlpacaSimulator.js';
import { startModelQuotes } from './modelQuotes.js';

interface AlpacaSimArgs {
  host: string;
  port: number;
  seed: number;
  symbols: string[];
  eps: number;
}

export function parseAlpacaSimArgs(args: string[]): AlpacaSimArgs {
  const out: AlpacaSimArgs = { host: '127.0.0.1', port: 8788, seed: 1, symbols: [], eps: 200 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const val = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`sim alpaca: ${a} needs a value`);
      return v;
    };
    const int = (v: string, min: number, max: number): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`sim alpaca: ${a} must be an integer in ${min}..${max}, got '${v}'`);
      return n;
    };
    switch (a) {
      case '--port':
        out.port = int(val(), 0, 65535);
        break;
      case '--host':
        out.host = val();
        break;
      case '--seed':
        out.seed = int(val(), -2147483648, 4294967295);
        break;
      case '--symbols':
        out.symbols = val().split(',').map((s) => s.trim().toUpperCase()).filter((s) => s.length > 0);
        break;
      case '--eps':
        out.eps = int(val(), 1, 100000);
        break;
      default:
        throw new Error(`sim alpaca: unknown argument '${a}' (expected --port N --seed S --host H --symbols A,B --eps N)`);
    }
  }
  return out;
}

export async function runAlpacaSim(args: string[]): Promise<void> {
  const a = parseAlpacaSimArgs(args);
  const model = new MarketModel({ seed: a.seed, symbols: defaultSymbols(a.symbols.length > 0 ? a.symbols : undefined), startMs: Date.now(), eventsPerSecond: a.eps });
  const quotes = startModelQuotes(model);
  const keyId = process.env.APCA_API_KEY_ID || undefined;
  const sim = new AlpacaSimulator({
    host: a.host,
    port: a.port,
    keyId,
    secret: process.env.APCA_API_SECRET_KEY || undefined,
    quote: quotes.quote,
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  const { baseUrl, streamUrl } = await sim.start();
  process.stdout.write(
    `Alpaca simulator on ${baseUrl} (stream ${streamUrl}) seed=${a.seed} symbols=${model.symbols.map((s) => s.symbol).join(',')}` +
      `${keyId ? '' : ' default key id PKSIMULATOR000000001 (set APCA_API_KEY_ID / APCA_API_SECRET_KEY to choose)'} (Ctrl-C to stop)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      quotes.stop();
      const st = sim.stats();
      process.stdout.write(`stopping: ${JSON.stringify({ requests: st.requests, byStatus: st.byStatus, orders: sim.orders().length })}\n`);
      void sim.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
