/**
 * piscina task: G(s) on a slice of the zero-gamma grid for one chain. The chain lives in
 * SharedArrayBuffers, so a task ships only offsets: no copy of a 10,000-contract chain per slice.
 */
import { gammaAt, type ChainArrays } from '../../analytics/gex.js';

export interface GammaGridTask {
  points: Float64Array; // this slice's spot levels
  r: number;
  q: number;
  n: number; // contracts
  type: SharedArrayBuffer; // Int8
  strike: SharedArrayBuffer; // Float64
  T: SharedArrayBuffer;
  iv: SharedArrayBuffer;
  oi: SharedArrayBuffer;
}

export default function gammaGridTask(t: GammaGridTask): Float64Array {
  const chain: ChainArrays = {
    type: new Int8Array(t.type, 0, t.n),
    strike: new Float64Array(t.strike, 0, t.n),
    T: new Float64Array(t.T, 0, t.n),
    iv: new Float64Array(t.iv, 0, t.n),
    oi: new Float64Array(t.oi, 0, t.n),
  };
  return gammaAt(t.points, t.r, t.q, chain);
}
