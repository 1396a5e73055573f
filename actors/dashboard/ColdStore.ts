/** A key as an actor published it for Redis: the dashboard keeps the same key space as its model. */
interface Entry {
  value: unknown;
  /** epoch ms after which the key no longer exists (Infinity: no TTL) */
  expiresAt: number;
  /** epoch ms when it was last set */
  setAt: number;
}

export interface ColdStoreStats {
  sets: number;
  rejected: number;
  expired: number;
  evicted: number;
}

/**
 * The cold key space (`market:{SYM}:book`, `engine:status`, `analytics:{SYM}:gex`, `cb:state`, …) mirrored
 * from the publisher's requests, with the same TTL semantics as Redis: an expired key is absent, exactly
 * as an operator would find it with redis-cli. Bounded: past `maxKeys` the oldest-set key is evicted.
 * String values that hold JSON are parsed once here, so panels read structured values either way.
 */
export class ColdStore {
  private readonly map = new Map<string, Entry>();
  readonly stats: ColdStoreStats = { sets: 0, rejected: 0, expired: 0, evicted: 0 };

  constructor(private readonly onChange: (key: string) => void = () => {}, readonly maxKeys = 20_000) {}

  get size(): number {
    return this.map.size;
  }

  /** One publish request; returns false (and counts it) when it is malformed. */
  set(key: unknown, value: unknown, ttlMs: unknown, nowMs = Date.now()): boolean {
    if (typeof key !== 'string' || key.length === 0 || key.length > 512 || typeof ttlMs !== 'number' || !(ttlMs >= 0)) {
      this.stats.rejected++;
      return false;
    }
    const v = typeof value === 'string' ? parseMaybeJson(value) : value;
    const existing = this.map.get(key);
    if (existing) {
      // Re-inserting moves the key to the end: the map's order is then least-recently-set first.
      this.map.delete(key);
    } else if (this.map.size >= this.maxKeys) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.stats.evicted++;
      this.onChange(oldest);
    }
    this.map.set(key, { value: v, expiresAt: ttlMs > 0 ? nowMs + ttlMs : Infinity, setAt: nowMs });
    this.stats.sets++;
    this.onChange(key);
    return true;
  }

  /** The live value, or undefined when the key was never set or has expired. */
  get(key: string, nowMs = Date.now()): unknown {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= nowMs) return undefined;
    return e.value;
  }

  /** When the live key was last set (epoch ms), or 0. */
  setAt(key: string, nowMs = Date.now()): number {
    const e = this.map.get(key);
    return e && e.expiresAt > nowMs ? e.setAt : 0;
  }

  has(key: string, nowMs = Date.now()): boolean {
    return this.get(key, nowMs) !== undefined;
  }

  /** Live keys starting with `prefix`. */
  keys(prefix = '', nowMs = Date.now()): string[] {
    const out: string[] = [];
    for (const [k, e] of this.map) if (e.expiresAt > nowMs && k.startsWith(prefix)) out.push(k);
    return out;
  }

  /** Removes expired keys and reports each one as changed (its panel now shows it gone). */
  sweep(nowMs = Date.now()): number {
    let n = 0;
    for (const [k, e] of this.map) {
      if (e.expiresAt <= nowMs) {
        this.map.delete(k);
        this.stats.expired++;
        n++;
        this.onChange(k);
      }
    }
    return n;
  }
}

function parseMaybeJson(s: string): unknown {
  const c = s.charCodeAt(0);
  // Only objects and arrays: '1', 'tripped', '42' stay the strings they were published as.
  if (c !== 0x7b /* { */ && c !== 0x5b /* [ */) return s;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
