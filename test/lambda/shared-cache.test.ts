import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { loadConfig } from '../../lambda/config.js';
import { MAX_RESPONSE_BYTES } from '../../lambda/environment.js';
import { KEY_PREFIX } from '../../lambda/shared-cache/table-format.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb.js';
import { closeServer, listen } from '../../local/http-server.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent } from '../support/fixtures.js';
import { capturedOutput, decisionLines, rememberSecret } from '../support/log-capture.js';

/**
 * The shared introspection cache, end to end: authorizer instances (each `createAuthorizer` is
 * one function instance, with its own memory) sharing one table on the local DynamoDB endpoint
 * (local/dynamodb.ts, which parses condition expressions as DynamoDB does; test/moto runs the
 * same calls against moto), the OAuth server a real HTTP server on 127.0.0.1 counting requests.
 */
const AWS = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local-secret-key' };
const TABLE = 'phantom-token-shared-cache';

let oauth: FaultServer;
let secrets: LocalSecretsManager;
let dynamo: LocalDynamoDb;
let sdk: DynamoDBClient;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  oauth = await startFaultServer();
  secrets = await startLocalSecretsManager();
  dynamo = await startLocalDynamoDb();
  dynamo.createTable(TABLE, { key: 'pk', ttlAttribute: 'expiresAt' });
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  secrets.put('shared/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('shared-client-secret') }));
  sdk = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: AWS.AWS_ACCESS_KEY_ID, secretAccessKey: AWS.AWS_SECRET_ACCESS_KEY },
  });
});
afterAll(async () => {
  sdk.destroy();
  await oauth.close();
  await secrets.close();
  await dynamo.close();
});
beforeEach(() => {
  dynamo.failing = false;
  dynamo.delayMs = 0;
  dynamo.next.length = 0;
  oauth.delayMs = 0;
  answer({ sub: 'alice', scope: 'read', exp: now() + 600 });
});

/** The OAuth server answers every introspection with a phantom JWT of these claims (a secret: never logged). */
function answer(claims: Record<string, unknown>): void {
  oauth.mode = 'body';
  oauth.body = { contentType: 'application/jwt', text: rememberSecret(fakeJwt(claims)) };
}

const introspections = () => oauth.requests.filter((request) => request.body.startsWith('token=')).length;

/** One function instance with the shared cache on (its own memory, the shared table). */
function instance(env: Record<string, string> = {}) {
  return createAuthorizer({
    INTROSPECTION_ENDPOINT: oauth.url,
    CLIENT_CREDENTIALS_SECRET: 'shared/client',
    INTROSPECTION_TIMEOUT_MS: '500',
    SHARED_CACHE_TABLE: TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    ...AWS,
    ...env,
  });
}

let counter = 0;
function newToken(): string {
  return rememberSecret(`shared-token-${++counter}-${Date.now()}-abcdefgh`);
}
const keyOf = (token: string) => KEY_PREFIX.token + createHash('sha256').update(token).digest('base64url');

async function decide(authorizer: ReturnType<typeof createAuthorizer>, token: string) {
  const answer = await authorizer(httpApiEvent(`Bearer ${token}`));
  const line = (await decisionLines()).at(-1);
  return { allowed: (answer as { isAuthorized?: boolean }).isAuthorized, line };
}

/** A number attribute of an item; throws when the item or the attribute is missing. */
function numberOf(item: Record<string, unknown> | undefined, name: string): number {
  const value = (item?.[name] as { N?: string } | undefined)?.N;
  if (value === undefined) throw new Error(`no number attribute ${name} in ${JSON.stringify(item)}`);
  return Number(value);
}

async function putItem(item: Record<string, unknown>): Promise<void> {
  await sdk.send(new PutItemCommand({ TableName: TABLE, Item: item as never }));
}

describe('one introspection per token across instances', () => {
  it('introspects once: the second instance finds the answer in the table, the third too', async () => {
    const token = newToken();
    const before = introspections();
    const first = await decide(instance(), token);
    expect(first.allowed).toBe(true);
    expect(first.line).toMatchObject({ outcome: 'allow', cache: 'miss', sharedCache: 'miss', sharedCacheWrite: 'written' });
    for (const other of [instance(), instance()]) {
      const { allowed, line } = await decide(other, token);
      expect(allowed).toBe(true);
      expect(line).toMatchObject({ outcome: 'allow', cache: 'miss', sharedCache: 'hit' });
      expect(line).not.toHaveProperty('introspectionMs');
    }
    expect(introspections() - before).toBe(1);
  });

  it('shares a token whose JWT is as long as an introspection answer may be (64 KiB): the item is read back', async () => {
    // Exactly MAX_RESPONSE_BYTES characters: base64url reaches every length but 1 mod 4, so the
    // header's kid moves the rest by one where the payload's padding cannot.
    const exp = now() + 600;
    const shaped = (kid: number, pad: number) =>
      fakeJwt({ sub: 'alice', scope: 'read', exp, pad: 'x'.repeat(pad) }, { alg: 'RS256', typ: 'at+jwt', kid: 'k'.repeat(kid) });
    const base = shaped(0, 0).length;
    const start = Math.floor(((MAX_RESPONSE_BYTES - base) * 3) / 4) - 8;
    const jwt = [0, 1, 2, 3]
      .flatMap((kid) => Array.from({ length: 16 }, (_, i) => shaped(kid, start + i)))
      .find((candidate) => candidate.length === MAX_RESPONSE_BYTES);
    if (jwt === undefined) throw new Error('no JWT of exactly MAX_RESPONSE_BYTES characters');
    oauth.mode = 'body';
    oauth.body = { contentType: 'application/jwt', text: rememberSecret(jwt) };
    const token = newToken();
    const before = introspections();
    expect((await decide(instance(), token)).line).toMatchObject({ outcome: 'allow', sharedCacheWrite: 'written' });
    const { allowed, line } = await decide(instance(), token);
    expect(allowed).toBe(true);
    expect(line).toMatchObject({ outcome: 'allow', sharedCache: 'hit' });
    expect(introspections() - before).toBe(1);
  });

  it('serves a table entry from memory afterwards, reading the table no more', async () => {
    const token = newToken();
    await decide(instance(), token);
    const other = instance();
    await decide(other, token);
    const gets = dynamo.gets;
    const { line } = await decide(other, token);
    expect(line).toMatchObject({ outcome: 'allow', cache: 'hit' });
    expect(dynamo.gets).toBe(gets);
  });

  it('shares an inactive answer too, briefly: for the negative cache lifetime', async () => {
    answer({ active: false });
    const token = newToken();
    const before = introspections();
    expect((await decide(instance({ NEGATIVE_CACHE_TTL_SECONDS: '10' }), token)).line).toMatchObject({ reason: 'inactive' });
    const item = dynamo.item(TABLE, keyOf(token));
    expect(item).toMatchObject({ state: { S: 'inactive' } });
    const lifetimeMs = numberOf(item, 'expiresAtMs') - Date.now();
    expect(lifetimeMs).toBeGreaterThan(0);
    expect(lifetimeMs).toBeLessThanOrEqual(10_000);
    expect((await decide(instance(), token)).line).toMatchObject({ reason: 'inactive', sharedCache: 'negative' });
    expect(introspections() - before).toBe(1);
  });

  it('keeps an entry no longer than the token lives or CACHE_MAX_TTL_SECONDS allows', async () => {
    answer({ sub: 'alice', scope: 'read', exp: now() + 30 });
    const token = newToken();
    await decide(instance({ CACHE_MAX_TTL_SECONDS: '300' }), token);
    const expiresAtMs = numberOf(dynamo.item(TABLE, keyOf(token)), 'expiresAtMs');
    expect(expiresAtMs).toBeLessThanOrEqual((now() + 31) * 1000);
    const expiresAt = numberOf(dynamo.item(TABLE, keyOf(token)), 'expiresAt');
    expect(expiresAt).toBe(Math.ceil(expiresAtMs / 1000));
  });

  it('keys items by the token’s SHA-256 and never stores the token', async () => {
    const token = newToken();
    await decide(instance(), token);
    const item = dynamo.item(TABLE, keyOf(token));
    expect(item).toMatchObject({ state: { S: 'active' } });
    expect(JSON.stringify(item)).not.toContain(token);
  });

  it('asks once for two concurrent requests of one instance with the same token (single flight)', async () => {
    const token = newToken();
    const one = instance();
    const before = introspections();
    oauth.delayMs = 50;
    const answers = await Promise.all([one(httpApiEvent(`Bearer ${token}`)), one(httpApiEvent(`Bearer ${token}`))]);
    expect(answers).toEqual([expect.objectContaining({ isAuthorized: true }), expect.objectContaining({ isAuthorized: true })]);
    expect(introspections() - before).toBe(1);
    expect((await decisionLines()).slice(-2).map((line) => line.sharedCache)).toContain('joined');
  });
});

describe('revocation marks', () => {
  const mark = (token: string) => putItem({ pk: { S: keyOf(token) }, state: { S: 'revoked' }, expiresAt: { N: String(now() + 3_900) } });

  it('denies a token the table marks revoked, without asking the OAuth server', async () => {
    const token = newToken();
    await decide(instance(), token);
    await mark(token);
    const before = introspections();
    const { allowed, line } = await decide(instance(), token);
    expect(allowed).toBe(false);
    expect(line).toMatchObject({ outcome: 'deny', reason: 'inactive', sharedCache: 'revoked' });
    expect(introspections()).toBe(before);
  });

  it('reaches an instance that holds the token in memory once the memory bound has passed', async () => {
    const token = newToken();
    const holder = instance({ SHARED_CACHE_MEMORY_TTL_SECONDS: '1' });
    expect((await decide(holder, token)).allowed).toBe(true);
    await mark(token);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await decide(holder, token)).line).toMatchObject({
      outcome: 'deny',
      reason: 'inactive',
      cache: 'miss',
      sharedCache: 'revoked',
    });
  });

  it('with a memory bound of 0 reads the table on every request', async () => {
    const token = newToken();
    const holder = instance({ SHARED_CACHE_MEMORY_TTL_SECONDS: '0' });
    expect((await decide(holder, token)).allowed).toBe(true);
    expect((await decide(holder, token)).line).toMatchObject({ cache: 'miss', sharedCache: 'hit' });
    await mark(token);
    expect((await decide(holder, token)).allowed).toBe(false);
  });

  it('denies a token revoked while it was being introspected: the mark is not overwritten', async () => {
    const token = newToken();
    oauth.delayMs = 300;
    const pending = decide(instance(), token);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await mark(token);
    const { allowed, line } = await pending;
    expect(allowed).toBe(false);
    expect(line).toMatchObject({ outcome: 'deny', reason: 'inactive', sharedCache: 'revoked' });
    expect(dynamo.item(TABLE, keyOf(token))).toMatchObject({ state: { S: 'revoked' } });
  });
});

describe('a table that fails costs an introspection, never a 500 and never an allow', () => {
  it('introspects when DynamoDB answers 500, and allows on the OAuth server’s word', async () => {
    dynamo.failing = true;
    const token = newToken();
    const before = introspections();
    const { allowed, line } = await decide(instance(), token);
    expect(allowed).toBe(true);
    expect(line).toMatchObject({ outcome: 'allow', sharedCache: 'unavailable', sharedCacheWrite: 'failed' });
    expect(String(line?.sharedCacheError)).toContain(TABLE);
    expect(introspections() - before).toBe(1);
  });

  it('introspects when DynamoDB is slower than SHARED_CACHE_TIMEOUT_MS', async () => {
    dynamo.delayMs = 400;
    const { allowed, line } = await decide(instance({ SHARED_CACHE_TIMEOUT_MS: '50' }), newToken());
    expect(allowed).toBe(true);
    expect(line).toMatchObject({ sharedCache: 'unavailable' });
    expect(line?.sharedCacheMs).toBeLessThan(400);
  });

  it('introspects when DynamoDB cannot be reached at all', async () => {
    const closed = http.createServer();
    await listen(closed, 0);
    const port = (closed.address() as AddressInfo).port;
    await closeServer(closed);
    const { allowed, line } = await decide(instance({ AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}` }), newToken());
    expect(allowed).toBe(true);
    expect(line).toMatchObject({ sharedCache: 'unavailable', sharedCacheWrite: 'failed' });
  });

  it('still denies an inactive token when the table is down', async () => {
    dynamo.failing = true;
    answer({ active: false });
    expect((await decide(instance(), newToken())).line).toMatchObject({ outcome: 'deny', reason: 'inactive', sharedCache: 'unavailable' });
  });

  it('fails (500) when the OAuth server cannot be asked either: never an allow from nowhere', async () => {
    dynamo.failing = true;
    oauth.mode = 'status-500';
    await expect(instance()(httpApiEvent(`Bearer ${newToken()}`))).rejects.toThrow();
  });
});

describe('items are distrusted: anything this code did not write is read as a miss', () => {
  const activeJson = (claims: Record<string, unknown>) => ({ S: JSON.stringify({ jwt: 'x.y.z', scope: 'read', ...claims }) });
  const cases: [string, (token: string) => Record<string, unknown>][] = [
    ['an unknown state', () => ({ state: { S: 'allowed' } })],
    ['a state of another type', () => ({ state: { BOOL: true } })],
    ['a token that is not JSON', () => ({ state: { S: 'active' }, token: { S: '{not json' } })],
    ['a token without a JWT', () => ({ state: { S: 'active' }, token: { S: JSON.stringify({ scope: 'admin' }) } })],
    [
      'a JWT longer than an introspection answer may be',
      () => ({ state: { S: 'active' }, token: activeJson({ jwt: `x.${'y'.repeat(MAX_RESPONSE_BYTES)}.z` }) }),
    ],
    ['an empty JWT', () => ({ state: { S: 'active' }, token: activeJson({ jwt: '' }) })],
    ['scopes that are not scope tokens', () => ({ state: { S: 'active' }, token: activeJson({ scope: 'read "admin"' }) })],
    ['an aud of the wrong type', () => ({ state: { S: 'active' }, token: activeJson({ aud: 7 }) })],
    ['a cnf that is not an object', () => ({ state: { S: 'active' }, token: activeJson({ cnf: 'bound' }) })],
    ['an expiry that is not a number', () => ({ state: { S: 'active' }, token: activeJson({}), expiresAtMs: { S: 'later' } })],
    [
      'an expiry beyond any cache lifetime',
      () => ({ state: { S: 'active' }, token: activeJson({}), expiresAtMs: { N: String(Date.now() + 4_000_000) } }),
    ],
  ];

  it.each(cases)('%s: asks the OAuth server and overwrites the item', async (_name, fields) => {
    answer({ sub: 'alice', scope: 'read', exp: now() + 600 });
    const token = newToken();
    await putItem({ pk: { S: keyOf(token) }, expiresAtMs: { N: String(Date.now() + 60_000) }, ...fields(token) });
    const before = introspections();
    const { allowed, line } = await decide(instance(), token);
    expect(allowed).toBe(true);
    expect(line).toMatchObject({ sharedCache: 'invalid', sharedCacheWrite: 'written' });
    expect(introspections() - before).toBe(1);
    expect(dynamo.item(TABLE, keyOf(token))).toMatchObject({ state: { S: 'active' } });
  });

  it('does not serve an expired entry that DynamoDB has not deleted yet', async () => {
    const token = newToken();
    await putItem({
      pk: { S: keyOf(token) },
      state: { S: 'active' },
      token: activeJson({ scope: 'read admin' }),
      expiresAtMs: { N: String(Date.now() - 1) },
    });
    const before = introspections();
    expect((await decide(instance(), token)).line).toMatchObject({ sharedCache: 'miss' });
    expect(introspections() - before).toBe(1);
  });
});

describe('configuration', () => {
  const base = { INTROSPECTION_ENDPOINT: 'https://idp.example.com/introspect', CLIENT_CREDENTIALS_SECRET: 'shared/client' };

  it('accepts a table name or a table ARN, and is off when unset', () => {
    expect(loadConfig(base).sharedCacheTable).toBeUndefined();
    expect(loadConfig({ ...base, SHARED_CACHE_TABLE: 'my.table_1-x' }).sharedCacheTable).toBe('my.table_1-x');
    const arn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/shared';
    expect(loadConfig({ ...base, SHARED_CACHE_TABLE: arn }).sharedCacheTable).toBe(arn);
  });

  it.each([
    ['ab', 'too short'],
    ['has space', 'a space'],
    ['arn:aws:dynamodb:eu-west-1:123456789012:stream/x', 'not a table ARN'],
  ])('refuses SHARED_CACHE_TABLE %j (%s), naming the variable', (value) => {
    expect(() => loadConfig({ ...base, SHARED_CACHE_TABLE: value })).toThrow(
      /^SHARED_CACHE_TABLE must be a DynamoDB table name \(3 to 255 of A-Z a-z 0-9 _ \. -\) or a table ARN; received/,
    );
  });

  it('takes SHARED_CACHE_TIMEOUT_MS and SHARED_CACHE_MEMORY_TTL_SECONDS within their limits', () => {
    expect(loadConfig(base)).toMatchObject({ sharedCacheTimeoutMs: 150, sharedCacheMemoryTtlSeconds: 5 });
    expect(() => loadConfig({ ...base, SHARED_CACHE_TIMEOUT_MS: '5' })).toThrow(
      'SHARED_CACHE_TIMEOUT_MS must be an integer from 10 to 3000; received "5"',
    );
    expect(() => loadConfig({ ...base, SHARED_CACHE_MEMORY_TTL_SECONDS: '301' })).toThrow(
      'SHARED_CACHE_MEMORY_TTL_SECONDS must be an integer from 0 to 300; received "301"',
    );
  });
});

describe('no token, JWT or secret in any line', () => {
  it('prints none of the tokens, JWTs or secrets these tests used', () => {
    const output = capturedOutput();
    expect(output).toContain('sharedCache');
    for (const value of [...oauth.requests.map((request) => request.body)]) {
      const token = new URLSearchParams(value).get('token');
      if (token) expect(output).not.toContain(token);
    }
  });
});
