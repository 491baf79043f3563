import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { ClientCredentials, ClientCredentialsProvider } from './client-credentials.js';
import { formEncode } from './client-credentials.js';
import type { AuthorizerConfig } from './config.js';
import { MAX_RESPONSE_BYTES, RESPONSE_TYPE_INTROSPECTION_JWT } from './environment.js';
import { ClientCredentialsRejectedError, IntrospectionResponseInvalidError } from './errors.js';
import { type HttpResponse, httpRequest } from './http-client.js';

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
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(
    private readonly config: AuthorizerConfig,
    private readonly credentials: ClientCredentialsProvider,
  ) {
    this.jwks =
      config.jwksUri &&
      createRemoteJWKSet(config.jwksUri, {
        timeoutDuration: config.introspectionTimeoutMs,
        // An unknown kid refetches the JWKS after at most a second: kids come from responses of
        // the server we authenticated to, never from clients, so refetches cannot be forced by them.
        cooldownDuration: 1_000,
        cacheMaxAge: 10 * 60_000,
        [customFetch]: fetchWithLimits(config.introspectionTimeoutMs),
      });
  }

  /** Introspects once; if the server rejects our client credentials, re-reads the secret and tries once more. */
  async introspect(token: string): Promise<IntrospectionResult> {
    let credentials = this.credentials.fresh() ?? (await this.credentials.get());
    let response = await this.post(token, credentials);
    if (isInvalidClient(response)) {
      credentials = await this.credentials.refresh();
      response = await this.post(token, credentials);
      if (isInvalidClient(response)) {
        throw new ClientCredentialsRejectedError(
          `${this.config.introspectionEndpoint.host} rejected the client credentials (status ${response.status})`,
        );
      }
    }
    return this.read(response, credentials.clientId);
  }

  private post(token: string, credentials: ClientCredentials): Promise<HttpResponse> {
    return httpRequest(this.config.introspectionEndpoint, {
      method: 'POST',
      headers: {
        authorization: credentials.basicAuthorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: this.config.responseType,
      },
      body: `token=${formEncode(token)}&token_type_hint=access_token`,
      timeoutMs: this.config.introspectionTimeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
    });
  }

  /** The decision in an introspection response; synchronous except for RFC 9701's signature check. */
  private read(response: HttpResponse, clientId: string): IntrospectionResult | Promise<IntrospectionResult> {
    const host = this.config.introspectionEndpoint.host;
    const maxAgeSeconds = cacheMaxAge(response);
    if (response.status === 204) return { active: false, maxAgeSeconds };
    if (response.status !== 200) {
      throw new IntrospectionResponseInvalidError(`${host} answered introspection with unexpected status ${response.status}`);
    }
    const body = response.body.trim();
    if (this.config.responseType === RESPONSE_TYPE_INTROSPECTION_JWT) {
      return this.verifyIntrospectionJwt(body, clientId).then((result) => ({ ...result, maxAgeSeconds }));
    }
    const claims = jwtClaims(body, host);
    if (claims !== undefined) return { active: true, token: activeToken(body, claims), maxAgeSeconds };
    if (isInactiveJson(body)) return { active: false, maxAgeSeconds };
    throw new IntrospectionResponseInvalidError(
      `${host} answered 200 with neither a JWT nor {"active":false} (content-type ${JSON.stringify(response.headers['content-type'] ?? '')})`,
    );
  }

  /** RFC 9701: verify signature, `typ`, `iss` and `aud`; `token_introspection.active` decides. */
  private async verifyIntrospectionJwt(body: string, clientId: string): Promise<{ active: true; token: ActiveToken } | { active: false }> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(body, this.jwks as JWTVerifyGetKey, {
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
    return claims.active === true ? { active: true, token: activeToken(body, claims) } : { active: false };
  }
}

function activeToken(jwt: string, claims: Record<string, unknown>): ActiveToken {
  const scopes = scopeClaim(claims);
  return {
    jwt,
    sub: typeof claims.sub === 'string' ? claims.sub : undefined,
    clientId: typeof claims.client_id === 'string' ? claims.client_id : undefined,
    scope: scopes.join(' '),
    scopes,
    exp: typeof claims.exp === 'number' ? claims.exp : undefined,
  };
}

/** The granted scopes: the `scope` claim (space-separated) or the `scp` claim (array or string). */
function scopeClaim(claims: Record<string, unknown>): string[] {
  const claim = claims.scope ?? claims.scp;
  if (typeof claim === 'string') {
    const scopes = claim.split(' ');
    return scopes.includes('') ? scopes.filter((scope) => scope !== '') : scopes;
  }
  if (Array.isArray(claim)) return claim.filter((scope): scope is string => typeof scope === 'string' && scope !== '');
  return [];
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
