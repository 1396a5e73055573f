import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { startLocalCluster, stopLocalCluster, type LocalClusterInfo } from '../../engine/redis/LocalCluster.js';

/** A base port whose `n` node ports and their bus ports (+10000) are all free. */
export async function freeBase(n = 3): Promise<number> {
  const free = (p: number) => new Promise<boolean>((res) => {
    const s = net.createServer().once('error', () => res(false)).listen(p, '127.0.0.1', () => s.close(() => res(true)));
  });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 15000);
    let ok = true;
    for (let i = 0; i < n && ok; i++) if (!(await free(base + i)) || !(await free(base + i + 10000))) ok = false;
    if (ok) return base;
  }
  throw new Error('no free port range for a local cluster');
}

/** A 3-master local cluster (the project's helper) for one test file, with the env its clients need. */
export class TestCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'at-cluster-'));
  info!: LocalClusterInfo;
  constructor(readonly password = 'cluster-test-secret') {}

  static async start(): Promise<TestCluster> {
    const c = new TestCluster();
    c.info = await startLocalCluster({ dir: c.dir, basePort: await freeBase(3), password: c.password });
    return c;
  }

  /** What an engine, a CLI or createRedisClient needs to reach the cluster. */
  get env(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.info.nodes, ALPHATRADER_REDIS_PASSWORD: this.password };
  }

  client(): Cluster {
    const c = new Cluster([{ host: '127.0.0.1', port: this.info.ports[0]! }], { redisOptions: { password: this.password } });
    c.on('error', () => {});
    return c;
  }

  stop(): Promise<number> {
    return stopLocalCluster(this.dir, this.password);
  }
}
