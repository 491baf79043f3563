import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, type Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import {
  ApiDefinition,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  Cors,
  HttpIntegration,
  LambdaIntegration,
  ResponseType,
  RestApi,
  RestApiMode,
  SpecRestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { CachedAnswerSharing } from '../../lib/index.js';
import { authorizerIn, cfnLintErrors, routeTableOf, template, unbundledStack } from './stacks.js';

const BACKEND_URL = 'https://orders.example.com';
const backend = () => new HttpIntegration(BACKEND_URL, { proxy: true });
const CORS_HEADERS = { 'Access-Control-Allow-Origin': "'*'", 'Access-Control-Allow-Headers': "'Authorization,Content-Type'" };
const APP_ORIGIN = 'https://app.example.com';

/** Whether cfn-lint is on PATH: the template checks that need it are skipped, saying so, where it is not. */
const CFN_LINT = spawnSync('cfn-lint', ['--version']).status === 0;

/** The ResponseParameters of the API's one gateway response of this type. */
function responseParametersOf(t: Template, responseType: string): Record<string, string> {
  const responses = Object.values(t.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: responseType } }));
  expect(responses, `one ${responseType} response`).toHaveLength(1);
  return responses[0]?.Properties.ResponseParameters;
}

/** Every method of the template no authorizer guards: its HTTP method and integration. */
function unauthenticatedMethods(t: Template): { httpMethod: string; type: string; uri: unknown }[] {
  return Object.values(t.findResources('AWS::ApiGateway::Method'))
    .filter((method) => (method.Properties.AuthorizationType ?? 'NONE') === 'NONE')
    .map(({ Properties }) => ({ httpMethod: Properties.HttpMethod, type: Properties.Integration?.Type, uri: Properties.Integration?.Uri }));
}

/** The route table of the stack's authorizer function with each route's allow globs (the file in its layer). */
function fullRouteTableOf(stack: Stack): { routeKey: string; allow: string[] }[] {
  const [layer] = Object.values(template(stack).findResources('AWS::Lambda::LayerVersion'));
  if (layer === undefined) throw new Error(`no route-table layer in ${stack.node.path}`);
  const assetDir = `asset.${(layer.Properties.Content.S3Key as string).replace(/\.zip$/, '')}`;
  return JSON.parse(readFileSync(join(Stage.of(stack)?.outdir ?? '', assetDir, 'phantom-token', 'route-table.json'), 'utf8')).routes;
}

function lambdaBackend(stack: Stack): LambdaFunction {
  return new LambdaFunction(stack, 'Backend', {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler=async()=>({})'),
  });
}

/** A REST API whose methods Cognito guards by default, with scopes, and one method that uses that default. */
function cognitoDefaultApi(stack: Stack): RestApi {
  const cognito = new CognitoUserPoolsAuthorizer(stack, 'Cognito', { cognitoUserPools: [new UserPool(stack, 'Pool')] });
  const api = new RestApi(stack, 'Api', {
    defaultMethodOptions: { authorizer: cognito, authorizationType: AuthorizationType.COGNITO, authorizationScopes: ['orders/read'] },
  });
  api.root.addMethod('GET', new HttpIntegration('https://cognito-guarded.example.com'));
  return api;
}

describe('REST API wiring', () => {
  describe('gateway responses', () => {
    it('lets browsers of a CORS API read 401 and 403: each carries Access-Control-Allow-Origin and WWW-Authenticate, one resource per type', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api', { defaultCorsPreflightOptions: { allowOrigins: Cors.ALL_ORIGINS } });
      authorizerIn(stack, { realm: 'orders', restGatewayResponseHeaders: CORS_HEADERS }).addRestMethod(api.root, 'GET', backend());
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGateway::GatewayResponse', 2);
      t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'UNAUTHORIZED',
        StatusCode: '401',
        ResponseParameters: {
          'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
          'gatewayresponse.header.Access-Control-Allow-Headers': "'Authorization,Content-Type'",
          'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="orders"'`,
        },
      });
      t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'ACCESS_DENIED',
        StatusCode: '403',
        ResponseParameters: {
          'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
          'gatewayresponse.header.Access-Control-Allow-Headers': "'Authorization,Content-Type'",
          'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="orders", error="insufficient_scope"'`,
        },
      });
    });

    it.each([
      ['before', true],
      ['after', false],
    ])('fails synthesis, naming the fix, when the API has its own UNAUTHORIZED response added %s the construct', (_, userFirst) => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const addOwn = () =>
        api.addGatewayResponse('Unauthorized', {
          type: ResponseType.UNAUTHORIZED,
          responseHeaders: { 'Access-Control-Allow-Origin': "'*'" },
        });
      if (userFirst) addOwn();
      authorizerIn(stack).addRestMethod(api.root, 'GET', backend());
      if (!userFirst) addOwn();
      expect(() => template(stack)).toThrow(
        'Test/Api/Unauthorized is an UNAUTHORIZED gateway response on Test/Api, which PhantomTokenAuthorizer Test/PhantomToken creates as well',
      );
      expect(() => template(stack)).toThrow(
        'Remove yours and pass its headers in the restGatewayResponseHeaders prop (e.g. CORS headers), or set restGatewayResponses: false',
      );
    });

    it('fails synthesis on an own ACCESS_DENIED response too', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      authorizerIn(stack).addRestMethod(api.root, 'GET', backend());
      api.addGatewayResponse('Denied', { type: ResponseType.ACCESS_DENIED });
      expect(() => template(stack)).toThrow('Test/Api/Denied is an ACCESS_DENIED gateway response on Test/Api');
    });

    it('fails synthesis when two constructs would both answer 401/403 on one API, and passes with restGatewayResponses false on one', () => {
      const build = (secondCreatesResponses: boolean) => {
        const stack = unbundledStack();
        const api = new RestApi(stack, 'Api');
        authorizerIn(stack, {}, 'One').addRestMethod(api.root, 'GET', backend());
        authorizerIn(stack, { restGatewayResponses: secondCreatesResponses }, 'Two').addRestMethod(api.root, 'POST', backend());
        return stack;
      };
      expect(() => template(build(true))).toThrow(
        'Test/Api/Two/Unauthorized is an UNAUTHORIZED gateway response another PhantomTokenAuthorizer created on Test/Api, as Test/One does; ' +
          'API Gateway keeps one response per type. Set restGatewayResponses: false on all but one of them.',
      );
      const t = template(build(false));
      t.resourceCountIs('AWS::ApiGateway::GatewayResponse', 2);
      t.resourceCountIs('AWS::ApiGateway::Authorizer', 2);
    });

    it.each([
      ['before', true],
      ['after', false],
    ])(
      'carries the DEFAULT_4XX headers (CORS) of the API, added %s the construct, onto 401 and 403, WWW-Authenticate staying the construct own',
      (_, userFirst) => {
        const stack = unbundledStack();
        const api = new RestApi(stack, 'Api');
        const addDefault4xx = () =>
          api.addGatewayResponse('Default4xx', {
            type: ResponseType.DEFAULT_4XX,
            responseHeaders: { ...CORS_HEADERS, 'WWW-Authenticate': `'Basic realm="api"'` },
          });
        if (userFirst) addDefault4xx();
        authorizerIn(stack, { realm: 'orders' }).addRestMethod(api.root, 'GET', backend());
        if (!userFirst) addDefault4xx();
        const t = template(stack);
        expect(responseParametersOf(t, 'UNAUTHORIZED')).toEqual({
          'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
          'gatewayresponse.header.Access-Control-Allow-Headers': "'Authorization,Content-Type'",
          'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="orders"'`,
        });
        expect(responseParametersOf(t, 'ACCESS_DENIED')).toEqual({
          'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
          'gatewayresponse.header.Access-Control-Allow-Headers': "'Authorization,Content-Type'",
          'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="orders", error="insufficient_scope"'`,
        });
        // The user's DEFAULT_4XX stays as it was, answering the other 4xx types.
        expect(responseParametersOf(t, 'DEFAULT_4XX')['gatewayresponse.header.WWW-Authenticate']).toBe(`'Basic realm="api"'`);
      },
    );

    it('lets restGatewayResponseHeaders win over a DEFAULT_4XX header of the same name, in any case, keeping its other headers', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      api.addGatewayResponse('Default4xx', {
        type: ResponseType.DEFAULT_4XX,
        responseHeaders: { 'access-control-allow-origin': "'*'", Vary: "'Origin'" },
      });
      authorizerIn(stack, { restGatewayResponseHeaders: { 'Access-Control-Allow-Origin': `'${APP_ORIGIN}'` } }).addRestMethod(
        api.root,
        'GET',
        backend(),
      );
      expect(responseParametersOf(template(stack), 'UNAUTHORIZED')).toEqual({
        'gatewayresponse.header.Access-Control-Allow-Origin': `'${APP_ORIGIN}'`,
        'gatewayresponse.header.Vary': "'Origin'",
        'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="api"'`,
      });
    });

    it('takes no headers from the DEFAULT_4XX response of another API', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      authorizerIn(stack).addRestMethod(api.root, 'GET', backend());
      const other = new RestApi(stack, 'Other');
      other.root.addMethod('GET', backend());
      other.addGatewayResponse('Default4xx', { type: ResponseType.DEFAULT_4XX, responseHeaders: CORS_HEADERS });
      expect(responseParametersOf(template(stack), 'UNAUTHORIZED')).toEqual({
        'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="api"'`,
      });
    });

    it('leaves the API its own responses of other types, and those of another API', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      authorizerIn(stack).addRestMethod(api.root, 'GET', backend());
      api.addGatewayResponse('Default4xx', { type: ResponseType.DEFAULT_4XX, responseHeaders: { 'Access-Control-Allow-Origin': "'*'" } });
      const other = new RestApi(stack, 'Other');
      other.root.addMethod('GET', backend());
      other.addGatewayResponse('Unauthorized', { type: ResponseType.UNAUTHORIZED });
      template(stack).resourceCountIs('AWS::ApiGateway::GatewayResponse', 4);
    });

    it('creates no 401/403 responses with restGatewayResponses false, leaving the API its own', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      api.addGatewayResponse('Unauthorized', {
        type: ResponseType.UNAUTHORIZED,
        responseHeaders: { 'WWW-Authenticate': `'Bearer realm="api"'`, 'Access-Control-Allow-Origin': "'*'" },
      });
      authorizerIn(stack, { restGatewayResponses: false }).addRestMethod(api.root, 'GET', backend());
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGateway::GatewayResponse', 1);
      t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'UNAUTHORIZED',
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" }),
      });
    });

    it.each<[string, Record<string, string>, string]>([
      [
        'WWW-Authenticate',
        { 'www-authenticate': "'Basic'" },
        'restGatewayResponseHeaders must not set WWW-Authenticate: the construct writes the Bearer challenge (realm sets its realm)',
      ],
      [
        'a name that is no header name',
        { 'Access Control': "'*'" },
        'restGatewayResponseHeaders names must be HTTP header names (RFC 9110 token); received "Access Control"',
      ],
      [
        'an empty value',
        { 'Access-Control-Allow-Origin': ' ' },
        `restGatewayResponseHeaders["Access-Control-Allow-Origin"] must be a quoted static value such as "'*'" or a mapping expression; received " "`,
      ],
    ])('rejects restGatewayResponseHeaders with %s', (_, headers, message) => {
      expect(() => authorizerIn(unbundledStack(), { restGatewayResponseHeaders: headers })).toThrow(message);
    });
  });

  describe('no unauthenticated side door (#21)', () => {
    it('adds no OPTIONS method beside ANY methods: no unauthenticated method of the template reaches their HTTP or Lambda backend', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const phantomToken = authorizerIn(stack);
      phantomToken.addRestMethod(api.root.addResource('admin').addResource('{proxy+}'), 'ANY', backend(), { scopes: ['admin'] });
      phantomToken.addRestMethod(api.root.addResource('fn'), 'ANY', new LambdaIntegration(lambdaBackend(stack)));
      api.root.addResource('health').addMethod('GET', new HttpIntegration('https://health.example.com'));
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGateway::Method', 3);
      t.resourcePropertiesCountIs('AWS::ApiGateway::Method', { HttpMethod: 'OPTIONS' }, 0);
      // Only the public method the user added is open, and it is no side door to the guarded backends.
      expect(unauthenticatedMethods(t)).toEqual([{ httpMethod: 'GET', type: 'HTTP_PROXY', uri: 'https://health.example.com' }]);
    });

    it('answers the corsPreflight opt-in with a MOCK integration: 204, the CORS headers given, no body, no authorizer, never the backend', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'ANY', backend(), {
        corsPreflight: { allowOrigins: [APP_ORIGIN], allowHeaders: ['Authorization'], allowMethods: ['GET', 'POST'] },
      });
      const t = template(stack);
      t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'ANY', AuthorizationType: 'CUSTOM' });
      t.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'OPTIONS',
        AuthorizationType: 'NONE',
        AuthorizerId: Match.absent(),
        Integration: {
          Type: 'MOCK',
          Uri: Match.absent(),
          RequestTemplates: { 'application/json': '{ statusCode: 200 }' },
          IntegrationResponses: [
            {
              StatusCode: '204',
              ResponseTemplates: Match.absent(),
              ResponseParameters: Match.exact({
                'method.response.header.Access-Control-Allow-Headers': "'Authorization'",
                'method.response.header.Access-Control-Allow-Origin': `'${APP_ORIGIN}'`,
                'method.response.header.Vary': "'Origin'",
                'method.response.header.Access-Control-Allow-Methods': "'GET,POST'",
              }),
            },
          ],
        },
      });
      expect(unauthenticatedMethods(t)).toEqual([{ httpMethod: 'OPTIONS', type: 'MOCK', uri: undefined }]);
    });

    it.each([
      ['leaves OPTIONS to the corsPreflight method', true, false],
      ['covers OPTIONS too without one', false, true],
    ])('plans the globs of an ANY method that %s', (_, preflight, coversOptions) => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const cors = preflight ? { corsPreflight: { allowOrigins: [APP_ORIGIN] } } : {};
      authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'ANY', backend(), cors);
      const allow = fullRouteTableOf(stack).find((route) => route.routeKey === 'ANY /orders')?.allow ?? [];
      expect(allow).toContain('GET/orders');
      expect(allow.some((glob) => glob.startsWith('OPTIONS/') || glob.startsWith('*/'))).toBe(coversOptions);
    });

    it('lets addCorsPreflight follow addRestMethod ANY, its MOCK preflight the only OPTIONS method of the resource', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const resource = api.root.addResource('orders');
      authorizerIn(stack).addRestMethod(resource, 'ANY', backend());
      resource.addCorsPreflight({ allowOrigins: [APP_ORIGIN] });
      const t = template(stack);
      const options = Object.values(t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }));
      expect(options).toHaveLength(1);
      expect(options[0]?.Properties).toMatchObject({ AuthorizationType: 'NONE', Integration: { Type: 'MOCK' } });
    });

    it('lets addRestMethod ANY follow addCorsPreflight, adding no OPTIONS method of its own', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const resource = api.root.addResource('orders');
      resource.addCorsPreflight({ allowOrigins: [APP_ORIGIN] });
      authorizerIn(stack).addRestMethod(resource, 'ANY', backend());
      const options = Object.values(template(stack).findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }));
      expect(options).toHaveLength(1);
      expect(options[0]?.Properties).toMatchObject({ AuthorizationType: 'NONE', Integration: { Type: 'MOCK' } });
    });

    it('guards an OPTIONS method added with addRestMethod like any other method', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      authorizerIn(stack).addRestMethod(api.root, 'OPTIONS', backend());
      template(stack).hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'OPTIONS',
        AuthorizationType: 'CUSTOM',
        Integration: {
          Uri: BACKEND_URL,
          RequestParameters: { 'integration.request.header.Authorization': 'context.authorizer.authorization' },
        },
      });
    });

    it('rejects corsPreflight on an OPTIONS method, naming the resource', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      expect(() =>
        authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'options', backend(), {
          corsPreflight: { allowOrigins: [APP_ORIGIN] },
        }),
      ).toThrow(
        "addRestMethod(/orders, 'OPTIONS') cannot take corsPreflight: the preflight is the resource's OPTIONS method, unauthenticated; " +
          'add either the protected OPTIONS method or the preflight',
      );
    });

    it.each([
      ['a corsPreflight of an earlier addRestMethod call', false],
      ['defaultCorsPreflightOptions', true],
    ])('rejects corsPreflight on a resource that already has an OPTIONS method, from %s', (_, resourceDefault) => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const phantomToken = authorizerIn(stack);
      const cors = { allowOrigins: [APP_ORIGIN] };
      const resource = api.root.addResource('orders', resourceDefault ? { defaultCorsPreflightOptions: cors } : {});
      if (!resourceDefault) phantomToken.addRestMethod(resource, 'GET', backend(), { corsPreflight: cors });
      expect(() => phantomToken.addRestMethod(resource, 'POST', backend(), { corsPreflight: cors })).toThrow(
        "addRestMethod(/orders, 'POST') cannot take corsPreflight: the resource already has an OPTIONS method " +
          '(a CORS preflight or a method of its own), and API Gateway keeps one per resource; pass corsPreflight once per resource',
      );
    });
  });

  describe('over an API whose default authorizer is Cognito (#21)', () => {
    it('sets AuthorizationType CUSTOM with its authorizer, with none of the default authorizationScopes, and no warning', () => {
      const stack = unbundledStack();
      const api = cognitoDefaultApi(stack);
      authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'GET', backend(), { scopes: ['read'] });
      const t = template(stack);
      t.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'GET',
        ResourceId: { Ref: Match.stringLikeRegexp('^Apiorders') },
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: Match.stringLikeRegexp('^ApiPhantomTokenAuthorizer') },
        AuthorizationScopes: Match.absent(),
      });
      // The API's own Cognito method keeps its authorizer and scopes.
      t.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'GET',
        ResourceId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Api'), 'RootResourceId'] },
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizerId: { Ref: Match.stringLikeRegexp('^Cognito') },
        AuthorizationScopes: ['orders/read'],
      });
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AuthorizationScopes'))).toEqual([]);
    });

    it.skipIf(!CFN_LINT)(`synthesizes a template with no cfn-lint error${CFN_LINT ? '' : ' (skipped: cfn-lint is not on PATH)'}`, () => {
      const stack = unbundledStack();
      const api = cognitoDefaultApi(stack);
      authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'ANY', backend(), {
        corsPreflight: { allowOrigins: [APP_ORIGIN] },
      });
      const dir = mkdtempSync(join(tmpdir(), 'cognito-default-'));
      try {
        const file = join(dir, 'template.json');
        writeFileSync(file, JSON.stringify(template(stack).toJSON()));
        const result = spawnSync('cfn-lint', ['--format', 'parseable', '--', file], { encoding: 'utf8' });
        expect(result.error).toBeUndefined();
        const errors = result.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
        // cfn-lint's exit status has bit 2 set for errors (4: warnings, 8: informational).
        expect({ errors, errorBit: (result.status ?? 2) & 2 }).toEqual({ errors: [], errorBit: 0 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('rejects methodOptions.authorizationScopes, which apply to Cognito authorizers only, naming the method and the scopes prop', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      expect(() =>
        authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'get', backend(), {
          methodOptions: { authorizationScopes: ['orders/read'] },
        }),
      ).toThrow(
        "addRestMethod(/orders, 'GET'): methodOptions.authorizationScopes apply to Cognito user pool authorizers only, " +
          `and this method's authorizer is CUSTOM; pass the scopes a token must hold in scopes; received ["orders/read"]`,
      );
    });
  });

  describe('one cached answer per token and group (#10, #20)', () => {
    it('caches by the Authorization header alone when the globs of its methods separate them, whatever their scopes', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const phantomToken = authorizerIn(stack, { cachedAnswerSharing: CachedAnswerSharing.EVALUATED_POLICY });
      const orders = api.root.addResource('orders');
      phantomToken.addRestMethod(orders, 'GET', backend(), { scopes: ['read'] });
      phantomToken.addRestMethod(orders, 'POST', backend(), { scopes: ['write'] });
      phantomToken.addRestMethod(orders.addResource('{id}'), 'DELETE', backend(), { scopes: ['admin'] });
      const order = orders.addResource('{order}');
      phantomToken.addRestMethod(order, 'GET', backend(), { scopes: ['read'] });
      phantomToken.addRestMethod(order.addResource('items'), 'GET', backend(), { scopes: ['items'] });
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
      t.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'REQUEST', IdentitySource: 'method.request.header.Authorization' });
      expect(routeTableOf(stack).every(({ group }) => group === 0)).toBe(true);
      expect(Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('answered by'))).toEqual([]);
    });

    it('moves a method whose Deny would hit a proxy method to the authorizer of its own group, and says why at synth', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const phantomToken = authorizerIn(stack, { cachedAnswerSharing: CachedAnswerSharing.EVALUATED_POLICY });
      phantomToken.addRestMethod(api.root.addResource('{proxy+}'), 'ANY', backend());
      const user = api.root.addResource('admin').addResource('{id}');
      phantomToken.addRestMethod(user, 'GET', backend(), { scopes: ['admin'] });
      const t = template(stack);
      const authorizers = t.findResources('AWS::ApiGateway::Authorizer');
      expect(Object.values(authorizers).map((resource) => [resource.Properties.Name, resource.Properties.IdentitySource])).toEqual([
        ['PhantomToken-phantom-token', 'method.request.header.Authorization'],
        ['PhantomToken-phantom-token-g1', 'method.request.header.Authorization'],
      ]);
      const [, second] = Object.keys(authorizers);
      t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: second } });
      Annotations.fromStack(stack).hasInfo(
        '/Test/Api',
        Match.stringLikeRegexp(
          'GET /admin/\\{id\\} is reached by the Allow of ANY /\\{proxy\\+\\}, and its Deny would also match requests of ANY /\\{proxy\\+\\}',
        ),
      );
    });

    it('counts methods guarded through restAuthorizer, and leaves those of other authorizers out', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const phantomToken = authorizerIn(stack);
      const order = api.root.addResource('orders').addResource('{id}');
      phantomToken.addRestMethod(order, 'GET', backend(), { scopes: ['read'] });
      order.addResource('items').addMethod('GET', backend(), { authorizer: phantomToken.restAuthorizer(api) });
      order.addResource('notes').addMethod('GET', backend());
      expect(routeTableOf(stack).map(({ routeKey }) => routeKey)).toEqual(['GET /orders/{id}', 'GET /orders/{id}/items']);
    });
  });
});

describe('setRestApiResultsCacheTtl', () => {
  it("sets one API's gateway cache TTL, its other authorizers keeping resultsCacheTtl, and makes a new deployment of its stage", () => {
    const deploymentOf = (ttl?: number) => {
      const stack = unbundledStack();
      const phantomToken = authorizerIn(stack, { resultsCacheTtl: Duration.seconds(120) });
      const orders = new RestApi(stack, 'Orders');
      const billing = new RestApi(stack, 'Billing');
      phantomToken.addRestMethod(orders.root, 'GET', backend());
      phantomToken.addRestMethod(billing.root, 'GET', backend());
      if (ttl !== undefined) phantomToken.setRestApiResultsCacheTtl(orders, Duration.seconds(ttl));
      const t = template(stack);
      return { t, deployment: Object.keys(t.findResources('AWS::ApiGateway::Deployment')).find((id) => id.startsWith('OrdersDeployment')) };
    };
    const { t, deployment } = deploymentOf(5);
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      RestApiId: { Ref: Match.stringLikeRegexp('^Orders') },
      AuthorizerResultTtlInSeconds: 5,
    });
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      RestApiId: { Ref: Match.stringLikeRegexp('^Billing') },
      AuthorizerResultTtlInSeconds: 120,
    });
    expect(deployment).not.toBe(deploymentOf().deployment);
  });

  it('refuses a TTL other than 0 with sender-constrained tokens, naming the method, the API and the value', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, { senderConstrainedTokens: true });
    expect(() => phantomToken.setRestApiResultsCacheTtl(new RestApi(stack, 'Api'), Duration.seconds(30))).toThrow(
      'setRestApiResultsCacheTtl(Test/Api): the TTL must be 0 when senderConstrainedTokens is true (a cached decision would let a bound token pass without its proof); received 30 seconds',
    );
  });
});

describe('a SpecRestApi (OpenAPI)', () => {
  /** An API from an OpenAPI document with a public /health, merged with the methods CDK adds. */
  function specApi(stack: Stack): SpecRestApi {
    return new SpecRestApi(stack, 'Api', {
      mode: RestApiMode.MERGE,
      apiDefinition: ApiDefinition.fromInline({
        openapi: '3.0.2',
        info: { title: 'orders', version: '1' },
        paths: {
          '/health': {
            get: { 'x-amazon-apigateway-integration': { type: 'mock', requestTemplates: { 'application/json': '{"statusCode": 200}' } } },
          },
        },
      }),
    });
  }

  it('guards the methods the construct adds to it, as on a RestApi; the document keeps its own', () => {
    const stack = unbundledStack();
    const api = specApi(stack);
    authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'GET', backend(), { scopes: ['orders:read'] });
    const t = template(stack);
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Mode: 'merge',
      Body: Match.objectLike({ paths: Match.objectLike({ '/health': Match.anyValue() }) }),
    });
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    t.resourceCountIs('AWS::ApiGateway::GatewayResponse', 2);
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.stringLikeRegexp('^ApiPhantomTokenAuthorizer') },
    });
    expect(routeTableOf(stack)).toEqual([{ routeKey: 'GET /orders', scopes: ['orders:read'], group: 0 }]);
  });

  it.skipIf(!CFN_LINT)(`synthesizes a template with no cfn-lint error${CFN_LINT ? '' : ' (skipped: cfn-lint is not on PATH)'}`, () => {
    const stack = unbundledStack();
    authorizerIn(stack).addRestMethod(specApi(stack).root.addResource('orders'), 'GET', backend(), { scopes: ['orders:read'] });
    expect(cfnLintErrors([stack])).toEqual({ Test: [] });
  });
});
