import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerReader } from '../../lambda/aws/secrets-manager.js';
import { ClientCredentialsProvider } from '../../lambda/client-credentials.js';
import { MOTO_REGION, MOTO_SETUP_KEYS, type MotoKeys, MotoWithIam } from '../support/moto-iam.js';

/**
 * The hand-signed GetSecretValue against moto_server with its IAM checks on: moto recomputes every
 * request's Signature Version 4 with botocore's signer from the secret key it issued, and applies
 * the user's IAM policy, so a wrong signature or a missing permission is answered as AWS would.
 */
const port = 46_000 + (process.pid % 1000);
let moto: MotoWithIam;

const secretsManager = (keys: MotoKeys, operation: string, input: object) =>
  moto.call('secretsmanager', keys, JSON.stringify(input), {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `secretsmanager.${operation}`,
  });

let reader: MotoKeys;
let admin: MotoKeys;
let bystander: MotoKeys;
const readerEnv = (keys: MotoKeys) =>
  new SecretsManagerReader({
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: keys.id,
    AWS_SECRET_ACCESS_KEY: keys.secret,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
  });

beforeAll(async () => {
  // The next 10 calls (the setup below) go unchecked; every call after them is authenticated and authorized.
  moto = await MotoWithIam.start(port, 10);
  reader = await moto.userWithKeys('authorizer', ['secretsmanager:GetSecretValue']);
  admin = await moto.userWithKeys('admin', ['secretsmanager:*']);
  bystander = await moto.userWithKeys('bystander', ['s3:GetObject']);
  const created = await secretsManager(MOTO_SETUP_KEYS, 'CreateSecret', {
    Name: 'phantom/signed',
    SecretString: JSON.stringify({ client_id: 'authorizer', client_secret: 'first' }),
  });
  expect(created.status).toBe(200);
});
afterAll(() => {
  moto?.stop();
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
      message: 'could not read the secret CLIENT_CREDENTIALS_SECRET names: SignatureDoesNotMatch',
    });
  });

  it('is refused for a role without secretsmanager:GetSecretValue, and says so', async () => {
    const provider = new ClientCredentialsProvider('phantom/signed', 300, 3_000, readerEnv(bystander));
    await expect(provider.get()).rejects.toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
      message: 'could not read the secret CLIENT_CREDENTIALS_SECRET names: AccessDenied',
    });
  });
});
