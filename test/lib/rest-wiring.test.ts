import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Cors, HttpIntegration, LambdaIntegration, ResponseType, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { authorizerIn, routeTableOf, template, unbundledStack } from './stacks.js';

const backend = () => new HttpIntegration('https://orders.example.com', { proxy: true });
const CORS_HEADERS = { 'Access-Control-Allow-Origin': "'*'", 'Access-Control-Allow-Headers': "'Authorization,Content-Type'" };

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

  describe('CORS preflight next to an ANY method', () => {
    it('lets addCorsPreflight follow addRestMethod ANY, the preflight taking the place of the twin', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const resource = api.root.addResource('orders');
      authorizerIn(stack).addRestMethod(resource, 'ANY', backend());
      resource.addCorsPreflight({ allowOrigins: ['https://app.example.com'] });
      const t = template(stack);
      const options = Object.values(t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }));
      expect(options).toHaveLength(1);
      expect(options[0]?.Properties).toMatchObject({ AuthorizationType: 'NONE', Integration: { Type: 'MOCK' } });
    });

    it('lets addRestMethod ANY follow addCorsPreflight, adding no twin', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const resource = api.root.addResource('orders');
      resource.addCorsPreflight({ allowOrigins: ['https://app.example.com'] });
      authorizerIn(stack).addRestMethod(resource, 'ANY', backend());
      const options = Object.values(template(stack).findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }));
      expect(options).toHaveLength(1);
      expect(options[0]?.Properties).toMatchObject({ AuthorizationType: 'NONE', Integration: { Type: 'MOCK' } });
    });
  });

  describe('unauthenticated OPTIONS twins', () => {
    it('send HTTP backends a static Authorization instead of the client value or an unset authorizer context', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      authorizerIn(stack).addRestMethod(api.root.addResource('orders'), 'ANY', backend());
      const t = template(stack);
      t.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'ANY',
        AuthorizationType: 'CUSTOM',
        Integration: {
          Type: 'HTTP_PROXY',
          RequestParameters: { 'integration.request.header.Authorization': 'context.authorizer.authorization' },
        },
      });
      t.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'OPTIONS',
        AuthorizationType: 'NONE',
        Integration: { Type: 'HTTP_PROXY', RequestParameters: { 'integration.request.header.Authorization': "'none'" } },
      });
      expect(JSON.stringify(t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }))).not.toContain(
        'context.authorizer',
      );
    });

    it('leave Lambda proxy twins unmapped (no authorizer context reaches them)', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const fn = new LambdaFunction(stack, 'Backend', {
        runtime: Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler=async()=>({})'),
      });
      authorizerIn(stack).addRestMethod(api.root, 'ANY', new LambdaIntegration(fn));
      template(stack).hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'OPTIONS',
        AuthorizationType: 'NONE',
        Integration: { Type: 'AWS_PROXY', RequestParameters: Match.absent() },
      });
    });
  });

  describe('one cached answer per token and group (#10, #20)', () => {
    it('caches by the Authorization header alone when the globs of its methods separate them, whatever their scopes', () => {
      const stack = unbundledStack();
      const api = new RestApi(stack, 'Api');
      const phantomToken = authorizerIn(stack);
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
      const phantomToken = authorizerIn(stack);
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
