import { DEFAULTS, MAX_FLUSH_STAGES, REVOCATION_ENV, REVOCATION_LIMITS } from '../environment.js';
import { ConfigurationInvalidError } from '../errors.js';
import { showValue } from '../redact-url.js';

/** One REST API stage whose authorizer cache is flushed on each revocation. */
export interface FlushStage {
  readonly restApiId: string;
  readonly stage: string;
}

export interface RevocationConfig {
  /** The `iss` every SET must carry. */
  readonly issuer: string;
  readonly jwksUri: URL;
  /** The audience every SET's `aud` must hold. */
  readonly audience: string;
  /** The shared cache's DynamoDB table, name or ARN. */
  readonly table: string;
  readonly flushStages: readonly FlushStage[];
  /** Seconds between the first and the second flush; 0: one flush only. */
  readonly flushRepeatSeconds: number;
  /** Deadline of each call to the table, the JWKS and API Gateway. */
  readonly timeoutMs: number;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** DynamoDB's rules for a table name, and a table ARN (PutItem's `TableName` takes either). */
const TABLE_NAME_PATTERN = /^[A-Za-z0-9_.-]{3,255}$/;
const TABLE_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:dynamodb:[a-z]+(?:-[a-z]+)*-\d+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/;
/** A REST API id as API Gateway makes them (10 lower-case letters and digits). */
const REST_API_ID_PATTERN = /^[a-z0-9]{10}$/;
/** A stage name: letters, digits, `-` and `_`, at most 128 characters (CreateStage's rules). */
const STAGE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Reads and validates the receiver's environment. Throws `ConfigurationInvalidError` naming the variable. */
export function loadRevocationConfig(env: Environment): RevocationConfig {
  return {
    issuer: required(env, REVOCATION_ENV.issuer),
    jwksUri: jwksUri(env),
    audience: required(env, REVOCATION_ENV.audience),
    table: table(env),
    flushStages: flushStages(env),
    flushRepeatSeconds: integer(
      env,
      REVOCATION_ENV.flushRepeatSeconds,
      DEFAULTS.revocationFlushRepeatSeconds,
      REVOCATION_LIMITS.flushRepeatSeconds,
    ),
    timeoutMs: integer(env, REVOCATION_ENV.timeoutMs, DEFAULTS.revocationTimeoutMs, REVOCATION_LIMITS.timeoutMs),
  };
}

function required(env: Environment, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigurationInvalidError(`${name} is required`);
  return value;
}

/** https only; plain http only for a loopback host (local development and tests); no credentials. */
function jwksUri(env: Environment): URL {
  const name = REVOCATION_ENV.jwksUri;
  const value = required(env, name);
  // Named only through showValue, whatever the parser made of it: the value may carry a password.
  const shown = showValue(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationInvalidError(`${name} must be an absolute URL; received ${shown}`);
  }
  if (url.username || url.password) throw new ConfigurationInvalidError(`${name} must not carry credentials in the URL; received ${shown}`);
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigurationInvalidError(`${name} must use https (plain http only for 127.0.0.1 or localhost); received ${shown}`);
  }
  return url;
}

function table(env: Environment): string {
  const name = REVOCATION_ENV.table;
  const value = required(env, name);
  if (TABLE_NAME_PATTERN.test(value) || TABLE_ARN_PATTERN.test(value)) return value;
  throw new ConfigurationInvalidError(
    `${name} must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -) or a table ARN; received ${showValue(value)}`,
  );
}

/** JSON `[{"restApiId","stage"}]`, at most {@link MAX_FLUSH_STAGES}, no duplicates; unset or empty: none. */
function flushStages(env: Environment): readonly FlushStage[] {
  const name = REVOCATION_ENV.flushStages;
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationInvalidError(`${name} must be a JSON array; received a value that is not JSON`);
  }
  if (!Array.isArray(parsed) || parsed.length > MAX_FLUSH_STAGES) {
    throw new ConfigurationInvalidError(
      `${name} must be a JSON array of at most ${MAX_FLUSH_STAGES} {"restApiId","stage"} objects; received ${showValue(parsed)}`,
    );
  }
  const seen = new Set<string>();
  return parsed.map((entry: unknown, index) => {
    const { restApiId, stage } = (entry ?? {}) as { restApiId?: unknown; stage?: unknown };
    const valid =
      typeof entry === 'object' &&
      entry !== null &&
      Object.keys(entry).length === 2 &&
      typeof restApiId === 'string' &&
      REST_API_ID_PATTERN.test(restApiId) &&
      typeof stage === 'string' &&
      STAGE_NAME_PATTERN.test(stage);
    if (!valid) {
      throw new ConfigurationInvalidError(
        `${name}[${index}] must be {"restApiId": 10 lower-case letters or digits, "stage": 1 to 128 of A-Z a-z 0-9 _ -}; received ${showValue(entry)}`,
      );
    }
    const key = `${restApiId}/${stage}`;
    if (seen.has(key)) throw new ConfigurationInvalidError(`${name}[${index}] repeats stage ${showValue(key)}`);
    seen.add(key);
    return { restApiId, stage };
  });
}

function integer(env: Environment, name: string, fallback: number, { min, max }: { min: number; max: number }): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigurationInvalidError(`${name} must be an integer from ${min} to ${max}; received ${showValue(raw)}`);
  }
  return value;
}
