import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLobster } from '../../cli/lobster.js';
import { NumericCsvReader } from '../../actors/market-depth/lobster/csv-reader.js';
import { LobsterFormatError } from '../../actors/market-depth/lobster/errors.js';
import { lobsterEventsSync, lobsterTradesSync, type LobsterEvent } from '../../actors/market-depth/lobster/events.js';
import { EasternClock, parseLobsterFileName } from '../../actors/market-depth/lobster/file-name.js';
import { Collect, SAMPLE_MESSAGE, SAMPLE_ORDERBOOK, SAMPLE_PRESENT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lobster-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
/** Writes a file named like a LOBSTER file (so it carries the date) and returns its path. */
function write(kind: 'message' | 'orderbook', text: string, name?: string): string {
  const p = join(dir, name ?? `TEST${fileNo++}_2012-06-21_34200000_57600000_${kind}_3.csv`);
  writeFileSync(p, text);
  return p;
}

const A = '9999999999,0';
const B = '-9999999999,0';
// Three levels; sides grow, empty and fill up again.
const OB_ROWS = [
  `1000000,10,990000,5,${A},${B},${A},${B}`,
  `1000000,10,990000,5,1010000,3,${B},${A},${B}`,
  `1000000,10,${B},1010000,3,${B},${A},${B}`,
  `${A},${B},${A},${B},${A},${B}`,
  '1000000,1,990000,1,1010000,1,980000,1,1020000,1,970000,1',
];
const MSG_ROWS = [
  '34200.000000001,1,1,10,1000000,-1',
  '34200.5,1,2,3,1010000,-1',
  '34201,4,3,5,990000,1',
  '34202.123456789,3,1,10,1000000,-1',
  '34203,1,4,1,1000000,-1',
];
const lines = (rows: string[]) => `${rows.join('\n')}\n`;

function formatError(f: () => unknown): LobsterFormatError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LobsterFormatError);
    return e as LobsterFormatError;
  }
  throw new Error('expected a LobsterFormatError');
}

function expectBad(msgRows: string[], obRows: string[], where: { file: 'message' | 'orderbook'; line: number; column: number; text: RegExp }): void {
  const m = write('message', lines(msgRows));
  const o = write('orderbook', lines(obRows));
  const e = formatError(() => lobsterEventsSync(m, o));
  expect(e.file).toBe(where.file === 'message' ? m : o);
  expect([e.line, e.column]).toEqual([where.line, where.column]);
  expect(e.message).toContain(where.file === 'message' ? m : o);
  expect(e.message).toContain(`line ${where.line}`);
  if (where.column > 0) expect(e.message).toContain(`column ${where.column}`);
  expect(e.message).toMatch(where.text);
}

describe('LOBSTER parsing', () => {
  it('dummy levels are empty rows: sides shrink to nothing and fill again', async () => {
    const m = write('message', lines(MSG_ROWS));
    const o = write('orderbook', lines(OB_ROWS));
    const out = new Collect();
    expect(await runLobster(['book', m, o], out, new Collect())).toBe(0);
    expect(out.text).toBe(lines(OB_ROWS));

    const ev = lobsterEventsSync(m, o);
    const brief = (e: LobsterEvent) =>
      e.kind === 'trade' ? ['T', e.row, e.price, e.size, e.aggressor] : [e.row, e.operation, e.side, e.position, e.price, e.size];
    expect(ev.map(brief)).toEqual([
      [0, 0, 0, 0, 100, 10],
      [0, 0, 1, 0, 99, 5],
      [1, 0, 0, 1, 101, 3],
      ['T', 2, 99, 5, -1], // a buy order was hit: seller-initiated
      [2, 2, 1, 0, 99, 0],
      [3, 2, 0, 1, 101, 0],
      [3, 2, 0, 0, 100, 0],
      [4, 0, 0, 0, 100, 1],
      [4, 0, 0, 1, 101, 1],
      [4, 0, 0, 2, 102, 1],
      [4, 0, 1, 0, 99, 1],
      [4, 0, 1, 1, 98, 1],
      [4, 0, 1, 2, 97, 1],
    ]);
    const base = Date.UTC(2012, 5, 21, 13, 30, 0); // 09:30 EDT
    expect(ev[0]).toMatchObject({ tsNs: 34200_000_000_001, tsMs: base });
    expect(ev.find((e) => e.row === 1)).toMatchObject({ tsNs: 34200_500_000_000, tsMs: base + 500 });
    expect(ev.find((e) => e.row === 3)).toMatchObject({ tsNs: 34202_123_456_789, tsMs: base + 2123 });
  });

  it('accepts extra trailing columns: the seventh is the attribution (an MPID, or null), later ones are ignored', async () => {
    const m = write('message', lines(MSG_ROWS.map((r, i) => (i % 2 ? `${r},NSDQ` : `${r},null,x`))));
    const o = write('orderbook', lines(OB_ROWS));
    const plain = lobsterEventsSync(write('message', lines(MSG_ROWS)), o);
    // The same events; the depth operations of odd rows carry their MPID.
    expect(lobsterEventsSync(m, o)).toEqual(plain.map((e) => (e.kind === 'depth' && e.row % 2 ? { ...e, marketMaker: 'NSDQ' } : e)));
    const out = new Collect();
    expect(await runLobster(['trades', m], out, new Collect())).toBe(0);
    expect(out.text).toBe(`tsMs,price,size,side\n${Date.UTC(2012, 5, 21, 13, 30, 1)},99,5,sell\n`);
  });

  it.skipIf(!SAMPLE_PRESENT)('the sample with an MPID column, or with CRLF line ends, gives the same events', () => {
    const msg = readFileSync(SAMPLE_MESSAGE, 'utf8');
    const ob = readFileSync(SAMPLE_ORDERBOOK, 'utf8');
    const want = lobsterEventsSync(SAMPLE_MESSAGE, SAMPLE_ORDERBOOK);
    const name = (k: string) => `AAPL_2012-06-21_34200000_57600000_${k}_10.csv`;
    const withMpid = write('message', msg.split('\n').map((l) => `${l},MPID`).join('\n'), `X${name('message')}`);
    expect(lobsterEventsSync(withMpid, SAMPLE_ORDERBOOK)).toEqual(want.map((e) => (e.kind === 'depth' ? { ...e, marketMaker: 'MPID' } : e)));
    const crlfM = write('message', `${msg.replaceAll('\n', '\r\n')}\r\n`, `Y${name('message')}`);
    const crlfO = write('orderbook', ob.replaceAll('\n', '\r\n'), `Y${name('orderbook')}`);
    expect(lobsterEventsSync(crlfM, crlfO)).toEqual(want);
  });

  it.skipIf(!SAMPLE_PRESENT)('rows split across read chunks parse the same as whole ones', () => {
    const read = (chunk: number) => {
      const r = new NumericCsvReader(SAMPLE_ORDERBOOK, 0, chunk);
      const rows: number[][] = [];
      while (r.next()) rows.push(Array.from(r.int.subarray(0, r.fields)));
      r.close();
      return rows;
    };
    const whole = read(1 << 20);
    expect(whole.length).toBe(999);
    expect(read(7)).toEqual(whole);
  });

  describe('bad rows name the file, line and column', () => {
    const M = MSG_ROWS;
    const O = OB_ROWS;
    it('message file', () => {
      expectBad([M[0]!, '34200.1,1,5,1x,1000000,1', ...M.slice(2)], O, { file: 'message', line: 2, column: 4, text: /expected a number, found "1x"/ });
      expectBad([M[0]!, M[1]!, '34200.1,1,5,10,1000000'], O, { file: 'message', line: 3, column: 6, text: /at least 6 columns/ });
      expectBad(['34200.1,1,5,10,1000000,0'], O, { file: 'message', line: 1, column: 6, text: /direction/ });
      expectBad(['-1.5,1,5,10,1000000,1'], O, { file: 'message', line: 1, column: 1, text: /time/ });
      expectBad(['34200.1,1,5,10,585.33,1'], O, { file: 'message', line: 1, column: 5, text: /price: expected an integer/ });
      expectBad(['34200.1,1,5,,1000000,1'], O, { file: 'message', line: 1, column: 4, text: /empty field/ });
      expectBad([M[0]!, '', M[1]!], O, { file: 'message', line: 2, column: 0, text: /empty line/ });
    });
    it('orderbook file', () => {
      expectBad(M, [O[0]!, '1000000,10,990000,5,1010000,3,-9999999999,0,9999999999,0,-9999999999'], {
        file: 'orderbook', line: 2, column: 12, text: /expected 12 columns .* found 11/,
      });
      expectBad(M, [O[0]!, O[1]!, `1000000,10,${B},${A},${B},1020000,1,${B}`], {
        file: 'orderbook', line: 3, column: 9, text: /ask price 3: a real level after the empty level 2/,
      });
      expectBad(M, [`1000000,10,-9999999999,4,${A},${B},${A},${B}`], {
        file: 'orderbook', line: 1, column: 4, text: /bid size 1: an empty level .* must have size 0/,
      });
      expectBad(M, [`1000000,10,990000.5,5,${A},${B},${A},${B}`], { file: 'orderbook', line: 1, column: 3, text: /bid price 1: expected an integer/ });
      expectBad(M, [`1000000,10,0,5,${A},${B},${A},${B}`], { file: 'orderbook', line: 1, column: 3, text: /bid price 1: expected a positive/ });
      expectBad(M, ['1,2,3,4,5'], { file: 'orderbook', line: 1, column: 5, text: /multiple of 4/ });
    });
    it('row counts that differ', () => {
      expectBad(M, O.slice(0, 3), { file: 'orderbook', line: 4, column: 0, text: /missing row/ });
      expectBad(M.slice(0, 2), O, { file: 'message', line: 3, column: 0, text: /missing row/ });
    });
    it('more levels than the file has', () => {
      const e = formatError(() => lobsterEventsSync(write('message', lines(M)), write('orderbook', lines(O)), { levels: 4 }));
      expect(e.message).toMatch(/4 levels requested but the file has 3/);
    });
  });

  it('trailing blank lines and a missing final newline are both fine', () => {
    const o = write('orderbook', lines(OB_ROWS));
    const want = lobsterEventsSync(write('message', lines(MSG_ROWS)), o);
    expect(lobsterEventsSync(write('message', MSG_ROWS.join('\n')), o)).toEqual(want);
    expect(lobsterEventsSync(write('message', `${lines(MSG_ROWS)}\n\n`), o)).toEqual(want);
  });
});

describe('LOBSTER times', () => {
  it('file names', () => {
    expect(parseLobsterFileName('/x/AAPL_2012-06-21_34200000_57600000_message_10.csv')).toEqual({
      ticker: 'AAPL', date: '2012-06-21', startMs: 34200000, endMs: 57600000, kind: 'message', levels: 10,
    });
    expect(parseLobsterFileName('messages.csv')).toBeNull();
  });

  it('Eastern wall clock to epoch ms: EDT, EST and a DST change day', () => {
    expect(new EasternClock('2012-06-21').epochMs(34200e9 + 4_241_176)).toBe(Date.UTC(2012, 5, 21, 13, 30, 0, 4));
    expect(new EasternClock('2012-01-05').epochMs(34200e9)).toBe(Date.UTC(2012, 0, 5, 14, 30));
    const dst = new EasternClock('2012-03-11'); // clocks go forward at 02:00
    expect(dst.epochMs(3600e9)).toBe(Date.UTC(2012, 2, 11, 6, 0)); // 01:00 EST
    expect(dst.epochMs(34200e9)).toBe(Date.UTC(2012, 2, 11, 13, 30)); // 09:30 EDT
  });

  it('the date comes from the option when the file name has none; without either, no events', async () => {
    const m = write('message', lines(MSG_ROWS), 'messages.csv');
    const o = write('orderbook', lines(OB_ROWS), 'book.csv');
    expect(() => lobsterEventsSync(m, o)).toThrow(/no trading date/);
    expect(() => lobsterTradesSync(m)).toThrow(/no trading date/);
    expect(lobsterTradesSync(m, { date: '2012-01-05' })[0]!.tsMs).toBe(Date.UTC(2012, 0, 5, 14, 30, 1));
    const err = new Collect();
    expect(await runLobster(['trades', m], new Collect(), err)).toBe(2);
    expect(err.text).toMatch(/no trading date/);
    const out = new Collect();
    expect(await runLobster(['trades', m, '--date', '2012-01-05'], out, new Collect())).toBe(0);
    expect(out.text.split('\n')[1]).toBe(`${Date.UTC(2012, 0, 5, 14, 30, 1)},99,5,sell`);
    // the book needs no date
    const book = new Collect();
    expect(await runLobster(['book', m, o], book, new Collect())).toBe(0);
    expect(book.text).toBe(lines(OB_ROWS));
  });
});

describe('alphatrader lobster: bad arguments exit 2 with a message', () => {
  const m = write('message', lines(MSG_ROWS));
  const o = write('orderbook', lines(OB_ROWS));
  const cases: [string, string[], RegExp][] = [
    ['no subcommand', [], /usage/],
    ['unknown subcommand', ['nope'], /unknown subcommand "nope"/],
    ['book with one file', ['book', m], /lobster book: missing ORDERBOOK_FILE/],
    ['trades with two files', ['trades', m, o], /lobster trades: unexpected argument .* \(expected at most MESSAGE_FILE\)/],
    ['missing file', ['book', join(dir, 'absent.csv'), o], /absent\.csv/],
    ['bad --levels', ['book', m, o, '--levels', '0'], /--levels: expected a positive whole number, got "0"/],
    ['too many --levels', ['book', m, o, '--levels', '4'], /4 levels requested but the file has 3/],
    ['bad --date', ['trades', m, '--date', '21/06/2012'], /--date: expected YYYY-MM-DD/],
    ['option that does not apply', ['trades', m, '--levels', '2'], /lobster trades: unknown option --levels/],
    ['unknown option', ['book', m, o, '--frobnicate'], /frobnicate/],
    ['malformed file', ['trades', write('message', '34200,1,1,1,1,7\n')], /line 1, column 6/],
  ];
  for (const [what, args, msg] of cases) {
    it(what, async () => {
      const out = new Collect();
      const err = new Collect();
      const code = await runLobster(args, out, err);
      expect(code).toBe(2);
      expect(`${err.text}${out.text}`).toMatch(msg);
    });
  }
});
