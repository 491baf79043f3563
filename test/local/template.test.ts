import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import { readHttpApi } from '../../local/template.js';

/** A synthesized-template shape, as CDK writes it for an HTTP API with one route. */
function template(integration: Record<string, unknown>, authorizer?: Record<string, unknown>) {
  return {
    Resources: {
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP' } },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: 'abc.zip' }, Handler: 'index.handler' } },
      OrdersIntegration: { Type: 'AWS::ApiGatewayV2::Integration', Properties: { ApiId: { Ref: 'Api' }, ...integration } },
      ...(authorizer === undefined
        ? {}
        : {
            OrdersAuthorizer: {
              Type: 'AWS::ApiGatewayV2::Authorizer',
              Properties: { AuthorizerType: 'REQUEST', AuthorizerUri: { 'Fn::GetAtt': ['Fn', 'Arn'] }, ...authorizer },
            },
          }),
      OrdersRoute: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: {
          ApiId: { Ref: 'Api' },
          RouteKey: 'GET /orders',
          Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'OrdersIntegration' }]] },
          ...(authorizer === undefined
            ? { AuthorizationType: 'NONE' }
            : { AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: 'OrdersAuthorizer' } }),
        },
      },
    },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function assembly(body: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'template-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'Stack.template.json'), JSON.stringify(body));
  return dir;
}

describe('reading the template', () => {
  it('reads integration and authorizer payload format versions', () => {
    const api = readHttpApi(
      assembly(
        template(
          { IntegrationType: 'AWS_PROXY', IntegrationUri: { 'Fn::GetAtt': ['Fn', 'Arn'] }, PayloadFormatVersion: '1.0' },
          { AuthorizerPayloadFormatVersion: '1.0', IdentitySource: ['$request.header.Authorization'] },
        ),
      ),
      'Stack',
    );
    expect(api.routes[0]?.integration).toMatchObject({ logicalId: 'OrdersIntegration', type: 'AWS_PROXY', payloadFormatVersion: '1.0' });
    expect(api.routes[0]?.authorizer).toMatchObject({ payloadFormatVersion: '1.0', simpleResponses: false });
  });

  it('fails at start-up when an integration maps the reserved Authorization header, naming route, integration and header', () => {
    const api = readHttpApi(
      assembly(
        template({
          IntegrationType: 'HTTP_PROXY',
          IntegrationUri: 'https://backend.example.com/orders',
          RequestParameters: { 'overwrite:header.Authorization': '$context.authorizer.jwt' },
        }),
      ),
      'Stack',
    );
    expect(() => new LocalHttpApiGateway({ api, runners: new Map() })).toThrow(
      'route "GET /orders" (integration OrdersIntegration): request parameter mapping "overwrite:header.Authorization" writes the reserved header Authorization',
    );
  });
});
