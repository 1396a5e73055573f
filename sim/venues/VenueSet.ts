/**
 * The embedded venues (TWS gateway, Alpha Vantage, Alpaca) serving one seeded market model over real
 * sockets: started in a worker thread of their own (venue-worker) or on the supervisor's thread
 * (`venues.simThread`, EmbeddedVenues), the same code either way.
 */
import { MarketModel } from '../market/MarketModel.js';
import { TwsSimulator } from '../tws/TwsSimulator.js';
import { AlphaVantageSimulator } from '../alpha-vantage/AlphaVantageSimulator.js';
import { AlpacaSimulator } from '../alpaca/AlpacaSimulator.js';
import { OptionMarket } from '../options/OptionMarket.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { clockFor } from '../../engine/clock/index.js';
import { NYSE } from '../../analytics/calendar.js';

export interface VenueWorkerData {
  config: EngineConfig;
  tws: boolean;
  alphaVantage: boolean;
  alphaVantageKey: string;
  alpaca: boolean;
  alpacaKeyId: string;
  alpacaSecret: string;
  /** The engine's start instant, so the simulators' session time is the engine's session clock. */
  engineStartMs?: number;
}
export interface VenuePorts { twsPort?: number; alphaVantageUrl?: string; alpacaUrl?: string }

export interface VenueSet {
  ports: VenuePorts;
  stop(): Promise<void>;
}

export async function startVenueSet(wd: VenueWorkerData): Promise<VenueSet> {
  const cfg = wd.config;
  const model = new MarketModel({
    seed: cfg.engine.seed,
    symbols: cfg.symbols.map((s) => ({ symbol: s.symbol, basePrice: s.basePrice, numRows: s.numRows, level2: s.level2 })),
    startMs: Date.now(),
    eventsPerSecond: cfg.market.eventsPerSecond,
  });
  const ports: VenuePorts = {};
  // Order latency knobs (venues.simLatency, 0 = off) and the configured account, so execution.account
  // filtering and checking work against the simulators as against a real account.
  const latency = cfg.venues.simLatency;
  const account = cfg.execution.account || undefined;
  // The engine's session clock (the same pure function of config and start instant every actor uses).
  const session = clockFor(cfg, wd.engineStartMs);
  let tws: TwsSimulator | undefined;
  let av: AlphaVantageSimulator | undefined;
  let alpaca: AlpacaSimulator | undefined;

  // Listed options on the model's symbols, priced like the Alpha Vantage simulator's chains (same seed, rates, clock).
  const optionMarket = new OptionMarket({
    seed: cfg.engine.seed, rate: cfg.options.rate, dividendYield: () => cfg.options.dividendYield, nowMs: () => session.nowMs(),
    spot: (sym) => {
      const i = model.indexOf(sym);
      return i >= 0 ? model.lastPrice(i) : undefined;
    },
  });
  if (wd.tws) {
    tws = new TwsSimulator({ model, host: '127.0.0.1', port: 0, account, options: optionMarket, ...latency });
    ports.twsPort = (await tws.start()).port;
  }
  if (wd.alphaVantage) {
    av = new AlphaVantageSimulator({
      host: '127.0.0.1', port: 0, seed: cfg.engine.seed, validKeys: [wd.alphaVantageKey],
      spot: (sym) => {
        const i = model.indexOf(sym);
        return i >= 0 ? model.lastPrice(i) : undefined;
      },
      rate: cfg.options.rate, dividendYield: () => cfg.options.dividendYield,
      marketNowMs: () => session.nowMs(), // chains listed and priced on the engine's session date
    });
    ports.alphaVantageUrl = (await av.start()).baseUrl;
  }
  if (wd.alpaca) {
    alpaca = new AlpacaSimulator({
      host: '127.0.0.1', port: 0, keyId: wd.alpacaKeyId, secret: wd.alpacaSecret, accountNumber: account, ...latency,
      // Order times, the CLS auction and DAY expiry follow the engine's session clock (its close is the engine's close).
      nowMs: () => session.nowMs(), sessionClose: (now) => NYSE.nextCloseMs(now),
      // the same listed options as the TWS simulator: option orders, positions and expiries with broker: alpaca
      options: optionMarket, optionUnderlyings: cfg.options.symbols,
      quote: (sym) => {
        const i = model.indexOf(sym);
        if (i < 0) return undefined;
        const bid = model.bestBid(i);
        const ask = model.bestAsk(i);
        return Number.isFinite(bid) && Number.isFinite(ask) ? { bid, ask } : undefined;
      },
    });
    ports.alpacaUrl = (await alpaca.start()).baseUrl;
  }
  return {
    ports,
    async stop() {
      await Promise.allSettled([tws?.stop(), av?.stop(), alpaca?.stop()]);
    },
  };
}
