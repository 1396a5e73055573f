import { describe, expect, it } from 'vitest';
import { applyEvent, newOrderRecord } from '../../actors/execution/OrderBookkeeping.js';
import { Portfolio } from '../../actors/execution/Portfolio.js';
import type { BrokerEvent } from '../../actors/execution/brokers/types.js';

const mk = () => newOrderRecord({ clientOrderId: 'c1', symbol: 'SPY', side: 'buy', qty: 100, type: 'market', tif: 'day' }, 0, 1, false);
const ev = (kind: BrokerEvent['kind'], extra: Record<string, unknown> = {}): BrokerEvent =>
  (kind === 'fill' || kind === 'partial_fill'
    ? { kind, clientOrderId: 'c1', execId: 'e1', price: 100, qty: 100, cumQty: 100, leavesQty: 0, ts: 1, ...extra }
    : { kind, clientOrderId: 'c1', ts: 1, ...extra }) as BrokerEvent;

describe('order state machine', () => {
  it('new → accepted → partially filled → filled', () => {
    const o = mk();
    expect(applyEvent(o, ev('accepted'), 1).changed).toBe(true);
    expect(o.state).toBe('accepted');
    applyEvent(o, ev('new'), 2); // a second acknowledgement changes nothing
    expect(o.state).toBe('accepted');
    expect(applyEvent(o, ev('partial_fill', { execId: 'a', qty: 40, price: 100 }), 3).fill).toEqual({ price: 100, qty: 40, execId: 'a' });
    expect(o.state).toBe('partially_filled');
    applyEvent(o, ev('fill', { execId: 'b', qty: 60, price: 101 }), 4);
    expect(o).toMatchObject({ state: 'filled', filledQty: 100, avgPrice: 100.6 });
  });

  it('out of order: fills before the acknowledgement, the acknowledgement after the fill', () => {
    const o = mk();
    applyEvent(o, ev('partial_fill', { execId: 'a', qty: 30 }), 1);
    expect(o.state).toBe('partially_filled');
    applyEvent(o, ev('fill', { execId: 'b', qty: 70 }), 2);
    expect(o.state).toBe('filled');
    expect(applyEvent(o, ev('accepted'), 3).changed).toBe(false);
    expect(applyEvent(o, ev('canceled'), 4).changed).toBe(false);
    expect(o.state).toBe('filled');
  });

  it('a fill re-delivered (same execId) counts once; a fill beyond the quantity is refused', () => {
    const o = mk();
    applyEvent(o, ev('partial_fill', { execId: 'a', qty: 50 }), 1);
    expect(applyEvent(o, ev('partial_fill', { execId: 'a', qty: 50 }), 2).changed).toBe(false);
    expect(o.filledQty).toBe(50);
    expect(applyEvent(o, ev('fill', { execId: 'z', qty: 51 }), 3).changed).toBe(false);
    expect(o.filledQty).toBe(50);
  });

  it('a fill after a cancel (the cancel lost the race) is still applied', () => {
    const o = mk();
    applyEvent(o, ev('accepted'), 1);
    applyEvent(o, ev('canceled'), 2);
    expect(o.state).toBe('cancelled');
    expect(applyEvent(o, ev('partial_fill', { execId: 'late', qty: 10 }), 3).fill?.qty).toBe(10);
    expect(o.state).toBe('cancelled');
    expect(o.filledQty).toBe(10);
  });

  it('rejected and expired are terminal', () => {
    const r = mk();
    applyEvent(r, ev('rejected', { reason: 'insufficient buying power' }), 1);
    expect(r).toMatchObject({ state: 'rejected', reason: 'insufficient buying power' });
    expect(applyEvent(r, ev('accepted'), 2).changed).toBe(false);
    const x = mk();
    applyEvent(x, ev('accepted'), 1);
    applyEvent(x, ev('expired'), 2);
    expect(x.state).toBe('expired');
  });
});

describe('portfolio P&L', () => {
  it('average cost, partial close, flip through zero', () => {
    const p = new Portfolio(1000);
    p.applyFill('SPY', 100, 10);
    p.applyFill('SPY', 100, 12); // avg 11
    expect(p.positions.get('SPY')).toMatchObject({ qty: 200, avgPrice: 11 });
    expect(p.applyFill('SPY', -50, 13)).toBe(100); // +2 × 50
    expect(p.applyFill('SPY', -200, 10)).toBe(-150); // closes 150 at −1, opens 50 short at 10
    expect(p.positions.get('SPY')).toMatchObject({ qty: -50, avgPrice: 10 });
    p.mark('SPY', 9);
    expect(p.unrealizedPnl).toBe(50);
    expect(p.realizedPnl).toBe(-50);
    expect(p.equity).toBe(1000);
    expect(p.wins).toBe(1);
    expect(p.losses).toBe(1);
  });
});
