/**
 * One engine instance for `npm run bench -- cluster`: `alphatrader start` (the real engine, its simulated
 * venues) on the symbol rows in BENCH_SYMBOL_ROWS (JSON) (a disjoint subset per instance) with the session clock starting
 * at BENCH_ENGINE_START_MS, so the bench can turn the published session timestamps back into wall time.
 * Redis (single or cluster) comes from the environment as for any engine.
 */
import { runStart } from '../cli/start.js';

const engineStartMs = Number(process.env.BENCH_ENGINE_START_MS);
const underlyings = (process.env.BENCH_UNDERLYINGS ?? '').split(',').filter(Boolean);

runStart(['--duration', process.env.BENCH_DURATION_S ?? '600'], {
  engineStartMs,
  overrides: {
    symbols: JSON.parse(process.env.BENCH_SYMBOL_ROWS ?? '[]'),
    options: { symbols: underlyings },
    dashboard: { port: 0 },
    logging: { level: "warn" },
  },
}).then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
