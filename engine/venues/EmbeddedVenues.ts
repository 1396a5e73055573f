import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { EngineConfig } from '../config/schema.js';
import { distPath } from '../config/projectRoot.js';
import type { Logger } from '../log/logger.js';
import { workerResourceLimits } from '../runtime/workerHeap.js';
import { smallHost } from '../runtime/Topology.js';
import { startVenueSet, type VenueWorkerData } from '../../sim/venues/VenueSet.js';

export interface EmbeddedVenueInfo {
  twsPort?: number;
  alphaVantageUrl?: string;
  alphaVantageKey?: string;
  alpacaUrl?: string;
  alpacaKeyId?: string;
  alpacaSecret?: string;
  stop(): Promise<void>;
}

/**
 * Starts the venue simulators the configuration asks for (a TWS port of 0, an empty Alpha Vantage base
 * URL) in their own worker thread, or on this thread (`venues.simThread`), and returns where they listen. With real venues configured it starts
 * nothing: switching to a live gateway or account is configuration, not code. `engineStartMs` (the
 * runtime's) puts the Alpaca simulator on the engine's session clock: its MOC (CLS) orders fill and its DAY
 * orders expire at the engine's close.
 */
export async function startEmbeddedVenues(config: EngineConfig, log: Logger, engineStartMs?: number): Promise<EmbeddedVenueInfo> {
  const tws = config.venues.tws.port === 0 && (config.market.source === 'tws' || config.execution.broker === 'ibkr');
  const alphaVantage = config.venues.alphaVantage.baseUrl === '';
  const alpaca = config.execution.broker === 'alpaca' && config.execution.alpacaBaseUrl === '';
  if (!tws && !alphaVantage && !alpaca) return { stop: async () => {} };
  const alpacaKeyId = alpaca ? `SIM${randomBytes(8).toString('hex').toUpperCase()}` : undefined;
  const alpacaSecret = alpaca ? randomBytes(20).toString('base64url') : undefined;
  // The embedded Alpha Vantage accepts one key made up at start-up; a real key never goes to a simulator.
  const alphaVantageKey = alphaVantage ? `sim-${randomBytes(8).toString('hex')}` : undefined;
  const data: VenueWorkerData = { config, tws, alphaVantage, alphaVantageKey: alphaVantageKey ?? '', alpaca, alpacaKeyId: alpacaKeyId ?? '', alpacaSecret: alpacaSecret ?? '', engineStartMs };
  const where = config.venues.simThread === 'auto' ? (smallHost(config.actors) ? 'main' : 'own') : config.venues.simThread;
  if (where === 'main') {
    // On the supervisor's thread: one isolate (~15-20 MB RSS) less on a small host; the simulators' socket
    // work then shares the thread that routes cold messages and watches heartbeats (both far from busy).
    const set = await startVenueSet(data);
    log.info({ twsPort: set.ports.twsPort, alphaVantage: set.ports.alphaVantageUrl, alpaca: set.ports.alpacaUrl, thread: 'main' }, 'embedded venue simulators started');
    return { ...set.ports, alphaVantageKey, alpacaKeyId, alpacaSecret, stop: () => set.stop() };
  }
  const w = new Worker(distPath('sim', 'venues', 'venue-worker.js'), {
    workerData: data,
    name: 'venues',
    resourceLimits: workerResourceLimits(config),
  });
  const ports = await new Promise<{ twsPort?: number; alphaVantageUrl?: string; alpacaUrl?: string }>((resolve, reject) => {
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`venue simulators exited during start-up (code ${code})`)));
    w.on('message', (m: { t: string; ports?: { twsPort?: number; alphaVantageUrl?: string; alpacaUrl?: string } }) => {
      if (m.t === 'ready') resolve(m.ports ?? {});
    });
  });
  w.removeAllListeners('exit');
  w.on('error', (err) => log.error({ err }, 'venue simulators failed'));
  log.info({ twsPort: ports.twsPort, alphaVantage: ports.alphaVantageUrl, alpaca: ports.alpacaUrl }, 'embedded venue simulators started');
  return {
    ...ports,
    alphaVantageKey,
    alpacaKeyId,
    alpacaSecret,
    async stop() {
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      w.postMessage({ t: 'stop' });
      const t = setTimeout(() => void w.terminate(), 500);
      await exited;
      clearTimeout(t);
    },
  };
}
