import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import type { PolicyResponse } from '../../lambda/authorizer-response.js';
import { MAX_POLICY_BYTES, POLICY_BUDGET_BYTES } from '../../lambda/environment.js';
import { readRouteTableFile } from '../../lambda/routes/route-table.js';
import { LocalFunctionUrl } from '../../local/lambda-function-url.js';
import type { LambdaRunner } from '../../local/lambda-runner.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';
import { PhantomTokenIntegStack } from './integ-stack.js';
import { allowed, assertionId, CHECKS, failedClosed, tokenId } from './probe/checks.js';
import { allScopes, bigRoutes, INTEG_AUDIENCE, ROUTES } from './routes.js';
import { createStandIn, STAND_IN_ENV } from './stand-in/stand-in.js';

/**
 * The integration test's OAuth stand-in, proven offline: its handler behind the local function
 * URL emulation, the real authorizer handler introspecting against it with the route table the
 * integ stack ships (synthesized here), and the probe's helpers that read the authorizer's answers.
 */
const AUTHORIZER_CLIENT = { client_id: 'integ-authorizer', client_secret: 'authorizer-secret-0123456789' };
const TEST_CLIENT = { client_id: 'integ-client', client_secret: 'test-client-secret-0123456789' };

let secrets: LocalSecretsManager;
let functionUrl: LocalFunctionUrl;
let standInUrl: string;
let authorizerSecretArn: string;
let routeTableFile: string;
let outdir: string;

beforeAll(async () => {
  secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  rememberSecret(AUTHORIZER_CLIENT.client_secret);
  rememberSecret(TEST_CLIENT.client_secret);
  authorizerSecretArn = secrets.put('integ/authorizer-client', JSON.stringify(AUTHORIZER_CLIENT));
  const testClientArn = secrets.put('integ/test-client', JSON.stringify(TEST_CLIENT));
  const standIn = createStandIn({
    ...process.env,
    [STAND_IN_ENV.authorizerClientSecret]: authorizerSecretArn,
    [STAND_IN_ENV.testClientSecret]: testClientArn,
    [STAND_IN_ENV.audience]: INTEG_AUDIENCE,
  });
  // The local function URL runs a function through a LambdaRunner; this one calls the handler in this process.
  const runner = { invoke: async (event: unknown) => ({ ok: true, result: await standIn(event as never) }) };
  functionUrl = new LocalFunctionUrl(runner as unknown as LambdaRunner);
  standInUrl = await functionUrl.start();

  // The route table the integ stack's authorizer gets, from a real synthesis of the stack.
  outdir = mkdtempSync(join(tmpdir(), 'phantom-token-integ-'));
  const app = new App({ outdir });
  new PhantomTokenIntegStack(app, 'PhantomTokenInteg');
  app.synth();
  const tables = readdirSync(outdir)
    .map((name) => join(outdir, name, 'phantom-token', 'route-table.json'))
    .filter((path) => existsSync(path));
  expect(tables).toHaveLength(1);
  routeTableFile = tables[0] as string;
}, 120_000);

afterAll(async () => {
  await functionUrl?.close();
  await secrets?.close();
  if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
});

function basic(client: { client_id: string; client_secret: string }): string {
  return `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
}

async function mint(scopes: readonly string[]): Promise<string> {
  const response = await fetch(`${standInUrl}token`, {
    method: 'POST',
    headers: { authorization: basic(TEST_CLIENT), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') }).toString(),
  });
  expect(response.status).toBe(200);
  const { access_token: token } = (await response.json()) as { access_token: string };
  return rememberSecret(token);
}

/** A payload 2.0 event of the integ HTTP API for `GET <path>` of route `routeKey`, with its routeArn. */
function httpEvent(token: string, routeKey: string, path = routeKey.slice(routeKey.indexOf(' ') + 1)): unknown {
  const event = httpApiEvent(`Bearer ${token}`, routeKey) as Record<string, unknown>;
  return { ...event, rawPath: path, routeArn: `arn:aws:execute-api:us-east-1:123456789012:abcdefghij/$default/GET${path}` };
}

function integAuthorizer(env: Record<string, string> = {}) {
  return createAuthorizer({
    INTROSPECTION_ENDPOINT: `${standInUrl}introspect`,
    CLIENT_CREDENTIALS_SECRET: authorizerSecretArn,
    AUDIENCE: INTEG_AUDIENCE,
    ROUTE_TABLE_FILE: routeTableFile,
    ...env,
  });
}

const decides = (policy: PolicyResponse, effect: 'Allow' | 'Deny', resource: string) =>
  policy.policyDocument.Statement.some((s) => s.Effect === effect && [s.Resource].flat().includes(resource));

describe('the OAuth stand-in, with the real authorizer', () => {
  it('allows a token with the route scope: the authorizer introspects it at the stand-in and forwards its JWT', async () => {
    const token = await mint(ROUTES.scopeA.scopes);
    const answer = (await integAuthorizer()(httpEvent(token, 'GET /scope-a'))) as PolicyResponse;
    const jwt = rememberSecret(answer.context?.jwt as string);
    expect(decides(answer, 'Allow', 'arn:aws:execute-api:us-east-1:123456789012:abcdefghij/$default/GET/scope-a')).toBe(true);
    expect(jwt).toMatch(/^eyJ[\w-]*\.[\w-]+\.[\w-]+$/);
    expect(JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString())).toMatchObject({
      client_id: TEST_CLIENT.client_id,
      scope: 'a',
      aud: INTEG_AUDIENCE,
    });
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'allow', tokenId: tokenId(token) });
  });

  it('denies a token without the route scope, and the answer cached for it does not allow the route either', async () => {
    const token = await mint(ROUTES.scopeA.scopes);
    const answer = (await integAuthorizer()(httpEvent(token, 'GET /scope-b'))) as PolicyResponse;
    rememberSecret(answer.context?.jwt as string);
    expect(decides(answer, 'Allow', 'arn:aws:execute-api:us-east-1:123456789012:abcdefghij/$default/GET/scope-b')).toBe(false);
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'deny', reason: 'insufficient_scope', tokenId: tokenId(token) });
  });

  it('answers 204 for a token whose MAC does not hold, so the authorizer denies it as inactive', async () => {
    const token = await mint(['read']);
    const forged = rememberSecret(`${token.slice(0, -2)}AA`);
    await expect(integAuthorizer()(httpEvent(forged, 'GET /x'))).resolves.toBeDefined();
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'deny', reason: 'inactive' });
  });

  it('refuses introspection with credentials other than the authorizer secret, so the authorizer fails (500), never allows', async () => {
    const wrong = secrets.put('integ/wrong-client', JSON.stringify({ client_id: AUTHORIZER_CLIENT.client_id, client_secret: 'not-it' }));
    const token = await mint(['read']);
    await expect(integAuthorizer({ CLIENT_CREDENTIALS_SECRET: wrong })(httpEvent(token, 'GET /x'))).rejects.toThrow();
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'error' });
  });

  it('refuses to mint a token without the test client credentials', async () => {
    const response = await fetch(`${standInUrl}token`, {
      method: 'POST',
      headers: { authorization: basic({ ...TEST_CLIENT, client_secret: 'guess' }), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=admin',
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_client' });
  });
});

describe('the integ stack route plan', () => {
  it('puts /scope-a and /scope-b in one group, so the cache check reuses one cached answer across them', () => {
    const table = readRouteTableFile(routeTableFile);
    const a = table.routes.get(`GET ${ROUTES.scopeA.path}`);
    const b = table.routes.get(`GET ${ROUTES.scopeB.path}`);
    expect(b?.group).toBe(a?.group);
  });

  it(`gives a token with every scope, on the first big route, an answer close to the ${POLICY_BUDGET_BYTES}-byte budget`, async () => {
    const table = readRouteTableFile(routeTableFile);
    const others = Object.values(ROUTES).map((route) => table.routes.get(`${route === ROUTES.any ? 'ANY' : 'GET'} ${route.path}`)?.group);
    expect(new Set(others)).toEqual(new Set([0]));
    const [first] = bigRoutes();
    expect(table.routes.get(`GET ${first?.path}`)?.group).toBe(0);
    const token = await mint(allScopes());
    const answer = (await integAuthorizer()(httpEvent(token, `GET ${first?.path}`))) as PolicyResponse;
    rememberSecret(answer.context?.jwt as string);
    // On AWS the prefix (us-east-1, a 12-digit account, $default) is shorter than the plan's bound: this is the size there.
    const policyBytes = Buffer.byteLength(JSON.stringify(answer.policyDocument));
    expect(policyBytes).toBeGreaterThan(0.8 * POLICY_BUDGET_BYTES);
    expect(policyBytes).toBeLessThanOrEqual(MAX_POLICY_BYTES);
    // With the context (the JWT of a token with every scope) the whole answer is larger still (7,574 bytes on 2026-12-07).
    expect(Buffer.byteLength(JSON.stringify(answer))).toBeGreaterThan(policyBytes);
  });
});

describe('the probe', () => {
  it('tells a request that reached the echo backend from one API Gateway answered itself', () => {
    const echo = { status: 200, headers: {}, body: JSON.stringify({ echo: true, headers: {} }) };
    expect([allowed(echo), failedClosed(echo)]).toEqual([true, false]);
    for (const status of [401, 403, 404, 500, 502]) {
      const gateway = { status, headers: {}, body: '{"message":"Forbidden"}' };
      expect([allowed(gateway), failedClosed(gateway)]).toEqual([false, true]);
    }
    // Neither: a 200 that is not the echo, a redirect.
    expect(failedClosed({ status: 200, headers: {}, body: '{}' })).toBe(false);
    expect(failedClosed({ status: 301, headers: {}, body: '' })).toBe(false);
  });

  it('names every assertion after its check', () => {
    expect(assertionId('cached-policy-evaluated-per-request-arn')).toBe('CheckCachedPolicyEvaluatedPerRequestArn');
    expect(Object.keys(CHECKS).map(assertionId)).toHaveLength(new Set(Object.keys(CHECKS).map(assertionId)).size);
  });
});
