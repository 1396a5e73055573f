import { MarketModel, type MarketListener } from '../../sim/market/MarketModel.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { MonoClock } from '../../engine/runtime/MonoClock.js';
import type { MarketSink, MarketSource } from './MarketSource.js';

/**
 * The simulated market in-process: the seeded model advanced to the wall clock every few milliseconds,
 * its events passed straight to the sink. Same sink, same book code as the TWS path; only the transport
 * differs.
 */
export class SimSource implements MarketSource {
  readonly name = 'sim';
  private timer?: NodeJS.Timeout;
  private readonly model: MarketModel;

  constructor(config: EngineConfig, private readonly clock: MonoClock, private readonly tickMs = 5) {
    this.model = new MarketModel({
      seed: config.engine.seed,
      symbols: config.symbols.map((s) => ({ symbol: s.symbol, basePrice: s.basePrice, numRows: s.numRows, level2: s.level2 })),
      startMs: Date.now(),
      eventsPerSecond: config.market.eventsPerSecond,
    });
  }

  async start(sink: MarketSink): Promise<void> {
    const clock = this.clock;
    let ingestNs = 0;
    const listener: MarketListener = {
      onDepth: (sym, ts, pos, op, side, price, size, mm) => sink.depth(sym, ts, pos, op, side, price, size, mm, ingestNs),
      onTrade: (sym, ts, price, size, aggr) => sink.trade(sym, ts, price, size, aggr, ingestNs),
      onQuote: (sym, ts, bp, ap, bs, as) => sink.quote(sym, ts, bp, ap, bs, as, ingestNs),
    };
    ingestNs = clock.nowNs();
    for (let i = 0; i < this.model.symbols.length; i++) this.model.initialOps(i, listener);
    sink.connection(true, 'simulated market');
    sink.endOfBatch();
    this.timer = setInterval(() => {
      ingestNs = clock.nowNs();
      this.model.advance(Date.now(), listener);
      sink.endOfBatch();
    }, this.tickMs);
  }

  /** The underlying's last trade (what the simulated option market prices on), undefined when unknown. */
  spot(symbol: string): number | undefined {
    const i = this.model.indexOf(symbol);
    return i >= 0 ? this.model.lastPrice(i) : undefined;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
}
