/**
 * Where a Redis URL points, as ioredis options: host, port, credentials, and TLS for `rediss://` (every
 * connection the engine, the CLI and the dashboard make goes through here, so a `rediss://` URL can never
 * connect in clear text). Explicit credentials (the runtime's) win over the URL's.
 */
export interface RedisEndpoint {
  host: string;
  port: number;
  password?: string;
  username?: string;
  tls?: Record<string, never>;
}

export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);

export function redisEndpoint(url: string, password?: string, username?: string): RedisEndpoint {
  const u = new URL(url);
  const ep: RedisEndpoint = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 6379),
    password: password || (u.password ? decodeURIComponent(u.password) : undefined),
    username: username || (u.username ? decodeURIComponent(u.username) : undefined),
  };
  if (u.protocol === 'rediss:') ep.tls = {};
  return ep;
}

export const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
