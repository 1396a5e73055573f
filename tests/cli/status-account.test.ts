/** `alphatrader status`: the broker account line and the preservation-mode line (pure formatting). */
import { describe, expect, it } from 'vitest';
import { accountLine, preopenLine, statusText } from '../../cli/status.js';

const account = { broker: 'ibkr', accountId: 'DU123456', currency: 'USD', equity: 1_000_123.4, cash: 900_000, buyingPower: 3_600_000, optionsBuyingPower: 875_000, initialMargin: 25_000, maintenanceMargin: 25_000, readAt: Date.now() - 3000, readMs: 48 };

describe('status: account and preservation', () => {
  it('the account line names the broker, the account and every figure; none read says entries are refused', () => {
    expect(accountLine(account)).toMatch(/^account ibkr DU123456: equity 1,000,123 USD, cash 900,000, buying power 3,600,000, options BP 875,000, margin 25,000 init \/ 25,000 maint \(read 48 ms, [34] s ago\)$/);
    expect(accountLine(null)).toMatch(/^account: not read .*entries refused until it is$/);
  });

  it('preservation mode is a line of its own, right under the header', () => {
    const st = {
      pid: 1, mode: 'simulated', uptimeMs: 1000, statusAgeMs: 5, redisUp: true, escalated: false, actors: [], rings: [], positions: [], openOrders: [], pnl: null,
      breaker: { state: 'closed', reason: null, ts: null }, strategies: null, halt: null, drift: null, account,
      preservation: { active: true, since: Date.parse('2026-06-01T14:00:00Z'), reason: '3 consecutive broker errors (last: TWS did not answer account summary in time)', consecutiveErrors: 3, lastError: 'x' },
    };
    const lines = statusText(st as never).split('\n');
    expect(lines[1]).toBe('PRESERVATION MODE since 2026-06-01T14:00:00.000Z: no new entries, exits allowed (3 consecutive broker errors (last: TWS did not answer account summary in time))');
    expect(lines[2]).toMatch(/^account ibkr DU123456/);
  });
});

describe('status: pre-open', () => {
  const check = (name: string, ok: boolean, blocking: boolean, detail: string) => ({ name, ok, skipped: false, blocking, detail });
  it('passed with what only warns; failed names the block', () => {
    expect(preopenLine({ date: '2026-12-07', ok: true, blockedReason: null, checks: [check('redis', true, true, 'ok'), check('discovery', false, false, 'no discovery:correlation')] }))
      .toBe('pre-open 2026-12-07: passed (warnings: discovery: no discovery:correlation)');
    expect(preopenLine({ date: '2026-12-07', ok: false, blockedReason: 'pre-open check failed: data: stale: SPY', checks: [check('data', false, true, 'stale: SPY')] }))
      .toBe('pre-open 2026-12-07: FAILED, new entries blocked (pre-open check failed: data: stale: SPY)');
    expect(preopenLine(null)).toBeNull();
  });
});
