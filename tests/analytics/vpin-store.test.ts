/** VPIN state through a real Redis: saved as the publisher writes it, read back at start-up, restored per symbol. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SymbolAnalytics } from '../../actors/analytics/SymbolAnalytics.js';
import { discoveryKey, loadVpinStates, saveRequest, vpinStateKey, VPIN_STATE_TTL_MS } from '../../actors/analytics/VpinStore.js';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { TestRedis } from '../helpers/redis.js';

const BASE = 28_333_333 * 60_000;

function analytics(bucketVolume?: number) {
  const { config } = loadConfig({ env: { ALPHATRADER_LOGGING_LEVEL: 'silent' } });
  config.analytics.vpin = { ...config.analytics.vpin, n: 5, minHistory: 3, bucketVolume: bucketVolume ? { SPY: bucketVolume } : {} };
  return new SymbolAnalytics('SPY', config);
}
function feed(a: SymbolAnalytics, from: number, to: number) {
  for (let i = from; i < to; i++) a.onTrade(BASE + i * 20_000, 100 + Math.sin(i / 7) * 0.5 + (i % 3) * 0.01, 40 + (i % 11) * 10, 1);
}

describe('VPIN state in Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => redis?.stop());

  it('a restarted analytics carries on from the saved state: same buckets, history, VPIN and phase as one that never stopped', async () => {
    const whole = analytics(100);
    feed(whole, 0, 900);
    const before = analytics(100);
    feed(before, 0, 500);
    const req = saveRequest('SPY', before.vpinToSave(1234)!);
    expect(before.vpinToSave(1235)).toBeNull(); // nothing changed since: nothing to save
    const c = redis.client();
    await c.connect();
    try {
      await c.set(req.key, JSON.stringify(req.value), 'PX', req.ttlMs); // what the publisher does
      expect(await c.pttl(vpinStateKey('SPY'))).toBeGreaterThan(VPIN_STATE_TTL_MS - 60_000);
    } finally {
      c.disconnect();
    }
    const { saved, bad } = await loadVpinStates({ url: redis.url }, ['SPY', 'QQQ']);
    expect(bad).toEqual([]);
    expect([...saved.keys()]).toEqual(['SPY']);
    const after = analytics(100);
    expect(after.restoreVpin(saved.get('SPY')!)).toBeNull();
    expect(after.vpinJson(0)).toMatchObject({ status: before.vpin!.phase, history: before.vpin!.history, buckets: before.vpin!.bucketsClosed });
    feed(after, 500, 900);
    const w = whole.vpinJson(0) as Record<string, number>;
    const r = after.vpinJson(0) as Record<string, number>;
    expect(r.buckets).toBe(w.buckets);
    expect(r.history).toBe(w.history);
    expect(r.status).toBe('live');
    expect(r.vpin).toBeCloseTo(w.vpin, 12);
  });

  it('with no bucket volume configured, the saved one is used; a configured one that differs wins and VPIN starts fresh', () => {
    const a = analytics(100);
    feed(a, 0, 300);
    const st = a.vpinToSave(0)!;
    const noConfig = analytics();
    expect(noConfig.restoreVpin(st)).toBeNull();
    expect([noConfig.bucketVolume, noConfig.bucketVolumeSource]).toEqual([100, 'restored']);
    const other = analytics(120);
    expect(other.restoreVpin(st)).toBe('saved with bucket volume 100, configured 120');
    expect(other.vpin!.bucketsClosed).toBe(0);
    const broken = analytics();
    expect(broken.restoreVpin({ ...st, state: { ...st.state, history: [2, 1] } })).toMatch(/history: not sorted/);
    expect([broken.vpin, broken.bucketVolume, broken.bucketVolumeSource]).toEqual([undefined, 0, 'none']);
  });

  it('a value that is not JSON is reported, not fatal; an unreachable Redis is one error for the caller', async () => {
    const c = redis.client();
    await c.connect();
    try {
      await c.set(vpinStateKey('IWM'), '{not json');
    } finally {
      c.disconnect();
    }
    const { saved, bad } = await loadVpinStates({ url: redis.url }, ['IWM']);
    expect([saved.size, bad]).toEqual([0, [vpinStateKey('IWM')]]);
    await expect(loadVpinStates({ url: 'redis://127.0.0.1:1' }, ['SPY'], 500)).rejects.toThrow();
  });

  it("discovery's bucket volume (discovery:{SYM}) is used when none is configured and no state was restored", async () => {
    const c = redis.client();
    await c.connect();
    try {
      await c.set(discoveryKey('NVDA'), JSON.stringify({ symbol: 'NVDA', vpin: { bucketVolume: 777, extrapolated: true } }));
      await c.set(discoveryKey('MSFT'), JSON.stringify({ symbol: 'MSFT', vpin: { bucketVolume: null } }));
    } finally {
      c.disconnect();
    }
    const { discovered } = await loadVpinStates({ url: redis.url }, ['NVDA', 'MSFT']);
    expect([...discovered]).toEqual([['NVDA', 777]]);
    const fresh = analytics();
    expect(fresh.useDiscoveredBucketVolume(777)).toBe(true);
    expect([fresh.bucketVolume, fresh.bucketVolumeSource]).toEqual([777, 'discovery']);
    feed(fresh, 0, 3); // buckets fill from the first trades: no first-minute estimate
    expect(fresh.vpin!.trades).toBe(3);
    const configured = analytics(100);
    expect(configured.useDiscoveredBucketVolume(777)).toBe(false);
    expect([configured.bucketVolume, configured.bucketVolumeSource]).toEqual([100, 'config']);
  });
});
