import { describe, expect, it } from 'vitest';
import { RestTemplateError, restApiFrom } from '../../local/rest-template.js';
import { type Resources, readFunctionUrls } from '../../local/template.js';

/** Template shapes as CDK writes them for a REST API (RestApi, Resource, Method, Authorizer, GatewayResponse, Stage). */
function template(method: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Resources {
  return {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'Api' } },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'prod' } },
    Orders: {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { RestApiId: { Ref: 'Api' }, ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, PathPart: 'orders' },
    },
    OrderId: {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { RestApiId: { Ref: 'Api' }, ParentId: { Ref: 'Orders' }, PathPart: '{id}' },
    },
    Auth: {
      Type: 'AWS::ApiGateway::Authorizer',
      Properties: {
        RestApiId: { Ref: 'Api' },
        Type: 'REQUEST',
        AuthorizerUri: {
          'Fn::Join': [
            '',
            ['arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': ['AuthFn', 'Arn'] }, '/invocations'],
          ],
        },
        IdentitySource: 'method.request.header.Authorization, context.httpMethod,context.resourcePath',
        AuthorizerResultTtlInSeconds: 60,
      },
    },
    Validator: { Type: 'AWS::ApiGateway::RequestValidator', Properties: { RestApiId: { Ref: 'Api' }, ValidateRequestParameters: true } },
    Unauthorized: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResponseType: 'UNAUTHORIZED',
        StatusCode: '401',
        ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': '\'Bearer realm="api"\'' },
      },
    },
    Url: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': ['BackendFn', 'Arn'] } } },
    Method: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResourceId: { Ref: 'OrderId' },
        HttpMethod: 'get',
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: 'Auth' },
        RequestParameters: { 'method.request.header.Authorization': true },
        RequestValidatorId: { Ref: 'Validator' },
        Integration: {
          Type: 'HTTP_PROXY',
          IntegrationHttpMethod: 'GET',
          Uri: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Url', 'FunctionUrl'] }, 'rest/orders/{id}']] },
          RequestParameters: { 'integration.request.header.Authorization': 'context.authorizer.authorization' },
        },
        ...method,
      },
    },
    ...extra,
  };
}

const attributes = { 'Url.FunctionUrl': 'http://127.0.0.1:4567/' };

/** The template's authorizer properties, to override one of them. */
function authProperties(): Record<string, unknown> {
  return { ...(template().Auth?.Properties ?? {}) };
}

describe('reading a REST API from a template', () => {
  it('flattens the resource tree into methods with their authorizer, validation, integration and the API gateway responses', () => {
    const api = restApiFrom(template(), 'Api', new Map(), 'us-east-1', attributes);
    expect(api.stageName).toBe('prod');
    expect(api.resources).toEqual(['/', '/orders', '/orders/{id}']);
    expect(api.methods).toEqual([
      {
        logicalId: 'Method',
        method: 'GET',
        path: '/orders/{id}',
        routeKey: 'GET /orders/{id}',
        authorizer: {
          logicalId: 'Auth',
          functionId: 'AuthFn',
          identitySources: ['method.request.header.Authorization', 'context.httpMethod', 'context.resourcePath'],
          resultTtlSeconds: 60,
        },
        requestParameters: { 'method.request.header.Authorization': true },
        validateRequestParameters: true,
        apiKeyRequired: false,
        integration: {
          type: 'HTTP_PROXY',
          url: 'http://127.0.0.1:4567/rest/orders/{id}',
          httpMethod: 'GET',
          requestParameters: { 'integration.request.header.Authorization': 'context.authorizer.authorization' },
          integrationResponses: [],
        },
      },
    ]);
    expect(api.gatewayResponses.get('UNAUTHORIZED')).toEqual({
      type: 'UNAUTHORIZED',
      statusCode: 401,
      headers: { 'WWW-Authenticate': '\'Bearer realm="api"\'' },
    });
  });

  it('reads the function URLs the local stack stands in for', () => {
    expect(readFunctionUrls(template())).toEqual([{ logicalId: 'Url', functionId: 'BackendFn', authType: 'NONE' }]);
  });

  it.each([
    [
      { AuthorizationType: 'AWS_IAM', AuthorizerId: undefined },
      'method GET /orders/{id} (Method): authorization AWS_IAM is not reproduced by this emulator',
    ],
    [
      { Integration: { Type: 'MOCK' } },
      'method GET /orders/{id} (Method): integration type MOCK is not reproduced by this emulator (AWS_PROXY, HTTP_PROXY and HTTP are)',
    ],
    [
      { AuthorizerId: { Ref: 'Missing' } },
      'method GET /orders/{id} (Method): its CUSTOM authorizer is not a Lambda REQUEST authorizer, which is all this emulator reproduces',
    ],
  ])('refuses a method the emulator would not run as API Gateway does (%j)', (method, message) => {
    expect(() => restApiFrom(template(method), 'Api', new Map(), 'us-east-1', attributes)).toThrow(RestTemplateError);
    expect(() => restApiFrom(template(method), 'Api', new Map(), 'us-east-1', attributes)).toThrow(message);
  });

  it('refuses an HTTP integration whose URL needs a value only a deployment has', () => {
    expect(() => restApiFrom(template(), 'Api', new Map())).toThrow(
      'method GET /orders/{id} (Method): the local gateway cannot resolve {"Fn::GetAtt":["Url","FunctionUrl"]}',
    );
  });

  it.each([
    [
      'caching with no identity source',
      {
        Auth: {
          Type: 'AWS::ApiGateway::Authorizer',
          Properties: { ...authProperties(), IdentitySource: '', AuthorizerResultTtlInSeconds: 60 },
        },
      },
      'authorizer Auth: AuthorizerResultTtlInSeconds is 60 (caching on) but IdentitySource is empty; API Gateway requires at least one identity source when caching is on',
    ],
    [
      'a path parameter as an identity source',
      { Auth: { Type: 'AWS::ApiGateway::Authorizer', Properties: { ...authProperties(), IdentitySource: 'method.request.path.id' } } },
      'authorizer Auth: identity source "method.request.path.id" is not a header, query string, context or stage variable',
    ],
  ])('refuses at start-up what API Gateway refuses at deployment: %s, naming the authorizer', (_, extra, message) => {
    expect(() => restApiFrom(template({}, extra), 'Api', new Map(), 'us-east-1', attributes)).toThrow(RestTemplateError);
    expect(() => restApiFrom(template({}, extra), 'Api', new Map(), 'us-east-1', attributes)).toThrow(message);
  });

  it('accepts an authorizer with no identity source when caching is off', () => {
    const extra = {
      Auth: {
        Type: 'AWS::ApiGateway::Authorizer',
        Properties: { ...authProperties(), IdentitySource: '', AuthorizerResultTtlInSeconds: 0 },
      },
    };
    expect(() => restApiFrom(template({}, extra), 'Api', new Map(), 'us-east-1', attributes)).not.toThrow();
  });

  it('refuses an integration mapping from a method request header the method does not declare, naming the method', () => {
    const method = {
      Integration: {
        Type: 'HTTP_PROXY',
        IntegrationHttpMethod: 'GET',
        Uri: 'http://127.0.0.1:1/',
        RequestParameters: { 'integration.request.header.X-Tenant': 'method.request.header.X-Tenant' },
      },
    };
    expect(() => restApiFrom(template(method), 'Api', new Map(), 'us-east-1', attributes)).toThrow(
      'method GET /orders/{id} (Method): integration request parameter integration.request.header.X-Tenant maps from method.request.header.X-Tenant, which the method does not declare in its RequestParameters',
    );
    const declared = { ...method, RequestParameters: { 'method.request.header.X-Tenant': false } };
    expect(() => restApiFrom(template(declared), 'Api', new Map(), 'us-east-1', attributes)).not.toThrow();
  });

  it('refuses a resource policy Deny it cannot evaluate (a Condition), naming the API, and reads one it can', () => {
    const policy = (statement: Record<string, unknown>) => ({
      Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'Api', Policy: { Statement: [statement] } } },
    });
    const conditional = {
      Effect: 'Deny',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*',
      Condition: { NotIpAddress: {} },
    };
    expect(() => restApiFrom(template({}, policy(conditional)), 'Api', new Map(), 'us-east-1', attributes)).toThrow(
      'REST API Api: resource policy statement 0 (Deny) uses Condition, which this emulator does not evaluate',
    );
    const plain = restApiFrom(
      template({}, policy({ Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/prod/DELETE/*' })),
      'Api',
      new Map(),
      'us-east-1',
      attributes,
    );
    expect(plain.resourcePolicy?.denies).toEqual([
      { effect: 'Deny', actions: ['execute-api:Invoke'], resources: ['arn:aws:execute-api:us-east-1:000000000000:local/prod/DELETE/*'] },
    ]);
  });

  it('refuses a REST API without a stage', () => {
    const { Stage: _, ...withoutStage } = template();
    expect(() => restApiFrom(withoutStage, 'Api', new Map(), 'us-east-1', attributes)).toThrow(
      'REST API Api has no AWS::ApiGateway::Stage with a StageName',
    );
  });
});
