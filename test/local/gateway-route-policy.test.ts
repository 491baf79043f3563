import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HttpIntegration, type IResource, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, type HttpMethod, HttpRoute, HttpRouteKey } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedAnswerSharing } from '../../lib/index.js';
import { LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import { WILDCARD_READINGS, type WildcardReading } from '../../local/iam-policy.js';
import type { LambdaRunner } from '../../local/lambda-runner.js';
import { LocalRestApiGateway } from '../../local/rest-api-gateway.js';
import { selectRestMethod } from '../../local/rest-resource-selection.js';
import { readRestApi } from '../../local/rest-template.js';
import { type RouteLike, selectRoute } from '../../local/route-selection.js';
import { routingPath } from '../../local/routing-path.js';
import { type LocalFunction, readHttpApi } from '../../local/template.js';
import { authorizerIn, unbundledApp, unbundledStack } from '../lib/stacks.js';
import { rememberSecret } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';
import { type ApiShape, KNOWN_METHODS, type Probe, routeKeyOf, SHAPES, type Shape } from './route-shapes.js';

/**
 * Issue #20's guarantee, exhaustively, through the local gateways (which evaluate IAM policy
 * answers and cache them by identity-source values, as API Gateway documents): for each route
 * shape of the issue (test/local/route-shapes.ts), as an HTTP API and as a REST API, every set of
 * scopes a token can hold, several call orders and both readings of IAM wildcards, a request is
 * allowed exactly when the token holds every scope of the route the gateway selects and its method
 * is one of the seven; a trailing `/` or a `//` is never allowed beyond that (it may be denied);
 * and a token calling every route costs one authorizer invocation per authorizer the construct
 * made for the API. The template comes from the construct, the route table from its layer; the
 * authorizer is the real handler configured with that template's environment.
 */

type ApiType = 'http' | 'rest';

/** Every subset of the alphabet; an entry may bundle several scopes (`'a b'`), held together. */
function scopeSets(alphabet: readonly string[]): string[][] {
  const sets: string[][] = [];
  for (let mask = 0; mask < 2 ** alphabet.length; mask += 1) {
    sets.push(alphabet.filter((_, i) => mask & (1 << i)).flatMap((entry) => entry.split(' ')));
  }
  return sets;
}

/** Forward, backward and two seeded shuffles. */
function orders<T>(items: readonly T[]): T[][] {
  const shuffled = (seed: number) => {
    const copy = [...items];
    let state = seed;
    for (let i = copy.length - 1; i > 0; i -= 1) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      const j = state % (i + 1);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  };
  return [[...items], [...items].reverse(), shuffled(7), shuffled(11)];
}

/**
 * A Curity-compatible phantom introspection endpoint on 127.0.0.1 for tokens of any scopes (the
 * local OAuth server knows only read and write): 200 with a signed JWT for a token it issued, 204
 * for any other.
 */
async function startIntrospectionServer() {
  const key = new TextEncoder().encode(randomBytes(32).toString('hex'));
  const issued = new Map<string, readonly string[]>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString()).get('token') ?? '';
      const scopes = issued.get(token);
      if (scopes === undefined) return void response.writeHead(204).end();
      const jwt = await new SignJWT({ sub: 'user-1', client_id: 'table-client', scope: scopes.join(' ') })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('10m')
        .sign(key);
      response.writeHead(200, { 'content-type': 'application/jwt' }).end(jwt);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`,
    /** A fresh opaque token holding these scopes. */
    issue(scopes: readonly string[]): string {
      const token = rememberSecret(randomBytes(24).toString('base64url'));
      issued.set(token, scopes);
      return token;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let peers: Peers;
let introspection: Awaited<ReturnType<typeof startIntrospectionServer>>;
let backend: http.Server;
let backendUrl: string;
const dirs: string[] = [];

beforeAll(async () => {
  peers = await startPeers();
  introspection = await startIntrospectionServer();
  backend = http.createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await peers?.close();
  await introspection?.close();
  await new Promise((resolve) => backend?.close(resolve));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A route of either API as the local gateway read it from the template. */
interface ServedRoute extends RouteLike {
  readonly authorizer: { readonly logicalId: string; readonly identitySources: readonly string[] } | undefined;
}

interface TemplateAuthorizer {
  readonly logicalId: string;
  readonly identitySources: readonly string[];
  /** Caches per route: its identity sources name the route (HTTP) or the method and resource (REST). */
  readonly perRoute: boolean;
}

interface Deployment {
  readonly routes: readonly ServedRoute[];
  readonly authorizers: readonly TemplateAuthorizer[];
  /** The route table the function reads (its layer's file): route key → group and scopes. */
  readonly table: ReadonlyMap<string, { readonly group: number | 'route'; readonly scopes: readonly string[] }>;
  readonly authorizerFn: LocalFunction;
  /** A running gateway over the template, its authorizer the given runner. */
  gateway(runner: LambdaRunner, reading: WildcardReading): Promise<LocalHttpApiGateway | LocalRestApiGateway>;
}

/** `/customers/{id}` on a REST API: the resources, made once each. */
function restResource(root: IResource, path: string): IResource {
  let resource = root;
  for (const part of path.split('/').filter((segment) => segment !== ''))
    resource = resource.getResource(part) ?? resource.addResource(part);
  return resource;
}

/** Synthesizes the API with the construct into a cloud assembly, and reads it as the local gateways do. */
function deploy(api: ApiShape, type: ApiType, cachedAnswerSharing: CachedAnswerSharing): Deployment {
  const app = unbundledApp();
  const stack = unbundledStack(app);
  const phantomToken = authorizerIn(stack, { introspectionEndpoint: introspection.url, cachedAnswerSharing });
  if (type === 'http') {
    const httpApi = new HttpApi(stack, 'Api');
    for (const [i, route] of api.routes.entries()) {
      const integration = new HttpUrlIntegration(`Backend${i}`, backendUrl);
      if (route.method === '$default') {
        new HttpRoute(httpApi, 'DefaultRoute', {
          httpApi,
          routeKey: HttpRouteKey.DEFAULT,
          integration: phantomToken.forwardJwt(integration),
          authorizer: phantomToken.httpRouteAuthorizer(httpApi),
        });
        phantomToken.requireScopes('$default', [...route.scopes]);
      } else {
        phantomToken.addHttpRoutes(httpApi, {
          path: route.path,
          methods: [route.method as HttpMethod],
          integration,
          scopes: [...route.scopes],
        });
      }
    }
  } else {
    const restApi = new RestApi(stack, 'Api', { deployOptions: { stageName: 'prod' } });
    for (const route of api.routes) {
      phantomToken.addRestMethod(
        restResource(restApi.root, route.path),
        route.method,
        new HttpIntegration(backendUrl, { httpMethod: 'ANY', proxy: true }),
        { scopes: [...route.scopes] },
      );
    }
  }
  const dir = app.synth().directory;
  dirs.push(dir);
  const resources = (
    JSON.parse(readFileSync(join(dir, `${stack.artifactId}.template.json`), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    }
  ).Resources;
  const authorizers = Object.entries(resources)
    .filter(([, resource]) => resource.Type === (type === 'http' ? 'AWS::ApiGatewayV2::Authorizer' : 'AWS::ApiGateway::Authorizer'))
    .map(([logicalId, { Properties }]) => {
      const identitySources =
        type === 'http'
          ? (Properties.IdentitySource as string[])
          : String(Properties.IdentitySource)
              .split(',')
              .map((s) => s.trim());
      return { logicalId, identitySources, perRoute: identitySources.length > 1 };
    });
  const local = type === 'http' ? readHttpApi(dir, stack.artifactId, 'eu-west-1') : readRestApi(dir, stack.artifactId, 'eu-west-1');
  const authorizerFn = [...local.functions.values()].find((fn) => fn.environment.ROUTE_TABLE_FILE !== undefined);
  if (authorizerFn === undefined) throw new Error('no authorizer function with a route table in the template');
  const file = authorizerFn.environment.ROUTE_TABLE_FILE as string;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { routes: { routeKey: string; group: number | 'route'; scopes: string[] }[] };
  const table = new Map(parsed.routes.map(({ routeKey, group, scopes }) => [routeKey, { group, scopes }]));
  const routes: readonly ServedRoute[] = 'routes' in local ? local.routes : local.methods;
  return {
    routes,
    authorizers,
    table,
    authorizerFn,
    async gateway(runner, reading) {
      const runners = new Map([[authorizerFn.logicalId, runner]]);
      const options = { runners, region: 'eu-west-1', wildcardReading: reading };
      const gateway =
        'routes' in local ? new LocalHttpApiGateway({ api: local, ...options }) : new LocalRestApiGateway({ api: local, ...options });
      await gateway.start();
      return gateway;
    },
  };
}

/** What the authorizer was asked and answered, per token: its invocations and its policy documents. */
interface Ledger {
  invocations: number;
  readonly answers: string[];
}

/**
 * The real handler, configured with the template's environment (the route table from its layer),
 * as the gateways' runner; it counts invocations and keeps each policy per token (by the
 * `Authorization` header the event carries), so a wrong decision can be shown with its policy.
 */
function countingRunner(fn: LocalFunction, ledgers: Map<string, Ledger>): LambdaRunner {
  // The peers' default ROUTE_SCOPES would clash with the table (the function refuses both): the template sets none.
  const handler = peers.authorizer({ ...fn.environment, CLIENT_CREDENTIALS_SECRET: peers.secretArn, ROUTE_SCOPES: '' });
  return {
    invoke: async (event: { headers?: Record<string, string> }) => {
      const ledger = ledgers.get(event.headers?.authorization ?? '');
      if (ledger !== undefined) ledger.invocations += 1;
      let result: unknown;
      try {
        result = await handler(event);
      } catch (error) {
        ledger?.answers.push(`threw ${(error as Error).name}: ${(error as Error).message}`);
        return { ok: false as const, errorType: (error as Error).name, errorMessage: (error as Error).message };
      }
      ledger?.answers.push(describePolicy(result));
      return { ok: true as const, result };
    },
  } as unknown as LambdaRunner;
}

/** A policy answer's statements, resources after `…/stage/`; never its context (the JWT). */
function describePolicy(answer: unknown): string {
  const statements = (answer as { policyDocument?: { Statement?: { Effect: string; Resource: string | string[] }[] } }).policyDocument
    ?.Statement;
  if (statements === undefined) return 'no policy';
  return statements
    .map(
      ({ Effect, Resource }) =>
        `${Effect} [${[Resource]
          .flat()
          .map((arn) => arn.replace(/^arn:[^/]*\/[^/]*\//, ''))
          .join(', ')}]`,
    )
    .join('; ');
}

/** Requests that name no route at all: whatever the gateway answers, never 2xx. */
const NO_ROUTE = undefined;

/**
 * The route the gateway selects: HTTP API route selection or the REST resource walk, a trailing
 * slash routing as the path without it on both (rest-resource-selection.ts).
 */
function select(type: ApiType, routes: readonly ServedRoute[], method: string, path: string): ServedRoute | undefined {
  return type === 'rest'
    ? selectRestMethod(routes, [], method, routingPath(path))?.route
    : selectRoute(routes, method, routingPath(path))?.route;
}

/** The oracle: the route the gateway selects, and whether the token may use it. */
function oracle(type: ApiType, routes: readonly ServedRoute[], api: ApiShape, probe: Probe, scopes: readonly string[]) {
  const selected = select(type, routes, probe.method, probe.path);
  if (selected === undefined) return { selected: NO_ROUTE, allowed: false };
  const spec = api.routes.find((route) => routeKeyOf(route) === selected.routeKey);
  if (spec === undefined && selected.authorizer !== undefined) throw new Error(`${selected.routeKey} is guarded but not in the shape`);
  const required = spec?.scopes ?? [];
  return { selected, allowed: KNOWN_METHODS.includes(probe.method) && required.every((scope) => scopes.includes(scope)) };
}

/** The authorizer caches a request can use: its authorizer, and for one that caches per route, its route. */
function cacheKey(type: ApiType, route: ServedRoute, method: string, authorizers: readonly TemplateAuthorizer[]): string | undefined {
  if (route.authorizer === undefined) return undefined;
  const perRoute = authorizers.find((a) => a.logicalId === route.authorizer?.logicalId)?.perRoute === true;
  if (!perRoute) return route.authorizer.logicalId;
  return `${route.authorizer.logicalId} ${type === 'http' ? route.routeKey : `${method} ${route.path}`}`;
}

/**
 * Every scope set × call order × reading, each with a fresh token and a fresh gateway cache: sends
 * the shape's probes and returns every wrong status and every token whose invocations differ from
 * the caches its requests use, and how many decisions and invocations there were.
 */
async function exercise(shape: Shape, api: ApiShape, type: ApiType, deployment: Deployment) {
  const ledgers = new Map<string, Ledger>();
  const runner = countingRunner(deployment.authorizerFn, ledgers);
  const wrong: string[] = [];
  let decisions = 0;
  const invocationCounts = new Set<number>();
  // One gateway per order and reading, each a stream of its own: the streams run side by side.
  const streams = WILDCARD_READINGS.flatMap((reading) => orders(api.probes).map((order, index) => ({ reading, order, index })));
  await Promise.all(
    streams.map(async ({ reading, order, index }) => {
      const gateway = await deployment.gateway(runner, reading);
      try {
        for (const scopes of scopeSets(shape.alphabet)) {
          gateway.clearCache();
          const token = introspection.issue(scopes);
          const ledger: Ledger = { invocations: 0, answers: [] };
          ledgers.set(`Bearer ${token}`, ledger);
          const caches = new Set<string>();
          const where = `${reading}, order ${index}, scopes [${scopes.join(' ')}]`;
          for (const probe of order) {
            const response = await fetch(`${gateway.url}${probe.path}`, {
              method: probe.method,
              headers: { authorization: `Bearer ${token}` },
            });
            await response.arrayBuffer();
            decisions += 1;
            const { selected, allowed } = oracle(type, deployment.routes, api, probe, scopes);
            const key = selected && cacheKey(type, selected, probe.method, deployment.authorizers);
            if (key !== undefined) caches.add(key);
            const ok =
              selected === NO_ROUTE
                ? response.status < 200 || response.status > 299
                : allowed
                  ? response.status === 200 || (!probe.exact && response.status === 403)
                  : response.status === 403;
            if (!ok) {
              const expected = selected === NO_ROUTE ? 'not 2xx' : allowed ? (probe.exact ? '200' : '200 or 403') : '403';
              wrong.push(
                `[${where}] ${probe.method} ${probe.path} → ${selected?.routeKey ?? 'no route'}: ${response.status}, expected ${expected}; ` +
                  `policies: ${ledger.answers.join(' | ') || 'none'}`,
              );
            }
          }
          invocationCounts.add(ledger.invocations);
          if (ledger.invocations !== caches.size) {
            wrong.push(`[${where}] ${ledger.invocations} authorizer invocations for ${caches.size} caches (${[...caches].join(', ')})`);
          }
        }
      } finally {
        await gateway.close();
      }
    }),
  );
  return { wrong, decisions, invocations: Math.max(...invocationCounts) };
}

/** Whether each canonical probe goes where the shape says (the oracle's premise). */
function selections(type: ApiType, routes: readonly ServedRoute[], probes: readonly Probe[]): Record<string, string | undefined> {
  return Object.fromEntries(
    probes
      .filter((probe) => probe.exact)
      .map((probe) => [`${probe.method} ${probe.path}`, select(type, routes, probe.method, probe.path)?.routeKey]),
  );
}

/** Both ways of sharing cached answers, the default first. */
const SHARINGS = [CachedAnswerSharing.SAME_SCOPES, CachedAnswerSharing.EVALUATED_POLICY] as const;

const API_TYPES: readonly { readonly type: ApiType; readonly label: string }[] = [
  { type: 'http', label: 'HTTP API' },
  { type: 'rest', label: 'REST API' },
];

for (const shape of SHAPES) {
  describe(`route shape ${shape.name}: ${shape.description}`, () => {
    for (const [{ type, label }, sharing] of API_TYPES.flatMap((apiType) => SHARINGS.map((sharing) => [apiType, sharing] as const))) {
      const api = type === 'http' ? shape.http : shape.rest;
      if (api === undefined) continue;
      it(`${label}, ${sharing} sharing: allows a request exactly when the token holds its route's scopes and its method is one of the seven, under both wildcard readings and in any call order, never a trailing-slash or double-slash spelling beyond its route, at one invocation per authorizer`, async () => {
        const deployment = deploy(api, type, sharing);
        // Every route is in the function's table with its scopes, and each canonical request goes where the shape says.
        expect([...deployment.table.keys()].sort()).toEqual(api.routes.map(routeKeyOf).sort());
        for (const route of api.routes) expect(deployment.table.get(routeKeyOf(route))?.scopes).toEqual(route.scopes);
        expect(selections(type, deployment.routes, api.probes)).toEqual(
          Object.fromEntries(api.probes.filter((probe) => probe.exact).map((probe) => [`${probe.method} ${probe.path}`, probe.route])),
        );
        // The plan's groups, as the template has them: one authorizer each, the shared ones keyed by the Authorization header alone.
        const shared = deployment.authorizers.filter((authorizer) => !authorizer.perRoute);
        const perRouteRoutes = [...deployment.table.values()].filter((route) => route.group === 'route').length;
        const header = type === 'http' ? '$request.header.Authorization' : 'method.request.header.Authorization';
        for (const authorizer of shared) expect(authorizer.identitySources).toEqual([header]);
        if (sharing === CachedAnswerSharing.SAME_SCOPES) {
          // Routes of a shared group need the same scopes: a reused decision could not cross scopes either.
          const routes = [...deployment.table.values()];
          for (const route of routes) {
            if (route.group === 'route') continue;
            for (const other of routes.filter((r) => r.group === route.group))
              expect([...other.scopes].sort()).toEqual([...route.scopes].sort());
          }
        }
        if (shape.expected !== undefined && sharing === CachedAnswerSharing.EVALUATED_POLICY) {
          expect(deployment.authorizers).toHaveLength(shape.expected.authorizers);
          for (const [key, group] of Object.entries(shape.expected.groups ?? {})) expect(deployment.table.get(key)?.group).toBe(group);
        }

        const { wrong, decisions, invocations } = await exercise(shape, api, type, deployment);
        expect({ wrong: wrong.length, first: wrong.slice(0, 12) }).toEqual({ wrong: 0, first: [] });
        expect(decisions).toBe(2 ** shape.alphabet.length * 4 * WILDCARD_READINGS.length * api.probes.length);
        expect(invocations).toBeLessThanOrEqual(shared.length + perRouteRoutes);
        const expected = sharing === CachedAnswerSharing.EVALUATED_POLICY ? shape.expected?.invocations : undefined;
        if (expected !== undefined && 'exactly' in expected) expect(invocations).toBe(expected.exactly);
        if (expected !== undefined && 'atMost' in expected) expect(invocations).toBeLessThanOrEqual(expected.atMost);
      });
    }
  });
}
