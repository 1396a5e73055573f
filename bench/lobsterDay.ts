/**
 * A synthetic LOBSTER day in the real format, with everything the vendored sample lacks: the opening and
 * closing crosses (type 6, order id -1), a trading halt (type 7: -1 halt, 0 quote resumption, 1 trade
 * resumption), hidden executions (type 5) and the seventh, attribution column (an MPID or `null`). The
 * orderbook file is written from the generator's own order book after every message, so it is the truth
 * a reader must reproduce.
 *
 *   node dist/bench/lobsterDay.js DIR [--messages N] [--levels L] [--seed S]
 *
 * writes DIR/SYN_2024-03-15_34200000_57600000_{message,orderbook}_L.csv and prints their paths and counts.
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../sim/market/Rng.js';

const ASK_DUMMY = 9_999_999_999;
const BID_DUMMY = -9_999_999_999;
const TICK = 100; // $0.01 in LOBSTER's ×10000 prices
const MPIDS = ['UBSS', 'MSCO', 'GSCO', 'NITE'];
const OPEN_NS = 34_200e9;
const CLOSE_NS = 57_600e9;

export interface SyntheticDayOptions {
  messages: number;
  levels?: number;
  seed?: number;
  /** ticker in the file name (default SYN) */
  symbol?: string;
  /** trading date in the file name (default 2024-03-15) */
  date?: string;
  /** write the attribution column (default true) */
  attribution?: boolean;
  /** put a halt (halt, quote resumption, trade resumption) at 40 % of the day (default true) */
  halt?: boolean;
  /** extra rows of this unknown type, one every `unknownEvery` messages (default none) */
  unknownType?: number;
  unknownEvery?: number;
}

export interface SyntheticDayCounts {
  messages: number;
  submits: number;
  cancels: number;
  deletes: number;
  executions: number;
  hidden: number;
  crosses: number;
  halts: number;
  unknown: number;
  /** executions + crosses, i.e. rows of `lobster trades` */
  tradeRows: number;
  /** messages on orders with an MPID */
  attributed: number;
}

export interface SyntheticDay {
  messageFile: string;
  orderbookFile: string;
  counts: SyntheticDayCounts;
}

interface Order {
  id: number;
  side: 1 | -1; // 1 buy (bid), -1 sell (ask)
  price: number;
  size: number;
  mpid: string | null;
  /** index in the live list (O(1) removal) */
  at: number;
}

/** One side of the book: price levels kept sorted best first, each a FIFO of orders. */
class Side {
  readonly prices: number[] = [];
  readonly levels = new Map<number, Order[]>();
  private readonly sizes = new Map<number, number>();
  constructor(private readonly better: (a: number, b: number) => boolean) {}

  best(): number | undefined {
    return this.prices[0];
  }

  add(o: Order): void {
    let q = this.levels.get(o.price);
    if (!q) {
      q = [];
      this.levels.set(o.price, q);
      let i = 0;
      while (i < this.prices.length && this.better(this.prices[i]!, o.price)) i++;
      this.prices.splice(i, 0, o.price);
    }
    q.push(o);
    this.sizes.set(o.price, (this.sizes.get(o.price) ?? 0) + o.size);
  }

  /** An order at this side's level lost `by` shares (partial cancel or execution). */
  reduce(o: Order, by: number): void {
    o.size -= by;
    this.sizes.set(o.price, this.sizes.get(o.price)! - by);
  }

  remove(o: Order): void {
    const q = this.levels.get(o.price)!;
    q.splice(q.indexOf(o), 1);
    this.sizes.set(o.price, this.sizes.get(o.price)! - o.size);
    if (q.length === 0) {
      this.levels.delete(o.price);
      this.sizes.delete(o.price);
      this.prices.splice(this.prices.indexOf(o.price), 1);
    }
  }

  levelSize(i: number): number {
    return this.sizes.get(this.prices[i]!)!;
  }
}

class BufferedFile {
  private readonly fd: number;
  private pending = '';
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  line(s: string): void {
    this.pending += s;
    this.pending += '\n';
    if (this.pending.length >= 1 << 16) this.flush();
  }
  flush(): void {
    if (this.pending.length > 0) writeSync(this.fd, this.pending);
    this.pending = '';
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function time(ns: number): string {
  const sec = Math.floor(ns / 1e9);
  return `${sec}.${String(ns - sec * 1e9).padStart(9, '0')}`;
}

/** Writes the two files into `dir`. Deterministic for a given seed. */
export function writeSyntheticLobsterDay(dir: string, opts: SyntheticDayOptions): SyntheticDay {
  const N = opts.messages;
  const L = opts.levels ?? 10;
  if (!Number.isInteger(N) || N < 100) throw new RangeError(`messages: expected an integer ≥ 100, got ${N}`);
  const rng = new Rng(opts.seed ?? 1);
  const attribution = opts.attribution ?? true;
  const name = `${opts.symbol ?? 'SYN'}_${opts.date ?? '2024-03-15'}_34200000_57600000`;
  const msg = new BufferedFile(join(dir, `${name}_message_${L}.csv`));
  const ob = new BufferedFile(join(dir, `${name}_orderbook_${L}.csv`));
  const counts: SyntheticDayCounts = { messages: 0, submits: 0, cancels: 0, deletes: 0, executions: 0, hidden: 0, crosses: 0, halts: 0, unknown: 0, tradeRows: 0, attributed: 0 };

  const bids = new Side((a, b) => a > b);
  const asks = new Side((a, b) => a < b);
  const live: Order[] = [];
  let nextId = 10_000_000;
  let k = 0;
  const nsAt = (i: number): number => OPEN_NS + Math.floor(((i + 1) * (CLOSE_NS - OPEN_NS)) / (N + 2));

  const bookRow = (): string => {
    const cells: number[] = [];
    for (let l = 0; l < L; l++) {
      if (l < asks.prices.length) cells.push(asks.prices[l]!, asks.levelSize(l));
      else cells.push(ASK_DUMMY, 0);
      if (l < bids.prices.length) cells.push(bids.prices[l]!, bids.levelSize(l));
      else cells.push(BID_DUMMY, 0);
    }
    return cells.join(',');
  };
  const emit = (type: number, id: number, size: number, price: number, dir: number, mpid: string | null): void => {
    let line = `${time(nsAt(k))},${type},${id},${size},${price},${dir}`;
    if (attribution) line += `,${mpid ?? 'null'}`;
    if (mpid !== null) counts.attributed++;
    msg.line(line);
    ob.line(bookRow());
    counts.messages++;
    k++;
  };

  const submit = (side: 1 | -1): void => {
    const bb = bids.best() ?? 5_850_000;
    const ba = asks.best() ?? bb + 2 * TICK;
    let price: number;
    if (side === 1) price = Math.min(bb + TICK, ba - TICK) - rng.int(8) * TICK;
    else price = Math.max(ba - TICK, bb + TICK) + rng.int(8) * TICK;
    const o: Order = { id: nextId++, side, price, size: (1 + rng.int(10)) * 10, mpid: rng.next() < 0.3 ? MPIDS[rng.int(MPIDS.length)]! : null, at: live.length };
    (side === 1 ? bids : asks).add(o);
    live.push(o);
    counts.submits++;
    emit(1, o.id, o.size, o.price, side, o.mpid);
  };
  const dropLive = (o: Order): void => {
    const last = live.pop()!;
    if (last !== o) {
      live[o.at] = last;
      last.at = o.at;
    }
  };
  const cancel = (): void => {
    const o = live[rng.int(live.length)]!;
    if (o.size > 10 && rng.next() < 0.5) {
      const cut = 10 * (1 + rng.int(Math.floor(o.size / 10) - 1));
      (o.side === 1 ? bids : asks).reduce(o, cut);
      counts.cancels++;
      emit(2, o.id, cut, o.price, o.side, o.mpid);
    } else {
      (o.side === 1 ? bids : asks).remove(o);
      dropLive(o);
      counts.deletes++;
      emit(3, o.id, o.size, o.price, o.side, o.mpid);
    }
  };
  const execute = (): void => {
    const side = rng.next() < 0.5 ? bids : asks;
    const p = side.best();
    if (p === undefined) return submit(side === bids ? 1 : -1);
    const o = side.levels.get(p)![0]!;
    const size = o.size > 10 && rng.next() < 0.5 ? 10 * (1 + rng.int(Math.floor(o.size / 10) - 1)) : o.size;
    if (size === o.size) {
      side.remove(o);
      dropLive(o);
      o.size = 0;
    } else side.reduce(o, size);
    counts.executions++;
    counts.tradeRows++;
    emit(4, o.id, size, o.price, o.side, o.mpid);
  };
  const hidden = (): void => {
    const bb = bids.best();
    const ba = asks.best();
    if (bb === undefined || ba === undefined) return submit(1);
    counts.hidden++;
    counts.tradeRows++;
    emit(5, 0, 10 * (1 + rng.int(5)), ba - bb > TICK ? bb + TICK : bb, rng.next() < 0.5 ? 1 : -1, null);
  };
  const cross = (): void => {
    const bb = bids.best() ?? 5_850_000;
    const ba = asks.best() ?? bb + TICK;
    counts.crosses++;
    counts.tradeRows++;
    // Real files give a cross a direction too; it means nothing (no aggressor).
    emit(6, -1, 1000 * (1 + rng.int(50)), Math.round((bb + ba) / 2 / TICK) * TICK, -1, null);
  };
  const halt = (state: -1 | 0 | 1): void => {
    counts.halts++;
    emit(7, 0, 0, state, -1, null);
  };

  const openAt = 20; // a few orders before the opening cross, as in a real file
  const closeAt = N - 1;
  const haltAt = opts.halt ?? true ? Math.floor(N * 0.4) : -1;
  const quoteFor = 10; // messages between quote resumption and trade resumption
  while (k < N) {
    if (opts.unknownType !== undefined && opts.unknownEvery && k > openAt && k % opts.unknownEvery === 0 && k < closeAt) {
      counts.unknown++;
      emit(opts.unknownType, 0, 0, bids.best() ?? 5_850_000, 1, null);
      continue;
    }
    if (k === openAt || k === closeAt) {
      cross();
      continue;
    }
    if (k === haltAt && k + quoteFor + 3 < closeAt) {
      halt(-1);
      halt(0);
      // quote resumption: orders may arrive and leave, nothing trades
      for (let i = 0; i < quoteFor; i++) {
        if (live.length > 20 && rng.next() < 0.4) cancel();
        else submit(rng.next() < 0.5 ? 1 : -1);
      }
      halt(1);
      continue;
    }
    // Submits outweigh removals while the book is thin and the other way round once it is deep,
    // so the book stays near a few hundred orders all day.
    const r = rng.next();
    const pSubmit = live.length < 100 ? 0.6 : live.length > 300 ? 0.3 : 0.45;
    if (k < openAt || live.length < 20 || r < pSubmit) submit(rng.next() < 0.5 ? 1 : -1);
    else if (r < pSubmit + (1 - pSubmit) * 0.65 || k > closeAt - 3) cancel();
    else if (r < pSubmit + (1 - pSubmit) * 0.92) execute();
    else hidden();
  }
  msg.close();
  ob.close();
  return { messageFile: msg.path, orderbookFile: ob.path, counts };
}

const USAGE = 'usage: node dist/bench/lobsterDay.js DIR [--messages N] [--levels L] [--seed S]';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { messages: { type: 'string' }, levels: { type: 'string' }, seed: { type: 'string' } } });
    if (positionals.length !== 1) throw new Error('expected one directory');
    const num = (v: string | undefined, d: number, what: string): number => {
      if (v === undefined) return d;
      if (!/^[1-9]\d*$/.test(v)) throw new Error(`--${what}: expected a positive integer, got ${JSON.stringify(v)}`);
      return Number(v);
    };
    const day = writeSyntheticLobsterDay(positionals[0]!, { messages: num(values.messages, 1_000_000, 'messages'), levels: num(values.levels, 10, 'levels'), seed: num(values.seed, 1, 'seed') });
    process.stdout.write(`${JSON.stringify(day)}\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}
