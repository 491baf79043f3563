import { AwsJsonClient, AwsRequestError, type Environment } from '../aws/aws-json-client.js';
import { DYNAMODB } from '../aws/dynamodb.js';
import { withTimeout } from '../deadline.js';
import { LIMITS, MAX_RESPONSE_BYTES } from '../environment.js';
import { type ActiveToken, activeToken } from '../introspection-client.js';
import { SharedCacheUnavailableError } from './errors.js';
import { KEY_PREFIX, TABLE_KEY, TABLE_TTL_ATTRIBUTE, TOKEN_ITEM, type TokenItemState } from './table-format.js';

/** What the table holds for a token: an answer until `expiresAtMs`, a revocation mark, or nothing usable. */
export type TableEntry =
  | { readonly state: 'active'; readonly token: ActiveToken; readonly expiresAtMs: number }
  | { readonly state: 'inactive'; readonly expiresAtMs: number }
  | { readonly state: 'revoked' }
  | { readonly state: 'miss' }
  /** An item this code did not write: read as a miss (the OAuth server is asked), never as an answer. */
  | { readonly state: 'invalid' };

/** What a write found: written, or a revocation mark it did not overwrite (the token is revoked). */
export type WriteOutcome = 'written' | 'revoked';

/** The longest JWT an entry may hold: the largest introspection answer the function reads. */
const MAX_JWT_LENGTH = MAX_RESPONSE_BYTES;
/** No writer keeps an answer longer than the longest cache lifetime: an item claiming more was not written by one. */
const MAX_ENTRY_LIFETIME_MS = LIMITS.cacheMaxTtlSeconds.max * 1000;

/**
 * The shared cache's DynamoDB table (lambda/shared-cache/table-format.ts): one strongly consistent
 * GetItem per memory miss, one conditional PutItem per introspection, signed by hand
 * (`AwsJsonClient`, no SDK in the bundle). Each call ends within `timeoutMs` (or the `capMs` the
 * caller has left); a call that fails or runs late throws `SharedCacheUnavailableError`, which
 * the caller turns into an introspection, never into an answer. Items are distrusted: an answer
 * is rebuilt through the same claim checks an introspection answer passes, and anything else in
 * the item makes it `invalid`.
 */
export class IntrospectionTable {
  private client: AwsJsonClient | undefined;

  constructor(
    private readonly table: string,
    private readonly timeoutMs: number,
    private readonly env: Environment = process.env,
  ) {}

  async read(tokenHash: string, capMs = this.timeoutMs, now = Date.now()): Promise<TableEntry> {
    const answer = await this.call(
      'GetItem',
      { TableName: this.table, Key: { [TABLE_KEY]: { S: KEY_PREFIX.token + tokenHash } }, ConsistentRead: true },
      capMs,
    );
    if (answer.Item === undefined) return { state: 'miss' };
    return readItem(answer.Item, now);
  }

  /**
   * Records an introspection's answer until `expiresAtMs`, unless the item is a revocation mark
   * (`revoked`: the receiver marked the token while it was being introspected).
   */
  async write(tokenHash: string, token: ActiveToken | undefined, expiresAtMs: number, capMs = this.timeoutMs): Promise<WriteOutcome> {
    const state: TokenItemState = token === undefined ? 'inactive' : 'active';
    const item: Record<string, unknown> = {
      [TABLE_KEY]: { S: KEY_PREFIX.token + tokenHash },
      [TOKEN_ITEM.state]: { S: state },
      [TOKEN_ITEM.expiresAtMs]: { N: String(Math.floor(expiresAtMs)) },
      [TABLE_TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresAtMs / 1000)) },
    };
    if (token !== undefined) item[TOKEN_ITEM.token] = { S: JSON.stringify(tokenClaims(token)) };
    try {
      await this.call(
        'PutItem',
        {
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#state) OR #state <> :revoked',
          ExpressionAttributeNames: { '#state': TOKEN_ITEM.state },
          ExpressionAttributeValues: { ':revoked': { S: 'revoked' } },
        },
        capMs,
      );
      return 'written';
    } catch (error) {
      if (error instanceof SharedCacheUnavailableError && error.cause instanceof AwsRequestError) {
        if (error.cause.name === 'ConditionalCheckFailedException') return 'revoked';
      }
      throw error;
    }
  }

  private async call(operation: string, input: object, capMs: number): Promise<Record<string, unknown>> {
    const timeoutMs = Math.max(1, Math.min(this.timeoutMs, capMs));
    try {
      // Resolved at the first call, so a configuration it cannot use fails that call with its reason.
      this.client ??= new AwsJsonClient(DYNAMODB, this.env);
      return await withTimeout(
        this.client.call(operation, input, timeoutMs),
        timeoutMs,
        () => new SharedCacheUnavailableError(`DynamoDB table ${this.table} did not answer ${operation} within ${timeoutMs} ms`),
      );
    } catch (error) {
      if (error instanceof SharedCacheUnavailableError) throw error;
      const { name, message } = error as Error;
      const detail = name === 'InvalidConfiguration' || name === 'CredentialsMissing' ? ` (${message})` : '';
      throw new SharedCacheUnavailableError(`${operation} on DynamoDB table ${this.table} failed: ${name}${detail}`, { cause: error });
    }
  }
}

/** The token's claims as an introspection answer carries them, so reading them back runs the same checks. */
function tokenClaims(token: ActiveToken): Record<string, unknown> {
  return {
    jwt: token.jwt,
    sub: token.sub,
    client_id: token.clientId,
    scope: token.scope,
    exp: token.exp,
    aud: token.aud,
    cnf: token.cnf && { jkt: token.cnf.jkt, 'x5t#S256': token.cnf.x5tS256 },
  };
}

function readItem(item: unknown, now: number): TableEntry {
  if (!isRecord(item)) return { state: 'invalid' };
  const state = stringAttribute(item[TOKEN_ITEM.state]);
  if (state === 'revoked') return { state };
  const expiresAtMs = Number(numberAttribute(item[TOKEN_ITEM.expiresAtMs]));
  if (!Number.isSafeInteger(expiresAtMs) || expiresAtMs > now + MAX_ENTRY_LIFETIME_MS) return { state: 'invalid' };
  if (expiresAtMs <= now) return { state: 'miss' };
  if (state === 'inactive') return { state, expiresAtMs };
  if (state !== 'active') return { state: 'invalid' };
  const token = tokenOf(stringAttribute(item[TOKEN_ITEM.token]));
  return token === undefined ? { state: 'invalid' } : { state, token, expiresAtMs };
}

function tokenOf(json: string | undefined): ActiveToken | undefined {
  if (json === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(json);
    if (!isRecord(claims) || typeof claims.jwt !== 'string' || claims.jwt === '' || claims.jwt.length > MAX_JWT_LENGTH) return undefined;
    if (claims.exp !== undefined && !Number.isFinite(claims.exp)) return undefined;
    for (const name of ['sub', 'client_id', 'scope'] as const) {
      if (claims[name] !== undefined && typeof claims[name] !== 'string') return undefined;
    }
    return activeToken(claims.jwt, claims, 'the shared cache');
  } catch {
    return undefined;
  }
}

function stringAttribute(value: unknown): string | undefined {
  return isRecord(value) && typeof value.S === 'string' ? value.S : undefined;
}

function numberAttribute(value: unknown): string | undefined {
  return isRecord(value) && typeof value.N === 'string' ? value.N : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
