/**
 * Which actors get a copy of a publish (engine/supervisor/ColdMirror.ts, decision 128): signals, on the hot
 * thread, only the keys it reads; and the keys it reads are exactly those SignalsCore applies. Its copy of a
 * chain or greeks key arrives parsed into columns (decision 148) and leaves SignalsCore as the key would.
 */
import { describe, expect, it } from 'vitest';
import { SignalsCore } from '../../actors/signals/SignalsCore.js';
import { signalsReadsKey } from '../../actors/signals/readsKey.js';
import { WallClock } from '../../engine/clock/index.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { CHAIN_COLUMNS_TOPIC, mirrorsPublish, signalsCopy } from '../../engine/supervisor/ColdMirror.js';
import { packCold, unpackCold, type ColdEnvelope } from '../../engine/runtime/ColdMessage.js';

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

describe("signals' copy of a chain or greeks publish", () => {
  const envelope = (key: string, value: unknown): ColdEnvelope => ({ t: 'cold', from: 'options', to: 'publisher', topic: 'publish', data: packCold({ key, value, ttlMs: 10_000 }), keys: [key] });

  it('arrives as columns that leave SignalsCore as the key itself does', () => {
    const cfg = loadConfig({ env: {} }).config;
    const byKey = new SignalsCore(cfg, ['SPY'], new WallClock());
    const byColumns = new SignalsCore(cfg, ['SPY'], new WallClock());
    const bad = { id: 'x', expiration: 'soon', strike: 590, type: 'call' };
    for (const [key, value] of [READ[1]!, READ[2]!, ['options:{SPY}:chain', { contracts: [row, bad, { ...row, id: 'SPY261207P585', type: 'put', strike: 585 }] }]] as [string, unknown][]) {
      const copy = signalsCopy(envelope(key, value));
      expect(copy.topic).toBe(CHAIN_COLUMNS_TOPIC);
      expect(copy.from).toBe('options');
      expect(byColumns.applyChainColumns(unpackCold(copy.data), 1000)).toEqual({ applied: true });
      expect(byKey.applyKey(key, value, 1000).applied).toBe(true);
      expect(byColumns.options.chain('SPY', 1000)).toEqual(byKey.options.chain('SPY', 1000));
      expect(byColumns.options.counters).toEqual(byKey.options.counters);
    }
    expect(byKey.options.chain('SPY', 1000)).toHaveLength(2);
    // columns that do not hold together: refused with the reason the actor counts and logs, the chain unchanged
    const before = byColumns.options.chain('SPY', 1000);
    expect(byColumns.applyChainColumns({ kind: 'chain', symbol: 'SPY', n: 5, ids: '' }, 1000)).toEqual({ applied: false, bad: { key: CHAIN_COLUMNS_TOPIC, why: 'columns that do not hold together' } });
    expect(byColumns.options.chain('SPY', 1000)).toEqual(before);
  });

  it('anything else goes as it came: other keys, several keys, a chain without contracts, bytes that do not decode', () => {
    const others = [
      envelope('sentiment:{SPY}', { score: 0.2 }),
      envelope('options:{SPY}:chain', { rows: [] }), // signals counts it, as it did
      { ...envelope('options:{SPY}:chain', READ[1]![1]), keys: ['options:{SPY}:chain', 'sentiment:{SPY}'], topic: 'publish-many' },
      { ...envelope('options:{SPY}:chain', READ[1]![1]), data: new Uint8Array([0xc1]) },
    ];
    for (const m of others) expect(signalsCopy(m)).toBe(m);
  });
});
