import { type SecretReader, SecretsManagerReader } from '../../../lambda/aws/secrets-manager.js';
import { deriveKeys, mintToken, phantomJwt, readToken, type StandInKeys, sameText } from './opaque-token.js';
import { deriveSetSigningKey, type SetSigningKey, signRevocation } from './security-event.js';

/**
 * The OAuth stand-in of the integration tests, a Lambda function behind a function URL (auth
 * NONE: the authorizer calls it as it would call an identity server). Four endpoints:
 * - `POST /token`: client credentials of the test client (HTTP Basic, RFC 6749 §2.3.1), the
 *   scopes the caller asks for, any scope tokens; answers an opaque token (see opaque-token.ts).
 * - `POST /introspect`: client credentials of the authorizer, the secret the construct reads;
 *   answers as the construct's default mode expects (the Curity phantom-token response,
 *   `application/jwt`): 200 with the JWT as the body and `Cache-Control: max-age` = the token's
 *   remaining lifetime, 204 for an unknown or expired token, 401 `invalid_client` for wrong
 *   credentials.
 * - `POST /sign-revocation`: client credentials of the test client, `token=<access token>`;
 *   answers `{"set": …}`, a Security Event Token naming the token revoked (security-event.ts),
 *   for the test to push to the revocation receiver itself. The stand-in does not remember it:
 *   its introspection keeps answering the token active, so a deny after the push can only come
 *   from the receiver's mark in the shared cache (and its flush of REST stages' caches).
 * - `GET /set-jwks`: the public key those SETs are signed with, the receiver's `jwksUri`.
 * Stateless: the test client's secret (whose value also derives the token, JWT and SET keys) and
 * the authorizer's client credentials are read from Secrets Manager, so every instance answers alike.
 */
export const STAND_IN_ENV = {
  /** The construct's client-credentials secret: `{"client_id","client_secret"}` of the authorizer. */
  authorizerClientSecret: 'AUTHORIZER_CLIENT_SECRET',
  /** The test client's secret `{"client_id","client_secret"}`; its client_secret also keys the tokens. */
  testClientSecret: 'TEST_CLIENT_SECRET',
  /** The `aud` of every token: the audience the construct requires. */
  audience: 'TOKEN_AUDIENCE',
  /** The `iss` of the SETs it signs: the issuer the revocation receiver requires. */
  setIssuer: 'SET_ISSUER',
  /** The `aud` of the SETs it signs: the audience the revocation receiver requires. */
  setAudience: 'SET_AUDIENCE',
} as const;

/** The longest lifetime a caller may ask for, seconds. */
const MAX_TTL_SECONDS = 3_600;
const DEFAULT_TTL_SECONDS = 600;
/** How long an instance keeps the secrets it read. */
const SECRET_CACHE_MS = 60_000;

/** The part of a function URL event (payload 2.0) the stand-in reads. */
export interface FunctionUrlEvent {
  readonly rawPath?: string;
  readonly headers?: Record<string, string | undefined>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string }; readonly domainName?: string };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

interface Client {
  readonly id: string;
  readonly secret: string;
}

interface Secrets {
  readonly authorizer: Client;
  readonly testClient: Client;
  readonly keys: StandInKeys;
  readonly setKey: SetSigningKey;
  readonly readAt: number;
}

export function createStandIn(
  env: Readonly<Record<string, string | undefined>>,
  reader: SecretReader = new SecretsManagerReader(env),
): (event: FunctionUrlEvent) => Promise<FunctionUrlResult> {
  const setting = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`the OAuth stand-in needs ${name}`);
    return value;
  };
  const authorizerSecretId = setting(STAND_IN_ENV.authorizerClientSecret);
  const testClientSecretId = setting(STAND_IN_ENV.testClientSecret);
  const audience = setting(STAND_IN_ENV.audience);
  const setIssuer = setting(STAND_IN_ENV.setIssuer);
  const setAudience = setting(STAND_IN_ENV.setAudience);
  let secrets: Promise<Secrets> | undefined;

  const readSecrets = async (): Promise<Secrets> => {
    const [authorizer, testClient] = await Promise.all([readClient(reader, authorizerSecretId), readClient(reader, testClientSecretId)]);
    return {
      authorizer,
      testClient,
      keys: deriveKeys(testClient.secret),
      setKey: await deriveSetSigningKey(testClient.secret),
      readAt: Date.now(),
    };
  };
  const current = async (): Promise<Secrets> => {
    const held = secrets === undefined ? undefined : await secrets.catch(() => undefined);
    if (held === undefined || Date.now() - held.readAt > SECRET_CACHE_MS) secrets = readSecrets();
    return secrets as Promise<Secrets>;
  };

  return async (event) => {
    const method = event.requestContext?.http?.method ?? '';
    const path = event.rawPath ?? '';
    const endpoint = `${method} ${path}`;
    if (!ENDPOINTS.includes(endpoint)) return json(404, { error: 'not_found' });
    const headers = lowerCase(event.headers ?? {});
    const form = new URLSearchParams(
      event.body === undefined ? '' : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString(),
    );
    const known = await current();
    if (endpoint === 'GET /set-jwks') {
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/jwk-set+json' },
        body: JSON.stringify({ keys: [known.setKey.publicJwk] }),
      };
    }
    if (endpoint === 'POST /sign-revocation') {
      if (!authenticates(headers.authorization, known.testClient)) return json(401, { error: 'invalid_client' });
      const token = form.get('token') ?? '';
      if (token === '') return json(400, { error: 'invalid_request', error_description: 'token' });
      const key = { privateKey: known.setKey.privateKey, kid: known.setKey.publicJwk.kid };
      return json(200, { set: await signRevocation(key, { issuer: setIssuer, audience: setAudience, token }) });
    }
    if (path === '/token') {
      if (!authenticates(headers.authorization, known.testClient)) return json(401, { error: 'invalid_client' });
      if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
      const scope = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
      const ttl = Number(form.get('ttl') ?? DEFAULT_TTL_SECONDS);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS)
        return json(400, { error: 'invalid_request', error_description: 'ttl' });
      const token = mintToken(
        known.keys,
        { sub: known.testClient.id, client_id: known.testClient.id, scope: scope.join(' '), aud: audience },
        ttl,
      );
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: ttl, scope: scope.join(' ') });
    }
    if (!authenticates(headers.authorization, known.authorizer)) return json(401, { error: 'invalid_client' });
    const claims = readToken(known.keys, form.get('token') ?? '');
    if (claims === undefined) return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
    const issuer = `https://${event.requestContext?.domainName ?? headers.host ?? 'stand-in'}`;
    const remaining = Math.max(0, claims.exp - Math.floor(Date.now() / 1000));
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/jwt', 'cache-control': `max-age=${remaining}` },
      body: phantomJwt(known.keys, claims, issuer),
    };
  };
}

const ENDPOINTS = ['POST /token', 'POST /introspect', 'POST /sign-revocation', 'GET /set-jwks'];

async function readClient(reader: SecretReader, secretId: string): Promise<Client> {
  const text = await reader.getSecretString(secretId, 3_000);
  const parsed = JSON.parse(text ?? '{}') as { client_id?: unknown; client_secret?: unknown };
  if (typeof parsed.client_id !== 'string' || typeof parsed.client_secret !== 'string') {
    throw new Error('a stand-in secret must be {"client_id","client_secret"}');
  }
  return { id: parsed.client_id, secret: parsed.client_secret };
}

/** HTTP Basic with the client's id and secret, each form-urlencoded first (RFC 6749 §2.3.1). */
function authenticates(authorization: string | undefined, client: Client): boolean {
  if (authorization === undefined || !/^Basic [A-Za-z0-9+/]+=*$/.test(authorization)) return false;
  const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const formDecode = (value: string) => {
    try {
      return decodeURIComponent(value.replaceAll('+', ' '));
    } catch {
      return undefined;
    }
  };
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  // Both compared, whatever the first says.
  const idMatches = id !== undefined && sameText(id, client.id);
  const secretMatches = secret !== undefined && sameText(secret, client.secret);
  return idMatches && secretMatches;
}

function lowerCase(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function json(statusCode: number, body: object): FunctionUrlResult {
  return { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}
