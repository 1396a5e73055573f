import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/loadConfig.js';
import type { EngineConfig } from '../../engine/config/schema.js';
import { coherenceErrors, journalDurabilityError, type Persistence } from '../../engine/config/startupChecks.js';
import { redisEndpoint } from '../../engine/redis/redisOptions.js';
import { EngineProcess } from '../helpers/engine.js';
import { TestRedis } from '../helpers/redis.js';

const base = loadConfig({ env: {} }).config;
const withCfg = (f: (c: EngineConfig) => void): EngineConfig => {
  const c = structuredClone(base);
  f(c);
  return c;
};
const aofOff: Persistence = { appendonly: false, appendfsync: 'everysec', waitaof: false, version: '7.0.15' };
const aofOn: Persistence = { ...aofOff, appendonly: true };

describe('start-up refusals (each names the setting and the fix)', () => {
  it('a non-paper broker needs an AOF journal, unless the risk is accepted', () => {
    const alpaca = withCfg((c) => (c.execution.broker = 'alpaca'));
    expect(journalDurabilityError(alpaca.execution, aofOff)).toMatch(/appendonly no.*CONFIG SET appendonly yes.*allowVolatileJournal/);
    expect(journalDurabilityError(alpaca.execution, aofOn)).toBeNull();
    expect(journalDurabilityError({ ...alpaca.execution, allowVolatileJournal: true }, aofOff)).toBeNull();
    expect(journalDurabilityError(base.execution, aofOff)).toBeNull(); // paper: the broker restarts with the engine
  });

  it('journalSync wait needs WAITAOF or appendfsync always', () => {
    const wait = { ...base.execution, journalSync: 'wait' as const };
    expect(journalDurabilityError(wait, aofOn)).toMatch(/journalSync: wait needs WAITAOF.*appendfsync always/);
    expect(journalDurabilityError(wait, { ...aofOn, appendfsync: 'always' })).toBeNull();
    expect(journalDurabilityError(wait, { ...aofOn, waitaof: true, version: '7.2.4' })).toBeNull();
  });

  it('a real venue in simulated mode, Alpaca without its keys, a clear-text remote Redis in live mode', () => {
    const tws = withCfg((c) => Object.assign(c.venues.tws, { host: '10.1.2.3', port: 4001 }));
    expect(coherenceErrors(tws, {}, base.redis.url).join('\n')).toMatch(/^venues\.tws\.host: "10\.1\.2\.3" is a real TWS.*engine\.mode is simulated.*set engine\.mode: live/);
    const alpaca = withCfg((c) => Object.assign(c.execution, { broker: 'alpaca', alpacaBaseUrl: 'https://paper-api.alpaca.markets' }));
    const errs = coherenceErrors(alpaca, { ALPHATRADER_ALPACA_KEY_ID: 'k' }, base.redis.url);
    expect(errs[0]).toMatch(/^execution\.alpacaBaseUrl: .* is a real Alpaca endpoint/);
    expect(errs[1]).toMatch(/APCA_API_KEY_ID and APCA_API_SECRET_KEY.*ALPHATRADER_ALPACA_KEY_ID\/SECRET are not read/);
    const live = withCfg((c) => (c.engine.mode = 'live'));
    expect(coherenceErrors(live, {}, 'redis://db.internal:6379')).toEqual([expect.stringMatching(/^redis\.url: db\.internal .* use rediss:\/\//)]);
    expect(coherenceErrors(live, {}, 'rediss://db.internal:6379')).toEqual([]);
    expect(coherenceErrors(base, {}, base.redis.url)).toEqual([]); // the embedded defaults are coherent
  });

  it('rediss:// connects with TLS', () => {
    expect(redisEndpoint('rediss://u:p%40w@db.example:6380')).toEqual({ host: 'db.example', port: 6380, password: 'p@w', username: 'u', tls: {} });
    expect(redisEndpoint('redis://127.0.0.1:6390').tls).toBeUndefined();
  });
});

describe('alphatrader start refuses a volatile journal with a real broker', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start(); // appendonly no
  });
  afterAll(() => redis?.stop());

  it('broker alpaca (its embedded simulator) on appendonly no: non-zero exit, the message names appendonly', async () => {
    const t0 = Date.now();
    const e = EngineProcess.start({ REDIS_URL: redis.url, ALPHATRADER_EXECUTION_BROKER: 'alpaca' });
    const { code } = await e.exitWithin(60_000, 'the refusal');
    expect(code).toBe(2);
    expect(e.raw.join('\n')).toMatch(/appendonly no[^\n]*CONFIG SET appendonly yes/);
    console.log(`start refused in ${Date.now() - t0} ms`);
  });

  it('a remote venue in simulated mode: exit 2 naming the setting', async () => {
    const e = EngineProcess.start({ REDIS_URL: redis.url, ALPHATRADER_VENUES_TWS_HOST: '192.0.2.10', ALPHATRADER_VENUES_TWS_PORT: '4001' });
    const { code } = await e.exitWithin(30_000, 'the refusal');
    expect(code).toBe(2);
    expect(e.raw.join('\n')).toMatch(/venues\.tws\.host: "192\.0\.2\.10" is a real TWS/);
  });
});
