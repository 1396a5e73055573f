/**
 * `alphatrader lobster book|trades|bench`: LOBSTER files through the engine's own code.
 *
 *   book MESSAGE_FILE ORDERBOOK_FILE [--levels N] [--date D]
 *       After every message, the engine's OrderBook (fed only the depth operations derived from the
 *       files) printed as a LOBSTER orderbook row. It must reproduce ORDERBOOK_FILE: every line is
 *       identical; every output line ends with a newline, including the last (LOBSTER's own files
 *       often lack the final newline; a stream cannot know which line is last without buffering it).
 *   trades MESSAGE_FILE [--date D]
 *       Trades as CSV `tsMs,price,size,side` with a header: executions (types 4, 5) with the
 *       aggressor's side buy/sell, and auction crosses (type 6) with side `cross`.
 *
 * Every event type is accepted (halts, type 7, change no trade and no book row); rows of a type
 * outside 1..7 are skipped, and their count is reported on stderr (the exit status stays 0).
 *   bench MESSAGE_FILE ORDERBOOK_FILE [--repeat N] [--levels N]
 *       Rebuild rate in messages/s (JSON on stdout).
 *
 * Bad arguments or files: a message on stderr and status 2.
 */

import { OrderBook } from '../analytics/order-book.js';
import { LobsterFormatError } from '../actors/market-depth/lobster/errors.js';
import { lobsterEvents, lobsterTrades, type LobsterReadReport } from '../actors/market-depth/lobster/events.js';
import { SideDiff, OpList } from '../actors/market-depth/lobster/book-diff.js';
import { LobsterOrderbookReader } from '../actors/market-depth/lobster/orderbook-reader.js';
import { orderbookLine } from '../actors/market-depth/lobster/orderbook-line.js';
import { LobsterPairReader } from '../actors/market-depth/lobster/pair-reader.js';
import { PRICE_SCALE } from '../actors/market-depth/lobster/message-reader.js';
import { parseCommand, positiveWhole, reportUsage } from './args.js';
import { LOBSTER } from './commands.js';


const FLUSH_CHARS = 1 << 16;


/** Buffers lines and writes them in large chunks, waiting for 'drain' when the stream pushes back. */
class ChunkedWriter {
  private pending = '';
  constructor(private readonly out: NodeJS.WritableStream) {}

  async line(s: string): Promise<void> {
    this.pending += s;
    this.pending += '\n';
    if (this.pending.length >= FLUSH_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.out.write(chunk)) {
      await new Promise<void>((resolve) => this.out.once('drain', resolve));
    }
  }
}

/** A trading day as LOBSTER file names write it. */
function day(raw: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw new Error('expected YYYY-MM-DD');
  return raw;
}

export async function runLobster(args: string[], stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<number> {
  try {
    const a = parseCommand(LOBSTER, args);
    const cmd = a.spec.name.slice('lobster '.length);
    const levels = a.option('levels', positiveWhole());
    const d = a.option('date', day);
    const repeat = a.option('repeat', positiveWhole());
    const files = (n: number): string[] => a.positionals.slice(0, n);
    switch (cmd) {
      case 'book': {
        const [m, o] = files(2);
        return await book(m!, o!, { levels, date: d }, stdout, stderr);
      }
      case 'trades': {
        const [m] = files(1);
        return await trades(m!, d, stdout, stderr);
      }
      case 'bench': {
        const [m, o] = files(2);
        stdout.write(`${JSON.stringify(bench(m!, o!, levels, repeat ?? 200))}\n`);
        return 0;
      }
      default:
        throw new Error(`lobster: no handler for ${cmd}`); // a subcommand in commands.ts without a case here
    }
  } catch (e) {
    const usage = reportUsage(e, (t) => stdout.write(t), (t) => stderr.write(t));
    if (usage !== undefined) return usage;
    if (e instanceof LobsterFormatError || e instanceof RangeError) {
      stderr.write(`alphatrader lobster: ${e.message}\n`);
      return 2;
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR')) {
      stderr.write(`alphatrader lobster: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

async function book(
  messageFile: string,
  orderbookFile: string,
  opts: { levels?: number; date?: string },
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  // The date only stamps events; the book does not need it, so a renamed file is fine here.
  const r = new LobsterPairReader(messageFile, orderbookFile, opts);
  try {
    const ob = new OrderBook(r.levels);
    const out = new ChunkedWriter(stdout);
    const ops = r.ops;
    while (r.next()) {
      for (let i = 0; i < ops.count; i++) {
        const why = ob.apply(ops.position[i]!, ops.operation[i]!, ops.side[i]!, ops.price[i]!, ops.size[i]!);
        if (why !== null) {
          // Cannot happen for operations from SideDiff; report rather than print a wrong book.
          stderr.write(`alphatrader lobster: internal error: message row ${r.row + 1}: OrderBook ignored an operation (${why})\n`);
          return 1;
        }
      }
      await out.line(orderbookLine(ob, r.levels));
    }
    await out.flush();
    const unknown = r.msg.unknownSummary();
    if (unknown) stderr.write(`alphatrader lobster: ${messageFile}: ${unknown}\n`);
    return 0;
  } finally {
    r.close();
  }
}

async function trades(messageFile: string, d: string | undefined, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<number> {
  const out = new ChunkedWriter(stdout);
  const report: LobsterReadReport = { unknown: 0, unknownSummary: null };
  await out.line('tsMs,price,size,side');
  for (const t of lobsterTrades(messageFile, { date: d }, report)) {
    await out.line(`${t.tsMs},${t.price},${t.size},${t.cross ? 'cross' : t.aggressor === 1 ? 'buy' : 'sell'}`);
  }
  await out.flush();
  if (report.unknownSummary) stderr.write(`alphatrader lobster: ${messageFile}: ${report.unknownSummary}\n`);
  return 0;
}

export interface LobsterBenchResult {
  messages: number;
  repeat: number;
  /** read + parse both files + op generation + OrderBook.apply, messages/s */
  endToEndPerSec: number;
  /** op generation + OrderBook.apply on rows already in memory, messages/s */
  rebuildPerSec: number;
  /** the allocating generator API (lobsterEvents) + OrderBook.apply, messages/s */
  generatorPerSec: number;
  opsPerMessage: number;
}

/** Rebuild rates on one pair, each pass repeated `repeat` times after up to 20 warm-up passes. */
export function bench(messageFile: string, orderbookFile: string, levels: number | undefined, repeat: number): LobsterBenchResult {
  let messages = 0;
  let opsTotal = 0;
  const endToEnd = (): void => {
    const r = new LobsterPairReader(messageFile, orderbookFile, { levels, date: '2000-01-03' });
    const ob = new OrderBook(r.levels);
    const ops = r.ops;
    let n = 0;
    let k = 0;
    while (r.next()) {
      n++;
      for (let i = 0; i < ops.count; i++) ob.apply(ops.position[i]!, ops.operation[i]!, ops.side[i]!, ops.price[i]!, ops.size[i]!);
      k += ops.count;
    }
    r.close();
    messages = n;
    opsTotal = k;
  };

  // Rows in memory, one typed array per row and field, so the timed loop allocates nothing.
  const rd = new LobsterOrderbookReader(orderbookFile, { levels });
  const L = rd.peekLevels();
  const px: Float64Array[][] = [[], []];
  const sz: Float64Array[][] = [[], []];
  const ln: number[][] = [[], []];
  while (rd.next()) {
    px[0]!.push(rd.askPx.slice());
    sz[0]!.push(rd.askSz.slice());
    px[1]!.push(rd.bidPx.slice());
    sz[1]!.push(rd.bidSz.slice());
    ln[0]!.push(rd.askLen);
    ln[1]!.push(rd.bidLen);
  }
  rd.close();
  const N = ln[0]!.length;
  const differ = new SideDiff(L);
  const ops = new OpList(4 * L);
  const empty = new Float64Array(L);
  const inMemory = (): void => {
    const ob = new OrderBook(L);
    for (let r = 0; r < N; r++) {
      ops.clear();
      for (let s = 0; s < 2; s++) {
        const P = px[s]!;
        const S = sz[s]!;
        const n = ln[s]!;
        if (r === 0) differ.diff(s, empty, empty, 0, P[0]!, S[0]!, n[0]!, ops, PRICE_SCALE);
        else differ.diff(s, P[r - 1]!, S[r - 1]!, n[r - 1]!, P[r]!, S[r]!, n[r]!, ops, PRICE_SCALE);
      }
      for (let i = 0; i < ops.count; i++) ob.apply(ops.position[i]!, ops.operation[i]!, ops.side[i]!, ops.price[i]!, ops.size[i]!);
    }
  };

  const generator = (): void => {
    let ob: OrderBook | null = null;
    for (const e of lobsterEvents(messageFile, orderbookFile, { levels, date: '2000-01-03' })) {
      if (e.kind === 'depth') {
        ob ??= new OrderBook(L);
        ob.apply(e.position, e.operation, e.side, e.price, e.size);
      }
    }
  };

  const rate = (f: () => void): number => {
    // Warm-up passes so the timed ones run optimised code.
    for (let i = 0, w = Math.min(repeat, 20); i < w; i++) f();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < repeat; i++) f();
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    return (repeat * N) / sec;
  };
  const endToEndPerSec = rate(endToEnd);
  const rebuildPerSec = rate(inMemory);
  const generatorPerSec = rate(generator);
  return {
    messages,
    repeat,
    endToEndPerSec: Math.round(endToEndPerSec),
    rebuildPerSec: Math.round(rebuildPerSec),
    generatorPerSec: Math.round(generatorPerSec),
    opsPerMessage: messages > 0 ? opsTotal / messages : 0,
  };
}
