/**
 * The one place a Redis connection is made: a single node (the default, from REDIS_URL / the embedded
 * server) or, when `REDIS_CLUSTER_NODES=host:port[,host:port…]` is set, an ioredis Cluster client with the
 * same credentials (ALPHATRADER_REDIS_PASSWORD) and TLS (ALPHATRADER_REDIS_TLS=1) on every node. Callers get
 * `RedisLike` and keep every multi-key command inside one hash tag, so the same code runs on both.
 */
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';

export type RedisLike = Redis | Cluster;

/** `host:port[,host:port…]` → cluster seed nodes; throws a one-line error on anything else. */
export function parseClusterNodes(spec: string): ClusterNode[] {
  const nodes = spec.split(',').map((s) => s.trim()).filter(Boolean).map((hp) => {
    const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(hp);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !(port > 0 && port < 65536)) throw new Error(`REDIS_CLUSTER_NODES: expected host:port[,host:port…], got "${hp}"`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (nodes.length === 0) throw new Error('REDIS_CLUSTER_NODES is set but names no node (expected host:port[,host:port…])');
  return nodes;
}

/** The cluster seed nodes from the environment, or null in the single-node default. */
export function clusterNodesFromEnv(env: NodeJS.ProcessEnv = process.env): ClusterNode[] | null {
  const spec = env.REDIS_CLUSTER_NODES;
  return spec && spec.trim() ? parseClusterNodes(spec) : null;
}

/**
 * A client for `single` (host/port/credentials of the one node) or, in cluster mode, for the cluster: the
 * per-node options (password, TLS, timeouts, retry) are the same `single` options minus host/port.
 */
export function createRedisClient(single: RedisOptions, env: NodeJS.ProcessEnv = process.env): RedisLike {
  const nodes = clusterNodesFromEnv(env);
  if (!nodes) return new Redis(single);
  const { host: _h, port: _p, path: _s, ...perNode } = single;
  const tls = env.ALPHATRADER_REDIS_TLS === '1' ? { tls: single.tls ?? {} } : {};
  return new Cluster(nodes, {
    redisOptions: { ...perNode, ...tls, password: env.ALPHATRADER_REDIS_PASSWORD ?? perNode.password },
    lazyConnect: single.lazyConnect,
    enableOfflineQueue: single.enableOfflineQueue,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    // A master that restarts on its address with its slots (no replica took over) sends no MOVED, and by
    // default ioredis never reconnects a lost node: twice in `npm run bench -- cluster-failover --replicas 0`
    // the dead master's symbols stayed unwritable for over 60 s after its restart (not reproducible on
    // demand). So lost nodes are reconnected (ioredis' own advice for nodes that restart without slot
    // changes) and the slot map is re-read every 2 s, which also learns a promotion without waiting for MOVED.
    clusterNodeRetryStrategy: (times) => Math.min(100 * times, 2000),
    slotsRefreshInterval: 2000,
    slotsRefreshTimeout: 2000,
  });
}

export const isCluster = (c: RedisLike): c is Cluster => (c as Cluster).isCluster === true;
