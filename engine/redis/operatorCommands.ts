import type { RedisLike } from './RedisClient.js';

/**
 * The operator command channel between the CLI, the dashboard, the supervisor and the execution actor:
 * commands go into a Redis Stream, each answer into a key named by the command's id. Both sides agree on how
 * long a sender waits, because the engine must not run a command its sender has already given up on.
 */
export const COMMAND_STREAM = 'engine:commands';
export const commandAnswerKey = (id: string) => `engine:command:${id}`;
/** How long the CLI waits for an answer, unless it sends its own `waitMs`. */
export const COMMAND_WAIT_MS = 10_000;

/** An answer names the stream entry it answers, so a sender never takes an earlier command's answer (same id) for its own. */
export type CommandAnswer = Record<string, unknown> & { ok?: boolean; entry?: string };

/**
 * Puts one command on the stream and waits (polling its answer key) until the engine answers it or the wait
 * is over: null then. `fields` must hold `id` (the answer key and, for orders, the idempotency key) and
 * `action`; `waitMs` is sent along so the engine skips the command once its sender has given up.
 */
export async function sendOperatorCommand(redis: RedisLike, fields: Record<string, string> & { id: string; action: string }, waitMs = COMMAND_WAIT_MS, pollMs = 100): Promise<CommandAnswer | null> {
  const entry = (await redis.xadd(COMMAND_STREAM, 'MAXLEN', '~', 1000, '*', ...Object.entries({ ...fields, waitMs: String(waitMs) }).flat())) as string;
  const t0 = Date.now();
  while (Date.now() - t0 < waitMs) {
    await new Promise((r) => setTimeout(r, pollMs));
    const raw = await redis.get(commandAnswerKey(fields.id)).catch(() => null);
    let ans: CommandAnswer | null = null;
    try {
      ans = raw ? (JSON.parse(raw) as CommandAnswer) : null;
    } catch {
      ans = null;
    }
    if (ans && ans.entry === entry) {
      delete ans.entry;
      return ans;
    }
  }
  return null;
}
