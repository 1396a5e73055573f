import { NYSE } from '../../analytics/calendar.js';
import { clockFor, type Clock } from '../../engine/clock/index.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { ActorContext } from '../../engine/runtime/ActorContext.js';
import { alpacaCredentialsFromEnv, createBroker as brokerFromSpec, type Broker, type PaperBookFn } from './brokers/index.js';

/**
 * The configured broker, from configuration and the runtime (embedded simulators' addresses and keys).
 * Real keys come from the environment only (APCA_API_KEY_ID / APCA_API_SECRET_KEY).
 *
 * The paper broker runs on the engine's session clock (`clock`, default the one derived from the config
 * and the engine's start instant, as every actor does): its DAY orders expire and its MOC/LOC orders
 * fill at that clock's NYSE close, and it takes the simulated venues' latency knobs (venues.simLatency).
 * Alpaca's events without a venue time are stamped on the same clock (the embedded Alpaca simulator runs on it).
 */
export function createBroker(cfg: EngineConfig, ctx: ActorContext, book: PaperBookFn, clock?: Clock): Broker {
  const log = ctx.log;
  const account = cfg.execution.account || undefined;
  const session = clock ?? clockFor(cfg, ctx.runtime.engineStartMs as number | undefined);
  switch (cfg.execution.broker) {
    case 'paper': {
      const { ackMs, fillMs, fillSlices } = cfg.venues.simLatency;
      return brokerFromSpec({
        kind: 'paper',
        book,
        log,
        nowMs: () => session.nowMs(),
        sessionClose: (now) => NYSE.nextCloseMs(now),
        ackMs,
        fillMs,
        fillSlices,
        startingCash: cfg.risk.startingEquity, // the engine's starting equity and the paper account's are one figure
      });
    }
    case 'alpaca': {
      const embedded = ctx.runtime.alpacaKeyId && ctx.runtime.alpacaSecret
        ? { keyId: ctx.runtime.alpacaKeyId as string, secret: ctx.runtime.alpacaSecret as string }
        : null;
      const creds = embedded ?? alpacaCredentialsFromEnv();
      if (!creds) throw new Error('execution.broker is alpaca but APCA_API_KEY_ID / APCA_API_SECRET_KEY are not set');
      const baseUrl = (ctx.runtime.alpacaUrl as string | undefined) || cfg.execution.alpacaBaseUrl || undefined;
      // Event times on the session clock, as the embedded simulator's stream timestamps (the wall clock in live mode).
      return brokerFromSpec({ kind: 'alpaca', ...creds, baseUrl, account, log, nowMs: () => session.nowMs() });
    }
    case 'ibkr': {
      const port = cfg.venues.tws.port || (ctx.runtime.twsPort as number | undefined);
      if (!port) throw new Error('execution.broker is ibkr but no TWS port is known (venues.tws.port, or the embedded simulator)');
      // A client id of its own: the market-depth actor holds venues.tws.clientId.
      return brokerFromSpec({ kind: 'ibkr', host: cfg.venues.tws.host, port, clientId: cfg.venues.tws.clientId + 100, account, log });
    }
  }
}
