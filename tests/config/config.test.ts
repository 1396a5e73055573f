import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../engine/config/loadConfig.js';

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'atcfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, yaml);
  try {
    loadConfig({ file, env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('configuration', () => {
  it('the default configuration is valid and complete', () => {
    const { config, warnings } = loadConfig({ env: {} });
    expect(warnings).toEqual([]);
    expect(config.symbols.filter((s) => s.level2).map((s) => s.symbol)).toEqual(['SPY', 'QQQ', 'IWM']);
    expect(config.actors.length).toBeGreaterThanOrEqual(6);
  });

  const cases: [string, string, RegExp][] = [
    ['wrong type', 'redis: { flushMs: "fast" }', /^redis\.flushMs: expected number, received string \(got "fast"\)$/],
    ['out of range', 'supervisor: { heartbeatMs: 0 }', /^supervisor\.heartbeatMs: .*>=10.* \(got 0\)$/],
    ['not in the enum', 'engine: { mode: paper }', /^engine\.mode: .*"simulated"\|"live".* \(got "paper"\)$/],
    ['unknown key', 'redis: { flushMS: 10 }', /^redis: unknown key\(s\) "flushMS"$/],
    ['bad ticker', 'symbols: [{ symbol: spy, level2: true, basePrice: 1, numRows: 5 }]', /^symbols\[0\]\.symbol: must be an upper-case ticker.* \(got "spy"\)$/],
    ['negative price', 'symbols: [{ symbol: SPY, level2: true, basePrice: -5, numRows: 5 }]', /^symbols\[0\]\.basePrice: .*>0.* \(got -5\)$/],
    ['missing field', 'symbols: [{ symbol: SPY, level2: true, numRows: 5 }]', /^symbols\[0\]\.basePrice: missing \(expected number\)/],
    ['not a power of two', 'rings: [{ name: r, producer: market-depth, capacity: 1000, slotSize: 128, readers: [{ actor: publisher, mode: lossy }] }]', /^rings\[0\]\.capacity: must be a power of two.* \(got 1000\)$/],
    ['unknown actor in a ring', 'rings: [{ name: r, producer: nobody, capacity: 1024, slotSize: 128, readers: [{ actor: publisher, mode: lossy }] }]', /^rings\[0\]\.producer: "nobody" is not an actor \(allowed: market-depth,/],
    ['duplicate symbol', 'symbols: [{ symbol: SPY, level2: true, basePrice: 1, numRows: 5 }, { symbol: SPY, level2: false, basePrice: 1, numRows: 5 }]', /^symbols: "SPY" is listed twice$/],
    ['inconsistent values', 'supervisor: { restart: { backoffInitialMs: 500, backoffMaxMs: 100 } }', /^supervisor\.restart\.backoffMaxMs: 100 is below backoffInitialMs \(500\)$/],
    ['bad plan', 'venues: { alphaVantage: { plan: 500 } }', /^venues\.alphaVantage\.plan: .* \(got 500\)$/],
    ['no fill slices', 'venues: { simLatency: { fillSlices: 0 } }', /^venues\.simLatency\.fillSlices: Too small: expected number to be >=1 \(got 0\)$/],
    ['negative ack latency', 'venues: { simLatency: { ackMs: -5 } }', /^venues\.simLatency\.ackMs: .* \(got -5\)$/],
    ['bad redis url', 'redis: { url: "http://x" }', /^redis\.url: must be a redis:\/\/ or rediss:\/\/ URL \(got "http:\/\/x"\)$/],
  ];
  for (const [what, yaml, re] of cases) {
    it(`rejects ${what} with a message naming the path, the value and what is allowed`, () => {
      const p = problems(yaml);
      expect(p.length).toBeGreaterThan(0);
      expect(p.some((x) => re.test(x)), `got: ${JSON.stringify(p)}`).toBe(true);
    });
  }

  it('reports every problem at once, not just the first', () => {
    expect(problems('redis: { flushMs: -1, conf: "" }\nengine: { seed: 1.5 }').length).toBe(3);
  });

  it('rejects a file that is not YAML or not a mapping', () => {
    expect(problems('a: [1, 2')[0]).toMatch(/^--config: .* is not valid YAML/);
    expect(problems('- 1\n- 2')[0]).toMatch(/must hold a YAML mapping/);
  });

  it('takes overrides from the environment, typed by the schema, and validates them too', () => {
    const { config } = loadConfig({ env: { ALPHATRADER_SUPERVISOR_HEARTBEAT_TIMEOUT_MS: '5000', ALPHATRADER_DASHBOARD_PORT: '8088', REDIS_URL: 'redis://:pw@127.0.0.1:6399' } });
    expect(config.supervisor.heartbeatTimeoutMs).toBe(5000);
    expect(config.dashboard.port).toBe(8088);
    expect(config.redis.url).toBe('redis://:pw@127.0.0.1:6399');
    expect(() => loadConfig({ env: { ALPHATRADER_DASHBOARD_PORT: '70000' } })).toThrow(/dashboard\.port: .* \(got 70000\)/);
  });

  it('warns about an ALPHATRADER_ variable that names nothing, and ignores secrets', () => {
    const { warnings } = loadConfig({ env: { ALPHATRADER_NO_SUCH_THING: '1', ALPHATRADER_REDIS_PASSWORD: 'x' } });
    expect(warnings).toEqual(['environment variable ALPHATRADER_NO_SUCH_THING does not name a configuration value; ignored']);
  });
});
