/**
 * `alphatrader calc greeks|gex|vpin|book`: one JSON document on stdin, one on stdout,
 * in the formats of docs/analytics-conventions.md. A document that does not fit the
 * format is reported on stderr with the path of the offending field and exit status 2;
 * nothing is computed from a partly valid document.
 */

import { bsmGreeks, impliedVol } from '../analytics/greeks.js';
import { computeGex, CALL, PUT } from '../analytics/gex.js';
import { OrderBook, type IgnoreReason } from '../analytics/order-book.js';
import { computeVpin, DEFAULT_MAX_TRADE_VOLUME, type TradeTuple } from '../analytics/vpin.js';
import { oneOf as oneOfWords, parseCommand, reportUsage } from './args.js';
import { CALC } from './commands.js';


/** A document that does not fit the format; `message` names the field. */
export class DocumentError extends Error {}

type Json = unknown;

function describe(v: Json): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function fail(path: string, expected: string, got: Json): never {
  throw new DocumentError(`${path}: expected ${expected}, got ${describe(got)}`);
}

function obj(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Record<string, Json>;
}

function arr(v: Json, path: string): Json[] {
  if (!Array.isArray(v)) fail(path, 'an array', v);
  return v;
}

function num(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'a finite number', v);
  return v;
}

function positive(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(path, 'a positive number', v);
  return v;
}

function nonNegative(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(path, 'a number ≥ 0', v);
  return v;
}

function positiveInt(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(path, 'a positive integer', v);
  return v;
}

function oneOf<T extends string>(v: Json, path: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
    fail(path, options.map((o) => JSON.stringify(o)).join(' or '), v);
  }
  return v as T;
}

function optional<T>(v: Json, fallback: T, parse: (v: Json) => T): T {
  return v === undefined ? fallback : parse(v);
}

function calcGreeks(doc: Json): Record<string, unknown> {
  const d = obj(doc, 'document');
  if (d.cases === undefined && d.ivCases === undefined) fail('cases', 'an array (or ivCases)', undefined);
  const cases = d.cases === undefined ? [] : arr(d.cases, 'cases');
  const ivCases = d.ivCases === undefined ? [] : arr(d.ivCases, 'ivCases');
  const names = new Set<string>();
  const name = (v: Json, path: string): string => {
    if (typeof v !== 'string' || v === '') fail(path, 'a non-empty string', v);
    if (names.has(v)) throw new DocumentError(`${path}: duplicate name ${JSON.stringify(v)}`);
    names.add(v);
    return v;
  };
  const common = (c: Record<string, Json>, p: string) => ({
    isCall: oneOf(c.flag, `${p}.flag`, ['C', 'P'] as const) === 'C',
    S: positive(c.S, `${p}.S`),
    K: positive(c.K, `${p}.K`),
    T: num(c.T, `${p}.T`),
    r: num(c.r, `${p}.r`),
    q: num(c.q, `${p}.q`),
  });
  const parsed = cases.map((raw, i) => {
    const p = `cases[${i}]`;
    const c = obj(raw, p);
    return { name: name(c.name, `${p}.name`), ...common(c, p), sigma: num(c.sigma, `${p}.sigma`) };
  });
  const parsedIv = ivCases.map((raw, i) => {
    const p = `ivCases[${i}]`;
    const c = obj(raw, p);
    return { name: name(c.name, `${p}.name`), ...common(c, p), price: num(c.price, `${p}.price`) };
  });
  const out: Record<string, unknown> = {};
  for (const c of parsed) {
    const g = bsmGreeks(c.isCall, c.S, c.K, c.T, c.r, c.q, c.sigma);
    out[c.name] = {
      price: g.price,
      delta: g.delta,
      gamma: g.gamma,
      vega: g.vega,
      vegaPt: g.vegaPt,
      theta: g.theta,
      thetaDay: g.thetaDay,
      rho: g.rho,
      rhoPt: g.rhoPt,
    };
  }
  for (const c of parsedIv) out[c.name] = { iv: impliedVol(c.isCall, c.S, c.K, c.T, c.r, c.q, c.price) };
  return out;
}

function calcGex(doc: Json): Record<string, unknown> {
  const d = obj(doc, 'document');
  const spot = positive(d.spot, 'spot');
  const r = num(d.r, 'r');
  const q = num(d.q, 'q');
  const list = arr(d.contracts, 'contracts');
  const n = list.length;
  const chain = {
    type: new Int8Array(n),
    strike: new Float64Array(n),
    T: new Float64Array(n),
    iv: new Float64Array(n),
    oi: new Float64Array(n),
  };
  list.forEach((raw, i) => {
    const p = `contracts[${i}]`;
    const c = obj(raw, p);
    chain.type[i] = oneOf(c.type, `${p}.type`, ['call', 'put'] as const) === 'call' ? CALL : PUT;
    chain.strike[i] = positive(c.strike, `${p}.strike`);
    chain.T[i] = num(c.T, `${p}.T`);
    chain.iv[i] = num(c.iv, `${p}.iv`);
    chain.oi[i] = nonNegative(c.oi, `${p}.oi`);
  });
  const g = computeGex(spot, r, q, chain);
  return {
    totalGex: g.totalGex,
    totalCallGex: g.totalCallGex,
    totalPutGex: g.totalPutGex,
    totalDex: g.totalDex,
    totalCallDex: g.totalCallDex,
    totalPutDex: g.totalPutDex,
    profile: g.profile.map((row) => ({
      strike: row.strike,
      callGex: row.callGex,
      putGex: row.putGex,
      netGex: row.netGex,
      callOi: row.callOi,
      putOi: row.putOi,
      callDex: row.callDex,
      putDex: row.putDex,
    })),
    zeroGamma: g.zeroGamma,
    zeroGammaAll: g.zeroGammaAll,
    callWall: g.callWall,
    putWall: g.putWall,
  };
}

function calcVpin(doc: Json): Record<string, unknown> {
  const d = obj(doc, 'document');
  const trades: TradeTuple[] = arr(d.trades, 'trades').map((raw, i) => {
    const p = `trades[${i}]`;
    const t = arr(raw, p);
    if (t.length !== 3) fail(p, '[tsMs, price, size]', raw);
    const size = nonNegative(t[2], `${p}[2]`);
    if (size > DEFAULT_MAX_TRADE_VOLUME) fail(`${p}[2]`, `a size ≤ ${DEFAULT_MAX_TRADE_VOLUME} (no market prints more in one trade)`, t[2]);
    return [num(t[0], `${p}[0]`), positive(t[1], `${p}[1]`), size] as const;
  });
  const bucketVolume = optional(d.bucketVolume, undefined as number | undefined, (v) => positiveInt(v, 'bucketVolume'));
  const n = optional(d.n, 50, (v) => positiveInt(v, 'n'));
  const barSeconds = optional(d.barSeconds, 60, (v) => positive(v, 'barSeconds'));
  let res;
  try {
    res = computeVpin(trades, bucketVolume === undefined ? { n, barSeconds } : { bucketVolume, n, barSeconds });
  } catch (e) {
    // the bounds of the batch form (bucket count): the document asks for more than it will build
    if (e instanceof RangeError) throw new DocumentError(e.message);
    throw e;
  }
  return {
    sigma: res.sigma,
    bars: res.bars.map((b) => ({ startMs: b.startMs, price: b.price, volume: b.volume, dP: b.dP, pBuy: b.pBuy })),
    buckets: res.buckets.map((b) => ({ buy: b.buy, sell: b.sell, endBar: b.endBar, endMs: b.endMs })),
    partialBucket: res.partialBucket,
    vpin: res.vpin.map((v) => ({ bucket: v.bucket, vpin: v.vpin, cdf: v.cdf, cdfExpanding: v.cdfExpanding })),
  };
}

function calcBook(doc: Json): Record<string, unknown> {
  const d = obj(doc, 'document');
  const numRows = positiveInt(d.numRows, 'numRows');
  const ops = arr(d.ops, 'ops').map((raw, i) => {
    const p = `ops[${i}]`;
    const o = arr(raw, p);
    if (o.length !== 5 && o.length !== 6) fail(p, '[position, operation, side, price|null, size(, marketMaker)]', raw);
    if (o.length === 6 && typeof o[5] !== 'string') fail(`${p}[5]`, 'a string (market maker)', o[5]);
    // Values only need to be numbers: out-of-range ones are the book's to count and ignore.
    const anyNum = (v: Json, path: string): number => {
      if (typeof v !== 'number') fail(path, 'a number', v);
      return v;
    };
    return [
      anyNum(o[0], `${p}[0]`),
      anyNum(o[1], `${p}[1]`),
      anyNum(o[2], `${p}[2]`),
      o[3] === null ? NaN : anyNum(o[3], `${p}[3]`),
      anyNum(o[4], `${p}[4]`),
      o.length === 6 ? (o[5] as string) : '',
    ] as const;
  });
  const book = new OrderBook(numRows);
  for (const [pos, op, side, price, size, mm] of ops) book.apply(pos, op, side, price, size, mm);
  const m = book.metrics();
  const { bids, asks } = book.toJSON();
  const reasons: Record<IgnoreReason, number> = { ...book.ignoredByReason };
  return {
    bids,
    asks,
    metrics: {
      bestBid: m.bestBid,
      bestBidSize: m.bestBidSize,
      bestAsk: m.bestAsk,
      bestAskSize: m.bestAskSize,
      spread: m.spread,
      mid: m.mid,
      microprice: m.microprice,
      imbalanceTop5: m.imbalanceTop5,
    },
    applied: book.applied,
    ignored: book.ignored,
    ignoredByReason: {
      badOperation: reasons.badOperation,
      badSide: reasons.badSide,
      badPosition: reasons.badPosition,
      badPrice: reasons.badPrice,
      badSize: reasons.badSize,
      deleteOnEmpty: reasons.deleteOnEmpty,
      positionOutOfRange: reasons.positionOutOfRange,
    },
    truncatedRows: book.truncatedRows,
  };
}

const KINDS: Record<string, (doc: Json) => Record<string, unknown>> = {
  greeks: calcGreeks,
  gex: calcGex,
  vpin: calcVpin,
  book: calcBook,
};

/** Runs one calculation on a parsed document; throws DocumentError for a bad one. */
export function calcDocument(kind: string, doc: Json): Record<string, unknown> {
  const f = KINDS[kind];
  if (!f) throw new DocumentError(`unknown calc kind ${JSON.stringify(kind)} (greeks, gex, vpin, book)`);
  return f(doc);
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

export async function runCalc(
  args: string[],
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  let kind: string;
  let pretty: boolean;
  try {
    const a = parseCommand(CALC, args);
    kind = a.positional(0, oneOfWords(...Object.keys(KINDS)));
    pretty = a.flag('pretty');
  } catch (e) {
    let text = '';
    const code = reportUsage(e, (t) => (text = t), (t) => (text = t));
    if (code === undefined) throw e;
    await write(code === 0 ? stdout : stderr, text);
    return code;
  }
  let text: string;
  try {
    text = await readAll(stdin);
  } catch (err) {
    await write(stderr, `calc ${kind}: cannot read stdin: ${(err as Error).message}\n`);
    return 1;
  }
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    await write(stderr, `calc ${kind}: stdin is not valid JSON: ${(err as Error).message}\n`);
    return 2;
  }
  let result: Record<string, unknown>;
  try {
    result = calcDocument(kind, doc);
  } catch (err) {
    if (err instanceof DocumentError) {
      await write(stderr, `calc ${kind}: ${err.message}\n`);
      return 2;
    }
    await write(stderr, `calc ${kind}: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
  await write(stdout, `${JSON.stringify(result, null, pretty ? 2 : undefined)}\n`);
  return 0;
}
