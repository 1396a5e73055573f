import type { BrokerEvent, BrokerStats } from './types.js';

/**
 * Delivers broker events to every registered listener. A throwing listener is counted and isolated:
 * it must not stop the other listeners or the adapter's own bookkeeping.
 */
export class EventFanout {
  private readonly listeners: ((e: BrokerEvent) => void)[] = [];

  constructor(private readonly stats: BrokerStats, private readonly onListenerError: (err: unknown) => void = () => {}) {}

  add(cb: (e: BrokerEvent) => void): void {
    this.listeners.push(cb);
  }

  emit(e: BrokerEvent): void {
    this.stats.eventsEmitted++;
    for (let i = 0; i < this.listeners.length; i++) {
      try {
        this.listeners[i](e);
      } catch (err) {
        this.stats.listenerErrors++;
        this.onListenerError(err);
      }
    }
  }
}
