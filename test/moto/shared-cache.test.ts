import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveToken } from '../../lambda/introspection-client.js';
import { IntrospectionTable } from '../../lambda/shared-cache/introspection-table.js';
import { KEY_PREFIX } from '../../lambda/shared-cache/table-format.js';
import { MOTO_REGION, MOTO_SETUP_KEYS, type MotoKeys, MotoWithIam } from '../support/moto-iam.js';

/**
 * The shared cache's hand-signed GetItem and conditional PutItem against moto_server with its
 * signature and IAM checks on (moto recomputes each Signature Version 4 with botocore's signer and
 * applies the caller's IAM policy), as test/moto/replay-signed.test.ts does for the replay store.
 */
const port = 48_000 + (process.pid % 1000);
const TABLE = 'shared-cache-signed';
let moto: MotoWithIam;
let authorizer: MotoKeys;
let putOnly: MotoKeys;
let receiver: MotoKeys;

const dynamodb = (keys: MotoKeys, operation: string, input: object) =>
  moto.call('dynamodb', keys, JSON.stringify(input), {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `DynamoDB_20120810.${operation}`,
  });

const table = (keys: MotoKeys, name = TABLE) =>
  new IntrospectionTable(name, 3_000, {
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: keys.id,
    AWS_SECRET_ACCESS_KEY: keys.secret,
    AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
  });

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');
const token = (scope: string): ActiveToken => ({
  jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln',
  sub: 'alice',
  clientId: 'web',
  scope,
  scopes: scope.split(' '),
  exp: Math.floor(Date.now() / 1000) + 600,
  aud: ['https://api.example.com'],
  cnf: undefined,
});

beforeAll(async () => {
  // The next 10 calls (the setup below) go unchecked; every call after them is authenticated and authorized.
  moto = await MotoWithIam.start(port, 10);
  authorizer = await moto.userWithKeys('authorizer', ['dynamodb:GetItem', 'dynamodb:PutItem']);
  putOnly = await moto.userWithKeys('put-only', ['dynamodb:PutItem']);
  receiver = await moto.userWithKeys('receiver', ['dynamodb:PutItem']);
  const created = await dynamodb(MOTO_SETUP_KEYS, 'CreateTable', {
    TableName: TABLE,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  expect(created.status).toBe(200);
});
afterAll(() => {
  moto?.stop();
});

describe('IntrospectionTable against moto_server with signature and IAM checks', () => {
  it('writes an answer and reads it back, rebuilt as the introspection client built it', async () => {
    const key = hashOf('moto-token-1');
    const expiresAtMs = Date.now() + 60_000;
    expect(await table(authorizer).write(key, token('read write'), expiresAtMs)).toBe('written');
    expect(await table(authorizer).read(key)).toEqual({ state: 'active', token: token('read write'), expiresAtMs });
  });

  it('writes and reads an inactive answer', async () => {
    const key = hashOf('moto-token-2');
    const expiresAtMs = Date.now() + 10_000;
    expect(await table(authorizer).write(key, undefined, expiresAtMs)).toBe('written');
    expect(await table(authorizer).read(key)).toEqual({ state: 'inactive', expiresAtMs });
  });

  it('reads nothing for a token never written', async () => {
    expect(await table(authorizer).read(hashOf('moto-never'))).toEqual({ state: 'miss' });
  });

  it('never overwrites a revocation mark: moto refuses the conditional write, and the read says revoked', async () => {
    const key = hashOf('moto-token-3');
    await table(authorizer).write(key, token('read'), Date.now() + 60_000);
    const marked = await dynamodb(receiver, 'PutItem', {
      TableName: TABLE,
      Item: { pk: { S: KEY_PREFIX.token + key }, state: { S: 'revoked' }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3_900) } },
    });
    expect(marked.status).toBe(200);
    expect(await table(authorizer).write(key, token('read'), Date.now() + 60_000)).toBe('revoked');
    expect(await table(authorizer).read(key)).toEqual({ state: 'revoked' });
  });

  it('takes the table by its ARN as well as by its name', async () => {
    const key = hashOf('moto-token-4');
    const arn = `arn:aws:dynamodb:${MOTO_REGION}:123456789012:table/${TABLE}`;
    await table(authorizer, arn).write(key, token('read'), Date.now() + 60_000);
    expect(await table(authorizer).read(key)).toMatchObject({ state: 'active' });
  });

  it('reports a read the role may not make as unavailable (the caller introspects), naming AWS’s error type', async () => {
    await expect(table(putOnly).read(hashOf('moto-token-1'))).rejects.toMatchObject({
      code: 'ERR_SHARED_CACHE_UNAVAILABLE',
      message: expect.stringMatching(/^GetItem on DynamoDB table shared-cache-signed failed: AccessDenied/),
    });
  });

  it('reports a wrong secret key (a signature moto rejects) as unavailable, never as an answer', async () => {
    await expect(table({ id: authorizer.id, secret: `${authorizer.secret}x` }).read(hashOf('moto-token-1'))).rejects.toMatchObject({
      code: 'ERR_SHARED_CACHE_UNAVAILABLE',
    });
  });

  it('reports a missing table as unavailable', async () => {
    await expect(table(authorizer, 'no-such-table').read(hashOf('x'))).rejects.toMatchObject({
      code: 'ERR_SHARED_CACHE_UNAVAILABLE',
      message: expect.stringMatching(/no-such-table failed: ResourceNotFoundException/),
    });
  });
});
