import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { createSampleApp } from '../../bin/sample-app.js';
import { routeTableOf } from './stacks.js';

describe('the sample app', () => {
  // The one test that bundles for real: the authorizer with the project's own esbuild, no Docker.
  it('synthesizes offline, bundles the authorizer with esbuild, and passes cdk-nag AwsSolutions', () => {
    const { app, stack } = createSampleApp(
      new App({ context: { introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect' } }),
    );
    const assembly = app.synth();
    const t = Template.fromStack(stack);
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((r) =>
      String(r.Properties.Description).startsWith('Phantom token authorizer'),
    );
    const assetHash = String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '');
    const assetPath = join(assembly.directory, `asset.${assetHash}`);
    const bundle = readFileSync(join(assetPath, 'index.js'), 'utf8');
    expect(bundle.length).toBeLessThan(600_000);
    expect(bundle).not.toContain('aws-cdk-lib');
    // No source map: loading it (--enable-source-maps) would cost every cold start; README, "Stack traces".
    expect(readdirSync(assetPath).sort()).toEqual(['index.js']);
  });

  it('has GET /echo (read), POST /echo (write), GET /backend (read) and GET /public (no token) on both APIs, with the URLs as outputs', () => {
    const { stack } = createSampleApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    const t = Template.fromStack(stack);
    expect(routeTableOf(stack)).toEqual([
      { routeKey: 'GET /backend', scopes: ['read'], group: 0 },
      { routeKey: 'GET /echo', scopes: ['read'], group: 0 },
      // Another scope set, another group (same-scopes sharing, the default): its own authorizer on each API.
      { routeKey: 'POST /echo', scopes: ['write'], group: 1 },
    ]);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 2);
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /echo', AuthorizationType: 'CUSTOM' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /echo', AuthorizationType: 'CUSTOM' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /public', AuthorizationType: 'NONE' });
    t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'CUSTOM' });
    t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'CUSTOM' });
    t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'NONE' });
    t.hasOutput('HttpApiUrl', {});
    t.hasOutput('RestApiUrl', {});
  });

  it('sends GET /backend of each API through an HTTP integration to the JWT-verifying backend, with the JWT mapped as each API allows', () => {
    const { stack } = createSampleApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    const t = Template.fromStack(stack);
    const [backendId] = Object.keys(
      t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { JWKS_URI: Match.anyValue() } } } }),
    );
    const [urlId] = Object.keys(
      t.findResources('AWS::Lambda::Url', { Properties: { TargetFunctionArn: { 'Fn::GetAtt': [backendId, 'Arn'] } } }),
    );
    expect(urlId).toBeDefined();
    const functionUrl = { 'Fn::GetAtt': [urlId, 'FunctionUrl'] };
    // REST: Authorization: Bearer <JWT>, as behind the NGINX module.
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      Integration: {
        Type: 'HTTP_PROXY',
        Uri: { 'Fn::Join': ['', [functionUrl, 'rest/backend']] },
        RequestParameters: { 'integration.request.header.Authorization': 'context.authorizer.authorization' },
      },
    });
    // HTTP API: Authorization is reserved, so the JWT header, overwritten.
    const [integrationId] = Object.keys(
      t.findResources('AWS::ApiGatewayV2::Integration', {
        Properties: {
          IntegrationType: 'HTTP_PROXY',
          IntegrationUri: { 'Fn::Join': ['', [functionUrl, 'http/backend']] },
          RequestParameters: { 'overwrite:header.x-phantom-jwt': '$context.authorizer.jwt' },
        },
      }),
    );
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /backend',
      AuthorizationType: 'CUSTOM',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    });
    t.hasOutput('JwtBackendUrl', {});
  });

  it('gives the HTTP backend the JWKS and issuer to verify JWTs against, from context or after the authorizer ones', () => {
    const jwks = (context: Record<string, string>) => {
      const { stack } = createSampleApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));
      const fns = Template.fromStack(stack).findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { JWKS_URI: Match.anyValue() } } },
      });
      const variables = Object.values(fns)
        .map((fn) => fn.Properties.Environment.Variables)
        .find((v) => v.ROUTE_TABLE_FILE === undefined);
      return { JWKS_URI: variables.JWKS_URI, ISSUER: variables.ISSUER };
    };
    expect(jwks({ jwksUri: 'https://idp.example.org/jwks', issuer: 'https://idp.example.org' })).toEqual({
      JWKS_URI: 'https://idp.example.org/jwks',
      ISSUER: 'https://idp.example.org',
    });
    expect(
      jwks({
        jwksUri: 'https://idp.example.org/jwks',
        backendJwksUri: 'https://b.example.org/jwks',
        backendIssuer: 'https://b.example.org',
      }),
    ).toEqual({ JWKS_URI: 'https://b.example.org/jwks', ISSUER: 'https://b.example.org' });
  });

  it('takes its settings from CDK context', () => {
    const context = {
      'aws:cdk:bundling-stacks': [],
      introspectionEndpoint: 'https://idp.example.org/introspect',
      clientCredentialsSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:idp-client-Xy12Ab',
      introspectionResponseType: 'application/token-introspection+jwt',
      jwksUri: 'https://idp.example.org/jwks',
      issuer: 'https://idp.example.org',
    };
    const { stack } = createSampleApp(new App({ context }));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          INTROSPECTION_ENDPOINT: 'https://idp.example.org/introspect',
          CLIENT_CREDENTIALS_SECRET: context.clientCredentialsSecret,
          INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
          JWKS_URI: 'https://idp.example.org/jwks',
          ISSUER: 'https://idp.example.org',
        },
      },
    });
  });

  it('warns, when deployed against a real identity server, that the APIs require the sample audience unless -c audience is given', () => {
    const warnings = (context: Record<string, string>) => {
      const { stack } = createSampleApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));
      return Annotations.fromStack(stack).findWarning(
        '*',
        Match.stringLikeRegexp('No -c audience=… given: the APIs require tokens whose aud holds https://api\\.example\\.com'),
      );
    };
    expect(warnings({ introspectionEndpoint: 'https://idp.example.org/introspect' })).toHaveLength(1);
    expect(warnings({ introspectionEndpoint: 'https://idp.example.org/introspect', audience: 'https://orders.example.org' })).toHaveLength(
      0,
    );
    expect(warnings({})).toHaveLength(0);
  });

  it('warns when the HTTP backend has no JWKS to verify JWTs against, and only then', () => {
    const warnings = (context: Record<string, string>) => {
      const { stack } = createSampleApp(
        new App({ context: { 'aws:cdk:bundling-stacks': [], introspectionEndpoint: 'https://idp.example.org/introspect', ...context } }),
      );
      return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('HTTP backend verifies JWTs against a placeholder JWKS'));
    };
    expect(warnings({})).toHaveLength(1);
    expect(warnings({ jwksUri: 'https://idp.example.org/jwks' })).toHaveLength(0);
    expect(warnings({ backendJwksUri: 'https://idp.example.org/jwks' })).toHaveLength(0);
  });

  it('would fail synthesis on a cdk-nag finding (the check above can fail)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new Bucket(new Stack(app, 'Unsafe'), 'Bucket');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
  });
});
