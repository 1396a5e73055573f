import type { EngineConfig } from '../../engine/config/schema.js';
import type { ActorContext } from '../../engine/runtime/ActorContext.js';
import { AlpacaBroker } from './brokers/AlpacaBroker.js';
import { PaperBroker, type PaperBookFn } from './brokers/PaperBroker.js';
import type { Broker } from './brokers/types.js';

/** The configured broker. Keys come from the environment only (APCA_API_KEY_ID / APCA_API_SECRET_KEY). */
export async function createBroker(cfg: EngineConfig, ctx: ActorContext, book: PaperBookFn): Promise<Broker> {
  const log = { info: (o: object, m: string) => ctx.log.info(o, m), warn: (o: object, m: string) => ctx.log.warn(o, m), error: (o: object, m: string) => ctx.log.error(o, m), debug: (o: object, m: string) => ctx.log.debug(o, m) };
  switch (cfg.execution.broker) {
    case 'paper':
      return new PaperBroker({ book, log });
    case 'alpaca': {
      const baseUrl = (ctx.runtime.alpacaUrl as string | undefined) || cfg.execution.alpacaBaseUrl;
      const keyId = (ctx.runtime.alpacaKeyId as string | undefined) ?? process.env.APCA_API_KEY_ID ?? process.env.ALPHATRADER_ALPACA_KEY_ID;
      const secret = (ctx.runtime.alpacaSecret as string | undefined) ?? process.env.APCA_API_SECRET_KEY ?? process.env.ALPHATRADER_ALPACA_SECRET;
      if (!keyId || !secret) throw new Error('execution.broker is alpaca but APCA_API_KEY_ID / APCA_API_SECRET_KEY are not set');
      return new AlpacaBroker({ keyId, secret, baseUrl: baseUrl || undefined, log });
    }
    case 'ibkr': {
      const mod = (await import(new URL('./brokers/IbkrBroker.js', import.meta.url).href).catch(() => null)) as
        | { IbkrBroker: new (o: Record<string, unknown>) => Broker }
        | null;
      if (!mod) throw new Error('the IBKR broker adapter is not available in this build');
      const port = cfg.venues.tws.port || (ctx.runtime.twsPort as number | undefined);
      return new mod.IbkrBroker({ host: cfg.venues.tws.host, port, clientId: cfg.venues.tws.clientId + 100, log });
    }
  }
}
