import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enumMember, JsiiRuntimeClient, JsiiRuntimeError, type ObjRef, struct } from './jsii-runtime-client.js';
import { README_EXAMPLE } from './readme-example.js';
import { lockedVersion, RegistryUnreachableError, registryTarball } from './registry-tarballs.js';

/**
 * A non-TypeScript CDK app, as the Python, Java, .NET and Go libraries run one: every call goes
 * through the jsii runtime (`@jsii/runtime`, its self-contained webpack build) over its JSON-lines
 * protocol, with the assemblies loaded from their npm tarballs: constructs, aws-cdk-lib's jsii
 * dependencies, aws-cdk-lib and this package as `npm pack` builds it. The app mirrors the README's
 * Python example. Tarballs are cached in node_modules/.cache/jsii-runtime-test; the test skips,
 * saying so, only when the npm registry cannot be reached for one that is not cached yet.
 */
const root = resolve(__dirname, '../..');
const cacheDir = join(root, 'node_modules/.cache/jsii-runtime-test');
const RUNTIME_VERSION = '1.140.0';
const exec = promisify(execFile);

/** aws-cdk-lib's jsii dependencies, loaded before it in this order, at the versions installed here. */
const CDK_ASSEMBLIES = [
  'constructs',
  '@aws-cdk/cloud-assembly-schema',
  '@aws-cdk/asset-awscli-v1',
  '@aws-cdk/asset-node-proxy-agent-v6',
  'aws-cdk-lib',
];

const DURATION = 'aws-cdk-lib.Duration';
const PROPS = 'cdk-phantom-token.PhantomTokenAuthorizerProps';

let skipReason: string | undefined;
let work: string;
let client: JsiiRuntimeClient;
const loaded: Record<string, number> = {};
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
let outdirOf: string;
let routeRefs: unknown;
let jwtHeaderName: unknown;
let invalidPropsError: unknown;

async function packThisPackage(destination: string): Promise<string> {
  // prepack runs `npm run build`: the tarball holds the .jsii assembly, dist/ and the prebuilt authorizer.
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  const packed = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as { filename: string }[];
  return join(destination, packed[0]?.filename as string);
}

beforeAll(async () => {
  const tarballs: Record<string, string> = {};
  try {
    for (const name of CDK_ASSEMBLIES) tarballs[name] = await registryTarball(cacheDir, name, lockedVersion(root, name));
    tarballs['@jsii/runtime'] = await registryTarball(cacheDir, '@jsii/runtime', RUNTIME_VERSION);
  } catch (error) {
    if (!(error instanceof RegistryUnreachableError)) throw error;
    skipReason = `the npm registry cannot be reached, so the jsii runtime and the assemblies cannot be fetched (${error.message})`;
    process.stderr.write(`jsii runtime test skipped: ${skipReason}\n`);
    return;
  }
  work = mkdtempSync(join(tmpdir(), 'phantom-jsii-'));
  await exec('tar', ['xzf', tarballs['@jsii/runtime'] as string, '-C', work]);
  const ownTarball = await packThisPackage(work);

  client = new JsiiRuntimeClient(join(work, 'package/webpack/bin/jsii-runtime.js'));
  for (const name of CDK_ASSEMBLIES) {
    loaded[name] = (await client.load(name, lockedVersion(root, name), tarballs[name] as string)).types;
  }
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  loaded['cdk-phantom-token'] = (await client.load('cdk-phantom-token', version, ownTarball)).types;

  // The README's Python example, call for call.
  const outdir = join(work, 'cdk.out');
  const app = await client.create('aws-cdk-lib.App', [struct('aws-cdk-lib.AppProps', { outdir })]);
  const example = README_EXAMPLE;
  const stack = await client.create('aws-cdk-lib.Stack', [app, example.stackId]);
  const api = await client.create('aws-cdk-lib.aws_apigatewayv2.HttpApi', [stack, 'Api']);
  const durations: Record<string, unknown> = {};
  for (const [prop, [factory, amount]] of Object.entries(example.durations)) {
    durations[prop] = await client.sinvoke(DURATION, factory, [amount]);
  }
  const phantomToken = await client.create('cdk-phantom-token.PhantomTokenAuthorizer', [
    stack,
    'PhantomToken',
    struct(PROPS, {
      ...example.props,
      introspectionResponseType: enumMember('cdk-phantom-token.IntrospectionResponseType', example.introspectionResponseType),
      ...durations,
    }),
  ]);
  const integration = await client.create('aws-cdk-lib.aws_apigatewayv2_integrations.HttpUrlIntegration', [...example.route.integration]);
  routeRefs = await client.invoke(phantomToken, 'addHttpRoutes', [
    api,
    struct('cdk-phantom-token.PhantomTokenHttpRouteOptions', {
      path: example.route.path,
      methods: [enumMember('aws-cdk-lib.aws_apigatewayv2.HttpMethod', example.route.method)],
      integration,
      scopes: example.route.scopes,
    }),
  ]);
  await client.invoke(api, 'addRoutes', [
    struct('aws-cdk-lib.aws_apigatewayv2.AddRoutesOptions', {
      path: example.ownRoute.path,
      methods: [enumMember('aws-cdk-lib.aws_apigatewayv2.HttpMethod', example.ownRoute.method)],
      integration: await client.invoke(phantomToken, 'forwardJwt', [integration]),
      authorizer: await client.invoke(phantomToken, 'httpRouteAuthorizer', [api]),
    }),
  ]);
  await client.invoke(phantomToken, 'requireScopes', [...example.requireScopes]);
  jwtHeaderName = await client.get(phantomToken, 'jwtHeaderName');
  await client.invoke(app as ObjRef, 'synth');
  template = JSON.parse(readFileSync(join(outdir, 'OrdersApi.template.json'), 'utf8'));
  outdirOf = outdir;

  invalidPropsError = await client
    .create('cdk-phantom-token.PhantomTokenAuthorizer', [
      stack,
      'Invalid',
      struct(PROPS, { introspectionEndpoint: 'http://login.example.com/introspect', clientCredentialsSecretName: 'x' }),
    ])
    .then(
      () => undefined,
      (error: unknown) => error,
    );
}, 300_000);

afterAll(async () => {
  await client?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

const resourcesOf = (type: string) => Object.values(template.Resources).filter((resource) => resource.Type === type);

describe('the construct driven through the jsii runtime, as a Python, Java, .NET or Go app drives it', () => {
  it('loads aws-cdk-lib, its jsii dependencies and this package from their tarballs', (context) => {
    if (skipReason !== undefined) return context.skip(skipReason);
    expect(loaded['aws-cdk-lib']).toBeGreaterThan(1_000);
    // The three enums (introspection response type, DPoP algorithm, cached answer sharing), the
    // construct, its three props and options structs, the shared cache and revocation options
    // structs, the alarm thresholds struct and the access-log format class.
    expect(loaded['cdk-phantom-token']).toBe(11);
  });

  it('creates the function with Durations, an enum member and a secret given by name', (context) => {
    if (skipReason !== undefined) return context.skip(skipReason);
    const [fn, ...others] = resourcesOf('AWS::Lambda::Function');
    expect(others).toHaveLength(0);
    expect(fn?.Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      // Twice the 2.5 s introspection timeout plus one second.
      Timeout: 6,
      Environment: {
        Variables: expect.objectContaining({
          INTROSPECTION_ENDPOINT: 'https://login.example.com/oauth/v2/oauth-introspect',
          CLIENT_CREDENTIALS_SECRET: 'phantom-token/introspection-client',
          INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
          JWKS_URI: 'https://login.example.com/oauth/v2/oauth-anonymous/jwks',
          CACHE_MAX_TTL_SECONDS: '120',
          INTROSPECTION_TIMEOUT_MS: '2500',
        }),
      },
    });
  });

  it('adds the protected route through addHttpRoutes and hands back the route objects', (context) => {
    if (skipReason !== undefined) return context.skip(skipReason);
    expect(routeRefs).toEqual([{ '$jsii.byref': expect.stringMatching(/^aws-cdk-lib\.aws_apigatewayv2\.HttpRoute@\d+$/) }]);
    const [authorizer] = resourcesOf('AWS::ApiGatewayV2::Authorizer');
    expect(authorizer?.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      // Policy answers, one per token across routes (#10).
      EnableSimpleResponses: false,
      AuthorizerPayloadFormatVersion: '2.0',
      AuthorizerResultTtlInSeconds: 30,
    });
    const routes = resourcesOf('AWS::ApiGatewayV2::Route').map((route) => route.Properties);
    expect(routes).toEqual([
      expect.objectContaining({ RouteKey: 'GET /orders', AuthorizationType: 'CUSTOM' }),
      expect.objectContaining({ RouteKey: 'POST /orders', AuthorizationType: 'CUSTOM' }),
    ]);
    const [integration] = resourcesOf('AWS::ApiGatewayV2::Integration');
    expect(integration?.Properties.RequestParameters).toEqual({ 'overwrite:header.x-phantom-jwt': '$context.authorizer.jwt' });
    expect(jwtHeaderName).toBe('x-phantom-jwt');
  });

  it('hands the routes and scopes of addHttpRoutes and requireScopes to the function in its route table', (context) => {
    if (skipReason !== undefined) return context.skip(skipReason);
    const [layer] = resourcesOf('AWS::Lambda::LayerVersion');
    if (layer === undefined) throw new Error('no route-table layer in the template');
    const assetDir = `asset.${String((layer.Properties.Content as { S3Key: string }).S3Key).replace(/\.zip$/, '')}`;
    const table = JSON.parse(readFileSync(join(outdirOf, assetDir, 'phantom-token', 'route-table.json'), 'utf8')) as {
      routes: { routeKey: string; scopes: string[] }[];
    };
    expect(table.routes.map(({ routeKey, scopes }) => [routeKey, scopes])).toEqual([
      ['GET /orders', ['orders:read']],
      ['POST /orders', ['orders:write']],
    ]);
  });

  it("reports invalid props to the calling language as a runtime error carrying the construct's message", (context) => {
    if (skipReason !== undefined) return context.skip(skipReason);
    expect(invalidPropsError).toBeInstanceOf(JsiiRuntimeError);
    expect((invalidPropsError as Error).message).toContain(
      'introspectionEndpoint must use https (plain http only for 127.0.0.1 or localhost); received "http://login.example.com/introspect"',
    );
  });
});
