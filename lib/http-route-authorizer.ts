import { Annotations, Aspects, type Duration, Lazy, Names, Stack, Token } from 'aws-cdk-lib';
import {
  AuthorizerPayloadVersion,
  type CfnAuthorizer,
  CfnRoute,
  CfnStage,
  HttpAuthorizer,
  HttpAuthorizerType,
  type HttpRouteAuthorizerBindOptions,
  type HttpRouteAuthorizerConfig,
  type IHttpApi,
  type IHttpRoute,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import { apiKey, authorizerErrors } from './api-identity.js';
import type { AuthorizerInvocation } from './authorizer-invocation.js';
import type { RouteScopeRegistry } from './route-scope-registry.js';
import { apiPrefixBytes, groupSuffix, type RouteTablePlanner } from './route-table-plan.js';

/** What the HTTP API wiring needs of the construct. */
export interface HttpWiringContext {
  /** How the API's authorizers reach the function, and where their invoke permissions live. */
  readonly invocation: AuthorizerInvocation;
  readonly routeScopes: RouteScopeRegistry;
  /** Decides which authorizer of each API answers each route (lib/route-table-plan.ts). */
  readonly routePolicy: RouteTablePlanner;
  /** The gateway cache TTL of an API's authorizers, by API key (`apiKey`): `resultsCacheTtl`, or the API's own. Read at synthesis. */
  readonly resultsCacheTtlOf: (apiKey: string) => Duration;
  readonly authorizerName: string;
  /** Authorizers per API at most, counted over the app (API Gateway's quota). */
  readonly authorizersPerApiQuota: number;
}

/** The resources of one HTTP API, and the routes bound to its authorizers. */
interface HttpApiWiring {
  /** Group → its authorizer; group 0's exists from the first route on, the others from synthesis. */
  readonly authorizers: Map<number | 'route', HttpAuthorizer>;
  readonly protectedRoutes: IHttpRoute[];
  /** The construct objects of this API the construct was given (the API and its imports), the first holding the wiring. */
  readonly aliases: Set<IHttpApi>;
}

/**
 * The construct's HTTP API wiring: route authorizers per API (REQUEST, payload 2.0, IAM policy
 * answers), all invoking the one function. The function answers a token with a policy that holds
 * for every route of the route's group (lib/route-table-plan.ts), so a group's identity source is
 * the `Authorization` header alone and one cached answer serves all its routes. Most APIs have one
 * group; routes the plan had to move get the authorizer of their group, made at synthesis, or the
 * one with `$context.routeKey` among its identity sources (`httpIdentitySources`), and a synth
 * note names them.
 *
 * As aws-cdk-lib's `HttpLambdaAuthorizer` does, an API's authorizer and its invoke permission
 * are created when the first route of that API binds, in the API's scope: with the function in
 * a shared stack and the API in another, only the function's ARN crosses stacks (API stack →
 * function stack), so several API stacks can share one authorizer stack without a cycle. The
 * wiring is keyed by the API's identity (its id, account and region: `apiKey`), so an API
 * imported in several stacks gets one set of authorizers, under the first object the construct is
 * given (routes elsewhere reference them there: those stacks depend on that one, never the reverse).
 */
export class HttpAuthorizerWiring {
  /** Binds to the API of whichever route it is bound to: usable as `HttpApi`'s `defaultAuthorizer`. */
  readonly anyApi: IHttpRouteAuthorizer;
  /** By the API's identity (`apiKey`), not its construct object: one wiring per API however often it is imported. */
  private readonly apis = new Map<string, HttpApiWiring>();
  private readonly perApi = new Map<string, IHttpRouteAuthorizer>();

  constructor(
    private readonly owner: Construct,
    private readonly context: HttpWiringContext,
  ) {
    this.anyApi = { bind: (options) => this.bindRoute(options) };
  }

  /** A route authorizer for routes of `httpApi` only (binding it to another API's route throws). */
  forApi(httpApi: IHttpApi): IHttpRouteAuthorizer {
    const key = apiKey(httpApi, httpApi.apiId);
    const existing = this.perApi.get(key);
    if (existing !== undefined) return existing;
    const authorizer: IHttpRouteAuthorizer = {
      bind: (options) => {
        if (apiKey(options.route.httpApi, options.route.httpApi.apiId) !== key) {
          throw new Error(
            `httpRouteAuthorizer(${httpApi.node.path}) was bound to route ${options.route.node.path} of another API; ` +
              'use httpRouteAuthorizer() with that API, or httpAuthorizer, which binds to any API',
          );
        }
        return this.bindRoute(options);
      },
    };
    this.perApi.set(key, authorizer);
    return authorizer;
  }

  /** The API's group-0 authorizer resource, the wiring made now if the API has none yet. */
  resourceFor(httpApi: IHttpApi): HttpAuthorizer {
    return this.wiringOf(httpApi).authorizers.get(0) as HttpAuthorizer;
  }

  private bindRoute(options: HttpRouteAuthorizerBindOptions): HttpRouteAuthorizerConfig {
    const wiring = this.wiringOf(options.route.httpApi);
    wiring.protectedRoutes.push(options.route);
    const { routePolicy } = this.context;
    // The route's group is known at synthesis, when every route exists.
    const authorizerId = Lazy.string({
      produce: () => {
        const group = routePolicy.plan().groups.get((options.route.node.defaultChild as CfnRoute).routeKey) ?? 0;
        const authorizer = wiring.authorizers.get(group);
        if (authorizer === undefined) throw new Error(`no authorizer of group ${group} on ${options.route.httpApi.node.path}`);
        return authorizer.authorizerId;
      },
    });
    return { authorizationType: 'CUSTOM', authorizerId };
  }

  /**
   * The wiring of the API `httpApi` is, or imports: made on the first object of that API the
   * construct is given, whose stack then holds its authorizers and invoke permissions (routes of
   * other objects, in other stacks, reference them there).
   */
  private wiringOf(httpApi: IHttpApi): HttpApiWiring {
    const key = apiKey(httpApi, httpApi.apiId);
    const existing = this.apis.get(key);
    if (existing !== undefined) {
      existing.aliases.add(httpApi);
      return existing;
    }
    const protectedRoutes: IHttpRoute[] = [];
    const aliases = new Set<IHttpApi>([httpApi]);
    const name = httpApi.node.path;
    const { routePolicy } = this.context;
    routePolicy.addApi(() => {
      // Route keys are read at synth time: bind() runs before the route's CfnRoute exists.
      const guardedRouteKeys = protectedRoutes.map((route) => (route.node.defaultChild as CfnRoute).routeKey);
      const stages = [...aliases].flatMap((alias) => alias.node.findAll().filter((node): node is CfnStage => node instanceof CfnStage));
      return {
        name,
        guardedRouteKeys,
        allRouteKeys: new Set([...[...aliases].flatMap(routeKeysOf), ...guardedRouteKeys]),
        lookup: 'http',
        prefixBytes: apiPrefixBytes(
          httpApi,
          stages.map((stage) => stage.stageName),
        ),
      };
    });
    const scope = new Construct(httpApi, childIdFor(httpApi, this.owner));
    const authorizers = new Map<number | 'route', HttpAuthorizer>();
    const add = (group: number | 'route') => authorizers.set(group, this.createAuthorizer(scope, httpApi, group));
    add(0);
    Aspects.of(scope).add({
      visit: (node) => {
        if (node !== scope) return;
        for (const group of routePolicy.freeze().apiGroups.get(name) ?? []) if (!authorizers.has(group)) add(group);
        const note = routePolicy.noteFor(name);
        if (note !== undefined) Annotations.of(httpApi).addInfo(note);
      },
    });
    scope.node.addValidation({
      validate: () =>
        authorizerErrors(
          'http',
          [...aliases],
          httpApi.apiId,
          this.owner,
          [...authorizers.keys()].map((group) => this.nameOf(group)),
          this.context.authorizersPerApiQuota,
        ),
    });
    const wiring = { authorizers, protectedRoutes, aliases };
    this.apis.set(key, wiring);
    return wiring;
  }

  /** The name of a group's authorizer: `authorizerName`, with `-g1` … or `-perroute` for the others. */
  private nameOf(group: number | 'route'): string {
    const suffix = groupSuffix(group);
    return `${this.context.authorizerName}${suffix === '' ? '' : `-${suffix.toLowerCase()}`}`;
  }

  /** The authorizer of one group on one API, and the function's invoke permission for it. */
  private createAuthorizer(scope: Construct, httpApi: IHttpApi, group: number | 'route'): HttpAuthorizer {
    const stack = Stack.of(scope);
    const { invocation } = this.context;
    const suffix = groupSuffix(group);
    const authorizer = new HttpAuthorizer(scope, `Authorizer${suffix}`, {
      httpApi,
      authorizerName: this.nameOf(group),
      type: HttpAuthorizerType.LAMBDA,
      identitySource: httpIdentitySources(group === 'route'),
      payloadFormatVersion: AuthorizerPayloadVersion.VERSION_2_0,
      enableSimpleResponses: false,
      authorizerUri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${invocation.functionArn(scope)}/invocations`,
    });
    // The TTL at synthesis: the API's own (setHttpApiResultsCacheTtl) may be set after its first route.
    const key = apiKey(httpApi, httpApi.apiId);
    (authorizer.node.defaultChild as CfnAuthorizer).authorizerResultTtlInSeconds = Lazy.number({
      produce: () => this.context.resultsCacheTtlOf(key).toSeconds(),
    });
    invocation.grantInvoke(
      scope,
      `Invoke${suffix}`,
      stack.formatArn({ service: 'execute-api', resource: httpApi.apiId, resourceName: `authorizers/${authorizer.authorizerId}` }),
    );
    return authorizer;
  }
}

/**
 * The identity sources of an authorizer, the cache key of its answers: the `Authorization` header,
 * whose answer (an IAM policy) holds for every route of its group; plus `$context.routeKey` for the
 * authorizer that caches per route.
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
  assertSameEnvironment(api, owner);
  return api.node.tryFindChild(owner.node.id) === undefined ? owner.node.id : Names.uniqueId(owner);
}

/**
 * The function and the APIs it guards must share an account and a region: an API's authorizer and
 * its invoke permission reference the function, which CloudFormation cannot do across
 * environments. Said at construction, naming both and what to do instead, rather than CDK's
 * "cannot use resource … in a cross-environment fashion" at synth. Unresolved (environment-agnostic)
 * stacks are not compared.
 */
function assertSameEnvironment(api: Construct, owner: Construct): void {
  const [a, b] = [Stack.of(api), Stack.of(owner)];
  for (const part of ['account', 'region'] as const) {
    if (Token.isUnresolved(a[part]) || Token.isUnresolved(b[part]) || a[part] === b[part]) continue;
    throw new Error(
      `${api.node.path} is in ${part} ${a[part]}, and the PhantomTokenAuthorizer ${owner.node.path} in ${b[part]}: ` +
        "an API's authorizer must invoke a function of its own account and region. " +
        'Create a PhantomTokenAuthorizer in each account and region that has APIs (they may share one identity server and secret name).',
    );
  }
}
