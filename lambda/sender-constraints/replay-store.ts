import type { AuthorizerConfig } from '../config.js';
import { DPOP_REPLAY_CACHE_MAX_ENTRIES } from '../environment.js';
import { ReplayCache } from './replay-cache.js';
import { DynamoDbReplayStore } from './replay-dynamodb.js';

/**
 * Where DPoP proof ids are remembered, so that a proof is accepted once. `claim` answers `true`
 * the first time a key is claimed before `expiresAt` (seconds since the epoch), `false` for a
 * replay; it throws only when it cannot find out (a shared store that is unreachable), which the
 * authorizer reports as an error (500), never as an allow.
 */
export interface ReplayStore {
  claim(key: string, expiresAt: number): boolean | Promise<boolean>;
}

/** The shared store when `DPOP_REPLAY_TABLE` names a table, else this instance's own. */
export function createReplayStore(config: Pick<AuthorizerConfig, 'dpopReplayTable' | 'introspectionTimeoutMs'>): ReplayStore {
  return config.dpopReplayTable === undefined
    ? new ReplayCache(DPOP_REPLAY_CACHE_MAX_ENTRIES)
    : new DynamoDbReplayStore(config.dpopReplayTable, config.introspectionTimeoutMs);
}
