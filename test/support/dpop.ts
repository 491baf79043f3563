import { randomUUID } from 'node:crypto';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** A DPoP client's key pair, its public JWK and that JWK's RFC 7638 thumbprint (`cnf.jkt`). */
export interface DpopKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly jkt: string;
  readonly alg: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256'), alg };
}

export interface ProofOptions {
  readonly htm: string;
  readonly htu: string;
  /** The access token the proof is for (its hash becomes `ath`). */
  readonly token?: string;
  /** Claims to set or (with `undefined`) leave out, over the defaults. */
  readonly claims?: Record<string, unknown>;
  /** Header parameters to set or (with `undefined`) leave out, over `typ`, `alg` and `jwk`. */
  readonly header?: Record<string, unknown>;
  /** Sign with this key instead of the one whose JWK is embedded. */
  readonly signWith?: CryptoKey;
}

/** A DPoP proof JWT (RFC 9449 §4.2) made with jose. */
export async function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const ath = options.token === undefined ? undefined : await sha256(options.token);
  const claims = dropUndefined({
    jti: randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: Math.floor(Date.now() / 1000),
    ath,
    ...options.claims,
  });
  const header = dropUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header });
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(options.signWith ?? key.privateKey);
}

async function sha256(value: string): Promise<string> {
  return Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value))).toString('base64url');
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
