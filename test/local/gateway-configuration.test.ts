import { describe, expect, it } from 'vitest';
import { LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import type { LocalAuthorizer, LocalIntegration, LocalRoute } from '../../local/template.js';

/**
 * Start-up refuses what API Gateway refuses at deployment:
 * - mappings for reserved headers ("You can't configure request or response mappings for these headers",
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html#http-api-mapping-reserved-headers);
 * - simple responses on a payload 1.0 authorizer (a 2.0 feature,
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 */
function gatewayWith(integration: Partial<LocalIntegration>, authorizer?: Partial<LocalAuthorizer>): LocalHttpApiGateway {
  const route: LocalRoute = {
    routeKey: 'GET /orders',
    method: 'GET',
    path: '/orders',
    authorizer:
      authorizer === undefined
        ? undefined
        : {
            logicalId: 'OrdersAuthorizer',
            functionId: 'AuthFn',
            identitySources: ['$request.header.Authorization'],
            resultTtlSeconds: 0,
            simpleResponses: true,
            payloadFormatVersion: '2.0',
            ...authorizer,
          },
    integration: { logicalId: 'OrdersIntegration', type: 'HTTP_PROXY', url: 'http://127.0.0.1:1/', requestParameters: {}, ...integration },
  };
  return new LocalHttpApiGateway({ api: { logicalId: 'Api', routes: [route], functions: new Map() }, runners: new Map() });
}

describe('reserved headers in request parameter mapping', () => {
  it.each([
    ['overwrite:header.Authorization', 'Authorization'],
    ['append:header.x-amz-date', 'x-amz-date'],
    ['remove:header.X-Amzn-Trace-Id', 'X-Amzn-Trace-Id'],
    ['overwrite:header.content-length', 'content-length'],
    ['overwrite:header.Access-Control-Allow-Origin', 'Access-Control-Allow-Origin'],
    ['overwrite:header.apigw-requestid', 'apigw-requestid'],
    ['overwrite:header.X-Forwarded-For', 'X-Forwarded-For'],
    ['overwrite:header.via', 'via'],
  ])('refuses to start with %s, naming the route, the integration and the header', (key, header) => {
    expect(() => gatewayWith({ requestParameters: { [key]: '$context.requestId' } })).toThrow(
      `route "GET /orders" (integration OrdersIntegration): request parameter mapping "${key}" writes the reserved header ${header}`,
    );
  });

  it('starts with mappings of ordinary headers, query strings and the path', () => {
    expect(() =>
      gatewayWith({
        requestParameters: {
          'overwrite:header.x-phantom-jwt': '$context.authorizer.jwt',
          'append:header.x-amzdate-not-reserved': 'x',
          'overwrite:querystring.authorization': 'x',
          'overwrite:path': '/x',
        },
      }),
    ).not.toThrow();
  });
});

describe('authorizer payload format versions', () => {
  it('refuses simple responses on a payload 1.0 authorizer', () => {
    expect(() => gatewayWith({}, { payloadFormatVersion: '1.0', simpleResponses: true })).toThrow(
      'authorizer OrdersAuthorizer: EnableSimpleResponses requires AuthorizerPayloadFormatVersion 2.0, got 1.0',
    );
  });

  it('refuses a payload format version API Gateway does not have', () => {
    expect(() => gatewayWith({}, { payloadFormatVersion: '3.0', simpleResponses: false })).toThrow(
      'authorizer OrdersAuthorizer: AuthorizerPayloadFormatVersion must be 1.0 or 2.0, got 3.0',
    );
    expect(() => gatewayWith({ type: 'AWS_PROXY', functionId: 'Fn', payloadFormatVersion: '1.1' })).toThrow(
      'route "GET /orders" (integration OrdersIntegration): PayloadFormatVersion must be 1.0 or 2.0, got 1.1',
    );
  });

  it('refuses a REQUEST authorizer without AuthorizerPayloadFormatVersion, naming it', () => {
    expect(() => gatewayWith({}, { payloadFormatVersion: '' })).toThrow(
      'authorizer OrdersAuthorizer: AuthorizerPayloadFormatVersion is missing; API Gateway requires it for a Lambda REQUEST authorizer (1.0 or 2.0)',
    );
  });

  it.each(['$request.path.id', '$request.path', '$request.body.token'])(
    'refuses %s as an identity source, naming the authorizer',
    (source) => {
      expect(() => gatewayWith({}, { identitySources: [source] })).toThrow(
        `authorizer OrdersAuthorizer: identity source ${JSON.stringify(source)} is not a $request.header, $request.querystring, $context or $stageVariables value`,
      );
    },
  );

  it('accepts a payload 1.0 authorizer that answers with IAM policies', () => {
    expect(() => gatewayWith({}, { payloadFormatVersion: '1.0', simpleResponses: false })).not.toThrow();
  });
});
