/** The operator's Redis in cluster mode: the first seed node with the cluster's password, and redis-cli with -c. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/loadConfig.js';
import { operatorRedis, redisCliArgv } from '../../cli/redisTarget.js';

describe('operator Redis target', () => {
  const config = loadConfig({ env: {} }).config;
  const cluster = { REDIS_CLUSTER_NODES: '10.0.0.5:7101,10.0.0.6:7102', ALPHATRADER_REDIS_PASSWORD: 'pw' };

  it('cluster mode: the first seed node, the cluster password; redis-cli gets -c and no password in argv', () => {
    const t = operatorRedis(config, cluster);
    expect(t).toMatchObject({ host: '10.0.0.5', port: 7101, password: 'pw' });
    const argv = redisCliArgv(t, ['get', 'k'], cluster);
    expect(argv).toEqual(['-h', '10.0.0.5', '-p', '7101', '-c', 'get', 'k']);
    expect(argv.join(' ')).not.toContain('pw');
    expect(redisCliArgv(operatorRedis(config, { ...cluster, ALPHATRADER_REDIS_TLS: '1' }), [], { ...cluster, ALPHATRADER_REDIS_TLS: '1' })).toContain('--tls');
  });

  it('single host (the default): no -c, the configured URL', () => {
    const env = { REDIS_URL: 'redis://:x@127.0.0.1:6390' };
    const t = operatorRedis(config, env);
    expect(t).toMatchObject({ host: '127.0.0.1', port: 6390, password: 'x' });
    expect(redisCliArgv(t, ['ping'], env)).toEqual(['-h', '127.0.0.1', '-p', '6390', 'ping']);
  });
});
