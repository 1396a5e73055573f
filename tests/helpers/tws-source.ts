import { afterAll, beforeAll } from 'vitest';
import type { MarketSink } from '../../actors/market-depth/MarketSource.js';
import { TwsSource } from '../../actors/market-depth/TwsSource.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import type { MonoClock } from '../../engine/runtime/MonoClock.js';
import type { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { silentLog } from './bookkeeper.js';

/**
 * The real TwsSource against a TWS simulator for one describe block: started in beforeAll (after `before`,
 * e.g. a served-symbols mask), stopped with the simulator in afterAll. The returned getter gives the source.
 */
export function twsOnSimulator(sim: TwsSimulator, config: EngineConfig, clock: MonoClock, sink: MarketSink, before?: (tws: TwsSource) => void): () => TwsSource {
  let tws: TwsSource | undefined;
  beforeAll(async () => {
    const { port } = await sim.start();
    tws = new TwsSource(config, '127.0.0.1', port, clock, silentLog());
    before?.(tws);
    await tws.start(sink);
  });
  afterAll(async () => {
    await tws?.stop();
    await sim.stop();
  });
  return () => tws!;
}
