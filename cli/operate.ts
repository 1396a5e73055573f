import { randomBytes } from 'node:crypto';
import { createRedisClient, type RedisLike } from '../engine/redis/RedisClient.js';
import { ConfigError, loadConfig } from '../engine/config/loadConfig.js';
import type { EngineConfig } from '../engine/config/schema.js';
import { COMMAND_WAIT_MS, sendOperatorCommand } from '../engine/redis/operatorCommands.js';
import { ControlWriter } from '../engine/supervisor/ControlWriter.js';
import { oneOf, parseCommand, positiveWhole, symbol, text } from './args.js';
import { BREAKER, ESCALATION, FLATTEN, KILL, ORDER, ORDERS } from './commands.js';
import { operatorRedis } from './redisTarget.js';

async function connect(configFile?: string): Promise<RedisLike | number> {
  const c = await connectEngine(configFile);
  return typeof c === 'number' ? c : c.redis;
}

/** The configuration and a connection to the engine's Redis, or the exit status (2 bad config, 3 no Redis) after saying why. */
export async function connectEngine(configFile?: string): Promise<{ redis: RedisLike; config: EngineConfig } | number> {
  let config: EngineConfig;
  try {
    config = loadConfig({ file: configFile }).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const t = operatorRedis(config);
  const r = createRedisClient({ ...t, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 2000 });
  r.on('error', () => {});
  try {
    await r.connect();
  } catch (e) {
    console.error(`cannot reach Redis at ${t.host}:${t.port}: ${(e as Error).message}. Is the engine running?`);
    return 3;
  }
  return { redis: r, config };
}

/**
 * Sends an operator command to the running engine through the `engine:commands` stream and waits for its
 * answer (the execution actor writes `engine:command:<id>`). Exit 0 when the engine confirms.
 */
async function command(action: string, reason: string, configFile: string | undefined, timeoutMs = COMMAND_WAIT_MS, extra: Record<string, string> = {}): Promise<number> {
  const r = await connect(configFile);
  if (typeof r === 'number') return r;
  try {
    const res = await sendOperatorCommand(r, { id: randomBytes(8).toString('hex'), action, reason, source: 'cli', ...extra }, timeoutMs);
    if (res) {
      console.log(JSON.stringify(res, null, 2));
      return res.ok ? 0 : 1;
    }
    console.error(`no answer from the engine within ${timeoutMs / 1000} s (is it running, with its execution actor?)`);
    return 4;
  } finally {
    r.disconnect();
  }
}

export async function runKill(argv: string[]): Promise<number> {
  const args = parseCommand(KILL, argv);
  const reason = args.required('reason', text);
  const configFile = args.string('config');
  // Halt and trip durably first, on the CLI's own connection: a kill sent while execution is down or
  // restarting still leaves the engine halted (execution reads the record at start and keeps flattening).
  const r = await connect(configFile);
  if (typeof r === 'number') return r;
  try {
    await new ControlWriter(r, { error: (o: unknown, m?: string) => console.error(m ?? '', JSON.stringify(o)) })
      .trip(`kill switch: ${reason}`, { key: 'engine:halted', value: { reason, source: 'cli' } });
  } finally {
    r.disconnect();
  }
  return command('kill', reason, configFile);
}

export async function runEscalation(argv: string[]): Promise<number> {
  const args = parseCommand(ESCALATION, argv);
  args.positional(0, oneOf('clear'));
  return command('escalation-clear', args.required('reason', text), args.string('config'));
}

export async function runFlatten(argv: string[]): Promise<number> {
  const args = parseCommand(FLATTEN, argv);
  return command('flatten', args.option('reason', text, 'manual flatten'), args.string('config'), COMMAND_WAIT_MS, args.flag('all') ? { all: '1' } : {});
}

export async function runBreaker(argv: string[]): Promise<number> {
  const args = parseCommand(BREAKER, argv);
  const action = args.positional(0, oneOf('trip', 'approve', 'reset'));
  return command(`breaker-${action}`, args.required('reason', text), args.string('config'));
}

/** `alphatrader orders [--json] [--all]`: open orders, or the whole journal, read from Redis. */
export async function runOrders(argv: string[]): Promise<number> {
  const args = parseCommand(ORDERS, argv);
  const values = { json: args.flag('json'), all: args.flag('all') };
  const r = await connect(args.string('config'));
  if (typeof r === 'number') return r;
  try {
    if (!values.all) {
      const open = JSON.parse((await r.get('orders:open')) ?? '[]');
      if (values.json) console.log(JSON.stringify(open, null, 2));
      else if (!open.length) console.log('no open orders');
      else for (const o of open) console.log(`${o.clientOrderId}  ${o.side} ${o.qty} ${o.symbol} ${o.type}  ${o.state}  filled ${o.filledQty}`);
      return 0;
    }
    const entries = await r.xrange('orders:journal', '-', '+');
    const rows = entries.map(([id, kv]) => {
      const f: Record<string, string> = { id };
      for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]] = kv[i + 1];
      return f;
    });
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else for (const f of rows) console.log(f.type === 'intent' ? `${f.id} INTENT ${f.cid} ${f.side} ${f.qty} ${f.symbol} ${f.orderType}` : `${f.id}   ${f.kind.padEnd(12)} ${f.cid}${f.execId ? ` ${f.qty}@${f.price} exec ${f.execId}` : ''}${f.reason ? ` (${f.reason})` : ''}`);
    return 0;
  } finally {
    r.disconnect();
  }
}

/**
 * `alphatrader order buy|sell SYMBOL QTY [--id ID]`: a manual market order through risk, the journal and the
 * broker. The id (random unless given) makes the client order id: repeating a command with the same id
 * never places a second order.
 */
export async function runOrder(argv: string[]): Promise<number> {
  const args = parseCommand(ORDER, argv);
  const side = args.positional(0, oneOf('buy', 'sell'));
  const sym = args.positional(1, symbol);
  const qty = args.positional(2, positiveWhole(1_000_000_000));
  const id = args.option('id', orderId) ?? randomBytes(6).toString('hex');
  return command('order', 'manual order', args.string('config'), COMMAND_WAIT_MS, { id, side, symbol: sym, qty: String(qty) });
}

/** The operator's part of a client order id: it ends up in the id the broker sees. */
function orderId(raw: string): string {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(raw)) throw new Error('expected 1-40 letters, digits, - or _');
  return raw;
}
