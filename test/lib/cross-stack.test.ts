import { type App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { HttpIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { describe, expect, it } from 'vitest';
import { authorizerIn, routeTableOf, template, unbundledApp, unbundledStack } from './stacks.js';

/** Every Fn::ImportValue in a template, as JSON strings. */
function imports(t: Template): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Fn::ImportValue') found.push(JSON.stringify(inner));
        else walk(inner);
      }
    }
  };
  walk(t.toJSON());
  return found;
}

/** The outputs a template exports to other stacks. */
function exportsOf(t: Template): unknown[] {
  return Object.values<{ Export?: unknown }>(t.toJSON().Outputs ?? {}).filter((output) => output.Export !== undefined);
}

/** The auth stack exports the function's ARN; the API stacks import it; nothing flows back. */
function expectOneWayReferences(app: App, auth: Stack, apis: Stack[]): void {
  const assembly = app.synth();
  const authTemplate = template(auth);
  expect(imports(authTemplate)).toEqual([]);
  expect(exportsOf(authTemplate).length).toBeGreaterThan(0);
  for (const api of apis) {
    expect(imports(template(api)).join('\n')).toMatch(/PhantomToken/);
    expect(assembly.getStackByName(api.stackName).dependencies.map((d) => d.id)).toContain(auth.artifactId);
  }
  expect(assembly.getStackByName(auth.stackName).dependencies.map((d) => d.id)).not.toEqual(
    expect.arrayContaining(apis.map((s) => s.artifactId)),
  );
}

describe('one authorizer stack serving API stacks', () => {
  it('wires two HTTP API stacks without a cyclic reference, each holding its authorizer and invoke permission', () => {
    const app = unbundledApp();
    const shared = unbundledStack(app, 'Shared');
    const phantomToken = authorizerIn(shared);
    const services = ['Orders', 'Billing'].map((name) => {
      const stack = unbundledStack(app, name);
      phantomToken.addHttpRoutes(new HttpApi(stack, 'Api'), {
        path: `/${name.toLowerCase()}`,
        methods: [HttpMethod.GET],
        integration: new HttpUrlIntegration('Backend', `https://${name.toLowerCase()}.example.com`),
        scopes: [`${name.toLowerCase()}:read`],
      });
      return stack;
    });

    expectOneWayReferences(app, shared, services);
    const sharedTemplate = template(shared);
    sharedTemplate.resourceCountIs('AWS::Lambda::Function', 1);
    sharedTemplate.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    sharedTemplate.resourceCountIs('AWS::Lambda::Permission', 0);
    // The scopes of routes in other stacks still reach the function: its route table, written at synth.
    expect(routeTableOf(shared)).toEqual([
      { routeKey: 'GET /billing', scopes: ['billing:read'], group: 0 },
      { routeKey: 'GET /orders', scopes: ['orders:read'], group: 0 },
    ]);
    for (const stack of services) {
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'REQUEST',
        AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ 'Fn::ImportValue': Match.anyValue() }])] }),
      });
      t.resourceCountIs('AWS::Lambda::Permission', 1);
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'apigateway.amazonaws.com',
        FunctionName: { 'Fn::ImportValue': Match.anyValue() },
      });
    }
  });

  it('wires two REST API stacks without a cyclic reference, each holding its authorizer, permission and gateway responses', () => {
    const app = unbundledApp();
    const shared = unbundledStack(app, 'Shared');
    const phantomToken = authorizerIn(shared);
    const services = ['Orders', 'Billing'].map((name) => {
      const stack = unbundledStack(app, name);
      const api = new RestApi(stack, 'Api');
      phantomToken.addRestMethod(api.root.addResource(name.toLowerCase()), 'GET', new HttpIntegration('https://backend.example.com'), {
        scopes: ['read'],
      });
      return stack;
    });

    expectOneWayReferences(app, shared, services);
    const sharedTemplate = template(shared);
    for (const type of ['AWS::ApiGateway::Authorizer', 'AWS::ApiGateway::GatewayResponse', 'AWS::Lambda::Permission']) {
      sharedTemplate.resourceCountIs(type, 0);
    }
    for (const stack of services) {
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
      t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Type: 'REQUEST',
        AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ 'Fn::ImportValue': Match.anyValue() }])] }),
      });
      t.resourceCountIs('AWS::ApiGateway::GatewayResponse', 2);
      t.resourceCountIs('AWS::Lambda::Permission', 1);
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'apigateway.amazonaws.com',
        FunctionName: { 'Fn::ImportValue': Match.anyValue() },
      });
    }
  });

  it('refuses two auth stacks whose constructs share an id on one API, naming the duplicate authorizer name and the prop', () => {
    const app = unbundledApp();
    const [first, second] = ['AuthA', 'AuthB'].map((id) => authorizerIn(unbundledStack(app, id)));
    const api = new HttpApi(unbundledStack(app, 'Service'), 'Api', { defaultAuthorizer: first?.httpAuthorizer });
    api.addRoutes({ path: '/a', methods: [HttpMethod.GET], integration: new HttpUrlIntegration('A', 'https://a.example.com') });
    second?.addHttpRoutes(api, {
      path: '/b',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('B', 'https://b.example.com'),
    });
    expect(() => app.synth()).toThrow(
      /authorizer name "PhantomToken-phantom-token" is used 2 times on Service\/Api .*set authorizerName on PhantomTokenAuthorizer Auth[AB]\/PhantomToken/,
    );
  });

  it('serves an API stack as defaultAuthorizer from two auth stacks whose constructs share an id, each with an authorizerName', () => {
    const app = unbundledApp();
    const [first, second] = ['AuthA', 'AuthB'].map((id) =>
      authorizerIn(unbundledStack(app, id), { authorizerName: `${id}-phantom-token` }),
    );
    const service = unbundledStack(app, 'Service');
    const api = new HttpApi(service, 'Api', { defaultAuthorizer: first?.httpAuthorizer });
    api.addRoutes({ path: '/a', methods: [HttpMethod.GET], integration: new HttpUrlIntegration('A', 'https://a.example.com') });
    second?.addHttpRoutes(api, {
      path: '/b',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('B', 'https://b.example.com'),
    });
    app.synth();
    const t = template(service);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
    t.resourceCountIs('AWS::Lambda::Permission', 2);
    expect(imports(t).filter((value) => value.includes('AuthA'))).not.toEqual([]);
    expect(imports(t).filter((value) => value.includes('AuthB'))).not.toEqual([]);
  });

  it('keeps same-stack use free of exports, with one authorizer and one permission per API', () => {
    const app = unbundledApp();
    const stack = unbundledStack(app, 'Single');
    const phantomToken = authorizerIn(stack);
    phantomToken.addHttpRoutes(new HttpApi(stack, 'Http'), {
      path: '/a',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('A', 'https://a.example.com'),
    });
    phantomToken.addRestMethod(new RestApi(stack, 'Rest').root, 'GET', new HttpIntegration('https://b.example.com'));
    app.synth();
    const t = template(stack);
    expect(imports(t)).toEqual([]);
    expect(exportsOf(t)).toEqual([]);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    t.resourceCountIs('AWS::Lambda::Permission', 2);
    t.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PhantomToken'), 'Arn'] },
    });
  });

  it('refuses an API in another account or region than the function, naming both and what to do instead', () => {
    const app = unbundledApp();
    const auth = new Stack(app, 'Auth', { env: { account: '111111111111', region: 'eu-west-1' } });
    const phantomToken = authorizerIn(auth);
    const otherAccount = new Stack(app, 'Orders', { env: { account: '222222222222', region: 'eu-west-1' } });
    expect(() =>
      phantomToken.addHttpRoutes(new HttpApi(otherAccount, 'Api'), {
        path: '/a',
        methods: [HttpMethod.GET],
        integration: new HttpUrlIntegration('A', 'https://a.example.com'),
      }),
    ).toThrow(
      "Orders/Api is in account 222222222222, and the PhantomTokenAuthorizer Auth/PhantomToken in 111111111111: an API's authorizer must invoke a function of its own account and region. Create a PhantomTokenAuthorizer in each account and region that has APIs",
    );
    const otherRegion = new Stack(app, 'Billing', { env: { account: '111111111111', region: 'us-east-1' } });
    expect(() => phantomToken.restAuthorizer(new RestApi(otherRegion, 'Api'))).toThrow(
      /Billing\/Api is in region us-east-1, and the PhantomTokenAuthorizer Auth\/PhantomToken in eu-west-1/,
    );
    const agnostic = new Stack(app, 'Agnostic');
    expect(() => phantomToken.restAuthorizer(new RestApi(agnostic, 'Api'))).not.toThrow();
  });
});
