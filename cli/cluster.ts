/**
 * `alphatrader cluster start|stop [--dir DIR] [--base-port N] [--masters N] [--replicas N]`: a Redis Cluster
 * on loopback for tests and demos of the multi-host mode (engine/redis/LocalCluster.ts). The password is
 * ALPHATRADER_REDIS_PASSWORD, else one generated once and kept in DIR/password (0600); it is never printed.
 */
import { isAbsolute, join } from 'node:path';
import { keptSecret } from '../engine/config/keptSecret.js';
import { projectRoot } from '../engine/config/projectRoot.js';
import { startLocalCluster, stopLocalCluster } from '../engine/redis/LocalCluster.js';
import { parseCommand, port, text, wholeNumber } from './args.js';
import { CLUSTER } from './commands.js';

const DEFAULT_DIR = join('var', 'cluster');

export async function runCluster(argv: string[], out = (s: string) => process.stdout.write(s), env = process.env, err = (s: string) => process.stderr.write(s)): Promise<number> {
  // Every option is checked first: a mistake is a usage error (exit 2), never a runtime one.
  const a = parseCommand(CLUSTER, argv);
  const raw = a.option('dir', text, DEFAULT_DIR);
  const stop = a.spec.name === 'cluster stop';
  const shape = stop ? undefined : {
    basePort: a.option('base-port', port(false), 7101),
    masters: a.option('masters', wholeNumber(3, 9), 3),
    replicas: a.option('replicas', wholeNumber(0, 2), 0),
  };
  const dir = isAbsolute(raw) ? raw : join(projectRoot(), raw);
  try {
    const password = env.ALPHATRADER_REDIS_PASSWORD || keptSecret(join(dir, 'password'));
    if (!shape) {
      const n = await stopLocalCluster(dir, password);
      out(n ? `stopped ${n} nodes (${dir})\n` : `no local cluster recorded in ${dir}\n`);
      return 0;
    }
    const info = await startLocalCluster({ dir, password, ...shape });
    out(`local Redis Cluster: ${info.masters} masters, ${info.replicas} replica(s) each, cluster_state:ok\n`);
    out(`REDIS_CLUSTER_NODES=${info.nodes}\n`);
    out(`password: ${env.ALPHATRADER_REDIS_PASSWORD ? 'ALPHATRADER_REDIS_PASSWORD' : join(dir, 'password')}; stop with: alphatrader cluster stop${raw === DEFAULT_DIR ? '' : ` --dir ${raw}`}\n`);
    return 0;
  } catch (e) {
    // A busy port, a cluster already recorded, redis-cli refusing: one line, no stack trace.
    err(`alphatrader ${a.spec.name}: ${(e as Error).message}\n`);
    return 1;
  }
}
