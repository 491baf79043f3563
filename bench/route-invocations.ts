import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { SignJWT } from 'jose';
import { createAuthorizer } from '../lambda/authorizer.js';
import { parseRoutePolicy, routePolicyAnswer } from '../lambda/routes/route-policy.js';
import { parseRouteScopes } from '../lambda/routes/route-scopes.js';
import { PhantomTokenAuthorizer } from '../lib/index.js';
import { planRoutePolicy } from '../lib/route-policy-plan.js';
import { LocalHttpApiGateway } from '../local/http-api-gateway.js';
import type { LambdaRunner } from '../local/lambda-runner.js';
import { startLocalSecretsManager } from '../local/secrets-manager.js';
import { readHttpApi } from '../local/template.js';

/**
 * Issue #10's figures. (1) Authorizer invocations for one token calling R scoped routes within the
 * results-cache TTL, through the local gateway with the real handler: before (per-route caching,
 * simple responses, as the construct did) and after (one IAM policy answer cached per token).
 * (2) The size of the largest policy answer on a 300-route API (a token that holds none of the scopes).
 */
async function main(): Promise<void> {
  const secrets = await startLocalSecretsManager();
  // The real AWS SDK client reads the secret from the local endpoint, with static credentials.
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const secretArn = secrets.put('bench/client', JSON.stringify({ client_id: 'bench', client_secret: 'bench-secret' }));
  const introspection = await startIntrospection();
  const backend = http.createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-routes-'));
  try {
    const line = async (label: string, scopeOf: (i: number) => string) => {
      const cells: string[] = [];
      for (const count of [1, 10, 50]) {
        const routes = Array.from({ length: count }, (_, i) => ({ path: `/r${i}/{id}`, scope: scopeOf(i) }));
        const before = await invocations(routes, 'before');
        const after = await invocations(routes, 'after');
        cells.push(`R=${count}: ${before} → ${after}`);
      }
      console.log(
        `authorizer invocations, one token calling R scoped routes within the TTL (before → after), ${label}: ${cells.join('; ')}`,
      );
    };

    /** Synthesizes the routes with the construct and calls each once with one token holding every scope. */
    async function invocations(routes: { path: string; scope: string }[], mode: 'before' | 'after'): Promise<number> {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Bench', { env: { account: '123456789012', region: 'eu-west-1' } });
      const api = new HttpApi(stack, 'Api');
      const phantomToken = new PhantomTokenAuthorizer(stack, 'PhantomToken', {
        introspectionEndpoint: introspection.url,
        clientCredentialsSecret: secretArn,
      });
      for (const [i, route] of routes.entries()) {
        phantomToken.addHttpRoutes(api, {
          path: route.path,
          methods: [HttpMethod.GET],
          integration: new HttpUrlIntegration(`Backend${i}`, backendUrl),
          scopes: [route.scope],
        });
      }
      writeFileSync(join(dir, 'Bench.template.json'), JSON.stringify(Template.fromStack(stack).toJSON()));
      const read = readHttpApi(dir, 'Bench', 'eu-west-1');
      const [fn] = [...read.functions.values()];
      if (fn === undefined) throw new Error('no authorizer function');
      const environment: Record<string, string> = { ...fn.environment };
      let localApi = read;
      if (mode === 'before') {
        // What the construct synthesized before #10: simple responses, and $context.routeKey in the
        // identity sources whenever the routes differ in required scopes; no ROUTE_POLICY.
        delete environment.ROUTE_POLICY;
        const perRoute = new Set(routes.map((route) => route.scope)).size > 1;
        localApi = {
          ...read,
          routes: read.routes.map((route) =>
            route.authorizer === undefined
              ? route
              : {
                  ...route,
                  authorizer: {
                    ...route.authorizer,
                    simpleResponses: true,
                    identitySources: perRoute ? ['$request.header.Authorization', '$context.routeKey'] : ['$request.header.Authorization'],
                  },
                },
          ),
        };
      }
      const handler = createAuthorizer(environment);
      const runner = {
        invoke: async (event: unknown) => {
          try {
            return { ok: true as const, result: await handler(event) };
          } catch (error) {
            return { ok: false as const, errorType: (error as Error).name, errorMessage: (error as Error).message };
          }
        },
      } as unknown as LambdaRunner;
      const gateway = new LocalHttpApiGateway({ api: localApi, runners: new Map([[fn.logicalId, runner]]), region: 'eu-west-1' });
      await gateway.start();
      try {
        const token = introspection.issue(routes.map((route) => route.scope));
        for (const route of routes) {
          const response = await fetch(`${gateway.url}${route.path.replace('{id}', '42')}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`${mode}: ${route.path} answered ${response.status}`);
        }
        return gateway.authorizerInvocations;
      } finally {
        await gateway.close();
      }
    }

    policyBytes();
    await line('distinct scopes per route', (i) => `scope-${i}`);
    await line('3 scope sets over the R routes', (i) => `scope-${i % 3}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await new Promise((resolve) => backend.close(resolve));
    await introspection.close();
    await secrets.close();
  }
}

/**
 * The largest answer on an API of 300 routes (100 resources × `GET /resource-NNN`, `GET
 * /resource-NNN/{id}`, `DELETE /resource-NNN/{id}`): the token holds none of their scopes, so the
 * answer denies the globs of all 300. The construct's plan (with its proof, timed) and the
 * function's own answer, with a 64-character ARN prefix (`ap-southeast-2`). Planned directly: the
 * construct refuses a ROUTE_SCOPES this long (Lambda's 4 KB of environment).
 */
function policyBytes(): void {
  for (const [label, scopeOf] of [
    ['distinct scopes per route', (i: number) => `scope-${i}`],
    ['3 scope sets', (i: number) => `scope-${i % 3}`],
  ] as const) {
    const declarations = new Map<string, string[]>();
    for (let i = 0; i < 100; i++) {
      const name = `/resource-${String(i).padStart(3, '0')}`;
      for (const routeKey of [`GET ${name}`, `GET ${name}/{id}`, `DELETE ${name}/{id}`])
        declarations.set(routeKey, [scopeOf(declarations.size)]);
    }
    const routeKeys = [...declarations.keys()];
    const started = performance.now();
    const plan = planRoutePolicy({ declarations }, [
      { name: 'Api', protectedRouteKeys: routeKeys, allRouteKeys: new Set(routeKeys), lookup: 'http' },
    ]);
    const planMs = performance.now() - started;
    const routePolicy = parseRoutePolicy(plan.json);
    if (routePolicy === undefined) throw new Error('no ROUTE_POLICY');
    const answer = routePolicyAnswer(parseRouteScopes(JSON.stringify(Object.fromEntries(declarations))), routePolicy, {
      arn: 'arn:aws:execute-api:ap-southeast-2:123456789012:a1b2c3d4e5/$default/GET/resource-000',
      routeKey: 'GET /resource-000',
      allowed: false,
      principalId: 'user-1',
      granted: [],
      context: {},
    });
    const bytes = Buffer.byteLength(JSON.stringify(answer));
    console.log(
      `policy answer, 300-route API, ${label}, token with none of the scopes: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB); ` +
        `plan ${plan.perRouteApis.size === 0 ? 'exact (one answer per token)' : 'per route'}, proved in ${planMs.toFixed(0)} ms`,
    );
  }
}

/** A Curity-compatible phantom introspection endpoint for tokens of any scopes. */
async function startIntrospection() {
  const key = new TextEncoder().encode(randomBytes(32).toString('hex'));
  const issued = new Map<string, readonly string[]>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const scopes = issued.get(new URLSearchParams(Buffer.concat(chunks).toString()).get('token') ?? '');
      if (scopes === undefined) return void response.writeHead(204).end();
      const jwt = await new SignJWT({ sub: 'bench', scope: scopes.join(' ') })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('10m')
        .sign(key);
      response.writeHead(200, { 'content-type': 'application/jwt' }).end(jwt);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`,
    issue(scopes: readonly string[]): string {
      const token = randomBytes(24).toString('base64url');
      issued.set(token, scopes);
      return token;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
