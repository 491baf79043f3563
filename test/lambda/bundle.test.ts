import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleAuthorizer } from '../../scripts/bundle-authorizer.js';

/** The handler bundled as the construct deploys it (lib/bundle-settings.ts). */
let dir: string;
let code: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'phantom-bundle-'));
  await bundleAuthorizer(resolve(__dirname, '../../lambda/handler.ts'), join(dir, 'index.js'));
  code = readFileSync(join(dir, 'index.js'), 'utf8');
}, 60_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the deployed bundle', () => {
  it('carries no AWS SDK: Secrets Manager and DynamoDB are called by lambda/aws/aws-json-client.ts (README, "Cold start")', () => {
    expect(code).not.toMatch(/@aws-sdk|@smithy|SecretsManagerClient|GetSecretValueCommand|DynamoDBClient|PutItemCommand/);
    // The X-Amz-Target is composed at run time (`<prefix>.<operation>`): the services' endpoint variables show the calls are in.
    expect(code).toContain('AWS_ENDPOINT_URL_SECRETS_MANAGER');
    expect(code).toContain('AWS_ENDPOINT_URL_DYNAMODB');
    // 359 KB with the Secrets Manager SDK client, 468 KB with the DynamoDB one; 43 KB without.
    expect(code.length).toBeLessThan(80 * 1_024);
  });

  it('keeps jose behind a lazy initializer, evaluated only when loadJose() is first called', () => {
    // esbuild wraps a module reached through import() in an init function: its top level
    // (jose's included) runs when that is called, not when the bundle is required.
    expect(code).toMatch(/Promise\.resolve\(\)\.then\(\(\)=>\(\w+\(\),\w+\)\)/);
  });
});
