import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCalc } from '../../cli/calc.js';

async function calc(kind: string, input: unknown): Promise<{ code: number; out: string; err: string; json: any }> {
  const stdin = Readable.from([typeof input === 'string' ? input : JSON.stringify(input)]);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await runCalc([kind], stdin, stdout, stderr);
  return { code, out, err, json: code === 0 ? JSON.parse(out) : undefined };
}

describe('calc greeks', () => {
  it("reproduces Hull's example and inverts a price", async () => {
    const { code, json } = await calc('greeks', {
      cases: [
        { name: 'hull', flag: 'C', S: 49, K: 50, T: 0.3846, r: 0.05, q: 0, sigma: 0.2 },
        { name: 'expired', flag: 'P', S: 45, K: 50, T: 0, r: 0.05, q: 0, sigma: 0.2 },
      ],
      ivCases: [
        { name: 'hullIv', flag: 'C', S: 49, K: 50, T: 0.3846, r: 0.05, q: 0, price: 2.4004610869656617 },
        { name: 'tooRich', flag: 'C', S: 49, K: 50, T: 0.3846, r: 0.05, q: 0, price: 60 },
      ],
    });
    expect(code).toBe(0);
    const h = json.hull;
    expect(Object.keys(h)).toEqual(['price', 'delta', 'gamma', 'vega', 'vegaPt', 'theta', 'thetaDay', 'rho', 'rhoPt']);
    expect(h.price.toFixed(4)).toBe('2.4005');
    expect(h.delta.toFixed(4)).toBe('0.5216');
    expect(h.gamma.toFixed(5)).toBe('0.06555');
    expect(h.vega.toFixed(3)).toBe('12.105');
    expect(h.theta.toFixed(4)).toBe('-4.3054');
    expect(h.rho.toFixed(4)).toBe('8.9066');
    expect(json.expired).toEqual({ price: 5, delta: -1, gamma: 0, vega: 0, vegaPt: 0, theta: 0, thetaDay: 0, rho: 0, rhoPt: 0 });
    expect(Math.abs(json.hullIv.iv - 0.2)).toBeLessThan(1e-12);
    expect(json.tooRich).toEqual({ iv: null });
  });
});

describe('calc gex', () => {
  it('reproduces the mpmath reference chain', async () => {
    const fix = JSON.parse(readFileSync(new URL('./fixtures/gex-reference.json', import.meta.url), 'utf8'));
    const { input, expect: want } = fix.C;
    const { code, json } = await calc('gex', input);
    expect(code).toBe(0);
    expect(Object.keys(json)).toEqual([
      'totalGex', 'totalCallGex', 'totalPutGex', 'totalDex', 'totalCallDex', 'totalPutDex',
      'profile', 'zeroGamma', 'zeroGammaAll', 'callWall', 'putWall',
    ]);
    for (const k of ['totalGex', 'totalCallGex', 'totalPutGex', 'totalDex', 'totalCallDex', 'totalPutDex']) {
      expect(Math.abs(json[k] - want[k]) / Math.max(1, Math.abs(want[k]))).toBeLessThan(1e-12);
    }
    expect(json.profile.map((p: { strike: number }) => p.strike)).toEqual([92, 96, 104, 108]);
    expect(Object.keys(json.profile[0])).toEqual(['strike', 'callGex', 'putGex', 'netGex', 'callOi', 'putOi', 'callDex', 'putDex']);
    expect(Math.abs(json.zeroGamma - want.zeroGamma)).toBeLessThan(1e-10);
    expect(json.zeroGammaAll.length).toBe(3);
    expect(json.callWall).toBe(96);
    expect(json.putWall).toBe(104);
  });
});

describe('calc vpin', () => {
  it('splits buckets, reports the partial bucket and the VPIN series', async () => {
    const B = 28_333_333 * 60_000;
    const { code, json } = await calc('vpin', {
      trades: [[B + 1000, 100, 4], [B + 30000, 101, 3], [B + 60000, 102, 8], [B + 180500, 101, 20], [B + 200000, 100.5, 5], [B + 240000, 101.5, 6]],
      bucketVolume: 10,
      n: 2,
      barSeconds: 60,
    });
    expect(code).toBe(0);
    expect(json.sigma).toBeCloseTo(Math.sqrt(75 / 36), 14);
    expect(json.bars.length).toBe(4);
    expect(Object.keys(json.bars[0])).toEqual(['startMs', 'price', 'volume', 'dP', 'pBuy']);
    expect(json.buckets.map((b: { endBar: number }) => b.endBar)).toEqual([1, 2, 2, 2]);
    expect(Object.keys(json.buckets[0])).toEqual(['buy', 'sell', 'endBar', 'endMs']);
    expect(json.partialBucket.volume).toBe(6);
    expect(json.vpin.map((v: { bucket: number }) => v.bucket)).toEqual([1, 2, 3]);
    expect(Object.keys(json.vpin[0])).toEqual(['bucket', 'vpin', 'cdf', 'cdfExpanding']);
  });
});

describe('calc book', () => {
  it('applies ops literally, null price counting as NaN', async () => {
    const { code, json } = await calc('book', {
      numRows: 2,
      ops: [
        [0, 0, 1, 99.5, 100],
        [0, 0, 0, 100.5, 300],
        [1, 0, 1, 99.4, 50],
        [0, 0, 1, 99.6, 10], // full side: 99.4 falls off
        [0, 1, 0, null, 5], // NaN price
        [3, 2, 0, null, 0], // out of range
        [0, 2, 1, null, 0], // delete needs no price
      ],
    });
    expect(code).toBe(0);
    expect(json.bids).toEqual([[99.5, 100]]);
    expect(json.asks).toEqual([[100.5, 300]]);
    expect(json.metrics).toEqual({
      bestBid: 99.5, bestBidSize: 100, bestAsk: 100.5, bestAskSize: 300, spread: 1, mid: 100,
      microprice: (99.5 * 300 + 100.5 * 100) / 400, imbalanceTop5: -0.5,
    });
    expect(json.applied).toBe(5);
    expect(json.ignored).toBe(2);
    expect(json.ignoredByReason).toEqual({ badOperation: 0, badSide: 0, badPosition: 0, badPrice: 1, badSize: 0, deleteOnEmpty: 0, positionOutOfRange: 1 });
    expect(json.truncatedRows).toBe(1);
  });
});

describe('bad documents', () => {
  const hull = { flag: 'C', S: 49, K: 50, T: 0.3846, r: 0.05, q: 0, sigma: 0.2 };
  const cases: [string, unknown, string][] = [
    ['greeks', { cases: [{ name: 'a', ...hull }, { name: 'b', ...hull }, { name: 'c', ...hull, sigma: 'abc' }] }, 'cases[2].sigma: expected a finite number, got "abc"'],
    ['greeks', { cases: [{ name: 'a', ...hull, flag: 'X' }] }, 'cases[0].flag: expected "C" or "P", got "X"'],
    ['greeks', { cases: [{ name: 'a', ...hull, S: -1 }] }, 'cases[0].S: expected a positive number, got -1'],
    ['greeks', { cases: [{ name: 'a', ...hull }], ivCases: [{ name: 'a', ...hull, price: 1 }] }, 'ivCases[0].name: duplicate name "a"'],
    ['greeks', { ivCases: [{ name: 'a', ...hull }] }, 'ivCases[0].price: expected a finite number, got nothing'],
    ['greeks', [], 'document: expected an object, got []'],
    ['gex', { spot: 100, r: 0, q: 0, contracts: [{ type: 'call', strike: 100, T: 1, iv: 0.2, oi: 1 }, { type: 'CALL', strike: 100, T: 1, iv: 0.2, oi: 1 }] }, 'contracts[1].type: expected "call" or "put", got "CALL"'],
    ['gex', { spot: 100, r: 0, q: 0, contracts: [{ type: 'put', strike: 100, T: 1, iv: 0.2, oi: -5 }] }, 'contracts[0].oi: expected a number ≥ 0, got -5'],
    ['gex', { spot: 100, r: 0, q: 0 }, 'contracts: expected an array, got nothing'],
    ['vpin', { trades: [[0, 100, 1], [1, 'x', 1]], bucketVolume: 10 }, 'trades[1][1]: expected a positive number, got "x"'],
    ['book', { numRows: 5, ops: [[0, 0, 1, 99, 1, 7]] }, 'ops[0][5]: expected a string (market maker), got 7'],
    ['vpin', { trades: [[0, 100]], bucketVolume: 10 }, 'trades[0]: expected [tsMs, price, size], got [0,100]'],
    ['vpin', { trades: [], bucketVolume: 2.5 }, 'bucketVolume: expected a positive integer, got 2.5'],
    // once a loop that never ended
    ['vpin', { trades: [[0, 100, 1], [60_000, 100, 1e300]], bucketVolume: 10 }, 'trades[1][2]: expected a size ≤ 1000000000 (no market prints more in one trade), got 1e+300'],
    ['vpin', { trades: [[0, 100, 1e9], [60_000, 100, 1e9]], bucketVolume: 1 }, 'bucketVolume 1 would make 2000000000 buckets of these 2000000000 shares (at most 1000000)'],
    ['book', { numRows: 0, ops: [] }, 'numRows: expected a positive integer, got 0'],
    ['book', { numRows: 5, ops: [[0, 0, 1, '99', 1]] }, 'ops[0][3]: expected a number, got "99"'],
  ];
  for (const [kind, doc, message] of cases) {
    it(`${kind}: ${message}`, async () => {
      const r = await calc(kind, doc);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain(message);
    });
  }

  it('rejects invalid JSON and unknown kinds with status 2', async () => {
    const r = await calc('greeks', '{"cases": [');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not valid JSON/);
    const u = await calc('delta', '{}');
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/KIND: expected greeks or gex or vpin or book, got "delta"/);
  });
});
