import { resolve } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  EndpointType,
  HttpIntegration,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, LogGroupLogDestination as HttpLogGroupLogDestination, HttpMethod, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type FunctionUrl, FunctionUrlAuthType, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type IntrospectionResponseType, PhantomTokenAccessLogFormat, PhantomTokenAuthorizer } from '../lib/index.js';

/** The audience the sample APIs require: the resource the local OAuth server issues tokens for (DEFAULT_RESOURCE). */
export const SAMPLE_API_AUDIENCE = 'https://api.example.com';

export interface SampleStackProps extends StackProps {
  readonly introspectionEndpoint: string;
  readonly clientCredentialsSecret: string;
  readonly introspectionResponseType?: IntrospectionResponseType;
  readonly jwksUri?: string;
  readonly issuer?: string;
  /** The OAuth server's JWKS, against which the HTTP backend verifies the JWTs it receives. */
  readonly backendJwksUri: string;
  /** The issuer of those JWTs. */
  readonly backendIssuer: string;
  /** @default SAMPLE_API_AUDIENCE */
  readonly audience?: string;
  /** DPoP- and certificate-bound tokens (turns API Gateway's decision cache off). @default false */
  readonly senderConstrainedTokens?: boolean;
  /** The shared introspection cache (`sharedCache: {}`: a DynamoDB table the construct creates). @default false */
  readonly sharedCache?: boolean;
  /** With the shared cache: the longest an instance serves an answer from memory, seconds. @default - the construct's (5 s) */
  readonly sharedCacheMemoryTtlSeconds?: number;
  /** With the shared cache: the deadline of each table call, milliseconds. @default - the construct's (150 ms) */
  readonly sharedCacheTimeoutMs?: number;
  /** The revocation receiver (needs `sharedCache`). @default - none */
  readonly revocation?: SampleRevocation;
  /** API Gateway's decision cache of both APIs, seconds. @default - the construct's (60 s) */
  readonly resultsCacheTtlSeconds?: number;
}

/** Who pushes revocation events to the sample's receiver, and the audience they name it by. */
export interface SampleRevocation {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audience: string;
}

/**
 * The sample app: an HTTP API and a REST API, each with `GET /echo` (scope `read`), `POST /echo`
 * (scope `write`) and `GET /public` (no token) in front of an echo function (Lambda proxy
 * integration) that answers with the request it received, and `GET /backend` (scope `read`) in
 * front of an HTTP backend (HTTP integration) that verifies the JWT it receives: by mapping,
 * `Authorization: Bearer <JWT>` from the REST API and `x-phantom-jwt` from the HTTP API.
 */
export class SampleStack extends Stack {
  readonly authorizer: PhantomTokenAuthorizer;

  constructor(scope: Construct, id: string, props: SampleStackProps) {
    super(scope, id, props);

    this.authorizer = new PhantomTokenAuthorizer(this, 'PhantomToken', {
      introspectionEndpoint: props.introspectionEndpoint,
      // The sample takes either on the command line (-c clientCredentialsSecret=<arn or name>).
      ...(props.clientCredentialsSecret.startsWith('arn:')
        ? { clientCredentialsSecretArn: props.clientCredentialsSecret }
        : { clientCredentialsSecretName: props.clientCredentialsSecret }),
      introspectionResponseType: props.introspectionResponseType,
      jwksUri: props.jwksUri,
      issuer: props.issuer,
      dashboard: true,
      audience: props.audience ?? SAMPLE_API_AUDIENCE,
      senderConstrainedTokens: props.senderConstrainedTokens,
      ...(props.resultsCacheTtlSeconds === undefined ? {} : { resultsCacheTtl: Duration.seconds(props.resultsCacheTtlSeconds) }),
      ...(props.sharedCache === true
        ? {
            sharedCache: {
              ...(props.sharedCacheMemoryTtlSeconds === undefined
                ? {}
                : { memoryTtl: Duration.seconds(props.sharedCacheMemoryTtlSeconds) }),
              ...(props.sharedCacheTimeoutMs === undefined ? {} : { timeout: Duration.millis(props.sharedCacheTimeoutMs) }),
            },
          }
        : {}),
      ...(props.revocation === undefined ? {} : { revocation: { ...props.revocation } }),
    });
    if (this.authorizer.revocationReceiverUrl !== undefined) {
      new CfnOutput(this, 'RevocationReceiverUrl', {
        value: this.authorizer.revocationReceiverUrl,
        description: 'Where the identity server pushes Security Event Tokens (RFC 8935) when it revokes an access token',
      });
    }
    const echo = this.nodeFunction('Echo', 'echo-backend.ts', {});
    const backendUrl = this.jwtBackend(props);
    this.addHttpApi(echo, backendUrl);
    this.addRestApi(echo, backendUrl);
  }

  /** A Node.js function of this sample with its own log group and role (cdk-nag: no managed policy). */
  private nodeFunction(id: string, entry: string, environment: Record<string, string>): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.ONE_WEEK });
    const role = new Role(this, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    return new NodejsFunction(this, id, {
      entry: resolve(__dirname, entry),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      logGroup,
      role,
      environment,
      bundling: { format: OutputFormat.CJS, minify: true, forceDockerBundling: false },
    });
  }

  /**
   * The HTTP backend behind a function URL, the address both APIs' HTTP integrations call. The URL
   * is public (API Gateway's HTTP integrations cannot sign requests for an IAM-authenticated URL),
   * so the backend accepts nothing but a JWT that verifies against the OAuth server's JWKS; clients
   * only ever hold opaque tokens. In a real deployment keep the backend private instead: a VPC link
   * to an internal load balancer (README, "Delivering the JWT to the backend").
   */
  private jwtBackend(props: SampleStackProps): FunctionUrl {
    const backend = this.nodeFunction('JwtBackend', 'jwt-backend.ts', { JWKS_URI: props.backendJwksUri, ISSUER: props.backendIssuer });
    const url = backend.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    new CfnOutput(this, 'JwtBackendUrl', {
      value: url.url,
      description: 'The HTTP backend (function URL): answers only requests that carry a JWT it can verify',
    });
    return url;
  }

  private addHttpApi(echo: NodejsFunction, backendUrl: FunctionUrl): void {
    const httpApi = new HttpApi(this, 'HttpApi', { createDefaultStage: false });
    const httpAccessLogs = new LogGroup(this, 'HttpApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    new HttpStage(this, 'HttpApiStage', {
      httpApi,
      autoDeploy: true,
      accessLogSettings: { destination: new HttpLogGroupLogDestination(httpAccessLogs), format: PhantomTokenAccessLogFormat.httpApi() },
    });
    this.authorizer.addDashboardAccessLogs(httpAccessLogs, 'HTTP API');
    const httpEcho = new HttpLambdaIntegration('Echo', echo);
    this.authorizer.addHttpRoutes(httpApi, { path: '/echo', methods: [HttpMethod.GET], integration: httpEcho, scopes: ['read'] });
    this.authorizer.addHttpRoutes(httpApi, { path: '/echo', methods: [HttpMethod.POST], integration: httpEcho, scopes: ['write'] });
    // The construct adds overwrite:header.x-phantom-jwt <- $context.authorizer.jwt to this HTTP integration.
    const backend = new HttpUrlIntegration('JwtBackend', `${backendUrl.url}http/backend`, { method: HttpMethod.GET });
    this.authorizer.addHttpRoutes(httpApi, { path: '/backend', methods: [HttpMethod.GET], integration: backend, scopes: ['read'] });
    const [publicRoute] = httpApi.addRoutes({ path: '/public', methods: [HttpMethod.GET], integration: httpEcho });
    if (publicRoute !== undefined) acknowledgePublic(publicRoute);

    new CfnOutput(this, 'HttpApiUrl', {
      value: httpApi.apiEndpoint,
      description: 'HTTP API: GET /echo (read), POST /echo (write), GET /backend (read, HTTP backend), GET /public',
    });
  }

  private addRestApi(echo: NodejsFunction, backendUrl: FunctionUrl): void {
    const restAccessLogs = new LogGroup(this, 'RestApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    const restApi = new RestApi(this, 'RestApi', {
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: true,
      deployOptions: {
        loggingLevel: MethodLoggingLevel.INFO,
        tracingEnabled: true,
        accessLogDestination: new LogGroupLogDestination(restAccessLogs),
        accessLogFormat: PhantomTokenAccessLogFormat.restApi(),
      },
    });
    this.authorizer.addDashboardAccessLogs(restAccessLogs, 'REST API');
    const restEcho = new LambdaIntegration(echo);
    // A missing Authorization header is answered 401 by the authorizer stage already; the
    // validator documents the requirement in the API definition as well.
    const requestValidator = restApi.addRequestValidator('Validator', { validateRequestParameters: true, validateRequestBody: true });
    const methodOptions = { requestValidator, requestParameters: { 'method.request.header.Authorization': true } };
    const echoResource = restApi.root.addResource('echo');
    // The construct maps integration.request.header.Authorization <- context.authorizer.authorization on this HTTP integration.
    const backend = new HttpIntegration(`${backendUrl.url}rest/backend`, { proxy: true, httpMethod: 'GET' });
    const restMethods = [
      this.authorizer.addRestMethod(echoResource, 'GET', restEcho, { scopes: ['read'], methodOptions }),
      this.authorizer.addRestMethod(echoResource, 'POST', restEcho, { scopes: ['write'], methodOptions }),
      this.authorizer.addRestMethod(restApi.root.addResource('backend'), 'GET', backend, { scopes: ['read'], methodOptions }),
    ];
    acknowledgePublic(restApi.root.addResource('public').addMethod('GET', restEcho));

    // cdk-nag (AwsSolutions) findings that are choices of this sample, each with its reason.
    for (const method of restMethods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Authorized by the phantom-token Lambda authorizer (OAuth token introspection), which is the point of this sample, not by Cognito.',
      });
    }
    Validations.of(restApi).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'API Gateway account-level CloudWatch role: AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for it.',
    });
    Validations.of(restApi).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'A sample: attach the WAF web ACL of your account in front of a real API.',
    });

    new CfnOutput(this, 'RestApiUrl', {
      value: restApi.url,
      description: 'REST API: GET /echo (read), POST /echo (write), GET /backend (read, HTTP backend), GET /public',
    });
  }
}

/** cdk-nag: GET /public is a choice of this sample. */
function acknowledgePublic(construct: Construct): void {
  for (const id of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
    Validations.of(construct).acknowledge({ id, reason: 'GET /public is public by design: it shows a route without a token.' });
  }
}
