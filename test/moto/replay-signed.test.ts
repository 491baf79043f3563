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
const store = (keys: MotoKeys, table = TABLE) =>
  new DynamoDbReplayStore(table, 3_000, {
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: keys.id,
    AWS_SECRET_ACCESS_KEY: keys.secret,
    AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
  });

beforeAll(async () => {
  // The next 10 calls (the setup below) go unchecked; every call after them is authenticated and authorized.
  moto = await MotoWithIam.start(port, 10);
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
