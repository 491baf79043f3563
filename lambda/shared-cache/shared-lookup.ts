import type { Deadline } from '../deadline.js';
import type { ActiveToken, IntrospectionResult } from '../introspection-client.js';
import { type DecisionLogLine, roundMs } from '../observability/decision-log.js';
import type { TokenCache } from '../token-cache.js';
import type { IntrospectionTable, TableEntry } from './introspection-table.js';

/**
 * A memory miss with a shared cache: the table, then the OAuth server. One lookup per token at a
 * time in this instance (single flight: a second request for the same token waits for the first's
 * answer). What the table holds is served until its expiry, from memory for at most
 * `memoryTtlMs` (the bound within which a revocation marked in the table reaches this instance);
 * a revocation mark is an inactive token. A table that fails, runs late or holds an item this code
 * did not write costs an introspection, whose answer is then written (unless a revocation mark
 * arrived meanwhile: then the token is revoked). A failed write changes nothing but the next
 * instance's cost. Every table call is bounded by the shared cache's timeout and what is left of
 * the decision's budget; the introspection keeps its own bounds.
 */
export class SharedLookup {
  private readonly inFlight = new Map<string, Promise<ActiveToken | undefined>>();

  constructor(
    private readonly table: IntrospectionTable,
    private readonly memory: TokenCache,
    private readonly memoryTtlMs: number,
  ) {}

  lookUp(
    key: string,
    line: DecisionLogLine,
    deadline: Deadline,
    introspect: () => Promise<IntrospectionResult>,
  ): Promise<ActiveToken | undefined> {
    const pending = this.inFlight.get(key);
    if (pending !== undefined) {
      line.sharedCache = 'joined';
      return pending;
    }
    const started = this.fetch(key, line, deadline, introspect).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  private async fetch(
    key: string,
    line: DecisionLogLine,
    deadline: Deadline,
    introspect: () => Promise<IntrospectionResult>,
  ): Promise<ActiveToken | undefined> {
    const asked = performance.now();
    let entry: TableEntry | 'unavailable';
    try {
      entry = await this.table.read(key, msLeft(deadline));
    } catch (error) {
      entry = 'unavailable';
      line.sharedCacheError = (error as Error).message;
    }
    line.sharedCacheMs = roundMs(performance.now() - asked);
    const now = Date.now();
    if (entry !== 'unavailable') {
      switch (entry.state) {
        case 'active':
          line.sharedCache = 'hit';
          this.memory.store(key, entry.token, Math.min(this.memoryTtlMs, entry.expiresAtMs - now), now);
          return entry.token;
        case 'inactive':
          line.sharedCache = 'negative';
          this.memory.store(key, undefined, Math.min(this.memoryTtlMs, entry.expiresAtMs - now), now);
          return undefined;
        case 'revoked':
          return this.revoked(key, line, now);
      }
    }
    line.sharedCache = entry === 'unavailable' ? 'unavailable' : entry.state;
    const result = await introspect();
    const token = result.active ? result.token : undefined;
    const answeredAt = Date.now();
    const lifetimeMs = this.memory.lifetimeMs(token, result.maxAgeSeconds, answeredAt);
    const left = msLeft(deadline);
    if (lifetimeMs > 0 && left >= 1) {
      const written = performance.now();
      try {
        if ((await this.table.write(key, token, answeredAt + lifetimeMs, left)) === 'revoked') return this.revoked(key, line, Date.now());
        line.sharedCacheWrite = 'written';
      } catch (error) {
        line.sharedCacheWrite = 'failed';
        line.sharedCacheError = (error as Error).message;
      }
      line.sharedCacheWriteMs = roundMs(performance.now() - written);
    }
    this.memory.store(key, token, token === undefined ? lifetimeMs : Math.min(this.memoryTtlMs, lifetimeMs), answeredAt);
    return token;
  }

  /** The receiver marked the token revoked: inactive, and remembered as any inactive answer is. */
  private revoked(key: string, line: DecisionLogLine, now: number): undefined {
    line.sharedCache = 'revoked';
    this.memory.store(key, undefined, this.memory.lifetimeMs(undefined, undefined, now), now);
    return undefined;
  }
}

function msLeft(deadline: Deadline): number {
  return Math.floor(deadline.at - performance.now());
}
