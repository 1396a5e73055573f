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
