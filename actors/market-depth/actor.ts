import type { ActorFactory } from '../../engine/runtime/Actor.js';
import { BookKeeper } from './BookKeeper.js';
import type { MarketSource } from './MarketSource.js';
import { SimSource } from './SimSource.js';

/**
 * Market-depth actor: one MarketSource (simulated market, TWS socket, or replay) feeding the BookKeeper,
 * which owns the books and writes the market-data ring. Whole-book snapshots and monitoring go to the
 * publisher on the cold path at a bounded rate.
 */
const create: ActorFactory = async (ctx) => {
  const cfg = ctx.config;
  const keeper = new BookKeeper(cfg, ctx.output('market-data'), ctx.clock, () => ctx.countInputError());
  const source: MarketSource = await createSource(ctx.config.market.source, ctx);
  const timers: NodeJS.Timeout[] = [];
  let lastOps = 0;
  let lastRateMs = Date.now();

  const publishMonitoring = () => {
    const now = Date.now();
    const total = keeper.stats.depthOps + keeper.stats.trades + keeper.stats.quotes;
    const rate = ((total - lastOps) * 1000) / Math.max(1, now - lastRateMs);
    lastOps = total;
    lastRateMs = now;
    const ttl = cfg.ttl.monitoring;
    ctx.publishMany([
      { key: 'monitoring:market-depth:metrics', value: { source: source.name, connected: keeper.connected, messagesPerSec: Math.round(rate), ...keeper.stats, staleness: keeper.staleness(now), ts: now }, ttlMs: ttl },
    ]);
  };

  return {
    async start() {
      await source.start(keeper);
      timers.push(setInterval(() => {
        const stale = keeper.checkStale();
        if (stale.length) ctx.log.warn({ symbols: stale }, 'symbols stale: no update within staleAfterMs');
        ctx.publishMany(keeper.snapshots());
      }, cfg.market.bookSnapshotMs));
      timers.push(setInterval(publishMonitoring, 1000));
      ctx.log.info({ source: source.name, symbols: cfg.symbols.length }, 'market-depth started');
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await source.stop();
      keeper.endOfBatch();
      ctx.publishMany(keeper.snapshots());
    },
  };
};

async function createSource(kind: string, ctx: Parameters<ActorFactory>[0]): Promise<MarketSource> {
  switch (kind) {
    case 'sim':
      return new SimSource(ctx.config, ctx.clock);
    default:
      throw new Error(`market source ${kind} is not available in this build`);
  }
}

export default create;
