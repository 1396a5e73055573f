/**
 * The one interface every broker adapter implements (paper, IBKR, Alpaca), so the execution actor,
 * the journal and the reconciler never know which venue they talk to.
 */

import type { Instrument } from '../../../analytics/instrument.js';

export type OrderSide = 'buy' | 'sell';
export type BrokerOrderType = 'market' | 'limit' | 'stop' | 'stop_limit' | 'moc' | 'loc';
export type BrokerTif = 'day' | 'ioc' | 'gtc' | 'opg' | 'cls';

/**
 * Orders, positions and open orders name what they are in two ways: `symbol` is the instrument's key
 * (`instrumentKey`: the ticker for shares, the unpadded OCC symbol for an option), so every map keyed by
 * symbol keeps working; `instrument` carries the whole model and is required for an option (absent means
 * the shares of `symbol`). "Is it ours" is decided on `underlyingOf(instrument)` against the configured
 * symbols, never on the OCC string.
 */
export interface BrokerOrder {
  clientOrderId: string;
  /** The instrument's key: ticker, or unpadded OCC symbol for an option. */
  symbol: string;
  instrument?: Instrument;
  side: OrderSide;
  qty: number;
  type: BrokerOrderType;
  limitPrice?: number;
  stopPrice?: number;
  tif: BrokerTif;
  /**
   * Options: whether the order opens or closes a position (Alpaca's `position_intent` with the side). Unset:
   * a buy opens and a sell closes (the engine never sells premium to open by default).
   */
  positionIntent?: 'open' | 'close';
}

export type BrokerEvent =
  | {
      kind: 'accepted' | 'new' | 'canceled' | 'rejected' | 'expired';
      clientOrderId: string;
      brokerOrderId?: string;
      reason?: string;
      ts: number;
      /** on canceled/expired, where the venue says: the order's filled quantity at the end (its fills may still be in flight) */
      filledQty?: number;
    }
  | {
      kind: 'fill' | 'partial_fill';
      clientOrderId: string;
      brokerOrderId?: string;
      execId: string;
      price: number;
      qty: number;
      cumQty: number;
      leavesQty: number;
      ts: number;
    };

export type BrokerFillEvent = BrokerEvent & { kind: 'fill' | 'partial_fill' };

/**
 * A position as the broker reports it, in the configured account (IBKR filters by `execution.account`;
 * Alpaca has one account per key and checks its number at connect). Every symbol the account holds is
 * returned, also symbols the engine does not trade (the operator's own): the caller tells them apart by
 * `symbol` against the configured symbols, and must never adopt or sell those.
 */
export interface BrokerPosition {
  /** The instrument's key (ticker or unpadded OCC symbol). */
  symbol: string;
  instrument?: Instrument;
  /** Signed: negative for a short position. */
  qty: number;
  avgPrice: number;
}

export interface BrokerOpenOrder {
  clientOrderId: string;
  brokerOrderId: string;
  /** The instrument's key (ticker or unpadded OCC symbol). */
  symbol: string;
  instrument?: Instrument;
  side: OrderSide;
  qty: number;
  filledQty: number;
  /**
   * The venue's status name (IB: PreSubmitted/Submitted/Filled/Cancelled…, Alpaca: new/partially_filled/…,
   * paper: its own). `PendingSubmit` (IB), `pending_new` (Alpaca) or `pending` (paper) also mean: sent by
   * this process and not acknowledged by the venue yet — never "unknown".
   */
  status: string;
}

/**
 * The account as the broker reports it (paper: its own cash and positions; IBKR: the account summary;
 * Alpaca: GET /v2/account). Money in the account's currency.
 */
export interface BrokerAccount {
  /** Net liquidation value: cash plus positions at their marks. */
  equity: number;
  cash: number;
  /** What may still be bought on margin (IBKR BuyingPower, Alpaca buying_power). */
  buyingPower: number;
  /** What may be spent on option premium, which is not marginable (IBKR AvailableFunds, Alpaca options_buying_power). */
  optionsBuyingPower: number;
  initialMargin: number;
  maintenanceMargin: number;
  currency: string;
  /** The account the figures are for (IBKR account code, Alpaca account number); '' when the venue names none. */
  accountId: string;
}

export interface Broker {
  readonly name: 'paper' | 'ibkr' | 'alpaca';
  /**
   * The account's figures, read from the venue now (never cached by the adapter). Rejects with a BrokerError
   * (`unavailable`, `auth`) when the venue does not answer or refuses.
   */
  account(): Promise<BrokerAccount>;
  /** Whether the venue connection is up, where the adapter holds one (IBKR's socket, Alpaca's trade stream). */
  isConnected?(): boolean;
  connect(): Promise<void>;
  close(): Promise<void>;
  /**
   * Idempotent per clientOrderId: a retry never creates a second order (a duplicate answer counts as success).
   * Resolves once the broker has the order (an `accepted` event follows or preceded it) or has refused it
   * definitively (a `rejected` event with the reason is emitted). Rejects with a BrokerError when the input
   * is invalid (`kind: 'input'`), the credentials are refused (`'auth'`), or the outcome is still unknown
   * after every retry (`'ambiguous'`: the reconciler settles it with orderByClientId).
   */
  place(o: BrokerOrder): Promise<void>;
  cancel(clientOrderId: string): Promise<void>;
  /**
   * Cancels, one request per order, every open order whose client order id starts with `prefix` (the
   * engine's own); orders without it (the operator's manual orders) are left working. Never a venue's
   * global cancel. Resolves with the number of cancel requests sent (each ends in its own event).
   */
  cancelAll(prefix: string): Promise<number>;
  positions(): Promise<BrokerPosition[]>;
  openOrders(): Promise<BrokerOpenOrder[]>;
  /**
   * For reconciliation after a crash (also filled/closed orders); an order this process sent that the venue
   * has not acknowledged yet is found too (pending status); null when neither knows it.
   */
  orderByClientId(clientOrderId: string): Promise<BrokerOpenOrder | null>;
  /** Executions, for reconciliation (each execId once). */
  fills(sinceMs?: number): Promise<BrokerFillEvent[]>;
  onEvent(cb: (e: BrokerEvent) => void): void;
}

/** cancelAll's prefix must name something: an empty one would cancel the operator's orders too. */
export function requireCancelPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new BrokerError('input', `cancelAll needs the engine's client order id prefix (a non-empty string), got ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

export type BrokerErrorKind = 'input' | 'auth' | 'ambiguous' | 'unavailable';

export class BrokerError extends Error {
  constructor(
    readonly kind: BrokerErrorKind,
    message: string,
    readonly clientOrderId?: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}

/** Counters every adapter keeps (bad input, retries, rejections…), for monitoring and tests. */
export interface BrokerStats {
  placed: number;
  duplicatesAvoided: number;
  retries: number;
  rateLimited: number;
  timeouts: number;
  rejected: number;
  badInput: number;
  errors: number;
  unknownEvents: number;
  reconnects: number;
  eventsEmitted: number;
  listenerErrors: number;
  /** Orders, executions or positions of another account than the configured one, ignored. */
  foreignAccount: number;
}

export function newBrokerStats(): BrokerStats {
  return {
    placed: 0, duplicatesAvoided: 0, retries: 0, rateLimited: 0, timeouts: 0, rejected: 0, badInput: 0, errors: 0,
    unknownEvents: 0, reconnects: 0, eventsEmitted: 0, listenerErrors: 0, foreignAccount: 0,
  };
}

/** pino-compatible subset; adapters log through it and never log credentials. */
export interface BrokerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: BrokerLog = { info() {}, warn() {}, error() {} };

const TERMINAL = new Set(['filled', 'canceled', 'rejected', 'expired']);
export function isTerminalKind(kind: BrokerEvent['kind']): boolean {
  return kind === 'fill' || TERMINAL.has(kind);
}
