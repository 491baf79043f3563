import {
  DECISION_BUDGET_EXTRA_MS,
  DEFAULTS,
  DPOP_ALGORITHMS,
  ENV,
  type IntrospectionResponseType,
  LIMITS,
  RESPONSE_TYPE_INTROSPECTION_JWT,
  RESPONSE_TYPES,
  SECRET_ARN_PATTERN,
  SECRET_NAME_PATTERN,
} from './environment.js';
import { ConfigurationInvalidError } from './errors.js';
import { NAMESPACE_PATTERN, SERVICE_NAME_PATTERN } from './observability/metrics-contract.js';
import { showValue } from './redact-url.js';
import { parseRouteScopes, type RouteScopes } from './routes/route-scopes.js';
import { type RouteTable, readRouteTableFile } from './routes/route-table.js';

export interface AuthorizerConfig {
  readonly introspectionEndpoint: URL;
  readonly clientCredentialsSecret: string;
  readonly responseType: IntrospectionResponseType;
  readonly jwksUri: URL | undefined;
  readonly issuer: string | undefined;
  /** `ROUTE_SCOPES` (functions deployed without the construct); empty with a route table. */
  readonly routeScopes: RouteScopes;
  /** `ROUTE_TABLE_FILE`'s table: every route, policy answers; undefined when unset. */
  readonly routeTable: RouteTable | undefined;
  readonly realm: string;
  readonly cacheMaxTtlSeconds: number;
  readonly cacheMaxEntries: number;
  readonly negativeCacheTtlSeconds: number;
  /** Deadline of each request to a peer: introspection, JWKS, Secrets Manager. */
  readonly introspectionTimeoutMs: number;
  /** The whole decision's deadline from the invocation's start: 2 × `introspectionTimeoutMs` + `DECISION_BUDGET_EXTRA_MS`. */
  readonly decisionBudgetMs: number;
  readonly secretRefreshSeconds: number;
  /** CloudWatch namespace of the decision lines' metrics. */
  readonly metricsNamespace: string;
  /** Their `service` dimension. */
  readonly serviceName: string;
  /** The audience tokens must hold (`AUDIENCE`), and per API id (`API_AUDIENCES`). */
  readonly audience: string | undefined;
  readonly apiAudiences: ReadonlyMap<string, string>;
  /** `SENDER_CONSTRAINED_TOKENS=true`: API Gateway does not cache decisions, so bound tokens may be allowed. */
  readonly senderConstrainedTokens: boolean;
  readonly dpopAlgorithms: readonly string[];
  readonly dpopProofMaxAgeSeconds: number;
  /** `requestContext.domainName` (lower case) → the public base URL of DPoP `htu`s there. */
  readonly dpopPublicBaseUrls: ReadonlyMap<string, string>;
  /** The shared replay store's DynamoDB table, or `undefined` for the per-instance one. */
  readonly dpopReplayTable: string | undefined;
  /** The shared introspection cache's DynamoDB table (name or ARN), or `undefined`: this instance's memory only. */
  readonly sharedCacheTable: string | undefined;
  /** Deadline of each shared-cache call, milliseconds. */
  readonly sharedCacheTimeoutMs: number;
  /** With a shared cache, the longest a result is served from memory, seconds (the revocation bound). */
  readonly sharedCacheMemoryTtlSeconds: number;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Reads and validates the environment contract. Throws `ConfigurationInvalidError` naming the variable. */
export function loadConfig(env: Environment): AuthorizerConfig {
  const responseType = env[ENV.introspectionResponseType] || DEFAULTS.introspectionResponseType;
  if (!(RESPONSE_TYPES as readonly string[]).includes(responseType)) {
    throw new ConfigurationInvalidError(
      `${ENV.introspectionResponseType} must be one of ${RESPONSE_TYPES.join(', ')}; received ${showValue(responseType)}`,
    );
  }
  const jwksUri = env[ENV.jwksUri] ? endpointUrl(env, ENV.jwksUri) : undefined;
  if (responseType === RESPONSE_TYPE_INTROSPECTION_JWT && jwksUri === undefined) {
    throw new ConfigurationInvalidError(`${ENV.jwksUri} is required when ${ENV.introspectionResponseType} is ${responseType}`);
  }
  const realm = env[ENV.realm] || DEFAULTS.realm;
  if (!/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/.test(realm)) {
    throw new ConfigurationInvalidError(`${ENV.realm} must be printable ASCII without " or \\; received ${showValue(realm)}`);
  }
  const introspectionTimeoutMs = integer(env, 'introspectionTimeoutMs');
  return {
    introspectionEndpoint: endpointUrl(env, ENV.introspectionEndpoint),
    clientCredentialsSecret: secretId(env),
    responseType: responseType as IntrospectionResponseType,
    jwksUri,
    issuer: env[ENV.issuer] || undefined,
    ...routes(env),
    realm,
    cacheMaxTtlSeconds: integer(env, 'cacheMaxTtlSeconds'),
    cacheMaxEntries: integer(env, 'cacheMaxEntries'),
    negativeCacheTtlSeconds: integer(env, 'negativeCacheTtlSeconds'),
    introspectionTimeoutMs,
    decisionBudgetMs: 2 * introspectionTimeoutMs + DECISION_BUDGET_EXTRA_MS,
    secretRefreshSeconds: integer(env, 'secretRefreshSeconds'),
    metricsNamespace: matching(
      env,
      'metricsNamespace',
      NAMESPACE_PATTERN,
      '1 to 255 printable ASCII characters, not starting with ":" or "AWS/"',
    ),
    serviceName: matching(env, 'serviceName', SERVICE_NAME_PATTERN, '1 to 255 printable ASCII characters, not only spaces'),
    audience: env[ENV.audience] || undefined,
    apiAudiences: stringMap(env, ENV.apiAudiences, (value) => value !== ''),
    senderConstrainedTokens: flag(env, ENV.senderConstrainedTokens),
    dpopAlgorithms: dpopAlgorithms(env),
    dpopProofMaxAgeSeconds: integer(env, 'dpopProofMaxAgeSeconds'),
    dpopPublicBaseUrls: publicBaseUrls(env),
    dpopReplayTable: env[ENV.dpopReplayTable] || undefined,
    sharedCacheTable: tableId(env, ENV.sharedCacheTable),
    sharedCacheTimeoutMs: integer(env, 'sharedCacheTimeoutMs'),
    sharedCacheMemoryTtlSeconds: integer(env, 'sharedCacheMemoryTtlSeconds'),
  };
}

/** A DynamoDB table's name (3 to 255 of `A–Z a–z 0–9 _ . -`) or ARN, or `undefined` when unset. */
function tableId(env: Environment, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!TABLE_NAME_PATTERN.test(value) && !TABLE_ARN_PATTERN.test(value)) {
    throw new ConfigurationInvalidError(
      `${name} must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -) or a table ARN; received ${showValue(value)}`,
    );
  }
  return value;
}

const TABLE_NAME_PATTERN = /^[A-Za-z0-9_.-]{3,255}$/;
const TABLE_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:dynamodb:[a-z]+(?:-[a-z]+)*-\d+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/;

/** The route table, or `ROUTE_SCOPES` without one; never both, and never the retired `ROUTE_POLICY`. */
function routes(env: Environment): { routeScopes: RouteScopes; routeTable: RouteTable | undefined } {
  if (env[ENV.routePolicy]) {
    throw new ConfigurationInvalidError(
      `${ENV.routePolicy} is no longer read: the construct now ships the routes in ${ENV.routeTableFile}; redeploy with this version's construct`,
    );
  }
  const file = env[ENV.routeTableFile];
  if (!file) return { routeScopes: parseRouteScopes(env[ENV.routeScopes]), routeTable: undefined };
  if (env[ENV.routeScopes]) {
    throw new ConfigurationInvalidError(`${ENV.routeScopes} and ${ENV.routeTableFile} must not both be set: the table holds the scopes`);
  }
  return { routeScopes: new Map(), routeTable: readRouteTableFile(file) };
}

/** `true` or `false` (default). */
function flag(env: Environment, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigurationInvalidError(`${name} must be true or false; received ${showValue(raw)}`);
}

/** A JSON object of non-empty strings, each value accepted by `valid`; unset or empty is an empty map. */
function stringMap(env: Environment, name: string, valid: (value: string) => boolean, rule = 'a non-empty string'): Map<string, string> {
  const raw = env[name];
  const map = new Map<string, string>();
  if (raw === undefined || raw === '') return map;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationInvalidError(`${name} must be a JSON object; received a value that is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigurationInvalidError(`${name} must be a JSON object; received ${showValue(parsed)}`);
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (key === '' || typeof value !== 'string' || !valid(value)) {
      throw new ConfigurationInvalidError(`${name}[${showValue(key)}] must be ${rule}; received ${showValue(value)}`);
    }
    map.set(key, value);
  }
  return map;
}

/** Space-separated names from {@link DPOP_ALGORITHMS}; at least one. */
function dpopAlgorithms(env: Environment): readonly string[] {
  const raw = env[ENV.dpopAlgorithms];
  if (raw === undefined || raw.trim() === '') return DPOP_ALGORITHMS;
  const names = raw.trim().split(/ +/);
  for (const name of names) {
    if (!(DPOP_ALGORITHMS as readonly string[]).includes(name)) {
      throw new ConfigurationInvalidError(
        `${ENV.dpopAlgorithms} must name algorithms from ${DPOP_ALGORITHMS.join(' ')}; received ${showValue(name)}`,
      );
    }
  }
  return names;
}

/** Domain (lower case) → base URL: https (http only for a loopback host), no credentials, query or fragment. */
function publicBaseUrls(env: Environment): Map<string, string> {
  const name = ENV.dpopPublicBaseUrls;
  const urls = stringMap(env, name, isBaseUrl, 'an absolute https URL without query, fragment or credentials');
  return new Map([...urls].map(([domain, url]) => [domain.toLowerCase(), url]));
}

function isBaseUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  return (
    (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) &&
    url.username === '' &&
    url.password === '' &&
    !value.includes('?') &&
    !value.includes('#')
  );
}

/** An optional string variable that must match `pattern`; its default when unset or empty. */
function matching(env: Environment, key: 'metricsNamespace' | 'serviceName', pattern: RegExp, rule: string): string {
  const name = ENV[key];
  const value = env[name];
  if (value === undefined || value === '') return DEFAULTS[key];
  if (!pattern.test(value)) throw new ConfigurationInvalidError(`${name} must be ${rule}; received ${showValue(value)}`);
  return value;
}

function required(env: Environment, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationInvalidError(`${name} is required`);
  }
  return value;
}

/**
 * `CLIENT_CREDENTIALS_SECRET`: a secret's ARN or name. Never echoed, valid or not: a value pasted
 * into the wrong field (the secret's JSON itself, or a client secret that happens to be a valid
 * name) would otherwise reach every log line that names the secret.
 */
function secretId(env: Environment): string {
  const name = ENV.clientCredentialsSecret;
  const value = required(env, name);
  if (SECRET_ARN_PATTERN.test(value) || SECRET_NAME_PATTERN.test(value)) return value;
  throw new ConfigurationInvalidError(
    `${name} must be a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>) or a secret name (1 to 512 ASCII letters, digits and /_+=.@-); received ${value.length} characters that are neither (not shown: the value may be the secret itself)`,
  );
}

/** https only; plain http only for a loopback host (local development and tests). */
function endpointUrl(env: Environment, name: string): URL {
  const value = required(env, name);
  // Every message below names the value only through this, whatever the parser made of it: a value
  // that fails to parse (a bad port, say) may still carry a password.
  const shown = showValue(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // No `cause`: the parser's error carries the raw input, and a logged error may print its cause.
    throw new ConfigurationInvalidError(`${name} must be an absolute URL; received ${shown}`);
  }
  if (url.username || url.password) {
    throw new ConfigurationInvalidError(`${name} must not carry credentials in the URL; received ${shown}`);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigurationInvalidError(`${name} must use https (plain http only for 127.0.0.1 or localhost); received ${shown}`);
  }
  return url;
}

function integer(env: Environment, key: keyof typeof LIMITS): number {
  const name = ENV[key];
  const raw = env[name];
  if (raw === undefined || raw === '') return DEFAULTS[key];
  const { min, max } = LIMITS[key];
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigurationInvalidError(`${name} must be an integer from ${min} to ${max}; received ${showValue(raw)}`);
  }
  return value;
}
