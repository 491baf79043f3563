import { Annotations, AspectPriority, Aspects, type Duration, Stack, Token } from 'aws-cdk-lib';
import {
  AuthorizationType,
  CfnGatewayResponse,
  type CfnMethod,
  CfnStage,
  GatewayResponse,
  IdentitySource,
  type Integration,
  type IResource,
  type IRestApi,
  Method,
  type MethodOptions,
  RequestAuthorizer,
  ResponseType,
} from 'aws-cdk-lib/aws-apigateway';
import { type IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { childIdFor } from './http-route-authorizer.js';
import { JwtForwardingRestIntegration } from './jwt-forwarding.js';
import type { RouteScopeRegistry } from './route-scope-registry.js';
import { apiPrefixBytes, groupSuffix, type RouteTablePlanner } from './route-table-plan.js';

/** Options of {@link PhantomTokenAuthorizer.addRestMethod}. */
export interface PhantomTokenRestMethodOptions {
  /**
   * Scopes a token must all hold for this method.
   * @default - none: any active token
   */
  readonly scopes?: string[];
  /**
   * Further method options; the authorizer and its authorization type are set by this call.
   * @default - none
   */
  readonly methodOptions?: MethodOptions;
}

/** What the REST API wiring needs of the construct. */
export interface RestWiringContext {
  readonly handler: IFunction;
  readonly routeScopes: RouteScopeRegistry;
  /** Decides which authorizer of each API answers each method (lib/route-table-plan.ts). */
  readonly routePolicy: RouteTablePlanner;
  readonly resultsCacheTtl: Duration;
  readonly authorizerName: string;
  readonly realm: string;
  /** Whether to create the 401 and 403 gateway responses. */
  readonly gatewayResponses: boolean;
  /** Further headers of the 401 and 403 gateway responses, as `GatewayResponse` takes them. */
  readonly gatewayResponseHeaders: Readonly<Record<string, string>>;
  /** `DPoP realm="…", algs="…"`, added to both challenges when bound tokens are allowed. */
  readonly dpopChallenge?: string | undefined;
}

/** The gateway response types the construct answers for: a missing or invalid token, and insufficient scope. */
const OWN_RESPONSE_TYPES = [ResponseType.UNAUTHORIZED.responseType, ResponseType.ACCESS_DENIED.responseType];

/** The gateway responses any PhantomTokenAuthorizer created, to tell another construct's from the user's. */
const CONSTRUCT_RESPONSES = new WeakSet<IConstruct>();

/**
 * The construct's REST API wiring: one REQUEST authorizer per API, with gateway responses so
 * that 401 carries `WWW-Authenticate: Bearer realm="…"` and a 403 for insufficient scope carries
 * `error="insufficient_scope"` (RFC 6750 §3). The function answers a token with a policy that
 * holds for every method of the method's group (lib/route-table-plan.ts), cached by the
 * `Authorization` header alone; methods the plan had to move get their group's authorizer, made
 * at synthesis, or the one keyed by method and resource path too ({@link restIdentitySources}).
 *
 * An API's authorizer, its invoke permission and its gateway responses live in the API's scope
 * (the function is referenced there by ARN), so an API stack depends on the function's stack and
 * never the other way round: several API stacks can share one authorizer stack.
 */
export class RestAuthorizerWiring {
  private readonly apis = new Map<IRestApi, RequestAuthorizer>();

  constructor(
    private readonly owner: Construct,
    private readonly context: RestWiringContext,
  ) {
    validateGatewayResponseHeaders(context.gatewayResponseHeaders);
  }

  authorizerFor(restApi: IRestApi): RequestAuthorizer {
    const existing = this.apis.get(restApi);
    if (existing !== undefined) return existing;
    const { context } = this;
    const scope = new Construct(restApi, childIdFor(restApi, this.owner));
    // The function as the API's stack sees it: RequestAuthorizer grants API Gateway invoke in the
    // handler's scope, which must be the API's side of the one-way reference.
    const handler = LambdaFunction.fromFunctionAttributes(scope, 'Function', {
      functionArn: context.handler.functionArn,
      sameEnvironment: true,
    });
    const name = restApi.node.path;
    const { routePolicy } = context;
    const create = (group: number | 'route') => {
      const suffix = groupSuffix(group);
      return new RequestAuthorizer(scope, `Authorizer${suffix}`, {
        authorizerName: `${context.authorizerName}${suffix === '' ? '' : `-${suffix.toLowerCase()}`}`,
        handler,
        resultsCacheTtl: context.resultsCacheTtl,
        identitySources: restIdentitySources(group === 'route'),
      });
    };
    const authorizer = create(0);
    // Methods moved to another group's authorizer at synthesis (their AuthorizerId no longer names group 0's).
    const moved = new WeakSet<CfnMethod>();
    const guardedMethods = () => {
      const stack = Stack.of(restApi);
      const ours = JSON.stringify(stack.resolve(authorizer.authorizerId));
      return methodsOf(restApi).filter(({ method }) => {
        const cfn = method.node.defaultChild as CfnMethod;
        return moved.has(cfn) || (cfn.authorizerId !== undefined && JSON.stringify(stack.resolve(cfn.authorizerId)) === ours);
      });
    };
    routePolicy.addApi(() => {
      const guarded = guardedMethods().map(({ routeKey }) => routeKey);
      // An ANY method of the construct gets an OPTIONS method (its twin or CORS preflight) at synthesis: count it now.
      const twins = guarded.filter((key) => key.startsWith('ANY ')).map((key) => `OPTIONS ${key.slice(4)}`);
      return {
        name,
        guardedRouteKeys: guarded,
        allRouteKeys: new Set([...methodsOf(restApi).map(({ routeKey }) => routeKey), ...twins]),
        lookup: 'rest',
        prefixBytes: apiPrefixBytes(
          restApi,
          restApi.node.findAll().flatMap((node) => (node instanceof CfnStage ? [node.stageName] : [])),
        ),
      };
    });
    const authorizers = new Map<number | 'route', RequestAuthorizer>([[0, authorizer]]);
    Aspects.of(scope).add({
      visit: (node) => {
        if (node !== scope) return;
        const plan = routePolicy.freeze();
        for (const { method, routeKey } of guardedMethods()) {
          const group = plan.groups.get(routeKey) ?? 0;
          if (group === 0) continue;
          let target = authorizers.get(group);
          if (target === undefined) {
            target = create(group);
            target._attachToApi(restApi);
            authorizers.set(group, target);
          }
          const cfn = method.node.defaultChild as CfnMethod;
          moved.add(cfn);
          cfn.authorizerId = target.authorizerId;
        }
        const note = routePolicy.noteFor(name);
        if (note !== undefined) Annotations.of(restApi).addInfo(note);
      },
    });
    if (context.gatewayResponses) {
      // A static value: gateway responses cannot carry the authorizer's answer, so no per-request error code.
      const dpop = context.dpopChallenge === undefined ? '' : `, ${context.dpopChallenge}`;
      const unauthorized = new GatewayResponse(scope, 'Unauthorized', {
        restApi,
        type: ResponseType.UNAUTHORIZED,
        statusCode: '401',
        responseHeaders: { ...context.gatewayResponseHeaders, 'WWW-Authenticate': `'Bearer realm="${context.realm}"${dpop}'` },
      });
      const accessDenied = new GatewayResponse(scope, 'AccessDenied', {
        restApi,
        type: ResponseType.ACCESS_DENIED,
        statusCode: '403',
        responseHeaders: {
          ...context.gatewayResponseHeaders,
          'WWW-Authenticate': `'Bearer realm="${context.realm}", error="insufficient_scope"${dpop}'`,
        },
      });
      for (const response of [unauthorized, accessDenied]) CONSTRUCT_RESPONSES.add(response);
      scope.node.addValidation({ validate: () => clashingGatewayResponses(restApi, [unauthorized, accessDenied], this.owner) });
    }
    this.apis.set(restApi, authorizer);
    return authorizer;
  }
}

/**
 * The identity sources of a REST API's authorizer, the cache key of its answers: the
 * `Authorization` header, whose answer (an IAM policy) holds for every method of its group; plus
 * the method and resource path for the authorizer that caches per method.
 */
export function restIdentitySources(perRoute: boolean): string[] {
  const header = IdentitySource.header('Authorization');
  return perRoute ? [header, IdentitySource.context('httpMethod'), IdentitySource.context('resourcePath')] : [header];
}

/** The methods of the API created in its scope, with their route keys (`GET /orders/{id}`). */
function methodsOf(restApi: IRestApi): { readonly method: Method; readonly routeKey: string }[] {
  return restApi.node
    .findAll()
    .filter((node): node is Method => node instanceof Method && node.api === restApi)
    .map((method) => ({ method, routeKey: `${method.httpMethod} ${method.resource.path}` }));
}

/** Header names as RFC 9110 tokens, and never `WWW-Authenticate`, which the construct writes itself. */
function validateGatewayResponseHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      throw new Error(`restGatewayResponseHeaders names must be HTTP header names (RFC 9110 token); received ${JSON.stringify(name)}`);
    }
    if (name.toLowerCase() === 'www-authenticate') {
      throw new Error(
        'restGatewayResponseHeaders must not set WWW-Authenticate: the construct writes the Bearer challenge (realm sets its realm)',
      );
    }
    if (!Token.isUnresolved(value) && value.trim() === '') {
      throw new Error(
        `restGatewayResponseHeaders["${name}"] must be a quoted static value such as "'*'" or a mapping expression; received ${JSON.stringify(value)}`,
      );
    }
  }
}

/**
 * The user's own gateway responses of the types the construct creates on the same REST API:
 * API Gateway keeps one response per type and API, so one of the two would silently win.
 */
function clashingGatewayResponses(restApi: IRestApi, own: readonly GatewayResponse[], owner: Construct): string[] {
  const stack = Stack.of(restApi);
  const apiId = JSON.stringify(stack.resolve(restApi.restApiId));
  const ownResources = new Set<IConstruct>(own.map((response) => response.node.defaultChild as IConstruct));
  const errors: string[] = [];
  for (const construct of stack.node.findAll()) {
    if (!(construct instanceof CfnGatewayResponse) || ownResources.has(construct)) continue;
    if (!OWN_RESPONSE_TYPES.includes(construct.responseType)) continue;
    if (JSON.stringify(stack.resolve(construct.restApiId)) !== apiId) continue;
    // Name the L2 GatewayResponse when the resource is its default child: that is the construct the user wrote.
    const parent = construct.node.scope;
    const named = parent !== undefined && parent.node.defaultChild === construct ? parent : construct;
    if (CONSTRUCT_RESPONSES.has(named)) {
      errors.push(
        `${named.node.path} is an ${construct.responseType} gateway response another PhantomTokenAuthorizer created on ${restApi.node.path}, ` +
          `as ${owner.node.path} does; API Gateway keeps one response per type. Set restGatewayResponses: false on all but one of them.`,
      );
      continue;
    }
    errors.push(
      `${named.node.path} is an ${construct.responseType} gateway response on ${restApi.node.path}, which PhantomTokenAuthorizer ` +
        `${owner.node.path} creates as well (with WWW-Authenticate); API Gateway keeps one response per type, so one would silently win. ` +
        'Remove yours and pass its headers in the restGatewayResponseHeaders prop (e.g. CORS headers), ' +
        'or set restGatewayResponses: false and give yours the WWW-Authenticate header.',
    );
  }
  return errors;
}

/**
 * Adds a protected method to a REST resource: the authorizer, the scopes and the integration
 * with `Authorization: Bearer <JWT>` for HTTP backends. `ANY` gets an unauthenticated `OPTIONS`
 * twin for CORS preflight, whose `Authorization` is the static `none` (no authorizer ran). The
 * twin is added at synth time, and only when the resource then has no `OPTIONS` method: CORS
 * preflight options (`addCorsPreflight`, `defaultCorsPreflightOptions`), before or after this
 * call, take its place.
 */
export function addProtectedRestMethod(
  resource: IResource,
  httpMethod: string,
  integration: Integration,
  options: PhantomTokenRestMethodOptions,
  authorizer: RequestAuthorizer,
  routeScopes: RouteScopeRegistry,
): Method {
  const method = httpMethod.toUpperCase();
  routeScopes.declare(`${method} ${resource.path}`, options.scopes ?? []);
  const added = resource.addMethod(method, new JwtForwardingRestIntegration(integration), { ...options.methodOptions, authorizer });
  if (method === 'ANY') {
    Aspects.of(resource).add(
      {
        visit: (node) => {
          if (node !== resource || resource.node.tryFindChild('OPTIONS') !== undefined) return;
          resource.addMethod('OPTIONS', new JwtForwardingRestIntegration(integration, 'remove'), {
            authorizer: { authorizerId: '', authorizationType: AuthorizationType.NONE },
            authorizationType: AuthorizationType.NONE,
          });
        },
      },
      { priority: AspectPriority.MUTATING },
    );
  }
  return added;
}
