import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerReader, secretsManagerEndpoint } from '../../lambda/aws/secrets-manager.js';
import { ClientCredentialsProvider } from '../../lambda/client-credentials.js';
import { closeServer, listen, readBody } from '../../local/http-server.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';

const CREDENTIALS = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local-secret-key' };

let secrets: LocalSecretsManager;
beforeAll(async () => {
  secrets = await startLocalSecretsManager(0, 'eu-west-1');
  secrets.put('reader/client', JSON.stringify({ client_id: 'authorizer', client_secret: 'reader secret' }));
});
afterAll(async () => {
  await secrets.close();
});

const reader = (env: Record<string, string> = {}) =>
  new SecretsManagerReader({ ...CREDENTIALS, AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint, ...env });

describe('secretsManagerEndpoint: where GetSecretValue goes', () => {
  const sdk = new SecretsManagerClient({ region: 'us-east-1' });
  const regions = [
    'us-east-1',
    'eu-west-3',
    'cn-north-1',
    'us-gov-west-1',
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
        expect([fips, dualStack, secretsManagerEndpoint(env, region).href]).toEqual([
          fips,
          dualStack,
          sdk.config.endpointProvider({ Region: region, UseFIPS: fips, UseDualStack: dualStack }).url.href,
        ]);
      }
    }
  });

  it('takes AWS_ENDPOINT_URL_SECRETS_MANAGER before AWS_ENDPOINT_URL, as the SDKs do', () => {
    expect(
      secretsManagerEndpoint(
        { AWS_ENDPOINT_URL: 'https://all.example.com', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'https://sm.example.com/' },
        'eu-west-1',
      ).href,
    ).toBe('https://sm.example.com/');
    expect(secretsManagerEndpoint({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }, 'eu-west-1').href).toBe('http://127.0.0.1:4566/');
  });

  it.each([
    [{}, '', 'AWS_REGION must be a region name; received ""'],
    [{}, 'eu-west-1.evil.example.com/x', 'AWS_REGION must be a region name; received "eu-west-1.evil.example.com/x"'],
    [{ AWS_USE_FIPS_ENDPOINT: 'yes' }, 'eu-west-1', 'AWS_USE_FIPS_ENDPOINT must be true or false; received "yes"'],
    [{ AWS_USE_DUALSTACK_ENDPOINT: '1' }, 'eu-west-1', 'AWS_USE_DUALSTACK_ENDPOINT must be true or false; received "1"'],
    [
      { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://sm.example.com' },
      'eu-west-1',
      'the configured Secrets Manager endpoint must be https (http only on loopback), without credentials or query; received http://sm.example.com',
    ],
    [
      { AWS_ENDPOINT_URL: 'https://user:pw@sm.example.com' },
      'eu-west-1',
      'the configured Secrets Manager endpoint must be https (http only on loopback), without credentials or query; received https://***@sm.example.com',
    ],
    [
      { AWS_ENDPOINT_URL: 'sm.example.com' },
      'eu-west-1',
      'the configured Secrets Manager endpoint URL is not an absolute URL; received sm.example.com',
    ],
    [
      { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'https://sm.example.com/?X-Amz-Security-Token=session' },
      'eu-west-1',
      'the configured Secrets Manager endpoint must be https (http only on loopback), without credentials or query; received https://sm.example.com/?***',
    ],
    [
      { AWS_ENDPOINT_URL: 'https://user:pw@sm.example.com:99999/?k=v' },
      'eu-west-1',
      'the configured Secrets Manager endpoint URL is not an absolute URL; received https://***@sm.example.com:99999/?***',
    ],
    [
      { AWS_ENDPOINT_URL: 'https://sm.example.com', AWS_USE_FIPS_ENDPOINT: 'true' },
      'eu-west-1',
      'a configured endpoint URL cannot be combined with AWS_USE_FIPS_ENDPOINT or AWS_USE_DUALSTACK_ENDPOINT',
    ],
  ])('refuses %j in region %j: %s', (env, region, message) => {
    expect(() => secretsManagerEndpoint(env, region)).toThrow(expect.objectContaining({ name: 'InvalidConfiguration', message }));
  });
});

describe('SecretsManagerReader against the local Secrets Manager endpoint', () => {
  it('reads a SecretString with a signed request scoped to the region and secretsmanager', async () => {
    expect(await reader().getSecretString('reader/client', 1_000)).toBe(
      JSON.stringify({ client_id: 'authorizer', client_secret: 'reader secret' }),
    );
    expect(secrets.lastAuthorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
  });

  it('sends and signs the session token when AWS_SESSION_TOKEN is set', async () => {
    await reader({ AWS_SESSION_TOKEN: 'session-token' }).getSecretString('reader/client', 1_000);
    expect(secrets.lastAuthorization).toMatch(/SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,/);
  });

  it('retries a 500 and a throttling answer, then reads', async () => {
    const before = secrets.reads;
    secrets.next.push({ status: 500, type: 'InternalServiceError' }, { status: 400, type: 'ThrottlingException' });
    expect(await reader().getSecretString('reader/client', 2_000)).toContain('authorizer');
    expect(secrets.next).toEqual([]);
    expect(secrets.reads - before).toBe(1);
  });

  it('gives up after three attempts with the last error type', async () => {
    secrets.next.push(...Array.from({ length: 3 }, () => ({ status: 503, type: 'ServiceUnavailable' })), {
      status: 500,
      type: 'NotReached',
    });
    await expect(reader().getSecretString('reader/client', 2_000)).rejects.toMatchObject({ name: 'ServiceUnavailable', retryable: true });
    expect(secrets.next).toEqual([{ status: 500, type: 'NotReached' }]);
    secrets.next.length = 0;
  });

  it('does not retry an answer that will not change: AccessDeniedException is reported after one call', async () => {
    secrets.next.push({ status: 400, type: 'AccessDeniedException' }, { status: 500, type: 'NotReached' });
    await expect(reader().getSecretString('reader/client', 2_000)).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(/^127\.0\.0\.1:\d+ answered 400 AccessDeniedException$/),
    });
    expect(secrets.next).toHaveLength(1);
    secrets.next.length = 0;
  });

  it('names a missing secret by its AWS error type', async () => {
    await expect(reader().getSecretString('no/such/secret', 1_000)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses to read without credentials, naming the variables', async () => {
    await expect(reader({ AWS_ACCESS_KEY_ID: '' }).getSecretString('reader/client', 1_000)).rejects.toMatchObject({
      name: 'CredentialsMissing',
      message: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them to the execution role session)',
    });
  });

  it('is answered MissingAuthenticationToken (403) when it sends no signature', async () => {
    const response = await fetch(secrets.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: JSON.stringify({ SecretId: 'reader/client' }),
    });
    expect([response.status, ((await response.json()) as { __type: string }).__type]).toEqual([403, 'MissingAuthenticationToken']);
  });
});

describe('SecretsManagerReader against answers that are not what AWS sends', () => {
  let server: http.Server;
  let url: string;
  let answer: { status: number; headers: Record<string, string>; body: string };
  let calls = 0;
  beforeAll(async () => {
    server = http.createServer(async (request, response) => {
      await readBody(request);
      calls += 1;
      response.writeHead(answer.status, answer.headers).end(answer.body);
    });
    await listen(server, 0);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => closeServer(server));
  const read = () => new SecretsManagerReader({ ...CREDENTIALS, AWS_ENDPOINT_URL: url }).getSecretString('x', 1_000);

  it.each([
    ['a body that is not JSON', '<html>hello</html>'],
    ['a SecretString that is not a string', '{"SecretString":{"client_id":"a"}}'],
    ['JSON null', 'null'],
  ])('reports a 200 with %s as an invalid response, once', async (_name, body) => {
    answer = { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body };
    calls = 0;
    await expect(read()).rejects.toMatchObject({
      name: 'InvalidResponse',
      message: expect.stringMatching(/answered 200 without a GetSecretValue result$/),
    });
    expect(calls).toBe(1);
  });

  it('returns undefined for a secret without SecretString (a SecretBinary)', async () => {
    answer = { status: 200, headers: {}, body: '{"ARN":"a","SecretBinary":"AAEC"}' };
    expect(await read()).toBeUndefined();
  });

  it('takes the error type from x-amzn-errortype without its suffix, and from __type without its namespace', async () => {
    answer = {
      status: 400,
      headers: { 'x-amzn-errortype': 'DecryptionFailure:http://internal.amazon.com/coral/com.amazonaws.kms/' },
      body: '{}',
    };
    await expect(read()).rejects.toMatchObject({ name: 'DecryptionFailure' });
    answer = { status: 400, headers: {}, body: '{"__type":"com.amazonaws.secretsmanager#InvalidRequestException"}' };
    await expect(read()).rejects.toMatchObject({ name: 'InvalidRequestException' });
    answer = {
      status: 403,
      headers: {},
      body: '<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code></Error></Errors></ErrorResponse>',
    };
    await expect(read()).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
  });

  it('believes only a plain identifier as an error type: anything else is named by the status', async () => {
    answer = { status: 400, headers: {}, body: '{"__type":"<script>alert(1)</script> secret=xyz"}' };
    await expect(read()).rejects.toMatchObject({ name: 'HttpStatus400' });
  });

  it('refuses an answer larger than a GetSecretValue result can be, without retrying it', async () => {
    answer = { status: 200, headers: {}, body: `{"SecretString":"${'a'.repeat(600 * 1_024)}"}` };
    calls = 0;
    await expect(read()).rejects.toMatchObject({ name: 'ResponseTooLarge' });
    expect(calls).toBe(1);
  });
});

describe('ClientCredentialsProvider with the reader', () => {
  it('says why it could not even ask, in the message of the failed read', async () => {
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      await expect(new ClientCredentialsProvider('reader/client', 300, 1_000).get()).rejects.toMatchObject({
        code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
        message:
          'could not read the secret CLIENT_CREDENTIALS_SECRET names: CredentialsMissing (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them to the execution role session))',
      });
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = saved;
    }
  });

  it('reports a refused connection by its code after its retries', async () => {
    const server = http.createServer();
    await listen(server, 0);
    const port = (server.address() as AddressInfo).port;
    await closeServer(server);
    const reader = new SecretsManagerReader({ ...CREDENTIALS, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    await expect(new ClientCredentialsProvider('reader/client', 300, 2_000, reader).get()).rejects.toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
      message: 'could not read the secret CLIENT_CREDENTIALS_SECRET names: ECONNREFUSED',
    });
  });
});
