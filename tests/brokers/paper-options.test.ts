/**
 * Issue 11, paper venue: option cash, equity and margin move by premium × 100; an option position is settled
 * at its expiry close (in the money by ≥ $0.01: intrinsic × 100 per contract, cash-settled; else worthless).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { option } from '../../analytics/instrument.js';
import { PaperBroker, type PaperBook } from '../../actors/execution/brokers/PaperBroker.js';
import type { BrokerEvent } from '../../actors/execution/brokers/types.js';
import { kinds, waitFor } from './helpers.js';

const CALL = option('SPY', '2026-12-07', 'C', 590);
const PUT = option('SPY', '2026-12-07', 'P', 588);
const brokers: PaperBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

function setup(books: Record<string, PaperBook>, clock: { ms: number }) {
  const b = new PaperBroker({ book: (s) => books[s], slippageBps: 0, pollMs: 5, nowMs: () => clock.ms, startingCash: 100_000, sessionClose: () => Date.parse('2026-12-07T21:00:00Z') });
  brokers.push(b);
  const events: BrokerEvent[] = [];
  b.onEvent((e) => events.push(e));
  return { b, events };
}
const lvl = (px: number, size = 100): [number, number][] => [[px, size]];

describe('PaperBroker with option contracts', () => {
  it('premium × 100 in cash, realised P&L and equity; option value counts whole in the margin', async () => {
    const clock = { ms: Date.parse('2026-12-07T15:00:00Z') };
    const books: Record<string, PaperBook> = { [CALL.occ]: { bids: lvl(1.4), asks: lvl(1.5) }, SPY: { bids: lvl(589.99), asks: lvl(590.01) } };
    const { b, events } = setup(books, clock);
    await b.connect();
    await b.place({ clientOrderId: 'o1', symbol: CALL.occ, instrument: CALL, side: 'buy', qty: 2, type: 'limit', limitPrice: 1.5, tif: 'day' });
    await waitFor(() => kinds(events, 'o1').includes('fill'), 'option buy filled');
    let a = await b.account();
    expect(a.cash).toBeCloseTo(100_000 - 2 * 1.5 * 100, 9);
    expect(a.equity).toBeCloseTo(a.cash + 2 * 1.45 * 100, 9); // marked at the quote's mid × 100
    expect(a.initialMargin).toBeCloseTo(2 * 1.45 * 100, 9); // premium is not marginable
    expect(await b.positions()).toEqual([{ symbol: CALL.occ, instrument: CALL, qty: 2, avgPrice: 1.5 }]);
    books[CALL.occ] = { bids: lvl(2.0), asks: lvl(2.1) };
    await b.place({ clientOrderId: 'o2', symbol: CALL.occ, instrument: CALL, side: 'sell', qty: 2, type: 'limit', limitPrice: 2.0, tif: 'day' });
    await waitFor(() => kinds(events, 'o2').includes('fill'), 'option sell filled');
    a = await b.account();
    expect(b.realizedPnl(CALL.occ)).toBeCloseTo((2.0 - 1.5) * 2 * 100, 9);
    expect(a.cash).toBeCloseTo(100_000 + 100, 9);
    expect(a.equity).toBeCloseTo(100_100, 9);
  });

  it('at the expiry close: an ITM call settles at intrinsic × 100, an OTM put expires worthless, both leave the account', async () => {
    const clock = { ms: Date.parse('2026-12-07T15:00:00Z') };
    const books: Record<string, PaperBook> = {
      [CALL.occ]: { bids: lvl(1.0), asks: lvl(1.1) }, [PUT.occ]: { bids: lvl(0.5), asks: lvl(0.6) }, SPY: { bids: lvl(592.49), asks: lvl(592.51) },
    };
    const { b, events } = setup(books, clock);
    await b.connect();
    await b.place({ clientOrderId: 'c', symbol: CALL.occ, instrument: CALL, side: 'buy', qty: 3, type: 'limit', limitPrice: 1.1, tif: 'day' });
    await b.place({ clientOrderId: 'p', symbol: PUT.occ, instrument: PUT, side: 'buy', qty: 1, type: 'limit', limitPrice: 0.6, tif: 'day' });
    await waitFor(() => kinds(events, 'c').includes('fill') && kinds(events, 'p').includes('fill'), 'both filled');
    const cash0 = (await b.account()).cash;
    expect(cash0).toBeCloseTo(100_000 - 330 - 60, 9);
    // still trading a minute before the close: nothing settles
    clock.ms = Date.parse('2026-12-07T20:59:00Z');
    expect(b.settleExpired()).toBe(0);
    expect((await b.positions()).length).toBe(2);
    clock.ms = Date.parse('2026-12-07T21:00:00Z'); // 16:00 New York
    const pos = await b.positions(); // the next read after the close sees the settlement
    expect(pos).toEqual([]);
    expect(b.expiries.map((e) => [e.symbol, e.qty, e.price])).toEqual([[CALL.occ, 3, 2.5], [PUT.occ, 1, 0]]);
    const a = await b.account();
    expect(a.cash).toBeCloseTo(cash0 + 3 * 2.5 * 100, 9);
    expect(b.realizedPnl(CALL.occ)).toBeCloseTo((2.5 - 1.1) * 3 * 100, 9);
    expect(b.realizedPnl(PUT.occ)).toBeCloseTo(-0.6 * 100, 9);
    expect(b.settleExpired()).toBe(0); // once
  });

  it('a short ITM option is assigned: its intrinsic value is paid; without an underlying price it waits (counted)', async () => {
    const clock = { ms: Date.parse('2026-12-07T15:00:00Z') };
    const books: Record<string, PaperBook> = { [PUT.occ]: { bids: lvl(2.0), asks: lvl(2.1) } };
    const { b, events } = setup(books, clock);
    await b.connect();
    await b.place({ clientOrderId: 's', symbol: PUT.occ, instrument: PUT, side: 'sell', qty: 1, type: 'limit', limitPrice: 2.0, tif: 'day' });
    await waitFor(() => kinds(events, 's').includes('fill'), 'short filled');
    clock.ms = Date.parse('2026-12-07T21:00:01Z');
    expect(b.settleExpired()).toBe(0); // no SPY book
    expect(b.expiryWaits).toBe(1);
    books.SPY = { bids: lvl(585.0), asks: lvl(585.0) };
    expect(b.settleExpired()).toBe(1);
    expect(b.expiries[0]).toMatchObject({ symbol: PUT.occ, qty: -1, price: 3, underlyingPrice: 585 });
    expect((await b.account()).cash).toBeCloseTo(100_000 + 200 - 300, 9);
  });
});
