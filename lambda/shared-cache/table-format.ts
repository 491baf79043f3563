/**
 * The shared cache table's items, written by the authorizer (lambda/shared-cache/introspection-table.ts)
 * and by the revocation receiver (lambda/revocation/), read by the authorizer. Data only.
 *
 * One DynamoDB table, partition key `pk` (string), no sort key, TTL attribute `expiresAt`:
 * - `token#<SHA-256 of the access token, base64url>`: what one introspection answered, as an
 *   instance's memory holds it (`state` `active` with `token`, or `inactive`), or the receiver's
 *   mark `state` `revoked`. The token itself is never stored. An instance writes its answer only
 *   if the item is not a revocation mark (a conditional PutItem), so an introspection started
 *   before the revocation cannot overwrite it; the receiver overwrites whatever is there.
 * - `set#<SHA-256 of "<iss> <jti>", base64url>`: a Security Event Token received, written only if
 *   absent, so a replayed SET is refused.
 */
export const TABLE_KEY = 'pk';
/** Seconds since the epoch; the table's TTL attribute. DynamoDB deletes late (within days): readers compare `expiresAtMs` themselves. */
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';

export const KEY_PREFIX = {
  token: 'token#',
  securityEvent: 'set#',
} as const;

/** Attribute names of a `token#` item. */
export const TOKEN_ITEM = {
  /** `active`, `inactive` or `revoked`. */
  state: 'state',
  /** JSON of the ActiveToken (lambda/introspection-client.ts) when `state` is `active`: the JWT, subject, client, scopes, exp, aud, cnf. */
  token: 'token',
  /** Milliseconds since the epoch after which the entry is never served. */
  expiresAtMs: 'expiresAtMs',
} as const;

export type TokenItemState = 'active' | 'inactive' | 'revoked';

/** The attribute a `set#` item's writer stamps it with, so a retried write recognises its own (lambda/revocation/). */
export const SET_ITEM_CLAIM_ID = 'claimId';

/**
 * Every attribute the revocation receiver writes: a mark and a `set#` item, never a `token`. The
 * construct lets its role write only these (IAM's `dynamodb:Attributes`), so even a receiver made
 * to write something else could mark tokens revoked (a deny), never write an answer (an allow).
 */
export const RECEIVER_ATTRIBUTES = [TABLE_KEY, TOKEN_ITEM.state, TABLE_TTL_ATTRIBUTE, TOKEN_ITEM.expiresAtMs, SET_ITEM_CLAIM_ID] as const;

/**
 * How long a revocation mark stays, seconds: longer than any write an introspection already in
 * flight could still make (its decision budget, at most 2 × 9 s + 0.5 s) and than any entry it
 * replaced could have lived (CACHE_MAX_TTL_SECONDS, at most 3,600 s). After it, the OAuth server's
 * own answer (inactive) is what instances cache.
 */
export const REVOCATION_MARK_SECONDS = 3_900;

/**
 * The event type of a SET naming one revoked access token. No registered event type names a
 * single revoked access token (CAEP's `session-revoked` names a session); this project's URI does,
 * with the token named by RFC 9493 `sub_id` `{"format":"opaque","id":"<SHA-256 of the token, base64url>"}`
 * — a value any identity server can compute at revocation and the only one the table is keyed by.
 */
export const TOKEN_REVOKED_EVENT = 'https://github.com/cdk-phantom-token/cdk-phantom-token/secevent/token-revoked';
