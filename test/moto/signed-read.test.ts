import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientCredentialsProvider } from '../../lambda/client-credentials.js';
import { httpRequest } from '../../lambda/http-client.js';
import { SecretsManagerReader } from '../../lambda/secrets-manager.js';
import { signRequest } from '../../lambda/sigv4.js';

/**
 * The hand-signed GetSecretValue against moto_server with its IAM checks on: moto recomputes every
 * request's Signature Version 4 with botocore's signer from the secret key it issued, and applies
 * the user's IAM policy, so a wrong signature or a missing permission is answered as AWS would.
 */
const port = 46_000 + (process.pid % 1000);
const endpoint = `http://127.0.0.1:${port}`;
const region = 'us-east-1';
let moto: ChildProcess;

/** One request to moto, signed for `service` (moto routes by the signature's scope). Before IAM checks are on, any key will do. */
async function call(service: string, keys: { id: string; secret: string }, body: string, headers: Record<string, string>) {
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
const secretsManager = (keys: { id: string; secret: string }, operation: string, input: object) =>
  call('secretsmanager', keys, JSON.stringify(input), {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `secretsmanager.${operation}`,
  });

async function userWithKeys(name: string, actions: string[]): Promise<{ id: string; secret: string }> {
  await iam({ Action: 'CreateUser', UserName: name });
  await iam({
    Action: 'PutUserPolicy',
    UserName: name,
    PolicyName: 'secrets',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }),
  });
  const created = (await iam({ Action: 'CreateAccessKey', UserName: name })).body;
  const id = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(created)?.[1];
  const secret = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(created)?.[1];
  if (id === undefined || secret === undefined) throw new Error(`CreateAccessKey answered: ${created.slice(0, 200)}`);
  return { id, secret };
}

let reader: { id: string; secret: string };
let admin: { id: string; secret: string };
let bystander: { id: string; secret: string };
const readerEnv = (keys: { id: string; secret: string }) =>
  new SecretsManagerReader({
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: keys.id,
    AWS_SECRET_ACCESS_KEY: keys.secret,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
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
  reader = await userWithKeys('authorizer', ['secretsmanager:GetSecretValue']);
  admin = await userWithKeys('admin', ['secretsmanager:*']);
  bystander = await userWithKeys('bystander', ['s3:GetObject']);
  const created = await secretsManager(SETUP_KEYS, 'CreateSecret', {
    Name: 'phantom/signed',
    SecretString: JSON.stringify({ client_id: 'authorizer', client_secret: 'first' }),
  });
  expect(created.status).toBe(200);
});
afterAll(() => {
  moto?.kill();
});

describe('SecretsManagerReader against moto_server with signature and IAM checks', () => {
  it('reads the secret with a signature moto verifies, and follows a rotation', async () => {
    const provider = new ClientCredentialsProvider('phantom/signed', 300, 3_000, readerEnv(reader));
    expect((await provider.get()).basicAuthorization).toBe(`Basic ${Buffer.from('authorizer:first').toString('base64')}`);
    const rotated = await secretsManager(admin, 'PutSecretValue', {
      SecretId: 'phantom/signed',
      SecretString: JSON.stringify({ client_id: 'authorizer', client_secret: 'second' }),
    });
    expect(rotated.status).toBe(200);
    expect((await provider.refresh()).basicAuthorization).toBe(`Basic ${Buffer.from('authorizer:second').toString('base64')}`);
  });

  it('is refused when the signature is made with the wrong secret key, and says so', async () => {
    const provider = new ClientCredentialsProvider('phantom/signed', 300, 3_000, readerEnv({ id: reader.id, secret: `${reader.secret}x` }));
    await expect(provider.get()).rejects.toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
      message: 'could not read secret phantom/signed: SignatureDoesNotMatch',
    });
  });

  it('is refused for a role without secretsmanager:GetSecretValue, and says so', async () => {
    const provider = new ClientCredentialsProvider('phantom/signed', 300, 3_000, readerEnv(bystander));
    await expect(provider.get()).rejects.toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
      message: 'could not read secret phantom/signed: AccessDenied',
    });
  });
});
