import { type ChildProcess, spawn } from 'node:child_process';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevocationReceiver } from '../../lambda/revocation/receiver.js';
import { REVOCATION_MARK_SECONDS } from '../../lambda/shared-cache/table-format.js';
import {
  accessToken,
  answer,
  deliveryEvent,
  type IssuerKey,
  issuerKey,
  logSink,
  receiverEnv,
  revocationClaims,
  signSet,
  startJwksServer,
  TABLE,
} from '../lambda/revocation/harness.js';
import { MOTO_REGION, MOTO_SETUP_KEYS, type MotoKeys, MotoWithIam } from '../support/moto-iam.js';

/**
 * The revocation receiver against moto_server, a real DynamoDB emulator: the receiver's hand-signed
 * PutItems (AWS_ENDPOINT_URL_DYNAMODB), DynamoDB's own evaluation of the SET's condition, and the
 * mark read back with the AWS SDK's client, as the authorizer's table reader would find it.
 */
const port = 48_000 + (process.pid % 1000);
const endpoint = `http://127.0.0.1:${port}`;
let moto: ChildProcess;
let admin: DynamoDBClient;
let key: IssuerKey;
let jwks: Awaited<ReturnType<typeof startJwksServer>>;

beforeAll(async () => {
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  admin = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret-key' },
  });
  // The shared cache's table as the construct creates it: partition key pk (string), TTL on expiresAt, on demand.
  await admin.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await admin.send(
    new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }),
  );
  key = await issuerKey('es-1');
  jwks = await startJwksServer([key]);
});
afterAll(async () => {
  await jwks?.close();
  moto?.kill();
});

const receiver = (extra: Record<string, string> = {}) => {
  const log = logSink();
  return { handle: createRevocationReceiver(receiverEnv(jwks.uri, endpoint, extra), { write: log.write }), log };
};

describe('the revocation receiver against moto_server', () => {
  it('marks a pushed token revoked over a cached active answer, and the SDK reads the mark back', async () => {
    const { hash } = accessToken();
    // An instance's cached answer for the token, as the authorizer writes it.
    await admin.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: `token#${hash}` },
          state: { S: 'active' },
          token: { S: '{"jwt":"x"}' },
          expiresAt: { N: '1' },
          expiresAtMs: { N: '1000' },
        },
      }),
    );
    const { handle } = receiver();
    const before = Date.now();
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(hash), key))))).toMatchObject({ status: 202 });
    const { Item } = await admin.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `token#${hash}` } }, ConsistentRead: true }));
    expect(Item).toEqual({
      pk: { S: `token#${hash}` },
      state: { S: 'revoked' },
      expiresAt: { N: expect.stringMatching(/^\d+$/) },
      expiresAtMs: { N: expect.stringMatching(/^\d+$/) },
    });
    const expiresAtMs = Number(Item?.expiresAtMs?.N);
    expect(expiresAtMs).toBeGreaterThanOrEqual(before + REVOCATION_MARK_SECONDS * 1000);
    expect(expiresAtMs).toBeLessThanOrEqual(Date.now() + REVOCATION_MARK_SECONDS * 1000);
  });

  it('refuses the same SET delivered again as a duplicate, by DynamoDB’s own condition', async () => {
    const { handle } = receiver();
    const set = await signSet(revocationClaims(accessToken().hash), key);
    expect(answer(await handle(deliveryEvent(set))).status).toBe(202);
    expect(answer(await handle(deliveryEvent(set)))).toMatchObject({ status: 400, body: { err: 'invalid_request' } });
  });

  it('answers 503 when the table does not exist', async () => {
    const { handle, log } = receiver({ SHARED_CACHE_TABLE: 'no-such-table' });
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key)))).status).toBe(503);
    expect(log.lines()[0]).toMatchObject({
      reason: 'ERR_REVOCATION_UNAVAILABLE',
      message: 'could not mark a token revoked in DynamoDB table no-such-table: ResourceNotFoundException',
    });
  });
});

/**
 * The same PutItems against moto_server with its IAM checks on: moto recomputes each request's
 * Signature Version 4 with botocore's signer and applies the caller's IAM policy.
 */
describe('the revocation receiver against moto_server with signature and IAM checks', () => {
  const iamPort = 49_000 + (process.pid % 1000);
  let checked: MotoWithIam;
  let writer: MotoKeys;
  let bystander: MotoKeys;
  beforeAll(async () => {
    // The next 7 calls (the setup below) go unchecked; every call after them is authenticated and authorized.
    checked = await MotoWithIam.start(iamPort, 7);
    writer = await checked.userWithKeys('revocation-receiver', ['dynamodb:PutItem']);
    bystander = await checked.userWithKeys('bystander', ['dynamodb:GetItem']);
    const created = await checked.call(
      'dynamodb',
      MOTO_SETUP_KEYS,
      JSON.stringify({
        TableName: TABLE,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.CreateTable' },
    );
    expect(created.status).toBe(200);
  });
  afterAll(() => checked?.stop());

  const signedReceiver = (keys: MotoKeys) => {
    const log = logSink();
    const env = receiverEnv(jwks.uri, checked.endpoint, {
      AWS_REGION: MOTO_REGION,
      AWS_ACCESS_KEY_ID: keys.id,
      AWS_SECRET_ACCESS_KEY: keys.secret,
    });
    return { handle: createRevocationReceiver(env, { write: log.write }), log };
  };

  it('marks and records with a signature moto verifies, as a principal that may only PutItem', async () => {
    const { handle } = signedReceiver(writer);
    const set = await signSet(revocationClaims(accessToken().hash), key);
    expect(answer(await handle(deliveryEvent(set))).status).toBe(202);
    expect(answer(await handle(deliveryEvent(set))).status).toBe(400);
  });

  it.each([
    ['the signature is made with the wrong secret key', () => ({ id: writer.id, secret: `${writer.secret}x` }), 'SignatureDoesNotMatch'],
    ['the principal may not PutItem', () => bystander, 'AccessDenied'],
  ])('answers 503 when %s, naming AWS’s error', async (_case, keys, type) => {
    const { handle, log } = signedReceiver(keys());
    expect(answer(await handle(deliveryEvent(await signSet(revocationClaims(accessToken().hash), key)))).status).toBe(503);
    expect(log.lines()[0]?.message).toBe(`could not mark a token revoked in DynamoDB table phantom-shared-cache: ${type}`);
  });
});
