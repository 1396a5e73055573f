import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../analytics/order-book.js';
import { bench, runLobster } from '../../cli/lobster.js';
import { lobsterEventsSync, lobsterTradesSync, type LobsterDepthEvent } from '../../actors/market-depth/lobster/events.js';
import { orderbookLine } from '../../actors/market-depth/lobster/orderbook-line.js';
import { LobsterPairReader } from '../../actors/market-depth/lobster/pair-reader.js';
import { Collect, SAMPLE_DIR, SAMPLE_MESSAGE, SAMPLE_ORDERBOOK, SAMPLE_PRESENT } from './helpers.js';

// 2012-06-21 is EDT: midnight Eastern = 04:00 UTC.
const MIDNIGHT_ET_MS = Date.UTC(2012, 5, 21, 4, 0, 0);

/** The message file split naively, independent of the parser under test. */
function naiveMessages(): { sec: string; type: number; size: number; price: number; dir: number }[] {
  return readFileSync(SAMPLE_MESSAGE, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const f = l.split(',');
      return { sec: f[0]!, type: Number(f[1]), size: Number(f[3]), price: Number(f[4]), dir: Number(f[5]) };
    });
}

function msOfDay(sec: string): number {
  const [i, frac = ''] = sec.split('.');
  return Number(i) * 1000 + Number(frac.padEnd(3, '0').slice(0, 3));
}

describe.skipIf(!SAMPLE_PRESENT)(`LOBSTER AAPL sample (${SAMPLE_DIR})`, () => {
  const obText = SAMPLE_PRESENT ? readFileSync(SAMPLE_ORDERBOOK, 'utf8') : '';
  const obLines = obText.split('\n').filter((l) => l.length > 0);

  it('`lobster book` rebuilds every orderbook line through the engine’s OrderBook', async () => {
    const out = new Collect();
    const err = new Collect();
    const code = await runLobster(['book', SAMPLE_MESSAGE, SAMPLE_ORDERBOOK], out, err);
    expect(err.text).toBe('');
    expect(code).toBe(0);
    const lines = out.text.split('\n');
    expect(lines.pop()).toBe(''); // every output line ends with a newline
    expect(lines.length).toBe(999);
    expect(obLines.length).toBe(999);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== obLines[i]) expect(`line ${i + 1}: ${lines[i]}`).toBe(`line ${i + 1}: ${obLines[i]}`);
    }
    // Byte for byte, apart from the newline the sample lacks after its last line.
    expect(obText.endsWith('\n')).toBe(false);
    expect(out.text).toBe(`${obText}\n`);
  });

  it('`lobster book --levels 5` gives the first five levels of every line', async () => {
    const out = new Collect();
    expect(await runLobster(['book', SAMPLE_MESSAGE, SAMPLE_ORDERBOOK, '--levels', '5'], out, new Collect())).toBe(0);
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toEqual(obLines.map((l) => l.split(',').slice(0, 20).join(',')));
  });

  it('the event generator rebuilds the same books, row by row, with message times', () => {
    const events = lobsterEventsSync(SAMPLE_MESSAGE, SAMPLE_ORDERBOOK);
    const msgs = naiveMessages();
    const ob = new OrderBook(10);
    // Before row R's events, every row k < R not yet checked must show in the book: rows without
    // events (hidden executions) leave it as it was.
    let checked = 0;
    let lastRow = -1;
    let lastTs = -Infinity;
    for (const e of events) {
      for (; checked < e.row; checked++) expect(orderbookLine(ob, 10), `row ${checked}`).toBe(obLines[checked]);
      expect(e.row).toBeGreaterThanOrEqual(lastRow); // file order
      lastRow = e.row;
      const m = msgs[e.row]!;
      const [secs, frac = ''] = m.sec.split('.');
      expect(e.tsMs).toBe(MIDNIGHT_ET_MS + msOfDay(m.sec));
      expect(e.tsNs).toBe(Number(secs) * 1e9 + Number(frac.padEnd(9, '0')));
      expect(e.tsMs).toBeGreaterThanOrEqual(lastTs);
      lastTs = e.tsMs;
      if (e.kind === 'depth') expect(ob.apply(e.position, e.operation, e.side, e.price, e.size)).toBeNull();
    }
    for (; checked < 999; checked++) expect(orderbookLine(ob, 10), `row ${checked}`).toBe(obLines[checked]);
    expect(orderbookLine(ob, 10)).toBe(obLines[998]);
    expect(ob.ignored).toBe(0);
    expect(ob.truncatedRows).toBe(0);

    // Every row except hidden executions (book unchanged) gets ops; rows 0 builds from empty with inserts.
    const depthRows = new Set(events.filter((e) => e.kind === 'depth').map((e) => e.row));
    msgs.forEach((m, i) => expect(depthRows.has(i), `row ${i} type ${m.type}`).toBe(m.type !== 5));
    const first = events.filter((e): e is LobsterDepthEvent => e.kind === 'depth' && e.row === 0);
    expect(first.map((e) => e.operation)).toEqual(new Array(20).fill(0));
    // A trade comes before its row's depth operations.
    for (let i = 1; i < events.length; i++) {
      if (events[i]!.kind === 'trade') expect(events[i - 1]!.row < events[i]!.row || events[i - 1]!.kind === 'trade').toBe(true);
    }
  });

  it('trades: one per execution with price, size and the aggressor side', async () => {
    const execs = naiveMessages().filter((m) => m.type === 4 || m.type === 5);
    expect(execs.length).toBe(159); // 98 visible + 61 hidden

    const out = new Collect();
    const err = new Collect();
    expect(await runLobster(['trades', SAMPLE_MESSAGE], out, err)).toBe(0);
    expect(err.text).toBe('');
    const lines = out.text.trimEnd().split('\n');
    expect(lines[0]).toBe('tsMs,price,size,side');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(execs.length);
    rows.forEach((r, i) => {
      const m = execs[i]!;
      expect(Number(r[0])).toBe(MIDNIGHT_ET_MS + msOfDay(m.sec));
      expect(Number(r[1])).toBe(m.price / 10000);
      expect(Math.round(Number(r[1]) * 10000)).toBe(m.price);
      expect(Number(r[2])).toBe(m.size);
      // direction -1: a sell limit order was hit, so the buyer was the aggressor
      expect(r[3]).toBe(m.dir === -1 ? 'buy' : 'sell');
    });
    expect(rows.filter((r) => r[3] === 'buy').length).toBe(execs.filter((m) => m.dir === -1).length);

    // The same trades through the pair generator and the message-only generator.
    const fromPair = lobsterEventsSync(SAMPLE_MESSAGE, SAMPLE_ORDERBOOK).filter((e) => e.kind === 'trade');
    const fromMsgs = lobsterTradesSync(SAMPLE_MESSAGE);
    expect(fromPair).toEqual(fromMsgs);
    expect(fromMsgs.filter((t) => t.hidden).length).toBe(61);
  });

  it('`lobster bench` reports rebuild rates (printed, not judged: the machine is shared)', async () => {
    const r = bench(SAMPLE_MESSAGE, SAMPLE_ORDERBOOK, undefined, 20);
    console.log(`LOBSTER rebuild rate on the AAPL sample: ${JSON.stringify(r)}`);
    expect(r.messages).toBe(999);
    expect(r.opsPerMessage).toBeGreaterThan(1);
    for (const k of ['endToEndPerSec', 'rebuildPerSec', 'generatorPerSec'] as const) expect(r[k]).toBeGreaterThan(0);
    const out = new Collect();
    expect(await runLobster(['bench', SAMPLE_MESSAGE, SAMPLE_ORDERBOOK, '--repeat', '1'], out, new Collect())).toBe(0);
    expect(JSON.parse(out.text)).toMatchObject({ messages: 999, repeat: 1 });
  });

  it('counts messages, ops, trades; a visible execution moves exactly one level', () => {
    const r = new LobsterPairReader(SAMPLE_MESSAGE, SAMPLE_ORDERBOOK);
    try {
      while (r.next()) {
        if (r.msg.type === 4) {
          // size down at one level (update), or the level emptied (delete, plus level 11 into view)
          const ops = Array.from(r.ops.operation.subarray(0, r.ops.count));
          expect([[1], [2, 0]]).toContainEqual(ops);
        }
      }
      expect(r.counts).toMatchObject({ messages: 999, trades: 159, hiddenTrades: 61, crosses: 0, halts: 0 });
      expect(r.counts.depthOps).toBeGreaterThan(999 - 61);
    } finally {
      r.close();
    }
  });
});
