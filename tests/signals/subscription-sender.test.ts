/**
 * The option subscription set an owner sends market-depth: at once on a change, and again every refresh
 * period unchanged (a restarted market-depth keeps no sets and relearns them from the repeats).
 */
import { describe, expect, it } from 'vitest';
import { SubscriptionSender } from '../../analytics/subscriptionSender.js';

describe('SubscriptionSender', () => {
  it('sends a changed set at once, an unchanged one only once per refresh period, the empty set too', () => {
    const s = new SubscriptionSender(10_000);
    const A = ['SPY261207C00590000'];
    const AB = ['SPY261207C00590000', 'SPY261207P00588000'];
    expect(s.due([], 0)).toEqual([]); // the first call always sends (market-depth learns the owner has none)
    expect(s.due([], 1000)).toBeNull();
    expect(s.due(A, 2000)).toEqual(A); // changed: at once
    expect(s.due(A, 11_999)).toBeNull();
    expect(s.due(A, 12_000)).toEqual(A); // unchanged, but a refresh period since the last send
    expect(s.resent).toBe(1);
    expect(s.due(AB, 12_001)).toEqual(AB);
    expect(s.due([], 12_002)).toEqual([]); // dropping every contract is a change too
    expect(s.resent).toBe(1);
  });

  it('hands out a copy: the caller may keep mutating its own list', () => {
    const s = new SubscriptionSender();
    const mine = ['QQQ261207C00510000'];
    const sent = s.due(mine, 0)!;
    mine.push('x');
    expect(sent).toEqual(['QQQ261207C00510000']);
  });
});
