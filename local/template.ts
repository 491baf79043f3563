import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT_ID } from './method-arn.js';

/**
 * What the local gateway needs from a synthesized CloudFormation template: the HTTP API's
 * routes, its Lambda authorizers' settings, its integrations and the Lambda functions (their
 * bundled asset, handler and environment). Read from the template, never restated by hand.
 */
export interface LocalFunction {
  readonly logicalId: string;
  /** Directory of the bundled asset inside the cloud assembly. */
  readonly assetDir: string;
  /** `index.handler` → file `index.js`, export `handler`. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
}

export interface LocalAuthorizer {
  readonly logicalId: string;
  readonly functionId: string;
  readonly identitySources: readonly string[];
  readonly resultTtlSeconds: number;
  readonly simpleResponses: boolean;
  readonly payloadFormatVersion: string;
}

export interface LocalIntegration {
  /** The integration's logical id in the template, for start-up messages. */
  readonly logicalId?: string;
  readonly type: 'AWS_PROXY' | 'HTTP_PROXY';
  /** AWS_PROXY: the event and response format, `1.0` or `2.0`. @default '2.0' */
  readonly payloadFormatVersion?: string;
  /** AWS_PROXY: the function's logical id. */
  readonly functionId?: string;
  /** HTTP_PROXY: the backend URL. */
  readonly url?: string;
  readonly method?: string;
  readonly requestParameters: Readonly<Record<string, string>>;
  /** `TimeoutInMillis`: how long the gateway waits for it (at most 30 s). @default - 30 s */
  readonly timeoutMs?: number;
}

export interface LocalRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly path: string;
  readonly authorizer: LocalAuthorizer | undefined;
  readonly integration: LocalIntegration;
}

export interface LocalHttpApi {
  readonly logicalId: string;
  readonly routes: readonly LocalRoute[];
  readonly functions: ReadonlyMap<string, LocalFunction>;
}

export type Resource = { Type: string; Properties?: Record<string, unknown> };
export type Resources = Readonly<Record<string, Resource>>;

/**
 * Values of `Fn::GetAtt` that exist only once deployed, keyed `<logicalId>.<attribute>`, as the
 * local stack provides them (a function URL → the local server standing in for it).
 */
export type TemplateAttributes = Readonly<Record<string, string>>;

/** The resources of a stack template in a cloud assembly directory. */
export function readResources(assemblyDir: string, stackName: string): Resources {
  const template = JSON.parse(readFileSync(join(assemblyDir, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<string, Resource>;
  };
  return template.Resources;
}

export function resourcesOfType(resources: Resources, type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** The Lambda functions with a bundled asset: where it is, its handler, environment and timeout. */
export function readFunctions(
  resources: Resources,
  assemblyDir: string,
  region = 'us-east-1',
  attributes: TemplateAttributes = {},
): Map<string, LocalFunction> {
  const functions = new Map<string, LocalFunction>();
  const local = localReferences(resources, region);
  for (const [logicalId, fn] of resourcesOfType(resources, 'AWS::Lambda::Function')) {
    const props = fn.Properties ?? {};
    const s3Key = (props.Code as { S3Key?: string } | undefined)?.S3Key;
    if (s3Key === undefined) continue;
    const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<
      string,
      unknown
    >;
    const layers = layerDirs(resources, props.Layers, assemblyDir);
    functions.set(logicalId, {
      logicalId,
      assetDir: join(assemblyDir, `asset.${s3Key.replace(/\.zip$/, '')}`),
      handler: String(props.Handler ?? 'index.handler'),
      environment: Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          onLayers(resolveIntrinsic(value, region, { ...local.attributes, ...attributes }, local.refs), layers),
        ]),
      ),
      timeoutSeconds: Number(props.Timeout ?? 3),
    });
  }
  return functions;
}

/** The asset directories of a function's layers (`AWS::Lambda::LayerVersion` of this template), in order. */
function layerDirs(resources: Resources, layers: unknown, assemblyDir: string): string[] {
  if (!Array.isArray(layers)) return [];
  return layers.flatMap((layer) => {
    const id = (layer as { Ref?: unknown }).Ref;
    const content = typeof id === 'string' ? (resources[id]?.Properties?.Content as { S3Key?: string } | undefined) : undefined;
    return content?.S3Key === undefined ? [] : [join(assemblyDir, `asset.${content.S3Key.replace(/\.zip$/, '')}`)];
  });
}

/**
 * A path under /opt, where Lambda extracts a function's layers, as the file in the layer that
 * holds it (the last layer wins, as Lambda extracts them in order); any other value as it is.
 */
function onLayers(value: string, layers: readonly string[]): string {
  if (!value.startsWith('/opt/')) return value;
  const found = [...layers].reverse().map((dir) => join(dir, value.slice('/opt/'.length)));
  return found.find((path) => existsSync(path)) ?? value;
}

/**
 * What a `Ref` or `Fn::GetAtt` of a resource the local flow stands in for resolves to, where a
 * deployment would give it a generated value: a DynamoDB table's name and ARN, a REST API's id,
 * a REST stage's name. Deterministic, so that a function's environment and the local endpoints
 * agree on them across runs: the table is created under {@link localTableName} in the local
 * DynamoDB endpoint, and the API Gateway endpoint knows the REST API by {@link localRestApiId}.
 */
export interface LocalReferences {
  /** `Ref` values by logical id. */
  readonly refs: Readonly<Record<string, string>>;
  /** `Fn::GetAtt` values, keyed `<logicalId>.<attribute>` as {@link TemplateAttributes}. */
  readonly attributes: TemplateAttributes;
}

export function localReferences(resources: Resources, region = 'us-east-1'): LocalReferences {
  const refs: Record<string, string> = {};
  const attributes: Record<string, string> = {};
  for (const table of readTables(resources)) {
    refs[table.logicalId] = table.tableName;
    attributes[`${table.logicalId}.Arn`] = `arn:aws:dynamodb:${region}:${ACCOUNT_ID}:table/${table.tableName}`;
  }
  for (const [logicalId] of resourcesOfType(resources, 'AWS::ApiGateway::RestApi')) refs[logicalId] = localRestApiId(logicalId);
  for (const [logicalId, stage] of resourcesOfType(resources, 'AWS::ApiGateway::Stage')) {
    const name = stage.Properties?.StageName;
    if (typeof name === 'string') refs[logicalId] = name;
  }
  return { refs, attributes };
}

/** A table's local name: its `TableName` when the template sets one, else `local-<logicalId>` (CloudFormation would generate one). */
export function localTableName(logicalId: string, table?: Resource): string {
  const name = table?.Properties?.TableName;
  return typeof name === 'string' ? name : `local-${logicalId}`;
}

/**
 * A REST API's local id: 10 lower-case hexadecimal characters of its logical id's SHA-256, shaped as
 * API Gateway's ids are (10 lower-case letters and digits), which the revocation receiver checks.
 * The local gateways' ARNs keep the id `local` (method-arn.ts); only the API Gateway endpoint
 * (api-gateway-management.ts) knows the API by this one.
 */
export function localRestApiId(logicalId: string): string {
  return createHash('sha256').update(logicalId).digest('hex').slice(0, 10);
}

/** A DynamoDB table of the template (`AWS::DynamoDB::Table`), as the local endpoint creates it. */
export interface LocalTable {
  readonly logicalId: string;
  readonly tableName: string;
  /** `KeySchema`: the partition key, and the sort key if any. */
  readonly keySchema: readonly { readonly AttributeName: string; readonly KeyType: 'HASH' | 'RANGE' }[];
  /** `AttributeDefinitions` of the key attributes. */
  readonly attributeDefinitions: readonly { readonly AttributeName: string; readonly AttributeType: string }[];
  /** The TTL attribute, when `TimeToLiveSpecification` is enabled. */
  readonly ttlAttribute: string | undefined;
}

export function readTables(resources: Resources): LocalTable[] {
  return resourcesOfType(resources, 'AWS::DynamoDB::Table').map(([logicalId, table]) => {
    const props = table.Properties ?? {};
    const ttl = props.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
    return {
      logicalId,
      tableName: localTableName(logicalId, table),
      keySchema: (props.KeySchema ?? []) as LocalTable['keySchema'],
      attributeDefinitions: (props.AttributeDefinitions ?? []) as LocalTable['attributeDefinitions'],
      ttlAttribute: ttl?.Enabled === true && typeof ttl.AttributeName === 'string' ? ttl.AttributeName : undefined,
    };
  });
}

/**
 * What the local DynamoDB endpoint needs to create the template's tables: each table's local name,
 * its partition key and TTL attribute. Throws for a table the endpoint cannot hold (a sort key).
 */
export function localTableSpecs(resources: Resources): { readonly name: string; readonly key: string; readonly ttlAttribute?: string }[] {
  return readTables(resources).map((table) => {
    const key = table.keySchema.find((element) => element.KeyType === 'HASH')?.AttributeName;
    if (key === undefined || table.keySchema.length !== 1)
      throw new Error(`table ${table.logicalId}: the local DynamoDB endpoint serves tables with one partition key and no sort key`);
    return { name: table.tableName, key, ...(table.ttlAttribute === undefined ? {} : { ttlAttribute: table.ttlAttribute }) };
  });
}

/** A Lambda function URL of the template (`AWS::Lambda::Url`). */
export interface LocalFunctionUrl {
  readonly logicalId: string;
  readonly functionId: string;
  readonly authType: string;
}

export function readFunctionUrls(resources: Resources): LocalFunctionUrl[] {
  return resourcesOfType(resources, 'AWS::Lambda::Url').map(([logicalId, url]) => ({
    logicalId,
    functionId: functionIdIn(url.Properties?.TargetFunctionArn),
    authType: String(url.Properties?.AuthType ?? 'AWS_IAM'),
  }));
}

/** Reads the HTTP API of a stack template in a cloud assembly directory. */
export function readHttpApi(
  assemblyDir: string,
  stackName: string,
  region = 'us-east-1',
  attributes: TemplateAttributes = {},
): LocalHttpApi {
  const resources = readResources(assemblyDir, stackName);
  const ofType = (type: string) => resourcesOfType(resources, type);
  const [api] = ofType('AWS::ApiGatewayV2::Api');
  if (api === undefined) throw new Error(`no AWS::ApiGatewayV2::Api in ${stackName}`);
  const [apiId] = api;
  const resolve = (value: unknown) => resolveIntrinsic(value, region, attributes);
  const functions = readFunctions(resources, assemblyDir, region, attributes);

  const authorizers = new Map<string, LocalAuthorizer>();
  for (const [logicalId, authorizer] of ofType('AWS::ApiGatewayV2::Authorizer')) {
    const props = authorizer.Properties ?? {};
    if (props.AuthorizerType !== 'REQUEST') continue;
    authorizers.set(logicalId, {
      logicalId,
      functionId: functionIdIn(props.AuthorizerUri),
      identitySources: (props.IdentitySource as string[] | undefined) ?? [],
      resultTtlSeconds: Number(props.AuthorizerResultTtlInSeconds ?? 300),
      simpleResponses: props.EnableSimpleResponses === true,
      // Required for REQUEST authorizers: left empty when missing, and start-up refuses it (validateHttpApi).
      payloadFormatVersion: props.AuthorizerPayloadFormatVersion === undefined ? '' : String(props.AuthorizerPayloadFormatVersion),
    });
  }

  const integrations = new Map<string, LocalIntegration>();
  for (const [logicalId, integration] of ofType('AWS::ApiGatewayV2::Integration')) {
    const props = integration.Properties ?? {};
    const requestParameters = (props.RequestParameters ?? {}) as Record<string, string>;
    const timeout = props.TimeoutInMillis === undefined ? {} : { timeoutMs: Number(props.TimeoutInMillis) };
    if (props.IntegrationType === 'AWS_PROXY') {
      integrations.set(logicalId, {
        ...timeout,
        logicalId,
        type: 'AWS_PROXY',
        functionId: functionIdIn(props.IntegrationUri),
        payloadFormatVersion: String(props.PayloadFormatVersion ?? '2.0'),
        requestParameters,
      });
    } else if (props.IntegrationType === 'HTTP_PROXY') {
      integrations.set(logicalId, {
        ...timeout,
        logicalId,
        type: 'HTTP_PROXY',
        url: resolve(props.IntegrationUri),
        method: String(props.IntegrationMethod ?? 'ANY'),
        requestParameters,
      });
    }
  }

  const routes: LocalRoute[] = [];
  for (const [, route] of ofType('AWS::ApiGatewayV2::Route')) {
    const props = route.Properties ?? {};
    if ((props.ApiId as { Ref?: string } | undefined)?.Ref !== apiId) continue;
    const routeKey = String(props.RouteKey);
    // Target: { "Fn::Join": ["", ["integrations/", { "Ref": "<integration>" }]] }
    const integrationId = /"integrations\/",\{"Ref":"([^"]+)"\}/.exec(JSON.stringify(props.Target ?? ''))?.[1];
    const integration = integrationId === undefined ? undefined : integrations.get(integrationId);
    if (integration === undefined)
      throw new Error(`route ${routeKey} has no integration this emulator supports (${integrationId ?? 'none'})`);
    const authorizerId = refOf(props.AuthorizerId);
    const authorizer = props.AuthorizationType === 'CUSTOM' && authorizerId !== undefined ? authorizers.get(authorizerId) : undefined;
    if (props.AuthorizationType !== 'NONE' && props.AuthorizationType !== undefined && authorizer === undefined) {
      throw new Error(`route ${routeKey} uses authorization ${String(props.AuthorizationType)}, which this emulator does not reproduce`);
    }
    const [method, path] = routeKey === '$default' ? ['ANY', '$default'] : (routeKey.split(' ') as [string, string]);
    routes.push({ routeKey, method, path, authorizer, integration });
  }
  return { logicalId: apiId, routes, functions };
}

export function refOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && 'Ref' in value ? String((value as { Ref: unknown }).Ref) : undefined;
}

/** The logical id of the function behind a Lambda ARN or an authorizer URI (`Fn::GetAtt [Id, Arn]`, possibly inside Fn::Join). */
export function functionIdIn(value: unknown): string {
  const match = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(JSON.stringify(value));
  if (match === null) throw new Error(`cannot find a Lambda function in ${JSON.stringify(value)}`);
  return match[1] as string;
}

/**
 * The few intrinsics that appear in environment values and URLs: Ref to pseudo parameters and to
 * the resources in `refs` (localReferences), Fn::Join, Fn::Sub, and Fn::GetAtt for the attributes
 * the local stack provides.
 */
export function resolveIntrinsic(
  value: unknown,
  region: string,
  attributes: TemplateAttributes = {},
  refs: Readonly<Record<string, string>> = {},
): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::Partition': 'aws',
    'AWS::AccountId': '000000000000',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    if (typeof object.Ref === 'string' && object.Ref in pseudo) return pseudo[object.Ref] as string;
    if (typeof object.Ref === 'string' && typeof refs[object.Ref] === 'string') return refs[object.Ref] as string;
    if (Array.isArray(object['Fn::Join'])) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => resolveIntrinsic(part, region, attributes, refs)).join(separator);
    }
    const getAtt = object['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof attributes[getAtt.join('.')] === 'string') return attributes[getAtt.join('.')] as string;
    if (typeof object['Fn::Sub'] === 'string')
      return object['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) => pseudo[name] ?? `\${${name}}`);
  }
  throw new Error(`the local gateway cannot resolve ${JSON.stringify(value)}`);
}
