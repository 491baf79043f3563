import { ACCOUNT_ID, API_ID } from './method-arn.js';
import { type RestResourcePolicy, readResourcePolicy } from './rest-resource-policy.js';
import {
  functionIdIn,
  type LocalFunction,
  type Resource,
  type Resources,
  readFunctions,
  readResources,
  refOf,
  resolveIntrinsic,
  resourcesOfType,
  type TemplateAttributes,
} from './template.js';

/**
 * What the local REST gateway needs from a synthesized template: the REST API's stage, its
 * resource tree flattened into methods (`GET /echo`), each method's authorizer, request
 * validation and integration, and the API's gateway responses. Read from the template, never
 * restated by hand. A template the emulator cannot run as API Gateway would is refused here, with
 * the resource named.
 */
export interface LocalRestAuthorizer {
  readonly logicalId: string;
  readonly functionId: string;
  /** Mapping expressions as the template has them: `method.request.header.Authorization`, `context.httpMethod`, … */
  readonly identitySources: readonly string[];
  readonly resultTtlSeconds: number;
}

export interface LocalRestIntegration {
  readonly type: 'AWS_PROXY' | 'HTTP_PROXY' | 'HTTP';
  /** AWS_PROXY: the function's logical id. */
  readonly functionId?: string;
  /** HTTP, HTTP_PROXY: the backend URL. */
  readonly url?: string;
  /** HTTP, HTTP_PROXY: the method the backend is called with (`ANY`: the request's own). */
  readonly httpMethod?: string;
  /** `integration.request.header.X` → `method.request.header.Y` | `context.…` | `stageVariables.…` | `'static'`. */
  readonly requestParameters: Readonly<Record<string, string>>;
  /** HTTP (non-proxy): how backend statuses map to method statuses (`SelectionPattern` regexes). */
  readonly integrationResponses: readonly { readonly statusCode: string; readonly selectionPattern?: string }[];
  /** `TimeoutInMillis`: how long the gateway waits for it. @default - 29 s */
  readonly timeoutMs?: number;
}

export interface LocalRestMethod {
  readonly logicalId: string;
  /** `GET`, `POST`, … or `ANY`. */
  readonly method: string;
  /** The resource path: `/echo`, `/orders/{id}`, `/{proxy+}`. */
  readonly path: string;
  /** `GET /echo`: route selection's key. */
  readonly routeKey: string;
  readonly authorizer: LocalRestAuthorizer | undefined;
  /** Method request parameters and whether each is required (`method.request.header.Authorization: true`). */
  readonly requestParameters: Readonly<Record<string, boolean>>;
  /** Whether a request validator checks the required request parameters. */
  readonly validateRequestParameters: boolean;
  /** `ApiKeyRequired`: a request without a valid `x-api-key` is 403 Forbidden. @default false */
  readonly apiKeyRequired?: boolean;
  readonly integration: LocalRestIntegration;
}

export interface LocalGatewayResponse {
  readonly type: string;
  readonly statusCode: number | undefined;
  /** `gatewayresponse.header.X` → mapping expression or `'static'`, keyed by X. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface LocalRestApi {
  readonly logicalId: string;
  readonly stageName: string;
  readonly methods: readonly LocalRestMethod[];
  /** Every resource path, with or without methods (`/`, `/echo`, `/{proxy+}`): what resource selection walks. */
  readonly resources?: readonly string[];
  /** The API's resource policy, its explicit denies (rest-resource-policy.ts). */
  readonly resourcePolicy?: RestResourcePolicy;
  /** The values of the template's enabled `AWS::ApiGateway::ApiKey`s that have a literal `Value` (generated ones cannot be known locally). */
  readonly apiKeys?: readonly string[];
  readonly gatewayResponses: ReadonlyMap<string, LocalGatewayResponse>;
  readonly functions: ReadonlyMap<string, LocalFunction>;
}

/** A template the local REST gateway will not run, because it would not run it as API Gateway does. */
export class RestTemplateError extends Error {
  readonly code = 'LOCAL_REST_TEMPLATE';
  override readonly name = 'GatewayConfigurationError';
}

/** Reads the (single) REST API of a stack template in a cloud assembly directory. */
export function readRestApi(
  assemblyDir: string,
  stackName: string,
  region = 'us-east-1',
  attributes: TemplateAttributes = {},
): LocalRestApi {
  const resources = readResources(assemblyDir, stackName);
  const [api] = resourcesOfType(resources, 'AWS::ApiGateway::RestApi');
  if (api === undefined) throw new RestTemplateError(`no AWS::ApiGateway::RestApi in ${stackName}`);
  return restApiFrom(resources, api[0], readFunctions(resources, assemblyDir, region, attributes), region, attributes);
}

export function restApiFrom(
  resources: Resources,
  apiId: string,
  functions: ReadonlyMap<string, LocalFunction>,
  region = 'us-east-1',
  attributes: TemplateAttributes = {},
): LocalRestApi {
  const ofApi = (type: string) => resourcesOfType(resources, type).filter(([, r]) => refOf(r.Properties?.RestApiId) === apiId);
  const [stage] = ofApi('AWS::ApiGateway::Stage');
  const stageName = String(stage?.[1].Properties?.StageName ?? '');
  if (stageName === '') throw new RestTemplateError(`REST API ${apiId} has no AWS::ApiGateway::Stage with a StageName`);

  const authorizers = new Map<string, LocalRestAuthorizer>();
  for (const [logicalId, authorizer] of ofApi('AWS::ApiGateway::Authorizer')) {
    const props = authorizer.Properties ?? {};
    if (props.Type !== 'REQUEST') continue;
    const identitySources = String(props.IdentitySource ?? '')
      .split(',')
      .map((source) => source.trim())
      .filter((source) => source !== '');
    const resultTtlSeconds = Number(props.AuthorizerResultTtlInSeconds ?? 300);
    // "When caching is enabled, you must specify at least one identity source" (REQUEST authorizers,
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html);
    // run anyway, one cache entry would serve every caller.
    if (resultTtlSeconds > 0 && identitySources.length === 0)
      throw new RestTemplateError(
        `authorizer ${logicalId}: AuthorizerResultTtlInSeconds is ${resultTtlSeconds} (caching on) but IdentitySource is empty; API Gateway requires at least one identity source when caching is on`,
      );
    for (const source of identitySources) {
      if (!/^(method\.request\.(header|querystring|multivalueheader|multivaluequerystring)\.[^.]|context\.|stageVariables\.)/.test(source))
        throw new RestTemplateError(
          `authorizer ${logicalId}: identity source ${JSON.stringify(source)} is not a header, query string, context or stage variable; API Gateway does not take it (a path parameter cannot be an identity source)`,
        );
    }
    authorizers.set(logicalId, { logicalId, functionId: functionIdIn(props.AuthorizerUri), identitySources, resultTtlSeconds });
  }
  const validators = new Map(
    ofApi('AWS::ApiGateway::RequestValidator').map(([id, v]) => [id, v.Properties?.ValidateRequestParameters === true] as const),
  );

  const methods: LocalRestMethod[] = [];
  for (const [logicalId, method] of ofApi('AWS::ApiGateway::Method')) {
    const props = method.Properties ?? {};
    const httpMethod = String(props.HttpMethod).toUpperCase();
    const path = resourcePath(resources, apiId, props.ResourceId);
    const where = `method ${httpMethod} ${path} (${logicalId})`;
    const authorizationType = String(props.AuthorizationType ?? 'NONE');
    const authorizerId = refOf(props.AuthorizerId);
    const authorizer = authorizerId === undefined ? undefined : authorizers.get(authorizerId);
    if (authorizationType === 'CUSTOM' && authorizer === undefined)
      throw new RestTemplateError(
        `${where}: its CUSTOM authorizer is not a Lambda REQUEST authorizer, which is all this emulator reproduces`,
      );
    if (authorizationType !== 'CUSTOM' && authorizationType !== 'NONE')
      throw new RestTemplateError(`${where}: authorization ${authorizationType} is not reproduced by this emulator`);
    const declared = (props.RequestParameters ?? {}) as Record<string, boolean>;
    const integrationParameters = ((props.Integration as { RequestParameters?: Record<string, unknown> } | undefined)?.RequestParameters ??
      {}) as Record<string, unknown>;
    for (const [target, source] of Object.entries(integrationParameters)) {
      // A mapping reads a method request parameter only if the method declares it; API Gateway refuses the deployment otherwise.
      if (typeof source === 'string' && /^method\.request\./.test(source) && !(source in declared))
        throw new RestTemplateError(
          `${where}: integration request parameter ${target} maps from ${source}, which the method does not declare in its RequestParameters; API Gateway refuses a mapping from an undeclared method request parameter`,
        );
    }
    methods.push({
      logicalId,
      method: httpMethod,
      path,
      routeKey: `${httpMethod} ${path}`,
      authorizer: authorizationType === 'CUSTOM' ? authorizer : undefined,
      requestParameters: declared,
      validateRequestParameters: validators.get(refOf(props.RequestValidatorId) ?? '') === true,
      apiKeyRequired: props.ApiKeyRequired === true,
      integration: integrationOf(props.Integration as Record<string, unknown> | undefined, where, region, attributes),
    });
  }

  const gatewayResponses = new Map<string, LocalGatewayResponse>();
  for (const [, response] of ofApi('AWS::ApiGateway::GatewayResponse')) {
    const props = response.Properties ?? {};
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((props.ResponseParameters ?? {}) as Record<string, string>)) {
      const name = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
      if (name !== undefined) headers[name] = value;
    }
    const type = String(props.ResponseType);
    gatewayResponses.set(type, { type, statusCode: props.StatusCode === undefined ? undefined : Number(props.StatusCode), headers });
  }
  const apiProps = resources[apiId]?.Properties ?? {};
  if (apiProps.ApiKeySourceType === 'AUTHORIZER' && methods.some((method) => method.apiKeyRequired))
    throw new RestTemplateError(
      `REST API ${apiId}: ApiKeySourceType AUTHORIZER (the key from the authorizer's usageIdentifierKey) is not reproduced by this emulator`,
    );
  const apiKeys = resourcesOfType(resources, 'AWS::ApiGateway::ApiKey')
    .map(([, key]) => key.Properties ?? {})
    .filter((key) => key.Enabled !== false && typeof key.Value === 'string')
    .map((key) => key.Value as string);
  const resourcePaths = ['/', ...ofApi('AWS::ApiGateway::Resource').map(([id]) => resourcePath(resources, apiId, { Ref: id }))];
  const resourcePolicy = readResourcePolicy(apiId, apiProps.Policy, `arn:aws:execute-api:${region}:${ACCOUNT_ID}:${API_ID}`);
  return {
    logicalId: apiId,
    stageName,
    methods,
    resources: resourcePaths,
    apiKeys,
    ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
    gatewayResponses,
    functions,
  };
}

function integrationOf(
  integration: Record<string, unknown> | undefined,
  where: string,
  region: string,
  attributes: TemplateAttributes,
): LocalRestIntegration {
  const type = String(integration?.Type ?? '');
  const requestParameters = (integration?.RequestParameters ?? {}) as Record<string, string>;
  const integrationResponses = ((integration?.IntegrationResponses ?? []) as { StatusCode?: unknown; SelectionPattern?: unknown }[]).map(
    (response) => ({
      statusCode: String(response.StatusCode),
      ...(typeof response.SelectionPattern === 'string' ? { selectionPattern: response.SelectionPattern } : {}),
    }),
  );
  const timeout = integration?.TimeoutInMillis === undefined ? {} : { timeoutMs: Number(integration.TimeoutInMillis) };
  if (type === 'AWS_PROXY')
    return { ...timeout, type, functionId: functionIdIn(integration?.Uri), requestParameters, integrationResponses };
  if (type === 'HTTP_PROXY' || type === 'HTTP') {
    let url: string;
    try {
      url = resolveIntrinsic(integration?.Uri, region, attributes);
    } catch (error) {
      throw new RestTemplateError(`${where}: ${(error as Error).message}`);
    }
    return {
      ...timeout,
      type,
      url,
      httpMethod: String(integration?.IntegrationHttpMethod ?? 'ANY'),
      requestParameters,
      integrationResponses,
    };
  }
  throw new RestTemplateError(
    `${where}: integration type ${type || 'none'} is not reproduced by this emulator (AWS_PROXY, HTTP_PROXY and HTTP are)`,
  );
}

/** `/orders/{id}`: the path parts from the method's resource up to the API's root. */
function resourcePath(resources: Resources, apiId: string, resourceId: unknown): string {
  const parts: string[] = [];
  let current = resourceId;
  for (let depth = 0; depth < 64; depth += 1) {
    if (isRoot(current, apiId)) return `/${parts.reverse().join('/')}`;
    const id = refOf(current);
    const resource: Resource | undefined = id === undefined ? undefined : resources[id];
    if (resource?.Type !== 'AWS::ApiGateway::Resource')
      throw new RestTemplateError(`cannot follow the resource ${JSON.stringify(current)} of REST API ${apiId} to its root`);
    parts.push(String(resource.Properties?.PathPart));
    current = resource.Properties?.ParentId;
  }
  throw new RestTemplateError(`the resource tree of REST API ${apiId} is deeper than 64 levels`);
}

/** `{ "Fn::GetAtt": [api, "RootResourceId"] }` */
function isRoot(value: unknown, apiId: string): boolean {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[0] === apiId && getAtt[1] === 'RootResourceId';
}
