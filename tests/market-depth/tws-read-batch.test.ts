/**
 * One socket read, one batch (decision 132): TwsSource (the real @stoqey/ib client against the TWS simulator)
 * ends a read's batch when the socket's data handler returns. Every event of a read carries the read's
 * arrival time (ingestNs), so the batches the sink sees must each hold one read's events, whole: one
 * ingestNs per batch, never an ingestNs in two batches. A batch left open across reads (its end missed)
 * mixes arrival times; a batch ended per event splits a read. The simulator writes each tick's frames at
 * once, so reads of several frames occur and the second failure is visible too. The reads land in
 * TwsSource's own buffer (net's `onread`), not through the client's readable stream.
 */
import { describe, expect, it } from 'vitest';
import type { MarketSink } from '../../actors/market-depth/MarketSource.js';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { makeKeeper } from '../helpers/bookkeeper.js';
import { twsOnSimulator } from '../helpers/tws-source.js';
import { waitFor } from '../helpers/redis.js';

describe('TwsSource: one batch per socket read', () => {
  const { keeper, config, clock } = makeKeeper();
  const symbols = config.symbols.map((s) => ({ ...s, level2: true, numRows: 5 })).slice(0, 3);
  config.symbols = symbols;
  config.market.publishEvery = 0; // off (the default): only the read's end publishes
  const sim = new TwsSimulator({ model: new MarketModel({ seed: 11, symbols, startMs: Date.now(), eventsPerSecond: 3000 }), tickMs: 5 });
  let open: number[] = []; // ingestNs of the events since the last endOfBatch
  const batches: number[][] = [];
  const live = (ns: number) => void open.push(ns);
  const sink: MarketSink = {
    depth: (s, ts, pos, op, side, px, sz, mm, ns) => {
      live(ns);
      keeper.depth(s, ts, pos, op, side, px, sz, mm, ns);
    },
    trade: (s, ts, px, sz, ag, ns) => {
      live(ns);
      keeper.trade(s, ts, px, sz, ag, ns);
    },
    quote: (s, ts, b, a, bs, as, ns) => {
      live(ns);
      keeper.quote(s, ts, b, a, bs, as, ns);
    },
    bar: (...a) => keeper.bar(...a),
    reset: (s) => keeper.reset(s),
    connection: (up, d) => keeper.connection(up, d),
    endOfBatch: () => {
      if (open.length) batches.push(open);
      open = [];
      keeper.endOfBatch();
    },
  };

  const tws = twsOnSimulator(sim, config, clock, sink);

  it('each batch holds the events of one read, whole', async () => {
    await waitFor(() => batches.length >= 300 && batches.some((b) => b.length > 1), 30_000, '300 batches, one of several events');
    const seen = new Set<number>();
    let mixed = 0;
    let split = 0;
    for (const b of batches) {
      if (b.some((ns) => ns !== b[0])) mixed++;
      if (seen.has(b[0]!)) split++;
      seen.add(b[0]!);
    }
    expect({ mixed, split }).toEqual({ mixed: 0, split: 0 });
    expect(batches.every((b) => b[0]! > 0)).toBe(true); // stamped by the read (the wrapper ran)
    expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(1);
    // every read landed in our own buffer (InPlaceReads, decision 138), none through the client's stream
    expect(tws().metrics.reads.stream).toBe(0);
    expect(tws().metrics.reads.inPlace).toBeGreaterThanOrEqual(batches.length);
  });
});
