/**
 * The console's actions: each HTTP body validated into one operator command (the same commands the CLI sends
 * to execution through `engine:commands`), or refused with a reason that names the field. Pure: no I/O.
 */

/** A command for execution: string fields, as they travel in the Redis stream. */
export type ActionCommand = Record<string, string> & { action: string };

export type Parsed = { ok: true; cmd: ActionCommand } | { ok: false; error: string };

/** Typed confirmations for the destructive actions (the kill switch has its own, `KILL`). */
export const CONFIRM = { flatten: 'FLATTEN', cancelAll: 'CANCEL ALL', reset: 'RESET', clear: 'CLEAR' } as const;

const STRATEGIES = ['0DTE', '1DTE', '14DTE', 'MOC'];
const SYMBOL = /^[A-Z][A-Z0-9.]{0,9}$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CID = /^[A-Za-z0-9_.-]{1,128}$/;

const fail = (error: string): Parsed => ({ ok: false, error });

/** Control characters out, trimmed, 3–500 characters: every action on the book carries a reason a person wrote. */
function reasonOf(v: unknown, required = true): string | null | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') return null;
  const r = v.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return r.length >= 3 && r.length <= 500 ? r : null;
}

export function parseAction(path: string, body: unknown, isSymbol: (s: string) => boolean): Parsed {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return fail('body must be a JSON object');
  const b = body as Record<string, unknown>;
  switch (path) {
    case '/api/orders': {
      if (typeof b.symbol !== 'string' || !SYMBOL.test(b.symbol) || !isSymbol(b.symbol)) return fail('symbol: one of the engine\'s symbols');
      if (b.side !== 'buy' && b.side !== 'sell') return fail('side: buy or sell');
      if (typeof b.qty !== 'number' || !Number.isInteger(b.qty) || b.qty < 1 || b.qty > 1_000_000) return fail('qty: a whole number from 1 to 1,000,000');
      const type = b.type ?? 'market';
      if (type !== 'market' && type !== 'limit') return fail('type: market or limit');
      if (type === 'limit' && !(typeof b.limitPrice === 'number' && Number.isFinite(b.limitPrice) && b.limitPrice > 0)) return fail('limitPrice: a positive price for a limit order');
      if (type === 'market' && b.limitPrice !== undefined) return fail('limitPrice: only for a limit order');
      if (typeof b.requestId !== 'string' || !REQUEST_ID.test(b.requestId)) return fail('requestId: 1-64 letters, digits, - or _ (one per submission: the idempotency key)');
      const cmd: ActionCommand = { action: 'order', id: `req-${b.requestId}`, symbol: b.symbol, side: b.side, qty: String(b.qty), type: String(type), reason: 'manual order from the console' };
      if (type === 'limit') cmd.limitPrice = String(b.limitPrice);
      return { ok: true, cmd };
    }
    case '/api/orders/cancel': {
      const reason = reasonOf(b.reason, false);
      if (reason === null) return fail('reason: 3 to 500 characters');
      if (b.all === true) {
        if (b.confirm !== CONFIRM.cancelAll) return fail(`confirm: type "${CONFIRM.cancelAll}" to cancel every working order of the engine`);
        return { ok: true, cmd: { action: 'cancel', all: '1', reason: reason ?? 'cancel all from the console' } };
      }
      if (typeof b.clientOrderId !== 'string' || !CID.test(b.clientOrderId)) return fail('clientOrderId: the order to cancel (or "all": true)');
      return { ok: true, cmd: { action: 'cancel', cid: b.clientOrderId, reason: reason ?? 'cancel from the console' } };
    }
    case '/api/flatten': {
      const reason = reasonOf(b.reason);
      if (!reason) return fail('reason: 3 to 500 characters');
      if (b.confirm !== CONFIRM.flatten) return fail(`confirm: type "${CONFIRM.flatten}"`);
      if (b.symbol !== undefined) {
        if (typeof b.symbol !== 'string' || !isSymbol(b.symbol)) return fail('symbol: one of the engine\'s symbols (or none: everything the engine owns)');
        return { ok: true, cmd: { action: 'flatten', symbol: b.symbol, reason } };
      }
      return { ok: true, cmd: { action: 'flatten', reason } };
    }
    case '/api/breaker': {
      const reason = reasonOf(b.reason);
      if (!reason) return fail('reason: 3 to 500 characters');
      if (b.action !== 'trip' && b.action !== 'approve' && b.action !== 'reset') return fail('action: trip, approve or reset');
      if (b.action === 'reset' && b.confirm !== CONFIRM.reset) return fail(`confirm: type "${CONFIRM.reset}" (a reset re-opens trading at once)`);
      return { ok: true, cmd: { action: `breaker-${b.action}`, reason } };
    }
    case '/api/escalation/clear': {
      const reason = reasonOf(b.reason);
      if (!reason) return fail('reason: 3 to 500 characters');
      if (b.confirm !== CONFIRM.clear) return fail(`confirm: type "${CONFIRM.clear}"`);
      return { ok: true, cmd: { action: 'escalation-clear', reason } };
    }
    case '/api/strategies': {
      const reason = reasonOf(b.reason);
      if (!reason) return fail('reason: 3 to 500 characters');
      if (typeof b.strategy !== 'string' || !STRATEGIES.includes(b.strategy)) return fail(`strategy: one of ${STRATEGIES.join(', ')}`);
      if (typeof b.enabled !== 'boolean') return fail('enabled: true or false');
      return { ok: true, cmd: { action: 'strategy', strategy: b.strategy, enabled: String(b.enabled), reason } };
    }
    default:
      return fail('no such action');
  }
}

export const ACTION_PATHS = ['/api/orders', '/api/orders/cancel', '/api/flatten', '/api/breaker', '/api/escalation/clear', '/api/strategies'] as const;

/**
 * Actions per remote address: a burst of `burst`, then one per `refillMs`. A script that loops on an action
 * gets 429, not a queue of orders.
 */
export class ActionRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly burst = 10, private readonly refillMs = 500) {}

  take(remote: string, nowMs = Date.now()): boolean {
    let b = this.buckets.get(remote);
    if (!b) {
      if (this.buckets.size > 10_000) this.buckets.clear(); // bounded: a scan of addresses cannot grow it
      this.buckets.set(remote, (b = { tokens: this.burst, at: nowMs }));
    }
    b.tokens = Math.min(this.burst, b.tokens + (nowMs - b.at) / this.refillMs);
    b.at = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
