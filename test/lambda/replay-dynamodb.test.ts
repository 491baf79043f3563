import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// The AWS SDK's own signer: an independent implementation for the hand-signed PutItem to agree with.
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { DynamoDbReplayStore, dynamoDbEndpoint } from '../../lambda/sender-constraints/replay-dynamodb.js';
import { closeServer, listen, readBody } from '../../local/http-server.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { dpopKey, dpopProof } from '../support/dpop.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';
import { Sha256 } from '../support/sha256.js';

const CREDENTIALS = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local-secret-key' };

describe('dynamoDbEndpoint: where PutItem goes', () => {
  const sdk = new DynamoDBClient({ region: 'us-east-1' });
  const regions = [
    'us-east-1',
    'eu-west-3',
    'cn-north-1',
    'cn-northwest-1',
    'us-gov-west-1',
    'us-gov-east-1',
    'us-iso-east-1',
    'us-isob-east-1',
    'eu-isoe-west-1',
    'us-isof-south-1',
    'eusc-de-east-1',
    'xx-future-9',
  ];

  it.each(regions)('resolves %s, with and without FIPS and dual stack, to the endpoint the AWS SDK resolves', (region) => {
    for (const fips of [false, true]) {
      for (const dualStack of [false, true]) {
        const env = { AWS_USE_FIPS_ENDPOINT: String(fips), AWS_USE_DUALSTACK_ENDPOINT: String(dualStack) };
        expect([fips, dualStack, dynamoDbEndpoint(env, region).href]).toEqual([
          fips,
          dualStack,
          sdk.config.endpointProvider({ Region: region, UseFIPS: fips, UseDualStack: dualStack }).url.href,
        ]);
      }
    }
  });

  it('takes AWS_ENDPOINT_URL_DYNAMODB before AWS_ENDPOINT_URL, and not the Secrets Manager one', () => {
    expect(
      dynamoDbEndpoint({ AWS_ENDPOINT_URL: 'https://all.example.com', AWS_ENDPOINT_URL_DYNAMODB: 'https://ddb.example.com/' }, 'eu-west-1')
        .href,
    ).toBe('https://ddb.example.com/');
    expect(dynamoDbEndpoint({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'https://sm.example.com' }, 'eu-west-1').href).toBe(
      'https://dynamodb.eu-west-1.amazonaws.com/',
    );
  });

  it('refuses a plain-http endpoint off loopback, naming DynamoDB', () => {
    expect(() => dynamoDbEndpoint({ AWS_ENDPOINT_URL_DYNAMODB: 'http://ddb.example.com' }, 'eu-west-1')).toThrow(
      expect.objectContaining({
        name: 'InvalidConfiguration',
        message:
          'the configured DynamoDB endpoint must be https (http only on loopback), without credentials or query; received http://ddb.example.com',
      }),
    );
  });
});

/** A DynamoDB stand-in on 127.0.0.1: records each request and answers from a script, else `{}` (PutItem done). */
describe('DynamoDbReplayStore against scripted DynamoDB answers', () => {
  let server: http.Server;
  let url: string;
  const requests: { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const next: { status: number; type: string }[] = [];
  beforeAll(async () => {
    server = http.createServer(async (request, response) => {
      const body = await readBody(request);
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
      const answer = next.shift();
      if (answer === undefined) return void response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      response
        .writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`, message: 'scripted' }));
    });
    await listen(server, 0);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => closeServer(server));
  beforeEach(() => {
    requests.length = 0;
    next.length = 0;
  });
  const store = (env: Record<string, string> = {}, table = 'replay') =>
    new DynamoDbReplayStore(table, 2_000, { ...CREDENTIALS, AWS_ENDPOINT_URL_DYNAMODB: url, ...env });

  it('claims a key with one conditional PutItem in AWS JSON 1.0, signed for dynamodb in the region', async () => {
    expect(await store().claim('proof-key', 1_800_000_060.2, 1_800_000_000.7)).toBe(true);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.PutItem',
        authorization: expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
        ),
      },
    });
    const claimId = { S: expect.stringMatching(/^[0-9a-f-]{36}$/) };
    expect(JSON.parse(request?.body ?? '')).toEqual({
      TableName: 'replay',
      Item: { pk: { S: 'proof-key' }, expiresAt: { N: '1800000061' }, claimId },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR claimId = :claim',
      ExpressionAttributeValues: { ':now': { N: '1800000000' }, ':claim': claimId },
    });
    const body = JSON.parse(request?.body ?? '');
    expect(body.ExpressionAttributeValues[':claim']).toEqual(body.Item.claimId);
  });

  it('signs PutItem, session token included, exactly as the AWS SDK signer signs the same request', async () => {
    const credentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/key+example', sessionToken: 'IQoJb3JpZ2luX2VjE//session==' };
    await store({
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    }).claim('proof-key', Date.now() / 1000 + 60);
    const [request] = requests;
    if (request === undefined) throw new Error('no request reached the server');
    const { authorization, 'x-amz-date': amzDate, connection: _c, 'content-length': _l, ...sent } = request.headers;
    expect(sent['x-amz-security-token']).toBe(credentials.sessionToken);
    const date = new Date(String(amzDate).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    const { 'x-amz-security-token': _t, ...unsigned } = sent as Record<string, string>;
    const signer = new SignatureV4({ credentials, region: 'eu-west-1', service: 'dynamodb', sha256: Sha256, applyChecksum: false });
    const expected = await signer.sign(
      { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: '/', query: {}, headers: unsigned, body: request.body },
      { signingDate: date },
    );
    expect(authorization).toBe(expected.headers.authorization);
  });

  it('reports ConditionalCheckFailedException as a replay (false), after one request', async () => {
    next.push({ status: 400, type: 'ConditionalCheckFailedException' }, { status: 500, type: 'NotReached' });
    expect(await store().claim('proof-key', Date.now() / 1000 + 60)).toBe(false);
    expect(requests).toHaveLength(1);
  });

  it('retries throttling and a 500, then claims', async () => {
    next.push({ status: 400, type: 'ProvisionedThroughputExceededException' }, { status: 500, type: 'InternalServerError' });
    expect(await store().claim('proof-key', Date.now() / 1000 + 60)).toBe(true);
    expect(requests).toHaveLength(3);
  });

  it('reports an error that will not change as unavailable after one request, by its AWS error type', async () => {
    next.push({ status: 400, type: 'ResourceNotFoundException' }, { status: 500, type: 'NotReached' });
    await expect(store().claim('proof-key', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      message: 'could not record a DPoP proof in DynamoDB table replay: ResourceNotFoundException',
    });
    expect(requests).toHaveLength(1);
  });

  it('passes a table ARN as PutItem’s TableName unchanged', async () => {
    const arn = 'arn:aws:dynamodb:eu-west-1:111122223333:table/dpop-replay';
    expect(await store({}, arn).claim('proof-key', Date.now() / 1000 + 60)).toBe(true);
    expect(JSON.parse(requests[0]?.body ?? '')).toMatchObject({ TableName: arn });
  });

  it.each([
    [
      { AWS_ACCESS_KEY_ID: '' },
      'CredentialsMissing (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them to the execution role session))',
    ],
    [{ AWS_USE_DUALSTACK_ENDPOINT: 'yes' }, 'InvalidConfiguration (AWS_USE_DUALSTACK_ENDPOINT must be true or false; received "yes")'],
    [
      { AWS_USE_FIPS_ENDPOINT: 'true' },
      'InvalidConfiguration (a configured endpoint URL cannot be combined with AWS_USE_FIPS_ENDPOINT or AWS_USE_DUALSTACK_ENDPOINT)',
    ],
    [
      { AWS_ENDPOINT_URL_DYNAMODB: '', AWS_REGION: 'eu west' },
      'InvalidConfiguration (AWS_REGION must be a region name; received "eu west")',
    ],
  ])('fails a claim it cannot even ask with %j as unavailable, saying why: %s', async (env, reason) => {
    await expect(store(env).claim('proof-key', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      message: `could not record a DPoP proof in DynamoDB table replay: ${reason}`,
    });
    expect(requests).toHaveLength(0);
  });
});

/** A DynamoDB endpoint that misbehaves (the fault server): the shared replay store fails closed, in bounded time. */
describe('DynamoDbReplayStore when DynamoDB cannot answer', () => {
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
  const env = () => ({ ...CREDENTIALS, AWS_ENDPOINT_URL_DYNAMODB: dynamo.url });

  it.each([
    ['status-500', 'HttpStatus500'],
    ['reset', 'ConnectionError'],
    ['html', 'InvalidResponse'],
  ] as const)('reports %s as unavailable (%s), never as a first use or a replay', async (mode, name) => {
    dynamo.mode = mode;
    await expect(new DynamoDbReplayStore('replay', 1_000, env()).claim('k', Date.now() / 1000 + 60)).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      message: `could not record a DPoP proof in DynamoDB table replay: ${name}`,
    });
  });

  it('gives up on a silent endpoint within its timeout', async () => {
    dynamo.mode = 'stall';
    const store = new DynamoDbReplayStore('replay', 300, env());
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

/**
 * A DynamoDB stand-in on 127.0.0.1 that keeps items and evaluates PutItem's condition as DynamoDB
 * does, for the expressions a condition may join with OR: `attribute_not_exists(a)`, `a < :v`,
 * `a = :v` (anything else is a ValidationException). `loseAnswers` requests have their write
 * done and their answer lost: the connection is cut, as when a network or a Lambda freeze eats it.
 */
describe('DynamoDbReplayStore when an answer is lost after the write', () => {
  type Value = { S?: string; N?: string };
  let server: http.Server;
  let url: string;
  const items = new Map<string, Record<string, Value>>();
  let loseAnswers = 0;
  let puts = 0;
  beforeAll(async () => {
    server = http.createServer(async (request, response) => {
      const input = JSON.parse(await readBody(request)) as {
        Item: Record<string, Value>;
        ConditionExpression: string;
        ExpressionAttributeValues: Record<string, Value>;
      };
      puts++;
      const key = input.Item.pk?.S ?? '';
      const held = conditionHolds(input.ConditionExpression, items.get(key), input.ExpressionAttributeValues);
      if (held === undefined) return void answer(response, 400, 'ValidationException');
      if (!held) return void answer(response, 400, 'ConditionalCheckFailedException');
      items.set(key, input.Item);
      if (loseAnswers > 0) {
        loseAnswers--;
        return void request.socket.destroy();
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    });
    await listen(server, 0);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => closeServer(server));
  beforeEach(() => {
    loseAnswers = 0;
    puts = 0;
  });
  const store = () => new DynamoDbReplayStore('replay', 2_000, { ...CREDENTIALS, AWS_ENDPOINT_URL_DYNAMODB: url });

  it('takes a retried claim whose first write went through as the first use, and still refuses the replay', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 60;
    const instance = store();
    loseAnswers = 1;
    expect(await instance.claim('lost-answer', expiresAt)).toBe(true);
    expect(puts).toBe(2);
    // A replay to the same instance or another one: a claim of its own, refused.
    expect(await instance.claim('lost-answer', expiresAt)).toBe(false);
    expect(await store().claim('lost-answer', expiresAt)).toBe(false);
  });

  it('refuses a replay whose own answer is lost, however often it retries', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 60;
    expect(await store().claim('claimed-once', expiresAt)).toBe(true);
    loseAnswers = 1;
    expect(await store().claim('claimed-once', expiresAt)).toBe(false);
  });

  it('lets a key be claimed again once its item has expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await store().claim('expiring', now + 10, now)).toBe(true);
    expect(await store().claim('expiring', now + 80, now + 5)).toBe(false);
    expect(await store().claim('expiring', now + 80, now + 11)).toBe(true);
  });

  function answer(response: http.ServerResponse, status: number, type: string): void {
    response
      .writeHead(status, { 'content-type': 'application/x-amz-json-1.0' })
      .end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'stand-in' }));
  }

  /** The condition over the item in the table (undefined: none); `undefined` for an expression outside the subset. */
  function conditionHolds(expression: string, item: Record<string, Value> | undefined, values: Record<string, Value>): boolean | undefined {
    let holds = false;
    for (const clause of expression.split(' OR ')) {
      const notExists = /^attribute_not_exists\((\w+)\)$/.exec(clause);
      const compare = /^(\w+) (<|=) (:\w+)$/.exec(clause);
      if (notExists !== null) holds ||= item?.[notExists[1] as string] === undefined;
      else if (compare !== null) {
        const [, name, operator, placeholder] = compare as unknown as [string, string, string, string];
        const [left, right] = [item?.[name], values[placeholder]];
        if (right === undefined) return undefined;
        if (left === undefined) continue;
        if (operator === '=') holds ||= left.S !== undefined ? left.S === right.S : left.N === right.N;
        else holds ||= Number(left.N) < Number(right.N);
      } else return undefined;
    }
    return holds;
  }
});
