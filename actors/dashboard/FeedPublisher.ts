import type { DashboardModel } from './DashboardModel.js';
import { encodeFrame, FrameKind, MAX_TOPICS_PER_CLIENT } from './wire.js';

/** The parts of a uWS WebSocket the feed uses (so tests and benchmarks can drive it too). */
export interface FeedSocket {
  getBufferedAmount(): number;
  send(message: Uint8Array, isBinary?: boolean): number;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  close(): void;
  end(code?: number, message?: string): void;
  cork(cb: () => void): unknown;
}

/** Where frames fan out: uWS's app-level publish (the C++ topic tree sends to every subscriber). */
export interface FeedTarget {
  publish(topic: string, message: Uint8Array, isBinary?: boolean): boolean;
  numSubscribers(topic: string): number;
}

export interface FeedClient {
  readonly id: number;
  readonly ws: FeedSocket;
  readonly topics: Set<string>;
  /** consecutive ticks that ended with its unsent bytes above the limit */
  behind: number;
  /** frames may have been skipped for it: it gets full snapshots once it catches up */
  missed: boolean;
  closed: boolean;
}

export interface FeedOptions {
  maxBufferedBytes: number;
  maxBehindTicks: number;
}

const SEND_DROPPED = 2; // uWS send(): the message was dropped for back-pressure

/**
 * The conflating feed: once per tick, every topic that changed and has subscribers is encoded once and
 * published once (uWS fans it out natively). Back-pressure is per client and never touches the others:
 * uWS skips a socket whose unsent bytes pass `maxBufferedBytes` (its maxBackpressure), this class notices
 * at the end of the tick (at most once per feed period), counts the skip, resends full snapshots when the
 * client has caught up, and closes it when it stays behind `maxBehindTicks` ticks in a row.
 */
export class FeedPublisher {
  readonly clients = new Set<FeedClient>();
  private readonly fullCache = new Map<string, Uint8Array>();
  private nextId = 1;
  private lastSettle = -Infinity;
  private readonly periodMs: number;

  constructor(private readonly model: DashboardModel, private readonly target: FeedTarget, private readonly opts: FeedOptions) {
    // A little under the nominal period so timer jitter never makes the engine's ticker skip a pass.
    this.periodMs = (1000 / model.opts.rateHz) * 0.75;
  }

  addClient(ws: FeedSocket): FeedClient {
    const c: FeedClient = { id: this.nextId++, ws, topics: new Set(), behind: 0, missed: false, closed: false };
    this.clients.add(c);
    this.model.stats.clients = this.clients.size;
    return c;
  }

  removeClient(c: FeedClient): void {
    c.closed = true;
    this.clients.delete(c);
    this.model.stats.clients = this.clients.size;
  }

  /** The hello frame a client receives when its socket opens. */
  hello(): Uint8Array {
    const m = this.model;
    return encodeFrame('hello', FrameKind.Hello, {
      symbols: m.opts.symbols, topics: m.topicNames, rateHz: m.opts.rateHz, mode: m.opts.mode, source: m.opts.marketSource,
      serverTime: Date.now(), toxicThreshold: m.opts.toxicThreshold ?? 0.9,
    });
  }

  /** Subscribes to every known topic in the list and sends each one's full state; returns the rejected names. */
  subscribe(c: FeedClient, topics: readonly unknown[], nowMs = Date.now()): string[] {
    const rejected: string[] = [];
    c.ws.cork(() => {
      for (const t of topics) {
        if (typeof t !== 'string' || !this.model.topics.has(t) || (c.topics.size >= MAX_TOPICS_PER_CLIENT && !c.topics.has(t))) {
          rejected.push(String(t).slice(0, 64));
          continue;
        }
        c.topics.add(t);
        c.ws.subscribe(t);
        if (c.ws.send(this.fullFrame(t, nowMs), true) === SEND_DROPPED) c.missed = true;
      }
    });
    return rejected;
  }

  unsubscribe(c: FeedClient, topics: readonly unknown[]): void {
    for (const t of topics) {
      if (typeof t !== 'string' || !c.topics.delete(t)) continue;
      c.ws.unsubscribe(t);
    }
  }

  /** A topic's full state, encoded at most once per tick however many clients need it. */
  fullFrame(topic: string, nowMs = Date.now()): Uint8Array {
    let f = this.fullCache.get(topic);
    if (!f) {
      f = encodeFrame(topic, FrameKind.Full, this.model.topics.get(topic)!.full(nowMs));
      this.fullCache.set(topic, f);
    }
    return f;
  }

  /** One feed tick: sample, publish what changed, then settle each client's back-pressure. Returns frames published. */
  tick(nowMs = Date.now()): number {
    const { model, target } = this;
    this.fullCache.clear();
    model.sample(nowMs);
    model.stats.ticks++;
    let frames = 0;
    for (const t of model.topicList) {
      if (!t.dirty) continue;
      t.dirty = false;
      const subs = target.numSubscribers(t.name);
      if (subs === 0) {
        t.skip();
        model.stats.framesSkippedNoSubscriber++;
        continue;
      }
      const frame = encodeFrame(t.name, FrameKind.Delta, t.delta(nowMs));
      target.publish(t.name, frame, true);
      frames++;
      model.stats.frames++;
      model.stats.bytesPublished += frame.length * subs;
    }
    // Once per feed period: with the engine's ticker that is every tick; a caller ticking faster (the
    // benchmark) does not pay an O(clients) pass per call. Skipping itself is uWS's, per message.
    if (nowMs - this.lastSettle >= this.periodMs || nowMs < this.lastSettle) {
      this.lastSettle = nowMs;
      this.settleBackPressure(nowMs);
    }
    return frames;
  }

  private settleBackPressure(nowMs: number): void {
    const { maxBufferedBytes, maxBehindTicks } = this.opts;
    const stats = this.model.stats;
    for (const c of this.clients) {
      if (c.closed) continue;
      if (c.ws.getBufferedAmount() > maxBufferedBytes) {
        // uWS skipped (or will skip) this client's frames while it is above the limit.
        c.missed = true;
        c.behind++;
        stats.slowSkips++;
        if (c.behind >= maxBehindTicks) {
          stats.slowDrops++;
          this.removeClient(c);
          c.ws.close(); // not end(): a graceful close frame would queue behind the bytes it is not reading
        }
        continue;
      }
      c.behind = 0;
      if (c.missed) this.resync(c, nowMs);
    }
  }

  /** Full state of every topic the client holds, after it missed frames. */
  private resync(c: FeedClient, nowMs: number): void {
    let ok = true;
    c.ws.cork(() => {
      for (const t of c.topics) {
        if (c.ws.send(this.fullFrame(t, nowMs), true) === SEND_DROPPED) {
          ok = false;
          break;
        }
      }
    });
    c.missed = !ok;
    if (ok) this.model.stats.resyncs++;
  }

  /**
   * Closes every client at once (shutdown, or the worker exiting). Forcefully, not with a close handshake:
   * a socket still waiting for its peer's close frame when the worker thread ends is an open native handle,
   * and uWebSockets.js (20.30) then aborts the whole process. The page reconnects by itself.
   */
  closeAll(): void {
    for (const c of [...this.clients]) {
      this.removeClient(c);
      try {
        c.ws.close();
      } catch {
        /* already closed */
      }
    }
  }
}
