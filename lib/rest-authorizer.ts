import { Annotations, Aspects, type Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import {
  AuthorizationType,
  type CfnAuthorizer,
  CfnGatewayResponse,
  type CfnMethod,
  CfnStage,
  type CorsOptions,
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
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { apiKey, authorizerErrors, sameApiId } from './api-identity.js';
import type { AuthorizerInvocation } from './authorizer-invocation.js';
import { childIdFor } from './http-route-authorizer.js';
import { JwtForwardingRestIntegration } from './jwt-forwarding.js';
import type { RouteScopeRegistry } from './route-scope-registry.js';
import { apiPrefixBytes, groupSuffix, type RouteTablePlanner } from './route-table-plan.js';

/** Options of `PhantomTokenAuthorizer.addRestMethod`. */
export interface PhantomTokenRestMethodOptions {
  /**
   * Scopes a token must all hold for this method.
   * @default - none: any active token
   */
  readonly scopes?: string[];
  /**
   * Further method options; the authorizer and its authorization type (`CUSTOM`) are set by this
   * call, whatever the options or the API's `defaultMethodOptions` say (a Cognito default
   * authorizer included), and the defaults' `authorizationScopes`, which apply to Cognito user
   * pool authorizers only, are not carried onto the method: set `scopes` instead.
   * @default - none
   */
  readonly methodOptions?: MethodOptions;
  /**
   * A CORS preflight for the resource, answered by API Gateway itself, never by the integration.
   * `resource.addCorsPreflight(corsPreflight)` adds it: an unauthenticated `OPTIONS` method with a
   * MOCK integration (204 and no body unless `statusCode` says otherwise) and the CORS headers of
   * these options, none other. Pass it once per resource, or use `defaultCorsPreflightOptions` on
   * the API or resource instead: a resource that already has an `OPTIONS` method cannot take it.
   * @default - no `OPTIONS` method: an `OPTIONS` request to an `ANY` method goes through the
   * authorizer like any other method
   */
  readonly corsPreflight?: CorsOptions;
}

/** What the REST API wiring needs of the construct. */
export interface RestWiringContext {
  /** How the API's authorizers reach the function, and where their invoke permissions live. */
  readonly invocation: AuthorizerInvocation;
  readonly routeScopes: RouteScopeRegistry;
  /** Decides which authorizer of each API answers each method (lib/route-table-plan.ts). */
  readonly routePolicy: RouteTablePlanner;
  /** The gateway cache TTL of an API's authorizers, by API key (`apiKey`): `resultsCacheTtl`, or the API's own. Read at synthesis. */
  readonly resultsCacheTtlOf: (apiKey: string) => Duration;
  readonly authorizerName: string;
  /** Authorizers per API at most, counted over the app (API Gateway's quota). */
  readonly authorizersPerApiQuota: number;
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
 * at synthesis, or the one keyed by method and resource path too (`restIdentitySources`).
 *
 * An API's authorizer, its invoke permission and its gateway responses live in the API's scope
 * (the function is referenced there by ARN), so an API stack depends on the function's stack and
 * never the other way round: several API stacks can share one authorizer stack. The wiring is
 * keyed by the API's identity (its id, account and region: `apiKey`), so an API imported in
 * several (nested) stacks gets one set of authorizers and gateway responses, under the first object
 * the construct is given.
 */
export class RestAuthorizerWiring {
  /** By the API's identity (`apiKey`), not its construct object: one wiring per API however often it is imported. */
  private readonly apis = new Map<string, { readonly authorizer: RequestAuthorizer; readonly aliases: Set<IRestApi> }>();

  constructor(
    private readonly owner: Construct,
    private readonly context: RestWiringContext,
  ) {
    validateGatewayResponseHeaders(context.gatewayResponseHeaders);
  }

  /** The REST APIs wired so far, each as the objects of it the construct was given (the first holds its authorizers). */
  restApis(): IRestApi[][] {
    return [...this.apis.values()].map(({ aliases }) => [...aliases]);
  }

  /**
   * The authorizer of the API `restApi` is, or imports: made on the first object of that API the
   * construct is given, whose stack then holds the authorizers, invoke permission and gateway
   * responses (methods of other objects, in other stacks, reference them there).
   */
  authorizerFor(restApi: IRestApi): RequestAuthorizer {
    const key = apiKey(restApi, restApi.restApiId);
    const existing = this.apis.get(key);
    if (existing !== undefined) {
      existing.aliases.add(restApi);
      return existing.authorizer;
    }
    const aliases = new Set<IRestApi>([restApi]);
    const { context } = this;
    const scope = new Construct(restApi, childIdFor(restApi, this.owner));
    // The function as the API's stack sees it: RequestAuthorizer grants API Gateway invoke in the
    // handler's scope, which must be the API's side of the one-way reference; for an API the
    // function's stack depends on, the grant is made in the function's stack instead.
    const { invocation } = context;
    const detached = invocation.isDetached(scope);
    const handler = LambdaFunction.fromFunctionAttributes(scope, 'Function', {
      functionArn: invocation.functionArn(scope),
      sameEnvironment: !detached,
      skipPermissions: detached,
    });
    const name = restApi.node.path;
    const { routePolicy } = context;
    const nameOf = (group: number | 'route') => {
      const suffix = groupSuffix(group);
      return `${context.authorizerName}${suffix === '' ? '' : `-${suffix.toLowerCase()}`}`;
    };
    const create = (group: number | 'route') => {
      const created = new RequestAuthorizer(scope, `Authorizer${groupSuffix(group)}`, {
        authorizerName: nameOf(group),
        handler,
        identitySources: restIdentitySources(group === 'route'),
      });
      // The TTL at synthesis: the API's own (setRestApiResultsCacheTtl) may be set after its first method.
      (created.node.defaultChild as CfnAuthorizer).authorizerResultTtlInSeconds = Lazy.number({
        produce: () => context.resultsCacheTtlOf(key).toSeconds(),
      });
      if (detached) invocation.grantInvoke(scope, `Invoke${groupSuffix(group)}`, created.authorizerArn);
      return created;
    };
    const authorizer = create(0);
    // A new TTL is a new deployment of the stage, as any change of the authorizer is.
    restApi.latestDeployment?.addToLogicalId({
      phantomTokenResultsCacheTtl: Lazy.number({ produce: () => context.resultsCacheTtlOf(key).toSeconds() }),
    });
    // Methods moved to another group's authorizer at synthesis (their AuthorizerId no longer names group 0's).
    const moved = new WeakSet<CfnMethod>();
    const allMethods = () => [...aliases].flatMap(methodsOf);
    const guardedMethods = () =>
      allMethods().filter(({ method }) => {
        const cfn = method.node.defaultChild as CfnMethod;
        if (moved.has(cfn)) return true;
        if (cfn.authorizerId === undefined) return false;
        return cfn.authorizerId === authorizer.authorizerId;
      });
    routePolicy.addApi(() => {
      return {
        name,
        guardedRouteKeys: guardedMethods().map(({ routeKey }) => routeKey),
        // CORS preflight methods (addCorsPreflight, corsPreflight) exist before synthesis: methodsOf finds them.
        allRouteKeys: new Set(allMethods().map(({ routeKey }) => routeKey)),
        lookup: 'rest',
        prefixBytes: apiPrefixBytes(
          restApi,
          [...aliases].flatMap((alias) => alias.node.findAll().flatMap((node) => (node instanceof CfnStage ? [node.stageName] : []))),
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
      const unauthorizedChallenge = `'Bearer realm="${context.realm}"${dpop}'`;
      const accessDeniedChallenge = `'Bearer realm="${context.realm}", error="insufficient_scope"${dpop}'`;
      const unauthorized = new GatewayResponse(scope, 'Unauthorized', {
        restApi,
        type: ResponseType.UNAUTHORIZED,
        statusCode: '401',
        responseHeaders: { ...context.gatewayResponseHeaders, 'WWW-Authenticate': unauthorizedChallenge },
      });
      const accessDenied = new GatewayResponse(scope, 'AccessDenied', {
        restApi,
        type: ResponseType.ACCESS_DENIED,
        statusCode: '403',
        responseHeaders: { ...context.gatewayResponseHeaders, 'WWW-Authenticate': accessDeniedChallenge },
      });
      for (const [response, challenge] of [
        [unauthorized, unauthorizedChallenge],
        [accessDenied, accessDeniedChallenge],
      ] as const) {
        CONSTRUCT_RESPONSES.add(response);
        // API Gateway falls back to DEFAULT_4XX only for types without a response of their own: carry its headers (CORS) over.
        (response.node.defaultChild as CfnGatewayResponse).responseParameters = Lazy.any({
          produce: () => responseParameters(default4xxHeaders(restApi), context.gatewayResponseHeaders, challenge),
        });
      }
      scope.node.addValidation({ validate: () => clashingGatewayResponses(restApi, [unauthorized, accessDenied], this.owner) });
    }
    scope.node.addValidation({
      validate: () =>
        authorizerErrors(
          'rest',
          [...aliases],
          restApi.restApiId,
          this.owner,
          [...authorizers.keys()].map(nameOf),
          context.authorizersPerApiQuota,
        ),
    });
    this.apis.set(key, { authorizer, aliases });
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
  const ownResources = new Set<IConstruct>(own.map((response) => response.node.defaultChild as IConstruct));
  const errors: string[] = [];
  for (const construct of gatewayResponsesOf(restApi)) {
    if (ownResources.has(construct) || !OWN_RESPONSE_TYPES.includes(construct.responseType)) continue;
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
 * The gateway responses of the REST API in the app, whoever created them: the response's API id
 * is the same string as the API's (the API and its imports in other stacks pass the same id), or
 * resolves to the same value in the response's stack, which has the API's account and region.
 */
function gatewayResponsesOf(restApi: IRestApi): CfnGatewayResponse[] {
  const apiId = restApi.restApiId;
  const home = Stack.of(restApi);
  return restApi.node.root.node.findAll().filter((construct): construct is CfnGatewayResponse => {
    if (!(construct instanceof CfnGatewayResponse)) return false;
    const stack = Stack.of(construct);
    if (stack.account !== home.account || stack.region !== home.region) return false;
    return sameApiId(stack, construct.restApiId, apiId);
  });
}

const HEADER_PARAMETER = /^gatewayresponse\.header\.(.+)$/i;

/**
 * The headers of the API's own `DEFAULT_4XX` response, as `GatewayResponse` takes them: API
 * Gateway uses that response only for 4xx types that have none of their own, so its headers
 * (CORS, typically) would be lost on the construct's 401 and 403 unless carried over.
 */
function default4xxHeaders(restApi: IRestApi): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const response of gatewayResponsesOf(restApi)) {
    if (response.responseType !== ResponseType.DEFAULT_4XX.responseType) continue;
    const parameters: unknown = Stack.of(response).resolve(response.responseParameters);
    if (typeof parameters !== 'object' || parameters === null) continue;
    for (const [key, value] of Object.entries(parameters)) {
      const name = HEADER_PARAMETER.exec(key)?.[1];
      if (name !== undefined && typeof value === 'string') headers[name] = value;
    }
  }
  return headers;
}

/**
 * The response parameters of one of the construct's gateway responses: the `DEFAULT_4XX`
 * headers, then the `restGatewayResponseHeaders` prop's, then the Bearer challenge, each
 * replacing a header of the same name (in any case) that came before.
 */
function responseParameters(
  default4xx: Readonly<Record<string, string>>,
  configured: Readonly<Record<string, string>>,
  challenge: string,
): Record<string, string> {
  const byName = new Map<string, [string, string]>();
  for (const headers of [default4xx, configured, { 'WWW-Authenticate': challenge }]) {
    for (const [name, value] of Object.entries(headers)) byName.set(name.toLowerCase(), [name, value]);
  }
  return Object.fromEntries([...byName.values()].map(([name, value]) => [`gatewayresponse.header.${name}`, value]));
}

/**
 * Adds a protected method to a REST resource: the authorizer with its authorization type
 * (`CUSTOM`), the scopes and the integration with `Authorization: Bearer <JWT>` for HTTP
 * backends. It adds no unauthenticated method pointed at the integration: an `OPTIONS` request to
 * an `ANY` method goes through the authorizer, unless the resource has a CORS preflight method
 * (`corsPreflight`, `addCorsPreflight`, `defaultCorsPreflightOptions`), a MOCK integration that
 * API Gateway answers itself.
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
  if (options.methodOptions?.authorizationScopes !== undefined) {
    throw new Error(
      `addRestMethod(${resource.path}, '${method}'): methodOptions.authorizationScopes apply to Cognito user pool authorizers only, ` +
        `and this method's authorizer is CUSTOM; pass the scopes a token must hold in scopes; received ${JSON.stringify(options.methodOptions.authorizationScopes)}`,
    );
  }
  if (options.corsPreflight !== undefined) {
    if (method === 'OPTIONS') {
      throw new Error(
        `addRestMethod(${resource.path}, 'OPTIONS') cannot take corsPreflight: the preflight is the resource's OPTIONS method, ` +
          'unauthenticated; add either the protected OPTIONS method or the preflight',
      );
    }
    if (resource.node.children.some((child) => child instanceof Method && child.httpMethod === 'OPTIONS')) {
      throw new Error(
        `addRestMethod(${resource.path}, '${method}') cannot take corsPreflight: the resource already has an OPTIONS method ` +
          '(a CORS preflight or a method of its own), and API Gateway keeps one per resource; pass corsPreflight once per resource',
      );
    }
  }
  routeScopes.declare(`${method} ${resource.path}`, options.scopes ?? []);
  const added = resource.addMethod(method, new JwtForwardingRestIntegration(integration), {
    ...options.methodOptions,
    authorizer,
    authorizationType: AuthorizationType.CUSTOM,
  });
  if (resource.defaultMethodOptions?.authorizationScopes !== undefined) {
    // aws-cdk-lib drops them on a CUSTOM method, as it should, and warns: this method asks for its own scopes.
    Annotations.of(added).acknowledgeWarning(
      '@aws-cdk/aws-apigateway:invalidAuthScope',
      "The API's default authorizationScopes are for Cognito methods; PhantomTokenAuthorizer methods require the scopes of addRestMethod",
    );
  }
  if (options.corsPreflight !== undefined) resource.addCorsPreflight(options.corsPreflight);
  return added;
}
