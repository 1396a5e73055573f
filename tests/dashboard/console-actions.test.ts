import { describe, expect, it } from 'vitest';
import { ActionRateLimiter, CONFIRM, parseAction } from '../../actors/dashboard/consoleActions.js';

const isSymbol = (s: string) => ['SPY', 'QQQ'].includes(s);

describe('console actions: one command per body, the field named on a refusal', () => {
  it('a manual order: requestId becomes the command id (the idempotency key)', () => {
    expect(parseAction('/api/orders', { symbol: 'SPY', side: 'buy', qty: 10, type: 'market', requestId: 'r1' }, isSymbol))
      .toEqual({ ok: true, cmd: { action: 'order', id: 'req-r1', symbol: 'SPY', side: 'buy', qty: '10', type: 'market', reason: 'manual order from the console' } });
    expect(parseAction('/api/orders', { symbol: 'SPY', side: 'sell', qty: 5, type: 'limit', limitPrice: 590.5, requestId: 'r2' }, isSymbol))
      .toMatchObject({ ok: true, cmd: { type: 'limit', limitPrice: '590.5' } });
  });

  it.each([
    [{ symbol: 'TSLA', side: 'buy', qty: 1, requestId: 'a' }, /^symbol/],
    [{ symbol: 'SPY', side: 'hold', qty: 1, requestId: 'a' }, /^side/],
    [{ symbol: 'SPY', side: 'buy', qty: 1.5, requestId: 'a' }, /^qty/],
    [{ symbol: 'SPY', side: 'buy', qty: 0, requestId: 'a' }, /^qty/],
    [{ symbol: 'SPY', side: 'buy', qty: 1, type: 'stop', requestId: 'a' }, /^type/],
    [{ symbol: 'SPY', side: 'buy', qty: 1, type: 'limit', requestId: 'a' }, /^limitPrice/],
    [{ symbol: 'SPY', side: 'buy', qty: 1, limitPrice: 5, requestId: 'a' }, /^limitPrice: only/],
    [{ symbol: 'SPY', side: 'buy', qty: 1 }, /^requestId/],
    [{ symbol: 'SPY', side: 'buy', qty: 1, requestId: 'a b' }, /^requestId/],
  ])('order %j refused: %s', (body, re) => {
    const p = parseAction('/api/orders', body, isSymbol);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.error).toMatch(re);
  });

  it('destructive actions need their typed confirmation and a reason', () => {
    expect(parseAction('/api/flatten', { reason: 'risk off' }, isSymbol)).toMatchObject({ ok: false, error: expect.stringMatching(/FLATTEN/) });
    expect(parseAction('/api/flatten', { reason: 'risk off', confirm: CONFIRM.flatten, symbol: 'QQQ' }, isSymbol)).toEqual({ ok: true, cmd: { action: 'flatten', symbol: 'QQQ', reason: 'risk off' } });
    expect(parseAction('/api/breaker', { action: 'reset', reason: 'ok now' }, isSymbol)).toMatchObject({ ok: false, error: expect.stringMatching(/RESET/) });
    expect(parseAction('/api/breaker', { action: 'trip', reason: 'x' }, isSymbol)).toMatchObject({ ok: false, error: expect.stringMatching(/^reason/) });
    expect(parseAction('/api/breaker', { action: 'trip', reason: 'news\nout' }, isSymbol)).toEqual({ ok: true, cmd: { action: 'breaker-trip', reason: 'news out' } });
    expect(parseAction('/api/orders/cancel', { all: true }, isSymbol)).toMatchObject({ ok: false, error: expect.stringMatching(/CANCEL ALL/) });
    expect(parseAction('/api/escalation/clear', { reason: 'fixed', confirm: 'CLEAR' }, isSymbol)).toEqual({ ok: true, cmd: { action: 'escalation-clear', reason: 'fixed' } });
    expect(parseAction('/api/strategies', { strategy: '7DTE', enabled: true, reason: 'why not' }, isSymbol)).toMatchObject({ ok: false, error: expect.stringMatching(/^strategy/) });
    expect(parseAction('/api/orders', [1, 2], isSymbol)).toMatchObject({ ok: false, error: 'body must be a JSON object' });
  });

  it('the rate limiter: a burst, then one per interval, per address', () => {
    const l = new ActionRateLimiter(3, 500);
    expect([l.take('a', 0), l.take('a', 0), l.take('a', 0), l.take('a', 0)]).toEqual([true, true, true, false]);
    expect(l.take('b', 0)).toBe(true);
    expect(l.take('a', 499)).toBe(false);
    expect(l.take('a', 500)).toBe(true);
  });
});
