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

describe('reading a REST API from a template', () => {
  it('flattens the resource tree into methods with their authorizer, validation, integration and the API gateway responses', () => {
    const api = restApiFrom(template(), 'Api', new Map(), 'us-east-1', attributes);
    expect(api.stageName).toBe('prod');
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

  it('refuses a REST API without a stage', () => {
    const { Stage: _, ...withoutStage } = template();
    expect(() => restApiFrom(withoutStage, 'Api', new Map(), 'us-east-1', attributes)).toThrow(
      'REST API Api has no AWS::ApiGateway::Stage with a StageName',
    );
  });
});
