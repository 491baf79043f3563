import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbReplayStore } from '../../lambda/sender-constraints/replay-dynamodb.js';
import { MOTO_REGION, MOTO_SETUP_KEYS, type MotoKeys, MotoWithIam } from '../support/moto-iam.js';

/**
 * The replay store's hand-signed PutItem against moto_server with its IAM checks on: moto
 * recomputes every request's Signature Version 4 with botocore's signer from the secret key it
 * issued, and applies the user's IAM policy, so a wrong signature or a missing permission is
 * answered as AWS would (as test/moto/signed-read.test.ts does for Secrets Manager).
 */
const port = 47_000 + (process.pid % 1000);
const TABLE = 'dpop-replay-signed';
let moto: MotoWithIam;

const dynamodb = (keys: MotoKeys, operation: string, input: object) =>
  moto.call('dynamodb', keys, JSON.stringify(input), {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `DynamoDB_20120810.${operation}`,
  });

let writer: MotoKeys;
let reader: MotoKeys;
let bystander: MotoKeys;
/** Temporary credentials of a role that may only PutItem, as Lambda gives a function its execution role's session. */
let session: MotoKeys & { readonly token: string };
const store = (keys: MotoKeys & { readonly token?: string }, table = TABLE) =>
  new DynamoDbReplayStore(table, 3_000, {
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: keys.id,
    AWS_SECRET_ACCESS_KEY: keys.secret,
    ...(keys.token === undefined ? {} : { AWS_SESSION_TOKEN: keys.token }),
    AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
  });

beforeAll(async () => {
  // The next 13 calls (the setup below) go unchecked; every call after them is authenticated and authorized.
  moto = await MotoWithIam.start(port, 13);
  writer = await moto.userWithKeys('authorizer', ['dynamodb:PutItem']);
  reader = await moto.userWithKeys('reader', ['dynamodb:GetItem']);
  bystander = await moto.userWithKeys('bystander', ['s3:GetObject']);
  const created = await dynamodb(MOTO_SETUP_KEYS, 'CreateTable', {
    TableName: TABLE,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  expect(created.status).toBe(200);
  session = await roleSession('authorizer-role', ['dynamodb:PutItem']);
});
afterAll(() => {
  moto?.stop();
});

describe('DynamoDbReplayStore against moto_server with signature and IAM checks', () => {
  it('claims a key once with a signature moto verifies, as a role that may only PutItem', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await store(writer).claim('signed-key', now + 60)).toBe(true);
    expect(await store(writer).claim('signed-key', now + 60)).toBe(false);
    const item = await dynamodb(reader, 'GetItem', { TableName: TABLE, Key: { pk: { S: 'signed-key' } } });
    expect(JSON.parse(item.body)).toEqual({
      Item: { pk: { S: 'signed-key' }, expiresAt: { N: String(now + 60) }, claimId: { S: expect.stringMatching(/^[0-9a-f-]{36}$/) } },
    });
  });

  it('claims a key with the temporary credentials of a role session, its session token sent and signed', async () => {
    expect(session.id).toMatch(/^ASIA/);
    const now = Math.floor(Date.now() / 1000);
    expect(await store(session).claim('session-key', now + 60)).toBe(true);
    expect(await store(session).claim('session-key', now + 60)).toBe(false);
  });

  it('is refused with a session token that is not the session’s (500, not a replay)', async () => {
    await expect(store({ ...session, token: `${session.token}x` }).claim('other-key', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
    });
    await expect(store({ id: session.id, secret: session.secret }).claim('other-key', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
    });
  });

  it('is refused when the signature is made with the wrong secret key, and says so (500, not a replay)', async () => {
    await expect(store({ id: writer.id, secret: `${writer.secret}x` }).claim('other-key', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      message: `could not record a DPoP proof in DynamoDB table ${TABLE}: SignatureDoesNotMatch`,
    });
  });

  it('is refused for a role without dynamodb:PutItem, and says so (500, not a replay)', async () => {
    await expect(store(bystander).claim('other-key', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      message: `could not record a DPoP proof in DynamoDB table ${TABLE}: AccessDenied`,
    });
  });
});

/**
 * A role allowed `actions` on every resource, and the temporary credentials of a session of it
 * (STS AssumeRole, as Lambda's execution role gives a function): 3 setup calls.
 */
async function roleSession(name: string, actions: string[]): Promise<MotoKeys & { readonly token: string }> {
  const query = (service: string, params: Record<string, string>) =>
    moto.call(service, MOTO_SETUP_KEYS, new URLSearchParams(params).toString(), {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    });
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] };
  const role = (
    await query('iam', { Action: 'CreateRole', RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust), Version: '2010-05-08' })
  ).body;
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(role)?.[1];
  if (arn === undefined) throw new Error(`CreateRole answered: ${role.slice(0, 200)}`);
  await query('iam', {
    Action: 'PutRolePolicy',
    RoleName: name,
    PolicyName: 'test',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }),
    Version: '2010-05-08',
  });
  const assumed = (await query('sts', { Action: 'AssumeRole', RoleArn: arn, RoleSessionName: 'function', Version: '2011-06-15' })).body;
  const id = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(assumed)?.[1];
  const secret = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(assumed)?.[1];
  const token = /<SessionToken>([^<]+)<\/SessionToken>/.exec(assumed)?.[1];
  if (id === undefined || secret === undefined || token === undefined) throw new Error(`AssumeRole answered: ${assumed.slice(0, 200)}`);
  return { id, secret, token };
}
