import { App, Stack, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { PhantomTokenAuthorizerProps } from '../../lib/index.js';
import { authorizerIn } from './stacks.js';

const ENV = { account: '123456789012', region: 'eu-west-1' };

/** Synthesizes the app with cdk-nag's AwsSolutions checks and answers what fails it (the plugin's report). */
function nagFindings(build: (stack: Stack) => void, env: { account: string; region: string } | 'agnostic' = ENV): string {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Nag', env === 'agnostic' ? {} : { env });
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
  /** The construct with every option on, in a VPC, guarding a route of an HTTP API. */
  const everyOption =
    (extra: Partial<PhantomTokenAuthorizerProps> = {}) =>
    (stack: Stack) => {
      // The test's own resources, not the construct's: their findings are acknowledged here.
      const vpc = new Vpc(stack, 'Vpc', { natGateways: 0, restrictDefaultSecurityGroup: false });
      Validations.of(vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: 'a test VPC' });
      const api = new HttpApi(stack, 'Api');
      Validations.of(api).acknowledge({ id: 'AwsSolutions-APIG1', reason: 'a test API' });
      const phantomToken = authorizerIn(stack, {
        vpc,
        tracing: Tracing.ACTIVE,
        senderConstrainedTokens: true,
        sharedDpopReplayStore: true,
        dashboard: true,
        ...extra,
      });
      phantomToken.addHttpRoutes(api, {
        path: '/orders',
        methods: [HttpMethod.GET],
        integration: new HttpUrlIntegration('Orders', 'https://orders.example.com'),
      });
    };

  it('finds nothing unacknowledged in an environment-agnostic stack (the ARNs it acknowledges name no account or region)', () => {
    expect(nagFindings(everyOption(), 'agnostic')).toBe('');
  });

  it('finds nothing unacknowledged with point-in-time recovery on the replay table', () => {
    expect(nagFindings(everyOption({ pointInTimeRecovery: true }))).toBe('');
  });

  it('finds nothing unacknowledged with every option on: VPC, tracing, the shared replay table, a dashboard', () => {
    expect(nagFindings(everyOption())).toBe('');
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
