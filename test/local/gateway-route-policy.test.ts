import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import type { LambdaRunner } from '../../local/lambda-runner.js';
import { readHttpApi } from '../../local/template.js';
import { authorizerIn, unbundledStack } from '../lib/stacks.js';
import { rememberSecret } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

/**
 * The issue #10 guarantee, exhaustively, through the local gateway (which evaluates IAM policy
 * answers and caches them by identity-source values, as API Gateway documents): for every route
 * of a table (static, `{param}`, nested params, `{proxy+}`, methods including `ANY`), every set of
 * scopes a token can hold and several call orders, each request is allowed exactly when the
 * token's scopes include the scopes of the route API Gateway selects. The template comes from the
 * construct; the authorizer is the real handler configured with that template's environment.
 */

const ALL_SCOPES = ['a', 'b', 'c', 'd'] as const;

interface RouteSpec {
  readonly path: string;
  readonly methods: HttpMethod[];
  readonly scopes: string[];
}

/** A request, and the route key API Gateway sends it to. */
interface Probe {
  readonly method: string;
  readonly path: string;
  readonly route: string;
}

/** Routes whose globs separate them exactly: one cached answer per token serves them all. */
const EXACT_ROUTES: RouteSpec[] = [
  { path: '/items', methods: [HttpMethod.GET], scopes: ['a'] },
  { path: '/items', methods: [HttpMethod.POST], scopes: ['b'] },
  { path: '/items/{id}', methods: [HttpMethod.GET], scopes: ['a'] },
  { path: '/items/{id}', methods: [HttpMethod.DELETE], scopes: ['b'] },
  { path: '/items/{id}/parts/{part}', methods: [HttpMethod.GET], scopes: ['a', 'c'] },
  { path: '/items/special', methods: [HttpMethod.GET], scopes: ['a', 'b'] },
  { path: '/orders', methods: [HttpMethod.ANY], scopes: ['c'] },
  { path: '/orders', methods: [HttpMethod.GET], scopes: ['a'] },
  { path: '/files/{proxy+}', methods: [HttpMethod.GET], scopes: ['d'] },
  { path: '/health', methods: [HttpMethod.GET], scopes: [] },
];

const EXACT_PROBES: Probe[] = [
  { method: 'GET', path: '/items', route: 'GET /items' },
  { method: 'POST', path: '/items', route: 'POST /items' },
  { method: 'GET', path: '/items/42', route: 'GET /items/{id}' },
  { method: 'DELETE', path: '/items/42', route: 'DELETE /items/{id}' },
  { method: 'GET', path: '/items/42/parts/7', route: 'GET /items/{id}/parts/{part}' },
  { method: 'GET', path: '/items/special', route: 'GET /items/special' },
  { method: 'GET', path: '/orders', route: 'GET /orders' },
  { method: 'POST', path: '/orders', route: 'ANY /orders' },
  { method: 'PATCH', path: '/orders', route: 'ANY /orders' },
  { method: 'GET', path: '/files/a/b/c.txt', route: 'GET /files/{proxy+}' },
  { method: 'GET', path: '/files/items', route: 'GET /files/{proxy+}' },
  { method: 'GET', path: '/health', route: 'GET /health' },
];

/**
 * The issue's example: `GET /orders/{id}` and `GET /orders/{id}/items` with different scopes. The
 * glob `GET/orders/*` matches requests of both, so the construct caches this API per route.
 */
const OVERLAPPING_ROUTES: RouteSpec[] = [
  { path: '/orders/{id}', methods: [HttpMethod.GET], scopes: ['a'] },
  { path: '/orders/{id}/items', methods: [HttpMethod.GET], scopes: ['b'] },
  { path: '/orders', methods: [HttpMethod.ANY], scopes: ['c'] },
  { path: '/{proxy+}', methods: [HttpMethod.GET], scopes: [] },
];

const OVERLAPPING_PROBES: Probe[] = [
  { method: 'GET', path: '/orders/1', route: 'GET /orders/{id}' },
  { method: 'GET', path: '/orders/1/items', route: 'GET /orders/{id}/items' },
  { method: 'POST', path: '/orders', route: 'ANY /orders' },
  { method: 'GET', path: '/orders', route: 'ANY /orders' },
  { method: 'GET', path: '/orders/1/items/2', route: 'GET /{proxy+}' },
  { method: 'GET', path: '/elsewhere', route: 'GET /{proxy+}' },
];

function scopeSets(): string[][] {
  const sets: string[][] = [];
  for (let mask = 0; mask < 2 ** ALL_SCOPES.length; mask += 1) sets.push(ALL_SCOPES.filter((_, i) => mask & (1 << i)));
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

/** Synthesizes the table with the construct; returns the template and a running gateway whose authorizer is the real handler. */
async function gatewayFor(routes: readonly RouteSpec[]) {
  const stack = unbundledStack();
  const api = new HttpApi(stack, 'Api');
  const phantomToken = authorizerIn(stack, { introspectionEndpoint: introspection.url });
  for (const [i, route] of routes.entries()) {
    phantomToken.addHttpRoutes(api, {
      path: route.path,
      methods: route.methods,
      integration: new HttpUrlIntegration(`Backend${i}`, backendUrl),
      scopes: route.scopes,
    });
  }
  const template = Template.fromStack(stack);
  const dir = mkdtempSync(join(tmpdir(), 'route-policy-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'Test.template.json'), JSON.stringify(template.toJSON()));
  const localApi = readHttpApi(dir, 'Test', 'eu-west-1');
  const [authorizerFn] = [...localApi.functions.values()];
  if (authorizerFn === undefined) throw new Error('no authorizer function in the template');
  const handler = peers.authorizer({ ...authorizerFn.environment, CLIENT_CREDENTIALS_SECRET: peers.secretArn });
  const runner = {
    invoke: async (event: unknown) => {
      try {
        return { ok: true as const, result: await handler(event) };
      } catch (error) {
        return { ok: false as const, errorType: (error as Error).name, errorMessage: (error as Error).message };
      }
    },
  } as unknown as LambdaRunner;
  const gateway = new LocalHttpApiGateway({ api: localApi, runners: new Map([[authorizerFn.logicalId, runner]]), region: 'eu-west-1' });
  await gateway.start();
  return { stack, template, gateway };
}

/** Calls every probe in every order with a fresh token of every scope set; returns each wrong decision. */
async function exercise(gateway: LocalHttpApiGateway, routes: readonly RouteSpec[], probes: readonly Probe[], perRoute: boolean) {
  const required = new Map<string, string[]>();
  for (const route of routes) for (const method of route.methods) required.set(`${method} ${route.path}`, route.scopes);
  const wrong: string[] = [];
  let decisions = 0;
  for (const scopes of scopeSets()) {
    for (const order of orders(probes)) {
      const token = introspection.issue(scopes);
      const before = gateway.authorizerInvocations;
      for (const probe of order) {
        const response = await fetch(`${gateway.url}${probe.path}`, {
          method: probe.method,
          headers: { authorization: `Bearer ${token}` },
        });
        await response.arrayBuffer();
        const truth = (required.get(probe.route) ?? []).every((scope) => scopes.includes(scope));
        decisions += 1;
        if (response.status !== (truth ? 200 : 403)) {
          wrong.push(
            `[${scopes.join(' ')}] ${probe.method} ${probe.path} (${probe.route}): ${response.status}, expected ${truth ? 200 : 403}`,
          );
        }
      }
      const invocations = gateway.authorizerInvocations - before;
      const expected = perRoute ? new Set(probes.map((probe) => probe.route)).size : 1;
      if (invocations !== expected) wrong.push(`[${scopes.join(' ')}] ${invocations} authorizer invocations, expected ${expected}`);
    }
  }
  return { wrong, decisions };
}

describe('one cached IAM policy per token, exact on every route', () => {
  it('allows exactly the routes a token scopes cover, in any call order, with one authorizer invocation per token', async () => {
    const { template, gateway } = await gatewayFor(EXACT_ROUTES);
    try {
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        EnableSimpleResponses: false,
        IdentitySource: ['$request.header.Authorization'],
      });
      const { wrong, decisions } = await exercise(gateway, EXACT_ROUTES, EXACT_PROBES, false);
      expect(wrong).toEqual([]);
      expect(decisions).toBe(16 * 4 * EXACT_PROBES.length);
    } finally {
      await gateway.close();
    }
  }, 180_000);

  it('caches per route, with a synth warning naming the routes, where globs cannot separate them, and stays exact', async () => {
    const { stack, template, gateway } = await gatewayFor(OVERLAPPING_ROUTES);
    try {
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        EnableSimpleResponses: false,
        IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
      });
      Annotations.fromStack(stack).hasWarning(
        '/Test/Api',
        Match.stringLikeRegexp('GET /orders/\\{id\\} \\(glob GET/orders/\\*\\) also matches requests of GET /orders/\\{id\\}/items'),
      );
      const { wrong } = await exercise(gateway, OVERLAPPING_ROUTES, OVERLAPPING_PROBES, true);
      expect(wrong).toEqual([]);
    } finally {
      await gateway.close();
    }
  }, 180_000);
});
