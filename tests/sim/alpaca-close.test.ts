/**
 * The Alpaca simulator's exchange on a session clock (a fake clock function, as the engine's session clock
 * is a pure function): CLS orders fill by themselves at the close at the last mid seen before it, DAY orders
 * expire at it, GTC orders stay; and the ack/fill latency knobs keep an order `accepted`, then fill it in
 * slices.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NYSE } from '../../analytics/calendar.js';
import { AlpacaExchange, type SimOrder } from '../../sim/alpaca/AlpacaExchange.js';
import { waitFor } from '../brokers/helpers.js';

const exchanges: AlpacaExchange[] = [];
afterEach(() => {
  for (const x of exchanges.splice(0)) x.stop();
});

function exchange(extra: Partial<ConstructorParameters<typeof AlpacaExchange>[0]>, quote: { bid: number; ask: number }) {
  const x = new AlpacaExchange({
    quote: () => quote, nowMs: Date.now, fillDelayMs: 1, pollMs: 2, maxChunk: 1_000, slippagePerChunk: 0, startingCash: 1_000_000,
    multiplier: 4, enforceHours: false, ...extra,
  });
  exchanges.push(x);
  const events: [string, string][] = [];
  x.onTransition((e, o) => events.push([o.clientOrderId, e]));
  return { x, events, of: (c: string) => events.filter(([id]) => id === c).map(([, e]) => e) };
}

describe('AlpacaExchange: the close on a session clock', () => {
  it('CLS fills once at the last mid before the close; DAY expires; GTC stays', async () => {
    let now = Date.UTC(2025, 0, 2, 20, 30); // 15:30 New York, close 16:00
    const quote = { bid: 100, ask: 100.1 };
    const { x, of } = exchange({ nowMs: () => now, sessionClose: (n) => NYSE.nextCloseMs(n) }, quote);
    x.submit({ symbol: 'SPY', side: 'buy', type: 'market', time_in_force: 'cls', qty: '7', client_order_id: 'cls' });
    x.submit({ symbol: 'SPY', side: 'buy', type: 'limit', limit_price: '1', time_in_force: 'day', qty: '1', client_order_id: 'day' });
    x.submit({ symbol: 'SPY', side: 'buy', type: 'limit', limit_price: '1', time_in_force: 'gtc', qty: '1', client_order_id: 'gtc' });
    await waitFor(() => of('day').includes('new') && of('gtc').includes('new'), 'new');
    quote.bid = 101;
    quote.ask = 101.2;
    await waitFor(() => x.orders.get(x.byClientId.get('cls') as string)?.closeMid === 101.1, 'a mid sampled before the close');
    expect(of('cls')).not.toContain('fill');
    // The session clock passes the close (the simulated clock jumps to the next open) onto another quote.
    quote.bid = 120;
    quote.ask = 120.2;
    now = Date.UTC(2025, 0, 3, 14, 30);
    await waitFor(() => of('cls').includes('fill') && of('day').includes('expired'), 'the close');
    const cls = x.orders.get(x.byClientId.get('cls') as string) as SimOrder;
    expect(cls).toMatchObject({ status: 'filled', filledQty: 7 });
    expect(cls.filledValue / cls.filledQty).toBeCloseTo(101.1, 9);
    expect(of('gtc')).toEqual(['new']);
  });

  it('ack latency keeps an order accepted; fill slices split it', async () => {
    let wall = 0;
    const { x, of } = exchange({ wallMs: () => wall, ackMs: 100, fillMs: 10, fillSlices: 4 }, { bid: 50, ask: 50.02 });
    x.submit({ symbol: 'SPY', side: 'buy', type: 'market', time_in_force: 'day', qty: '8', client_order_id: 'lat' });
    await new Promise((r) => setTimeout(r, 20)); // several poll steps on a wall clock that stands still
    expect(of('lat')).toEqual([]);
    wall = 100;
    await waitFor(() => of('lat').includes('new'), 'new');
    expect(of('lat')).toEqual(['new']);
    for (let i = 1; i <= 4; i++) {
      wall += 10;
      await waitFor(() => of('lat').length === 1 + i, `step ${i}`);
    }
    expect(of('lat')).toEqual(['new', 'partial_fill', 'partial_fill', 'partial_fill', 'fill']);
  });
});
