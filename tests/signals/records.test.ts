import { SimulatedSessionClock } from '../../engine/clock/index.js';
import { describe, expect, it } from 'vitest';
import { parseColdInput } from '../../actors/signals/coldInputs.js';
import { toRecord } from '../../actors/signals/SignalRecord.js';
import { signalWrites, SIGNALS_STREAM_MAXLEN } from '../../actors/publisher/SignalKeys.js';

describe('cold inputs', () => {
  it('unusual activity and sentiment, as the options actor publishes them', () => {
    const u = parseColdInput('options:{SPY}:unusual', { symbol: 'SPY', contracts: [{ id: 'x', expiration: '2026-12-16', strike: 590, type: 'call', volume: 10, oi: 2, ratio: 5 }, { type: 'swap' }, 7] });
    expect(u).toEqual({ kind: 'unusual', symbol: 'SPY', contracts: [{ expiration: '2026-12-16', type: 'call', volume: 10, ratio: 5 }] });
    expect(parseColdInput('sentiment:{QQQ}', JSON.stringify({ score: 0.2, relevanceWeighted: null }))).toEqual({ kind: 'sentiment', symbol: 'QQQ', score: 0.2 });
    expect(parseColdInput('sentiment:{QQQ}', { score: 0.2, relevanceWeighted: -0.4 })).toEqual({ kind: 'sentiment', symbol: 'QQQ', score: -0.4 });
  });

  it('malformed values are bad (counted by the actor), other keys ignored', () => {
    expect(parseColdInput('options:{SPY}:unusual', '{not json')).toEqual({ kind: 'bad', key: 'options:{SPY}:unusual', why: 'not JSON' });
    expect(parseColdInput('options:{SPY}:unusual', { rows: [] })).toEqual({ kind: 'bad', key: 'options:{SPY}:unusual', why: 'no contracts array' });
    expect(parseColdInput('sentiment:{SPY}', 42)).toMatchObject({ kind: 'bad' });
    expect(parseColdInput('market:{SPY}:book', {})).toBeNull();
  });
});

describe('publisher: signal keys', () => {
  const rec = toRecord({
    strategy: 1, name: '0DTE', symbol: 'SPY', signalId: 99, slot: 3, date: '2026-12-02', direction: -1, confidence: 0.4, price: 590,
    target: NaN, stop: NaN, nowMs: 1_000_000, expiresMs: 1_000_000 + 600_000, inputs: { spot: 590 },
  }, 5_000, new SimulatedSessionClock({ engineStartMs: 0, speed: 120 }));

  it('latest key with a TTL until the expiry on the wall, and a capped stream entry', () => {
    expect(rec.expiresAtWallMs).toBe(5_000 + 5_000); // 600 session seconds at 120× = 5 wall seconds
    const w = signalWrites(rec, 6_000)!;
    expect(w.key).toBe('signals:{SPY}:latest');
    expect(w.ttlMs).toBe(4_000);
    expect(JSON.parse(w.value)).toMatchObject({ strategy: '0DTE', direction: 'short', confidence: 0.4, signalId: 99, target: null, inputs: { spot: 590 } });
    expect(w.stream).toMatchObject({ stream: 'signals:stream', maxLen: SIGNALS_STREAM_MAXLEN, fields: { symbol: 'SPY', strategy: '0DTE', signalId: 99 } });
    expect(signalWrites(rec, 99_000)!.ttlMs).toBe(1); // already expired: the shortest TTL, never a persistent key
  });

  it('malformed records are refused', () => {
    expect(signalWrites(null, 0)).toBeNull();
    expect(signalWrites({ ...rec, confidence: 2 }, 0)).toBeNull();
    expect(signalWrites({ ...rec, direction: 'up' }, 0)).toBeNull();
    expect(signalWrites({ ...rec, symbol: 'spy; DEL x' }, 0)).toBeNull();
  });
});
