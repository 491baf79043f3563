import type { ActiveToken } from './introspection-client.js';

/** A cached introspection outcome: the active token, or `undefined` for a cached "inactive". */
interface Entry {
  readonly token: ActiveToken | undefined;
  /** Milliseconds since the epoch after which the entry is never served. */
  readonly expiresAt: number;
}

export interface CacheLifetimes {
  readonly maxTtlSeconds: number;
  readonly negativeTtlSeconds: number;
}

/**
 * Introspection results of this function instance, keyed by the SHA-256 of the token (base64url) (never the
 * token itself), bounded in count with least-recently-used eviction (a `Map` keeps insertion order;
 * a hit moves the entry to the end).
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly lifetimes: CacheLifetimes,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached outcome, or `'miss'` when there is none or it has expired. */
  get(key: string, now = Date.now()): ActiveToken | undefined | 'miss' {
    const entry = this.entries.get(key);
    if (entry === undefined) return 'miss';
    this.entries.delete(key);
    if (entry.expiresAt <= now) return 'miss';
    this.entries.set(key, entry);
    return entry.token;
  }

  /**
   * Caches an active token for min(`maxTtlSeconds`, the server's max-age, the token's `exp` − now)
   * and an inactive one for min(`negativeTtlSeconds`, max-age). A lifetime of 0 caches nothing.
   */
  set(key: string, token: ActiveToken | undefined, serverMaxAgeSeconds: number | undefined, now = Date.now()): void {
    this.store(key, token, this.lifetimeMs(token, serverMaxAgeSeconds, now), now);
  }

  /** How long `set` would keep this answer, milliseconds (0 or less: not at all). */
  lifetimeMs(token: ActiveToken | undefined, serverMaxAgeSeconds: number | undefined, now = Date.now()): number {
    let ttlMs = (token === undefined ? this.lifetimes.negativeTtlSeconds : this.lifetimes.maxTtlSeconds) * 1000;
    if (serverMaxAgeSeconds !== undefined) ttlMs = Math.min(ttlMs, serverMaxAgeSeconds * 1000);
    if (token?.exp !== undefined) ttlMs = Math.min(ttlMs, token.exp * 1000 - now);
    return ttlMs;
  }

  /** Caches an answer for `ttlMs` (nothing when it is 0 or less), evicting the least recently used entry when full. */
  store(key: string, token: ActiveToken | undefined, ttlMs: number, now = Date.now()): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, { token, expiresAt: now + ttlMs });
  }
}
