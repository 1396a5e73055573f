import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { COMMAND_STREAM, commandAnswerKey } from '../../engine/redis/operatorCommands.js';
import { EngineProcess, cli } from '../helpers/engine.js';
import { TestRedis, waitFor } from '../helpers/redis.js';

/**
 * The operator command channel (`engine:commands` → `engine:command:<id>`) across an engine's start: a
 * command sent before the execution actor is ready is still answered; one whose sender has stopped waiting
 * is never run; an answer to an earlier command with the same id is not taken for the new one's.
 */
describe('operator commands across the engine start', () => {
  let redis: TestRedis;
  let r: Redis;
  let engine: EngineProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await TestRedis.start();
    r = redis.client();
    await r.connect();
    env = { REDIS_URL: redis.url, ALPHATRADER_RISK_REQUIRE_MARKET_HOURS: 'false' };
  });
  afterAll(async () => {
    if (engine?.alive) engine.child.kill('SIGKILL');
    r?.disconnect();
    await redis?.stop();
  });

  const answer = async (id: string) => JSON.parse((await r.get(commandAnswerKey(id))) ?? 'null') as { ok: boolean; entry: string; breaker?: { state: string } } | null;

  it('answers a command sent while the engine starts, skips one its sender gave up on', async () => {
    // A trip whose sender waited 1 s, and stopped waiting before the engine existed: it must not run.
    const staleEntry = await r.xadd(COMMAND_STREAM, '*', 'id', 'stale1', 'action', 'breaker-trip', 'reason', 'stale', 'source', 'test', 'waitMs', '1000');
    await new Promise((res) => setTimeout(res, 1100));
    engine = EngineProcess.start(env);
    // Sent at once, long before "execution ready"; its sender waits up to two minutes.
    const earlyEntry = await r.xadd(COMMAND_STREAM, '*', 'id', 'early1', 'action', 'breaker-approve', 'reason', 'early', 'source', 'test', 'waitMs', '120000');
    expect(engine.has(/execution ready/)).toBe(false);
    await waitFor(async () => (await answer('early1'))?.entry === earlyEntry, 90_000, 'the early command to be answered');
    expect((await answer('early1'))!.ok).toBe(true);
    // The stale entry comes first in the stream, so it has been passed over by now, unanswered and not run.
    expect(staleEntry < earlyEntry).toBe(true);
    expect(await answer('stale1')).toBeNull();
    expect(await r.get('cb:state')).not.toBe('tripped');
  }, 120_000);

  it('the CLI takes only its own command\'s answer, not an earlier one under the same id', async () => {
    // the order needs a mark: execution gets it with the books this engine publishes
    await waitFor(async () => (await r.exists('market:{SPY}:book')) === 1, 20_000, 'books');
    const first = await cli(['order', 'buy', 'SPY', '1', '--id', 'same1'], env);
    const second = await cli(['order', 'buy', 'SPY', '1', '--id', 'same1'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/sent/);
    expect(second.stdout).toMatch(/duplicate/);
    const { code } = await engine!.stop();
    expect(code).toBe(0);
  }, 60_000);
});
