import { describe, expect, it } from 'vitest';
import { runEnginePipeline } from '../../bench/e2e/enginePipeline.js';
import { TICK_STAGES } from '../../bench/e2e/TickStamps.js';

describe('e2e harness: the engine on the feeder socket (tiny rate, no speed assertions)', () => {
  for (const pipeline of ['engine-colocated', 'engine'] as const) {
    it(`${pipeline}: every tick timed receipt → decoded → book → analytics → decision, plus the engine's own rows`, async () => {
      const [run] = await runEnginePipeline({ pipeline, rates: [{ label: '2k', rate: 2000 }], seconds: 0.5, warmupSeconds: 0.1 });
      expect(run.pipeline).toBe(pipeline);
      expect(run.ticks).toBe(1000);
      for (const s of TICK_STAGES) expect(run.stages[s]?.count).toBe(1000);
      // Visibility rows are per tick too (a tick never shown is counted apart); signals and orders are samples.
      expect(run.stages.tick_to_redis?.count ?? 0).toBeGreaterThan(0);
      for (const s of ['tick_to_signal', 'tick_to_order', 'tick_to_dashboard', 'dashboard_age'] as const) {
        if (run.stages[s]) expect(run.stages[s]!.count).toBeGreaterThan(0);
      }
    }, 240_000);
  }
});
