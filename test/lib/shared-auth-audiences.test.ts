import type { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { HttpIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { describe, expect, it } from 'vitest';
import { authorizerIn, CFN_LINT, CFN_LINT_NOTE, cfnLintErrors, template, unbundledApp, unbundledStack } from './stacks.js';

/**
 * The README's shared auth stack, with an audience per API: an HTTP API and a REST API in stacks of
 * their own, the construct in the auth stack with `apiAudiences` keyed by their ids.
 */
function sharedAuthApp(): { app: App; auth: Stack; orders: Stack; payments: Stack; billing: Stack } {
  const app = unbundledApp();
  const orders = unbundledStack(app, 'OrdersApi');
  const ordersApi = new HttpApi(orders, 'Api');
  const payments = unbundledStack(app, 'PaymentsApi');
  const paymentsApi = new RestApi(payments, 'Api');
  const auth = unbundledStack(app, 'Auth');
  const phantomToken = authorizerIn(auth, {
    audience: 'https://api.example.com',
    apiAudiences: {
      [ordersApi.apiId]: 'https://orders.example.com',
      [paymentsApi.restApiId]: 'https://payments.example.com',
    },
  });
  phantomToken.addHttpRoutes(ordersApi, {
    path: '/orders',
    methods: [HttpMethod.GET],
    integration: new HttpUrlIntegration('Orders', 'https://orders.internal.example.com'),
    scopes: ['orders:read'],
  });
  phantomToken.addRestMethod(
    paymentsApi.root.addResource('payments'),
    'GET',
    new HttpIntegration('https://payments.internal.example.com'),
    {
      scopes: ['payments:read'],
    },
  );
  // An API with no audience of its own, in a stack of its own: wired as usual (it depends on the auth stack).
  const billing = unbundledStack(app, 'BillingApi');
  phantomToken.addHttpRoutes(new HttpApi(billing, 'Api'), {
    path: '/billing',
    methods: [HttpMethod.GET],
    integration: new HttpUrlIntegration('Billing', 'https://billing.internal.example.com'),
  });
  return { app, auth, orders, payments, billing };
}

/** The stacks a stack depends on in the cloud assembly, asset stacks aside. */
function dependenciesOf(app: App, stack: Stack): string[] {
  return app
    .synth()
    .getStackByName(stack.stackName)
    .dependencies.map((dependency) => dependency.id)
    .filter((id) => !id.endsWith('.assets'))
    .sort();
}

describe('apiAudiences from a shared auth stack', () => {
  it('synthesizes without a cyclic reference: the auth stack depends on the API stacks whose ids it holds, they not on it', () => {
    const { app, auth, orders, payments, billing } = sharedAuthApp();
    expect(dependenciesOf(app, auth)).toEqual(['OrdersApi', 'PaymentsApi']);
    expect(dependenciesOf(app, orders)).toEqual([]);
    expect(dependenciesOf(app, payments)).toEqual([]);
    expect(dependenciesOf(app, billing)).toEqual(['Auth']);
  });

  it('hands the function the API ids with their audiences, imported from the API stacks', () => {
    const { auth } = sharedAuthApp();
    const fn = Object.values(template(auth).findResources('AWS::Lambda::Function'))[0];
    const value = JSON.stringify(fn?.Properties.Environment.Variables.API_AUDIENCES);
    expect(value).toMatch(/"Fn::ImportValue":"OrdersApi:/);
    expect(value).toMatch(/"Fn::ImportValue":"PaymentsApi:/);
    expect(value).toContain('https://orders.example.com');
  });

  it("gives the function a name of its own, by which the API stacks' authorizers invoke it, and keeps their invoke permissions in the auth stack", () => {
    const { auth, orders, payments } = sharedAuthApp();
    const authTemplate = template(auth);
    const fn = Object.values(authTemplate.findResources('AWS::Lambda::Function'))[0];
    const name = fn?.Properties.FunctionName as string;
    expect(name).toMatch(/^AuthPhantomToken[A-Za-z0-9]+$/);
    expect(name.length).toBeLessThanOrEqual(64);
    const byName = Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:function:${name}/invocations$`)])] });
    template(orders).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerUri: byName });
    template(payments).hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerUri: byName });
    for (const api of [orders, payments]) template(api).resourceCountIs('AWS::Lambda::Permission', 0);
    authTemplate.resourceCountIs('AWS::Lambda::Permission', 2);
    authTemplate.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PhantomToken'), 'Arn'] },
      SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ 'Fn::ImportValue': Match.stringLikeRegexp('^OrdersApi:') }])] }),
    });
  });

  it.skipIf(!CFN_LINT)(`synthesizes templates with no cfn-lint error${CFN_LINT_NOTE}`, () => {
    const { auth, orders, payments, billing } = sharedAuthApp();
    expect(cfnLintErrors([auth, orders, payments, billing])).toEqual({ Auth: [], OrdersApi: [], PaymentsApi: [], BillingApi: [] });
  });
});
