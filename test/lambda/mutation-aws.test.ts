import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsJsonClient, awsEndpoint } from '../../lambda/aws/aws-json-client.js';
import { DYNAMODB } from '../../lambda/aws/dynamodb.js';
import { SecretsManagerReader, secretsManagerEndpoint } from '../../lambda/aws/secrets-manager.js';
import { canonicalUri } from '../../lambda/aws/sigv4.js';
import { closeServer, listen, readBody } from '../../local/http-server.js';
import { startSilentListener } from '../support/fault-server.js';
import { rememberSecret } from '../support/log-capture.js';

/**
 * Behaviour of the signed AWS calls that the mutation run left open (docs/mutation-testing.md):
 * which configured endpoints are believed, how flags and regions are read, the partition a region
 * is in, the path segments SigV4 drops or applies; and, against a real HTTP server on 127.0.0.1
 * answering as AWS documents, which answers are retried, how long the backoff waits, what an error
 * answer is named and how a failed exchange is reported.
 */
const endpoint = (env: Record<string, string>, region = 'eu-west-1') => awsEndpoint(DYNAMODB, env, region);
const refusal = (env: Record<string, string>, region = 'eu-west-1') => {
  try {
    endpoint(env, region);
  } catch (error) {
    return error as Error & { name: string };
  }
  throw new Error('expected the endpoint to be refused');
};

const CREDENTIALS = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
  AWS_SECRET_ACCESS_KEY: rememberSecret('mutation-aws-secret-access-key'),
};

describe('a configured endpoint', () => {
  it.each(['http://localhost:8000/', 'http://[::1]:8000/', 'http://127.0.0.1:8000/'])(
    'accepts plain http on the loopback name %s',
    (url) => {
      expect(endpoint({ AWS_ENDPOINT_URL_DYNAMODB: url }).href).toBe(url);
    },
  );

  it.each(['http://localhost.example.com:8000/', 'http://10.0.0.1:8000/'])('refuses plain http off loopback: %s', (url) => {
    expect(refusal({ AWS_ENDPOINT_URL_DYNAMODB: url })).toMatchObject({ name: 'InvalidConfiguration' });
  });

  it.each(['ftp://127.0.0.1/', 'ftp://localhost:21/'])('refuses a scheme other than http and https, even on loopback: %s', (url) => {
    expect(refusal({ AWS_ENDPOINT_URL_DYNAMODB: url })).toMatchObject({
      name: 'InvalidConfiguration',
      message: `the configured DynamoDB endpoint must be https (http only on loopback), without credentials or query; received ${url}`,
    });
  });

  it.each([
    ['a user name alone', 'https://user@dynamodb.example.com/'],
    ['a password alone', 'https://:secret-password@dynamodb.example.com/'],
  ])('refuses an endpoint carrying %s, without echoing it', (_what, url) => {
    const error = refusal({ AWS_ENDPOINT_URL_DYNAMODB: url });
    expect(error.message).toMatch(/without credentials or query/);
    expect(error.message).not.toContain('secret-password');
  });
});

describe('flags and regions', () => {
  it('reads an empty AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT as false', () => {
    expect(endpoint({ AWS_USE_FIPS_ENDPOINT: '', AWS_USE_DUALSTACK_ENDPOINT: '' }).host).toBe('dynamodb.eu-west-1.amazonaws.com');
  });

  it('names at most 20 characters of a flag it cannot read', () => {
    const error = refusal({ AWS_USE_FIPS_ENDPOINT: `yes${'x'.repeat(40)}` });
    expect(error.message).toContain(`"yes${'x'.repeat(17)}"`);
    expect(error.message).not.toContain('x'.repeat(18));
  });

  it('names at most 40 characters of a region it cannot read', () => {
    const error = refusal({}, `EU_${'W'.repeat(60)}`);
    expect(error.message).toContain(`"EU_${'W'.repeat(37)}"`);
    expect(error.message).not.toContain('W'.repeat(38));
  });

  it.each([
    ['without AWS_REGION or AWS_DEFAULT_REGION', {}],
    ['with both empty', { AWS_REGION: '', AWS_DEFAULT_REGION: '' }],
  ])('refuses a client %s, naming the empty region received, as a non-retryable error', (_what, region) => {
    const { AWS_REGION: _r, ...credentials } = CREDENTIALS;
    expect(() => new AwsJsonClient(DYNAMODB, { ...credentials, ...region })).toThrow(
      expect.objectContaining({ name: 'InvalidConfiguration', message: 'AWS_REGION must be a region name; received ""', retryable: false }),
    );
  });
});

describe('the partition of a region, as the AWS SDK resolves it', () => {
  const dynamoDb = new DynamoDBClient({ region: 'us-east-1' });
  const secretsManager = new SecretsManagerClient({ region: 'us-east-1' });
  // Per partition: a region number of two digits (in the partition), a name with a prefix before
  // the partition's own (not in it: `aws`) and one with a suffix after the number (not in it either).
  const regions = [
    ['cn-north-10', 'xcn-north-1', 'cn-north-1a'],
    ['us-gov-west-10', 'xus-gov-west-1', 'us-gov-west-1a'],
    ['eusc-de-east-10', 'xeusc-de-east-1', 'eusc-de-east-1a'],
    ['us-iso-east-10', 'xus-iso-east-1', 'us-iso-east-1a'],
    ['us-isob-east-10', 'xus-isob-east-1', 'us-isob-east-1a'],
    ['eu-isoe-west-10', 'xeu-isoe-west-1', 'eu-isoe-west-1a'],
    ['us-isof-south-10', 'xus-isof-south-1', 'us-isof-south-1a'],
  ].flat();

  it.each(regions)('puts %s where the SDK does, for DynamoDB and Secrets Manager, with and without FIPS and dual stack', (region) => {
    for (const fips of [false, true]) {
      for (const dualStack of [false, true]) {
        const env = { AWS_USE_FIPS_ENDPOINT: String(fips), AWS_USE_DUALSTACK_ENDPOINT: String(dualStack) };
        const choice = { Region: region, UseFIPS: fips, UseDualStack: dualStack };
        expect([fips, dualStack, endpoint(env, region).href, secretsManagerEndpoint(env, region).href]).toEqual([
          fips,
          dualStack,
          dynamoDb.config.endpointProvider(choice).url.href,
          secretsManager.config.endpointProvider(choice).url.href,
        ]);
      }
    }
  });
});

describe('the canonical path SigV4 signs', () => {
  it('drops empty and . segments', () => {
    expect(canonicalUri('/prefix//a/./b/')).toBe('/prefix/a/b/');
  });

  it('applies .. segments', () => {
    expect(canonicalUri('/prefix/a/../b')).toBe('/prefix/b');
    expect(canonicalUri('/../a')).toBe('/a');
  });
});

/** What the stand-in answers one request: AWS JSON error answers carry `x-amzn-errortype` and/or `__type`. */
interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
  /** Milliseconds before the answer starts. */
  readonly delayMs?: number;
}

const OK: Answer = { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' };
const jsonError = (status: number, type: string, message = 'scripted'): Answer => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.0' },
  body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
});

/** An AWS JSON endpoint on 127.0.0.1 answering from a script (`next`, then `otherwise`), counting requests. */
describe('AwsJsonClient against a scripted endpoint on 127.0.0.1', () => {
  let server: http.Server;
  let url: string;
  let requests = 0;
  /** When each request arrived (performance.now()): a retry arrives at least its wait after the last. */
  const arrivals: number[] = [];
  const next: Answer[] = [];
  let otherwise: Answer = OK;
  beforeAll(async () => {
    server = http.createServer(async (request, response) => {
      await readBody(request);
      requests += 1;
      arrivals.push(performance.now());
      const answer = next.shift() ?? otherwise;
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (!response.destroyed) response.writeHead(answer.status, answer.headers).end(answer.body);
    });
    await listen(server, 0);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => closeServer(server));
  beforeEach(() => {
    requests = 0;
    arrivals.length = 0;
    next.length = 0;
    otherwise = OK;
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const client = (env: Record<string, string> = {}) =>
    new AwsJsonClient(DYNAMODB, { ...CREDENTIALS, AWS_ENDPOINT_URL_DYNAMODB: url, ...env });
  const host = () => new URL(url).host;

  describe('which answers are retried', () => {
    it.each(['Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled'])(
      'retries a 400 %s once answered, then returns the result',
      async (type) => {
        next.push(jsonError(400, type));
        expect(await client().call('PutItem', {}, 2_000)).toEqual({});
        expect(requests).toBe(2);
      },
    );

    it('reports a 400 ValidationException after one request, not retried', async () => {
      next.push(jsonError(400, 'ValidationException'));
      await expect(client().call('PutItem', {}, 2_000)).rejects.toMatchObject({
        name: 'ValidationException',
        message: `${host()} answered 400 ValidationException`,
        retryable: false,
      });
      expect(requests).toBe(1);
    });

    it('refuses to call without credentials, sending nothing, as a non-retryable error', async () => {
      await expect(client({ AWS_SECRET_ACCESS_KEY: '' }).call('PutItem', {}, 2_000)).rejects.toMatchObject({
        name: 'CredentialsMissing',
        retryable: false,
      });
      expect(requests).toBe(0);
    });
  });

  describe('the backoff between attempts (Math.random fixed at 0.99: waits of 99 ms, then 198 ms)', () => {
    beforeEach(() => {
      vi.spyOn(Math, 'random').mockReturnValue(0.99);
      otherwise = jsonError(500, 'InternalServerError');
    });

    it('gives up after one attempt when the first wait would pass the call deadline (50 ms)', async () => {
      await expect(client().call('PutItem', {}, 50)).rejects.toMatchObject({ name: 'InternalServerError', retryable: true });
      expect(requests).toBe(1);
    });

    it('makes all three attempts within 1,100 ms: the waits double from 99 ms, they do not start at 396 ms', async () => {
      // 99 + 198 ms of waits leave the three local attempts 800 ms; waits of 396 + 792 ms would not fit.
      await expect(client().call('PutItem', {}, 1_100)).rejects.toMatchObject({ name: 'InternalServerError', retryable: true });
      expect(requests).toBe(3);
    });

    it('waits 99 ms before the second attempt and 198 ms before the third, as the server sees them arrive', async () => {
      await expect(client().call('PutItem', {}, 5_000)).rejects.toMatchObject({ name: 'InternalServerError' });
      const gaps = arrivals.slice(1).map((at, index) => at - arrivals[index]);
      // Each gap is the wait plus the round trip: at least the wait (less a millisecond of timer rounding).
      expect(gaps).toHaveLength(2);
      expect(gaps[0]).toBeGreaterThanOrEqual(98);
      expect(gaps[1]).toBeGreaterThanOrEqual(197);
    });
  });

  describe('the error type of an error answer', () => {
    const xml = (code: string) =>
      `<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>${code}</Code></Error></Errors></ErrorResponse>`;
    it.each<[string, Answer, string]>([
      [
        'the header, when an XML body names another',
        { status: 400, headers: { 'x-amzn-errortype': 'ResourceNotFoundException' }, body: xml('AccessDenied') },
        'ResourceNotFoundException',
      ],
      [
        'the header, over a {} body',
        { status: 400, headers: { 'x-amzn-errortype': 'ResourceNotFoundException' }, body: '{}' },
        'ResourceNotFoundException',
      ],
      ['the XML <Code>, after a line break', { status: 403, body: `\n${xml('SignatureDoesNotMatch')}` }, 'SignatureDoesNotMatch'],
      [
        '__type, not a <Code> inside a JSON message',
        jsonError(400, 'ValidationException', '<Code>ThrottlingException</Code>'),
        'ValidationException',
      ],
      [
        'the status, for a type that is no identifier (Bad-Type)',
        { status: 400, headers: { 'x-amzn-errortype': 'Bad-Type' }, body: '{}' },
        'HttpStatus400',
      ],
      [
        'the status, for a type of 65 letters',
        { status: 400, headers: { 'x-amzn-errortype': 'A'.repeat(65) }, body: '{}' },
        'HttpStatus400',
      ],
      ['the type, of 64 letters', { status: 400, headers: { 'x-amzn-errortype': 'A'.repeat(64) }, body: '{}' }, 'A'.repeat(64)],
    ])('names it by %s, after one request', async (_what, answer, type) => {
      next.push(answer);
      await expect(client().call('PutItem', {}, 2_000)).rejects.toMatchObject({
        name: type,
        message: `${host()} answered ${answer.status} ${type}`,
      });
      expect(requests).toBe(1);
    });
  });

  describe('an exchange that does not end in an answer', () => {
    it('reports TimeoutError when the endpoint answers only after the call deadline, even though it does answer', async () => {
      next.push({ ...OK, delayMs: 600 });
      await expect(client().call('PutItem', {}, 100)).rejects.toMatchObject({
        name: 'TimeoutError',
        message: `${host()}: TimeoutError`,
      });
      expect(requests).toBe(1);
    });

    it('reports TimeoutError, after one attempt, from an endpoint that accepts and never answers', async () => {
      const silent = await startSilentListener();
      try {
        const call = new AwsJsonClient(DYNAMODB, { ...CREDENTIALS, AWS_ENDPOINT_URL_DYNAMODB: silent.url }).call('PutItem', {}, 150);
        await expect(call).rejects.toMatchObject({
          name: 'TimeoutError',
          message: `${new URL(silent.url).host}: TimeoutError`,
          retryable: true,
        });
        expect(silent.accepted).toBe(1);
      } finally {
        await silent.close();
      }
    }, 5_000);

    it('reports a refused connection by its code, in the message and as the cause', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0);
      const error = await new AwsJsonClient(DYNAMODB, { ...CREDENTIALS, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' })
        .call('PutItem', {}, 2_000)
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(error).toMatchObject({
        name: 'ECONNREFUSED',
        message: '127.0.0.1:9: ECONNREFUSED',
        retryable: true,
        cause: expect.objectContaining({ cause: expect.objectContaining({ code: 'ECONNREFUSED' }) }),
      });
    });
  });

  describe('SecretsManagerReader', () => {
    it('reports a SecretString that is a number as a non-retryable InvalidResponse, after one request', async () => {
      next.push({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{"SecretString":5}' });
      const reader = new SecretsManagerReader({ ...CREDENTIALS, AWS_ENDPOINT_URL_SECRETS_MANAGER: url });
      await expect(reader.getSecretString('x', 2_000)).rejects.toMatchObject({
        name: 'InvalidResponse',
        message: `${host()} answered 200 without a GetSecretValue result`,
        retryable: false,
      });
      expect(requests).toBe(1);
    });
  });
});
