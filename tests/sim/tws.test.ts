/**
 * The real @stoqey/ib client against the TWS simulator.
 *
 * Synchronisation never relies on timing: to see "everything the server has sent so far",
 * a test pauses the feed and makes a request/response round trip (reqCurrentTime); TCP
 * ordering guarantees every earlier frame has been decoded when the reply arrives.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventName, IBApi, OrderAction, OrderType, SecType, type Contract, type Order } from '@stoqey/ib';
import { MarketModel, type SymbolSpec } from '../../sim/market/MarketModel.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import { FrameReader, FrameWriter } from '../../sim/tws/codec.js';
import { openOrder } from '../../sim/tws/messages.js';
import { DepthView } from '../../sim/tws/DepthView.js';
import { defaultContract } from '../../sim/tws/OrderEngine.js';

const SEED = 4242;
const SYMBOLS: SymbolSpec[] = [
  { symbol: 'SPY', basePrice: 500, numRows: 10, level2: true },
  { symbol: 'QQQ', basePrice: 430, numRows: 8, level2: true },
  { symbol: 'IWM', basePrice: 210, numRows: 5, level2: false },
];

const stk = (symbol: string, exchange = 'SMART'): Contract => ({ symbol, secType: SecType.STK, exchange, currency: 'USD' });

type Row = [number, number, string];

/** List-semantics book (IB position-indexed), tolerant of out-of-range ops, which it counts. */
class ListBook {
  sides: [Row[], Row[]] = [[], []];
  outOfRange = 0;
  constructor(readonly numRows: number) {}
  apply(position: number, op: number, side: number, price: number, size: number, mm = ''): void {
    const rows = this.sides[side as 0 | 1];
    if (op === 0) {
      if (position > rows.length) return void this.outOfRange++;
      rows.splice(position, 0, [price, size, mm]);
      if (rows.length > this.numRows) rows.length = this.numRows;
    } else if (op === 1) {
      if (position >= rows.length) return void this.outOfRange++;
      rows[position] = [price, size, mm];
    } else {
      if (position >= rows.length) return void this.outOfRange++;
      rows.splice(position, 1);
    }
  }
  clear(): void {
    this.sides = [[], []];
  }
}

interface Client {
  ib: IBApi;
  events: [string, unknown[]][];
  errors: { code: number; reqId: number; message: string }[];
  infos: { code: number; message: string }[];
  of(name: string): unknown[][];
}

let model: MarketModel;
let sim: TwsSimulator;
let port = 0;
let nextClientId = 1;
const clients: IBApi[] = [];

async function waitFor(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  if (pred()) return;
  await new Promise<void>((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      if (pred()) {
        clearInterval(iv);
        resolve();
      } else if (Date.now() - t0 > timeoutMs) {
        clearInterval(iv);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 5);
  });
}

async function connect(clientId = nextClientId++, opts: { maxReqPerSec?: number; waitReady?: boolean } = {}): Promise<Client> {
  const ib = new IBApi({ host: '127.0.0.1', port, clientId, maxReqPerSec: opts.maxReqPerSec });
  clients.push(ib);
  const c: Client = {
    ib,
    events: [],
    errors: [],
    infos: [],
    of: (name) => c.events.filter((e) => e[0] === name).map((e) => e[1]),
  };
  ib.on(EventName.all, (name: string, args: unknown[]) => void c.events.push([name, args]));
  ib.on(EventName.error, (err: Error, code: number, reqId: number) => void c.errors.push({ code, reqId, message: err.message }));
  ib.on(EventName.info, (message: string, code: number) => void c.infos.push({ code, message }));
  ib.connect();
  if (opts.waitReady !== false) await waitFor(() => c.of(EventName.nextValidId).length > 0, 'nextValidId');
  return c;
}

/** Round trip: every frame the server sent before this returns has been decoded by the client. */
async function barrier(c: Client): Promise<void> {
  const n = c.of(EventName.currentTime).length;
  c.ib.reqCurrentTime();
  await waitFor(() => c.of(EventName.currentTime).length > n, 'currentTime barrier');
}

function no505(c: Client): void {
  expect(c.errors.filter((e) => e.code === 505)).toEqual([]);
}

beforeAll(async () => {
  console.log(`seed ${SEED}`);
  model = new MarketModel({ seed: SEED, symbols: SYMBOLS, startMs: Date.UTC(2025, 0, 2, 14, 30), eventsPerSecond: 300 });
  sim = new TwsSimulator({ model, port: 0, realTimeBarMs: 100, tickMs: 5 });
  ({ port } = await sim.start());
});

afterEach(() => {
  sim.pauseFeed(false);
});

afterAll(async () => {
  for (const ib of clients) {
    try {
      ib.disconnect();
    } catch {
      /* already closed */
    }
  }
  await sim.stop();
});

describe('TWS simulator with the real @stoqey/ib client', () => {
  it('handshakes: server version 193, managed accounts, nextValidId, farm infos', async () => {
    const c = await connect();
    expect(c.ib.serverVersion).toBe(193);
    expect(c.of(EventName.managedAccounts)[0]).toEqual(['DU123456']);
    expect(c.of(EventName.nextValidId)[0][0]).toBe(1);
    await barrier(c);
    expect(c.infos.map((i) => i.code)).toEqual(expect.arrayContaining([2104, 2106, 2158]));
    no505(c);
  });

  it('L2 smart depth for SPY rebuilds model.snapshot() at a quiescent moment; fewer rows and MARKET_DEPTH (12) too', async () => {
    const c = await connect();
    const spy = new ListBook(10);
    const qqq = new ListBook(3);
    const iwm = new ListBook(5);
    const smartFlags = new Set<unknown>();
    c.ib.on(EventName.updateMktDepthL2, (id: number, pos: number, mm: string, op: number, side: number, px: number, sz: number, smart?: boolean) => {
      if (id === 11) {
        spy.apply(pos, op, side, px, sz, mm);
        smartFlags.add(smart);
      } else if (id === 12) qqq.apply(pos, op, side, px, sz, mm);
    });
    c.ib.on(EventName.updateMktDepth, (id: number, pos: number, op: number, side: number, px: number, sz: number) => {
      if (id === 13) iwm.apply(pos, op, side, px, sz);
    });
    c.ib.reqMktDepth(11, stk('SPY'), 10, true, []);
    c.ib.reqMktDepth(12, stk('QQQ', 'ISLAND'), 3, false, []);
    c.ib.reqMktDepth(13, stk('IWM', 'ARCA'), 20, false, []);
    const opsBefore = sim.stats().depthOpsSent;
    await waitFor(() => sim.stats().depthOpsSent > opsBefore + 500, 'live depth ops');
    sim.pauseFeed(true);
    await barrier(c);
    const snap = (i: number, rows: number, withMm: boolean): [Row[], Row[]] => {
      const s = model.snapshot(i);
      const cut = (r: [number, number, string][]): Row[] => r.slice(0, rows).map(([p, q, m]) => [p, q, withMm ? m : '']);
      return [cut(s.asks), cut(s.bids)];
    };
    expect(spy.sides).toEqual(snap(0, 10, true));
    expect(qqq.sides).toEqual(snap(1, 3, true));
    expect(iwm.sides).toEqual(snap(2, 5, false));
    expect(spy.sides[0].length).toBeGreaterThan(0);
    expect(spy.outOfRange + qqq.outOfRange + iwm.outOfRange).toBe(0);
    expect([...smartFlags]).toEqual([true]);
    expect(c.of(EventName.updateMktDepth).length).toBeGreaterThan(0);

    // A fourth depth request exceeds TWS's limit of 3.
    c.ib.reqMktDepth(14, stk('SPY'), 5, true, []);
    // SMART without isSmartDepth is refused like TWS does.
    c.ib.cancelMktDepth(12, false);
    c.ib.reqMktDepth(15, stk('QQQ'), 5, false, []);
    c.ib.reqMktDepth(16, stk('NOPE', 'ISLAND'), 5, false, []);
    await barrier(c);
    expect(c.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 309, reqId: 14 }),
        expect.objectContaining({ code: 10092, reqId: 15 }),
        expect.objectContaining({ code: 200, reqId: 16 }),
      ]),
    );
    c.ib.cancelMktDepth(11, true);
    c.ib.cancelMktDepth(13, false);
    await barrier(c);
    const before = c.of(EventName.updateMktDepthL2).length + c.of(EventName.updateMktDepth).length;
    sim.pauseFeed(false);
    const t0 = model.timeMs;
    await waitFor(() => model.timeMs > t0 + 300, 'the feed to run on after the cancels');
    await barrier(c);
    expect(c.of(EventName.updateMktDepthL2).length + c.of(EventName.updateMktDepth).length).toBe(before);
    no505(c);
  });

  it('tick-by-tick AllLast and BidAsk arrive with the documented argument order', async () => {
    const c = await connect();
    c.ib.reqTickByTickData(21, stk('SPY'), 'AllLast', 0, false);
    c.ib.reqTickByTickData(22, stk('SPY'), 'BidAsk', 0, false);
    await waitFor(() => c.of(EventName.tickByTickAllLast).length >= 5 && c.of(EventName.tickByTickBidAsk).length >= 5, 'tick-by-tick');
    const [reqId, tickType, time, price, size, attribs, exchange, special] = c.of(EventName.tickByTickAllLast)[0];
    expect(reqId).toBe(21);
    expect(tickType).toBe(2);
    expect(typeof time).toBe('string');
    expect(Number(time)).toBeGreaterThan(1.7e9);
    expect(price).toBeGreaterThan(0);
    expect(size).toBeGreaterThan(0);
    expect(attribs).toEqual({ pastLimit: false, unreported: false });
    expect(['NSDQ', 'ARCA', 'BATS', 'EDGX', 'IEX', 'MEMX', 'NYSE', 'BYX']).toContain(exchange);
    expect(special).toBe('');
    for (const [rid, t, bid, ask, bidSz, askSz, attr] of c.of(EventName.tickByTickBidAsk)) {
      expect(rid).toBe(22);
      expect(typeof t).toBe('string');
      expect(bid as number).toBeLessThan(ask as number);
      expect(bidSz).toBeGreaterThan(0);
      expect(askSz).toBeGreaterThan(0);
      expect(attr).toEqual({ bidPastLow: false, askPastHigh: false });
    }
    c.ib.cancelTickByTickData(21);
    c.ib.cancelTickByTickData(22);
    no505(c);
  });

  it('real-time bars and top-of-book ticks arrive', async () => {
    const c = await connect();
    c.ib.reqRealTimeBars(31, stk('SPY'), 5, 'TRADES' as never, false);
    c.ib.reqMktData(32, stk('SPY'), '', false, false);
    await waitFor(() => c.of(EventName.realtimeBar).length >= 3 && c.of(EventName.tickPrice).length >= 4, 'bars and ticks');
    for (const [reqId, time, o, h, l, cl, vol, wap, count] of c.of(EventName.realtimeBar) as number[][]) {
      expect(reqId).toBe(31);
      expect(time).toBeGreaterThan(1.7e9);
      expect(l).toBeLessThanOrEqual(Math.min(o, cl));
      expect(h).toBeGreaterThanOrEqual(Math.max(o, cl));
      expect(vol).toBeGreaterThanOrEqual(0);
      expect(count).toBeGreaterThanOrEqual(0);
      if (vol > 0) {
        expect(wap).toBeGreaterThanOrEqual(l - 1e-9);
        expect(wap).toBeLessThanOrEqual(h + 1e-9);
      }
    }
    const types = new Set(c.of(EventName.tickPrice).map((a) => a[1]));
    expect(types.has(1) && types.has(2) && types.has(4)).toBe(true);
    expect(c.of(EventName.tickSize).length).toBeGreaterThan(0);
    c.ib.cancelRealTimeBars(31);
    c.ib.cancelMktData(32);
    await barrier(c);
    no505(c);
  });

  it('faults: depth reset (317 + rebuild), connectivity 1100/1101/1102, out-of-range ops, malformed frame, drop', async () => {
    const c = await connect();
    const book = new ListBook(10);
    c.ib.on(EventName.updateMktDepthL2, (id: number, pos: number, mm: string, op: number, side: number, px: number, sz: number) => {
      if (id === 41) book.apply(pos, op, side, px, sz, mm);
    });
    c.ib.on(EventName.error, (_e: Error, code: number, reqId: number) => {
      if (code === 317 && reqId === 41) book.clear(); // 317: empty the book, fresh inserts follow
    });
    const depthSubsBefore = sim.stats().subscriptions.depth;
    c.ib.reqMktDepth(41, stk('SPY'), 10, true, []);
    await waitFor(() => book.sides[0].length > 0, 'depth');
    sim.pauseFeed(true);
    await barrier(c);
    // Corrupt the client's copy, then reset: the rebuild must restore it.
    book.sides[0].splice(0, 2);
    expect(sim.sendDepthReset('SPY')).toBe(1);
    await barrier(c);
    expect(c.errors.filter((e) => e.code === 317)).toEqual([expect.objectContaining({ code: 317, reqId: 41 })]);
    expect(book.sides).toEqual([model.snapshot(0).asks, model.snapshot(0).bids]);

    expect(sim.injectOutOfRangeOps()).toBe(2);
    await barrier(c);
    expect(book.outOfRange).toBe(2);
    expect(book.sides).toEqual([model.snapshot(0).asks, model.snapshot(0).bids]);

    sim.pauseFeed(false);
    sim.connectivityLost();
    await barrier(c);
    sim.connectivityRestored(false);
    await barrier(c);
    expect(sim.stats().subscriptions.depth).toBe(depthSubsBefore + 1); // data maintained: still subscribed
    sim.connectivityLost();
    sim.connectivityRestored(true);
    await barrier(c);
    expect(c.infos.filter((i) => i.code >= 1100 && i.code <= 1102).map((i) => i.code)).toEqual([1100, 1102, 1100, 1101]);
    expect(sim.stats().subscriptions.depth).toBe(0); // data lost: resubscribe needed

    sim.sendMalformedFrame('underrun');
    await barrier(c);
    expect(c.errors.filter((e) => e.code === 505).length).toBe(1); // reported, and the stream stays in sync
    c.ib.reqIds();
    await waitFor(() => c.of(EventName.nextValidId).length >= 2, 'reqIds after malformed frame');

    let disconnected = false;
    c.ib.on(EventName.disconnected, () => void (disconnected = true));
    expect(sim.dropConnections()).toBeGreaterThanOrEqual(1);
    await waitFor(() => disconnected, 'disconnected');
    expect(sim.stats().faults.drops).toBeGreaterThanOrEqual(1);
  });

  it('rejects a second connection with a client id in use (326) and flags message rates above 50/s (100)', async () => {
    const a = await connect(77);
    const b = await connect(77, { waitReady: false });
    let bDisconnected = false;
    b.ib.on(EventName.disconnected, () => void (bDisconnected = true));
    await waitFor(() => bDisconnected, 'duplicate client id disconnect');
    expect(b.infos.map((i) => i.code)).toContain(326);
    expect(b.of(EventName.nextValidId)).toEqual([]);

    const fast = await connect(undefined, { maxReqPerSec: 10_000 });
    for (let i = 0; i < 80; i++) fast.ib.reqCurrentTime();
    await waitFor(() => fast.of(EventName.currentTime).length >= 80, '80 current times');
    expect(fast.infos.filter((i) => i.code === 100).length).toBeGreaterThanOrEqual(1);
    await barrier(a);
    no505(a);
    no505(fast);
  });

  it('orders: marketable limit fills across levels (open order, status, executions, commission), cancel, positions, account summary', async () => {
    const c = await connect();
    const firstId = (c.of(EventName.nextValidId).at(-1) as number[])[0];
    sim.pauseFeed(true);
    await barrier(c);
    const asks = model.snapshot(0).asks;
    // Enough to take the first two rows, priced at the second row: a two-level partial walk.
    const qty = asks[0][1] + Math.max(1, Math.floor(asks[1][1] / 2));
    const buy: Order = { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: asks[1][0], totalQuantity: qty, transmit: true, tif: 'DAY' };
    c.ib.placeOrder(firstId, stk('SPY'), buy);
    const resting: Order = { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: Math.round((asks[0][0] - 5) * 100) / 100, totalQuantity: 100, transmit: true };
    c.ib.placeOrder(firstId + 1, stk('SPY'), resting);
    await waitFor(() => c.of(EventName.orderStatus).some((a) => a[0] === firstId && a[1] === 'Filled'), 'fill');
    await barrier(c);
    const execs = c.of(EventName.execDetails).filter((a) => (a[2] as { orderId: number }).orderId === firstId);
    expect(execs.length).toBe(2);
    expect(execs.map((a) => (a[2] as { price: number }).price)).toEqual([asks[0][0], asks[1][0]]);
    expect(execs.reduce((s, a) => s + (a[2] as { shares: number }).shares, 0)).toBe(qty);
    expect(execs[0][0]).toBe(-1);
    expect((execs[0][1] as Contract).symbol).toBe('SPY');
    expect(c.of(EventName.commissionReport).length).toBeGreaterThanOrEqual(2);
    const open = c.of(EventName.openOrder).filter((a) => a[0] === firstId);
    expect(open.length).toBeGreaterThanOrEqual(2);
    expect((open[0][2] as Order).totalQuantity).toBe(qty);
    expect((open[0][2] as Order).lmtPrice).toBe(asks[1][0]);
    expect((open.at(-1)![3] as { status: string }).status).toBe('Filled');
    const restingStatus = c.of(EventName.orderStatus).filter((a) => a[0] === firstId + 1);
    expect(restingStatus.at(-1)![1]).toBe('Submitted');

    c.ib.cancelOrder(firstId + 1);
    c.ib.reqPositions();
    c.ib.reqAccountSummary(51, 'All', 'NetLiquidation,TotalCashValue,BuyingPower,AccountType');
    await waitFor(() => c.of(EventName.positionEnd).length > 0 && c.of(EventName.accountSummaryEnd).length > 0, 'positions and summary');
    await barrier(c);
    expect(c.of(EventName.orderStatus).filter((a) => a[0] === firstId + 1).at(-1)![1]).toBe('Cancelled');
    expect(c.errors).toEqual(expect.arrayContaining([expect.objectContaining({ code: 202, reqId: firstId + 1 })]));
    const pos = c.of(EventName.position);
    expect(pos.length).toBe(1);
    expect(pos[0][0]).toBe('DU123456');
    expect((pos[0][1] as Contract).symbol).toBe('SPY');
    expect(pos[0][2]).toBe(qty);
    const tags = c.of(EventName.accountSummary).map((a) => a[2]);
    expect(tags).toEqual(['NetLiquidation', 'TotalCashValue', 'BuyingPower', 'AccountType']);

    // Untransmitted orders are flagged and held; unknown order types are rejected.
    c.ib.placeOrder(firstId + 2, stk('SPY'), { action: OrderAction.SELL, orderType: OrderType.MKT, totalQuantity: 10 } as Order);
    c.ib.placeOrder(firstId + 3, stk('SPY'), { action: OrderAction.SELL, orderType: OrderType.MOC, totalQuantity: 10, transmit: true });
    c.ib.reqExecutions(52, {});
    await waitFor(() => c.of(EventName.execDetailsEnd).length > 0, 'executions');
    await barrier(c);
    expect(c.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 399, reqId: firstId + 2 }),
        expect.objectContaining({ code: 201, reqId: firstId + 3 }),
      ]),
    );
    expect(c.of(EventName.execDetails).filter((a) => a[0] === 52).length).toBe(2);
    no505(c);
  });

  it('survives garbage, oversized frames and byte-by-byte partial frames', async () => {
    const garbage = await rawSession((s) => s.write('GET / HTTP/1.1\r\n\r\n'));
    expect(garbage.closed).toBe(true);
    expect(sim.stats().closedGarbage.badHandshake).toBeGreaterThanOrEqual(1);

    const big = await rawSession((s) => {
      s.write(handshake());
      const hdr = Buffer.alloc(4);
      hdr.writeUInt32BE(0x1000001);
      s.write(hdr);
    });
    expect(big.closed).toBe(true);
    expect(sim.stats().closedGarbage.frameTooLarge).toBeGreaterThanOrEqual(1);

    // The handshake and START_API one byte at a time: the server must reassemble them.
    const bytes = Buffer.concat([handshake(), frame(['71', '2', '901', ''])]);
    const slow = await rawSession(async (s) => {
      for (const b of bytes) {
        s.write(Buffer.from([b]));
        await new Promise((r) => setImmediate(r));
      }
    }, (msgs) => msgs.some((m) => m[0] === '9'));
    expect(slow.messages[0][0]).toBe('193');
    expect(slow.messages.map((m) => m[0])).toEqual(expect.arrayContaining(['15', '9', '4']));
    expect(sim.stats().activeConnections).toBeGreaterThanOrEqual(0);
  });
});

describe('units', () => {
  it('DepthView keeps a fewer-rows subscriber equal to the top rows of the model book', () => {
    const seed = 31;
    console.log(`seed ${seed}`);
    const m = new MarketModel({ seed, symbols: [{ symbol: 'X', basePrice: 20, numRows: 12, level2: true }], startMs: 0 });
    for (const rows of [1, 3, 12]) {
      const view = new DepthView(m, 0, rows);
      const book = new ListBook(rows);
      const out = { depth: (p: number, op: 0 | 1 | 2, side: 0 | 1, px: number, sz: number, mm: string) => book.apply(p, op, side, px, sz, mm) };
      view.snapshot(out);
      const listener = {
        onDepth: (_si: number, _ts: number, p: number, op: 0 | 1 | 2, side: 0 | 1, px: number, sz: number, mm: string) => view.apply(p, op, side, px, sz, mm, out),
        onTrade() {},
        onQuote() {},
      };
      for (let i = 0; i < 300; i++) {
        m.advance(m.timeMs + 50, listener);
        const snap = m.snapshot(0);
        expect(book.sides).toEqual([snap.asks.slice(0, rows), snap.bids.slice(0, rows)]);
      }
      expect(book.outOfRange).toBe(0);
    }
  });

  it('speaks a lower configured server version (178) that @stoqey/ib decodes without errors', async () => {
    const m2 = new MarketModel({ seed: SEED + 1, symbols: SYMBOLS, startMs: Date.now() });
    const sim2 = new TwsSimulator({ model: m2, port: 0, serverVersion: 178 });
    const { port: p2 } = await sim2.start();
    const ib = new IBApi({ host: '127.0.0.1', port: p2, clientId: 1 });
    const seen: string[] = [];
    const errors: number[] = [];
    ib.on(EventName.all, (name: string) => void seen.push(name));
    ib.on(EventName.error, (_e: Error, code: number) => void errors.push(code));
    ib.connect();
    try {
      await waitFor(() => seen.includes(EventName.nextValidId), 'nextValidId (sv 178)');
      expect(ib.serverVersion).toBe(178);
      ib.reqMktDepth(1, stk('SPY'), 5, true, []);
      ib.placeOrder(1, stk('SPY'), { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 10, transmit: true });
      ib.reqExecutions(2, {});
      await waitFor(
        () => seen.includes(EventName.updateMktDepthL2) && seen.includes(EventName.execDetailsEnd) && seen.includes(EventName.commissionReport),
        'depth and executions (sv 178)',
      );
      expect(seen).toContain(EventName.orderStatus);
      expect(errors.filter((c) => c === 505)).toEqual([]);
    } finally {
      ib.disconnect();
      await sim2.stop();
    }
  });


  it('OPEN_ORDER has the 133 fields of server version 193', () => {
    const w = new FrameWriter();
    openOrder(w, {
      orderId: 5,
      clientId: 1,
      permId: 7,
      parentId: 0,
      contract: defaultContract('SPY', 0),
      action: 'BUY',
      totalQuantity: 100,
      orderType: 'LMT',
      lmtPrice: 500.1,
      auxPrice: undefined,
      tif: 'DAY',
      account: 'DU1',
      orderRef: '',
      outsideRth: false,
      status: 'Submitted',
      filled: 0,
      avgFillPrice: 0,
      lastFillPrice: 0,
    });
    const buf = w.take()!;
    const tokens = buf.toString('utf8', 4).split('\0');
    expect(tokens.pop()).toBe('');
    expect(tokens.length).toBe(133);
    expect(buf.readUInt32BE(0)).toBe(buf.length - 4);
  });

  it('FrameReader reassembles frames split anywhere and rejects bad frames', () => {
    const msgs: string[][] = [];
    const sink = { onHandshake: (v: string) => void msgs.push(['hs', v]), onMessage: (t: string[]) => void msgs.push(t) };
    const stream = Buffer.concat([handshake(), frame(['71', '2', '0', '']), frame(['49', '1'])]);
    for (let cut = 1; cut < stream.length; cut++) {
      msgs.length = 0;
      const r = new FrameReader();
      expect(r.push(stream.subarray(0, cut), sink)).toBeNull();
      expect(r.push(stream.subarray(cut), sink)).toBeNull();
      expect(msgs).toEqual([['hs', 'v100..193'], ['71', '2', '0', ''], ['49', '1']]);
    }
    const noNul = Buffer.concat([handshake(), Buffer.from([0, 0, 0, 2, 0x34, 0x39])]);
    expect(new FrameReader().push(noNul, sink)).toBe('badFrame');
    expect(new FrameReader().push(Buffer.from('XYZ\0'), sink)).toBe('badHandshake');
  });
});

function handshake(): Buffer {
  const v = Buffer.from('v100..193', 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(v.length);
  return Buffer.concat([Buffer.from('API\0', 'latin1'), len, v]);
}

function frame(fields: string[]): Buffer {
  const body = Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** A raw socket session; resolves once closed by the server or `done(messages)` holds. */
async function rawSession(
  drive: (s: net.Socket) => void | Promise<void>,
  done: (msgs: string[][]) => boolean = () => false,
): Promise<{ closed: boolean; messages: string[][] }> {
  const s = net.connect({ host: '127.0.0.1', port });
  const messages: string[][] = [];
  let closed = false;
  let pending = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      const n = pending.readUInt32BE(0);
      const toks = pending.toString('utf8', 4, 4 + n).split('\0');
      toks.pop();
      messages.push(toks);
      pending = pending.subarray(4 + n);
    }
  });
  s.on('close', () => void (closed = true));
  s.on('error', () => {});
  await new Promise<void>((r) => s.once('connect', () => r()));
  await drive(s);
  await waitFor(() => closed || done(messages), 'raw session end');
  s.destroy();
  return { closed, messages };
}
