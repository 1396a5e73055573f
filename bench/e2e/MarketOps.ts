import { MarketModel, type SymbolSpec } from '../../sim/market/MarketModel.js';

export const OP_DEPTH = 0;
export const OP_TRADE = 1;
export const OP_QUOTE = 2;

/**
 * A pre-generated market event stream (the seeded MarketModel: the same order flow the simulators serve),
 * struct-of-arrays so a feeder can walk it without allocating. Depth operations are what the rates count;
 * trades and quotes ride along at the model's natural ratio so VPIN, flow and strategies see a real market.
 * `depthIndex[i]` is the ordinal of event i among depth operations (−1 for trades and quotes).
 */
export interface MarketOps {
  n: number;
  depthCount: number;
  kind: Uint8Array;
  sym: Uint8Array;
  pos: Uint16Array;
  op: Uint8Array;
  side: Uint8Array;
  aggressor: Int8Array;
  price: Float64Array;
  size: Float64Array;
  price2: Float64Array; // quote: ask
  size2: Float64Array; // quote: ask size
  mm: string[];
  depthIndex: Int32Array;
}

/** Events until `depthOps` depth operations exist (the initial books included), for the given symbols. */
export function generateOps(symbols: SymbolSpec[], depthOps: number, seed = 7): MarketOps {
  const cap = Math.ceil(depthOps * 1.6) + 1024;
  const o: MarketOps = {
    n: 0, depthCount: 0, kind: new Uint8Array(cap), sym: new Uint8Array(cap), pos: new Uint16Array(cap), op: new Uint8Array(cap),
    side: new Uint8Array(cap), aggressor: new Int8Array(cap), price: new Float64Array(cap), size: new Float64Array(cap),
    price2: new Float64Array(cap), size2: new Float64Array(cap), mm: new Array(cap), depthIndex: new Int32Array(cap),
  };
  const model = new MarketModel({ seed, symbols, startMs: 0, eventsPerSecond: 5000 });
  const full = () => o.depthCount >= depthOps || o.n >= cap;
  const listener = {
    onDepth(s: number, _t: number, p: number, op: number, side: number, price: number, size: number, mm: string) {
      if (full()) return;
      const i = o.n++;
      o.kind[i] = OP_DEPTH; o.sym[i] = s; o.pos[i] = p; o.op[i] = op; o.side[i] = side; o.price[i] = price; o.size[i] = size; o.mm[i] = mm;
      o.depthIndex[i] = o.depthCount++;
    },
    onTrade(s: number, _t: number, price: number, size: number, aggressor: number) {
      if (full()) return;
      const i = o.n++;
      o.kind[i] = OP_TRADE; o.sym[i] = s; o.price[i] = price; o.size[i] = size; o.aggressor[i] = aggressor; o.mm[i] = ''; o.depthIndex[i] = -1;
    },
    onQuote(s: number, _t: number, bp: number, ap: number, bs: number, as: number) {
      if (full()) return;
      const i = o.n++;
      o.kind[i] = OP_QUOTE; o.sym[i] = s; o.price[i] = bp; o.price2[i] = ap; o.size[i] = bs; o.size2[i] = as; o.mm[i] = ''; o.depthIndex[i] = -1;
    },
  };
  for (let s = 0; s < symbols.length; s++) model.initialOps(s, listener);
  for (let t = 1; !full(); t += 5) model.advance(t, listener);
  return o;
}
