/**
 * Alpha Vantage answers almost everything with HTTP 200; what happened is in the body's keys.
 *
 * - `Error Message`: a bad function, symbol or key. Retrying cannot help.
 * - `Note` (legacy) and `Information`: throttling, except two `Information` variants that are really
 *   configuration errors: a premium endpoint on a free key, and the demo key. Those are fatal too.
 */

export type ThrottleVariant = 'note' | 'burst' | 'daily' | 'information';
export type FatalVariant = 'error' | 'premium' | 'demo';

export type ResponseClass =
  | { kind: 'ok' }
  | { kind: 'throttled'; variant: ThrottleVariant; message: string }
  | { kind: 'fatal'; variant: FatalVariant; message: string };

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function classifyResponse(body: unknown): ResponseClass {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { kind: 'ok' };
  const o = body as Record<string, unknown>;
  if ('Error Message' in o) return { kind: 'fatal', variant: 'error', message: text(o['Error Message']) };
  if ('Note' in o) return { kind: 'throttled', variant: 'note', message: text(o.Note) };
  if ('Information' in o) {
    const message = text(o.Information);
    if (/premium endpoint/i.test(message)) return { kind: 'fatal', variant: 'premium', message };
    if (/\bdemo\b/i.test(message)) return { kind: 'fatal', variant: 'demo', message };
    // The burst text also mentions the daily cap, so test for it first.
    if (/sparingly|per second|per minute|call frequency/i.test(message)) return { kind: 'throttled', variant: 'burst', message };
    if (/per day|daily/i.test(message)) return { kind: 'throttled', variant: 'daily', message };
    return { kind: 'throttled', variant: 'information', message };
  }
  return { kind: 'ok' };
}
