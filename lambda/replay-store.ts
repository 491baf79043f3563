/**
 * Where DPoP proof ids are remembered, so that a proof is accepted once. `claim` answers `true`
 * the first time a key is claimed before `expiresAt` (seconds since the epoch), `false` for a
 * replay; it throws only when it cannot find out (a shared store that is unreachable), which the
 * authorizer reports as an error (500), never as an allow.
 */
export interface ReplayStore {
  claim(key: string, expiresAt: number): boolean | Promise<boolean>;
}
