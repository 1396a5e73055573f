/**
 * The `alphatrader` command. Each subcommand lives in its own module and is imported on demand, so a
 * `calc` does not load the engine and `start` does not load the simulators it does not use.
 */
import { spawn } from 'node:child_process';
import { HelpRequested, reportUsage, usageText } from './args.js';
import { COMMANDS, REDIS_CLI } from './commands.js';

function overview(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary.split(/[.;] /)[0]!.replace(/\.$/, '')}`);
  return `usage: alphatrader <command> [options]   (alphatrader <command> --help for its options)\n\n${lines.join('\n')}\n`;
}

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
    case 'backtest':
      return (await import('./backtest.js')).runBacktestCommand(rest);
    case 'redis-cli':
      if (rest[0] === '--help' || rest[0] === '-h') throw new HelpRequested(usageText(REDIS_CLI));
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
    case 'report':
      return (await import('./report.js')).runReport(rest);
    case 'backup':
      return (await import('./backup.js')).runBackup(rest);
    case 'restore':
      return (await import('./backup.js')).runRestore(rest);
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
    case 'cluster':
      return (await import('./cluster.js')).runCluster(rest);
    case undefined:
      process.stderr.write(overview());
      return 2;
    case '-h':
    case '--help':
      process.stdout.write(overview());
      return 0;
    case 'help': {
      // `alphatrader help status` = `alphatrader status --help`
      const c = COMMANDS.find((x) => x.name === rest[0]);
      if (rest.length === 0 || c) throw new HelpRequested(c ? usageText(c) : overview());
      process.stderr.write(`alphatrader help: unknown command ${JSON.stringify(rest[0])}\n${overview()}`);
      return 2;
    }
    default:
      process.stderr.write(`alphatrader: unknown command ${JSON.stringify(cmd)}\n${overview()}`);
      return 2;
  }
}

async function redisCli(args: string[]): Promise<number> {
  const { loadConfig } = await import('../engine/config/loadConfig.js');
  const { operatorRedis, redisCliArgv } = await import('./redisTarget.js');
  const t = operatorRedis(loadConfig().config);
  // REDISCLI_AUTH keeps the password off the command line (and out of `ps`).
  const env = { ...process.env, ...(t.password ? { REDISCLI_AUTH: t.password } : {}) };
  return new Promise((resolve) => {
    const p = spawn('redis-cli', redisCliArgv(t, args), { stdio: 'inherit', env });
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
    // a usage mistake is one line and the usage (exit 2), help is exit 0; anything else is a bug: its stack
    const code = reportUsage(err, (t) => process.stdout.write(t), (t) => process.stderr.write(t));
    if (code === undefined) console.error(err instanceof Error ? err.stack : err);
    process.exitCode = code ?? 1;
  },
);
