import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { HttpApi, HttpMethod, MappingValue, ParameterMapping } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { describe, expect, it } from 'vitest';
import { CachedAnswerSharing } from '../../lib/index.js';
import { RESERVED_HEADERS } from '../../lib/validate-props.js';
import { authorizerIn, routeTableOf, template, unbundledStack } from './stacks.js';

const orders = () => new HttpUrlIntegration('Orders', 'https://orders.example.com');

/** The properties of the integration of one route, found through the route's Target. */
function integrationOfRoute(t: Template, routeKey: string): Record<string, unknown> | undefined {
  const [route] = Object.values(t.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
  const target = JSON.stringify(route?.Properties.Target);
  const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1];
  expect(integrationId, `the integration of ${routeKey}`).toBeDefined();
  return t.toJSON().Resources[integrationId as string].Properties;
}

/** The RequestParameters of the integration of one route. */
function mappingOfRoute(t: Template, routeKey: string): Record<string, string> | undefined {
  return integrationOfRoute(t, routeKey)?.RequestParameters as Record<string, string> | undefined;
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
      const phantomToken = authorizerIn(stack, { cachedAnswerSharing: CachedAnswerSharing.EVALUATED_POLICY });
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

  describe('no unauthenticated side door (#21)', () => {
    it('adds no OPTIONS /admin/{proxy+} for an ANY route: no unauthenticated route of the template reaches the backend', () => {
      const stack = unbundledStack();
      const api = new HttpApi(stack, 'Api', { corsPreflight: { allowOrigins: ['https://app.example.com'] } });
      authorizerIn(stack).addHttpRoutes(api, {
        path: '/admin/{proxy+}',
        integration: new HttpUrlIntegration('Admin', 'https://admin.example.com'),
        scopes: ['admin'],
      });
      api.addRoutes({
        path: '/health',
        methods: [HttpMethod.GET],
        integration: new HttpUrlIntegration('Health', 'https://health.example.com'),
      });
      const t = template(stack);
      const routes = Object.values(t.findResources('AWS::ApiGatewayV2::Route'));
      expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(['ANY /admin/{proxy+}', 'GET /health']);
      // Every route no authorizer guards, and the backend its integration calls: only the public route the user added.
      const open = routes
        .filter((route) => (route.Properties.AuthorizationType ?? 'NONE') === 'NONE')
        .map((route) => [route.Properties.RouteKey, integrationOfRoute(t, route.Properties.RouteKey)?.IntegrationUri]);
      expect(open).toEqual([['GET /health', 'https://health.example.com']]);
    });

    it('guards an OPTIONS route asked for explicitly like any other method, forwarding the JWT to the backend', () => {
      const stack = unbundledStack();
      const api = new HttpApi(stack, 'Api');
      authorizerIn(stack, { jwtHeaderName: 'X-Backend-JWT' }).addHttpRoutes(api, {
        path: '/orders',
        methods: [HttpMethod.GET, HttpMethod.OPTIONS],
        integration: orders(),
      });
      const t = template(stack);
      for (const routeKey of ['GET /orders', 'OPTIONS /orders']) {
        t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'CUSTOM' });
        expect(mappingOfRoute(t, routeKey)).toEqual({ 'overwrite:header.x-backend-jwt': '$context.authorizer.jwt' });
      }
      t.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
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

  it('never writes a header HTTP API reserves, on protected routes or default-guarded routes', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, { jwtHeaderName: 'x-jwt-assertion' });
    const api = new HttpApi(stack, 'Api', { defaultAuthorizer: phantomToken.httpAuthorizer });
    phantomToken.addHttpRoutes(api, { path: '/any', integration: orders() });
    phantomToken.addHttpRoutes(api, { path: '/get', methods: [HttpMethod.GET, HttpMethod.OPTIONS], integration: orders() });
    api.addRoutes({ path: '/own', methods: [HttpMethod.GET], integration: phantomToken.forwardJwt(orders()) });
    const keys = Object.values(template(stack).findResources('AWS::ApiGatewayV2::Integration')).flatMap((integration) =>
      Object.keys(integration.Properties.RequestParameters ?? {}),
    );
    expect(keys).toHaveLength(3);
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

describe('httpAuthorizerFor', () => {
  it("returns the API's authorizer resource, the one its guarded routes use, and makes no second one", () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack);
    const api = new HttpApi(stack, 'Api');
    phantomToken.addHttpRoutes(api, { path: '/a', methods: [HttpMethod.GET], integration: orders() });
    const resource = phantomToken.httpAuthorizerFor(api);
    expect(phantomToken.httpAuthorizerFor(HttpApi.fromHttpApiAttributes(stack, 'Imported', { httpApiId: api.apiId }))).toBe(resource);
    const t = template(stack);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /a', AuthorizerId: stack.resolve(resource.authorizerId) });
  });
});

describe('setHttpApiResultsCacheTtl', () => {
  it("sets the TTL of one API's authorizers, also when called after its routes, and through an import of it", () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack);
    const api = new HttpApi(stack, 'Api');
    phantomToken.addHttpRoutes(api, { path: '/a', methods: [HttpMethod.GET], integration: orders() });
    phantomToken.setHttpApiResultsCacheTtl(HttpApi.fromHttpApiAttributes(stack, 'Imported', { httpApiId: api.apiId }), Duration.seconds(0));
    template(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
  });

  it.each([Duration.seconds(3601), Duration.millis(1500)])(
    'refuses the TTL %s, naming the method, the API, the range and the value',
    (ttl) => {
      const stack = unbundledStack();
      expect(() => authorizerIn(stack).setHttpApiResultsCacheTtl(new HttpApi(stack, 'Api'), ttl)).toThrow(
        `setHttpApiResultsCacheTtl(Test/Api): the TTL must be a whole number of seconds from 0 to 3600; received ${ttl.toMilliseconds() / 1000} seconds`,
      );
    },
  );
});
