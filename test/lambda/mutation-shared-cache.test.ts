import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsRequestError } from '../../lambda/aws/aws-json-client.js';
import { LIMITS } from '../../lambda/environment.js';
import type { ActiveToken, IntrospectionResult } from '../../lambda/introspection-client.js';
import type { DecisionLogLine } from '../../lambda/observability/decision-log.js';
import { createRevocationReceiver } from '../../lambda/revocation/receiver.js';
import { SharedCacheUnavailableError } from '../../lambda/shared-cache/errors.js';
import { IntrospectionTable } from '../../lambda/shared-cache/introspection-table.js';
import { SharedLookup } from '../../lambda/shared-cache/shared-lookup.js';
import { KEY_PREFIX } from '../../lambda/shared-cache/table-format.js';
import { TokenCache } from '../../lambda/token-cache.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb.js';
import { closeServer, listen, readBody } from '../../local/http-server.js';
import { fakeJwt } from '../support/fault-server.js';
import { rememberSecret } from '../support/log-capture.js';
import {
  accessToken,
  answer,
  deliveryEvent,
  type IssuerKey,
  issuerKey,
  logSink,
  TABLE as RECEIVER_TABLE,
  receiverEnv,
  revocationClaims,
  signSet,
  startDynamoDbStandIn,
  startJwksServer,
} from './revocation/harness.js';

/**
 * Behaviours a mutation run found untested in the shared introspection cache (its table, the
 * lookup that serves it into an instance's memory, its error) and in the revocation receiver's
 * table writes: each test here kills a mutant that survived the other suites. The table is the
 * local DynamoDB endpoint (local/dynamodb.ts) on 127.0.0.1, written and read with the function's
 * own signed calls; items this code did not write are put with the real AWS SDK.
 */
const TABLE = 'mutation-shared-cache';
const AWS = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local-secret-key' };
/** The longest an entry may live: CACHE_MAX_TTL_SECONDS' largest value. */
const MAX_ENTRY_LIFETIME_MS = LIMITS.cacheMaxTtlSeconds.max * 1000;

let dynamo: LocalDynamoDb;
let sdk: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  dynamo.createTable(TABLE, { key: 'pk', ttlAttribute: 'expiresAt' });
  dynamo.createTable(RECEIVER_TABLE, { key: 'pk', ttlAttribute: 'expiresAt' });
  sdk = new DynamoDBClient({
    region: AWS.AWS_REGION,
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: AWS.AWS_ACCESS_KEY_ID, secretAccessKey: AWS.AWS_SECRET_ACCESS_KEY },
  });
});
afterAll(async () => {
  sdk.destroy();
  await dynamo.close();
});
beforeEach(() => {
  dynamo.failing = false;
  dynamo.delayMs = 0;
  dynamo.next.length = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

/** The table as the authorizer makes it, against the local endpoint; `env` overrides the environment. */
const table = (timeoutMs = 1_000, env: Record<string, string> = {}, name = TABLE) =>
  new IntrospectionTable(name, timeoutMs, { ...AWS, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, ...env });

/** A fresh token's key: the SHA-256 of a random token, base64url (both remembered: never printed). */
function newHash(): string {
  const token = rememberSecret(randomBytes(24).toString('base64url'));
  return rememberSecret(createHash('sha256').update(token).digest('base64url'));
}

/** A phantom JWT (remembered: never printed). */
const jwt = (claims: Record<string, unknown> = {}) => rememberSecret(fakeJwt({ sub: 'alice', scope: 'read', ...claims }));

function activeToken(overrides: Partial<ActiveToken> = {}): ActiveToken {
  return {
    jwt: jwt(),
    sub: 'alice',
    clientId: 'web',
    scope: 'read',
    scopes: ['read'],
    exp: Math.floor(Date.now() / 1000) + 600,
    aud: undefined,
    cnf: undefined,
    ...overrides,
  };
}

/** Puts an item as another writer would (not through IntrospectionTable): `state` active, `token` this JSON. */
async function putActive(hash: string, claims: Record<string, unknown>, expiresAtMs = Date.now() + 60_000): Promise<void> {
  await putItem({
    pk: { S: KEY_PREFIX.token + hash },
    state: { S: 'active' },
    token: { S: JSON.stringify(claims) },
    expiresAtMs: { N: String(expiresAtMs) },
  });
}

async function putItem(item: Record<string, unknown>): Promise<void> {
  await sdk.send(new PutItemCommand({ TableName: TABLE, Item: item as never }));
}

describe('what the table reads back', () => {
  it('reads strongly consistently: each GetItem costs a whole read unit, so a mark written just before is seen', async () => {
    const hash = newHash();
    await table().write(hash, activeToken(), Date.now() + 60_000);
    const before = dynamo.consumed.readUnits;
    expect(await table().read(hash)).toMatchObject({ state: 'active' });
    expect(dynamo.consumed.readUnits - before).toBe(1);
  });

  it('keeps a sender-constrained token bound: its cnf jkt and x5t#S256 come back from the table', async () => {
    const hash = newHash();
    const bound = activeToken({ cnf: { jkt: 'dpop-key-thumbprint', x5tS256: 'certificate-thumbprint' } });
    const expiresAtMs = Date.now() + 60_000;
    await table().write(hash, bound, expiresAtMs);
    const entry = await table().read(hash);
    expect(entry).toEqual({ state: 'active', token: bound, expiresAtMs });
  });

  it('serves an entry expiring exactly the longest cache lifetime from now, and refuses one a millisecond later', async () => {
    const now = Date.now();
    const [longest, tooLong] = [newHash(), newHash()];
    await table().write(longest, activeToken(), now + MAX_ENTRY_LIFETIME_MS);
    await table().write(tooLong, activeToken(), now + MAX_ENTRY_LIFETIME_MS + 1);
    expect(await table().read(longest, 1_000, now)).toMatchObject({ state: 'active', expiresAtMs: now + MAX_ENTRY_LIFETIME_MS });
    expect(await table().read(tooLong, 1_000, now)).toEqual({ state: 'invalid' });
  });

  it('reads an entry expiring exactly now as a miss, and one expiring a millisecond later as an answer', async () => {
    const now = Date.now();
    const [expiring, live] = [newHash(), newHash()];
    await table().write(expiring, activeToken(), now);
    await table().write(live, undefined, now + 1);
    expect(await table().read(expiring, 1_000, now)).toEqual({ state: 'miss' });
    expect(await table().read(live, 1_000, now)).toEqual({ state: 'inactive', expiresAtMs: now + 1 });
  });

  it('serves a token without an exp claim: it comes back active, without exp', async () => {
    const hash = newHash();
    const token = activeToken({ exp: undefined });
    const expiresAtMs = Date.now() + 60_000;
    await table().write(hash, token, expiresAtMs);
    expect(await table().read(hash)).toEqual({ state: 'active', token, expiresAtMs });
  });
});

describe('items this code did not write are invalid (the OAuth server is asked), never an answer', () => {
  const invalid: [string, Record<string, unknown>][] = [
    ['an empty JWT', { jwt: '', scope: 'read' }],
    ['an exp that is a string', { jwt: 'x.y.z', scope: 'read', exp: 'later' }],
    ['an exp that is null', { jwt: 'x.y.z', scope: 'read', exp: null }],
    ['a sub that is a number', { jwt: 'x.y.z', scope: 'read', sub: 7 }],
    ['a client_id that is a boolean', { jwt: 'x.y.z', scope: 'read', client_id: true }],
    ['a scope that is an array', { jwt: 'x.y.z', scope: ['read', 'admin'] }],
  ];

  it.each(invalid)('reads an active item with %s as invalid', async (_name, claims) => {
    const hash = newHash();
    await putActive(hash, claims);
    expect(await table().read(hash)).toEqual({ state: 'invalid' });
  });

  it('reads an item without a state attribute as invalid, not as a failure', async () => {
    const hash = newHash();
    await putItem({ pk: { S: KEY_PREFIX.token + hash }, expiresAtMs: { N: String(Date.now() + 60_000) } });
    expect(await table().read(hash)).toEqual({ state: 'invalid' });
  });

  it('reads an attribute the endpoint answers as null as invalid, not as a failure', async () => {
    // A DynamoDB endpoint on 127.0.0.1 whose GetItem answer holds `state: null` (no DynamoDB type at all).
    const server = http.createServer(async (request, response) => {
      await readBody(request);
      const item = { pk: { S: 'token#x' }, state: null, expiresAtMs: { N: String(Date.now() + 60_000) } };
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ Item: item }));
    });
    await listen(server, 0);
    try {
      const odd = table(1_000, { AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      expect(await odd.read(newHash())).toEqual({ state: 'invalid' });
    } finally {
      await closeServer(server);
    }
  });
});

describe('a table that fails: SharedCacheUnavailableError, whose message names why', () => {
  it('reports a table slower than its timeout as SharedCacheUnavailableError naming the table, the operation and the bound, without a cause', async () => {
    dynamo.delayMs = 400;
    const failure = await table(50)
      .read(newHash())
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(SharedCacheUnavailableError);
    expect(failure).toMatchObject({
      name: 'SharedCacheUnavailableError',
      code: 'ERR_SHARED_CACHE_UNAVAILABLE',
      message: `DynamoDB table ${TABLE} did not answer GetItem within 50 ms`,
    });
    expect((failure as Error).cause).toBeUndefined();
  });

  it('reports an AWS error answer by AWS’s error type and nothing else, with the AWS error as its cause', async () => {
    const failure = await table(1_000, {}, 'no-such-table')
      .read(newHash())
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toMatchObject({
      name: 'SharedCacheUnavailableError',
      code: 'ERR_SHARED_CACHE_UNAVAILABLE',
      message: 'GetItem on DynamoDB table no-such-table failed: ResourceNotFoundException',
    });
    expect((failure as Error).cause).toBeInstanceOf(AwsRequestError);
    expect((failure as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('reports an endpoint it may not use (http off loopback) saying what is wrong with it', async () => {
    await expect(table(1_000, { AWS_ENDPOINT_URL_DYNAMODB: 'http://dynamodb.example.com' }).read(newHash())).rejects.toMatchObject({
      code: 'ERR_SHARED_CACHE_UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(`^GetItem on DynamoDB table ${TABLE} failed: InvalidConfiguration \\(the configured DynamoDB endpoint must be https`),
      ),
    });
  });

  it('reports missing credentials saying which variables must be set', async () => {
    await expect(table(1_000, { AWS_ACCESS_KEY_ID: '' }).write(newHash(), undefined, Date.now() + 10_000)).rejects.toMatchObject({
      code: 'ERR_SHARED_CACHE_UNAVAILABLE',
      message: `PutItem on DynamoDB table ${TABLE} failed: CredentialsMissing (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them to the execution role session))`,
    });
  });
});

describe('what a lookup keeps in memory and writes to the table', () => {
  const lifetimes = { maxTtlSeconds: 300, negativeTtlSeconds: 60 };
  const newLine = (): DecisionLogLine => ({ outcome: 'allow', reason: 'ok' });
  /** A decision's budget; `at` may be moved by a test (the budget running out meanwhile). */
  const budget = (ms = 2_000) => ({ at: performance.now() + ms, budgetMs: ms });
  const never = (): Promise<IntrospectionResult> => Promise.reject(new Error('the OAuth server was asked'));

  function lookup(memoryTtlMs: number, timeoutMs = 1_000) {
    const memory = new TokenCache(100, lifetimes);
    return { memory, shared: new SharedLookup(table(timeoutMs), memory, memoryTtlMs) };
  }

  it('keeps a table hit in memory until the table entry expires, not for the whole memory bound', async () => {
    const hash = newHash();
    const token = activeToken();
    const expiresAtMs = Date.now() + 30_000;
    await table().write(hash, token, expiresAtMs);
    const { memory, shared } = lookup(300_000);
    expect(await shared.lookUp(hash, newLine(), budget(), never)).toEqual(token);
    expect(memory.get(hash, expiresAtMs - 1)).toEqual(token);
    expect(memory.get(hash, expiresAtMs)).toBe('miss');
  });

  it('keeps a table negative answer in memory until the table entry expires, not for the whole memory bound', async () => {
    const hash = newHash();
    const expiresAtMs = Date.now() + 30_000;
    await table().write(hash, undefined, expiresAtMs);
    const { memory, shared } = lookup(300_000);
    const line = newLine();
    expect(await shared.lookUp(hash, line, budget(), never)).toBeUndefined();
    expect(line.sharedCache).toBe('negative');
    expect(memory.get(hash, expiresAtMs - 1)).toBeUndefined();
    expect(memory.get(hash, expiresAtMs)).toBe('miss');
  });

  it('keeps a table negative answer in memory no longer than the memory bound when the entry lives longer', async () => {
    const hash = newHash();
    await table().write(hash, undefined, Date.now() + 30_000);
    const { memory, shared } = lookup(5_000);
    const before = Date.now();
    await shared.lookUp(hash, newLine(), budget(), never);
    const after = Date.now();
    expect(memory.get(hash, before + 4_999)).toBeUndefined();
    expect(memory.get(hash, after + 5_000)).toBe('miss');
  });

  it('keeps an inactive introspection answer for the whole negative lifetime, past the memory bound', async () => {
    const hash = newHash();
    const { memory, shared } = lookup(5_000);
    const line = newLine();
    const after = await shared
      .lookUp(hash, line, budget(), async () => ({ active: false, maxAgeSeconds: undefined }))
      .then(() => Date.now());
    expect(line).toMatchObject({ sharedCache: 'miss', sharedCacheWrite: 'written' });
    expect(memory.get(hash, after + 5_000)).toBeUndefined();
  });

  it('writes nothing to the table for an answer it may not keep (a lifetime of exactly 0)', async () => {
    const hash = newHash();
    const { memory, shared } = lookup(5_000);
    const line = newLine();
    const puts = dynamo.puts;
    await shared.lookUp(hash, line, budget(), async () => ({ active: false, maxAgeSeconds: 0 }));
    expect(line.sharedCache).toBe('miss');
    expect(line.sharedCacheWrite).toBeUndefined();
    expect(dynamo.puts).toBe(puts);
    expect(dynamo.item(TABLE, KEY_PREFIX.token + hash)).toBeUndefined();
    expect(memory.get(hash)).toBe('miss');
  });

  it('writes nothing to the table when the decision’s budget ran out during the introspection, but still answers', async () => {
    const hash = newHash();
    const token = activeToken();
    const { memory, shared } = lookup(5_000);
    const line = newLine();
    const deadline = budget();
    const answered = await shared.lookUp(hash, line, deadline, async () => {
      deadline.at = performance.now() - 10;
      return { active: true, token, maxAgeSeconds: undefined };
    });
    expect(answered).toEqual(token);
    expect(line.sharedCacheWrite).toBeUndefined();
    expect(dynamo.item(TABLE, KEY_PREFIX.token + hash)).toBeUndefined();
    expect(memory.get(hash)).toEqual(token);
  });

  it('still tries the write with exactly 1 ms of the budget left, bounded by that 1 ms', async () => {
    // performance.now() stands still (timers stay real), so what is left of the budget is exact.
    vi.useFakeTimers({ toFake: ['performance'] });
    const hash = newHash();
    const { shared } = lookup(5_000);
    const line = newLine();
    const deadline = budget();
    await shared.lookUp(hash, line, deadline, async () => {
      deadline.at = performance.now() + 1;
      return { active: true, token: activeToken(), maxAgeSeconds: undefined };
    });
    expect(['written', 'failed']).toContain(line.sharedCacheWrite);
  });

  it('bounds the table read by what is left of the decision’s budget, below the table’s own timeout', async () => {
    dynamo.delayMs = 500;
    const { shared } = lookup(5_000, 1_000);
    const line = newLine();
    // An answer not to be kept (max-age 0): nothing is written, so the line's error is the read's.
    await shared.lookUp(newHash(), line, budget(60), async () => ({ active: false, maxAgeSeconds: 0 }));
    expect(line.sharedCache).toBe('unavailable');
    expect(line.sharedCacheWrite).toBeUndefined();
    const bound = Number(/did not answer GetItem within (\d+) ms$/.exec(String(line.sharedCacheError))?.[1]);
    expect(bound).toBeGreaterThanOrEqual(1);
    expect(bound).toBeLessThanOrEqual(60);
  });

  it('reports the write’s duration as a part of the lookup’s own', async () => {
    const { shared } = lookup(5_000);
    const line = newLine();
    const started = performance.now();
    await shared.lookUp(newHash(), line, budget(), async () => ({ active: true, token: activeToken(), maxAgeSeconds: undefined }));
    const elapsed = performance.now() - started;
    expect(line.sharedCacheWrite).toBe('written');
    expect(line.sharedCacheWriteMs).toBeGreaterThanOrEqual(0);
    expect(line.sharedCacheWriteMs).toBeLessThanOrEqual(elapsed);
  });
});

describe('the revocation receiver’s table writes', () => {
  let key: IssuerKey;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let standIn: Awaited<ReturnType<typeof startDynamoDbStandIn>>;

  beforeAll(async () => {
    key = await issuerKey('mutation-es-1');
    jwks = await startJwksServer([key]);
    standIn = await startDynamoDbStandIn();
  });
  afterAll(async () => {
    await jwks.close();
    await standIn.close();
  });

  const deliver = async (endpoint: string, extra: Record<string, string> = {}) => {
    const log = logSink();
    const handle = createRevocationReceiver(receiverEnv(jwks.uri, endpoint, extra), { write: log.write });
    const result = answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key))));
    return { status: result.status, line: log.lines()[0] };
  };

  it('answers 503 when the table is slower than REVOCATION_TIMEOUT_MS, logging that it did not answer within it', async () => {
    dynamo.delayMs = 600;
    const { status, line } = await deliver(dynamo.endpoint, { REVOCATION_TIMEOUT_MS: '100' });
    expect(status).toBe(503);
    expect(line).toMatchObject({
      revocation: 'error',
      reason: 'ERR_REVOCATION_UNAVAILABLE',
      message: `DynamoDB table ${RECEIVER_TABLE} did not answer within 100 ms`,
    });
  });

  it('answers 503 when the mark is written but the SET cannot be recorded, logging that it could not record the SET', async () => {
    standIn.next.push('ok', { status: 400, type: 'AccessDeniedException' });
    const { status, line } = await deliver(standIn.url);
    expect(status).toBe(503);
    expect(line).toMatchObject({
      reason: 'ERR_REVOCATION_UNAVAILABLE',
      message: `could not record a SET in DynamoDB table ${RECEIVER_TABLE}: AccessDeniedException`,
    });
  });
});
