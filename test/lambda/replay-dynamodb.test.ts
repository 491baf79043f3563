import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { DynamoDbReplayStore } from '../../lambda/replay-dynamodb.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { dpopKey, dpopProof } from '../support/dpop.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';

/** A DynamoDB endpoint that misbehaves (the fault server): the shared replay store fails closed, in bounded time. */
let dynamo: FaultServer;
let introspection: FaultServer;
let secrets: LocalSecretsManager;

beforeAll(async () => {
  dynamo = await startFaultServer();
  introspection = await startFaultServer();
  secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  secrets.put('replay-faults/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('replay-faults-secret') }));
});
afterAll(async () => {
  await dynamo.close();
  await introspection.close();
  await secrets.close();
});

const client = (endpoint = dynamo.url) => new DynamoDBClient({ endpoint, maxAttempts: 2, requestHandler: { requestTimeout: 300 } });

describe('DynamoDbReplayStore when DynamoDB cannot answer', () => {
  it.each(['status-500', 'reset', 'html'] as const)('reports %s as unavailable, never as a first use or a replay', async (mode) => {
    dynamo.mode = mode;
    await expect(new DynamoDbReplayStore('replay', 1_000, client()).claim('k', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      message: expect.stringMatching(/^could not record a DPoP proof in DynamoDB table replay: /),
    });
  });

  it('gives up on a silent endpoint within its timeout', async () => {
    dynamo.mode = 'stall';
    const store = new DynamoDbReplayStore('replay', 300, new DynamoDBClient({ endpoint: dynamo.url, maxAttempts: 1 }));
    await expect(store.claim('k', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      message: 'DynamoDB table replay did not answer within 300 ms',
    });
  });

  it('fails the request (500) with ERR_REPLAY_STORE_UNAVAILABLE in its decision line, after a valid proof', async () => {
    dynamo.mode = 'status-500';
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.url;
    try {
      const key = await dpopKey();
      introspection.mode = 'body';
      introspection.body = {
        contentType: 'application/jwt',
        text: rememberSecret(fakeJwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600, cnf: { jkt: key.jkt } })),
      };
      const token = rememberSecret('replay-faults-token-abcdef');
      const handler = createAuthorizer({
        INTROSPECTION_ENDPOINT: introspection.url,
        CLIENT_CREDENTIALS_SECRET: 'replay-faults/client',
        SENDER_CONSTRAINED_TOKENS: 'true',
        DPOP_REPLAY_TABLE: 'replay',
        INTROSPECTION_TIMEOUT_MS: '500',
      });
      const proof = await dpopProof(key, { htm: 'GET', htu: 'https://id.execute-api.us-east-1.amazonaws.com/echo', token });
      await expect(handler(httpApiEvent(`DPoP ${token}`, 'GET /echo', { dpop: proof }))).rejects.toMatchObject({
        code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      });
      expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'error', reason: 'ERR_REPLAY_STORE_UNAVAILABLE' });
    } finally {
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
    }
  });
});
