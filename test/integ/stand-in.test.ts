import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import type { PolicyResponse } from '../../lambda/authorizer-response.js';
import { ENV, MAX_POLICY_BYTES, POLICY_BUDGET_BYTES, REVOCATION_ENV } from '../../lambda/environment.js';
import { createRevocationReceiver, type RevocationHandler } from '../../lambda/revocation/receiver.js';
import { readRouteTableFile } from '../../lambda/routes/route-table.js';
import { KEY_PREFIX, TABLE_KEY, TABLE_TTL_ATTRIBUTE, TOKEN_ITEM } from '../../lambda/shared-cache/table-format.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb.js';
import { LocalFunctionUrl } from '../../local/lambda-function-url.js';
import type { LambdaRunner } from '../../local/lambda-runner.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { deliveryEvent } from '../lambda/revocation/harness.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';
import { PhantomTokenIntegStack } from './integ-stack.js';
import { allowed, assertionId, CHECKS, failedClosed, signedByAnotherKey, tokenId } from './probe/checks.js';
import { PROBE_ENV } from './probe/probe.js';
import {
  allScopes,
  bigRoutes,
  INTEG_AUDIENCE,
  INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS,
  INTEG_REVOCATION_AUDIENCE,
  INTEG_SET_ISSUER,
  REST_STAGE,
  ROUTES,
} from './routes.js';
import { deriveSetSigningKey } from './stand-in/security-event.js';
import { createStandIn, type FunctionUrlEvent, STAND_IN_ENV } from './stand-in/stand-in.js';

/**
 * The integration test's OAuth stand-in, proven offline: its handler behind the local function
 * URL emulation, the real authorizer handler introspecting against it with the route table the
 * integ stack ships (synthesized here), the Security Event Tokens it signs against the real
 * revocation receiver (with the local DynamoDB endpoint), and the probe's helpers that read the
 * authorizer's answers.
 */
const AUTHORIZER_CLIENT = { client_id: 'integ-authorizer', client_secret: 'authorizer-secret-0123456789' };
const TEST_CLIENT = { client_id: 'integ-client', client_secret: 'test-client-secret-0123456789' };

let secrets: LocalSecretsManager;
let functionUrl: LocalFunctionUrl;
let standInUrl: string;
let authorizerSecretArn: string;
let testClientArn: string;
let routeTableFile: string;
let outdir: string;

beforeAll(async () => {
  secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  rememberSecret(AUTHORIZER_CLIENT.client_secret);
  rememberSecret(TEST_CLIENT.client_secret);
  authorizerSecretArn = secrets.put('integ/authorizer-client', JSON.stringify(AUTHORIZER_CLIENT));
  testClientArn = secrets.put('integ/test-client', JSON.stringify(TEST_CLIENT));
  const standIn = newStandIn();
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

/** A stand-in instance, as each Lambda instance makes one from the function's environment. */
function newStandIn() {
  return createStandIn({
    ...process.env,
    [STAND_IN_ENV.authorizerClientSecret]: authorizerSecretArn,
    [STAND_IN_ENV.testClientSecret]: testClientArn,
    [STAND_IN_ENV.audience]: INTEG_AUDIENCE,
    [STAND_IN_ENV.setIssuer]: INTEG_SET_ISSUER,
    [STAND_IN_ENV.setAudience]: INTEG_REVOCATION_AUDIENCE,
  });
}

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

describe("the stand-in's Security Event Tokens, with the real revocation receiver", () => {
  const TABLE = 'integ-shared-cache';
  let dynamodb: LocalDynamoDb;
  let receiver: RevocationHandler;

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDb();
    dynamodb.createTable(TABLE, { key: TABLE_KEY, ttlAttribute: TABLE_TTL_ATTRIBUTE });
    // As the integ stack configures it: the stand-in's issuer and JWKS, the audience of routes.ts.
    receiver = createRevocationReceiver(
      {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
        [REVOCATION_ENV.issuer]: INTEG_SET_ISSUER,
        [REVOCATION_ENV.jwksUri]: `${standInUrl}set-jwks`,
        [REVOCATION_ENV.audience]: INTEG_REVOCATION_AUDIENCE,
        [REVOCATION_ENV.table]: TABLE,
      },
      { write: () => {} },
    );
  });
  afterAll(async () => {
    await dynamodb?.close();
  });

  async function signed(token: string, client = TEST_CLIENT): Promise<Response> {
    return fetch(`${standInUrl}sign-revocation`, {
      method: 'POST',
      headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
  }

  async function setFor(token: string): Promise<string> {
    const response = await signed(token);
    expect(response.status).toBe(200);
    return ((await response.json()) as { set: string }).set;
  }

  /** The receiver's answer to a push of `set` (always structured: a status and a body). */
  const deliver = async (set: string) => (await receiver(deliveryEvent(set))) as { statusCode: number; body?: string };

  const markOf = (token: string) =>
    dynamodb.item(TABLE, `${KEY_PREFIX.token}${createHash('sha256').update(token).digest('base64url')}`)?.[TOKEN_ITEM.state];

  it('signs a SET the receiver accepts (202), and the receiver marks the token revoked in the shared table', async () => {
    const token = await mint(ROUTES.x.scopes);
    const set = await setFor(token);
    expect(JSON.parse(Buffer.from(set.split('.')[0] as string, 'base64url').toString())).toMatchObject({
      alg: 'EdDSA',
      typ: 'secevent+jwt',
      kid: expect.any(String),
    });
    expect(await deliver(set)).toEqual({ statusCode: 202, body: '' });
    expect(markOf(token)).toEqual({ S: 'revoked' });
  });

  it('keeps introspecting the token as active after signing its revocation: it remembers nothing', async () => {
    const token = await mint(ROUTES.x.scopes);
    await setFor(token);
    const response = await fetch(`${standInUrl}introspect`, {
      method: 'POST',
      headers: { authorization: basic(AUTHORIZER_CLIENT), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/jwt');
    rememberSecret(await response.text());
  });

  it('has the receiver refuse the same SET again (invalid_request) and its claims signed by another key (authentication_failed)', async () => {
    const token = await mint(ROUTES.x.scopes);
    const set = await setFor(token);
    expect((await deliver(set)).statusCode).toBe(202);
    const refusal = async (body: string) => {
      const result = await deliver(body);
      return [result.statusCode, (JSON.parse(result.body ?? '{}') as { err?: string }).err];
    };
    expect(await refusal(set)).toEqual([400, 'invalid_request']);
    const other = await mint(ROUTES.x.scopes);
    expect(await refusal(await signedByAnotherKey(await setFor(other)))).toEqual([400, 'authentication_failed']);
    expect(markOf(other)).toBeUndefined();
  });

  it('derives the same SET key in every instance: a SET another instance signs verifies with the first one JWKS', async () => {
    const second = newStandIn();
    const jwksOf = async (handler: (event: FunctionUrlEvent) => Promise<{ statusCode: number; body: string }>) => {
      const result = await handler({ rawPath: '/set-jwks', headers: {}, requestContext: { http: { method: 'GET' } } });
      expect(result.statusCode).toBe(200);
      return JSON.parse(result.body) as { keys: { kid: string; x: string }[] };
    };
    const served = await (await fetch(`${standInUrl}set-jwks`)).json();
    expect(await jwksOf(second)).toEqual(served);
    const token = await mint(ROUTES.x.scopes);
    const fromSecond = await second({
      rawPath: '/sign-revocation',
      headers: { authorization: basic(TEST_CLIENT), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
      requestContext: { http: { method: 'POST' } },
    });
    const { set } = JSON.parse(fromSecond.body) as { set: string };
    // The receiver knows only the first instance's URL.
    expect(await deliver(set)).toEqual({ statusCode: 202, body: '' });
    // Another secret, another key.
    const other = await deriveSetSigningKey('another-secret-0123456789');
    expect(other.publicJwk.x).not.toBe((await jwksOf(second)).keys[0]?.x);
  });

  it('refuses to sign a SET without the test client credentials, or without a token', async () => {
    const token = await mint(ROUTES.x.scopes);
    const wrong = await signed(token, { ...TEST_CLIENT, client_secret: 'guess' });
    expect([wrong.status, await wrong.json()]).toEqual([401, { error: 'invalid_client' }]);
    const none = await signed('');
    expect(none.status).toBe(400);
  });
});

describe('the integ stack for the revocation checks', () => {
  type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  const template = () => JSON.parse(readFileSync(join(outdir, 'PhantomTokenInteg.template.json'), 'utf8')) as Template;
  const ofType = (type: string) => Object.entries(template().Resources).filter(([, resource]) => resource.Type === type);
  const variables = (resource: { Properties?: Record<string, unknown> }) =>
    (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

  it(`caches HTTP API decisions for ${INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS} s, and gives the probe the memory bound the authorizer has`, () => {
    const ttls = ofType('AWS::ApiGatewayV2::Authorizer').map(([, resource]) => resource.Properties?.AuthorizerResultTtlInSeconds);
    expect(ttls.length).toBeGreaterThan(0);
    expect(new Set(ttls)).toEqual(new Set([INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS]));
    const functions = ofType('AWS::Lambda::Function');
    const authorizers = functions.filter(([, fn]) => variables(fn)[ENV.introspectionEndpoint] !== undefined);
    expect(authorizers).toHaveLength(1);
    const memoryTtl = variables(authorizers[0]?.[1] ?? {})[ENV.sharedCacheMemoryTtlSeconds];
    expect(memoryTtl).toMatch(/^\d+$/);
    const [, probe] = functions.find(([id]) => id.startsWith('Probe')) ?? [];
    expect(variables(probe ?? {})[PROBE_ENV.authorizerMemoryTtlSeconds]).toBe(memoryTtl);
  });

  it("gives the receiver the stand-in's issuer and audience and the REST stage to flush, and the stand-in no reference to the receiver", () => {
    const functions = ofType('AWS::Lambda::Function');
    const receivers = functions.filter(([, fn]) => variables(fn)[REVOCATION_ENV.issuer] !== undefined);
    expect(receivers).toHaveLength(1);
    const [receiverId, receiverFn] = receivers[0] as [string, { Properties?: Record<string, unknown> }];
    expect(variables(receiverFn)).toMatchObject({
      [REVOCATION_ENV.issuer]: INTEG_SET_ISSUER,
      [REVOCATION_ENV.audience]: INTEG_REVOCATION_AUDIENCE,
    });
    expect(JSON.stringify(variables(receiverFn)[REVOCATION_ENV.flushStages])).toContain(`\\"stage\\":\\"${REST_STAGE}\\"`);
    const [, standIn] = functions.find(([id]) => id.startsWith('StandIn')) ?? [];
    expect(variables(standIn ?? {})).toMatchObject({
      [STAND_IN_ENV.setIssuer]: INTEG_SET_ISSUER,
      [STAND_IN_ENV.setAudience]: INTEG_REVOCATION_AUDIENCE,
    });
    expect(JSON.stringify(standIn)).not.toContain(receiverId.slice(0, 20));
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
