import type { MonoClock } from '../../engine/runtime/MonoClock.js';
import type { MarketSink, MarketSource } from './MarketSource.js';
import { RecordingReader } from './Recording.js';

/**
 * Replays a recording through the same sink (books, ring, publisher) as a live source: at a multiple of
 * the original pace (from recorded arrival times) or as fast as possible, in chunks that yield to the
 * event loop so heartbeats and commands still run.
 */
export class ReplaySource implements MarketSource {
  readonly name = 'replay';
  private timer?: NodeJS.Timeout | NodeJS.Immediate;
  private stopped = false;
  events = 0;
  finished = false;

  constructor(
    private readonly reader: RecordingReader,
    private readonly speed: number | 'max',
    private readonly clock: MonoClock,
    private readonly onDone: (events: number) => void = () => {},
  ) {}

  async start(sink: MarketSink): Promise<void> {
    if (this.speed === 'max') this.runMax(sink);
    else this.runPaced(sink, this.speed);
  }

  private finish(sink: MarketSink): void {
    sink.endOfBatch();
    this.finished = true;
    this.onDone(this.events);
  }

  private runMax(sink: MarketSink): void {
    const step = () => {
      if (this.stopped) return;
      for (let i = 0; i < 4096; i++) {
        if (!this.reader.next(sink, this.clock.nowNs())) return this.finish(sink);
        this.events++;
        if ((i & 255) === 255) sink.endOfBatch();
      }
      sink.endOfBatch();
      this.timer = setImmediate(step);
    };
    step();
  }

  private runPaced(sink: MarketSink, speed: number): void {
    const base = this.reader.peekArrivalNs();
    const t0 = this.clock.nowNs();
    const step = () => {
      if (this.stopped) return;
      const horizon = base + (this.clock.nowNs() - t0) * speed;
      let n = 0;
      for (;;) {
        const next = this.reader.peekArrivalNs();
        if (Number.isNaN(next)) return this.finish(sink);
        if (next > horizon) break;
        this.reader.next(sink, this.clock.nowNs());
        this.events++;
        if (++n % 256 === 0) sink.endOfBatch();
      }
      sink.endOfBatch();
      this.timer = setTimeout(step, 1);
    };
    step();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
  }
}
