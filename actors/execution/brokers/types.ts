/**
 * The one interface every broker adapter implements (paper, IBKR, Alpaca), so the execution actor,
 * the journal and the reconciler never know which venue they talk to.
 */

export type OrderSide = 'buy' | 'sell';
export type BrokerOrderType = 'market' | 'limit' | 'stop' | 'stop_limit' | 'moc' | 'loc';
export type BrokerTif = 'day' | 'ioc' | 'gtc' | 'opg' | 'cls';

export interface BrokerOrder {
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  qty: number;
  type: BrokerOrderType;
  limitPrice?: number;
  stopPrice?: number;
  tif: BrokerTif;
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

export interface BrokerPosition {
  symbol: string;
  /** Signed: negative for a short position. */
  qty: number;
  avgPrice: number;
}

export interface BrokerOpenOrder {
  clientOrderId: string;
  brokerOrderId: string;
  symbol: string;
  side: OrderSide;
  qty: number;
  filledQty: number;
  status: string;
}

export interface Broker {
  readonly name: 'paper' | 'ibkr' | 'alpaca';
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
  cancelAll(): Promise<void>;
  positions(): Promise<BrokerPosition[]>;
  openOrders(): Promise<BrokerOpenOrder[]>;
  /** For reconciliation after a crash (also filled/closed orders); null when the broker does not know it. */
  orderByClientId(clientOrderId: string): Promise<BrokerOpenOrder | null>;
  /** Executions, for reconciliation (each execId once). */
  fills(sinceMs?: number): Promise<BrokerFillEvent[]>;
  onEvent(cb: (e: BrokerEvent) => void): void;
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
}

export function newBrokerStats(): BrokerStats {
  return {
    placed: 0, duplicatesAvoided: 0, retries: 0, rateLimited: 0, timeouts: 0, rejected: 0, badInput: 0, errors: 0,
    unknownEvents: 0, reconnects: 0, eventsEmitted: 0, listenerErrors: 0,
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
