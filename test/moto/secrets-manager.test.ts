import { type ChildProcess, spawn } from 'node:child_process';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientCredentialsProvider } from '../../lambda/client-credentials.js';

/** The credentials provider against moto_server: the real SDK client, a real Secrets Manager emulator. */
const port = 45_000 + (process.pid % 1000);
const endpoint = `http://127.0.0.1:${port}`;
let moto: ChildProcess;

beforeAll(async () => {
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`moto_server did not start on ${endpoint}`);
});
afterAll(() => {
  moto.kill();
});

describe('ClientCredentialsProvider against moto_server', () => {
  it('reads the credentials by ARN through AWS_ENDPOINT_URL_SECRETS_MANAGER and follows a rotation', async () => {
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoint;
    const admin = new SecretsManagerClient({});
    const created = await admin.send(
      new CreateSecretCommand({
        Name: 'phantom/client',
        SecretString: JSON.stringify({ client_id: 'authorizer', client_secret: 'first secret' }),
      }),
    );
    const provider = new ClientCredentialsProvider(created.ARN as string, 300, 3_000);
    const first = await provider.get();
    expect(first.clientId).toBe('authorizer');
    expect(first.basicAuthorization).toBe(`Basic ${Buffer.from('authorizer:first+secret').toString('base64')}`);
    await admin.send(
      new PutSecretValueCommand({
        SecretId: 'phantom/client',
        SecretString: JSON.stringify({ client_id: 'authorizer', client_secret: 'second' }),
      }),
    );
    expect(provider.inHand()).toBe(first);
    expect((await provider.refresh()).basicAuthorization).toBe(`Basic ${Buffer.from('authorizer:second').toString('base64')}`);
  });

  it('reports a missing secret as unavailable credentials (500), not as a bad token', async () => {
    const provider = new ClientCredentialsProvider('does-not-exist', 300, 3_000);
    await expect(provider.get()).rejects.toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
      message: expect.stringMatching(/ResourceNotFoundException/),
    });
  });
});
