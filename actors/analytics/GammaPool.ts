import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { findZeroGamma, gridPoints, type ChainArrays, type ZeroGamma } from '../../analytics/gex.js';
import { distPath } from '../../engine/config/projectRoot.js';
import type { GammaGridTask } from './gammaGridTask.js';

/** A chain copied once into shared memory, so every grid slice reads the same bytes. */
export interface SharedChain {
  n: number;
  type: SharedArrayBuffer;
  strike: SharedArrayBuffer;
  T: SharedArrayBuffer;
  iv: SharedArrayBuffer;
  oi: SharedArrayBuffer;
}

export function shareChain(c: ChainArrays): SharedChain {
  const n = c.type.length;
  const f64 = (src: Float64Array) => {
    const sab = new SharedArrayBuffer(Math.max(8, n * 8));
    new Float64Array(sab).set(src);
    return sab;
  };
  const type = new SharedArrayBuffer(Math.max(1, n));
  new Int8Array(type).set(c.type);
  return { n, type, strike: f64(c.strike), T: f64(c.T), iv: f64(c.iv), oi: f64(c.oi) };
}

/**
 * The zero-gamma grid (201 spot levels × every contract, ~20 ms for 10,000 contracts) on a piscina pool,
 * split into one slice per thread, so the analytics actor's hot path never waits for it.
 */
export class GammaPool {
  private readonly pool: Piscina;
  readonly threads: number;

  constructor(threads: number, resourceLimits: ResourceLimits = {}) {
    this.threads = threads;
    this.pool = new Piscina({
      filename: distPath('actors', 'analytics', 'gammaGridTask.js'),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      resourceLimits,
    });
  }

  async zeroGamma(spot: number, r: number, q: number, chain: SharedChain): Promise<ZeroGamma & { G: Float64Array }> {
    const points = gridPoints(spot);
    const slices = Math.max(1, Math.min(this.threads, points.length));
    const per = Math.ceil(points.length / slices);
    const parts = await Promise.all(
      Array.from({ length: slices }, (_, i) => {
        const task: GammaGridTask = { points: points.slice(i * per, (i + 1) * per), r, q, ...chain };
        return this.pool.run(task) as Promise<Float64Array>;
      }),
    );
    const G = new Float64Array(points.length);
    parts.forEach((p, i) => G.set(p, i * per));
    return { ...findZeroGamma(points, G, spot), G };
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
