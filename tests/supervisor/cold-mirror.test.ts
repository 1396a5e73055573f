/**
 * Which actors get a copy of a publish (engine/supervisor/ColdMirror.ts, decision 128): signals, on the hot
 * thread, only the keys it reads; and the keys it reads are exactly those SignalsCore applies.
 */
import { describe, expect, it } from 'vitest';
import { SignalsCore } from '../../actors/signals/SignalsCore.js';
import { signalsReadsKey } from '../../actors/signals/readsKey.js';
import { WallClock } from '../../engine/clock/index.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { mirrorsPublish } from '../../engine/supervisor/ColdMirror.js';

const row = { id: 'SPY261207C590', expiration: '2026-12-07', strike: 590, type: 'call', bid: 1, ask: 1.1, bidSize: 10, askSize: 12, oi: 500 };
// a valid value for each key family signals applies, and keys other actors publish that it does not read
const READ: [string, unknown][] = [
  ['signals:strategies', { zeroDte: false }],
  ['options:{SPY}:chain', { symbol: 'SPY', contracts: [row] }],
  ['options:{SPY}:greeks', { symbol: 'SPY', contracts: [{ id: row.id, delta: 0.5, gamma: 0.1, vega: 0.05, theta: -0.9 }] }],
  ['options:{SPY}:unusual', { contracts: [] }],
  ['sentiment:{SPY}', { score: 0.2 }],
];
const NOT_READ: [string, unknown][] = [
  ['market:{SPY}:book', { bids: [[590, 100]], asks: [[590.1, 100]] }],
  ['positions', []],
  ['orders:open', []],
  ['engine:status', { state: 'running' }],
  ['monitoring:options:metrics', { polls: 1 }],
  ['analytics:{SPY}:gex', { netGex: 1 }],
  ['options:{SPY}:summary', {}],
  ['signals:{SPY}:latest', {}],
];

describe('mirrors of a publish', () => {
  it('signals reads exactly the keys SignalsCore applies', () => {
    const cfg = loadConfig({ env: {} }).config;
    const core = new SignalsCore(cfg, ['SPY'], new WallClock());
    for (const [key, value] of READ) {
      expect(core.applyKey(key, value, Date.now()).applied, key).toBe(true);
      expect(signalsReadsKey(key), key).toBe(true);
    }
    for (const [key, value] of NOT_READ) {
      expect(core.applyKey(key, value, Date.now()).applied, key).toBe(false);
      expect(signalsReadsKey(key), key).toBe(false);
    }
  });

  it('goes to signals only with a key it reads; to the dashboard and execution always; to no one else', () => {
    expect(mirrorsPublish('signals', ['market:{SPY}:book', 'market:{QQQ}:book'])).toBe(false);
    expect(mirrorsPublish('signals', ['positions', 'orders:open'])).toBe(false);
    expect(mirrorsPublish('signals', ['options:{SPY}:chain'])).toBe(true);
    expect(mirrorsPublish('signals', ['monitoring:options:metrics', 'sentiment:{SPY}'])).toBe(true); // one is enough
    expect(mirrorsPublish('signals', undefined)).toBe(true); // keys unknown: sent, as before
    for (const kind of ['dashboard', 'execution']) expect(mirrorsPublish(kind, ['market:{SPY}:book'])).toBe(true);
    for (const kind of ['publisher', 'options', 'market-depth', 'analytics']) expect(mirrorsPublish(kind, ['options:{SPY}:chain'])).toBe(false);
  });
});
