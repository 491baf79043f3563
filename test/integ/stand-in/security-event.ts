import { createHash, createPrivateKey, createPublicKey, hkdfSync, type KeyObject, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, SignJWT } from 'jose';
import { TOKEN_REVOKED_EVENT } from '../../../lambda/shared-cache/table-format.js';

/**
 * The stand-in's Security Event Tokens (RFC 8417): a SET naming one revoked access token, in the
 * format the project's revocation receiver accepts (lambda/shared-cache/table-format.ts), signed
 * EdDSA (Ed25519) with a key every instance of the stand-in derives alike. The stand-in keeps no
 * state, so the key cannot be generated at start: its seed is HKDF-SHA256 of a secret every
 * instance reads, and the receiver fetches its public half from `GET /set-jwks` whichever
 * instance answers.
 */
export interface SetSigningKey {
  readonly privateKey: KeyObject;
  /** The public key as a JWK, with `kid` (its RFC 7638 thumbprint), `alg` and `use`. */
  readonly publicJwk: JWK;
}

export const SET_ALGORITHM = 'EdDSA';

/** HKDF's `info`: this key's purpose, so the same secret never yields it for anything else. */
const KEY_INFO = 'cdk-phantom-token integ set signing key';

/** PKCS#8 DER of an Ed25519 private key (RFC 8410 §7) up to its 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The SET signing key derived from `secretValue`: the same secret, the same key, in any process. */
export async function deriveSetSigningKey(secretValue: string): Promise<SetSigningKey> {
  const seed = Buffer.from(hkdfSync('sha256', secretValue, Buffer.alloc(0), KEY_INFO, 32));
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  return { privateKey, publicJwk: { ...publicJwk, kid, alg: SET_ALGORITHM, use: 'sig' } };
}

/** RFC 9493 `opaque` subject of a token: its SHA-256, base64url, as the receiver's table is keyed. */
export function tokenSubject(token: string): { format: 'opaque'; id: string } {
  return { format: 'opaque', id: createHash('sha256').update(token, 'utf8').digest('base64url') };
}

export interface RevocationClaims {
  readonly issuer: string;
  readonly audience: string;
  /** The revoked access token (only its hash is in the SET). */
  readonly token: string;
  /** Seconds since the epoch. @default now */
  readonly iat?: number;
  /** @default a random UUID */
  readonly jti?: string;
}

/**
 * A SET naming `token` revoked: header `typ: secevent+jwt`, `alg`, `kid`; claims `iss`, `aud`,
 * `iat`, `jti`, `sub_id` and the project's token-revoked event; no `exp` (a SET carries none).
 */
export function signRevocation(
  key: { readonly privateKey: KeyObject; readonly kid: string | undefined },
  claims: RevocationClaims,
): Promise<string> {
  return new SignJWT({ sub_id: tokenSubject(claims.token), events: { [TOKEN_REVOKED_EVENT]: {} } })
    .setProtectedHeader({ alg: SET_ALGORITHM, typ: 'secevent+jwt', ...(key.kid === undefined ? {} : { kid: key.kid }) })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .setJti(claims.jti ?? randomUUID())
    .sign(key.privateKey);
}
