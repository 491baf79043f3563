import type { JWTVerifyGetKey } from 'jose';
import type { ClientCredentials, ClientCredentialsProvider } from './client-credentials.js';
import { formEncode } from './client-credentials.js';
import type { AuthorizerConfig } from './config.js';
import { type Deadline, settleBy, timeLeft } from './deadline.js';
import { ENV, MAX_RESPONSE_BYTES, NOT_BEFORE_SKEW_SECONDS, RESPONSE_TYPE_INTROSPECTION_JWT, SCOPE_TOKEN_PATTERN } from './environment.js';
import { ClientCredentialsRejectedError, IntrospectionResponseInvalidError } from './errors.js';
import { type HttpResponse, httpRequest } from './http-client.js';
import { loadJose } from './jose-loader.js';

/** What the authorizer keeps of an active token: the JWT to forward and the claims it decides on. */
export interface ActiveToken {
  readonly jwt: string;
  readonly sub: string | undefined;
  readonly clientId: string | undefined;
  /** The granted scopes, space-separated, as in the `scope` claim. */
  readonly scope: string;
  /** The same scopes as a list, split once when the token is introspected. */
  readonly scopes: readonly string[];
  /** The token's `exp`, in seconds since the epoch, when the server told it. */
  readonly exp: number | undefined;
  /** The token's audiences (`aud`, a string or an array of them), when the server told them. */
  readonly aud?: readonly string[] | undefined;
  /** RFC 7800 `cnf`: what the token is bound to, when it is sender-constrained. */
  readonly cnf?: TokenConfirmation | undefined;
}

/**
 * The confirmation methods of a sender-constrained token the authorizer checks. A `cnf` with
 * neither (another method, or an empty object) is still a bound token: it is never an allow.
 */
export interface TokenConfirmation {
  /** RFC 9449 §6: the RFC 7638 SHA-256 thumbprint of the DPoP key, base64url. */
  readonly jkt: string | undefined;
  /** RFC 8705 §3.1 `x5t#S256`: the SHA-256 of the client certificate's DER, base64url. */
  readonly x5tS256: string | undefined;
}

export type IntrospectionResult =
  | { readonly active: true; readonly token: ActiveToken; readonly maxAgeSeconds: number | undefined }
  | { readonly active: false; readonly maxAgeSeconds: number | undefined };

/** A JWS compact serialization: three base64url segments, the first a JSON object (`{"` encodes as `eyJ`). */
const JWS = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * RFC 7662 token introspection asking for a JWT, in the two response modes of
 * `INTROSPECTION_RESPONSE_TYPE`. Decides active / inactive, or throws: a thrown error always means
 * "we could not find out", never "the token is bad".
 */
export class IntrospectionClient {
  /** RFC 9701 mode: the JWKS key getter, made once jose is loaded (started at cold start, when configured). */
  private readonly jwks: Promise<JWTVerifyGetKey> | undefined;

  constructor(
    private readonly config: AuthorizerConfig,
    private readonly credentials: ClientCredentialsProvider,
  ) {
    const jwksUri = config.jwksUri;
    this.jwks =
      jwksUri &&
      loadJose().then(({ createRemoteJWKSet, customFetch }) =>
        createRemoteJWKSet(jwksUri, {
          timeoutDuration: config.introspectionTimeoutMs,
          // An unknown kid refetches the JWKS after at most a second: kids come from responses of
          // the server we authenticated to, never from clients, so refetches cannot be forced by them.
          cooldownDuration: 1_000,
          cacheMaxAge: 10 * 60_000,
          [customFetch]: fetchWithLimits(config.introspectionTimeoutMs),
        }),
      );
    // A failure to load is reported by the verification that awaits it, not as an unhandled rejection.
    this.jwks?.catch(() => {});
  }

  /**
   * Introspects once; if the server rejects our client credentials, re-reads the secret and tries
   * once more. Every step gets its own deadline or what is left of `deadline`, whichever is shorter.
   */
  async introspect(token: string, deadline: Deadline): Promise<IntrospectionResult> {
    let credentials =
      this.credentials.inHand() ?? (await settleBy(this.credentials.refresh(), deadline, 'waiting for the client credentials'));
    let response = await this.post(token, credentials, deadline);
    if (isInvalidClient(response)) {
      credentials = await settleBy(this.credentials.refresh(), deadline, 're-reading the client credentials after invalid_client');
      response = await this.post(token, credentials, deadline);
      if (isInvalidClient(response)) {
        throw new ClientCredentialsRejectedError(
          `${this.config.introspectionEndpoint.host} rejected the client credentials (status ${response.status})`,
        );
      }
    }
    return this.read(response, credentials.clientId, deadline);
  }

  private post(token: string, credentials: ClientCredentials, deadline: Deadline): Promise<HttpResponse> {
    const timeoutMs = timeLeft(deadline, this.config.introspectionTimeoutMs, 'before the introspection request');
    return httpRequest(this.config.introspectionEndpoint, {
      method: 'POST',
      headers: {
        authorization: credentials.basicAuthorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: this.config.responseType,
      },
      body: `token=${formEncode(token)}&token_type_hint=access_token`,
      timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
    });
  }

  /** The decision in an introspection response; synchronous except for RFC 9701's signature check. */
  private read(response: HttpResponse, clientId: string, deadline: Deadline): IntrospectionResult | Promise<IntrospectionResult> {
    const host = this.config.introspectionEndpoint.host;
    const maxAgeSeconds = cacheMaxAge(response);
    if (response.status === 204) return { active: false, maxAgeSeconds };
    if (response.status !== 200) {
      throw new IntrospectionResponseInvalidError(`${host} answered introspection with unexpected status ${response.status}`);
    }
    const body = response.body.trim();
    if (this.config.responseType === RESPONSE_TYPE_INTROSPECTION_JWT) {
      // The JWKS fetch inside has its own deadline too; this bounds the wait by what is left.
      return settleBy(this.verifyIntrospectionJwt(body, clientId), deadline, 'verifying the introspection response').then((result) => ({
        maxAgeSeconds,
        ...result,
      }));
    }
    const claims = jwtClaims(body, host);
    if (claims !== undefined) return phantomResult(body, claims, host, maxAgeSeconds);
    if (isInactiveJson(body)) return { active: false, maxAgeSeconds };
    throw new IntrospectionResponseInvalidError(
      `${host} answered 200 with neither a JWT nor {"active":false} (content-type ${JSON.stringify(response.headers['content-type'] ?? '')})`,
    );
  }

  /** RFC 9701: verify signature, `typ`, `iss` and `aud`; `token_introspection.active` decides. */
  private async verifyIntrospectionJwt(
    body: string,
    clientId: string,
  ): Promise<{ active: true; token: ActiveToken } | { active: false; maxAgeSeconds?: number }> {
    let payload: Record<string, unknown>;
    try {
      const [{ jwtVerify }, jwks] = await Promise.all([loadJose(), this.jwks as Promise<JWTVerifyGetKey>]);
      ({ payload } = await jwtVerify(body, jwks, {
        typ: 'token-introspection+jwt',
        audience: clientId,
        ...(this.config.issuer === undefined ? {} : { issuer: this.config.issuer }),
      }));
    } catch (cause) {
      throw new IntrospectionResponseInvalidError(
        `introspection response JWT failed verification: ${(cause as { code?: string }).code ?? (cause as Error).name}`,
        {
          cause,
        },
      );
    }
    const introspection = payload.token_introspection;
    if (
      introspection === null ||
      typeof introspection !== 'object' ||
      typeof (introspection as { active?: unknown }).active !== 'boolean'
    ) {
      throw new IntrospectionResponseInvalidError('introspection response JWT has no token_introspection object with a boolean active');
    }
    const claims = introspection as Record<string, unknown>;
    if (claims.active !== true) return { active: false };
    const where = 'the token_introspection claim';
    return checkTimeClaims(claims, where) ? { active: true, token: activeToken(body, claims, where) } : NOT_YET_VALID;
  }
}

/** Not an allow, and not remembered either way: the token may become valid within the negative TTL. */
const NOT_YET_VALID = { active: false, maxAgeSeconds: 0 } as const;

/**
 * application/jwt mode: the Curity phantom JWT means "active" — unless it says otherwise. An
 * `active` claim other than `true`, or an RFC 9701 introspection JWT (the server was configured for
 * the other mode), is never an allow: an inactive answer denies, anything else is an error naming
 * the mismatch.
 */
function phantomResult(jwt: string, claims: Record<string, unknown>, host: string, maxAgeSeconds: number | undefined): IntrospectionResult {
  if (claims.token_introspection !== undefined || isIntrospectionJwtHeader(jwt)) {
    const inner = claims.token_introspection as { active?: unknown } | null | undefined;
    if (inner !== null && typeof inner === 'object' && inner.active === false) return { active: false, maxAgeSeconds };
    throw new IntrospectionResponseInvalidError(
      `${host} answered with an RFC 9701 introspection JWT; set ${ENV.introspectionResponseType} to ${RESPONSE_TYPE_INTROSPECTION_JWT}`,
    );
  }
  if (claims.active !== undefined && claims.active !== true) {
    if (claims.active === false) return { active: false, maxAgeSeconds };
    throw new IntrospectionResponseInvalidError(
      `${host} answered with a JWT whose active claim is ${JSON.stringify(claims.active)}; expected true or no active claim`,
    );
  }
  const where = `the JWT from ${host}`;
  if (!checkTimeClaims(claims, where)) return NOT_YET_VALID;
  return { active: true, token: activeToken(jwt, claims, where), maxAgeSeconds };
}

/** `typ` of the JWS header is RFC 9701's (`token-introspection+jwt`, with or without `application/`). */
function isIntrospectionJwtHeader(jwt: string): boolean {
  const text = Buffer.from(jwt.slice(0, jwt.indexOf('.')), 'base64url').toString('utf8');
  // Every cache miss comes here: parse only a header that could match (spelled out or escaped).
  if (!/introspection|\\u/i.test(text)) return false;
  let header: { typ?: unknown };
  try {
    header = JSON.parse(text);
  } catch {
    return false;
  }
  return typeof header?.typ === 'string' && /^(?:application\/)?token-introspection\+jwt$/i.test(header.typ);
}

/**
 * RFC 7519 NumericDate claims of an active token. Present but not a finite number is a malformed
 * answer (an error, so nothing is cached); `nbf` later than now plus `NOT_BEFORE_SKEW_SECONDS`
 * returns false (not yet valid). `exp` is checked where the decision is made, on every request.
 */
function checkTimeClaims(claims: Record<string, unknown>, where: string): boolean {
  for (const name of NUMERIC_DATE_CLAIMS) {
    const value = claims[name];
    if (value !== undefined && !Number.isFinite(value)) {
      throw new IntrospectionResponseInvalidError(`${where}: claim ${name} must be a number; received ${JSON.stringify(value)}`);
    }
  }
  return claims.nbf === undefined || (claims.nbf as number) <= Date.now() / 1000 + NOT_BEFORE_SKEW_SECONDS;
}

const NUMERIC_DATE_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/**
 * The active token of an answer's claims, checked as this client checks every answer (scopes, `aud`,
 * `cnf`); also how the shared cache reads its entries back (lambda/shared-cache/).
 */
export function activeToken(jwt: string, claims: Record<string, unknown>, where: string): ActiveToken {
  const scopes = scopeClaim(claims, where);
  return {
    jwt,
    sub: typeof claims.sub === 'string' ? claims.sub : undefined,
    clientId: typeof claims.client_id === 'string' ? claims.client_id : undefined,
    scope: scopes.join(' '),
    scopes,
    exp: claims.exp as number | undefined,
    aud: audienceClaim(claims, where),
    cnf: confirmationClaim(claims, where),
  };
}

/**
 * `aud` (RFC 7519 §4.1.3): a string or an array of strings. Anything else is a malformed answer
 * (an error, so nothing is cached): an audience check must never read a garbled claim as absent.
 */
function audienceClaim(claims: Record<string, unknown>, where: string): readonly string[] | undefined {
  const aud = claims.aud;
  if (aud === undefined) return undefined;
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((value) => typeof value === 'string')) return aud as string[];
  throw new IntrospectionResponseInvalidError(`${where}: claim aud must be a string or an array of strings`);
}

/**
 * `cnf` (RFC 7800 §3.1): an object; its `jkt` (RFC 9449 §6.1) and `x5t#S256` (RFC 8705 §3.1),
 * when present, strings. A malformed one is an error (nothing cached), never an unbound token.
 */
function confirmationClaim(claims: Record<string, unknown>, where: string): TokenConfirmation | undefined {
  const cnf = claims.cnf;
  if (cnf === undefined) return undefined;
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) {
    throw new IntrospectionResponseInvalidError(`${where}: claim cnf must be a JSON object`);
  }
  const { jkt, 'x5t#S256': x5tS256 } = cnf as Record<string, unknown>;
  for (const [name, value] of [
    ['jkt', jkt],
    ['x5t#S256', x5tS256],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') {
      throw new IntrospectionResponseInvalidError(`${where}: claim cnf.${name} must be a string`);
    }
  }
  return { jkt: jkt as string | undefined, x5tS256: x5tS256 as string | undefined };
}

/**
 * The granted scopes: the `scope` claim (space-separated) or the `scp` claim (array or string).
 * Every value must be an RFC 6749 scope token: a value such as `"admin read"` in an array would
 * read as one scope here and as two elsewhere, so the response is refused rather than guessed at.
 */
function scopeClaim(claims: Record<string, unknown>, where: string): string[] {
  const name = claims.scope !== undefined ? 'scope' : 'scp';
  const claim = claims[name];
  let scopes: unknown[];
  if (typeof claim === 'string') scopes = claim.split(' ').filter((scope) => scope !== '');
  else if (Array.isArray(claim)) scopes = claim;
  else return [];
  if (!scopes.every((scope) => typeof scope === 'string' && SCOPE_TOKEN_PATTERN.test(scope))) {
    throw new IntrospectionResponseInvalidError(
      `${where}: claim ${name} must hold RFC 6749 scope tokens (printable ASCII, no space, " or \\)`,
    );
  }
  return scopes as string[];
}

/**
 * The claims of a phantom JWT, read without verifying it: in application/jwt mode the JWT comes
 * over TLS from the OAuth server we authenticated to, and the backends verify it. `undefined` when
 * the body is not shaped as a JWS (three base64url segments, a JSON header); an error when it is
 * but its payload is not a JSON object. Checks the shape with cheap scans first: this runs on
 * every cache miss.
 */
function jwtClaims(body: string, host: string): Record<string, unknown> | undefined {
  if (!JWS.test(body)) return undefined;
  const first = body.indexOf('.');
  const payload = body.slice(first + 1, body.indexOf('.', first + 1));
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new IntrospectionResponseInvalidError(`${host} answered with a JWT whose payload is not JSON`, { cause });
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw new IntrospectionResponseInvalidError(`${host} answered with a JWT whose payload is not a JSON object`);
  }
  return claims as Record<string, unknown>;
}

function isInactiveJson(body: string): boolean {
  if (!body.startsWith('{')) return false;
  try {
    return (JSON.parse(body) as { active?: unknown }).active === false;
  } catch {
    return false;
  }
}

/** 401, or RFC 6749 §5.2 `invalid_client` in a 400. */
function isInvalidClient(response: HttpResponse): boolean {
  if (response.status === 401) return true;
  return response.status === 400 && /"error"\s*:\s*"invalid_client"/.test(response.body);
}

const NO_STORE = /(?:^|,)\s*no-(?:store|cache)\b/i;
const MAX_AGE = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i;

/** `Cache-Control: max-age=N` in seconds; `no-store` / `no-cache` mean 0; absent means undefined. */
function cacheMaxAge(response: HttpResponse): number | undefined {
  const header = response.headers['cache-control'];
  if (header === undefined || header === '') return undefined;
  if (NO_STORE.test(header)) return 0;
  const match = MAX_AGE.exec(header);
  return match ? Number(match[1]) : undefined;
}

/** jose's JWKS fetch through the same client: keep-alive, deadline and body cap. */
function fetchWithLimits(timeoutMs: number) {
  return async (url: string, options: { headers: Headers }): Promise<Response> => {
    const response = await httpRequest(new URL(url), {
      method: 'GET',
      headers: Object.fromEntries(options.headers),
      timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
    });
    return new Response(response.body, { status: response.status });
  };
}
