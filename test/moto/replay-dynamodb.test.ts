import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { DynamoDbReplayStore } from '../../lambda/sender-constraints/replay-dynamodb.js';
import { closeServer, listen, readBody } from '../../local/http-server.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { dpopKey, dpopProof } from '../support/dpop.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';

/**
 * The shared DPoP replay store against moto_server, a real DynamoDB emulator: the store's hand-signed
 * PutItem (AWS_ENDPOINT_URL_DYNAMODB), the SDK's client only to create the table and read items.
 */
const port = 46_000 + (process.pid % 1000);
const endpoint = `http://127.0.0.1:${port}`;
const TABLE = 'dpop-replay';
let moto: ChildProcess;
let admin: DynamoDBClient;

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
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  admin = new DynamoDBClient({});
  // The table the construct creates: partition key pk (string), TTL on expiresAt, on demand.
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
});
afterAll(() => {
  moto.kill();
});

describe('DynamoDbReplayStore against moto_server', () => {
  it('claims a proof key once, and writes its expiry for the TTL', async () => {
    const store = new DynamoDbReplayStore(TABLE, 3_000);
    const now = Math.floor(Date.now() / 1000);
    expect(await store.claim('key-once', now + 60)).toBe(true);
    expect(await store.claim('key-once', now + 60)).toBe(false);
    const item = await admin.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'key-once' } } }));
    expect(item.Item?.expiresAt).toEqual({ N: String(now + 60) });
  });

  it('lets a key be claimed again once its item has expired, even before TTL deletes it', async () => {
    const store = new DynamoDbReplayStore(TABLE, 3_000);
    const now = Math.floor(Date.now() / 1000);
    expect(await store.claim('key-expiring', now + 10, now)).toBe(true);
    expect(await store.claim('key-expiring', now + 80, now + 5)).toBe(false);
    expect(await store.claim('key-expiring', now + 80, now + 11)).toBe(true);
  });

  it('takes the table by its ARN as well as by its name: one table, one claim', async () => {
    const arn = `arn:aws:dynamodb:us-east-1:123456789012:table/${TABLE}`;
    const expiresAt = Math.floor(Date.now() / 1000) + 60;
    expect(await new DynamoDbReplayStore(arn, 3_000).claim('key-by-arn', expiresAt)).toBe(true);
    expect(await new DynamoDbReplayStore(TABLE, 3_000).claim('key-by-arn', expiresAt)).toBe(false);
  });

  it('gives exactly one of many concurrent claims from separate instances the key', async () => {
    const stores = Array.from({ length: 8 }, () => new DynamoDbReplayStore(TABLE, 3_000));
    const expiresAt = Math.floor(Date.now() / 1000) + 60;
    const results = await Promise.all(stores.map((store) => store.claim('key-raced', expiresAt)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('takes a claim retried after moto wrote it and its answer was lost as the first use, and still refuses the replay', async () => {
    // A proxy to moto that cuts the connection once moto has answered the first PutItem: the write
    // done, its answer lost. The store retries the same PutItem, which must find its own write.
    let lose = 1;
    let forwarded = 0;
    const proxy = http.createServer(async (request, response) => {
      const body = await readBody(request);
      forwarded++;
      const answer = await fetch(`${endpoint}${request.url ?? '/'}`, {
        method: request.method ?? 'POST',
        headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'host' && name !== 'connection')) as Record<
          string,
          string
        >,
        body,
      });
      const text = await answer.text();
      if (lose > 0) {
        lose--;
        return void request.socket.destroy();
      }
      response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.0' }).end(text);
    });
    await listen(proxy, 0);
    try {
      const env = { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
      const expiresAt = Math.floor(Date.now() / 1000) + 60;
      const instance = new DynamoDbReplayStore(TABLE, 3_000, env);
      expect(await instance.claim('key-lost-answer', expiresAt)).toBe(true);
      expect(forwarded).toBe(2);
      expect(await instance.claim('key-lost-answer', expiresAt)).toBe(false);
      expect(await new DynamoDbReplayStore(TABLE, 3_000).claim('key-lost-answer', expiresAt)).toBe(false);
    } finally {
      await closeServer(proxy);
    }
  });

  it('reports a missing table as unavailable (500), not as a replay or a first use', async () => {
    await expect(new DynamoDbReplayStore('no-such-table', 3_000).claim('k', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      message: expect.stringMatching(/no-such-table: ResourceNotFoundException/),
    });
  });
});

describe('a proof replayed to another function instance', () => {
  let server: FaultServer;
  let secrets: LocalSecretsManager;
  beforeAll(async () => {
    server = await startFaultServer();
    secrets = await startLocalSecretsManager();
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
    secrets.put('replay/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('replay-client-secret') }));
  });
  afterAll(async () => {
    await server.close();
    await secrets.close();
  });

  it('is denied with the shared table and goes unseen with per-instance stores', async () => {
    const key = await dpopKey();
    server.mode = 'body';
    server.body = {
      contentType: 'application/jwt',
      text: rememberSecret(fakeJwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600, cnf: { jkt: key.jkt } })),
    };
    const token = rememberSecret('replay-token-abcdef');
    const env = { INTROSPECTION_ENDPOINT: server.url, CLIENT_CREDENTIALS_SECRET: 'replay/client', SENDER_CONSTRAINED_TOKENS: 'true' };
    const htu = 'https://id.execute-api.us-east-1.amazonaws.com/echo';
    const call = async (instance: ReturnType<typeof createAuthorizer>, proof: string) =>
      instance(httpApiEvent(`DPoP ${token}`, 'GET /echo', { dpop: proof }));

    const shared = await dpopProof(key, { htm: 'GET', htu, token });
    const [first, second] = [
      createAuthorizer({ ...env, DPOP_REPLAY_TABLE: TABLE }),
      createAuthorizer({ ...env, DPOP_REPLAY_TABLE: TABLE }),
    ];
    expect(await call(first, shared)).toMatchObject({ isAuthorized: true });
    expect(await call(second, shared)).toEqual({ isAuthorized: false });
    expect((await decisionLines()).at(-1)).toMatchObject({ reason: 'dpop_replay' });

    const separate = await dpopProof(key, { htm: 'GET', htu, token });
    expect(await call(createAuthorizer(env), separate)).toMatchObject({ isAuthorized: true });
    expect(await call(createAuthorizer(env), separate)).toMatchObject({ isAuthorized: true });
  });
});
