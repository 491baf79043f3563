import { Annotations, Aspects, type Duration, Lazy, Names, Stack, Token } from 'aws-cdk-lib';
import {
  AuthorizerPayloadVersion,
  CfnRoute,
  HttpAuthorizer,
  HttpAuthorizerType,
  type HttpRouteAuthorizerBindOptions,
  type HttpRouteAuthorizerConfig,
  type IHttpApi,
  type IHttpRoute,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { RoutePolicyPlanner } from './route-policy-plan.js';
import type { RouteScopeRegistry } from './route-scope-registry.js';

/** What the HTTP API wiring needs of the construct. */
export interface HttpWiringContext {
  readonly handler: IFunction;
  readonly routeScopes: RouteScopeRegistry;
  /** Decides whether each API's cached answers may serve all its routes (lib/route-policy-plan.ts). */
  readonly routePolicy: RoutePolicyPlanner;
  readonly resultsCacheTtl: Duration;
  readonly authorizerName: string;
}

/** The resources of one HTTP API, and the routes bound to its authorizer. */
interface HttpApiWiring {
  readonly authorizer: HttpAuthorizer;
  readonly protectedRoutes: IHttpRoute[];
}

/**
 * The construct's HTTP API wiring: one route authorizer per API (REQUEST, payload 2.0, IAM policy
 * answers), all invoking the one function. The function answers a token with a policy that holds
 * for every route of the API, so the identity source is the `Authorization` header alone and one
 * cached answer serves every route; where the construct cannot prove at synth time that the
 * policy's globs separate the API's routes exactly, `$context.routeKey` joins the identity sources
 * (one answer per token and route) and a synth warning names the routes ({@link httpIdentitySources}).
 *
 * As aws-cdk-lib's `HttpLambdaAuthorizer` does, an API's authorizer and its invoke permission
 * are created when the first route of that API binds, in the API's scope: with the function in
 * a shared stack and the API in another, only the function's ARN crosses stacks (API stack →
 * function stack), so several API stacks can share one authorizer stack without a cycle.
 */
export class HttpAuthorizerWiring {
  /** Binds to the API of whichever route it is bound to: usable as `HttpApi`'s `defaultAuthorizer`. */
  readonly anyApi: IHttpRouteAuthorizer;
  private readonly apis = new Map<IHttpApi, HttpApiWiring>();
  private readonly perApi = new Map<IHttpApi, IHttpRouteAuthorizer>();

  constructor(
    private readonly owner: Construct,
    private readonly context: HttpWiringContext,
  ) {
    this.anyApi = { bind: (options) => this.bindRoute(options) };
  }

  /** A route authorizer for routes of `httpApi` only (binding it to another API's route throws). */
  forApi(httpApi: IHttpApi): IHttpRouteAuthorizer {
    const existing = this.perApi.get(httpApi);
    if (existing !== undefined) return existing;
    const authorizer: IHttpRouteAuthorizer = {
      bind: (options) => {
        if (options.route.httpApi !== httpApi) {
          throw new Error(
            `httpRouteAuthorizer(${httpApi.node.path}) was bound to route ${options.route.node.path} of another API; ` +
              'use httpRouteAuthorizer() with that API, or httpAuthorizer, which binds to any API',
          );
        }
        return this.bindRoute(options);
      },
    };
    this.perApi.set(httpApi, authorizer);
    return authorizer;
  }

  private bindRoute(options: HttpRouteAuthorizerBindOptions): HttpRouteAuthorizerConfig {
    const wiring = this.wiringOf(options.route.httpApi);
    wiring.protectedRoutes.push(options.route);
    return { authorizationType: 'CUSTOM', authorizerId: wiring.authorizer.authorizerId };
  }

  private wiringOf(httpApi: IHttpApi): HttpApiWiring {
    const existing = this.apis.get(httpApi);
    if (existing !== undefined) return existing;
    const protectedRoutes: IHttpRoute[] = [];
    const name = httpApi.node.path;
    const { routePolicy } = this.context;
    routePolicy.addApi(() => {
      // Route keys are read at synth time: bind() runs before the route's CfnRoute exists.
      const protectedRouteKeys = protectedRoutes.map((route) => (route.node.defaultChild as CfnRoute).routeKey);
      return { name, protectedRouteKeys, allRouteKeys: new Set([...routeKeysOf(httpApi), ...protectedRouteKeys]), lookup: 'http' };
    });
    const identitySource = Lazy.list({ produce: () => httpIdentitySources(routePolicy.cachesPerRoute(name)) });
    const scope = new Construct(httpApi, childIdFor(httpApi, this.owner));
    Aspects.of(scope).add({
      visit: (node) => {
        const warning = node === scope ? routePolicy.warningFor(name) : undefined;
        if (warning !== undefined) Annotations.of(httpApi).addWarningV2('cdk-phantom-token:per-route-caching', warning);
      },
    });
    const stack = Stack.of(scope);
    const authorizer = new HttpAuthorizer(scope, 'Authorizer', {
      httpApi,
      authorizerName: this.context.authorizerName,
      type: HttpAuthorizerType.LAMBDA,
      identitySource,
      payloadFormatVersion: AuthorizerPayloadVersion.VERSION_2_0,
      enableSimpleResponses: false,
      authorizerUri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${this.context.handler.functionArn}/invocations`,
      resultsCacheTtl: this.context.resultsCacheTtl,
    });
    this.context.handler.addPermission('Invoke', {
      scope,
      principal: new ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: stack.formatArn({
        service: 'execute-api',
        resource: httpApi.apiId,
        resourceName: `authorizers/${authorizer.authorizerId}`,
      }),
    });
    const wiring = { authorizer, protectedRoutes };
    this.apis.set(httpApi, wiring);
    return wiring;
  }
}

/**
 * The identity sources of an API's authorizer, the cache key of its answers: the `Authorization`
 * header, whose answer (an IAM policy) holds for every route of the API; plus `$context.routeKey`
 * when the API must cache per route.
 */
export function httpIdentitySources(perRoute: boolean): string[] {
  return perRoute ? ['$request.header.Authorization', '$context.routeKey'] : ['$request.header.Authorization'];
}

/** The route keys of the routes created in the API's scope (`HttpApi.addRoutes`, `new HttpRoute(api, …)`). */
function routeKeysOf(httpApi: IHttpApi): string[] {
  return httpApi.node
    .findAll()
    .filter((node): node is CfnRoute => node instanceof CfnRoute)
    .map((route) => route.routeKey)
    .filter((routeKey) => !Token.isUnresolved(routeKey));
}

/**
 * The id of the construct's per-API resources under an API: the construct's own id, or, when
 * the API already has a child of that name (another construct of the same id elsewhere), the
 * construct's unique id.
 */
export function childIdFor(api: Construct, owner: Construct): string {
  return api.node.tryFindChild(owner.node.id) === undefined ? owner.node.id : Names.uniqueId(owner);
}
