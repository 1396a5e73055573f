/**
 * Every `alphatrader` command's usage and options, as data: main.ts prints the overview from it, each
 * command parses its arguments against its own entry (cli/args.ts), and the CLI test walks all of them.
 * Pure data: importing it loads no command.
 */
import { MAX_SECONDS, type CommandSpec, type OptionSpec } from './args.js';

const config: OptionSpec = { type: 'string', short: 'c', arg: 'FILE', help: 'a configuration file over config/default.yaml' };
const json: OptionSpec = { type: 'boolean', help: 'JSON on stdout' };
const none = { min: 0, max: 0, names: [] };

export const START: CommandSpec = {
  name: 'start',
  usage: ['start [--config FILE] [--duration S]'],
  summary: 'Run the engine (simulated venues and an embedded Redis by default) until Ctrl-C, SIGTERM or --duration; a clean stop exits 0.',
  options: {
    config,
    duration: { type: 'string', short: 'd', arg: 'S', help: `stop after S seconds (> 0, at most ${MAX_SECONDS} = 366 days)` },
  },
};

export const STATUS: CommandSpec = {
  name: 'status',
  usage: ['status [--json] [--watch [--interval S]] [--config FILE]', 'status --cluster [--json] [--config FILE]'],
  summary: 'Actors, heartbeats, restarts, rings, Redis, breaker, positions, open orders and P&L, as the running engine last wrote them to Redis. Exit 0 all alive, 1 some not, 3 no engine.',
  options: {
    json,
    watch: { type: 'boolean', short: 'w', help: 'refresh in place until Ctrl-C (successive snapshots when stdout is not a terminal)' },
    interval: { type: 'string', short: 'n', arg: 'S', help: 'seconds between refreshes with --watch (default 2, at most 3600)' },
    cluster: { type: 'boolean', help: 'every live instance of the cluster: symbols, lease ages, execution owner, ring and stream lag (exit 0 fine, 1 problems, 3 no instance)' },
    config,
  },
};

export const RECORD: CommandSpec = {
  name: 'record',
  usage: ['record FILE --duration S [--config FILE]'],
  summary: 'Run the engine for S seconds and record every inbound market event to FILE.',
  options: { duration: { type: 'string', short: 'd', arg: 'S', help: 'how long to record (required)' }, config },
  positionals: { min: 1, max: 1, names: ['FILE'] },
};

export const BACKTEST: CommandSpec = {
  name: 'backtest',
  usage: ['backtest FILE [--out DIR] [--config FILE]'],
  summary: 'Replay a recording deterministically with the paper broker; write a report per strategy (Markdown, JSON, SVG) to DIR (default var/backtests/<name>/).',
  options: { out: { type: 'string', short: 'o', arg: 'DIR', help: 'where the report goes (default var/backtests/<recording name>/)' }, config },
  positionals: { min: 1, max: 1, names: ['FILE'] },
};

export const REPLAY: CommandSpec = {
  name: 'replay',
  usage: ['replay FILE [--speed N|max] [--keep-running] [--config FILE]', 'replay --lobster MESSAGE_FILE ORDERBOOK_FILE [--symbol SYM] [--levels N] [--speed N|max]'],
  summary: 'Replay a recording (or a LOBSTER message/orderbook pair) through the same actors; exits when it is done unless --keep-running.',
  options: {
    speed: { type: 'string', short: 's', arg: 'N|max', help: 'a positive factor of recorded time, or max (default)' },
    lobster: { type: 'boolean', help: 'the two files are a LOBSTER message file and its orderbook file' },
    symbol: { type: 'string', arg: 'SYM', help: 'the LOBSTER pair\'s symbol (default AAPL)' },
    levels: { type: 'string', arg: 'N', help: 'the LOBSTER orderbook file\'s levels (default 10)' },
    'keep-running': { type: 'boolean', help: 'keep the engine running after the replay' },
    config,
  },
  positionals: { min: 1, max: 2, names: ['FILE', 'ORDERBOOK_FILE'] },
};

const levels: OptionSpec = { type: 'string', arg: 'N', help: 'book levels (default: all the orderbook file has)' };
const date: OptionSpec = { type: 'string', arg: 'YYYY-MM-DD', help: 'the trading day (default: from the file name)' };
export const LOBSTER: CommandSpec = {
  name: 'lobster',
  usage: ['lobster book MESSAGE_FILE ORDERBOOK_FILE [--levels N] [--date YYYY-MM-DD]', 'lobster trades MESSAGE_FILE [--date YYYY-MM-DD]', 'lobster bench MESSAGE_FILE ORDERBOOK_FILE [--repeat N] [--levels N]'],
  summary: 'LOBSTER files through the engine\'s own OrderBook.',
  options: {},
  subcommands: {
    book: {
      name: 'lobster book',
      usage: ['lobster book MESSAGE_FILE ORDERBOOK_FILE [--levels N] [--date YYYY-MM-DD]'],
      summary: 'The rebuilt book after every message, as LOBSTER orderbook rows (must equal ORDERBOOK_FILE).',
      options: { levels, date },
      positionals: { min: 2, max: 2, names: ['MESSAGE_FILE', 'ORDERBOOK_FILE'] },
    },
    trades: {
      name: 'lobster trades',
      usage: ['lobster trades MESSAGE_FILE [--date YYYY-MM-DD]'],
      summary: 'Executions as CSV tsMs,price,size,side (the aggressor\'s side).',
      options: { date },
      positionals: { min: 1, max: 1, names: ['MESSAGE_FILE'] },
    },
    bench: {
      name: 'lobster bench',
      usage: ['lobster bench MESSAGE_FILE ORDERBOOK_FILE [--repeat N] [--levels N]'],
      summary: 'Rebuild rate in messages/s (JSON).',
      options: { repeat: { type: 'string', arg: 'N', help: 'timed passes (default 200)' }, levels },
      positionals: { min: 2, max: 2, names: ['MESSAGE_FILE', 'ORDERBOOK_FILE'] },
    },
  },
};

export const DISCOVER: CommandSpec = {
  name: 'discover',
  usage: ['discover [--replay FILE | --duration S] [--out FILE] [--interval S] [--json] [--no-redis] [--config FILE]'],
  summary: 'Measure parameters (VPIN bucket size, correlations, …) from a recording or live data into a config overlay.',
  options: {
    replay: { type: 'string', short: 'r', arg: 'FILE', help: 'a recording to analyse' },
    duration: { type: 'string', short: 'd', arg: 'S', help: 'record S seconds of live data first (default 120)' },
    out: { type: 'string', short: 'o', arg: 'FILE', help: 'where to write the overlay' },
    interval: { type: 'string', arg: 'S', help: 'bar length in whole seconds, 1-3600' },
    json, 'no-redis': { type: 'boolean', help: 'do not write the discovery keys to Redis' }, config,
  },
};

export const ORDERS: CommandSpec = {
  name: 'orders',
  usage: ['orders [--all] [--json] [--config FILE]'],
  summary: 'Open orders, or with --all the whole order journal, read from Redis.',
  options: { all: { type: 'boolean', help: 'the whole order journal' }, json, config },
};

export const ORDER: CommandSpec = {
  name: 'order',
  usage: ['order buy|sell SYMBOL QTY [--id ID] [--config FILE]'],
  summary: 'A manual market order through risk, the journal and the broker. The same --id never places a second order.',
  options: { id: { type: 'string', arg: 'ID', help: '1-40 letters, digits, - or _ (default: random)' }, config },
  positionals: { min: 3, max: 3, names: ['SIDE', 'SYMBOL', 'QTY'] },
};

export const KILL: CommandSpec = {
  name: 'kill',
  usage: ['kill --reason TEXT [--config FILE]'],
  summary: 'Halt (durably), trip the breaker, cancel the engine\'s orders and flatten its symbols; answers done or what is still working.',
  options: { reason: { type: 'string', short: 'r', arg: 'TEXT', help: 'why (required; kept in the audit stream)' }, config },
};

export const FLATTEN: CommandSpec = {
  name: 'flatten',
  usage: ['flatten [--all] [--reason TEXT] [--config FILE]'],
  summary: 'Close the engine\'s positions (its symbols), net of the exits already working.',
  options: {
    all: { type: 'boolean', help: 'also positions in symbols that are not the engine\'s (everything in the account)' },
    reason: { type: 'string', short: 'r', arg: 'TEXT', help: 'why (default "manual flatten")' }, config,
  },
};

export const ESCALATION: CommandSpec = {
  name: 'escalation',
  usage: ['escalation clear --reason TEXT [--config FILE]'],
  summary: 'Re-open trading after a supervisor escalation (audited; the breaker stays tripped until approved or reset).',
  options: { reason: { type: 'string', short: 'r', arg: 'TEXT', help: 'why (required)' }, config },
  positionals: { min: 1, max: 1, names: ['ACTION'] },
};

export const BREAKER: CommandSpec = {
  name: 'breaker',
  usage: ['breaker trip|approve|reset --reason TEXT [--config FILE]'],
  summary: 'Operate the circuit breaker.',
  options: { reason: { type: 'string', short: 'r', arg: 'TEXT', help: 'why (required)' }, config },
  positionals: { min: 1, max: 1, names: ['ACTION'] },
};

export const REDIS_CLI: CommandSpec = {
  name: 'redis-cli',
  usage: ['redis-cli [ARGS...]'],
  summary: 'redis-cli against the engine\'s Redis (host, port and credentials from the environment or var/). Every argument goes to redis-cli, except --help/-h as the first one.',
  options: {},
};

export const BACKUP: CommandSpec = {
  name: 'backup',
  usage: ['backup [--out FILE] [--config FILE]'],
  summary: 'A consistent copy of the engine\'s Redis data (a replication snapshot, RDB) to FILE (default var/backups/redis-<UTC time>.rdb); never overwrites.',
  options: { out: { type: 'string', short: 'o', arg: 'FILE', help: 'where to write the RDB file (must not exist)' }, config },
};

export const RESTORE: CommandSpec = {
  name: 'restore',
  usage: ['restore FILE [--config FILE]'],
  summary: 'Replace the engine\'s Redis data with a backup (FLUSHALL, then every key of FILE with its TTL). Refuses while an engine is running against that Redis.',
  options: { config },
  positionals: { min: 1, max: 1, names: ['FILE'] },
};

export const CALC: CommandSpec = {
  name: 'calc',
  usage: ['calc greeks|gex|vpin|book [--pretty] < document.json'],
  summary: 'Analytics on one JSON document from stdin (formats in docs/analytics-conventions.md), one JSON document on stdout.',
  options: { pretty: { type: 'boolean', help: 'indented JSON' } },
  positionals: { min: 1, max: 1, names: ['KIND'] },
  details: `documents:
  greeks  {"cases":[{"name","flag":"C"|"P","S","K","T","r","q","sigma"}],
           "ivCases":[{"name","flag","S","K","T","r","q","price"}]}
  gex     {"spot","r","q","contracts":[{"type":"call"|"put","strike","T","iv","oi"}]}
  vpin    {"trades":[[tsMs,price,size],...],"bucketVolume","n":50,"barSeconds":60}
  book    {"numRows","ops":[[position,operation,side,price|null,size(,marketMaker)],...]}`,
};

const host: OptionSpec = { type: 'string', arg: 'HOST', help: 'address to listen on (default 127.0.0.1)' };
const simPort = (dflt: string): OptionSpec => ({ type: 'string', short: 'p', arg: 'N', help: `port, 0 = any free one (default ${dflt})` });
export const SIM: CommandSpec = {
  name: 'sim',
  usage: ['sim tws [--port N] [--host H] [--seed S] [--symbols A,B] [--eps N] [--server-version V] [--bar-ms N]', 'sim alphavantage [--port N] [--host H] [--seed N] [--limit N] [--key K] [--symbols SYM=PRICE,...]'],
  summary: 'A venue simulator standalone, until Ctrl-C.',
  options: {},
  subcommands: {
    tws: {
      name: 'sim tws',
      usage: ['sim tws [--port N] [--host H] [--seed S] [--symbols A,B] [--eps N] [--server-version V] [--bar-ms N]'],
      summary: 'The TWS API simulator (the protocol @stoqey/ib speaks).',
      options: {
        port: simPort('7497'), host,
        seed: { type: 'string', arg: 'S', help: 'market model seed (default 1)' },
        symbols: { type: 'string', arg: 'A,B', help: 'symbols (default SPY,QQQ,IWM,AAPL,MSFT,NVDA,TSLA)' },
        eps: { type: 'string', arg: 'N', help: 'market events per second, 1-100000 (default 200)' },
        'server-version': { type: 'string', arg: 'V', help: 'server version announced, 0-1000 (default 193)' },
        'bar-ms': { type: 'string', arg: 'N', help: 'real-time bar length in ms (default 5000)' },
      },
    },
    alphavantage: {
      name: 'sim alphavantage',
      usage: ['sim alphavantage [--port N] [--host H] [--seed N] [--limit N] [--key K] [--symbols SYM=PRICE,...]'],
      summary: 'The Alpha Vantage HTTP simulator.',
      options: {
        port: simPort('0'), host,
        seed: { type: 'string', arg: 'N', help: 'seed (default 42)' },
        limit: { type: 'string', arg: 'N', help: 'requests per minute per key (default 600)' },
        key: { type: 'string', arg: 'K', help: 'accepted API keys, comma-separated (default demo-sim-key)' },
        symbols: { type: 'string', arg: 'SYM=PRICE,...', help: 'symbols and their starting prices' },
      },
    },
  },
};

const clusterDir = { type: 'string' as const, arg: 'DIR', help: 'where the nodes keep their files (default var/cluster)' };
export const CLUSTER: CommandSpec = {
  name: 'cluster',
  usage: ['cluster start [--dir DIR] [--base-port N] [--masters N] [--replicas N]', 'cluster stop [--dir DIR]'],
  summary: 'A Redis Cluster on loopback (redis-server + redis-cli --cluster create) for tests and demos of the multi-host mode.',
  options: {},
  subcommands: {
    start: {
      name: 'cluster start',
      usage: ['cluster start [--dir DIR] [--base-port N] [--masters N] [--replicas N]'],
      summary: 'Start the nodes, create the cluster, wait for cluster_state:ok; prints REDIS_CLUSTER_NODES.',
      options: {
        dir: clusterDir,
        'base-port': { type: 'string', arg: 'N', help: 'first node port (default 7101; each node also uses port + 10000)' },
        masters: { type: 'string', arg: 'N', help: 'masters, 3-9 (default 3)' },
        replicas: { type: 'string', arg: 'N', help: 'replicas per master, 0-2 (default 0; 1 allows failover)' },
      },
    },
    stop: {
      name: 'cluster stop',
      usage: ['cluster stop [--dir DIR]'],
      summary: 'Shut every node down and remove the cluster\'s files.',
      options: { dir: clusterDir },
    },
  },
};

/** Every command, in the order the overview lists them. */
export const REPORT: CommandSpec = {
  name: 'report',
  usage: ['report [--date YYYY-MM-DD] [--regenerate] [--json] [--config FILE]'],
  summary: 'A session\'s end-of-day report (per strategy and total, tax lots, pattern day trades), as stored by the engine; rebuilt from the order journal when missing or with --regenerate.',
  details: 'Files: <dataDir>/reports/DATE/ (report.md, report.json, blotter.csv, equity.svg); Redis: reports:daily:DATE. Default date: the last stored session.',
  options: {
    date: { type: 'string', arg: 'YYYY-MM-DD', help: 'the session (a NYSE trading day; default: the last stored report)' },
    regenerate: { type: 'boolean', help: 'rebuild it from the order journal (and store it again)' },
    json,
    config,
  },
};

export const COMMANDS: CommandSpec[] = [START, STATUS, RECORD, REPLAY, BACKTEST, LOBSTER, DISCOVER, ORDERS, ORDER, KILL, FLATTEN, BREAKER, ESCALATION, REPORT, BACKUP, RESTORE, REDIS_CLI, CALC, SIM, CLUSTER];
