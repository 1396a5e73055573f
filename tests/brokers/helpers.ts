import { IbkrBroker, type IbkrBrokerOptions } from '../../actors/execution/brokers/IbkrBroker.js';
import type { BrokerEvent } from '../../actors/execution/brokers/types.js';

/** Parked wait with a deadline: polls every 5 ms, fails with a message, never asserts a duration. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function kinds(events: BrokerEvent[], coid: string): string[] {
  return events.filter((e) => e.clientOrderId === coid).map((e) => e.kind);
}

export function fillsOf(events: BrokerEvent[], coid: string): (BrokerEvent & { kind: 'fill' | 'partial_fill' })[] {
  return events.filter((e): e is BrokerEvent & { kind: 'fill' | 'partial_fill' } => e.clientOrderId === coid && (e.kind === 'fill' || e.kind === 'partial_fill'));
}

export const KEY = 'PKTESTKEY00000000001';
export const SECRET = 'test-secret-do-not-log';

/** A connected IbkrBroker on a local TWS (simulator), its events collected; pushed to `open` for the afterEach close. */
export async function connectIbkr(port: number, clientId: number, open: IbkrBroker[], opts: Partial<IbkrBrokerOptions> = {}): Promise<{ b: IbkrBroker; events: BrokerEvent[] }> {
  const b = new IbkrBroker({ host: '127.0.0.1', port, clientId, connectTimeoutMs: 5_000, requestTimeoutMs: 5_000, reconnectBaseMs: 50, ...opts });
  open.push(b);
  const events: BrokerEvent[] = [];
  b.onEvent((e) => events.push(e));
  await b.connect();
  return { b, events };
}
