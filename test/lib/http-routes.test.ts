import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { HttpIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { describe, expect, it } from 'vitest';
import { CachedAnswerSharing } from '../../lib/index.js';
import { JwtForwardingHttpIntegrations } from '../../lib/jwt-forwarding.js';
import { authorizerIn, routeTableOf, template, unbundledStack } from './stacks.js';

const FORWARD = { 'overwrite:header.x-phantom-jwt': '$context.authorizer.jwt' };

const catalog = () => new HttpUrlIntegration('Catalog', 'https://catalog.example.com');

/** The RequestParameters of every AWS::ApiGatewayV2::Integration in the template. */
function integrationMappings(t: Template): unknown[] {
  return Object.values(t.findResources('AWS::ApiGatewayV2::Integration')).map((integration) => integration.Properties.RequestParameters);
}

/** The logical IDs of the integrations the routes of the template target, one per route. */
function routeTargets(t: Template): string[] {
  return Object.values(t.findResources('AWS::ApiGatewayV2::Route')).map((route) => {
    const id = /"Ref":"([^"]+)"/.exec(JSON.stringify(route.Properties.Target))?.[1];
    expect(id, `the integration of ${route.Properties.RouteKey}`).toBeDefined();
    return id as string;
  });
}

function resourceCount(t: Template): number {
  return Object.keys(t.toJSON().Resources).length;
}

describe('addHttpRoutes integrations', () => {
  it('creates one forwarding integration for ten calls that pass the same integration object', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack);
    const api = new HttpApi(stack, 'Api');
    const integration = catalog();
    for (let i = 0; i < 10; i++) {
      phantomToken.addHttpRoutes(api, { path: `/catalog/item${i}`, methods: [HttpMethod.GET], integration });
    }
    const t = template(stack);
    t.resourceCountIs('AWS::ApiGatewayV2::Route', 10);
    expect(integrationMappings(t)).toEqual([FORWARD]);
    expect(new Set(routeTargets(t)).size).toBe(1);
  });

  it('adds only the ANY routes for ten ANY calls, no OPTIONS route, all on one forwarding integration', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack);
    const api = new HttpApi(stack, 'Api');
    const integration = catalog();
    for (let i = 0; i < 10; i++) phantomToken.addHttpRoutes(api, { path: `/catalog/item${i}`, integration });
    const t = template(stack);
    t.resourceCountIs('AWS::ApiGatewayV2::Route', 10);
    t.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { AuthorizationType: 'CUSTOM' }, 10);
    expect(integrationMappings(t)).toEqual([FORWARD]);
    expect(new Set(routeTargets(t)).size).toBe(1);
  });

  it('wraps one integration object used on two HTTP APIs once per API, and both APIs synthesize', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack);
    const integration = catalog();
    for (const id of ['First', 'Second']) {
      const api = new HttpApi(stack, id);
      for (let i = 0; i < 3; i++) phantomToken.addHttpRoutes(api, { path: `/catalog/item${i}`, methods: [HttpMethod.GET], integration });
    }
    const t = template(stack);
    t.resourceCountIs('AWS::ApiGatewayV2::Route', 6);
    const apiIds = Object.values(t.findResources('AWS::ApiGatewayV2::Integration')).map((integration) => integration.Properties.ApiId);
    expect(apiIds).toEqual(expect.arrayContaining([{ Ref: expect.stringMatching(/^First/) }, { Ref: expect.stringMatching(/^Second/) }]));
    expect(apiIds).toHaveLength(2);
  });

  it('keeps two integration objects apart, even when they name the same backend', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack);
    const api = new HttpApi(stack, 'Api');
    phantomToken.addHttpRoutes(api, { path: '/a', methods: [HttpMethod.GET], integration: catalog() });
    phantomToken.addHttpRoutes(api, { path: '/b', methods: [HttpMethod.GET], integration: catalog() });
    const t = template(stack);
    expect(integrationMappings(t)).toEqual([FORWARD, FORWARD]);
    expect(new Set(routeTargets(t)).size).toBe(2);
  });

  /** A stack whose HTTP API has `count` routes `GET /catalog/resource<i>/{id}`, each its own scope, all on one integration object. */
  function catalogStack(count: number): Stack {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack);
    const api = new HttpApi(stack, 'Api');
    const integration = catalog();
    for (let i = 0; i < count; i++) {
      phantomToken.addHttpRoutes(api, {
        path: `/catalog/resource${i}/{id}`,
        methods: [HttpMethod.GET],
        integration,
        scopes: [`catalog:r${i}`],
      });
    }
    return stack;
  }

  it('puts 40 scoped routes sharing one integration on one integration, well inside one stack', () => {
    const stack = catalogStack(40);
    const t = template(stack);
    t.resourceCountIs('AWS::ApiGatewayV2::Route', 40);
    t.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    // A route and a fixed base: an integration per route would make it 94.
    expect(resourceCount(t)).toBeLessThan(80);
  });

  it('synthesizes 300 scoped routes sharing one integration into one stack of fewer than 500 resources, the environment within 4 KB', () => {
    const stack = catalogStack(300);
    const t = template(stack);
    t.resourceCountIs('AWS::ApiGatewayV2::Route', 300);
    t.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    expect(resourceCount(t)).toBeLessThan(500);
    const table = routeTableOf(stack);
    expect(table).toHaveLength(300);
    // Each route its own scope: the seven shared groups, the rest cached per route (same-scopes
    // sharing, the default); one authorizer per group, within the quota of 10.
    const groups = new Set(table.map(({ group }) => group));
    expect([...groups].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 'route']);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', groups.size);
    const [fn] = Object.values(t.findResources('AWS::Lambda::Function'));
    expect(JSON.stringify(fn?.Properties.Environment.Variables).length).toBeLessThan(4_096);
  });

  it('synthesizes a 300-method REST API (100 resources × GET, PUT, DELETE, each its own scope) into one stack of fewer than 500 resources', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack);
    const api = new RestApi(stack, 'Api');
    const items = api.root.addResource('items');
    const integration = new HttpIntegration('https://catalog.internal.example.com');
    for (let i = 0; i < 100; i++) {
      const resource = items.addResource(`r${i}`);
      for (const method of ['GET', 'PUT', 'DELETE'])
        phantomToken.addRestMethod(resource, method, integration, { scopes: [`items:${method.toLowerCase()}${i}`] });
    }
    const t = template(stack);
    t.resourceCountIs('AWS::ApiGateway::Method', 300);
    expect(resourceCount(t)).toBeLessThan(500);
    const table = routeTableOf(stack);
    expect(table).toHaveLength(300);
    expect(new Set(table.map(({ group }) => group)).size).toBe(8);
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 8);
  });

  it('answers 300 routes with their own scopes from shared groups alone with evaluated-policy sharing', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, { cachedAnswerSharing: CachedAnswerSharing.EVALUATED_POLICY });
    const api = new HttpApi(stack, 'Api');
    const integration = catalog();
    for (let i = 0; i < 300; i++) {
      phantomToken.addHttpRoutes(api, {
        path: `/catalog/resource${i}/{id}`,
        methods: [HttpMethod.GET],
        integration,
        scopes: [`catalog:r${i}`],
      });
    }
    const table = routeTableOf(stack);
    expect(table.every(({ group }) => group !== 'route')).toBe(true);
    template(stack).resourceCountIs('AWS::ApiGatewayV2::Authorizer', new Set(table.map(({ group }) => group)).size);
  });
});

describe('JwtForwardingHttpIntegrations', () => {
  it('returns one wrapper per integration, API and header name', () => {
    const stack = unbundledStack();
    const first = new HttpApi(stack, 'First');
    const second = new HttpApi(stack, 'Second');
    const integration = catalog();
    const wrappers = new JwtForwardingHttpIntegrations();
    const forwarding = wrappers.wrap(integration, first, 'x-phantom-jwt');
    expect(wrappers.wrap(integration, first, 'x-phantom-jwt')).toBe(forwarding);
    const others = [
      wrappers.wrap(integration, second, 'x-phantom-jwt'),
      wrappers.wrap(integration, first, 'x-backend-jwt'),
      wrappers.wrap(catalog(), first, 'x-phantom-jwt'),
    ];
    expect(new Set([forwarding, ...others]).size).toBe(4);
    expect(new JwtForwardingHttpIntegrations().wrap(integration, first, 'x-phantom-jwt')).not.toBe(forwarding);
  });
});
