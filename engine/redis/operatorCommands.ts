/**
 * The operator command channel between the CLI and the execution actor: commands go into a Redis Stream,
 * each answer into a key named by the command's id. Both sides agree on how long a sender waits, because
 * the engine must not run a command its sender has already given up on.
 */
export const COMMAND_STREAM = 'engine:commands';
export const commandAnswerKey = (id: string) => `engine:command:${id}`;
/** How long the CLI waits for an answer, unless it sends its own `waitMs`. */
export const COMMAND_WAIT_MS = 10_000;
