import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../../lambda/http-client.js';
import { DynamoDbReplayStore } from '../../lambda/replay-dynamodb.js';
import { signRequest } from '../../lambda/sigv4.js';

/**
 * The replay store's hand-signed PutItem against moto_server with its IAM checks on: moto
 * recomputes every request's Signature Version 4 with botocore's signer from the secret key it
 * issued, and applies the user's IAM policy, so a wrong signature or a missing permission is
 * answered as AWS would (as test/moto/signed-read.test.ts does for Secrets Manager).
 */
const port = 47_000 + (process.pid % 1000);
const endpoint = `http://127.0.0.1:${port}`;
const region = 'us-east-1';
const TABLE = 'dpop-replay-signed';
let moto: ChildProcess;

type Keys = { id: string; secret: string };

/** One request to moto, signed for `service` (moto routes by the signature's scope). Before IAM checks are on, any key will do. */
async function call(service: string, keys: Keys, body: string, headers: Record<string, string>) {
  const url = new URL(`${endpoint}/`);
  const signed = signRequest({
    method: 'POST',
    url,
    headers,
    body,
    service,
    region,
    credentials: { accessKeyId: keys.id, secretAccessKey: keys.secret, sessionToken: undefined },
  });
  return httpRequest(url, { method: 'POST', headers: signed, body, timeoutMs: 5_000, maxBytes: 1_000_000 });
}
const SETUP_KEYS = { id: 'AKIASETUP0000000000', secret: 'setup' };
const iam = (params: Record<string, string>) =>
  call('iam', SETUP_KEYS, new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(), {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
  });
const dynamodb = (keys: Keys, operation: string, input: object) =>
  call('dynamodb', keys, JSON.stringify(input), {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `DynamoDB_20120810.${operation}`,
  });

async function userWithKeys(name: string, actions: string[]): Promise<Keys> {
  await iam({ Action: 'CreateUser', UserName: name });
  await iam({
    Action: 'PutUserPolicy',
    UserName: name,
    PolicyName: 'replay',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }),
  });
  const created = (await iam({ Action: 'CreateAccessKey', UserName: name })).body;
  const id = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(created)?.[1];
  const secret = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(created)?.[1];
  if (id === undefined || secret === undefined) throw new Error(`CreateAccessKey answered: ${created.slice(0, 200)}`);
  return { id, secret };
}

let writer: Keys;
let reader: Keys;
let bystander: Keys;
const store = (keys: Keys, table = TABLE) =>
  new DynamoDbReplayStore(table, 3_000, {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: keys.id,
    AWS_SECRET_ACCESS_KEY: keys.secret,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  });

beforeAll(async () => {
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch (error) {
      if (attempt > 100) throw new Error(`moto_server did not start on ${endpoint}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  // The next 10 calls (the setup below) go unchecked; every call after them is authenticated and authorized.
  await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '10' });
  writer = await userWithKeys('authorizer', ['dynamodb:PutItem']);
  reader = await userWithKeys('reader', ['dynamodb:GetItem']);
  bystander = await userWithKeys('bystander', ['s3:GetObject']);
  const created = await dynamodb(SETUP_KEYS, 'CreateTable', {
    TableName: TABLE,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  expect(created.status).toBe(200);
});
afterAll(() => {
  moto?.kill();
});

describe('DynamoDbReplayStore against moto_server with signature and IAM checks', () => {
  it('claims a key once with a signature moto verifies, as a role that may only PutItem', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await store(writer).claim('signed-key', now + 60)).toBe(true);
    expect(await store(writer).claim('signed-key', now + 60)).toBe(false);
    const item = await dynamodb(reader, 'GetItem', { TableName: TABLE, Key: { pk: { S: 'signed-key' } } });
    expect(JSON.parse(item.body)).toEqual({ Item: { pk: { S: 'signed-key' }, expiresAt: { N: String(now + 60) } } });
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
