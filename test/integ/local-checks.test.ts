import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_ENV } from '../../lambda/environment.js';
import { startLocalApiGatewayManagement } from '../../local/api-gateway-management.js';
import { startLocalDynamoDb } from '../../local/dynamodb.js';
import { LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import type { WildcardReading } from '../../local/iam-policy.js';
import { LambdaConcurrency } from '../../local/lambda-concurrency.js';
import { LocalFunctionUrl } from '../../local/lambda-function-url.js';
import { LambdaRunner } from '../../local/lambda-runner.js';
import { createTables } from '../../local/local-stack.js';
import { LocalRestApiGateway } from '../../local/rest-api-gateway.js';
import { readRestApi } from '../../local/rest-template.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { localRestApiId, type Resource, readFunctions, readFunctionUrls, readHttpApi } from '../../local/template.js';
import { rememberSecret } from '../support/log-capture.js';
import { PhantomTokenIntegStack } from './integ-stack.js';
import { CHECKS, type CheckName, type ProbeContext, tokenId } from './probe/checks.js';
import { deliverSet, PROBE_ENV, requestRevocationSet } from './probe/probe.js';
import { rawRequest } from './probe/raw-request.js';
import { REST_STAGE } from './routes.js';

/**
 * The probe's checks against the project's own emulation of API Gateway and IAM (local/), on the
 * synthesized integ stack itself: its authorizer, OAuth stand-in and echo bundles, its routes and
 * function URLs, its shared cache's table (in the local DynamoDB endpoint) and its revocation
 * receiver, which flushes the local REST gateways' authorizer caches through the local API Gateway
 * endpoint. Every check passes here, under both readings of IAM wildcards, so a check that fails
 * on AWS shows where AWS differs from the design's model, not a mistake of the check. No time
 * bound is asserted here (`runsOn: 'emulation'`): the REST revocation check requires the deny at
 * the first request after the receiver's 202 (its flush is done by then, an order, not a time),
 * and the HTTP one waits for the deny and records how long it took.
 */
const STACK = 'PhantomTokenInteg';
const CLIENTS = {
  authorizer: { client_id: 'integ-authorizer', client_secret: 'local-authorizer-secret' },
  test: { client_id: 'integ-client', client_secret: 'local-test-client-secret' },
};

let outdir: string;
let secrets: LocalSecretsManager;
let attributes: Record<string, string>;
let runners: Map<string, LambdaRunner>;
let standInUrl: string;
let receiverUrl: string;
/** The authorizer's memory bound, as the stack gives it to the probe. */
let memoryTtlSeconds: number;
/** Every local REST gateway of the stack (one per wildcard reading): the receiver's flush clears them all. */
const restGateways: LocalRestApiGateway[] = [];
const closers: (() => Promise<void> | void)[] = [];
/** Every decision line the authorizer printed. */
const decisionLines: string[] = [];

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'phantom-token-integ-local-'));
  const app = new App({ outdir });
  new PhantomTokenIntegStack(app, STACK);
  app.synth();

  secrets = await startLocalSecretsManager();
  closers.push(() => secrets.close());
  for (const client of Object.values(CLIENTS)) rememberSecret(client.client_secret);
  const arns = {
    authorizer: secrets.put('integ/authorizer-client', JSON.stringify(CLIENTS.authorizer)),
    test: secrets.put('integ/test-client', JSON.stringify(CLIENTS.test)),
  };

  // What CloudFormation resolves at deployment, resolved here: the secrets' ARNs (the local
  // endpoint's). The probe is left out: the checks run in this process.
  const templateFile = join(outdir, `${STACK}.template.json`);
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, Resource> };
  const secretIds = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::SecretsManager::Secret')
    .map(([id]) => id);
  const arnOf = (id: string) => (id.startsWith('TestClient') ? arns.test : arns.authorizer);
  const probeIds = Object.keys(template.Resources).filter((id) => id.startsWith('Probe'));
  const probe = probeIds.map((id) => template.Resources[id]).find((resource) => resource?.Type === 'AWS::Lambda::Function');
  const probeVariables = (probe?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  memoryTtlSeconds = Number(probeVariables[PROBE_ENV.authorizerMemoryTtlSeconds]);
  expect(Number.isInteger(memoryTtlSeconds)).toBe(true);
  for (const id of probeIds) delete template.Resources[id];
  const patched = JSON.stringify(template).replace(/\{"Ref":"([A-Za-z0-9]+)"\}/g, (ref, id: string) =>
    secretIds.includes(id) ? JSON.stringify(arnOf(id)) : ref,
  );
  writeFileSync(templateFile, patched);
  const resources = (JSON.parse(patched) as { Resources: Record<string, Resource> }).Resources;

  // The shared cache's table, under the name the functions' environment resolves it to; the
  // endpoint the receiver flushes the REST stage through, knowing the API by the id its environment holds.
  const dynamodb = await startLocalDynamoDb();
  closers.push(() => dynamodb.close());
  createTables(dynamodb, resources);
  const management = await startLocalApiGatewayManagement();
  closers.push(() => management.close());
  const restApiIds = Object.keys(resources).filter((id) => resources[id]?.Type === 'AWS::ApiGateway::RestApi');
  expect(restApiIds).toHaveLength(1);
  management.register(localRestApiId(restApiIds[0] as string), REST_STAGE, {
    clearCache: () => {
      for (const gateway of restGateways) gateway.clearCache();
    },
  });

  // The function URLs first: the authorizer's environment names the stand-in's. Each serves its function's runner, made next.
  runners = new Map();
  attributes = {};
  for (const functionUrl of readFunctionUrls(resources)) {
    const runner = { invoke: (event: unknown) => (runners.get(functionUrl.functionId) as LambdaRunner).invoke(event) };
    const server = new LocalFunctionUrl(runner as LambdaRunner);
    attributes[`${functionUrl.logicalId}.FunctionUrl`] = await server.start();
    closers.push(() => server.close());
    if (functionUrl.logicalId.startsWith('StandIn')) standInUrl = attributes[`${functionUrl.logicalId}.FunctionUrl`] as string;
    const variables = (resources[functionUrl.functionId]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    if (variables?.[REVOCATION_ENV.issuer] !== undefined) receiverUrl = attributes[`${functionUrl.logicalId}.FunctionUrl`] as string;
  }
  const concurrency = new LambdaConcurrency(20);
  const authorizerId = Object.keys(resources).find(
    (id) => id.startsWith('PhantomTokenFunction') && resources[id]?.Type === 'AWS::Lambda::Function',
  );
  for (const fn of readFunctions(resources, outdir, 'us-east-1', attributes).values()) {
    const onLine = (line: string) => {
      if (fn.logicalId === authorizerId && line.startsWith('{"outcome"')) decisionLines.push(line);
    };
    const endpoints = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_API_GATEWAY: management.endpoint,
    };
    runners.set(fn.logicalId, new LambdaRunner(fn, endpoints, onLine, { concurrency }));
  }
  closers.push(() => {
    for (const runner of runners.values()) runner.stop();
  });
}, 180_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
});

/** Both gateways of the stack, matching `*` by `reading`, and a probe context for them. */
async function localContext(reading: WildcardReading): Promise<ProbeContext> {
  const gateway = new LocalHttpApiGateway({
    api: readHttpApi(outdir, STACK, 'us-east-1', attributes),
    runners,
    port: 0,
    wildcardReading: reading,
  });
  const restGateway = new LocalRestApiGateway({
    api: readRestApi(outdir, STACK, 'us-east-1', attributes),
    runners,
    port: 0,
    wildcardReading: reading,
  });
  const apis = { http: await gateway.start(), rest: await restGateway.start() };
  restGateways.push(restGateway);
  closers.push(
    () => gateway.close(),
    () => restGateway.close(),
  );
  const basic = `Basic ${Buffer.from(`${CLIENTS.test.client_id}:${CLIENTS.test.client_secret}`).toString('base64')}`;
  const context: ProbeContext = {
    apis,
    async token(scopes) {
      const response = await rawRequest(standInUrl, {
        method: 'POST',
        path: '/token',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') }).toString(),
      });
      return rememberSecret((JSON.parse(response.body) as { access_token: string }).access_token);
    },
    request: (api, request) => rawRequest(apis[api], request),
    revocationSet: (token) => requestRevocationSet(standInUrl, basic, token),
    pushSet: (set) => deliverSet(receiverUrl, set),
    runsOn: 'emulation',
    memoryTtlSeconds,
    async decisions(token) {
      return (await context.decisionLines(token)).length;
    },
    async decisionLines(token) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return decisionLines
        .filter((line) => line.includes(`"tokenId":"${tokenId(token)}"`))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
  return context;
}

for (const reading of ['crosses-colons', 'segments'] as const) {
  describe(`the probe's checks on the local emulation, IAM wildcards read as ${reading}`, () => {
    let context: ProbeContext;
    beforeAll(async () => {
      context = await localContext(reading);
    });

    for (const name of Object.keys(CHECKS) as CheckName[]) {
      it(`passes ${name}`, async () => {
        const verdict = await CHECKS[name](context);
        expect(verdict.result, verdict.observed).toBe('PASS');
      }, 120_000);
    }
  });
}
