import { MAX_TOKEN_LENGTH } from './environment.js';

export type BearerRejection = 'missing' | 'not_bearer' | 'malformed' | 'too_long';

export type BearerParseResult = { readonly ok: true; readonly token: string } | { readonly ok: false; readonly reason: BearerRejection };

/**
 * RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token, nothing after it.
 * Repeated headers joined by API Gateway with commas fail here, because `,` is not a b64token character.
 */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const SCHEME = /^bearer(?: |$)/i;

/** Parses one `Authorization` header value. Nothing that fails here may reach the OAuth server. */
export function parseBearerHeader(value: string | undefined): BearerParseResult {
  if (value === undefined || value === '') return { ok: false, reason: 'missing' };
  if (!SCHEME.test(value)) return { ok: false, reason: 'not_bearer' };
  // The pattern is linear (no overlapping repetitions), so a long header costs no backtracking.
  const match = BEARER.exec(value);
  if (match === null) return { ok: false, reason: 'malformed' };
  const token = match[1] as string;
  return token.length > MAX_TOKEN_LENGTH ? { ok: false, reason: 'too_long' } : { ok: true, token };
}
