/**
 * Brokers behind one interface: paper (default), IBKR (TWS / Gateway / TWS simulator), Alpaca (paper
 * API / Alpaca simulator).
 */
import { AlpacaBroker, type AlpacaBrokerOptions } from './AlpacaBroker.js';
import { IbkrBroker, type IbkrBrokerOptions } from './IbkrBroker.js';
import { PaperBroker, type PaperBrokerOptions } from './PaperBroker.js';
import type { Broker } from './types.js';

export * from './types.js';
export { validateOrder, MAX_CLIENT_ORDER_ID } from './validateOrder.js';
export { AlpacaBroker, ALPACA_PAPER_URL, type AlpacaBrokerOptions } from './AlpacaBroker.js';
export { IbkrBroker, parseIbTime, type IbkrBrokerOptions } from './IbkrBroker.js';
export { PaperBroker, type PaperBook, type PaperBookFn, type PaperBrokerOptions, type BookLevel } from './PaperBroker.js';

export type BrokerSpec =
  | ({ kind: 'paper' } & PaperBrokerOptions)
  | ({ kind: 'alpaca' } & AlpacaBrokerOptions)
  | ({ kind: 'ibkr' } & IbkrBrokerOptions);

export function createBroker(spec: BrokerSpec): Broker {
  switch (spec.kind) {
    case 'paper':
      return new PaperBroker(spec);
    case 'alpaca':
      return new AlpacaBroker(spec);
    case 'ibkr':
      return new IbkrBroker(spec);
    default:
      throw new Error(`unknown broker kind ${JSON.stringify((spec as { kind?: unknown })?.kind)}`);
  }
}

/** Alpaca keys from APCA_API_KEY_ID / APCA_API_SECRET_KEY, or null when either is missing. */
export function alpacaCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): { keyId: string; secret: string } | null {
  const keyId = env.APCA_API_KEY_ID?.trim();
  const secret = env.APCA_API_SECRET_KEY?.trim();
  return keyId && secret ? { keyId, secret } : null;
}
