/**
 * Every LOBSTER event type in the real format: crosses (type 6, order id -1), halts (type 7), the
 * attribution column, unknown types; and a synthetic day with crosses at the open and close and a halt,
 * through the readers, the commands and the replay source into the BookKeeper.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLobster } from '../../cli/lobster.js';
import { writeSyntheticLobsterDay } from '../../bench/lobsterDay.js';
import { LobsterFormatError } from '../../actors/market-depth/lobster/errors.js';
import { lobsterEventsSync, lobsterTradesSync, type LobsterReadReport, type LobsterTradeEvent } from '../../actors/market-depth/lobster/events.js';
import { LobsterSource } from '../../actors/market-depth/LobsterSource.js';
import { RecordingReader, RecordingSink } from '../../actors/market-depth/Recording.js';
import { ReplaySource } from '../../actors/market-depth/ReplaySource.js';
import type { HaltPhase, MarketSink } from '../../actors/market-depth/MarketSource.js';
import { BookFlags, Trade, TradeFlags } from '../../engine/codec/Messages.js';
import { msgFlags, msgType } from '../../engine/codec/Header.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import { makeKeeper } from '../helpers/bookkeeper.js';
import { waitFor } from '../helpers/redis.js';
import { Collect } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lobster-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const write = (kind: 'message' | 'orderbook', rows: string[]): string => {
  const p = join(dir, `T${n++}_2012-06-21_34200000_57600000_${kind}_1.csv`);
  writeFileSync(p, `${rows.join('\n')}\n`);
  return p;
};

// One level. Each message row below, in the real format with its attribution column, and the book after it.
const MSG = [
  '34200.000000001,1,11,100,1000000,-1,UBSS', //      submit ask 100.00 ×100 by UBSS
  '34200.000000002,1,12,50,990000,1,null', //         submit bid 99.00 ×50, no attribution
  '34200.5,6,-1,4000,995000,-1,null', //              opening cross: 4000 @ 99.50, order id -1
  '34201,2,11,30,1000000,-1,UBSS', //                 partial cancel of UBSS's ask
  '34202,4,12,20,990000,1,null', //                   execution of the bid: a seller hit it
  '34203,5,0,7,995000,-1,null', //                    hidden execution against a hidden sell: a buyer
  '34204,7,0,0,-1,-1,null', //                        halt
  '34205,7,0,0,0,-1,null', //                         quote resumption
  '34206,3,12,30,990000,1,null', //                   delete the rest of the bid
  '34207,7,0,0,1,-1,null', //                         trade resumption
  '57600,6,-1,9000,1000000,1,null', //                closing cross
];
const OB = [
  `1000000,100,-9999999999,0`,
  `1000000,100,990000,50`,
  `1000000,100,990000,50`,
  `1000000,70,990000,50`,
  `1000000,70,990000,30`,
  `1000000,70,990000,30`,
  `1000000,70,990000,30`,
  `1000000,70,990000,30`,
  `1000000,70,-9999999999,0`,
  `1000000,70,-9999999999,0`,
  `1000000,70,-9999999999,0`,
];
const etMs = (h: number, m: number, s: number, ms = 0) => Date.UTC(2012, 5, 21, h + 4, m, s, ms);

describe('LOBSTER event types in the real format', () => {
  it('every type 1..7 with attribution: crosses are trades without an aggressor, halts a phase, MPIDs the market maker', () => {
    const ev = lobsterEventsSync(write('message', MSG), write('orderbook', OB));
    const trades = ev.filter((e) => e.kind === 'trade') as LobsterTradeEvent[];
    expect(trades.map((t) => [t.row, t.price, t.size, t.aggressor, t.cross, t.hidden])).toEqual([
      [2, 99.5, 4000, 0, true, false],
      [4, 99, 20, -1, false, false],
      [5, 99.5, 7, 1, false, true],
      [10, 100, 9000, 0, true, false],
    ]);
    expect(ev.filter((e) => e.kind === 'halt').map((e) => [e.row, e.kind === 'halt' && e.phase])).toEqual([
      [6, 'halted'],
      [7, 'quoting'],
      [9, 'trading'],
    ]);
    const depth = ev.filter((e) => e.kind === 'depth');
    expect(depth.map((e) => e.kind === 'depth' && [e.row, e.operation, e.side, e.price, e.size, e.marketMaker])).toEqual([
      [0, 0, 0, 100, 100, 'UBSS'], // insert ask by UBSS
      [1, 0, 1, 99, 50, null], //     insert bid, `null` attribution
      [3, 1, 0, 100, 70, 'UBSS'], //  update ask by UBSS
      [4, 1, 1, 99, 30, null],
      [8, 2, 1, 99, 0, null],
    ]);
    expect(trades[0]!.tsMs).toBe(etMs(9, 30, 0, 500));
    expect(trades[3]!.tsMs).toBe(etMs(16, 0, 0));
  });

  it('`lobster trades` lists crosses with side `cross` and exits 0', async () => {
    const out = new Collect();
    expect(await runLobster(['trades', write('message', MSG)], out, new Collect())).toBe(0);
    expect(out.text).toBe(
      `tsMs,price,size,side\n${etMs(9, 30, 0, 500)},99.5,4000,cross\n${etMs(9, 30, 2)},99,20,sell\n${etMs(9, 30, 3)},99.5,7,buy\n${etMs(16, 0, 0)},100,9000,cross\n`,
    );
  });

  it('an unknown type is skipped and counted, not fatal; the command reports it on stderr and exits 0', async () => {
    const msg = [...MSG.slice(0, 3), '34200.7,9,0,0,995000,1', '34200.8,12,5,1,995000,-1,null', ...MSG.slice(3)];
    const ob = [...OB.slice(0, 3), OB[2]!, OB[2]!, ...OB.slice(3)];
    const report: LobsterReadReport = { unknown: 0, unknownSummary: null };
    const ev = lobsterEventsSync(write('message', msg), write('orderbook', ob), {}, report);
    expect(report.unknown).toBe(2);
    expect(report.unknownSummary).toMatch(/2 message\(s\) of unknown type \(9, 12\) skipped/);
    expect(ev.filter((e) => e.kind === 'trade')).toHaveLength(4);
    const out = new Collect();
    const err = new Collect();
    expect(await runLobster(['trades', write('message', msg)], out, err)).toBe(0);
    expect(out.text.split('\n').filter(Boolean)).toHaveLength(5);
    expect(err.text).toMatch(/2 message\(s\) of unknown type \(9, 12\) skipped/);
  });

  it('a cross or halt that breaks the format is still one clear error naming line and column', () => {
    const bad = (row: string, col: number, text: RegExp) => {
      try {
        lobsterTradesSync(write('message', [MSG[0]!, row]));
      } catch (e) {
        expect(e).toBeInstanceOf(LobsterFormatError);
        expect([(e as LobsterFormatError).line, (e as LobsterFormatError).column]).toEqual([2, col]);
        expect((e as Error).message).toMatch(text);
        return;
      }
      throw new Error(`accepted ${row}`);
    };
    bad('34201,7,0,0,5,-1', 5, /halt \(type 7\) carries -1 \(halt\), 0 \(quote resumption\) or 1 \(trade resumption\), found 5/);
    bad('34201,6,-2,100,995000,1', 3, /order id: expected ≥ 0 \(or -1 for a cross\), found -2/);
    bad('34201,1,-1,100,995000,1', 3, /order id/);
    bad('34201,6,-1,100,0,1', 5, /price: expected a positive integer/);
    bad(`34201,1,5,100,995000,1,${'X'.repeat(40)}`, 7, /attribution: expected an MPID of at most 16 characters/);
  });
});

describe('a synthetic real-format day (crosses at the open and close, a halt, attribution)', () => {
  const day = writeSyntheticLobsterDay(dir, { messages: 3000, levels: 5, seed: 7 });

  it('has what a real day has', () => {
    const c = day.counts;
    expect(c.crosses).toBe(2);
    expect(c.halts).toBe(3);
    expect(c.hidden).toBeGreaterThan(0);
    expect(c.attributed).toBeGreaterThan(0);
    const lines = readFileSync(day.messageFile, 'utf8').trim().split('\n');
    expect(lines[20]).toMatch(/^\d+\.\d{9},6,-1,\d+,\d+,-?1,null$/); // the opening cross
    expect(lines.at(-1)).toMatch(/^\d+\.\d{9},6,-1,\d+,\d+,-?1,null$/); // the closing cross
  });

  it('`lobster book` reproduces its orderbook file exactly', async () => {
    const out = new Collect();
    const err = new Collect();
    expect(await runLobster(['book', day.messageFile, day.orderbookFile], out, err)).toBe(0);
    expect(err.text).toBe('');
    expect(out.text).toBe(readFileSync(day.orderbookFile, 'utf8'));
  });

  it('`lobster trades` exits 0 with every execution and both crosses, first and last', async () => {
    const out = new Collect();
    expect(await runLobster(['trades', day.messageFile], out, new Collect())).toBe(0);
    const rows = out.text.trim().split('\n').slice(1);
    expect(rows).toHaveLength(day.counts.tradeRows);
    expect(rows[0]).toMatch(/,cross$/);
    expect(rows.at(-1)).toMatch(/,cross$/);
    expect(rows.filter((r) => r.endsWith(',cross'))).toHaveLength(2);
  });

  it('through LobsterSource into the BookKeeper: halted books are flagged and keyed, crosses are unclassified prints, MPIDs reach the book', async () => {
    const k = makeKeeper();
    const sym = 0;
    const symbol = k.config.symbols[sym]!.symbol;
    const seen: { phase: HaltPhase; bookHalted: boolean | undefined; haltedKey: unknown }[] = [];
    const mms = new Set<string>();
    // Observes the keeper right after each halt event (what the actor's snapshot timer would publish then).
    const probe: MarketSink = {
      depth: (...a) => {
        mms.add(a[7]);
        k.keeper.depth(...a);
      },
      trade: (...a) => k.keeper.trade(...a),
      cross: (...a) => k.keeper.cross(...a),
      quote: (...a) => k.keeper.quote(...a),
      reset: (s) => k.keeper.reset(s),
      connection: (up, d) => k.keeper.connection(up),
      endOfBatch: () => k.keeper.endOfBatch(),
      halt: (s, ts, phase, ing) => {
        k.keeper.halt(s, ts, phase, ing);
        k.keeper.endOfBatch();
        const reqs = k.keeper.snapshots();
        const book = reqs.find((r) => r.key === `market:{${symbol}}:book`)?.value as { halted?: boolean } | undefined;
        seen.push({ phase, bookHalted: book?.halted, haltedKey: reqs.find((r) => r.key === `market:{${symbol}}:halted`)?.value });
      },
    };
    const flags: { trades: number[]; crossAggressors: number[]; haltedTops: number } = { trades: [], crossAggressors: [], haltedTops: 0 };
    const drain = () =>
      k.reader.poll((v, off) => {
        if (msgType(v, off) === MessageType.Trade) {
          flags.trades.push(msgFlags(v, off));
          if (msgFlags(v, off) & TradeFlags.Cross) flags.crossAggressors.push(Trade.aggressor(v, off));
        } else if (msgType(v, off) === MessageType.BookTop && msgFlags(v, off) & BookFlags.Halted) flags.haltedTops++;
      }, 1 << 16);
    let done = -1;
    const src = new LobsterSource(day.messageFile, day.orderbookFile, sym, 'max', k.clock, (events) => (done = events));
    const pump = setInterval(drain, 1);
    try {
      await src.start(probe);
      await waitFor(() => done >= 0, 30_000, 'the LOBSTER replay to finish');
    } finally {
      clearInterval(pump);
      await src.stop();
    }
    drain();
    expect(seen.map((s) => [s.phase, s.bookHalted])).toEqual([
      ['halted', true],
      ['quoting', true], // quotes resumed, trading not yet: still no marks
      ['trading', false],
    ]);
    expect(seen[0]!.haltedKey).toMatchObject({ symbol, halted: true, phase: 'halted' });
    expect(seen[2]!.haltedKey).toMatchObject({ symbol, halted: false, phase: 'trading' });
    expect(flags.haltedTops).toBeGreaterThan(0);
    expect(k.keeper.stats.crosses).toBe(2);
    expect(k.keeper.stats.halts).toBe(3);
    expect(k.keeper.stats.trades).toBe(day.counts.executions + day.counts.hidden);
    expect(flags.crossAggressors).toEqual([0, 0]);
    expect(mms.has('NSDQ')).toBe(true); // no attribution
    expect([...mms].filter((m) => m !== 'NSDQ').sort()).toEqual(['GSCO', 'MSCO', 'NITE', 'UBSS']);
  });
});

describe('recordings keep crosses and halts', () => {
  it('a LOBSTER replay recorded and replayed gives the same prints, crosses, halt state and books', async () => {
    const day = writeSyntheticLobsterDay(dir, { messages: 1500, levels: 5, seed: 9, symbol: 'REC' });
    const file = join(dir, 'lobster.atrec');
    const live = makeKeeper();
    const rec = new RecordingSink(file, { symbols: live.config.symbols.map((s) => s.symbol), startedAtMs: 0, source: 'lobster' }, live.keeper);
    let done = -1;
    const src = new LobsterSource(day.messageFile, day.orderbookFile, 0, 'max', live.clock, (e) => (done = e));
    await src.start(rec);
    await waitFor(() => done >= 0, 30_000, 'the LOBSTER replay to finish');
    rec.close();
    const again = makeKeeper();
    let replayed = -1;
    await new ReplaySource(new RecordingReader(file), 'max', again.clock, (e) => (replayed = e)).start(again.keeper);
    await waitFor(() => replayed >= 0, 30_000, 'the recording replay to finish');
    for (const k of [live.keeper, again.keeper]) {
      expect(k.stats).toMatchObject({ crosses: 2, halts: 3, trades: day.counts.executions + day.counts.hidden });
      expect(k.syms[0]!.haltPhase).toBe('trading');
    }
    expect(again.keeper.syms[0]!.book.sides()).toEqual(live.keeper.syms[0]!.book.sides());
    expect(again.keeper.syms[0]!.volume).toBe(live.keeper.syms[0]!.volume);
  });
});
