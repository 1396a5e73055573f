/**
 * Cluster mode, issue 15 item 2: the venue's market-data lines follow the symbol leases. TwsSource (the real
 * @stoqey/ib client) against the TWS simulator subscribes only the served symbols, cancels a symbol it loses
 * (its book cleared) and requests one it gains, on the live session and again after a reconnect.
 */
import { describe, expect, it } from 'vitest';
import type { MarketSink } from '../../actors/market-depth/MarketSource.js';
import { MarketModel } from '../../sim/market/MarketModel.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { makeKeeper } from '../helpers/bookkeeper.js';
import { twsOnSimulator } from '../helpers/tws-source.js';
import { waitFor } from '../helpers/redis.js';

describe('TwsSource subscribes the served symbols only', () => {
  const { keeper, config, clock } = makeKeeper();
  const symbols = config.symbols.map((s) => ({ ...s, level2: true, numRows: 5 })).slice(0, 3); // 3 depth lines: the simulator's limit
  config.symbols = symbols;
  const sim = new TwsSimulator({ model: new MarketModel({ seed: 9, symbols, startMs: Date.now(), eventsPerSecond: 200 }), tickMs: 5 });
  const depthBy = [0, 0, 0];
  const resets = [0, 0, 0];
  const sink: MarketSink = {
    depth: (s, ...rest) => {
      depthBy[s]!++;
      keeper.depth(s, ...rest);
    },
    trade: (...a) => keeper.trade(...a),
    quote: (...a) => keeper.quote(...a),
    bar: (...a) => keeper.bar(...a),
    reset: (s) => {
      resets[s]!++;
      keeper.reset(s);
    },
    connection: (up, d) => keeper.connection(up, d),
    endOfBatch: () => keeper.endOfBatch(),
  };
  const mask = [true, false, false]; // served by this instance: the first symbol only
  const subs = () => sim.stats().subscriptions;
  // the requests of one symbol reach the venue one frame at a time: wait for all of them, not the first
  const linesAre = (symbols: number) => {
    const s = subs();
    return s.depth === symbols && s.tickByTick === 2 * symbols && s.realTimeBars === symbols;
  };

  const tws = twsOnSimulator(sim, config, clock, sink, (t) => t.setServed(mask));

  it('subscribes the served symbol only; a gained symbol is requested, a lost one cancelled and its book cleared', async () => {
    await waitFor(() => linesAre(1) && depthBy[0]! > 0, 20_000, 'the served symbol subscribed');
    expect(subs()).toMatchObject({ depth: 1, tickByTick: 2, realTimeBars: 1 });
    expect(depthBy[1]).toBe(0);
    expect(tws().metrics.subscriptions).toBe(4);

    mask[1] = true; // the second symbol's lease is gained
    tws().setServed(mask);
    await waitFor(() => linesAre(2) && depthBy[1]! > 0, 20_000, 'the gained symbol subscribed');
    expect(subs()).toMatchObject({ depth: 2, tickByTick: 4, realTimeBars: 2 });
    expect(tws().metrics.subscriptions).toBe(8);

    mask[0] = false; // the first symbol's lease is lost
    const resetsBefore = resets[0]!;
    tws().setServed(mask);
    await waitFor(() => linesAre(1), 20_000, 'the lost symbol cancelled');
    expect(subs()).toMatchObject({ depth: 1, tickByTick: 2, realTimeBars: 1 });
    expect(resets[0]).toBeGreaterThan(resetsBefore);
    expect(tws().metrics.subscriptions).toBe(4);
    const after = depthBy[0]!;
    const flowing = depthBy[1]!;
    await waitFor(() => depthBy[1]! > flowing + 20, 20_000, 'the served symbol still flowing');
    expect(depthBy[0]! - after).toBeLessThanOrEqual(5); // at most what was in flight when the cancel left
  });

  it('a new session (the venue dropped the connection) subscribes the mask as it stands', async () => {
    const reconnects = tws().metrics.reconnects;
    sim.dropConnections();
    await waitFor(() => tws().metrics.reconnects > reconnects && tws().metrics.connected && linesAre(1), 30_000, 'reconnected with the served symbol only');
    await new Promise((r) => setTimeout(r, 500)); // and nothing more arrives after the burst
    expect(subs()).toMatchObject({ depth: 1, tickByTick: 2, realTimeBars: 1 });
  });
});
