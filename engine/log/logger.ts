import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** Field paths that may carry secrets; pino replaces their values before anything is written. */
export const REDACT_PATHS = [
  'password', '*.password', 'token', '*.token', 'apiKey', '*.apiKey', 'apikey', '*.apikey', 'secret', '*.secret',
  'keyId', '*.keyId', 'authorization', '*.authorization', 'headers.authorization', 'headers["apca-api-secret-key"]',
  'headers["apca-api-key-id"]', 'redisPassword', '*.redisPassword',
];

/** A URL safe to log: the password (and user) replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of ['apikey', 'token']) if (u.searchParams.has(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export interface LogOptions { level: string; pretty: 'auto' | 'always' | 'never'; name?: string }

/**
 * JSON lines on stdout (pretty on a TTY). The stream is fd 1 written synchronously from whichever thread
 * logs, so worker-thread actors do not funnel their logs through the main thread's event loop.
 */
export function createLogger(opts: LogOptions, bindings: Record<string, unknown> = {}): Logger {
  const usePretty = opts.pretty === 'always' || (opts.pretty === 'auto' && process.stdout.isTTY === true);
  const base = {
    level: opts.level,
    name: opts.name ?? 'alphatrader',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid, ...bindings },
  };
  const dest = usePretty
    ? pretty({ colorize: true, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' })
    : pino.destination({ dest: 1, sync: true });
  return pino(base, dest);
}
