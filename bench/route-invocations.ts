import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { HttpApi, type HttpMethod, HttpRoute, HttpRouteKey } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { SignJWT } from 'jose';
import { type AuthorizerHandler, createAuthorizer } from '../lambda/authorizer.js';
import { ENV } from '../lambda/environment.js';
import { parseRouteTable } from '../lambda/routes/route-table.js';
import { CachedAnswerSharing, PhantomTokenAuthorizer } from '../lib/index.js';
import { arnPrefixBytes, planRouteTable, type RouteTablePlan } from '../lib/route-table-plan.js';
import { LocalHttpApiGateway } from '../local/http-api-gateway.js';
import type { LambdaRunner } from '../local/lambda-runner.js';
import { startLocalSecretsManager } from '../local/secrets-manager.js';
import { type LocalHttpApi, readHttpApi, readResources, resourcesOfType } from '../local/template.js';
import { formatSummary, summarize } from './stats.js';

/**
 * Issue #20's figures, for HTTP APIs synthesized with the construct (`addHttpRoutes`) and served by
 * the local HTTP gateway with the real handler in-process, one line per API:
 * - the authorizer invocations of one token holding every scope that calls every route once within
 *   the results-cache TTL (counted by the gateway, with its cache), beside the number of
 *   authorizers the plan gave the API (one per group: what that count should be);
 * - the largest answer: the handler's, for a token holding every scope and one holding none, on one
 *   route of each group, with a deployed ARN's shape; and the plan's worst case for any token;
 * - synth time (the stack built and synthesized, `app.synth()`), median and spread.
 * Each request's decision is checked (every route allowed to the first token; the scoped routes
 * denied, the others allowed, to the second; on small APIs, also tokens lacking one route's scopes),
 * and a second round of calls with the first token must cost no invocation.
 */

/** A route of a benchmarked API: its key, its scopes (none: any active token) and a path that reaches it. */
interface BenchRoute {
  readonly routeKey: string;
  readonly scopes: readonly string[];
  readonly path: string;
}

interface BenchCase {
  readonly label: string;
  readonly routes: readonly BenchRoute[];
}

const SYNTHS = Number(process.env.BENCH_SYNTHS ?? 5);
/** Both sharings (CachedAnswerSharing), the default first. */
const SHARINGS = [CachedAnswerSharing.SAME_SCOPES, CachedAnswerSharing.EVALUATED_POLICY] as const;
const STACK = 'Bench';
const ENVIRONMENT = { account: '123456789012', region: 'eu-west-1' };
/** The prefix (`arn:…:api-id/stage/`) of the request ARNs of the handler's calls: a deployed API's, as in the sample event. */
const ARN_PREFIX = 'arn:aws:execute-api:eu-west-1:123456789012:abcdefghij/$default/';

const route = (routeKey: string, scopes: readonly string[], path?: string): BenchRoute => ({
  routeKey,
  scopes,
  path: path ?? routeKey.slice(routeKey.indexOf(' ') + 1).replace(/\{[^}]+\}/g, '42'),
});

const CASES: readonly BenchCase[] = [
  {
    label: 'A: GET /customers/{id} (customers:read) + GET /customers/{id}/orders (orders:read)',
    routes: [route('GET /customers/{id}', ['customers:read']), route('GET /customers/{id}/orders', ['orders:read'])],
  },
  {
    label: 'B: GET /orders/{id} + GET /orders/{id}/items (both orders:read)',
    routes: [route('GET /orders/{id}', ['orders:read']), route('GET /orders/{id}/items', ['orders:read'])],
  },
  {
    label: 'C: GET /items/{id} (items:read) + open GET /items/search',
    routes: [route('GET /items/{id}', ['items:read']), route('GET /items/search', [])],
  },
  {
    label: 'D: open $default + GET /admin (admin)',
    routes: [route('$default', [], '/somewhere/else'), route('GET /admin', ['admin'])],
  },
  {
    label: 'E: open ANY /{proxy+} + GET /admin/users (admin)',
    routes: [route('ANY /{proxy+}', [], '/somewhere/else'), route('GET /admin/users', ['admin'])],
  },
  {
    label: 'F: open ANY /{proxy+} + GET /admin/users/{id} (admin)',
    routes: [route('ANY /{proxy+}', [], '/somewhere/else'), route('GET /admin/users/{id}', ['admin'])],
  },
  {
    label: 'G: GET /v1/orders/{id} (orders:read) + GET /v1/orders/{id}/invoice (billing:read)',
    routes: [route('GET /v1/orders/{id}', ['orders:read']), route('GET /v1/orders/{id}/invoice', ['billing:read'])],
  },
  ...[50, 150, 300].map((count) => ({
    label: `${count} routes GET /catalog/resource<i>/{id}, each its own scope catalog:r<i>`,
    routes: Array.from({ length: count }, (_, i) => route(`GET /catalog/resource${i}/{id}`, [`catalog:r${i}`])),
  })),
  {
    label: '50 routes GET /catalog/resource<i>/{id}, 3 scope sets (catalog:r<i mod 3>)',
    routes: Array.from({ length: 50 }, (_, i) => route(`GET /catalog/resource${i}/{id}`, [`catalog:r${i % 3}`])),
  },
  ...(['each route its own scope', '3 scope sets'] as const).map((sets) => ({
    label: `300 routes, 100 × GET /resource-NNN, GET and DELETE /resource-NNN/{id}, ${sets}`,
    routes: Array.from({ length: 100 }, (_, i) => `/resource-${String(i).padStart(3, '0')}`)
      .flatMap((name) => [`GET ${name}`, `GET ${name}/{id}`, `DELETE ${name}/{id}`])
      .map((routeKey, i) => route(routeKey, [sets === '3 scope sets' ? `resource:s${i % 3}` : `resource:r${i}`])),
  })),
];

async function main(): Promise<void> {
  // The handler writes a decision line per invocation to stdout: keep them out of the figures.
  const print = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  const line = (text: string) => print(`${text}\n`);

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
  const problems: string[] = [];
  try {
    line(
      `route table (#20), HTTP APIs of the construct through the local gateway: one token with every scope calling every route once within the TTL; ` +
        `largest answer for a token with every scope or none, ARN prefix ${ARN_PREFIX} (${ARN_PREFIX.length} bytes); synth over ${SYNTHS} synths`,
    );
    // One synth first, uncounted: the first loads aws-cdk-lib's modules.
    const options = { introspectionUrl: introspection.url, secretArn, backendUrl };
    synthesize(CASES[0]?.routes ?? [], join(dir, 'warm-up'), { ...options, sharing: CachedAnswerSharing.SAME_SCOPES });
    rmSync(join(dir, 'warm-up'), { recursive: true, force: true });
    for (const [index, benchCase] of SHARINGS.flatMap((sharing) => CASES.map((c) => ({ ...c, sharing }))).entries()) {
      const synthMs: number[] = [];
      let outdir = '';
      for (let i = 0; i < SYNTHS; i++) {
        if (outdir !== '') rmSync(outdir, { recursive: true, force: true });
        outdir = join(dir, `case-${index}-${i}`);
        const started = performance.now();
        synthesize(benchCase.routes, outdir, { ...options, sharing: benchCase.sharing });
        synthMs.push(performance.now() - started);
      }
      const measured = await measure(benchCase, outdir, introspection);
      problems.push(...measured.problems.map((problem) => `${benchCase.label}: ${problem}`));
      const worst = Math.max(...measured.plan.worstCaseBytes.values());
      const count = benchCase.routes.length;
      line(
        `[${benchCase.sharing}] ${benchCase.label}: ${measured.invocations} authorizer invocation${measured.invocations === 1 ? '' : 's'} for ${count} route${count === 1 ? '' : 's'}; ` +
          `${measured.authorizers} authorizer${measured.authorizers === 1 ? '' : 's'} (route table: groups ${measured.groups.join(', ')}); ` +
          `largest answer ${measured.largestAnswer} bytes (policy document ${measured.largestPolicy} bytes), plan's worst case ${worst} bytes (prefix counted at ${measured.prefixBytes} bytes); ` +
          `synth ${formatSummary(summarize(synthMs), 'ms', 0)}, plan alone ${measured.planMs.toFixed(0)} ms`,
      );
      rmSync(outdir, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await new Promise((resolve) => backend.close(resolve));
    await introspection.close();
    await secrets.close();
  }
  for (const problem of problems) line(`PROBLEM ${problem}`);
  if (problems.length > 0) process.exitCode = 1;
}

/** Builds the stack of one API with the construct and synthesizes it into `outdir` (the route table's layer included). */
function synthesize(
  routes: readonly BenchRoute[],
  outdir: string,
  options: {
    readonly introspectionUrl: string;
    readonly secretArn: string;
    readonly backendUrl: string;
    readonly sharing: CachedAnswerSharing;
  },
): void {
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, STACK, { env: ENVIRONMENT });
  const api = new HttpApi(stack, 'Api');
  const phantomToken = new PhantomTokenAuthorizer(stack, 'PhantomToken', {
    introspectionEndpoint: options.introspectionUrl,
    clientCredentialsSecretArn: options.secretArn,
    cachedAnswerSharing: options.sharing,
  });
  const integration = new HttpUrlIntegration('Backend', options.backendUrl);
  for (const { routeKey, scopes } of routes) {
    if (routeKey === '$default') {
      // addHttpRoutes takes paths; the catch-all route is added as any route, with the API's authorizer.
      new HttpRoute(api, 'CatchAll', {
        httpApi: api,
        routeKey: HttpRouteKey.DEFAULT,
        integration: phantomToken.forwardJwt(integration),
        authorizer: phantomToken.httpRouteAuthorizer(api),
      });
      phantomToken.requireScopes(routeKey, [...scopes]);
      continue;
    }
    const [method, path] = routeKey.split(' ') as [HttpMethod, string];
    phantomToken.addHttpRoutes(api, { path, methods: [method], integration, scopes: [...scopes] });
  }
  app.synth();
}

interface Measured {
  readonly invocations: number;
  readonly authorizers: number;
  readonly groups: readonly (number | 'route')[];
  readonly largestAnswer: number;
  readonly largestPolicy: number;
  readonly plan: RouteTablePlan;
  /** The ARN prefix bytes the plan counted each resource at. */
  readonly prefixBytes: number;
  readonly planMs: number;
  readonly problems: readonly string[];
}

/** The synthesized API behind the local gateway, and the handler's answers, for one case. */
async function measure(
  benchCase: BenchCase & { readonly sharing: CachedAnswerSharing },
  outdir: string,
  introspection: Introspection,
): Promise<Measured> {
  const problems: string[] = [];
  const api = readHttpApi(outdir, STACK, ENVIRONMENT.region);
  const fn = [...api.functions.values()].find((candidate) => candidate.environment[ENV.routeTableFile] !== undefined);
  if (fn === undefined) throw new Error(`no function with ${ENV.routeTableFile} in the template`);
  const tableFile = fn.environment[ENV.routeTableFile] as string;
  const tableJson = readFileSync(tableFile, 'utf8');
  const table = parseRouteTable(tableJson);
  const resources = readResources(outdir, STACK);
  const authorizers = resourcesOfType(resources, 'AWS::ApiGatewayV2::Authorizer').length;
  // The groups the function was given: those of the layer's table.
  const groups = [...new Set([...table.routes.values()].map((r) => r.group))].sort((a, b) =>
    a === 'route' ? 1 : b === 'route' ? -1 : a - b,
  );
  if (groups.length !== authorizers)
    problems.push(`${authorizers} authorizers in the template, ${groups.length} groups in the route table`);

  // The plan again, from the template (routes, stage names) and the table's scopes: the construct's, if its JSON is the layer's file.
  const stageNames = resourcesOfType(resources, 'AWS::ApiGatewayV2::Stage').map(([, stage]) => String(stage.Properties?.StageName));
  const prefixBytes = arnPrefixBytes(ENVIRONMENT.region, ENVIRONMENT.account, stageNames);
  const guardedRouteKeys = api.routes.filter((r) => r.authorizer !== undefined).map((r) => r.routeKey);
  const declarations = new Map([...table.routes.values()].map((r) => [r.routeKey, r.scopes]));
  const planned = performance.now();
  const plan = planRouteTable(
    declarations,
    [{ name: `${STACK}/Api`, guardedRouteKeys, allRouteKeys: new Set(api.routes.map((r) => r.routeKey)), lookup: 'http', prefixBytes }],
    benchCase.sharing,
  );
  const planMs = performance.now() - planned;
  if (plan.json !== tableJson) problems.push("the plan made from the template differs from the layer's route table");

  const handler = createAuthorizer(fn.environment);
  const everyScope = [...new Set(benchCase.routes.flatMap((r) => r.scopes))];
  const all = introspection.issue(everyScope);
  const none = introspection.issue([]);
  // Small APIs: also a token for each scoped route holding every scope but that route's (where a Deny matters).
  const others =
    benchCase.routes.length > 10
      ? []
      : benchCase.routes
          .filter((r) => r.scopes.length > 0)
          .map((r) => {
            const scopes = everyScope.filter((scope) => !r.scopes.includes(scope));
            return { token: introspection.issue(scopes), scopes, who: `a token with ${scopes.join(' ') || 'no scope'}` };
          });
  const checks = [{ token: none, scopes: [], who: 'the token with no scope' }, ...others];
  // One invocation per shared group, and one per route cached per route.
  const expected =
    groups.filter((group) => group !== 'route').length + [...table.routes.values()].filter((r) => r.group === 'route').length;
  const invocations = await throughGateway(api, fn.logicalId, handler, benchCase.routes, all, checks, expected, problems);

  let largestAnswer = 0;
  let largestPolicy = 0;
  for (const group of groups) {
    const member = [...table.routes.values()].find((r) => r.group === group);
    const request = benchCase.routes.find((r) => r.routeKey === member?.routeKey) as BenchRoute;
    for (const token of [all, none]) {
      const answer = (await handler(authorizerEvent(request, token))) as { policyDocument?: unknown };
      largestAnswer = Math.max(largestAnswer, Buffer.byteLength(JSON.stringify(answer)));
      largestPolicy = Math.max(largestPolicy, Buffer.byteLength(JSON.stringify(answer.policyDocument ?? null)));
    }
  }
  return { invocations, authorizers, groups, largestAnswer, largestPolicy, plan, prefixBytes, planMs, problems };
}

/**
 * Serves the API with the handler in-process, and calls every route with the token holding every
 * scope (twice: the second round must be answered from the gateway's cache), then with each token
 * of `checks`, checking each status. Returns the first round's authorizer invocations.
 */
async function throughGateway(
  api: LocalHttpApi,
  functionId: string,
  handler: AuthorizerHandler,
  routes: readonly BenchRoute[],
  all: string,
  checks: readonly { readonly token: string; readonly scopes: readonly string[]; readonly who: string }[],
  expected: number,
  problems: string[],
): Promise<number> {
  const runner = {
    invoke: async (event: unknown) => {
      try {
        return { ok: true as const, result: await handler(event) };
      } catch (error) {
        return { ok: false as const, errorType: (error as Error).name, errorMessage: (error as Error).message };
      }
    },
  } as unknown as LambdaRunner;
  const gateway = new LocalHttpApiGateway({ api, runners: new Map([[functionId, runner]]), region: ENVIRONMENT.region });
  await gateway.start();
  try {
    const call = async (r: BenchRoute, token: string, expected: number, who: string) => {
      const response = await fetch(`${gateway.url}${r.path}`, { method: requestMethod(r), headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      if (response.status !== expected)
        problems.push(`${r.routeKey} (${requestMethod(r)} ${r.path}) answered ${response.status} to ${who}, not ${expected}`);
    };
    for (const r of routes) await call(r, all, 200, 'the token with every scope');
    const invocations = gateway.authorizerInvocations;
    if (invocations !== expected)
      problems.push(`${invocations} invocations for the token with every scope, ${expected} expected from the groups`);
    for (const r of routes) await call(r, all, 200, 'the token with every scope, again');
    if (gateway.authorizerInvocations !== invocations) {
      problems.push(`the second round cost ${gateway.authorizerInvocations - invocations} invocations within the TTL`);
    }
    for (const { token, scopes, who } of checks) {
      for (const r of routes) await call(r, token, r.scopes.every((scope) => scopes.includes(scope)) ? 200 : 403, who);
    }
    return invocations;
  } finally {
    await gateway.close();
  }
}

/** The method of the requests sent to `r`: its own, or GET for `ANY` and `$default`. */
function requestMethod(r: BenchRoute): string {
  return r.routeKey === '$default' || r.routeKey.startsWith('ANY ') ? 'GET' : r.routeKey.slice(0, r.routeKey.indexOf(' '));
}

/** A payload 2.0 authorizer event of a request of `r`, with a deployed ARN's shape. */
function authorizerEvent(r: BenchRoute, token: string) {
  const method = requestMethod(r);
  const now = new Date();
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `${ARN_PREFIX}${method}${r.path}`,
    identitySource: [`Bearer ${token}`],
    routeKey: r.routeKey,
    rawPath: r.path,
    rawQueryString: '',
    headers: { authorization: `Bearer ${token}`, host: 'abcdefghij.execute-api.eu-west-1.amazonaws.com' },
    requestContext: {
      accountId: ENVIRONMENT.account,
      apiId: 'abcdefghij',
      domainName: 'abcdefghij.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abcdefghij',
      http: { method, path: r.path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'bench' },
      requestId: randomBytes(8).toString('hex'),
      routeKey: r.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

type Introspection = Awaited<ReturnType<typeof startIntrospection>>;

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
