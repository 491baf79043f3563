import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { createSampleApp } from '../../bin/sample-app.js';

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

  it('has GET /echo (read), POST /echo (write) and GET /public (no token) on both APIs, with the URLs as outputs', () => {
    const { stack } = createSampleApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'], 'POST /echo': ['write'] }) } },
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /echo', AuthorizationType: 'CUSTOM' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /echo', AuthorizationType: 'CUSTOM' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /public', AuthorizationType: 'NONE' });
    t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'CUSTOM' });
    t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'CUSTOM' });
    t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'NONE' });
    t.hasOutput('HttpApiUrl', {});
    t.hasOutput('RestApiUrl', {});
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

  it('would fail synthesis on a cdk-nag finding (the check above can fail)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new Bucket(new Stack(app, 'Unsafe'), 'Bucket');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
  });
});
