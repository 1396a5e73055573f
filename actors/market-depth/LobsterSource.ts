import { lobsterEvents, type LobsterEvent, type LobsterReadReport } from './lobster/events.js';
import type { MonoClock } from '../../engine/runtime/MonoClock.js';
import type { MarketSink, MarketSource } from './MarketSource.js';

/**
 * A LOBSTER message/orderbook pair as a replay source: the book comes from the orderbook file as minimal
 * IB position-indexed operations (market maker: the message's attribution, else NSDQ), executions
 * (types 4 and 5) become trades, crosses (type 6) prints without an aggressor, halt indicators (type 7)
 * the book's halt state, all time-stamped from the message file, through the same sink as a live feed.
 * One message row is one batch. Rows of unknown type are skipped and counted (`report`).
 */
export class LobsterSource implements MarketSource {
  readonly name = 'lobster';
  private timer?: NodeJS.Timeout | NodeJS.Immediate;
  private stopped = false;
  events = 0;
  readonly report: LobsterReadReport = { unknown: 0, unknownSummary: null };
  /** message rows delivered, and the engine-clock time from the first read to the last delivery */
  messages = 0;
  elapsedNs = 0;

  constructor(
    private readonly messageFile: string,
    private readonly orderbookFile: string,
    private readonly symbolId: number,
    private readonly speed: number | 'max',
    private readonly clock: MonoClock,
    private readonly onDone: (events: number, report: LobsterReadReport) => void = () => {},
  ) {}

  async start(sink: MarketSink): Promise<void> {
    const startNs = this.clock.nowNs();
    const it = lobsterEvents(this.messageFile, this.orderbookFile, {}, this.report);
    let pending: LobsterEvent | undefined = it.next().value as LobsterEvent | undefined;
    const firstNs = pending?.tsNs ?? 0;
    const t0 = this.clock.nowNs();
    sink.connection(true, 'lobster replay');
    let row = pending?.row ?? -1;
    const deliver = (e: LobsterEvent) => {
      const ingest = this.clock.nowNs();
      if (e.row !== row) {
        sink.endOfBatch();
        row = e.row;
      }
      if (e.kind === 'depth') sink.depth(this.symbolId, e.tsMs, e.position, e.operation, e.side, e.price, e.size, e.marketMaker ?? 'NSDQ', ingest);
      else if (e.kind === 'halt') sink.halt?.(this.symbolId, e.tsMs, e.phase, ingest);
      else if (e.cross) {
        if (sink.cross) sink.cross(this.symbolId, e.tsMs, e.price, e.size, ingest);
        else sink.trade(this.symbolId, e.tsMs, e.price, e.size, 0, ingest);
      } else sink.trade(this.symbolId, e.tsMs, e.price, e.size, e.aggressor, ingest);
      this.events++;
    };
    const step = () => {
      if (this.stopped) return;
      const horizon = this.speed === 'max' ? Infinity : firstNs + (this.clock.nowNs() - t0) * this.speed;
      for (let i = 0; pending && i < 4096; i++) {
        if (pending.tsNs > horizon) break;
        deliver(pending);
        pending = it.next().value as LobsterEvent | undefined;
      }
      sink.endOfBatch();
      if (!pending) {
        this.messages = row + 1;
        this.elapsedNs = this.clock.nowNs() - startNs;
        this.onDone(this.events, this.report);
        return;
      }
      this.timer = this.speed === 'max' ? setImmediate(step) : setTimeout(step, 1);
    };
    step();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
  }
}
