import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';

/**
 * The sample app's HTTP backend: the one the gateways reach through an HTTP integration, so that
 * it receives the JWT by parameter mapping, as any HTTP service behind them would. Before it
 * answers it verifies the JWT as the phantom-token pattern expects of a backend: signature against
 * the OAuth server's JWKS, issuer, expiry. It answers 200 with the request it received (so the JWT
 * can be seen arriving) and the verified claims; anything else is 401. In RFC 9701 mode the JWT is
 * the signed introspection response, and the token's claims are its `token_introspection`.
 *
 * Which header carries the JWT depends on the gateway, so each integration names its own path:
 * - `/rest/…`: `Authorization: Bearer <JWT>`, mapped by the REST API from the authorizer context
 *   (the client's own `Authorization` is replaced);
 * - `/http/…`: `x-phantom-jwt` (`JWT_HEADER_NAME`), written by the HTTP API's `overwrite` mapping
 *   (HTTP APIs reserve `Authorization`, which still carries the client's opaque token there).
 * A JWT in any other header is ignored: on REST the client's `x-phantom-jwt` reaches the backend
 * unchanged, so it must never count.
 *
 * Deployed, it runs as a Lambda function behind a function URL (see sample-stack.ts and the README
 * on keeping it private); locally, `npm start` serves the same bundle behind a local function URL.
 */
export interface BackendConfig {
  readonly jwksUri: URL;
  readonly issuer: string;
  /** The header the HTTP API writes the JWT to. @default 'x-phantom-jwt' */
  readonly jwtHeaderName: string;
}

export interface BackendRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface BackendResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Thrown at module load when the backend's environment is wrong; the message names the variable. */
export class BackendConfigurationError extends Error {
  readonly code = 'ERR_BACKEND_CONFIGURATION';
  override readonly name = 'BackendConfigurationError';
}

/** Reads `JWKS_URI` (https, or http on 127.0.0.1 / localhost), `ISSUER` and `JWT_HEADER_NAME`. */
export function readBackendConfig(env: Readonly<Record<string, string | undefined>>): BackendConfig {
  const raw = env.JWKS_URI ?? '';
  let jwksUri: URL;
  try {
    jwksUri = new URL(raw);
  } catch {
    throw new BackendConfigurationError(`JWKS_URI must be an absolute URL; received ${JSON.stringify(raw)}`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(jwksUri.hostname);
  if (jwksUri.protocol !== 'https:' && !(jwksUri.protocol === 'http:' && loopback)) {
    throw new BackendConfigurationError(`JWKS_URI must use https (http only on 127.0.0.1 or localhost); received ${jwksUri.origin}`);
  }
  const issuer = env.ISSUER ?? '';
  if (issuer === '') throw new BackendConfigurationError('ISSUER must name the OAuth server whose JWTs this backend accepts; it is empty');
  const jwtHeaderName = (env.JWT_HEADER_NAME || 'x-phantom-jwt').toLowerCase();
  return { jwksUri, issuer, jwtHeaderName };
}

/** What the backend answers a request with; one JSON log line per request, never the JWT. */
export function createJwtBackend(config: BackendConfig, log: (line: string) => void = (line) => console.log(line)) {
  const jwks: JWTVerifyGetKey = createRemoteJWKSet(config.jwksUri, { timeoutDuration: 3_000 });

  return async function handle(request: BackendRequest): Promise<BackendResponse> {
    const source = request.path.startsWith('/rest/')
      ? 'authorization'
      : request.path.startsWith('/http/')
        ? config.jwtHeaderName
        : undefined;
    if (source === undefined) return answer(404, { message: 'Not Found' });
    const jwt = jwtIn(request.headers, source);
    if (jwt === undefined) return deny('ERR_NO_JWT', source);
    let claims: JWTPayload;
    try {
      const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { issuer: config.issuer, clockTolerance: CLOCK_TOLERANCE_SECONDS });
      claims = tokenClaims(payload, protectedHeader.typ);
    } catch (error) {
      return deny((error as { code?: string }).code ?? 'ERR_JWT_INVALID', source);
    }
    log(JSON.stringify({ backend: 'allow', jwtFrom: source, sub: claims.sub, client_id: claims.client_id }));
    return answer(200, {
      method: request.method,
      path: request.path,
      headers: request.headers,
      jwt: {
        from: source,
        verified: true,
        claims: { iss: claims.iss, sub: claims.sub, client_id: claims.client_id, scope: claims.scope, exp: claims.exp },
      },
    });
  };

  function deny(reason: string, source: string): BackendResponse {
    log(JSON.stringify({ backend: 'deny', reason, jwtFrom: source }));
    return {
      ...answer(401, { message: 'Unauthorized' }),
      headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' },
    };
  }
}

const CLOCK_TOLERANCE_SECONDS = 5;

/** A verified JWT that does not say the token is current. */
class TokenClaimsError extends Error {
  readonly code = 'ERR_JWT_TOKEN_CLAIMS';
  override readonly name = 'TokenClaimsError';
}

/**
 * The token's claims from a verified JWT, with its expiry checked: the phantom JWT's own claims
 * (`exp` required); in RFC 9701 mode (`typ: token-introspection+jwt`) the `token_introspection`
 * claim, which must say `active: true` and carry the token's `exp`.
 */
function tokenClaims(payload: JWTPayload, typ: string | undefined): JWTPayload {
  const introspection = typ === 'token-introspection+jwt' ? payload.token_introspection : payload;
  if (introspection === null || typeof introspection !== 'object') throw new TokenClaimsError('token_introspection is not an object');
  const claims = introspection as JWTPayload & { active?: unknown };
  if (typ === 'token-introspection+jwt' && claims.active !== true) throw new TokenClaimsError('the token is not active');
  if (typeof claims.exp !== 'number') throw new TokenClaimsError('the token has no exp');
  if (claims.exp + CLOCK_TOLERANCE_SECONDS <= Date.now() / 1000) throw new TokenClaimsError('the token has expired');
  return claims;
}

/** `Authorization: Bearer <JWT>` (one value, one space) or the JWT header's bare value. */
function jwtIn(headers: Readonly<Record<string, string | undefined>>, source: string): string | undefined {
  const value = headers[source];
  if (value === undefined || value === '') return undefined;
  if (source !== 'authorization') return value;
  return /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(value)?.[1];
}

function answer(statusCode: number, body: unknown): BackendResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** A Lambda function URL event (payload 2.0), the part this backend reads. */
interface FunctionUrlEvent {
  rawPath?: string;
  headers?: Record<string, string | undefined> | null;
  requestContext?: { http?: { method?: string } } | null;
}

/**
 * Configured once, at module load (the cold start), when running as a Lambda function: a wrong
 * environment fails the first invocation with a clear message. Imported elsewhere (tests), nothing runs.
 */
const handleRequest = process.env.AWS_LAMBDA_FUNCTION_NAME === undefined ? undefined : createJwtBackend(readBackendConfig(process.env));

/** The Lambda entry point behind the function URL. */
export const handler = async (event: FunctionUrlEvent): Promise<BackendResponse> => {
  if (handleRequest === undefined) throw new BackendConfigurationError('the backend handler runs only as a Lambda function');
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return handleRequest({ method: event.requestContext?.http?.method ?? 'GET', path: event.rawPath ?? '/', headers });
};
