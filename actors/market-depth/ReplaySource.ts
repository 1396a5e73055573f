import type { MonoClock } from '../../engine/runtime/MonoClock.js';
import type { MarketSink, MarketSource } from './MarketSource.js';
import { RecordingReader, type ReplayHooks } from './Recording.js';

/**
 * Replays a recording through the same sink (books, ring, publisher) as a live source: at a multiple of
 * the original pace (from recorded arrival times) or as fast as possible, in chunks that yield to the
 * event loop so heartbeats and commands still run. An ATREC2 recording carries its own batch boundaries
 * (and stale marks, through `hooks`): the books are then published exactly where the live run published
 * them, so the analytics downstream see the same messages; an ATREC1 recording is batched every 256 events.
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
    private readonly hooks: ReplayHooks = {},
  ) {
    this.ownBatches = reader.version === 1;
  }

  /** ATREC1 has no recorded batches: the replay makes its own. */
  private readonly ownBatches: boolean;

  private batch(sink: MarketSink): void {
    if (this.ownBatches) sink.endOfBatch();
  }

  async start(sink: MarketSink): Promise<void> {
    if (this.speed === 'max') this.runMax(sink);
    else this.runPaced(sink, this.speed);
  }

  private finish(sink: MarketSink): void {
    this.batch(sink);
    this.finished = true;
    this.onDone(this.events);
  }

  private runMax(sink: MarketSink): void {
    const step = () => {
      if (this.stopped) return;
      for (let i = 0; i < 4096; i++) {
        if (!this.reader.next(sink, this.clock.nowNs(), this.hooks)) return this.finish(sink);
        this.events++;
        if ((i & 255) === 255) this.batch(sink);
      }
      this.batch(sink);
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
        this.reader.next(sink, this.clock.nowNs(), this.hooks);
        this.events++;
        if (++n % 256 === 0) this.batch(sink);
      }
      this.batch(sink);
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
