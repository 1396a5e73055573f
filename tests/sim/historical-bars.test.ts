/**
 * History a simulated TWS serves (REQ_HISTORICAL_DATA → HISTORICAL_DATA) and what the engine makes of it:
 * the real @stoqey/ib client against the simulator, then our TwsSource, whose history must reach the
 * sink complete (whole minutes only) and strictly before the symbol's first live print.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BarSizeSetting, EventName, IBApi, SecType, WhatToShow } from '@stoqey/ib';
import { MarketModel, type SymbolSpec } from '../../sim/market/MarketModel.js';
import { HistoricalBars, MINUTE_MS } from '../../sim/market/HistoricalBars.js';
import { TwsSimulator } from '../../sim/tws/TwsSimulator.js';
import type { MarketSink } from '../../actors/market-depth/MarketSource.js';
import { makeKeeper } from '../helpers/bookkeeper.js';
import { twsOnSimulator } from '../helpers/tws-source.js';
import { waitFor } from '../helpers/redis.js';

const SYMBOLS: SymbolSpec[] = [
  { symbol: 'SPY', basePrice: 500, numRows: 10, level2: true },
  { symbol: 'AAPL', basePrice: 230, numRows: 5, level2: false },
];
const model = (startMs: number) => new MarketModel({ seed: 42, symbols: SYMBOLS, startMs, eventsPerSecond: 200 });

describe('HistoricalBars', () => {
  const start = Date.UTC(2026, 11, 7, 15, 0, 30); // mid-minute, as a real start
  const hb = new HistoricalBars(model(start), { syntheticMinutes: 100, calibrationMs: 60_000 });

  it('serves whole, consecutive minutes before the start, ending at the model start price', () => {
    const bars = hb.bars(0, 0, Infinity);
    expect(bars).toHaveLength(100);
    const firstLive = Math.floor(start / MINUTE_MS) * MINUTE_MS;
    bars.forEach((b, i) => {
      expect(b.startMs).toBe(firstLive - (100 - i) * MINUTE_MS);
      expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
      expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close));
      expect(b.volume).toBeGreaterThan(0);
      if (i > 0) expect(b.open).toBeCloseTo(bars[i - 1]!.close, 1);
    });
    expect(bars[99]!.close).toBe(500);
  });

  it('is deterministic from the seed', () => {
    const again = new HistoricalBars(model(start), { syntheticMinutes: 100, calibrationMs: 60_000 });
    expect(again.bars(1, 0, Infinity)).toEqual(hb.bars(1, 0, Infinity));
  });

  it('prepare: the same bars as the synchronous path, with the event loop running between slices', async () => {
    const sliced = new HistoricalBars(model(start), { syntheticMinutes: 100, calibrationMs: 60_000 });
    expect(sliced.ready(1)).toBe(false);
    let done = false;
    const p = Promise.all([sliced.prepare(1), sliced.prepare(1)]).then(() => (done = true));
    // the event loop turns while the calibration runs (30 slices of 2 s model time): count the turns it gave
    let turns = 0;
    while (!done) {
      await new Promise<void>((r) => setImmediate(r));
      turns++;
    }
    await p;
    expect(turns).toBeGreaterThan(10);
    expect(sliced.ready(1)).toBe(true);
    expect(sliced.bars(1, 0, Infinity)).toEqual(hb.bars(1, 0, Infinity));
  });

  it('cancel stops a calibration under way at its next slice (prepare resolves false, nothing generated)', async () => {
    const stopped = new HistoricalBars(model(start), { syntheticMinutes: 100, calibrationMs: 60_000 });
    const p = stopped.prepare(0);
    await new Promise<void>((r) => setImmediate(r));
    stopped.cancel();
    expect(await p).toBe(false);
    expect(stopped.ready(0)).toBe(false);
  });

  it('adds the live tape minute by minute, the minute in progress last', () => {
    const t = Math.floor(start / MINUTE_MS) * MINUTE_MS;
    hb.onTrade(0, t + 40_000, 500.1, 100);
    hb.onTrade(0, t + 50_000, 500.3, 200);
    hb.onTrade(0, t + 61_000, 500.2, 50);
    const live = hb.bars(0, t, Infinity);
    expect(live).toEqual([
      { startMs: t, open: 500.1, high: 500.3, low: 500.1, close: 500.3, volume: 300, wap: (500.1 * 100 + 500.3 * 200) / 300, count: 2 },
      { startMs: t + MINUTE_MS, open: 500.2, high: 500.2, low: 500.2, close: 500.2, volume: 50, wap: 500.2, count: 1 },
    ].map((b) => ({ ...b, wap: Math.round(b.wap * 1e6) / 1e6 })));
    expect(hb.bars(0, 0, t)).toHaveLength(100);
  });
});

describe('REQ_HISTORICAL_DATA through @stoqey/ib', () => {
  const sim = new TwsSimulator({ model: model(Date.now()) });
  let ib: IBApi;
  const rows = new Map<number, unknown[][]>();
  const errors: { reqId: number; code: number; message: string }[] = [];

  beforeAll(async () => {
    const { port } = await sim.start();
    ib = new IBApi({ host: '127.0.0.1', port, clientId: 7 });
    ib.on(EventName.historicalData, (reqId: number, ...rest: unknown[]) => {
      if (!rows.has(reqId)) rows.set(reqId, []);
      rows.get(reqId)!.push(rest);
    });
    ib.on(EventName.error, (err: Error, code: number, reqId: number) => errors.push({ reqId, code, message: err.message }));
    const ready = new Promise<void>((r) => ib.once(EventName.nextValidId, () => r()));
    ib.connect();
    await ready;
  });
  afterAll(async () => {
    ib.disconnect();
    await sim.stop();
  });

  const stk = (symbol: string) => ({ symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD' });

  it('two sessions of 1-minute TRADES bars, epoch-second dates, then the end marker', async () => {
    ib.reqHistoricalData(1, stk('SPY'), '', '2 D', BarSizeSetting.MINUTES_ONE, WhatToShow.TRADES, 1, 2, false);
    await waitFor(() => rows.get(1)?.some((r) => String(r[0]).startsWith('finished')) ?? false, 20_000, 'history of SPY');
    const bars = rows.get(1)!.filter((r) => !String(r[0]).startsWith('finished'));
    // 780 minutes ending with the minute in progress (the synthetic part plus the live one)
    expect(bars.length).toBeGreaterThanOrEqual(779); // 780 unless no print yet in the minute just begun
    expect(bars.length).toBeLessThanOrEqual(780);
    const starts = bars.map((r) => Number(r[0]));
    starts.forEach((s, i) => i > 0 && expect(s - starts[i - 1]!).toBe(60));
    const [, open, high, low, close, volume] = bars[0]!;
    expect([open, high, low, close].every((x) => typeof x === 'number' && x > 0)).toBe(true);
    expect(volume).toBeGreaterThan(0);
  });

  it('a bar size, duration or data type it does not serve is answered with the venue\'s error', async () => {
    ib.reqHistoricalData(2, stk('SPY'), '', '2 D', BarSizeSetting.MINUTES_FIVE, WhatToShow.TRADES, 1, 2, false);
    ib.reqHistoricalData(3, stk('SPY'), '', 'two days', BarSizeSetting.MINUTES_ONE, WhatToShow.TRADES, 1, 2, false);
    ib.reqHistoricalData(4, stk('SPY'), '', '1 D', BarSizeSetting.MINUTES_ONE, WhatToShow.BID, 1, 2, false);
    ib.reqHistoricalData(5, stk('XYZ'), '', '1 D', BarSizeSetting.MINUTES_ONE, WhatToShow.TRADES, 1, 2, false);
    await waitFor(() => [2, 3, 4, 5].every((id) => errors.some((e) => e.reqId === id)), 20_000, 'four refusals');
    const code = (id: number) => errors.find((e) => e.reqId === id)!.code;
    expect([code(2), code(3), code(4), code(5)]).toEqual([162, 321, 162, 200]);
    expect(rows.has(2) || rows.has(3) || rows.has(4) || rows.has(5)).toBe(false);
  });
});

describe('TwsSource: history before the live feed', () => {
  const { keeper, config, clock } = makeKeeper();
  config.symbols = SYMBOLS.map((s) => ({ ...s })) as typeof config.symbols;
  config.venues.tws.history.sessions = 1;
  const sim = new TwsSimulator({ model: model(Date.now()) });
  const history = [0, 0];
  const ended = [false, false];
  const tradesBeforeEnd = [0, 0];
  let lastStart = [-Infinity, -Infinity];
  let unordered = 0;
  let liveTrades = 0;
  const sink: MarketSink = {
    depth: (...a) => keeper.depth(...a),
    trade: (s, ...rest) => {
      if (!ended[s]) tradesBeforeEnd[s]!++;
      liveTrades++;
      keeper.trade(s, ...rest);
    },
    quote: (...a) => keeper.quote(...a),
    bar: (...a) => keeper.bar(...a),
    historyBar: (s, startMs) => {
      if (startMs <= lastStart[s]!) unordered++;
      lastStart[s] = startMs;
      history[s]!++;
    },
    historyEnd: (s) => (ended[s] = true),
    reset: (s) => keeper.reset(s),
    connection: (up, d) => keeper.connection(up, d),
    endOfBatch: () => keeper.endOfBatch(),
  };

  const tws = twsOnSimulator(sim, config, clock, sink);

  it('every symbol gets its session of whole minutes, in order, before its first live print', async () => {
    await waitFor(() => ended.every(Boolean) && liveTrades > 50, 30_000, 'history then live trades');
    // one session = 390 minutes; the minute in progress is not whole, so 389 or 390 of the 391 sent
    for (const n of history) expect(n).toBeGreaterThanOrEqual(389);
    for (const n of history) expect(n).toBeLessThanOrEqual(390);
    expect(unordered).toBe(0);
    expect(tradesBeforeEnd).toEqual([0, 0]);
    expect(tws().metrics.history).toMatchObject({ requests: 1, failed: 0, timedOut: 0 });
    expect(tws().metrics.history.bars).toBe(history[0]! + history[1]!);
  });
});
