import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * The integration tests' OAuth stand-in keeps no state: an access token is its own record,
 * `integ.<claims>.<mac>` (base64url JSON claims and their HMAC-SHA256 under a key every instance
 * derives from the same secret), so any instance behind the function URL can introspect a token
 * another one minted. Opaque to clients and to API Gateway; only the stand-in reads it.
 */
export interface TokenClaims {
  readonly sub: string;
  readonly client_id: string;
  /** Space-separated scopes, as the caller asked for them. */
  readonly scope: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

const PREFIX = 'integ';

/** The stand-in's two keys, derived from one secret value so that one Secrets Manager secret holds everything. */
export interface StandInKeys {
  /** Signs access tokens. */
  readonly tokenKey: Buffer;
  /** Signs the phantom JWTs (HS256): the echo backend does not verify them, a real backend would. */
  readonly jwtKey: Buffer;
}

export function deriveKeys(secretValue: string): StandInKeys {
  const derive = (label: string) => createHmac('sha256', secretValue).update(`cdk-phantom-token integ ${label}`).digest();
  return { tokenKey: derive('access token'), jwtKey: derive('phantom jwt') };
}

export function mintToken(
  keys: StandInKeys,
  claims: Omit<TokenClaims, 'iat' | 'exp' | 'jti'>,
  ttlSeconds: number,
  now = Date.now(),
): string {
  const iat = Math.floor(now / 1000);
  const body = Buffer.from(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds, jti: randomUUID() })).toString('base64url');
  return `${PREFIX}.${body}.${mac(keys.tokenKey, body)}`;
}

/** The token's claims when its MAC holds and it has not expired; `undefined` for anything else. */
export function readToken(keys: StandInKeys, token: string, now = Date.now()): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
  const [, body, tag] = parts as [string, string, string];
  if (!sameText(tag, mac(keys.tokenKey, body))) return undefined;
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return undefined;
  }
  return typeof claims.exp === 'number' && claims.exp * 1000 > now ? claims : undefined;
}

/** The phantom JWT of a token's claims (HS256, `typ: at+jwt`), as the Curity phantom-token plugin returns one. */
export function phantomJwt(keys: StandInKeys, claims: TokenClaims, issuer: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'HS256', typ: 'at+jwt' })}.${encode({ iss: issuer, ...claims })}`;
  return `${signingInput}.${mac(keys.jwtKey, signingInput)}`;
}

function mac(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

/** Compares two strings in time independent of where they differ. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
