import { MAX_TOKEN_LENGTH } from './environment.js';

export type BearerRejection = 'missing' | 'not_bearer' | 'malformed' | 'too_long';

export type BearerParseResult = { readonly ok: true; readonly token: string } | { readonly ok: false; readonly reason: BearerRejection };

/**
 * RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token, nothing after it.
 * Repeated headers joined by API Gateway with commas fail here, because `,` is not a b64token character.
 */
// The scheme's case-insensitivity is spelled out instead of an `i` flag, which would make the
// engine case-fold every character of the token as well.
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] +[A-Za-z0-9\-._~+/]+=*$/;
const SCHEME = /^bearer(?: |$)/i;

/** Parses one `Authorization` header value. Nothing that fails here may reach the OAuth server. */
export function parseBearerHeader(value: string | undefined): BearerParseResult {
  if (value === undefined || value === '') return { ok: false, reason: 'missing' };
  // The pattern is linear (no overlapping repetitions), so a long header costs no backtracking.
  if (!BEARER.test(value)) return { ok: false, reason: SCHEME.test(value) ? 'malformed' : 'not_bearer' };
  // A b64token holds no space: it is everything after the last one.
  const token = value.slice(value.lastIndexOf(' ') + 1);
  return token.length > MAX_TOKEN_LENGTH ? { ok: false, reason: 'too_long' } : { ok: true, token };
}
