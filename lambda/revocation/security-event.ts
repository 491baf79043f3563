import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { DPOP_ALGORITHMS } from '../environment.js';
import { PhantomTokenError } from '../errors.js';
import { loadJose } from '../jose-loader.js';
import { TOKEN_REVOKED_EVENT } from '../shared-cache/table-format.js';
import { type DeliveryErrorCode, RevocationUnavailableError, SecurityEventRefusedError } from './errors.js';
import { type IssuerKeys, JWKS_REFETCH_COOLDOWN_MS } from './issuer-keys.js';

/** RFC 8417 §2.3 `typ`: compared case-insensitively, with or without `application/` (jose's rule). */
export const SET_TYPE = 'secevent+jwt';

/** Asymmetric JWS algorithms only (never `none`, never a MAC): the same list a DPoP proof may use. */
export const SET_ALGORITHMS: readonly string[] = DPOP_ALGORITHMS;

/**
 * How far a SET's `iat` may be from now, either way, seconds. A SET older than this is refused, so
 * a `set#` item need only outlive `iat` by this much to refuse every replay of it.
 */
export const SET_IAT_WINDOW_SECONDS = 300;

/** RFC 9493 `opaque` subject identifier holding the SHA-256 of the token, base64url without padding. */
const TOKEN_HASH = /^[A-Za-z0-9_-]{43}$/;

/** What a verified SET says: one access token revoked. */
export interface TokenRevocation {
  /** SHA-256 of the revoked access token, base64url: the `token#` item's hash. */
  readonly tokenHash: string;
  /** SHA-256 of `"<iss> <jti>"`, base64url: the `set#` item's hash. */
  readonly setHash: string;
  /** The SET's `iat`, seconds since the epoch. */
  readonly iat: number;
}

/**
 * RFC 8417 validation of a SET naming a revoked access token. In order: the signature (an
 * asymmetric `alg`, a key of the issuer's JWKS), `typ`, `iss`, `aud`, `jti` and `iat` (within
 * {@link SET_IAT_WINDOW_SECONDS}), then the `events` claim.
 *
 * Decisions beyond RFC 8417's MUSTs, each a 400 `invalid_request`:
 * - a SET with `exp` is refused: RFC 8417's security considerations (preventing confusion) keep
 *   SETs apart from ID and access tokens, which carry `exp`; a JWT with one is more likely such a
 *   token than a statement of fact, and `iat` bounds a SET's life here already.
 * - a SET without a {@link TOKEN_REVOKED_EVENT} event is refused (not accepted and ignored): this
 *   receiver subscribes to that event only, so such a SET shows a transmitter configured wrongly,
 *   which it should hear. Events of other types beside ours are ignored.
 * - the token is named by RFC 9493 `sub_id`, either as a top-level claim (OpenID SSF) or as the
 *   event's `subject` (CAEP): exactly one of the two.
 */
export class SecurityEventVerifier {
  constructor(
    private readonly issuer: string,
    private readonly audience: string,
    private readonly keys: IssuerKeys,
  ) {}

  /** The revocation the SET states; throws `SecurityEventRefusedError` (400) or `RevocationUnavailableError` (503). */
  async verify(set: string, nowMs: number): Promise<TokenRevocation> {
    let jose: Awaited<ReturnType<typeof loadJose>>;
    let getKey: Awaited<IssuerKeys['getKey']>;
    try {
      [jose, getKey] = await Promise.all([loadJose(), this.keys.getKey]);
    } catch (cause) {
      throw new RevocationUnavailableError('jose could not be loaded', undefined, { cause });
    }
    const fetchesBefore = this.keys.fetches;
    let payload: JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(set, getKey, {
        algorithms: [...SET_ALGORITHMS],
        typ: SET_TYPE,
        issuer: this.issuer,
        audience: this.audience,
        requiredClaims: ['jti', 'iat'],
        currentDate: new Date(nowMs),
      }));
    } catch (error) {
      // A kid the keys in hand hold already (with another alg) is no rotation a fetch could resolve.
      const kid = header(set).kid;
      const known = typeof kid === 'string' && (getKey.jwks()?.keys.some((jwk) => jwk.kid === kid) ?? false);
      throw this.explain(error, set, known || this.keys.fetches > fetchesBefore);
    }
    return revocation(payload, nowMs);
  }

  /** jose's error as the receiver's answer: a refusal with RFC 8935's code, or "could not find out". */
  private explain(error: unknown, set: string, final: boolean): Error {
    // WebCrypto refuses a published key it cannot import (a point off the curve, a member missing)
    // with a DataError that carries no jose code: the issuer's key is unusable, as jose's own
    // ERR_JWK_INVALID says, not a failure of this receiver's.
    const code = error instanceof DOMException && error.name === 'DataError' ? 'ERR_JWK_INVALID' : (error as { code?: unknown }).code;
    const refuse = (err: DeliveryErrorCode, message: string) => new SecurityEventRefusedError(err, message, 400, { cause: error });
    switch (code) {
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return refuse('invalid_key', `the SET's alg ${showAlg(set)} is not accepted; only ${SET_ALGORITHMS.join(' ')}`);
      case 'ERR_JWKS_NO_MATCHING_KEY':
        // Fetched for this SET, or a kid the JWKS holds for another alg: the issuer has no such key.
        // Else the JWKS was fetched under JWKS_REFETCH_COOLDOWN_MS ago; a rotated key may be published since.
        if (final) return refuse('invalid_key', `no key of ${this.keys.uri.host}'s JWKS matches the SET's kid and alg ${showAlg(set)}`);
        return new RevocationUnavailableError(
          `no key of ${this.keys.uri.host}'s JWKS matches the SET's kid, and the JWKS was fetched under ${JWKS_REFETCH_COOLDOWN_MS} ms ago`,
          Math.ceil(JWKS_REFETCH_COOLDOWN_MS / 1000),
          { cause: error },
        );
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      case 'ERR_JWK_INVALID':
        return refuse('invalid_key', `the SET's kid and alg ${showAlg(set)} do not name one usable key of ${this.keys.uri.host}'s JWKS`);
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return refuse('authentication_failed', `the SET's signature does not verify with ${this.keys.uri.host}'s key`);
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        return this.claimRefusal(error as { claim?: unknown; reason?: unknown }, refuse);
      case 'ERR_JWT_EXPIRED':
        return refuse('invalid_request', 'the SET carries exp and has expired; a SET should carry no exp');
      case 'ERR_JWS_INVALID':
      case 'ERR_JWT_INVALID':
      case 'ERR_JOSE_NOT_SUPPORTED':
        return refuse('invalid_request', `the SET is not a valid JWS: ${(error as Error).message}`);
      default:
        // The JWKS could not be read (refused, timed out, not 200, not a JWKS): we could not find out.
        if (
          code === 'ERR_JWKS_TIMEOUT' ||
          code === 'ERR_JWKS_INVALID' ||
          code === 'ERR_JOSE_GENERIC' ||
          error instanceof PhantomTokenError
        ) {
          return new RevocationUnavailableError(
            `the JWKS at ${this.keys.uri.host} could not be read: ${(error as Error).message}`,
            undefined,
            {
              cause: error,
            },
          );
        }
        return error as Error;
    }
  }

  private claimRefusal(
    error: { claim?: unknown; reason?: unknown },
    refuse: (err: DeliveryErrorCode, message: string) => SecurityEventRefusedError,
  ): SecurityEventRefusedError {
    switch (error.claim) {
      case 'typ':
        return refuse('invalid_request', `the SET's typ header must be ${SET_TYPE} (or application/${SET_TYPE})`);
      case 'iss':
        return refuse('invalid_issuer', error.reason === 'missing' ? 'the SET has no iss' : 'the SET is not from the configured issuer');
      case 'aud':
        return refuse('invalid_audience', error.reason === 'missing' ? 'the SET has no aud' : 'the SET is not addressed to this receiver');
      default:
        return refuse(
          'invalid_request',
          `the SET's ${String(error.claim)} claim ${error.reason === 'missing' ? 'is missing' : 'is not valid'}`,
        );
    }
  }
}

/** The claims after the signature, issuer and audience checks. */
function revocation(payload: JWTPayload, nowMs: number): TokenRevocation {
  const invalid = (message: string) => new SecurityEventRefusedError('invalid_request', message);
  const { iss, jti, iat } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) throw invalid('the SET’s jti must be a string of 1 to 256 characters');
  if (typeof iat !== 'number') throw invalid('the SET’s iat must be a number');
  const ageSeconds = nowMs / 1000 - iat;
  if (ageSeconds > SET_IAT_WINDOW_SECONDS) throw invalid(`the SET was issued more than ${SET_IAT_WINDOW_SECONDS} s ago (iat)`);
  if (ageSeconds < -SET_IAT_WINDOW_SECONDS) throw invalid(`the SET's iat is more than ${SET_IAT_WINDOW_SECONDS} s in the future`);
  if (payload.exp !== undefined) throw invalid('the SET carries exp; a SET is a statement of fact and must carry none');
  const events = payload.events;
  if (!isObject(events)) throw invalid('the SET’s events claim must be a JSON object');
  const event = events[TOKEN_REVOKED_EVENT];
  if (event === undefined) throw invalid(`the SET holds no ${TOKEN_REVOKED_EVENT} event`);
  if (!isObject(event)) throw invalid(`the SET's ${TOKEN_REVOKED_EVENT} event must be a JSON object`);
  const inClaims = payload.sub_id;
  const inEvent = event.subject;
  if (inClaims !== undefined && inEvent !== undefined) {
    throw invalid('the SET names the token twice, as sub_id and as the event’s subject; exactly one is accepted');
  }
  const subject = inClaims ?? inEvent;
  if (subject === undefined) throw invalid('the SET names no token: sub_id, or the event’s subject, is required');
  if (!isObject(subject) || subject.format !== 'opaque' || typeof subject.id !== 'string' || !isSha256(subject.id)) {
    throw invalid('the token must be named as {"format":"opaque","id":"<SHA-256 of the token, base64url>"}');
  }
  return {
    tokenHash: subject.id,
    setHash: createHash('sha256').update(`${iss} ${jti}`, 'utf8').digest('base64url'),
    iat,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** 43 base64url characters that are the canonical encoding of 32 bytes. */
function isSha256(id: string): boolean {
  return TOKEN_HASH.test(id) && Buffer.from(id, 'base64url').toString('base64url') === id;
}

/** The header's `alg` for a message: a short printable string, or `(none given)`. */
function showAlg(set: string): string {
  const { alg } = header(set);
  return typeof alg === 'string' && /^[\x21-\x7E]{1,20}$/.test(alg) ? JSON.stringify(alg) : '(none given)';
}

/** The JWS protected header's members, or none when it is not a JSON object (jose has said so already). */
function header(set: string): { alg?: unknown; kid?: unknown } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(set.slice(0, set.indexOf('.')), 'base64url').toString('utf8'));
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}
