import { type App, NestedStack, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Deployment, HttpIntegration, MockIntegration, RestApi, Stage, TokenAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { authorizerIn, CFN_LINT, CFN_LINT_NOTE, cfnLintErrors, routeTableOf, template, unbundledApp, unbundledStack } from './stacks.js';

/** How many resources of a type the stacks' templates hold together. */
function countIn(stacks: readonly Stack[], type: string): number {
  return stacks.reduce((sum, stack) => sum + Object.keys(Template.fromStack(stack).findResources(type)).length, 0);
}

/** The stacks whose templates hold a resource of the type. */
function holdersOf(stacks: readonly Stack[], type: string): string[] {
  return stacks.filter((stack) => Object.keys(Template.fromStack(stack).findResources(type)).length > 0).map((stack) => stack.node.path);
}

const SERVICES = ['Pets', 'Books', 'Stores', 'Users'];

/**
 * aws-cdk-lib's layout for large REST APIs ("Breaking up Methods and Resources across Stacks"): the
 * RestApi in the root stack, each nested stack re-importing it with `RestApi.fromRestApiAttributes`
 * and adding its methods, a deploy stack deploying them all; the construct in the root stack.
 */
function nestedRestApp(): { app: App; root: Stack; stacks: Stack[] } {
  const app = unbundledApp();
  const root = unbundledStack(app, 'Root');
  const restApi = new RestApi(root, 'RestApi', { deploy: false });
  restApi.root.addMethod('ANY');
  const phantomToken = authorizerIn(root);
  const nested = SERVICES.map((name) => {
    const stack = new NestedStack(root, `${name}Stack`);
    const api = RestApi.fromRestApiAttributes(stack, 'RestApi', {
      restApiId: restApi.restApiId,
      rootResourceId: restApi.restApiRootResourceId,
    });
    const method = phantomToken.addRestMethod(
      api.root.addResource(name.toLowerCase()),
      'GET',
      new HttpIntegration(`https://${name.toLowerCase()}.example.com`),
      // One scope set: one group, so one authorizer per API whatever the plan's sharing of groups.
      { scopes: ['catalog:read'] },
    );
    return { stack, method };
  });
  const deployStack = new NestedStack(root, 'DeployStack');
  const deployment = new Deployment(deployStack, 'Deployment', { api: RestApi.fromRestApiId(deployStack, 'RestApi', restApi.restApiId) });
  for (const { method } of nested) deployment.node.addDependency(method);
  new Stage(deployStack, 'Stage', { deployment });
  return { app, root, stacks: [root, ...nested.map(({ stack }) => stack), deployStack] };
}

/**
 * Service stacks sharing one HttpApi: the API in a stack of its own, the construct in a shared
 * auth stack, each service stack importing the API with `HttpApi.fromHttpApiAttributes`.
 */
function sharedHttpApiApp(
  services = ['Orders', 'Billing', 'Users'],
  anchored = false,
): { app: App; apiStack: Stack; auth: Stack; stacks: Stack[] } {
  const app = unbundledApp();
  const apiStack = unbundledStack(app, 'SharedApi');
  const httpApi = new HttpApi(apiStack, 'Api');
  const auth = unbundledStack(app, 'Auth');
  const phantomToken = authorizerIn(auth);
  // Wiring the API itself first puts its authorizer in its own stack.
  if (anchored) phantomToken.httpAuthorizerFor(httpApi);
  const serviceStacks = services.map((name) => {
    const stack = unbundledStack(app, name);
    const api = HttpApi.fromHttpApiAttributes(stack, 'Api', { httpApiId: httpApi.apiId });
    phantomToken.addHttpRoutes(api, {
      path: `/${name.toLowerCase()}`,
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('Backend', `https://${name.toLowerCase()}.example.com`),
      scopes: ['services:read'],
    });
    return stack;
  });
  return { app, apiStack, auth, stacks: [apiStack, auth, ...serviceStacks] };
}

describe('one authorizer per API, whatever the number of its imports or stacks', () => {
  describe("aws-cdk-lib's nested-stack REST layout (RestApi.fromRestApiAttributes in each nested stack)", () => {
    it('synthesizes one authorizer, one invoke permission and one pair of gateway responses for the API, in the first nested stack that wires it', () => {
      const { app, stacks } = nestedRestApp();
      expect(() => app.synth()).not.toThrow();
      expect(countIn(stacks, 'AWS::ApiGateway::Authorizer')).toBe(1);
      expect(countIn(stacks, 'AWS::ApiGateway::GatewayResponse')).toBe(2);
      expect(countIn(stacks, 'AWS::Lambda::Permission')).toBe(1);
      expect(holdersOf(stacks, 'AWS::ApiGateway::Authorizer')).toEqual(['Root/PetsStack']);
      Template.fromStack(stacks[1] as Stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Name: 'PhantomToken-phantom-token',
        Type: 'REQUEST',
      });
    });

    it("guards every nested stack's method with that one authorizer, passed to the others through the root stack", () => {
      const { stacks } = nestedRestApp();
      const [, pets, ...others] = stacks;
      const petsTemplate = Template.fromStack(pets as Stack);
      const authorizerLogicalId = Object.keys(petsTemplate.findResources('AWS::ApiGateway::Authorizer'))[0];
      petsTemplate.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'GET',
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: authorizerLogicalId },
      });
      for (const stack of others.slice(0, SERVICES.length - 1)) {
        // In a nested stack, a value of another nested stack arrives as a parameter.
        Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Method', {
          HttpMethod: 'GET',
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: Match.stringLikeRegexp('PetsStack') },
        });
      }
    });

    it('plans the route table over the methods of every nested stack', () => {
      const { root } = nestedRestApp();
      expect(routeTableOf(root)).toEqual(
        [...SERVICES].sort().map((name) => ({ routeKey: `GET /${name.toLowerCase()}`, scopes: ['catalog:read'], group: 0 })),
      );
    });

    it.skipIf(!CFN_LINT)(`synthesizes templates with no cfn-lint error${CFN_LINT_NOTE}`, () => {
      const { stacks } = nestedRestApp();
      expect(cfnLintErrors(stacks)).toEqual(Object.fromEntries(stacks.map((stack) => [stack.node.path, []])));
    });
  });

  describe('service stacks importing one shared HttpApi (HttpApi.fromHttpApiAttributes)', () => {
    it('synthesizes one authorizer and one invoke permission for the API, in the first service stack that wires it, without a cycle', () => {
      const { app, auth, stacks } = sharedHttpApiApp();
      const assembly = app.synth();
      expect(countIn(stacks, 'AWS::ApiGatewayV2::Authorizer')).toBe(1);
      expect(countIn(stacks, 'AWS::Lambda::Permission')).toBe(1);
      expect(holdersOf(stacks, 'AWS::ApiGatewayV2::Authorizer')).toEqual(['Orders']);
      // The auth stack depends on no service stack: only the function's ARN crosses, towards the services.
      const stackDependencies = (name: string) =>
        assembly
          .getStackByName(name)
          .dependencies.map((d) => d.id)
          .filter((id) => !id.endsWith('.assets'));
      expect(stackDependencies(auth.stackName)).toEqual([]);
      // Billing's routes use the authorizer Orders holds; Orders' authorizer invokes the function of Auth.
      expect(stackDependencies('Billing').sort()).toEqual(['Orders', 'SharedApi']);
      expect(stackDependencies('Orders').sort()).toEqual(['Auth', 'SharedApi']);
    });

    it("keeps the authorizer in the API's own stack when the API is wired there first (httpAuthorizerFor), without a cycle", () => {
      const { app, stacks } = sharedHttpApiApp(undefined, true);
      const assembly = app.synth();
      expect(holdersOf(stacks, 'AWS::ApiGatewayV2::Authorizer')).toEqual(['SharedApi']);
      expect(countIn(stacks, 'AWS::Lambda::Permission')).toBe(1);
      const dependencies = (name: string) =>
        assembly
          .getStackByName(name)
          .dependencies.map((d) => d.id)
          .filter((id) => !id.endsWith('.assets'))
          .sort();
      expect(dependencies('SharedApi')).toEqual(['Auth']);
      for (const service of ['Orders', 'Billing', 'Users']) expect(dependencies(service)).toEqual(['SharedApi']);
    });

    it("guards the other service stacks' routes with the first stack's authorizer, imported", () => {
      const { stacks } = sharedHttpApiApp();
      for (const stack of stacks.slice(3)) {
        template(stack).hasResourceProperties('AWS::ApiGatewayV2::Route', {
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { 'Fn::ImportValue': Match.stringLikeRegexp('^Orders') },
        });
      }
    });

    it('makes one authorizer for eleven imports of one API, where one per import would pass the quota of 10', () => {
      const services = Array.from({ length: 11 }, (_, index) => `Service${index}`);
      const { app, stacks } = sharedHttpApiApp(services);
      expect(() => app.synth()).not.toThrow();
      expect(countIn(stacks, 'AWS::ApiGatewayV2::Authorizer')).toBe(1);
    });

    it.skipIf(!CFN_LINT)(`synthesizes templates with no cfn-lint error${CFN_LINT_NOTE}`, () => {
      const { stacks } = sharedHttpApiApp();
      expect(cfnLintErrors(stacks)).toEqual(Object.fromEntries(stacks.map((stack) => [stack.node.path, []])));
    });
  });

  describe('two constructs on one API', () => {
    /** An HTTP API with a route from each of two constructs, of the given ids and authorizer names. */
    function twoConstructs(names: [string | undefined, string | undefined], ids: [string, string] = ['Orders', 'Billing']) {
      const app = unbundledApp();
      const stack = unbundledStack(app, 'Api');
      const api = new HttpApi(stack, 'Api');
      ids.forEach((id, index) => {
        const name = names[index];
        authorizerIn(stack, name === undefined ? {} : { authorizerName: name }, id).addHttpRoutes(api, {
          path: `/${id.toLowerCase()}`,
          methods: [HttpMethod.GET],
          integration: new HttpUrlIntegration(`${id}Backend`, 'https://backend.example.com'),
        });
      });
      return { app, stack };
    }

    it('synthesizes an authorizer of each, named by authorizerName', () => {
      const { stack } = twoConstructs(['orders-auth', 'billing-auth']);
      const t = template(stack);
      t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
      t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { Name: 'orders-auth' });
      t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { Name: 'billing-auth' });
    });

    it('keeps the default name, the construct id followed by -phantom-token', () => {
      const { stack } = twoConstructs([undefined, undefined]);
      const t = template(stack);
      t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { Name: 'Orders-phantom-token' });
      t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { Name: 'Billing-phantom-token' });
    });

    it('fails synthesis when both would give the API an authorizer of one name, naming the name, both paths and the prop', () => {
      const { app } = twoConstructs(['shared-auth', 'shared-auth']);
      expect(() => app.synth()).toThrow(
        /authorizer name "shared-auth" is used 2 times on Api\/Api \(Api\/Api\/Orders\/Authorizer, Api\/Api\/Billing\/Authorizer\), and API Gateway requires unique authorizer names per API: set authorizerName on PhantomTokenAuthorizer Api\/(Orders|Billing)/,
      );
    });

    it.skipIf(!CFN_LINT)(`synthesizes a template with no cfn-lint error${CFN_LINT_NOTE}`, () => {
      const { stack } = twoConstructs(['orders-auth', 'billing-auth']);
      expect(cfnLintErrors([stack])).toEqual({ Api: [] });
    });
  });

  describe("API Gateway's quota of authorizers per API", () => {
    /** A REST API with `own` authorizers of the user's and a method of each of `constructs` constructs. */
    function restApiWith(own: number, constructs: number, quota?: number) {
      const app = unbundledApp();
      const stack = unbundledStack(app, 'Api');
      const api = new RestApi(stack, 'Api');
      const handler = new LambdaFunction(stack, 'Handler', {
        runtime: Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler = async () => ({})'),
      });
      for (let index = 0; index < own; index += 1) {
        api.root.addResource(`own${index}`).addMethod('GET', new MockIntegration(), {
          authorizer: new TokenAuthorizer(stack, `Own${index}`, { handler }),
        });
      }
      for (let index = 0; index < constructs; index += 1) {
        // One construct owns the API's 401 and 403 gateway responses.
        const props = { restGatewayResponses: index === 0, ...(quota === undefined ? {} : { authorizersPerApiQuota: quota }) };
        authorizerIn(stack, props, `Phantom${index}`).addRestMethod(
          api.root.addResource(`phantom${index}`),
          'GET',
          new HttpIntegration('https://backend.example.com'),
        );
      }
      return app;
    }

    it('fails synthesis past 10, naming the API, the count and whose they are', () => {
      expect(() => restApiWith(9, 2).synth()).toThrow(
        /Api\/Api would have 11 authorizers, over API Gateway's quota of 10 per API: 1 of PhantomTokenAuthorizer Api\/Phantom0 \(Phantom0-phantom-token\) and 10 more \(/,
      );
    });

    it('synthesizes 10', () => {
      expect(() => restApiWith(8, 2).synth()).not.toThrow();
    });

    it('synthesizes past 10 with authorizersPerApiQuota raised', () => {
      expect(() => restApiWith(9, 2, 11).synth()).not.toThrow();
    });

    it.each([0, 1001, 2.5])('refuses authorizersPerApiQuota %s, naming the prop, the range and the value', (quota) => {
      expect(() => authorizerIn(unbundledStack(), { authorizersPerApiQuota: quota })).toThrow(
        `authorizersPerApiQuota must be a whole number from 1 to 1000 authorizers; received ${quota}`,
      );
    });
  });

  it.each(['', 'has space', 'x'.repeat(120)])('refuses the authorizerName %j, naming the prop, the rule and the value', (name) => {
    expect(() => authorizerIn(unbundledStack(), { authorizerName: name })).toThrow(
      `authorizerName must be 1 to 119 letters, digits, "-", "_" or "." (the construct appends "-g1" … "-perroute" for further authorizers); received ${JSON.stringify(name)}`,
    );
  });
});
