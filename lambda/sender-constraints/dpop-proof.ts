import { hash } from 'node:crypto';
import type { CryptoKey, FlattenedJWSInput, JWK, JWTHeaderParameters } from 'jose';
import { MAX_DPOP_PROOF_LENGTH } from '../environment.js';
import { loadJose } from '../jose-loader.js';
import type { SenderConstraintDenyReason } from './reasons.js';

/** What a proof is checked against: the request as the client made it, and the token it comes with. */
export interface ProofExpectations {
  /** The request's method, as API Gateway reports it; `undefined` when the event does not tell it. */
  readonly method: string | undefined;
  /** The URL the client called, normalized by {@link normalizeHtu}; `undefined` when the event does not tell it. */
  readonly htu: string | undefined;
  /** The presented token's SHA-256, base64url: what `ath` must be. */
  readonly tokenHash: string;
  /** The token's `cnf.jkt`. */
  readonly jkt: string;
}

export interface ProofPolicy {
  readonly algorithms: readonly string[];
  /** How far `iat` may be from now, either way, in seconds. */
  readonly maxAgeSeconds: number;
}

/** A proof that passed every check but replay: its id, to be claimed once in a replay store until `expiresAt`. */
export type ProofCheck =
  | { readonly ok: true; readonly replayKey: string; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: SenderConstraintDenyReason };

/** A JWS compact serialization, nothing else: a comma (two joined `DPoP` headers) or a space fails here. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const REQUIRED_CLAIMS = ['jti', 'htm', 'htu', 'iat', 'ath'];

/** The longest `jti` accepted; RFC 9449 asks for 96 bits of randomness, a UUID is 36 characters. */
const MAX_JTI_LENGTH = 256;

/**
 * RFC 9449 §4.3 and §7.1, for a proof presented to a protected resource with a bound token: one
 * well-formed JWT; `typ` `dpop+jwt`; an allowed asymmetric `alg`; a public `jwk` that verifies
 * the signature; `htm` and `htu` of this request; `iat` within `maxAgeSeconds` of now; `ath` the
 * token's hash; the key's RFC 7638 thumbprint the token's `cnf.jkt`. Replay (`jti`) is the
 * caller's: this answers the key to claim. Never throws; no server nonce (§8) is asked for.
 */
export async function checkDpopProof(
  proof: string | undefined,
  expected: ProofExpectations,
  policy: ProofPolicy,
  nowSeconds = Date.now() / 1000,
): Promise<ProofCheck> {
  if (proof === undefined || proof === '') return { ok: false, reason: 'dpop_proof_missing' };
  if (proof.length > MAX_DPOP_PROOF_LENGTH || !COMPACT_JWS.test(proof)) return INVALID;
  const options = {
    typ: 'dpop+jwt',
    algorithms: [...policy.algorithms],
    requiredClaims: REQUIRED_CLAIMS,
    // iat is checked below against the window both ways; jose checks exp and nbf when present.
    currentDate: new Date(nowSeconds * 1000),
  };
  // jose is evaluated on the first proof, not at cold start (jose-loader.ts).
  const { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } = await loadJose();
  const headerSegment = proof.slice(0, proof.indexOf('.'));
  const known = verifiedKeys.get(headerSegment);
  let payload: Record<string, unknown>;
  let jkt: string;
  try {
    if (known !== undefined) {
      // The same protected header (typ, alg, jwk) as a proof verified before: its key, already imported.
      payload = (await jwtVerify(proof, known.key, options)).payload as Record<string, unknown>;
      jkt = known.jkt;
    } else {
      let embedded: CryptoKey | undefined;
      const verified = await jwtVerify(
        proof,
        async (header: JWTHeaderParameters, token: FlattenedJWSInput) => {
          embedded = (await EmbeddedJWK(header, token)) as CryptoKey;
          return embedded;
        },
        options,
      );
      payload = verified.payload as Record<string, unknown>;
      jkt = await calculateJwkThumbprint(verified.protectedHeader.jwk as JWK, 'sha256');
      rememberKey(headerSegment, { key: embedded as CryptoKey, jkt });
    }
  } catch {
    return INVALID;
  }
  const { htm, htu, iat, ath, jti } = payload;
  if (typeof htm !== 'string' || typeof htu !== 'string' || typeof ath !== 'string' || typeof jti !== 'string') return INVALID;
  if (jti === '' || jti.length > MAX_JTI_LENGTH || typeof iat !== 'number') return INVALID;
  if (expected.method === undefined || htm !== expected.method) return { ok: false, reason: 'dpop_htm_mismatch' };
  // Most clients send the normalized form already: the string compare spares a URL parse.
  if (expected.htu === undefined || (htu !== expected.htu && normalizeHtu(htu) !== expected.htu)) {
    return { ok: false, reason: 'dpop_htu_mismatch' };
  }
  if (!(Math.abs(nowSeconds - iat) <= policy.maxAgeSeconds)) return { ok: false, reason: 'dpop_proof_expired' };
  if (ath !== expected.tokenHash) return { ok: false, reason: 'dpop_ath_mismatch' };
  if (jkt !== expected.jkt) return { ok: false, reason: 'dpop_key_mismatch' };
  return {
    ok: true,
    // One key and one jti: another client's proof with the same jti is not a replay of this one.
    replayKey: hash('sha256', `${expected.jkt}.${jti}`, 'base64url'),
    expiresAt: Math.ceil(iat + policy.maxAgeSeconds),
  };
}

const INVALID: ProofCheck = { ok: false, reason: 'invalid_dpop_proof' };

/**
 * Keys of proofs that verified, by their protected header as sent (base64url): a client signs
 * every proof with one key under one header, so its next proof needs neither the key import nor
 * the thumbprint again. Only a header whose signature verified gets in; bounded, oldest out first.
 */
const verifiedKeys = new Map<string, { readonly key: CryptoKey; readonly jkt: string }>();
const MAX_VERIFIED_KEYS = 1_000;

function rememberKey(headerSegment: string, entry: { key: CryptoKey; jkt: string }): void {
  if (verifiedKeys.size >= MAX_VERIFIED_KEYS) verifiedKeys.delete(verifiedKeys.keys().next().value as string);
  verifiedKeys.set(headerSegment, entry);
}

/**
 * An `htu` as compared (RFC 9449 §4.3 step 9, with RFC 3986 §6.2.2 and §6.2.3 normalization):
 * scheme and host lower case, the scheme's default port dropped, dot segments removed,
 * percent-encoded unreserved characters decoded and the rest in upper-case hex, an empty path as
 * `/`; query and fragment dropped. `undefined` for anything but an absolute http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (encoded) => {
    const char = String.fromCharCode(Number.parseInt(encoded.slice(1), 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : encoded.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}
