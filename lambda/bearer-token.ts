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
  return tokenAfterScheme(value);
}

/** The scheme an access token was presented with. */
export type TokenScheme = 'Bearer' | 'DPoP';

export type AuthorizationParseResult =
  | { readonly ok: true; readonly scheme: TokenScheme; readonly token: string }
  | { readonly ok: false; readonly reason: BearerRejection };

/**
 * RFC 9449 §7.1: `DPoP` (any case), one or more spaces, a token68 (the b64token grammar), nothing after it.
 * Same rules and limits as Bearer; `not_bearer` then means "neither Bearer nor DPoP".
 */
const DPOP = /^[Dd][Pp][Oo][Pp] +[A-Za-z0-9\-._~+/]+=*$/;
const DPOP_SCHEME = /^dpop(?: |$)/i;

/** Parses one `Authorization` header value as Bearer (RFC 6750) or DPoP (RFC 9449) credentials. */
export function parseAuthorizationHeader(value: string | undefined): AuthorizationParseResult {
  if (value !== undefined && DPOP_SCHEME.test(value)) {
    if (!DPOP.test(value)) return { ok: false, reason: 'malformed' };
    const dpop = tokenAfterScheme(value);
    return dpop.ok ? { ok: true, scheme: 'DPoP', token: dpop.token } : dpop;
  }
  const bearer = parseBearerHeader(value);
  return bearer.ok ? { ok: true, scheme: 'Bearer', token: bearer.token } : bearer;
}

function tokenAfterScheme(value: string): BearerParseResult {
  // A b64token holds no space: it is everything after the last one.
  const token = value.slice(value.lastIndexOf(' ') + 1);
  return token.length > MAX_TOKEN_LENGTH ? { ok: false, reason: 'too_long' } : { ok: true, token };
}
