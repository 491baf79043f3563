import { Match, type Template } from 'aws-cdk-lib/assertions';
import { HttpApi, HttpMethod, MappingValue, ParameterMapping } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { describe, expect, it } from 'vitest';
import { RESERVED_HEADERS } from '../../lib/validate-props.js';
import { authorizerIn, routeTableOf, template, unbundledStack } from './stacks.js';

const orders = () => new HttpUrlIntegration('Orders', 'https://orders.example.com');

/** The RequestParameters of the integration of one route, found through the route's Target. */
function mappingOfRoute(t: Template, routeKey: string): Record<string, string> | undefined {
  const [route] = Object.values(t.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
  const target = JSON.stringify(route?.Properties.Target);
  const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1];
  expect(integrationId, `the integration of ${routeKey}`).toBeDefined();
  return t.toJSON().Resources[integrationId as string].Properties.RequestParameters;
}

describe('HTTP API wiring', () => {
  describe('httpAuthorizer, for HttpApi defaultAuthorizer', () => {
    it('guards the routes of an API created with it as defaultAuthorizer, creating the API authorizer and permission once', () => {
      const stack = unbundledStack();
      const phantomToken = authorizerIn(stack);
      const api = new HttpApi(stack, 'Api', { defaultAuthorizer: phantomToken.httpAuthorizer });
      api.addRoutes({ path: '/a', methods: [HttpMethod.GET, HttpMethod.POST], integration: phantomToken.forwardJwt(orders()) });
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      t.resourceCountIs('AWS::Lambda::Permission', 1);
      for (const routeKey of ['GET /a', 'POST /a']) {
        t.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          RouteKey: routeKey,
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: Match.stringLikeRegexp('^ApiPhantomTokenAuthorizer') },
        });
      }
    });

    it('ships routes bound through defaultAuthorizer in the route table, and moves one whose Deny would hit a proxy to a group of its own', () => {
      const stack = unbundledStack();
      const phantomToken = authorizerIn(stack);
      const api = new HttpApi(stack, 'Api', { defaultAuthorizer: phantomToken.httpAuthorizer });
      api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration: orders() });
      // Its Deny GET/admin/* would also match proxy requests such as GET /admin/7/x: not in group 0.
      api.addRoutes({ path: '/admin/{id}', methods: [HttpMethod.GET], integration: orders() });
      phantomToken.requireScopes('GET /admin/{id}', ['admin']);
      expect(routeTableOf(stack)).toEqual([
        { routeKey: 'ANY /{proxy+}', scopes: [], group: 0 },
        { routeKey: 'GET /admin/{id}', scopes: ['admin'], group: 1 },
      ]);
      template(stack).resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
    });

    it('keeps the token as the only identity source when the default-guarded routes need the same scopes', () => {
      const stack = unbundledStack();
      const phantomToken = authorizerIn(stack);
      const api = new HttpApi(stack, 'Api', { defaultAuthorizer: phantomToken.httpAuthorizer });
      api.addRoutes({ path: '/a', methods: [HttpMethod.GET], integration: orders() });
      api.addRoutes({ path: '/b', methods: [HttpMethod.GET], integration: orders() });
      template(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: ['$request.header.Authorization'] });
    });

    it('shares one authorizer per API between defaultAuthorizer routes and addHttpRoutes', () => {
      const stack = unbundledStack();
      const phantomToken = authorizerIn(stack);
      const api = new HttpApi(stack, 'Api', { defaultAuthorizer: phantomToken.httpAuthorizer });
      api.addRoutes({ path: '/a', methods: [HttpMethod.GET], integration: orders() });
      phantomToken.addHttpRoutes(api, { path: '/b', methods: [HttpMethod.GET], integration: orders(), scopes: ['write'] });
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: ['$request.header.Authorization'] });
    });

    it('serves as defaultAuthorizer of two APIs, with an authorizer for each', () => {
      const stack = unbundledStack();
      const phantomToken = authorizerIn(stack);
      for (const id of ['First', 'Second']) {
        new HttpApi(stack, id, { defaultAuthorizer: phantomToken.httpAuthorizer }).addRoutes({
          path: '/a',
          methods: [HttpMethod.GET],
          integration: orders(),
        });
      }
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
      t.resourceCountIs('AWS::Lambda::Permission', 2);
      t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { ApiId: { Ref: Match.stringLikeRegexp('^First') } });
      t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { ApiId: { Ref: Match.stringLikeRegexp('^Second') } });
    });
  });

  it('refuses an API-bound route authorizer on a route of another API, naming both', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack);
    const first = new HttpApi(stack, 'First');
    const second = new HttpApi(stack, 'Second');
    expect(() =>
      second.addRoutes({
        path: '/a',
        methods: [HttpMethod.GET],
        integration: orders(),
        authorizer: phantomToken.httpRouteAuthorizer(first),
      }),
    ).toThrow('httpRouteAuthorizer(Test/First) was bound to route Test/Second/GET--a of another API');
  });

  describe('unauthenticated OPTIONS twins', () => {
    it('remove the JWT header instead of mapping $context.authorizer.jwt, which no authorizer set', () => {
      const stack = unbundledStack();
      const api = new HttpApi(stack, 'Api');
      authorizerIn(stack).addHttpRoutes(api, { path: '/orders', integration: orders() });
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGatewayV2::Integration', 2);
      expect(mappingOfRoute(t, 'ANY /orders')).toEqual({ 'overwrite:header.x-phantom-jwt': '$context.authorizer.jwt' });
      expect(mappingOfRoute(t, 'OPTIONS /orders')).toEqual({ 'remove:header.x-phantom-jwt': '' });
    });

    it('remove the configured JWT header on an OPTIONS route asked for explicitly, keeping the integration own mappings', () => {
      const stack = unbundledStack();
      const api = new HttpApi(stack, 'Api');
      const integration = new HttpUrlIntegration('Orders', 'https://orders.example.com', {
        parameterMapping: new ParameterMapping().appendHeader('x-request-id', MappingValue.contextVariable('requestId')),
      });
      authorizerIn(stack, { jwtHeaderName: 'X-Backend-JWT' }).addHttpRoutes(api, {
        path: '/orders',
        methods: [HttpMethod.GET, HttpMethod.OPTIONS],
        integration,
      });
      const t = template(stack);
      expect(mappingOfRoute(t, 'OPTIONS /orders')).toEqual({
        'append:header.x-request-id': '$context.requestId',
        'remove:header.x-backend-jwt': '',
      });
      t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'OPTIONS /orders', AuthorizationType: 'NONE' });
    });
  });

  it('drops a mapping of the JWT header the wrapped integration brings, so only the authorizer fills it', () => {
    const stack = unbundledStack();
    const api = new HttpApi(stack, 'Api');
    const integration = new HttpUrlIntegration('Orders', 'https://orders.example.com', {
      parameterMapping: new ParameterMapping().appendHeader('X-Phantom-JWT', MappingValue.requestHeader('x-phantom-jwt')),
    });
    authorizerIn(stack).addHttpRoutes(api, { path: '/orders', methods: [HttpMethod.GET], integration });
    expect(mappingOfRoute(template(stack), 'GET /orders')).toEqual({ 'overwrite:header.x-phantom-jwt': '$context.authorizer.jwt' });
  });

  it('never writes a header HTTP API reserves, on protected routes, twins or default-guarded routes', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, { jwtHeaderName: 'x-jwt-assertion' });
    const api = new HttpApi(stack, 'Api', { defaultAuthorizer: phantomToken.httpAuthorizer });
    phantomToken.addHttpRoutes(api, { path: '/any', integration: orders() });
    phantomToken.addHttpRoutes(api, { path: '/get', methods: [HttpMethod.GET, HttpMethod.OPTIONS], integration: orders() });
    api.addRoutes({ path: '/own', methods: [HttpMethod.GET], integration: phantomToken.forwardJwt(orders()) });
    const keys = Object.values(template(stack).findResources('AWS::ApiGatewayV2::Integration')).flatMap((integration) =>
      Object.keys(integration.Properties.RequestParameters ?? {}),
    );
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const key of keys) {
      const header = /^(?:append|overwrite|remove):header\.(.+)$/.exec(key)?.[1];
      expect(header, key).toBeDefined();
      expect(
        RESERVED_HEADERS.some((reserved) => reserved.test((header as string).toLowerCase())),
        `${key} writes a reserved header`,
      ).toBe(false);
    }
  });
});
