/**
 * A lease in Redis with a fencing token (scale-out.md §3): one holder at a time for a named resource
 * (a symbol, the execution role), granted with a token that grows on every grant, renewed by
 * compare-and-extend, released by compare-and-delete, and a fenced stream append that Redis refuses
 * unless the caller still holds the lease under the same `owner:token`.
 *
 * Keys share one hash slot (`{NAME}:lease`, `{NAME}:epoch`, and the fenced stream must be tagged `{NAME}`
 * too), so every script runs on one node of a cluster. The holder also fences itself on a monotonic
 * clock: `held()` is false once the time of the last successful grant or renewal request + TTL − margin
 * has passed, whether or not Redis can be reached (a paused process cannot outlive its lease unnoticed).
 */
import type { Cluster, Redis } from 'ioredis';

type Client = Redis | Cluster;

const ACQUIRE = `if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. t, 'PX', ARGV[2])
return t`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
// KEYS: lease, stream  ARGV: owner:token, maxlen, field, value, …  → the entry id, or the error FENCED
const APPEND = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED lease not held by ' .. ARGV[1]) end
local args = {KEYS[2], 'MAXLEN', '~', ARGV[2], '*'}
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
return redis.call('XADD', unpack(args))`;

export class FencedError extends Error {
  override readonly name = 'FencedError';
}

// A stream in another slot than its lease keeps its own fence (Kleppmann: the resource remembers the newest
// token it has seen). KEYS: fence (a hash in the stream's slot), stream  ARGV: token, owner, field, value, …
// Refuses a token older than the fence's, or the same number from another owner (a failover can roll an
// INCR back and grant a number twice); a newer token raises the fence before its first entry is added.
const FENCE_CHECK = `local cur = redis.call('HMGET', KEYS[1], 'token', 'owner')
local t = tonumber(ARGV[1])
local ct = tonumber(cur[1]) or 0
if t < ct or (t == ct and cur[2] ~= ARGV[2]) then
  return redis.error_reply('FENCED token ' .. ARGV[1] .. ' of ' .. ARGV[2] .. ' is older than ' .. ct .. ' of ' .. tostring(cur[2]))
end
if t > ct then redis.call('HSET', KEYS[1], 'token', ARGV[1], 'owner', ARGV[2]) end
`;
const FENCE_RAISE = `${FENCE_CHECK}return 1`;
const FENCE_APPEND = `${FENCE_CHECK}return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))`;

/** `fence` of a stream: a hash tagged with the stream's own slot (`{orders:journal}:fence` for `orders:journal`). */
export const streamFenceKey = (stream: string): string => {
  if (/[{}]/.test(stream)) throw new Error(`stream ${stream} already has a hash tag: name its fence in ClusterKeys`);
  return `{${stream}}:fence`;
};

/**
 * Fenced appends to a stream that lives outside its lease's slot (the order journal): Redis refuses an
 * append whose token is older than the newest one the fence has seen. A new holder `raise`s the fence right
 * after its grant and before it reads the stream, so every append of an older holder either landed before
 * that read (and is seen by it) or is refused.
 */
export class StreamFence {
  /** appends Redis refused as stale */
  refused = 0;

  constructor(private readonly redis: Client, readonly stream: string, readonly fenceKey = streamFenceKey(stream)) {}

  /** Raises the fence to `token` (no-op if already there for `owner`); FencedError if a newer token passed. */
  async raise(token: number, owner: string): Promise<void> {
    await this.run(() => this.redis.eval(FENCE_RAISE, 2, this.fenceKey, this.stream, token, owner));
  }

  /** XADD `fields` (flat field, value, …) under `token`; the entry id, or FencedError. */
  async append(token: number, owner: string, fields: readonly string[]): Promise<string> {
    return (await this.run(() => this.redis.eval(FENCE_APPEND, 2, this.fenceKey, this.stream, token, owner, ...fields))) as string;
  }

  private async run(fn: () => Promise<unknown>): Promise<unknown> {
    try {
      return await fn();
    } catch (e) {
      if (/FENCED/.test(String((e as Error).message))) {
        this.refused++;
        throw new FencedError(`${this.stream}: ${String((e as Error).message)}`);
      }
      throw e;
    }
  }
}

/** The keys of a lease named `name` (the name is the hash tag: `{SPY}`, `{execution}`). */
export const leaseKeys = (name: string) => ({ lease: `{${name}}:lease`, epoch: `{${name}}:epoch` });

export interface LeaseOptions {
  ttlMs: number;
  /** Stop believing in the lease this long before its TTL would end (clock drift, the renewal's own latency). */
  marginMs?: number;
  /** monotonic ms clock (default performance.now) */
  now?: () => number;
}

export class Lease {
  readonly keys: { lease: string; epoch: string };
  /** The current grant, or null when this holder has none. */
  token: number | null = null;
  private validUntil = -Infinity;
  private readonly now: () => number;
  private readonly marginMs: number;

  constructor(private readonly redis: Client, readonly name: string, readonly owner: string, private readonly o: LeaseOptions) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error(`lease name: 1-64 letters, digits, . _ -; got ${JSON.stringify(name)}`);
    if (!/^[^:\s]{1,128}$/.test(owner)) throw new Error(`lease owner: 1-128 characters, no ':' or spaces; got ${JSON.stringify(owner)}`);
    if (!(o.ttlMs >= 100)) throw new Error('lease ttlMs must be ≥ 100');
    this.keys = leaseKeys(name);
    this.now = o.now ?? (() => performance.now());
    this.marginMs = o.marginMs ?? Math.min(500, Math.floor(o.ttlMs / 5));
  }

  /** `owner:token` as stored in Redis (the fencing identity; compared whole, not by number). */
  get holder(): string | null {
    return this.token === null ? null : `${this.owner}:${this.token}`;
  }

  /** True while this process may act under the lease (monotonic clock; no Redis call). */
  held(): boolean {
    return this.token !== null && this.now() < this.validUntil;
  }

  /** Takes the lease when nobody holds it; returns the new token, or null (someone else holds it). */
  async acquire(): Promise<number | null> {
    const sent = this.now();
    const t = (await this.redis.eval(ACQUIRE, 2, this.keys.lease, this.keys.epoch, this.owner, this.o.ttlMs)) as number | null;
    if (t === null) return null;
    this.token = Number(t);
    this.validUntil = sent + this.o.ttlMs - this.marginMs;
    return this.token;
  }

  /** Extends the lease if it is still ours; false (and the token dropped) when it is not. */
  async renew(): Promise<boolean> {
    const me = this.holder;
    if (me === null) return false;
    const sent = this.now();
    const ok = (await this.redis.eval(RENEW, 1, this.keys.lease, me, this.o.ttlMs)) as number;
    if (ok === 1) {
      this.validUntil = sent + this.o.ttlMs - this.marginMs;
      return true;
    }
    this.drop();
    return false;
  }

  /** Gives the lease up (only if still ours) so another holder need not wait for the TTL. */
  async release(): Promise<boolean> {
    const me = this.holder;
    this.drop();
    if (me === null) return false;
    return ((await this.redis.eval(RELEASE, 1, this.keys.lease, me)) as number) === 1;
  }

  /**
   * XADD to `stream` only while Redis still has this holder's `owner:token` on the lease; the stream must be
   * in the lease's slot (tagged `{NAME}`). Throws FencedError (and drops the token) when the lease moved on.
   */
  async append(stream: string, fields: Record<string, string | number>, maxLen = 1_000_000): Promise<string> {
    const me = this.holder;
    if (me === null || !this.held()) throw new FencedError(`lease ${this.name} not held by ${this.owner}`);
    if (!stream.includes(`{${this.name}}`)) throw new Error(`stream ${stream} is not in the slot of lease {${this.name}}`);
    try {
      return (await this.redis.eval(APPEND, 2, this.keys.lease, stream, me, maxLen, ...Object.entries(fields).flat().map(String))) as string;
    } catch (e) {
      if (/FENCED/.test(String((e as Error).message))) {
        this.drop();
        throw new FencedError(String((e as Error).message));
      }
      throw e;
    }
  }

  private drop(): void {
    this.token = null;
    this.validUntil = -Infinity;
  }
}
