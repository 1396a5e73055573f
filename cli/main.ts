/**
 * The `alphatrader` command. Each subcommand lives in its own module and is imported on demand, so a
 * `calc` does not load the engine and `start` does not load the simulators it does not use.
 */
import { spawn } from 'node:child_process';

const USAGE = `usage: alphatrader <command> [options]

  start [--config FILE] [--duration S]   run the engine (simulated venues and an embedded Redis by default)
  status [--json]                        actors, heartbeats, restarts, rings, Redis health (read from Redis)
  record FILE --duration S              run the engine and record every inbound market event
  replay FILE [--speed N|max]            replay a recording through the same actors
  replay --lobster MSG OB [--symbol S]   replay a LOBSTER message/orderbook pair
  lobster book|trades MSG OB [...]       rebuild a LOBSTER book through the engine's OrderBook; its trades as CSV
  discover [--replay FILE|--duration S]  measure parameters (VPIN bucket size, correlations, …) into a config overlay
  orders [--json] [--all]                open orders (or the whole order journal)
  order buy|sell SYMBOL QTY [--id ID]    a manual market order (through risk and the journal)
  kill --reason TEXT                     cancel all, flatten, trip the breaker, block new entries
  flatten [--all]                        close the engine's positions (--all: every position in the account)
  breaker trip|approve|reset --reason T  operate the circuit breaker
  escalation clear --reason TEXT         re-open trading after a supervisor escalation (audited)
  redis-cli [ARGS...]                    redis-cli against the engine's Redis (credentials from the environment/var/)
  calc greeks|gex|vpin|book              analytics on a JSON document from stdin
  sim tws|alphavantage [--port N]        run a venue simulator standalone
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
      return (await import('./start.js')).runStart(rest);
    case 'status':
      return (await import('./status.js')).runStatus(rest);
    case 'record':
      return (await import('./record.js')).runRecord(rest);
    case 'replay':
      return (await import('./record.js')).runReplay(rest);
    case 'redis-cli':
      return redisCli(rest);
    case 'orders':
      return (await import('./operate.js')).runOrders(rest);
    case 'kill':
      return (await import('./operate.js')).runKill(rest);
    case 'order':
      return (await import('./operate.js')).runOrder(rest);
    case 'flatten':
      return (await import('./operate.js')).runFlatten(rest);
    case 'breaker':
      return (await import('./operate.js')).runBreaker(rest);
    case 'escalation':
      return (await import('./operate.js')).runEscalation(rest);
    case 'calc': {
      const { runCalc } = await import('./calc.js');
      return runCalc(rest, process.stdin, process.stdout, process.stderr);
    }
    case 'sim':
      return (await import('./sim.js')).runSim(rest);
    case 'lobster':
      return (await import('./lobster.js')).runLobster(rest, process.stdout, process.stderr);
    case 'discover':
      return (await import('./discover.js')).runDiscover(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`alphatrader: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
      return 2;
  }
}

async function redisCli(args: string[]): Promise<number> {
  const { loadConfig } = await import('../engine/config/loadConfig.js');
  const { operatorRedis } = await import('./redisTarget.js');
  const t = operatorRedis(loadConfig().config);
  // REDISCLI_AUTH keeps the password off the command line (and out of `ps`).
  const env = { ...process.env, ...(t.password ? { REDISCLI_AUTH: t.password } : {}) };
  const userArgs = t.username ? ['--user', t.username] : [];
  return new Promise((resolve) => {
    const p = spawn('redis-cli', ['-h', t.host, '-p', String(t.port), ...userArgs, ...args], { stdio: 'inherit', env });
    p.on('error', () => {
      console.error('redis-cli is not installed (Debian/Ubuntu: apt-get install -y redis-tools)');
      resolve(127);
    });
    p.on('exit', (code) => resolve(code ?? 1));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  },
);
