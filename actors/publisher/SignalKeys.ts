import type { StreamAppend } from '../../engine/runtime/ColdMessage.js';

/** The signals stream is capped: a record of recent signals, not an archive (the order journal is that). */
export const SIGNALS_STREAM = 'signals:stream';
export const SIGNALS_STREAM_MAXLEN = 10_000;

export interface SignalWrites {
  key: string;
  value: string;
  ttlMs: number;
  stream: StreamAppend;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A signal record from the signals actor (cold topic 'signal', actors/signals/SignalRecord.ts) → the
 * latest key `signals:{SYM}:latest` (TTL until the signal's expiry, at least 1 ms) and one entry of
 * `signals:stream`. Null for a malformed record (the caller counts it).
 */
export function signalWrites(rec: unknown, wallNowMs: number): SignalWrites | null {
  if (!isObj(rec)) return null;
  const { symbol, strategy, direction, confidence, signalId, expiry, expiresAtWallMs, ts } = rec;
  if (typeof symbol !== 'string' || !/^[A-Z][A-Z0-9.]{0,9}$/.test(symbol) || typeof strategy !== 'string') return null;
  if (direction !== 'long' && direction !== 'short') return null;
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1) || typeof signalId !== 'number') return null;
  if (typeof expiry !== 'number' || typeof expiresAtWallMs !== 'number' || typeof ts !== 'number') return null;
  const ttlMs = Math.max(1, Math.round(expiresAtWallMs - wallNowMs));
  const value = JSON.stringify(rec);
  return {
    key: `signals:{${symbol}}:latest`,
    value,
    ttlMs,
    stream: {
      stream: SIGNALS_STREAM,
      maxLen: SIGNALS_STREAM_MAXLEN,
      fields: { symbol, strategy, direction, confidence, signalId, expiry, ts, record: value },
    },
  };
}
