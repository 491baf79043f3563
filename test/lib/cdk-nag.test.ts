import { App, Stack, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { authorizerIn } from './stacks.js';

/** Synthesizes the app with cdk-nag's AwsSolutions checks and answers what fails it (the plugin's report). */
function nagFindings(build: (stack: Stack) => void): string {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Nag', { env: { account: '123456789012', region: 'eu-west-1' } });
  build(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('cdk-nag AwsSolutions over what the construct creates', () => {
  it('finds nothing unacknowledged with every option on: VPC, tracing, the shared replay table, a dashboard', () => {
    const findings = nagFindings((stack) => {
      // The test's own resources, not the construct's: their findings are acknowledged here.
      const vpc = new Vpc(stack, 'Vpc', { natGateways: 0, restrictDefaultSecurityGroup: false });
      Validations.of(vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: 'a test VPC' });
      const api = new HttpApi(stack, 'Api');
      Validations.of(api).acknowledge({ id: 'AwsSolutions-APIG1', reason: 'a test API' });
      const phantomToken = authorizerIn(stack, {
        vpc,
        tracing: true,
        senderConstrainedTokens: true,
        sharedDpopReplayStore: true,
        dashboard: true,
      });
      phantomToken.addHttpRoutes(api, {
        path: '/orders',
        methods: [HttpMethod.GET],
        integration: new HttpUrlIntegration('Orders', 'https://orders.example.com'),
      });
    });
    expect(findings).toBe('');
  });

  it("still reports what it does not acknowledge: the user's own resources", () => {
    const findings = nagFindings((stack) => {
      authorizerIn(stack).addHttpRoutes(new HttpApi(stack, 'Api'), {
        path: '/orders',
        methods: [HttpMethod.GET],
        integration: new HttpUrlIntegration('Orders', 'https://orders.example.com'),
      });
    });
    expect(findings).toContain("Acknowledge with 'AwsSolutions::AwsSolutions-APIG1'");
    expect(findings).not.toContain('PhantomToken/');
  });
});
